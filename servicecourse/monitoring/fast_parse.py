"""A fast parser of well-formed Yún logs: an optimisation of ``yun_log.read_log_general``.

``read_log_general`` is the reference: it reads any log, field by field, with pandas. This
module reads the common case (every line well formed) without a Python object per line, a
year in ~0.1 s, and returns ``None`` for anything unusual so that the general reader decides;
the two must give identical frames (``tests/test_monitoring.py`` checks them on the course
log, on odd lines and on random logs). Change the general reader first; if this one then
disagrees, fix or narrow it, never the other way round.
"""

from __future__ import annotations

import io
import re

import numpy as np
import pandas as pd

from .config import MonitoringInputError
from .log_format import MARKERS, NTP_STEP

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


def read_log_fast(text: str) -> pd.DataFrame | None:
    """Parse a well-formed log without a Python object per line (a year in ~0.1 s).

    The time stamp is fixed-width, so it is read from the bytes with array arithmetic: the
    date only where it differs from the line before (a few hundred dates a year) and the
    clock through tables of digit pairs. The two values go to pandas' C parser with the time
    column skipped; the rare BOOT/NTP lines are parsed one by one. Returns ``None`` for
    anything unusual (a line without exactly two tabs, an impossible time, CR line ends,
    quotes) so that ``read_log_general`` decides, which keeps the behaviour identical.
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
        number = re.search(NTP_STEP, fields[2]) if fields[1] == "NTP" else None
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
