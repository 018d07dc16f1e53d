"""Local wall-clock time ↔ UTC on arrays of nanoseconds, with one offset lookup per hour.

The log is stamped in local time and the baseline learns local hours, so a year of minutes
crosses the time-zone machinery twice. Converting each time with pandas costs as much as a
rule; but a zone changes its offset at most once within an hour, so ``shift_by_clock_hour``
looks the offset up at the start and the end of each clock hour and converts time by time
only in the (few) hours where the two differ: the DST switches.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

HOUR_NS = 3_600_000_000_000
NAT = np.iinfo(np.int64).min
"""``NaT`` as int64 nanoseconds."""


def shift_by_clock_hour(ns: np.ndarray, offset, exact) -> np.ndarray:
    """``ns + offset(ns)`` with the offset looked up once per run of times in one clock hour.

    ``offset(times)`` returns the offset of each time in nanoseconds (``NAT`` where it is
    undefined); in the hours where the offsets at the start and the end differ, or either is
    undefined, each time is converted by ``exact(times)`` instead.
    """
    hours = ns // HOUR_NS
    first = np.flatnonzero(np.diff(hours, prepend=hours[:1] - 1))
    lengths = np.diff(np.append(first, len(hours)))
    start = hours[first] * HOUR_NS
    begin, end = offset(start), offset(start + HOUR_NS - 1)
    regular = (begin != NAT) & (end != NAT) & (begin == end)
    shifted = ns + np.repeat(np.where(regular, begin, 0), lengths)
    if not regular.all():
        odd = np.flatnonzero(np.repeat(~regular, lengths))
        shifted[odd] = exact(ns[odd])
    return shifted


def localize_ns(ns: np.ndarray, timezone, **how) -> np.ndarray:
    """``tz_localize`` on local nanoseconds, to UTC nanoseconds (``NAT`` where ``how`` says)."""
    return pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize(timezone, **how).asi8


def wall_clock_ns(index: pd.DatetimeIndex, timezone) -> np.ndarray:
    """Local wall-clock time of a tz-aware index in nanoseconds (``tz_convert``, faster)."""
    utc = index.as_unit("ns").asi8
    if timezone is None or str(timezone) == "UTC":
        return utc
    if len(index) < 2 or not index.is_monotonic_increasing:
        return index.tz_convert(timezone).tz_localize(None).as_unit("ns").asi8

    def offset(ns):
        times = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
        return times.tz_convert(timezone).tz_localize(None).asi8 - ns

    return shift_by_clock_hour(utc, offset, lambda ns: ns + offset(ns))


def local_to_utc_ns(local_ns: np.ndarray, timezone: str | None) -> np.ndarray:
    """Local wall-clock times (in file order, nanoseconds) to UTC nanoseconds.

    When summer time starts, the local hour that is skipped does not exist; a stamp in it
    comes from a clock that has not moved on yet (still winter time), so it is read as winter
    time (it keeps its place between its neighbours; none is lost). When summer time ends, one
    local hour occurs twice: its first pass is summer time and a step back of more than 30
    minutes within the day starts the second pass (winter time). A log that starts inside the
    repeated hour (or after a gap of more than an hour) and never steps back is in its second
    pass: the first pass would have been followed by the step back.

    >>> local = pd.DatetimeIndex(["2016-10-30 03:59", "2016-10-30 03:00"]).as_unit("ns").asi8
    >>> pd.DatetimeIndex(local_to_utc_ns(local, "Europe/Helsinki")).strftime("%H:%M").tolist()
    ['00:59', '01:00']
    >>> spring = pd.DatetimeIndex(["2016-03-27 02:59", "2016-03-27 03:30", "2016-03-27 04:01"])
    >>> utc = local_to_utc_ns(spring.as_unit("ns").asi8, "Europe/Helsinki")
    >>> pd.DatetimeIndex(utc).strftime("%H:%M").tolist()
    ['00:59', '01:30', '01:01']
    """
    if timezone is None:
        return local_ns.copy()

    def offset(ns):
        utc = localize_ns(ns, timezone, ambiguous="NaT", nonexistent="NaT")
        return np.where(utc == NAT, NAT, utc - ns)

    def exact(ns):
        utc = localize_ns(ns, timezone, ambiguous="NaT", nonexistent="NaT")
        skipped = (utc == NAT) & (
            localize_ns(ns, timezone, ambiguous=True, nonexistent="NaT") == NAT
        )
        if skipped.any():
            # A skipped stamp is still on the offset before the switch (winter time).
            switch = localize_ns(ns[skipped], timezone, ambiguous=True, nonexistent="shift_forward")
            before = switch - 1
            wall = pd.DatetimeIndex(before.view("datetime64[ns]")).tz_localize("UTC")
            offset_before = wall.tz_convert(timezone).tz_localize(None).asi8 - before
            utc[skipped] = ns[skipped] - offset_before
        return utc

    utc = shift_by_clock_hour(local_ns, offset, exact)
    ambiguous = np.flatnonzero(utc == NAT)
    if len(ambiguous) == 0:
        return utc
    amb = pd.Series(local_ns[ambiguous].view("datetime64[ns]"))
    day = amb.dt.date.to_numpy()
    went_back = amb.diff() < -pd.Timedelta("30min")
    after = went_back.groupby(day).cumsum().to_numpy() > 0
    # Where each day's ambiguous run starts: at the log's first line, or after a gap of more
    # than an hour, with no step back in the run, the stamps are the second pass.
    first_of_day = np.r_[True, day[1:] != day[:-1]]
    for start in np.flatnonzero(first_of_day):
        end = start + int((day == day[start]).sum())
        if after[start:end].any():
            continue
        position = ambiguous[start]
        previous = local_ns[position - 1] if position > 0 else NAT
        if previous == NAT or local_ns[position] - previous > HOUR_NS:
            after[start:end] = True
    utc[ambiguous] = localize_ns(local_ns[ambiguous], timezone, ambiguous=~after)
    return utc


def day_and_hour(index: pd.DatetimeIndex, timezone: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Day number (from the first local day) and local hour of each time.

    >>> index = pd.date_range("2016-10-01 20:00", periods=3, freq="2h", tz="UTC")
    >>> [a.tolist() for a in day_and_hour(index, "Europe/Helsinki")]
    [[0, 1, 1], [23, 1, 3]]
    """
    ns = wall_clock_ns(index, timezone or index.tz)
    hours = ns // HOUR_NS
    day = hours // 24
    return day - day[0], hours - day * 24
