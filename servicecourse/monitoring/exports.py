"""Readings from other sources than the Yún log: CSV exports and DataFrames.

Learners bring spreadsheets (comma or semicolon separated, decimal point or comma) and
frames with their own column names; both are turned into the raw shape ``clean`` takes.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from .config import TIMEZONE, MonitoringInputError
from .yun_log import clean, source_text

EXPORT_SHAPE = (
    "expected a header line 'timestamp,temperature,humidity' (or with semicolons) and one "
    "reading per line; other column names are given with time_column=, temp_column= and "
    "rh_column="
)
ALIASES = {
    "time": ("timestamp", "time", "datetime", "date", "date_time", "aika"),
    "temp_c": ("temperature", "temp", "temp_c", "temperature_c", "t", "lämpötila"),
    "rh_pct": ("humidity", "rh", "rh_pct", "humidity_pct", "relative_humidity", "kosteus"),
}
_OFFSET = re.compile(r"(?:Z|[+-]\d\d:?\d\d)$")
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})([./-])(\d{1,2})\2(\d{4})")


def read_export(
    source,
    timezone: str | None = TIMEZONE,
    *,
    time_column: str | None = None,
    temp_column: str | None = None,
    rh_column: str | None = None,
    dayfirst: bool | None = None,
) -> pd.DataFrame:
    """Read a logger's CSV export into the raw shape that ``clean`` takes.

    Comma or semicolon separated (a semicolon file uses decimal commas); the columns are found
    by their usual names or given by argument; time stamps may be ISO (with or without a UTC
    offset), epoch seconds or milliseconds, or day-first dates (see ``parse_times``). Naive
    stamps are local time in ``timezone``.

    >>> raw = read_export(io.StringIO("timestamp;temperature;humidity\\n"
    ...                               "2016-10-01 00:00:05;21,4;31,2\\n"))
    >>> raw.temp_c.tolist()
    [21.4]
    """
    text = source_text(source)
    first = text.splitlines()[0] if text.strip() else ""
    if not first.strip():
        raise MonitoringInputError(
            f"the export is empty or starts with an empty line; {EXPORT_SHAPE}"
        )
    sep = ";" if first.count(";") > first.count(",") else ","
    decimal = "," if sep == ";" else "."
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal, dtype=str)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        detail = str(error).strip().splitlines()[0][:120] if str(error).strip() else "no detail"
        raise MonitoringInputError(
            f"the export is not a readable CSV table ({detail}); {EXPORT_SHAPE}"
        ) from None
    given = {"time": time_column, "temp_c": temp_column, "rh_pct": rh_column}
    frame = _rename(frame, given)
    return readings_frame(frame, timezone=timezone, raw=True, dayfirst=dayfirst)


def _rename(frame: pd.DataFrame, given: dict) -> pd.DataFrame:
    """The export's columns under the engine's names: as given, else by their usual names."""
    columns = {str(c): str(c).strip().lower() for c in frame.columns}
    renames = {}
    for target, name in given.items():
        if name is None:
            continue
        if name not in frame.columns:
            raise MonitoringInputError(
                f"no column {name!r} in the export; its columns are {list(frame.columns)}"
            )
        renames[name] = target
    for original, lower in columns.items():
        for target, names in ALIASES.items():
            if given[target] is None and lower in names and target not in renames.values():
                renames[original] = target
    return frame.rename(columns=renames)


def parse_times(values: pd.Series, dayfirst: bool | None = None) -> pd.Series:
    """Time stamps of any common logger format, as UTC (tz-aware) or naive local times.

    - numbers: epoch seconds, or milliseconds when they are too large to be seconds;
    - ISO stamps with a UTC offset (``+02:00``, ``Z``; the offset may change at a DST switch):
      UTC;
    - dates like ``27.03.2016 03:30``: day first when a first field is above 12, month first
      when a second one is; when every date could be either, ``dayfirst`` must say (a
      dotted date is day first, as in Finland);
    - anything else pandas reads (``2016-10-01 00:00:05``): naive local time.
    """
    if pd.api.types.is_datetime64_any_dtype(values):
        return values
    text = values.astype(str).str.strip()
    numeric = pd.to_numeric(text, errors="coerce")
    if numeric.notna().mean() > 0.5:
        magnitude = numeric.abs().median()
        if magnitude >= 1e11:
            unit = "ms"
        elif magnitude >= 1e8:
            unit = "s"
        else:
            raise MonitoringInputError(
                f"the time column holds numbers (e.g. {text.iloc[0]!r}) that are neither epoch "
                "seconds nor milliseconds; write the times as 'YYYY-MM-DD HH:MM:SS'"
            )
        return pd.to_datetime(numeric, unit=unit, utc=True, errors="coerce")
    if text.str.contains(_OFFSET).mean() > 0.5:
        return pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    parts = text.str.extract(_DAY_MONTH)
    if parts[0].notna().mean() > 0.5:
        first, second = parts[0].astype(float), parts[2].astype(float)
        if dayfirst is None:
            if (first > 12).any():
                dayfirst = True
            elif (second > 12).any():
                dayfirst = False
            elif (parts[1] == ".").all():
                dayfirst = True
            else:
                raise MonitoringInputError(
                    f"the dates (e.g. {text.iloc[0]!r}) could be day first or month first; "
                    "say which with dayfirst=True or dayfirst=False"
                )
        return pd.to_datetime(text, dayfirst=dayfirst, errors="coerce", format="mixed")
    return pd.to_datetime(text, errors="coerce", format="mixed")


def readings_frame(
    frame: pd.DataFrame,
    timezone: str | None = TIMEZONE,
    raw: bool = False,
    dayfirst: bool | None = None,
):
    """Check a DataFrame with ``time``, ``temp_c`` (and optionally ``rh_pct``) columns.

    Naive times are read as local time in ``timezone``; times with a UTC offset are exact.
    Returns the raw shape (``raw=True``) or cleaned readings. Raises ``MonitoringInputError``
    naming a missing column, a column of the wrong type, or an empty frame.
    """
    if not isinstance(frame, pd.DataFrame):
        raise MonitoringInputError(f"expected a pandas DataFrame, got {type(frame).__name__}")
    if frame.empty:
        raise MonitoringInputError("the readings are empty; there is nothing to monitor")
    missing = [c for c in ("time", "temp_c") if c not in frame.columns]
    if missing:
        raise MonitoringInputError(
            f"missing column(s) {missing}; the columns are {list(frame.columns)}. "
            "Rename them, e.g. frame.rename(columns={'timestamp': 'time', "
            "'temperature': 'temp_c', 'humidity': 'rh_pct'}), or name them with "
            "read_export(..., time_column=..., temp_column=..., rh_column=...)"
        )
    out = pd.DataFrame(index=range(len(frame)))
    original = frame["time"].reset_index(drop=True)
    times = parse_times(original, dayfirst)
    if times.isna().mean() > 0.5:
        raise MonitoringInputError(
            f"column 'time' does not hold times (e.g. {original.iloc[0]!r}); write them "
            "as 'YYYY-MM-DD HH:MM:SS'"
        )
    for column in ("temp_c", "rh_pct"):
        if column not in frame.columns:
            out[column] = np.nan
            continue
        values = frame[column].reset_index(drop=True)
        if not pd.api.types.is_numeric_dtype(values):
            as_text = values.astype(str).str.strip().str.replace(",", ".", regex=False)
            converted = pd.to_numeric(as_text, errors="coerce")
            if converted.isna().sum() > values.isna().sum() + 0.5 * len(values):
                raise MonitoringInputError(
                    f"column {column!r} is not numeric (e.g. {values.iloc[0]!r}); convert it "
                    "with pd.to_numeric or fix the decimal separator"
                )
            values = converted
        out[column] = values.astype(float)
    aware = getattr(times.dt, "tz", None) is not None
    # Exact times stay exact: they are cleaned as UTC, never through local wall-clock time.
    out["local"] = times.dt.tz_convert("UTC").dt.tz_localize(None) if aware else times
    out["marker"] = ""
    out["step_s"] = np.nan
    out = out[["local", "temp_c", "rh_pct", "marker", "step_s"]]
    out.attrs["timezone"] = "UTC" if aware else timezone
    if raw:
        return out
    return clean(out, timezone=None if aware else timezone)
