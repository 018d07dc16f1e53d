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
    return fast if fast is not None else _read_general(text)


def _read_general(text: str) -> pd.DataFrame:
    """Any log, field by field: the reference that ``_read_fast`` must agree with."""
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
        table["b"].where(marker == "NTP").str.extract(_NUMBER, expand=False), errors="coerce"
    )
    frame = pd.DataFrame(
        {"local": local, "temp_c": temp, "rh_pct": rh, "marker": marker, "step_s": step}
    )
    return frame[local.notna()].reset_index(drop=True)


_NUMBER = r"([-+]?\d+(?:\.\d+)?)"
_NUMBER_START = np.zeros(256, bool)  # first byte of a value: a digit, "-", "." or "nan"
_NUMBER_START[np.frombuffer(b"0123456789-.n", np.uint8)] = True
_BAD = -(1 << 24)  # any sum of three table entries with one _BAD in it is negative


def _pair_table(count: int, scale: int) -> np.ndarray:
    """Two ASCII digits read as a little-endian uint16 -> value * scale (``_BAD`` if invalid)."""
    table = np.full(1 << 16, _BAD, np.int32)
    for value in range(count):
        text = f"{value:02d}".encode()
        table[text[0] | text[1] << 8] = value * scale
    return table


_HOURS, _MINUTES, _SECONDS = _pair_table(24, 3600), _pair_table(60, 60), _pair_table(60, 1)


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
    """Parse a well-formed log without a Python object per line (a year in ~0.1 s).

    The time stamp is fixed-width, so it is read from the bytes with array arithmetic: the
    date only where it differs from the line before (a few hundred dates a year) and the
    clock through tables of digit pairs. The two values go to pandas' C parser with the time
    column skipped; the rare BOOT/NTP lines are parsed one by one. Returns ``None`` for
    anything unusual (a line without exactly two tabs, an impossible time, CR line ends,
    quotes) so that ``_read_general`` decides, which keeps the behaviour identical.
    """
    data = text.encode("utf-8")
    if b"\r" in data or b'"' in data or len(data) < 21:
        return None
    buf = np.frombuffer(data, np.uint8)
    found = np.empty(len(buf), bool)  # one scratch array for both scans: fewer page faults
    lines = np.concatenate(([0], np.flatnonzero(np.equal(buf, 10, out=found)) + 1, [len(data) + 1]))
    first = buf[np.minimum(lines[:-1], len(data) - 1)]
    comment = first == ord("#")
    starts = lines[:-1][~comment & (first != 10) & (lines[:-1] < len(data))]
    if len(starts) == 0:
        raise MonitoringInputError("the log has no readings; check the file")

    # Exactly two tabs per line, the first right after the time stamp (tabs in comments aside).
    tabs = np.flatnonzero(np.equal(buf, 9, out=found))
    del found
    if comment.any():
        skipped = np.flatnonzero(comment)
        lo, hi = np.searchsorted(tabs, lines[skipped]), np.searchsorted(tabs, lines[skipped + 1])
        if (hi > lo).any():
            inside = np.zeros(len(tabs) + 1, np.int64)
            np.add.at(inside, lo, 1)
            np.add.at(inside, hi, -1)
            tabs = tabs[np.cumsum(inside[:-1]) == 0]
    if len(tabs) != 2 * len(starts) or not (tabs[0::2] == starts + 19).all():
        return None

    # Clock "HH:MM:SS" as one uint64 per line: colons checked, digit pairs looked up.
    words = np.ndarray((len(data) - 7,), "<u8", data, 0, (1,))
    clock = words[starts + 11]
    if ((clock & 0x0000FF0000FF0000) != 0x00003A00003A0000).any():
        return None
    seconds = _HOURS[clock & 0xFFFF] + _MINUTES[(clock >> 24) & 0xFFFF] + _SECONDS[clock >> 48]
    if (seconds < 0).any():
        return None
    # Date "YYYY-MM-DD " (11 bytes): parsed only on the lines where it changes.
    key = np.ndarray((len(data) - 3,), "<u4", data, 0, (1,))[starts + 7]
    date = words[starts]
    changed = np.ones(len(starts), bool)
    changed[1:] = (date[1:] != date[:-1]) | (key[1:] != key[:-1])
    at = np.flatnonzero(changed)
    days = _days(np.ndarray((len(data) - 10,), "S11", data, 0, (1,))[starts[at]])
    if days is None:
        return None
    days = np.repeat(days, np.diff(np.append(at, len(starts))))
    local = ((days * 86_400 + seconds) * 1_000_000).view("datetime64[us]")

    # BOOT and NTP lines: few, so plain Python; the C parser reads their fields as NaN.
    code = np.zeros(len(starts), np.int8)
    step = np.full(len(starts), np.nan)
    notes = {"a": ["BOOT", "NTP"], "b": []}
    for i in np.flatnonzero(~_NUMBER_START[buf[starts + 20]]):
        end = data.find(b"\n", starts[i])
        fields = data[starts[i] : end if end >= 0 else len(data)].decode("utf-8").split("\t")
        if fields[1] not in MARKERS[1:] or "#" in fields[2]:
            return None
        code[i] = MARKERS.index(fields[1])
        number = re.search(_NUMBER, fields[2]) if fields[1] == "NTP" else None
        step[i] = float(number.group(1)) if number else np.nan
        notes["b"].append(fields[2])
    try:
        table = pd.read_csv(
            io.BytesIO(data),
            sep="\t",
            header=None,
            names=["local", "a", "b"],
            usecols=["a", "b"],
            comment="#",
            dtype={"a": float, "b": float},
            na_values=notes,
            engine="c",
        )
    except (ValueError, pd.errors.ParserError):
        return None
    if len(table) != len(starts):
        return None
    return pd.DataFrame(
        {
            "local": local,
            "temp_c": table["a"].to_numpy(),
            "rh_pct": table["b"].to_numpy(),
            "marker": pd.Categorical.from_codes(code, categories=MARKERS),
            "step_s": step,
        },
        copy=False,
    )


