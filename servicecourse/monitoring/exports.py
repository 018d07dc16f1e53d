"""Readings from other sources than the Yún log: CSV exports and DataFrames.

Learners bring spreadsheets (comma or semicolon separated, decimal point or comma) and
frames with their own column names; both are turned into the raw shape ``clean`` takes.
"""

from __future__ import annotations

import io

import numpy as np
import pandas as pd

from .config import TIMEZONE, MonitoringInputError
from .yun_log import clean, source_text


EXPORT_SHAPE = (
    "expected a header line 'timestamp,temperature,humidity' (or with semicolons) and one "
    "reading per line"
)


def read_export(source, timezone: str | None = TIMEZONE) -> pd.DataFrame:
    """Read a CSV export (``timestamp,temperature,humidity``; comma or semicolon separated,
    decimal point or comma) into the raw shape that ``clean`` takes.

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
        frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as error:
        detail = str(error).strip().splitlines()[0][:120] if str(error).strip() else "no detail"
        raise MonitoringInputError(
            f"the export is not a readable CSV table ({detail}); {EXPORT_SHAPE}"
        ) from None
    frame.columns = [str(c).strip().lower() for c in frame.columns]
    aliases = {
        "timestamp": "time",
        "time": "time",
        "datetime": "time",
        "date": "time",
        "temperature": "temp_c",
        "temp": "temp_c",
        "temp_c": "temp_c",
        "humidity": "rh_pct",
        "rh": "rh_pct",
        "rh_pct": "rh_pct",
    }
    frame = frame.rename(columns={c: aliases[c] for c in frame.columns if c in aliases})
    return readings_frame(frame, timezone=timezone, raw=True)


def readings_frame(frame: pd.DataFrame, timezone: str | None = TIMEZONE, raw: bool = False):
    """Check a DataFrame with ``time``, ``temp_c`` (and optionally ``rh_pct``) columns.

    Naive times are read as local time in ``timezone``. Returns the raw shape (``raw=True``)
    or cleaned readings. Raises ``MonitoringInputError`` naming a missing column, a column of
    the wrong type, or an empty frame.
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
            "'temperature': 'temp_c', 'humidity': 'rh_pct'})"
        )
    out = pd.DataFrame(index=range(len(frame)))
    times = frame["time"].reset_index(drop=True)
    if not pd.api.types.is_datetime64_any_dtype(times):
        parsed = pd.to_datetime(times, errors="coerce", format="mixed")
        if parsed.isna().mean() > 0.5:
            raise MonitoringInputError(
                f"column 'time' does not hold times (e.g. {times.iloc[0]!r}); write them "
                "as 'YYYY-MM-DD HH:MM:SS'"
            )
        times = parsed
    for column in ("temp_c", "rh_pct"):
        if column not in frame.columns:
            out[column] = np.nan
            continue
        values = frame[column].reset_index(drop=True)
        if not pd.api.types.is_numeric_dtype(values):
            as_text = values.astype(str).str.replace(",", ".", regex=False)
            converted = pd.to_numeric(as_text, errors="coerce")
            if converted.isna().sum() > values.isna().sum() + 0.5 * len(values):
                raise MonitoringInputError(
                    f"column {column!r} is not numeric (e.g. {values.iloc[0]!r}); convert it "
                    "with pd.to_numeric or fix the decimal separator"
                )
            values = converted
        out[column] = values.astype(float)
    if times.dt.tz is not None:
        out["local"] = times.dt.tz_convert(timezone or "UTC").dt.tz_localize(None)
    else:
        out["local"] = times
    out["marker"] = ""
    out["step_s"] = np.nan
    out = out[["local", "temp_c", "rh_pct", "marker", "step_s"]]
    return out if raw else clean(out, timezone=timezone)
