"""A log of any length in memory that does not grow with it: read, clean and detect in chunks.

``run_file(path)`` reads the log a chunk of lines at a time, cleans each chunk, and detects
events on the chunk together with a warm-up tail of the readings before it: as many whole days
as the slowest rule remembers (the learned baseline's days of history, the predictive
window), aligned to whole days from the log's first minute, so each rule sees exactly what it
would see in one run over the whole log. An event is kept by the chunk it starts in; an event
still open at a chunk's end takes its end from the next chunk. Events are few, so the
incidents are correlated once at the end.

What one run holds: a chunk of lines, the warm-up tail and the events; not the log.
"""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .config import DEFAULT_CONFIG, TIMEZONE, MonitoringConfig, MonitoringInputError, parse_duration
from .events import EVENT_COLUMNS
from .incidents import correlate
from .log_format import FLAGS
from .rules import detect
from .yun_log import clean, decode, read_log

DAY = pd.Timedelta("1D")


@dataclass
class StreamResult:
    """What ``run_file`` returns: the events and incidents of the whole log, its span and
    the cleaning counts (``clean``'s ``quality``, summed over the chunks)."""

    events: pd.DataFrame
    incidents: pd.DataFrame
    start: pd.Timestamp
    end: pd.Timestamp
    minutes: int
    config: MonitoringConfig
    quality: dict = field(default_factory=dict)
    chunks: int = 0


def warmup_days(config: MonitoringConfig) -> int:
    """Whole days of readings a rule may look back on: the learned baseline's spread on a day
    uses the deviations of the days before it from *their* medians, which use the days
    before those, so twice its days of history; then the longest window of another rule."""
    longest = max(
        parse_duration(config.predict_window, "predict_window"),
        parse_duration(config.heartbeat_timeout, "heartbeat_timeout"),
        pd.Timedelta(config.baseline_smooth),
    )
    return 2 * int(config.baseline_days) + 2 + int(np.ceil(longest / DAY))


def _line_chunks(path: Path, lines: int):
    """The file's text, ``lines`` lines at a time (a line is never split)."""
    with open(path, "rb") as handle:
        while True:
            block = list(itertools.islice(handle, lines))
            if not block:
                return
            yield decode(b"".join(block), str(path))


def _regular(frame: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """FRAME on every minute from START to END; minutes it lacks are gaps."""
    grid = pd.date_range(start, end, freq="1min", name="time")
    if len(frame) == len(grid):
        return frame
    out = frame.reindex(grid)
    missing = out["gap"].isna()
    out["gap"] = out["gap"].fillna(True).astype(bool)
    flags = out["flag"].astype(object)
    flags[missing] = "gap"
    out["flag"] = pd.Categorical(flags, categories=FLAGS)
    return out


def run_file(
    source,
    config: MonitoringConfig = DEFAULT_CONFIG,
    timezone: str | None = TIMEZONE,
    chunk_lines: int = 500_000,
) -> StreamResult:
    """Read, clean and detect a Yún log (or a labelled text log) file in chunks of lines."""
    if not isinstance(config, MonitoringConfig):
        raise MonitoringInputError("config must be a MonitoringConfig (e.g. DEFAULT_CONFIG)")
    path = Path(source)
    if not path.is_file():
        raise MonitoringInputError(f"no file {str(path)!r}; check the path")
    if chunk_lines < 1000:
        raise MonitoringInputError("chunk_lines must be at least 1000 lines")
    warmup = warmup_days(config) * DAY
    first = last = None
    tail = None
    pending = None  # raw lines after a BOOT that no NTP step has placed yet
    events: list[pd.DataFrame] = []
    quality: dict[str, int] = {}
    chunks = 0
    for text in _line_chunks(path, chunk_lines):
        chunks += 1
        try:
            raw = read_log(io.StringIO(text))
        except MonitoringInputError:
            if chunks == 1:
                raise
            continue  # a chunk of comments or damaged lines: the counts below show it
        if pending is not None:
            raw = pd.concat([pending, raw], ignore_index=True)
            pending = None
        markers = np.flatnonzero(raw["marker"].to_numpy() != "")
        if len(markers) and raw["marker"].iloc[markers[-1]] == "BOOT":
            pending = raw.iloc[markers[-1] :].reset_index(drop=True)
            raw = raw.iloc[: markers[-1]].reset_index(drop=True)
            if len(pending) > 10 * chunk_lines:
                raise MonitoringInputError(
                    "the log restarted (BOOT) and its clock was never set again (no NTP line) "
                    f"for more than {10 * chunk_lines} lines: those readings cannot be placed"
                )
        if raw.empty:
            continue
        readings = clean(raw, timezone=timezone)
        for key, value in readings.attrs.get("quality", {}).items():
            quality[key] = quality.get(key, 0) + int(value)
        if last is not None:
            behind = readings.index <= last
            quality["duplicate_lines"] = quality.get("duplicate_lines", 0) + int(behind.sum())
            readings = readings[~behind]
            if readings.empty:
                continue
        if first is None:
            first = readings.index[0]
        own_start = readings.index[0]
        if tail is not None:
            # Whole days from the log's first minute, so every rule sees what one run would.
            days_back = int(np.ceil((own_start - warmup - first) / DAY))
            window_start = max(first + days_back * DAY, first)
            window = pd.concat([tail[tail.index >= window_start], readings])
            window = _regular(window, window.index[0], readings.index[-1])
        else:
            window = readings
        found = detect(window, config)
        if events and len(found):
            events[-1] = _close_open_events(events[-1], found)
        events.append(found[found["time"] >= own_start])
        last = readings.index[-1]
        keep_from = last - warmup - DAY
        tail = window[window.index >= keep_from]
    if pending is not None and first is None:
        raise MonitoringInputError("no reading of the log could be placed in time")
    if first is None:
        raise MonitoringInputError("the log has no readings; check the file")
    quality["unplaceable_lines"] = quality.get("unplaceable_lines", 0) + (
        0 if pending is None else int((pending["marker"] == "").sum())
    )
    all_events = pd.concat(events, ignore_index=True) if events else pd.DataFrame()
    all_events = all_events.sort_values(["time", "rule"], kind="stable").reset_index(drop=True)
    minutes = int((last - first) / pd.Timedelta("1min")) + 1
    quality["minutes"] = minutes
    return StreamResult(
        all_events[EVENT_COLUMNS],
        correlate(all_events, config),
        first,
        last,
        minutes,
        config,
        quality,
        chunks,
    )


def _close_open_events(previous: pd.DataFrame, found: pd.DataFrame) -> pd.DataFrame:
    """Events of the previous chunk that were still open take their end from this window."""
    still_open = previous["end"].isna()
    if not still_open.any():
        return previous
    key = ["time", "rule", "metric"]
    ends = found.drop_duplicates(key).set_index(key)["end"]
    previous = previous.copy()
    for row in previous.index[still_open]:
        ident = tuple(previous.loc[row, key])
        if ident in ends.index:
            previous.loc[row, "end"] = ends.loc[ident]
    return previous
