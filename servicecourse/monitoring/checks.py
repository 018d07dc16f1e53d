"""Checks on the readings the rules take, and their time step.

The rules count durations in steps of regular readings, so they need a sorted, unique,
tz-aware index with a fixed step; these checks say what is wrong and how to fix it instead
of letting a rule compute nonsense.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .config import TIMEZONE, MonitoringInputError, parse_duration

PLAUSIBLE_TEMP_C = (-90.0, 150.0)
"""Wider than any room sensor's range (the DHT22 reads -40–80 °C): a value outside it is a
fault, a sentinel or a wrong unit, and the rules would turn it into a false alarm, or, with an
infinity, into NaN sums that hide real ones."""

PLAUSIBLE_RH_PCT = (0.0, 100.0)


def check_readings(readings) -> None:
    """Raise ``MonitoringInputError`` naming what is wrong with ``readings``."""
    if not isinstance(readings, pd.DataFrame):
        raise MonitoringInputError(
            f"readings must be a pandas DataFrame, not {type(readings).__name__}"
        )
    if readings.empty:
        raise MonitoringInputError("the readings are empty; there is nothing to monitor")
    if "temp_c" not in readings.columns:
        raise MonitoringInputError(
            f"the readings have no 'temp_c' column (they have {list(readings.columns)}); "
            "rename the temperature column to temp_c (and humidity to rh_pct)"
        )
    for column in ("temp_c", "rh_pct"):
        if column in readings and not pd.api.types.is_numeric_dtype(readings[column]):
            raise MonitoringInputError(
                f"column {column!r} is {readings[column].dtype}, not numbers; convert it with "
                "pd.to_numeric (check the decimal separator)"
            )
    for column, (low, high), unit in (
        ("temp_c", PLAUSIBLE_TEMP_C, "°C"),
        ("rh_pct", PLAUSIBLE_RH_PCT, "%RH"),
    ):
        if column not in readings:
            continue
        values = readings[column].to_numpy(dtype=float)
        wrong = ~np.isnan(values) & ((values < low) | (values > high))
        if wrong.any():
            first = int(np.argmax(wrong))
            raise MonitoringInputError(
                f"column {column!r} has {int(wrong.sum())} value(s) no sensor can read "
                f"(outside {low:g}–{high:g} {unit}, e.g. {values[first]:g} at row {first}, "
                f"{readings.index[first]}); if they are faults or sentinels, set them to NaN "
                "(missing); if the unit is wrong, convert it (°F to °C: (F - 32) / 1.8)"
            )
    check_index(readings.index)
    if len(readings) > 2:
        gaps = np.diff(readings.index.asi8)
        if (gaps != gaps[0]).any():
            raise MonitoringInputError(
                "the readings are not evenly spaced; resample them, e.g. with "
                "monitoring.clean() or readings.resample('1min').mean()"
            )


def check_index(index) -> None:
    """Raise ``MonitoringInputError`` unless the index is tz-aware, sorted and unique."""
    if not isinstance(index, pd.DatetimeIndex):
        raise MonitoringInputError(
            "readings need a DatetimeIndex; use monitoring.clean() or "
            "frame.set_index(pd.to_datetime(frame['time'], utc=True))"
        )
    if index.tz is None:
        raise MonitoringInputError(
            "the readings' times have no time zone; localise them, e.g. "
            f"index.tz_localize('{TIMEZONE}').tz_convert('UTC')"
        )
    if index.has_duplicates:
        raise MonitoringInputError(
            f"{int(index.duplicated().sum())} time(s) occur twice; clean the readings with "
            "monitoring.clean(), which flags and drops duplicates"
        )
    if not index.is_monotonic_increasing:
        raise MonitoringInputError(
            "the times are not sorted; sort them with readings.sort_index() (or use clean())"
        )


def step_of(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The fixed step of regular readings (raises if the index is not regular and sorted)."""
    check_index(index)
    if len(index) < 2:
        return pd.Timedelta("1min")
    return pd.Timedelta(index[1] - index[0])


def steps(duration, step: pd.Timedelta, name: str = "duration") -> int:
    """Whole number of steps covering ``duration`` (at least 0).

    >>> steps("5min", pd.Timedelta("2min"))
    3
    """
    return int(math.ceil(parse_duration(duration, name) / step))
