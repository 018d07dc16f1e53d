"""Read the Yún's raw text log and clean it into one-minute readings in UTC.

The log is tab-separated: ``local time<TAB>temp_c<TAB>rh_pct`` (see ``log_format``).
``read_log_general`` reads any log and is the reference; ``read_log`` tries the optimised
``fast_parse.read_log_fast`` first. Cleaning, step by step:

1. **Clock**: lines between a ``BOOT`` marker and the next ``NTP`` marker were stamped by an
   unsynchronised clock; they are moved by the step ntpd reports and flagged
   ``clock_unsynced`` (dropped if no ``NTP`` line follows).
2. **Time zone**: local time (``config.TIMEZONE``) becomes UTC. When summer time ends the hour
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
from pathlib import Path

import numpy as np
import pandas as pd

from .clock import NAT, local_to_utc_ns
from .config import TIMEZONE, MonitoringInputError
from .fast_parse import read_log_fast
from .log_format import (
    FLAGS,
    MARKERS,
    NTP_STEP,
    RH_RANGE,
    SENTINELS,
    TEMP_RANGE,
    LogFormatError,
)
from .text_export import looks_labelled, read_labelled_text

_EXPORT_HINT = (
    "read it with servicecourse.monitoring.read_export(path), which accepts comma- or "
    "semicolon-separated exports with a header such as timestamp,temperature,humidity"
)


def decode(data: bytes, where: str = "the log") -> str:
    """Text of a log's bytes. Cleaning, documented: UTF-8 (with or without a byte-order mark);
    if that fails, Latin-1, which older loggers write (``°`` as one byte). Bytes with NUL in
    them are not text at all, and are refused."""
    if b"\x00" in data[:100_000]:
        raise MonitoringInputError(
            f"{where} is a binary file, not text; export the readings as text (CSV or the "
            "logger's tab-separated log)"
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def source_text(source) -> str:
    """The text of a log given as a path, an open file (text or binary), bytes or the text."""
    if isinstance(source, (bytes, bytearray)):
        return decode(bytes(source))
    if isinstance(source, Path) or (
        isinstance(source, str) and "\n" not in source and "\t" not in source
    ):
        path = Path(source)
        if not path.is_file():
            raise MonitoringInputError(f"no file {str(path)!r}; check the path")
        return decode(path.read_bytes(), str(path))
    if isinstance(source, str):
        return source
    if hasattr(source, "read"):
        try:
            content = source.read()
        except UnicodeDecodeError as error:
            raise MonitoringInputError(
                f"the file is not in the encoding it was opened with ({error.reason}); open it "
                "in binary mode (open(path, 'rb')) or pass its path, and the encoding is found"
            ) from None
        return decode(content) if isinstance(content, (bytes, bytearray)) else str(content)
    if isinstance(source, os.PathLike):
        return source_text(Path(source))
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
    text = source_text(source)
    head = text[:20_000].splitlines()[:50]
    body = [line for line in head if line.strip() and not line.startswith("#")]
    if not body:
        raise MonitoringInputError(
            "the log has no readings (only comments or empty lines); check that the file is "
            "the Yún's log and not empty"
        )
    first = body[0]
    if "\t" not in first and looks_labelled(body[:20]):
        return read_labelled_text(text)
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
    fast = read_log_fast(text)
    return fast if fast is not None else read_log_general(text)


def read_log_general(text: str) -> pd.DataFrame:
    """Any log, field by field: the reference that ``fast_parse.read_log_fast`` must
    agree with (``read_log`` tries the fast one first)."""
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
    local = parse_local_times(table["local"])
    # Tab-separated fields have no other use for a comma: 21,4 is a decimal comma.
    temp = pd.to_numeric(
        table["a"].where(~is_marker).str.replace(",", ".", regex=False), errors="coerce"
    )
    rh = pd.to_numeric(
        table["b"].where(~is_marker).str.replace(",", ".", regex=False), errors="coerce"
    )
    step = pd.to_numeric(
        table["b"].where(marker == "NTP").str.extract(NTP_STEP, expand=False), errors="coerce"
    )
    frame = pd.DataFrame(
        {"local": local, "temp_c": temp, "rh_pct": rh, "marker": marker, "step_s": step}
    )
    return frame[local.notna()].reset_index(drop=True)


def parse_local_times(local: pd.Series) -> pd.Series:
    """Naive local times of the stamps (NaT if unreadable); most must parse, or it's no log."""
    parsed = pd.to_datetime(local, format="%Y-%m-%d %H:%M:%S", errors="coerce")
    bad = parsed.isna()
    if bad.mean() > 0.5:
        raise LogFormatError(
            f"most time stamps do not parse (e.g. {local.iloc[int(bad.argmax())]!r}); "
            "a Yún log stamps each line 'YYYY-MM-DD HH:MM:SS' in local time"
        )
    return parsed


