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
from .config import DEFAULT_CONFIG, MonitoringConfig
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


def nab_readings(frame: pd.DataFrame, fahrenheit: bool = True) -> pd.DataFrame:
    """NAB rows as regular hourly readings for the engine: UTC index, ``temp_c`` (from °F),
    NaN and ``gap`` where hours are missing."""
    values = frame["value"].astype(float)
    if fahrenheit:
        values = (values - 32.0) * 5.0 / 9.0
    series = pd.Series(
        values.to_numpy(), index=pd.DatetimeIndex(frame["timestamp"]).tz_localize("UTC")
    )
    hourly = series.resample("1h").mean()
    return pd.DataFrame(
        {"temp_c": hourly, "rh_pct": np.nan, "gap": hourly.isna().to_numpy()}, index=hourly.index
    )


def zscore_detector(frame: pd.DataFrame, window: str = "24h", z: float = 3.0, sustain: int = 2):
    """Baseline detector: |z| > ``z`` against the mean and SD of the previous ``window``
    (time-based, the current row excluded), for ``sustain`` consecutive rows; returns the
    time of the first alert of each episode."""
    series = pd.Series(frame["value"].to_numpy(float), index=pd.DatetimeIndex(frame["timestamp"]))
    rolling = series.rolling(window, closed="left")
    score = ((series - rolling.mean()) / rolling.std()).abs().to_numpy()
    with np.errstate(invalid="ignore"):
        alert = score > z
    starts, _ = episodes(sustained(alert, sustain - 1))
    return series.index[starts]


def default_detector(frame: pd.DataFrame, config: MonitoringConfig = DEFAULT_CONFIG):
    """The engine's recommended default (its learned rules) on a NAB series; returns the
    start time of each incident (the first alert of each episode), as naive times."""
    readings = nab_readings(frame)
    result = run(readings, config.with_(rules=LEARNED_RULES, timezone=None))
    return pd.DatetimeIndex(result.incidents["start"]).tz_convert("UTC").tz_localize(None)


def compare(profile: str = "standard") -> dict:
    """NAB scores of the default configuration and the z-score baseline on the NAB file."""
    frame, windows = load_nab()
    times = pd.DatetimeIndex(frame["timestamp"])
    default = nab_score(times, default_detector(frame), windows, profile)
    zscore = nab_score(times, zscore_detector(frame), windows, profile)
    return {"default": default, "zscore": zscore}
