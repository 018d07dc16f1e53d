"""The real NAB ambient-temperature series, and how the engine and a z-score baseline score
on it (NAB's scoring is in ``nab_scoring``).

>>> frame, windows = load_nab()
>>> len(frame), len(windows)
(7267, 2)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from .arrays import episodes, sustained
from .config import DEFAULT_CONFIG, MonitoringConfig, MonitoringInputError
from .nab_scoring import PROFILES as PROFILES
from .nab_scoring import nab_score
from .nab_scoring import scaled_sigmoid as scaled_sigmoid
from .pipeline import run

LEARNED_RULES = ("baseline",)
"""The rules of ``DEFAULT_CONFIG`` used on NAB: only the learned baseline applies to a
series from another site (static limits, sensor health and the server room's warning limit
do not)."""


def load_nab(path=None) -> tuple[pd.DataFrame, list[tuple[pd.Timestamp, pd.Timestamp]]]:
    """The NAB ambient-temperature series (``timestamp``, ``value`` in °F) and its windows."""
    from ..datasets import path as dataset_path

    csv = dataset_path("nab_ambient_temperature") if path is None else Path(path)
    frame = pd.read_csv(csv, parse_dates=["timestamp"])
    labels = json.loads(csv.with_name("nab_ambient_temperature_labels.json").read_text())
    windows = [(pd.Timestamp(a), pd.Timestamp(b)) for a, b in labels["windows"]]
    return frame, windows


def _series(frame) -> pd.Series:
    """A NAB-shaped frame (``timestamp``, ``value``) as a series in time order.

    Cleaning, documented: rows are sorted by time (a logger's clock that stepped back once
    leaves rows out of order), and rows whose time or value does not parse are dropped; a frame
    that is not NAB-shaped is refused with what to change.
    """
    if not isinstance(frame, pd.DataFrame) or not {"timestamp", "value"} <= set(frame.columns):
        got = list(frame.columns) if isinstance(frame, pd.DataFrame) else type(frame).__name__
        raise MonitoringInputError(
            f"expected a DataFrame with 'timestamp' and 'value' columns (NAB's shape), got {got}; "
            "rename your columns, e.g. frame.rename(columns={'time': 'timestamp', "
            "'temp': 'value'})"
        )
    times = pd.to_datetime(frame["timestamp"], errors="coerce", utc=True)
    values = pd.to_numeric(frame["value"], errors="coerce")
    keep = times.notna().to_numpy() & values.notna().to_numpy()
    if not keep.any():
        raise MonitoringInputError(
            "no row has both a time and a number: check the 'timestamp' format and the "
            "decimal separator of 'value'"
        )
    series = pd.Series(
        values.to_numpy(float)[keep], index=pd.DatetimeIndex(times[keep]).tz_localize(None)
    )
    return series.sort_index(kind="stable")


def nab_readings(frame: pd.DataFrame, fahrenheit: bool = True) -> pd.DataFrame:
    """NAB rows as regular hourly readings for the engine: UTC index, ``temp_c`` (from °F),
    NaN and ``gap`` where hours are missing."""
    series = _series(frame)
    if fahrenheit:
        series = (series - 32.0) * 5.0 / 9.0
    series.index = series.index.tz_localize("UTC")
    hourly = series.resample("1h").mean()
    return pd.DataFrame(
        {"temp_c": hourly, "rh_pct": np.nan, "gap": hourly.isna().to_numpy()}, index=hourly.index
    )


def zscore_detector(frame: pd.DataFrame, window: str = "24h", z: float = 3.0, sustain: int = 2):
    """Baseline detector: |z| > ``z`` against the mean and SD of the previous ``window``
    (time-based, the current row excluded), for ``sustain`` consecutive rows; returns the
    time of the first alert of each episode."""
    series = _series(frame)
    rolling = series.rolling(window, closed="left")
    score = ((series - rolling.mean()) / rolling.std()).abs().to_numpy()
    with np.errstate(invalid="ignore"):
        alert = score > z
    starts, _ = episodes(sustained(alert, sustain - 1))
    return series.index[starts]


def static_detector(frame: pd.DataFrame, low: float = 60.0, high: float = 80.0, sustain: int = 2):
    """The plainest baseline: an alert when the value leaves [``low``, ``high``] (°F on NAB)
    for ``sustain`` consecutive rows; returns the time of the first alert of each episode."""
    series = _series(frame)
    values = series.to_numpy()
    starts, _ = episodes(sustained((values < low) | (values > high), sustain - 1))
    return series.index[starts]


def default_detector(frame: pd.DataFrame, config: MonitoringConfig = DEFAULT_CONFIG):
    """The engine's recommended default (its learned rules) on a NAB series; returns the
    start time of each incident (the first alert of each episode), as naive times."""
    readings = nab_readings(frame)
    result = run(readings, config.with_(rules=LEARNED_RULES, timezone=None))
    starts = pd.to_datetime(result.incidents["start"], utc=True)  # none found: an empty index
    return pd.DatetimeIndex(starts).tz_localize(None)


def compare(profile: str = "standard") -> dict:
    """NAB scores of the default configuration, the z-score baseline and a static 60/80 °F
    threshold on the NAB file."""
    frame, windows = load_nab()
    times = pd.DatetimeIndex(frame["timestamp"])
    default = nab_score(times, default_detector(frame), windows, profile)
    zscore = nab_score(times, zscore_detector(frame), windows, profile)
    static = nab_score(times, static_detector(frame), windows, profile)
    return {"default": default, "zscore": zscore, "static": static}