def isolated_spikes(values: np.ndarray, limit: float) -> np.ndarray:
    """One reading more than ``limit`` away from both valid neighbours, in the same
    direction (gaps and NaNs are skipped over)."""
    valid = np.flatnonzero(~np.isnan(values))
    step = np.diff(values[valid])  # step[i]: from valid reading i to valid reading i + 1
    up = (step[:-1] > limit) & (step[1:] < -limit)
    down = (step[:-1] < -limit) & (step[1:] > limit)
    found = np.zeros(len(values), bool)
    found[valid[1:-1]] = up | down
    return found


def clean(raw: pd.DataFrame, timezone: str | None = TIMEZONE, freq: str = "1min") -> pd.DataFrame:
    """Clean parsed lines (``read_log`` or ``read_export``) into regular readings in UTC.

    Returns a DataFrame indexed by a tz-aware UTC ``DatetimeIndex`` at ``freq`` with columns
    ``temp_c``, ``rh_pct`` (NaN where missing or invalid), ``gap`` (no line at all) and
    ``flag`` (category, see ``FLAGS``). ``result.attrs["quality"]`` counts what was found.
    """
    if raw.empty:
        raise MonitoringInputError("the readings are empty; there is nothing to monitor")
    if raw.attrs.get("timezone") == "UTC":  # read_export found exact (UTC) times
        timezone = None
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
    lost_clock = data & (local_ns != NAT) & unsynced & np.isnan(step)
    # Lines without a readable time, or unsynced with no NTP step after them, cannot be placed.
    placed = data & (local_ns != NAT) & ~lost_clock
    if placed.all():
        placed = slice(None)
    stamp_ns = local_to_utc_ns(local_ns[placed], timezone)
    unsynced_placed = unsynced[placed]
    moved = np.flatnonzero(unsynced_placed)
    stamp_ns[moved] += np.round(step[placed][moved] * 1e9).astype(np.int64)
    step_ns = pd.Timedelta(freq).value
    # Each reading goes to the nearest step (a reading stamped 12:00:59 is the 12:01 one):
    # flooring would put a :59 export's readings on the minute before and make false gaps.
    minute_ns = (stamp_ns + step_ns // 2) // step_ns * step_ns

    temp = raw["temp_c"].to_numpy(dtype=float)[placed]
    rh = raw["rh_pct"].to_numpy(dtype=float)[placed]
    if len(temp) and np.isnan(temp).all():
        raise MonitoringInputError(
            "no temperature in the log is a number: check the decimal separator (21.4, or "
            "21,4 with a semicolon-separated export) and that the temperature column is the "
            "right one"
        )
    failed = np.isnan(temp) & np.isnan(rh)
    # A DHT22 that lost power or its data line reports 0.0 °C and 0 %RH together; indoor air
    # is never both, so such a pair is a failed reading, not data.
    zero_pair = (temp == 0.0) & (rh == 0.0)
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
        [sentinel, impossible, failed, zero_pair, unsynced_placed],
        [
            FLAGS.index("sentinel"),
            FLAGS.index("impossible"),
            FLAGS.index("failed_read"),
            FLAGS.index("zero_pair"),
            FLAGS.index("clock_unsynced"),
        ],
        default=0,
    ).astype(np.int8)
    invalid = sentinel | impossible | zero_pair
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

    spikes = isolated_spikes(temp_out, 3.0) | isolated_spikes(rh_out, 10.0)
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
        "restarts": int((marker == MARKERS.index("RESTART")).sum()),
        "skipped_lines": int(raw.attrs.get("skipped_lines", 0)),
        "duplicate_lines": int(repeated.sum()),
        "unsynced_lines": int(unsynced.sum()),
        "unplaceable_lines": int(lost_clock.sum()),
        "minutes": int(len(result)),
        **{f"{name}_minutes": int(counts[i]) for i, name in enumerate(FLAGS)},
    }
    return result


def load_log(source=None, timezone: str | None = TIMEZONE) -> pd.DataFrame:
    """Read and clean a Yún log; without ``source`` the course's simulated 2016 log.

    >>> readings = load_log()  # doctest: +SKIP
    """
    if source is None:
        from ..datasets import path

        source = path("yun_server_room_2016")
    return clean(read_log(source), timezone=timezone)
