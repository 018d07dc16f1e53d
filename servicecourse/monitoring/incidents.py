"""Correlation: deduplicate events and group them into incidents with a priority.

Events whose episodes overlap or follow each other within ``merge_gap`` belong to one
incident, so a flapping or repeating alert stays one incident. Informational events are
notes, not incidents. Each incident's impact and urgency are the highest of its events'
(from ``config.impact`` and ``config.urgency`` by rule) and its priority comes from the
impact × urgency matrix (``config.PRIORITY``).

>>> priority("high", "high"), priority("medium", "low"), priority("low", "low")
(1, 4, 5)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .config import (
    DEFAULT_CONFIG,
    LEVELS,
    PRIORITY,
    MonitoringConfig,
    parse_duration,
)

PRIORITY_BY_RANK = PRIORITY.loc[list(LEVELS), list(LEVELS)].to_numpy()
"""``PRIORITY`` indexed by the positions of impact and urgency in ``LEVELS``."""

INCIDENT_COLUMNS = [
    "start",
    "end",
    "rules",
    "metrics",
    "n_events",
    "impact",
    "urgency",
    "priority",
    "summary",
]


def priority(impact: str, urgency: str) -> int:
    """Priority from the impact × urgency matrix."""
    if impact not in LEVELS or urgency not in LEVELS:
        raise ValueError(f"impact and urgency must be one of {LEVELS}")
    return int(PRIORITY.loc[impact, urgency])


def correlate(events: pd.DataFrame, config: MonitoringConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """Group non-informational events into incidents (one per episode).

    >>> t = pd.Timestamp("2016-10-11 11:00", tz="UTC")
    >>> events = pd.DataFrame({"time": [t, t + pd.Timedelta("5min")],
    ...     "end": [t + pd.Timedelta("9min"), t + pd.Timedelta("40min")],
    ...     "rule": ["rate_of_change", "threshold_critical"], "metric": ["temp_c"] * 2,
    ...     "severity": ["warning", "exception"], "value": [2.4, 32.1], "message": ["", ""]})
    >>> correlate(events)[["n_events", "impact", "urgency", "priority"]].values.tolist()
    [[2, 'high', 'high', 1]]
    """
    alerts = events[events["severity"] != "informational"]
    if alerts.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in INCIDENT_COLUMNS})
    alerts = alerts.sort_values("time", kind="stable")
    start = pd.DatetimeIndex(alerts["time"]).as_unit("ns").asi8
    end = pd.DatetimeIndex(alerts["end"].fillna(alerts["time"])).as_unit("ns").asi8
    gap = parse_duration(config.merge_gap, "merge_gap").value
    reach = np.maximum.accumulate(end)
    new = np.ones(len(start), bool)
    new[1:] = start[1:] > reach[:-1] + gap
    rank = {level: i for i, level in enumerate(LEVELS)}
    impact = alerts["rule"].map(config.impact).fillna("low").map(rank).to_numpy(dtype=int)
    urgency = alerts["rule"].map(config.urgency).fillna("low").map(rank).to_numpy(dtype=int)
    first = np.flatnonzero(new)
    bounds = np.r_[first, len(start)]
    nat = np.iinfo(np.int64).min
    end_raw = pd.DatetimeIndex(alerts["end"]).as_unit("ns").asi8
    still_open = np.logical_or.reduceat(end_raw == nat, first)
    end_max = np.maximum.reduceat(end_raw, first)
    end_max[still_open] = nat
    rule = alerts["rule"].to_numpy(dtype=object)
    metric = alerts["metric"].to_numpy(dtype=object)
    # One short join per incident (there are few incidents; the readings are never looped).
    pairs = zip(bounds[:-1], bounds[1:], strict=True)
    names = [
        (", ".join(sorted(set(rule[a:b]))), ", ".join(sorted(set(metric[a:b])))) for a, b in pairs
    ]
    worst_impact = np.maximum.reduceat(impact, first)
    worst_urgency = np.maximum.reduceat(urgency, first)
    levels = np.array(LEVELS, dtype=object)
    return pd.DataFrame(
        {
            "start": pd.DatetimeIndex(start[first].view("datetime64[ns]")).tz_localize("UTC"),
            "end": pd.DatetimeIndex(end_max.view("datetime64[ns]")).tz_localize("UTC"),
            "rules": [n[0] for n in names],
            "metrics": [n[1] for n in names],
            "n_events": np.diff(bounds),
            "impact": levels[worst_impact],
            "urgency": levels[worst_urgency],
            "priority": PRIORITY_BY_RANK[worst_impact, worst_urgency],
            "summary": alerts["message"].to_numpy(dtype=object)[first],
        },
        columns=INCIDENT_COLUMNS,
    )