def _days(dates: np.ndarray) -> np.ndarray | None:
    """Days since 1970 of ``YYYY-MM-DD `` byte strings; ``None`` if one is not a real date."""
    head = dates.view(np.uint8).reshape(-1, 11)
    if not (head[:, [4, 7, 10]] == np.frombuffer(b"-- ", np.uint8)).all():
        return None
    digits = head[:, [0, 1, 2, 3, 5, 6, 8, 9]] - np.uint8(48)  # non-digits wrap round to > 9
    if (digits > 9).any():
        return None
    d = digits.astype(np.int64)
    year = d[:, 0] * 1000 + d[:, 1] * 100 + d[:, 2] * 10 + d[:, 3]
    month, day = d[:, 4] * 10 + d[:, 5], d[:, 6] * 10 + d[:, 7]
    if year.min() < 1900 or year.max() > 2200 or not ((month >= 1) & (month <= 12)).all():
        return None
    months = (year - 1970) * 12 + month - 1
    starts = np.arange(months.min(), months.max() + 2).astype("datetime64[M]")
    starts = starts.astype("datetime64[D]").astype(np.int64)
    at = months - months.min()
    if not ((day >= 1) & (day <= starts[at + 1] - starts[at])).all():
        return None
    return starts[at] + day - 1


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


_HOUR_NS = 3_600_000_000_000
_NAT = np.iinfo(np.int64).min


def _localize(ns: np.ndarray, timezone: str, **how) -> np.ndarray:
    """``tz_localize`` on nanoseconds, to UTC nanoseconds (NaT as the smallest int64)."""
    utc = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize(timezone, **how)
    return utc.asi8


