"""The events table: its columns, and how the rules build it.

A rule describes its episodes as a few arrays (an *event part*); ``events_frame`` joins the
parts of all rules into one DataFrame at the end, which is much cheaper than a DataFrame per
rule and a ``pd.concat``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .arrays import episodes
from .clock import NAT

EVENT_COLUMNS = ["time", "end", "rule", "metric", "severity", "value", "message"]


def empty_events() -> pd.DataFrame:
    """An events table without rows, with the column types of a full one."""
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})
    frame["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["end"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["value"] = pd.Series(dtype=float)
    return frame


def event_parts(index, state, values, rule, metric, severity, message) -> list[dict]:
    """The episodes of ``state`` (a boolean array, or ``(starts, ends)`` positions) as event
    parts: a list with one dict of arrays, or an empty list.

    Each episode's ``value`` is ``values`` at its start, its ``end`` the time it clears (NaT
    while still firing when the data end); ``message`` is a text or a function of the values.
    """
    starts, ends = state if isinstance(state, tuple) else episodes(state)
    if len(starts) == 0:
        return []
    start_ns = index[starts].as_unit("ns").asi8
    end = index[np.minimum(ends, len(index) - 1)].as_unit("ns").asi8.copy()
    end[ends >= len(index)] = NAT
    value = np.asarray(values, float)[starts]
    text = message(value) if callable(message) else [message] * len(starts)
    return [
        {
            "time": start_ns,
            "end": end,
            "rule": [rule] * len(starts),
            "metric": [metric] * len(starts),
            "severity": [severity] * len(starts),
            "value": value,
            "message": list(text),
        }
    ]


def events_frame(parts: list[dict]) -> pd.DataFrame:
    """One events DataFrame from event parts (in the order given)."""
    parts = [p for p in parts if p]
    if not parts:
        return empty_events()
    joined = {key: np.concatenate([p[key] for p in parts]) for key in EVENT_COLUMNS}
    for key in ("time", "end"):
        joined[key] = pd.DatetimeIndex(joined[key].view("datetime64[ns]")).tz_localize("UTC")
    return pd.DataFrame(joined, columns=EVENT_COLUMNS)
