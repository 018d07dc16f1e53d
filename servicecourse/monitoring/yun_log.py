"""Read the Yún's raw text log and clean it into one-minute readings in UTC.

The log is tab-separated: ``local time<TAB>temp_c<TAB>rh_pct`` (see
``servicecourse.datasets.gen_proactive``). Cleaning, step by step:

1. **Clock**: lines between a ``BOOT`` marker and the next ``NTP`` marker were stamped by an
   unsynchronised clock; they are moved by the step ntpd reports and flagged
   ``clock_unsynced`` (dropped if no ``NTP`` line follows).
2. **Time zone**: local time (Europe/Helsinki) becomes UTC. When summer time ends the hour
   03:00–03:59 occurs twice; the first pass (before the clock goes back) is summer time.
3. **Values**: failed reads (``nan``) are ``failed_read``; the logger's sentinels (-999, -9999)
   are ``sentinel``; values outside the DHT22's range (-40–80 °C, 0–100 %RH) are
   ``impossible``; a single reading more than 3 °C (10 %RH) away from both neighbours, in the
   same direction, is a ``spike``. All of these become NaN.
4. **Minutes**: each stamp is floored to its minute and the lines are sorted by time; a second
   line in the same minute is a ``duplicate`` (the first in the file is kept); missing minutes
   are added as NaN with ``gap`` = True.

>>> text = "2016-10-30 03:59:05\\t20.5\\t40.0\\n2016-10-30 03:00:05\\t20.6\\t40.1\\n"
>>> clean(read_log(text)).index.strftime("%H:%M").tolist()  # 03:59 EEST, then 03:00 EET
['00:59', '01:00']
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd

from .config import MonitoringInputError

TZ = "Europe/Helsinki"
FLAGS = (
    "ok",
    "gap",
    "failed_read",
    "sentinel",
    "impossible",
    "spike",
    "duplicate",
    "clock_unsynced",
)
MARKERS = ("", "BOOT", "NTP")
SENTINELS = (-999.0, -9999.0)
TEMP_RANGE = (-40.0, 80.0)
RH_RANGE = (0.0, 100.0)
_EXPORT_HINT = (
    "read it with servicecourse.monitoring.read_export(path), which accepts comma- or "
    "semicolon-separated exports with a header such as timestamp,temperature,humidity"
)


class LogFormatError(MonitoringInputError):
    """The text is not a Yún log (e.g. a CSV export); the message names the fix."""


def _text(source) -> str:
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and "\t" not in source
    ):
        path = Path(source)
        if not path.exists():
            raise MonitoringInputError(f"no file {str(path)!r}; check the path")
        return path.read_text(encoding="utf-8")
    if isinstance(source, str):
        return source
    if hasattr(source, "read"):
        return source.read()
    if isinstance(source, os.PathLike):
        return Path(source).read_text(encoding="utf-8")
    raise MonitoringInputError(
        f"read_log expects a path or the log's text, not {type(source).__name__}"
    )


def read_log(source) -> pd.DataFrame:
    """Parse a raw Yún log (path, text or open file) into one row per line, in file order.

    Columns: ``local`` (naive local time), ``temp_c``, ``rh_pct`` (float, NaN for ``nan`` or
    unreadable values), ``marker`` (``"BOOT"``, ``"NTP"`` or empty) and ``step_s`` (the NTP
    step in seconds).

    >>> read_log("2016-10-01 00:00:05\\t21.4\\t31.2\\n").temp_c.tolist()
    [21.4]
    """
    text = _text(source)
    head = text[:20_000].splitlines()[:50]
    body = [line for line in head if line.strip() and not line.startswith("#")]
    if not body:
        raise MonitoringInputError(
            "the log has no readings (only comments or empty lines); check that the file is "
            "the Yún's log and not empty"
        )
    first = body[0]
    if "\t" not in first:
        lower = first.lower()
        if "," in first or ";" in first:
            kind = "semicolon-separated" if ";" in first else "comma-separated"
            header = " (with a header line)" if any(c.isalpha() for c in lower[:4]) else ""
            raise LogFormatError(
                f"this is a {kind} file{header}, not the Yún's tab-separated log; " + _EXPORT_HINT
            )
        raise LogFormatError(
            f"the first line {first[:60]!r} has no tab; a Yún log line is "
            "'YYYY-MM-DD HH:MM:SS<TAB>temp_c<TAB>rh_pct'"
        )
    fast = _read_fast(text)
    if fast is not None:
        return fast
    table = pd.read_csv(
        io.StringIO(text),
        sep="\t",
        header=None,
        names=["local", "a", "b"],
        comment="#",
        dtype=str,
        keep_default_na=False,
        on_bad_lines="skip",
        engine="c",
    )
    if table.empty:
        raise MonitoringInputError("the log has no readings; check the file")
    marker = table["a"].where(table["a"].isin(["BOOT", "NTP"]), "")
    is_marker = marker != ""
    local = _parse_local(table["local"])
    temp = pd.to_numeric(table["a"].where(~is_marker), errors="coerce")
    rh = pd.to_numeric(table["b"].where(~is_marker), errors="coerce")
    step = pd.to_numeric(
        table["b"].where(marker == "NTP").str.extract(r"([-+]?\d+(?:\.\d+)?)", expand=False),
        errors="coerce",
    )
    frame = pd.DataFrame(
        {"local": local, "temp_c": temp, "rh_pct": rh, "marker": marker, "step_s": step}
    )
    return frame[local.notna()].reset_index(drop=True)


_BOOT = re.compile(r"\tBOOT\t[^\n]*")
_NTP = re.compile(r"\tNTP\tstep ([-+]?\d+(?:\.\d+)?) s[^\n]*")
_BOOT_CODE, _NTP_CODE = -1.0e300, -2.0e300


def _parse_local(local: pd.Series) -> pd.Series:
    parsed = pd.to_datetime(local, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    bad = parsed.isna()
    if bad.mean() > 0.5:
        raise LogFormatError(
            f"most time stamps do not parse (e.g. {local.iloc[int(bad.argmax())]!r}); "
            "a Yún log stamps each line 'YYYY-MM-DD HH:MM:SS' in local time"
        )
    return parsed


def _read_fast(text: str) -> pd.DataFrame | None:
    """Parse a well-formed log with numeric columns read by the C parser; the rare BOOT and
    NTP lines are first rewritten as numeric codes. ``None`` if any field is not numeric (the
    general, slower path then coerces field by field)."""
    coded = _BOOT.sub(f"\t{_BOOT_CODE}\t0", text)
    coded = _NTP.sub(lambda match: f"\t{_NTP_CODE}\t{match.group(1)}", coded)
    try:
        table = pd.read_csv(
            io.StringIO(coded),
            sep="\t",
            header=None,
            names=["local", "a", "b"],
            comment="#",
            dtype={"local": str, "a": float, "b": float},
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if table.empty:
        raise MonitoringInputError("the log has no readings; check the file")
    a = table["a"].to_numpy()
    b = table["b"].to_numpy()
    boot, ntp = a == _BOOT_CODE, a == _NTP_CODE
    marker = pd.Categorical.from_codes(
        np.where(boot, 1, np.where(ntp, 2, 0)).astype(np.int8), categories=MARKERS
    )
    local = _parse_local(table["local"])
    frame = pd.DataFrame(
        {
            "local": local,
            "temp_c": np.where(boot | ntp, np.nan, a),
            "rh_pct": np.where(boot | ntp, np.nan, b),
            "marker": marker,
            "step_s": np.where(ntp, b, np.nan),
        }
    )
    return frame[local.notna().to_numpy()].reset_index(drop=True)


def read_export(source, timezone: str | None = TZ) -> pd.DataFrame:
    """Read a CSV export (``timestamp,temperature,humidity``; comma or semicolon separated,
    decimal point or comma) into the raw shape that ``clean`` takes.

    >>> raw = read_export(io.StringIO("timestamp;temperature;humidity\\n"
    ...                               "2016-10-01 00:00:05;21,4;31,2\\n"))
    >>> raw.temp_c.tolist()
    [21.4]
    """
    text = _text(source)
    first = text.splitlines()[0] if text else ""
    sep = ";" if first.count(";") > first.count(",") else ","
    decimal = "," if sep == ";" else "."
    frame = pd.read_csv(io.StringIO(text), sep=sep, decimal=decimal)
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


def readings_frame(frame: pd.DataFrame, timezone: str | None = TZ, raw: bool = False):
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


def _to_utc(local: pd.Series, timezone: str | None) -> pd.DatetimeIndex:
    """Local wall-clock times (file order) to UTC; the first pass of a repeated hour is DST."""
    local = pd.DatetimeIndex(local)
    if timezone is None:
        return local.tz_localize("UTC")
    utc = local.tz_localize(timezone, ambiguous="NaT", nonexistent="shift_forward")
    ambiguous = np.flatnonzero(utc.isna() & local.notna())
    if len(ambiguous) == 0:
        return utc.tz_convert("UTC")
    amb = pd.Series(local[ambiguous])
    went_back = amb.diff() < -pd.Timedelta("30min")
    after = went_back.groupby(amb.dt.date.to_numpy()).cumsum().to_numpy() > 0
    fixed = pd.DatetimeIndex(amb).tz_localize(timezone, ambiguous=~after)
    values = utc.tz_convert("UTC").as_unit("ns").asi8.copy()
    values[ambiguous] = fixed.tz_convert("UTC").as_unit("ns").asi8
    return pd.DatetimeIndex(values.view("datetime64[ns]")).tz_localize("UTC")


def clean(raw: pd.DataFrame, timezone: str | None = TZ, freq: str = "1min") -> pd.DataFrame:
    """Clean parsed lines (``read_log`` or ``read_export``) into regular readings in UTC.

    Returns a DataFrame indexed by a tz-aware UTC ``DatetimeIndex`` at ``freq`` with columns
    ``temp_c``, ``rh_pct`` (NaN where missing or invalid), ``gap`` (no line at all) and
    ``flag`` (category, see ``FLAGS``). ``result.attrs["quality"]`` counts what was found.
    """
    if raw.empty:
        raise MonitoringInputError("the readings are empty; there is nothing to monitor")
    marker = pd.Categorical(raw["marker"], categories=MARKERS).codes
    boot, ntp, data = marker == 1, marker == 2, marker == 0
    state = pd.Series(np.where(boot, 1.0, np.where(ntp, 0.0, np.nan)))
    unsynced = (state.ffill().fillna(0).to_numpy() == 1) & data
    step = pd.Series(np.where(ntp, raw["step_s"].to_numpy(), np.nan)).bfill()
    frame = raw.loc[data, ["local", "temp_c", "rh_pct"]].copy()
    timed = frame["local"].notna().to_numpy()
    frame["unsynced"] = unsynced[data]
    frame["step_s"] = step.to_numpy()[data]
    frame = frame[timed]  # lines without a readable time cannot be placed
    # Unsynced lines with no NTP step after them cannot be placed: drop them.
    lost_clock = frame["unsynced"] & frame["step_s"].isna()
    frame = frame[~lost_clock]
    utc = _to_utc(frame["local"], timezone)
    shift_s = np.where(frame["unsynced"].to_numpy(), frame["step_s"].to_numpy(), 0.0)
    step_ns = pd.Timedelta(freq).value
    stamp_ns = utc.as_unit("ns").asi8 + np.round(shift_s * 1e9).astype(np.int64)
    minute_ns = stamp_ns - stamp_ns % step_ns

    temp = frame["temp_c"].to_numpy(dtype=float)
    rh = frame["rh_pct"].to_numpy(dtype=float)
    failed = np.isnan(temp) & np.isnan(rh)
    sentinel = np.zeros(len(temp), bool)
    for value in SENTINELS:
        sentinel |= (temp == value) | (rh == value)
    with np.errstate(invalid="ignore"):
        impossible = ~sentinel & (
            (temp < TEMP_RANGE[0])
            | (temp > TEMP_RANGE[1])
            | (rh < RH_RANGE[0])
            | (rh > RH_RANGE[1])
        )
    code = np.select(
        [sentinel, impossible, failed, frame["unsynced"].to_numpy()],
        [
            FLAGS.index("sentinel"),
            FLAGS.index("impossible"),
            FLAGS.index("failed_read"),
            FLAGS.index("clock_unsynced"),
        ],
        default=0,
    ).astype(np.int8)
    invalid = sentinel | impossible
    temp = np.where(invalid, np.nan, temp)
    rh = np.where(invalid, np.nan, rh)

    # Sort by time (stable, so the first line of a minute wins) and drop repeated minutes.
    order = np.argsort(minute_ns, kind="stable")
    minute_ns, temp, rh, code = minute_ns[order], temp[order], rh[order], code[order]
    repeated = np.zeros(len(minute_ns), bool)
    repeated[1:] = minute_ns[1:] == minute_ns[:-1]
    dup_minutes = np.unique(minute_ns[repeated])
    keep = ~repeated
    minute_ns, temp, rh, code = minute_ns[keep], temp[keep], rh[keep], code[keep]
    if len(minute_ns) == 0:
        raise MonitoringInputError("no reading has a usable time stamp")
    first = minute_ns[0]
    n = int((minute_ns[-1] - first) // step_ns) + 1
    pos = (minute_ns - first) // step_ns
    grid = pd.DatetimeIndex((first + np.arange(n, dtype=np.int64) * step_ns).view("datetime64[ns]"))
    grid = grid.tz_localize("UTC").rename("time")
    temp_out = np.full(n, np.nan)
    rh_out = np.full(n, np.nan)
    flag = np.full(n, FLAGS.index("gap"), dtype=np.int8)
    temp_out[pos], rh_out[pos], flag[pos] = temp, rh, code
    gap = flag == FLAGS.index("gap")
    dup_pos = (dup_minutes - first) // step_ns
    dup_pos = dup_pos[flag[dup_pos] == 0]
    flag[dup_pos] = FLAGS.index("duplicate")

    # Spikes: one reading more than the limit away from both neighbours, in the same direction.
    spikes = np.zeros(n, bool)
    for values, limit in ((temp_out, 3.0), (rh_out, 10.0)):
        series = pd.Series(values)
        before = series.ffill().shift(1).to_numpy()
        after = series.bfill().shift(-1).to_numpy()
        with np.errstate(invalid="ignore"):
            up = (values - before > limit) & (values - after > limit)
            down = (before - values > limit) & (after - values > limit)
        spikes |= up | down
    flag[spikes & ~gap] = FLAGS.index("spike")
    temp_out[spikes] = np.nan
    rh_out[spikes] = np.nan

    result = pd.DataFrame(
        {
            "temp_c": temp_out,
            "rh_pct": rh_out,
            "gap": gap,
            "flag": pd.Categorical.from_codes(flag, categories=FLAGS),
        },
        index=grid,
    )
    counts = np.bincount(flag, minlength=len(FLAGS))
    result.attrs["quality"] = {
        "lines": int(len(raw)),
        "markers": int((~data).sum()),
        "duplicate_lines": int(repeated.sum()),
        "unsynced_lines": int(unsynced.sum()),
        "unplaceable_lines": int(lost_clock.sum()),
        "minutes": int(len(result)),
        **{f"{name}_minutes": int(counts[i]) for i, name in enumerate(FLAGS)},
    }
    return result


def load_log(source=None, timezone: str | None = TZ) -> pd.DataFrame:
    """Read and clean a Yún log; without ``source`` the course's simulated 2016 log.

    >>> readings = load_log()  # doctest: +SKIP
    """
    if source is None:
        from ..datasets import path

        source = path("yun_server_room_2016")
    return clean(read_log(source), timezone=timezone)


def load_labels(source=None) -> pd.DataFrame:
    """The ground truth of the simulated log: ``kind``, ``category``, ``start``, ``end`` (UTC)."""
    if source is None:
        from ..datasets import path

        source = path("yun_server_room_2016_labels")
    labels = pd.read_csv(source)
    return check_labels(labels)


def check_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """Validate labels (``kind``, ``start``, ``end``) and make the times tz-aware UTC."""
    if not isinstance(labels, pd.DataFrame):
        raise MonitoringInputError(f"labels must be a DataFrame, got {type(labels).__name__}")
    missing = [c for c in ("kind", "start", "end") if c not in labels.columns]
    if missing:
        raise MonitoringInputError(
            f"labels miss column(s) {missing}; they need kind, start and end (UTC times)"
        )
    labels = labels.copy()
    for column in ("start", "end"):
        values = pd.to_datetime(labels[column], utc=True, errors="coerce")
        if values.isna().any():
            raise MonitoringInputError(f"labels column {column!r} has values that are not times")
        labels[column] = values
    if (labels["end"] < labels["start"]).any():
        raise MonitoringInputError("a label ends before it starts; swap its start and end")
    if "category" not in labels.columns:
        labels["category"] = "incident"
    return labels.reset_index(drop=True)