def _to_utc(local_ns: np.ndarray, timezone: str | None) -> np.ndarray:
    """Local wall-clock times (file order, nanoseconds) to UTC nanoseconds; the first pass of
    a repeated hour is DST.

    Time zones change their offset at most once within an hour, so the offset is looked up
    once per run of lines in the same clock hour; only the hours with a change (the DST
    switches) go through ``tz_localize`` line by line.
    """
    if timezone is None:
        return local_ns.copy()
    hours = local_ns // _HOUR_NS
    first = np.flatnonzero(np.diff(hours, prepend=hours[:1] - 1))
    lengths = np.diff(np.append(first, len(hours)))
    start = hours[first] * _HOUR_NS
    begin = _localize(start, timezone, ambiguous="NaT", nonexistent="NaT")
    end = _localize(start + _HOUR_NS - 1, timezone, ambiguous="NaT", nonexistent="NaT")
    regular = (begin != _NAT) & (end != _NAT) & (end - begin == _HOUR_NS - 1)
    utc = local_ns - np.repeat(np.where(regular, start - begin, 0), lengths)
    if not regular.all():
        odd = np.flatnonzero(np.repeat(~regular, lengths))
        utc[odd] = _localize(local_ns[odd], timezone, ambiguous="NaT", nonexistent="shift_forward")
    ambiguous = np.flatnonzero(utc == _NAT)
    if len(ambiguous) == 0:
        return utc
    amb = pd.Series(local_ns[ambiguous].view("datetime64[ns]"))
    went_back = amb.diff() < -pd.Timedelta("30min")
    after = went_back.groupby(amb.dt.date.to_numpy()).cumsum().to_numpy() > 0
    utc[ambiguous] = _localize(local_ns[ambiguous], timezone, ambiguous=~after)
    return utc


def _spikes(values: np.ndarray, limit: float) -> np.ndarray:
    """One reading more than ``limit`` away from both valid neighbours, in the same
    direction (gaps and NaNs are skipped over)."""
    valid = np.flatnonzero(~np.isnan(values))
    step = np.diff(values[valid])  # step[i]: from valid reading i to valid reading i + 1
    up = (step[:-1] > limit) & (step[1:] < -limit)
    down = (step[:-1] < -limit) & (step[1:] > limit)
    spikes = np.zeros(len(values), bool)
    spikes[valid[1:-1]] = up | down
    return spikes


def clean(raw: pd.DataFrame, timezone: str | None = TZ, freq: str = "1min") -> pd.DataFrame:
    """Clean parsed lines (``read_log`` or ``read_export``) into regular readings in UTC.

    Returns a DataFrame indexed by a tz-aware UTC ``DatetimeIndex`` at ``freq`` with columns
    ``temp_c``, ``rh_pct`` (NaN where missing or invalid), ``gap`` (no line at all) and
    ``flag`` (category, see ``FLAGS``). ``result.attrs["quality"]`` counts what was found.
    """
    if raw.empty:
        raise MonitoringInputError("the readings are empty; there is nothing to monitor")
    marker = pd.Categorical(raw["marker"], categories=MARKERS).codes
    data = marker == 0
    n_lines = len(marker)
    # A BOOT marker makes the lines up to the next marker unsynced; each line takes the step
    # of the next NTP marker that has one. Markers are few: work on their positions.
    markers = np.flatnonzero(~data)
    after_marker = np.diff(np.concatenate(([0], markers + 1, [n_lines])))
    unsynced = np.repeat(np.append(False, marker[markers] == 1), after_marker) & data
    step_s = raw["step_s"].to_numpy(dtype=float)
    ntp = markers[(marker[markers] == 2) & ~np.isnan(step_s[markers])]
    to_ntp = np.diff(np.concatenate(([0], ntp + 1, [n_lines])))
    step = np.repeat(np.append(step_s[ntp], np.nan), to_ntp)
    local_ns = pd.DatetimeIndex(raw["local"]).as_unit("ns").asi8
    lost_clock = data & (local_ns != _NAT) & unsynced & np.isnan(step)
    # Lines without a readable time, or unsynced with no NTP step after them, cannot be placed.
    placed = data & (local_ns != _NAT) & ~lost_clock
    if placed.all():
        placed = slice(None)
    stamp_ns = _to_utc(local_ns[placed], timezone)
    unsynced_placed = unsynced[placed]
    moved = np.flatnonzero(unsynced_placed)
    stamp_ns[moved] += np.round(step[placed][moved] * 1e9).astype(np.int64)
    step_ns = pd.Timedelta(freq).value
    minute_ns = stamp_ns - stamp_ns % step_ns

    temp = raw["temp_c"].to_numpy(dtype=float)[placed]
    rh = raw["rh_pct"].to_numpy(dtype=float)[placed]
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
        [sentinel, impossible, failed, unsynced_placed],
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

    spikes = _spikes(temp_out, 3.0) | _spikes(rh_out, 10.0)
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
