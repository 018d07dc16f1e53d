"""NAB scoring (Numenta Anomaly Benchmark): alert times against labelled anomaly windows.

NAB scores a detector's alerts against windows around each labelled anomaly:

- an alert inside a window scores by a scaled sigmoid of its position, so an early alert is
  worth almost the full true-positive weight and one at the window's end almost nothing; only
  the first alert in a window counts;
- a window without an alert costs the false-negative weight;
- an alert outside the windows costs the false-positive weight, scaled by how far it is
  after the previous window (-1 × weight before any window or well after it);
- rows in the probationary period (the first 15 %, at most 750 rows) are not scored.

The normalised score maps "no alert at all" to 0 and "one alert at the start of every window"
to 100, as NAB does for its corpus; here it is for one file.

>>> times = pd.date_range("2014-01-01", periods=2000, freq="h")
>>> windows = [(times[1000], times[1100])]
>>> nab_score(times, [times[1000]], windows)["score"], nab_score(times, [], windows)["score"]
(100.0, 0.0)
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .config import MonitoringInputError

PROFILES = {
    "standard": {"tp": 1.0, "fp": 0.11, "fn": 1.0},
    "reward_low_FP_rate": {"tp": 1.0, "fp": 0.22, "fn": 1.0},
    "reward_low_FN_rate": {"tp": 1.0, "fp": 0.11, "fn": 2.0},
}


def scaled_sigmoid(position):
    """NAB's scaled sigmoid: about 0.987 at -1 (window start), 0 at 0, -1 from 3 on.

    >>> [round(float(scaled_sigmoid(x)), 3) for x in (-1.0, 0.0, 1.0, 3.0)]
    [0.987, 0.0, -0.987, -1.0]
    """
    position = np.asarray(position, dtype=float)
    return np.where(position >= 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * position)) - 1.0)


def nab_score(
    timestamps,
    detections,
    windows,
    profile: str = "standard",
    probation: float = 0.15,
) -> dict:
    """Score alert times (or a boolean array aligned with ``timestamps``) against windows.

    Returns ``score`` (normalised, 0 = no alerts, 100 = perfect), ``raw``, and the counts
    ``tp`` (windows hit), ``fn`` (windows missed) and ``fp`` (alerts outside windows).
    """
    if profile not in PROFILES:
        raise MonitoringInputError(f"unknown NAB profile {profile!r}; use one of {list(PROFILES)}")
    weights = PROFILES[profile]
    ts = pd.DatetimeIndex(timestamps)
    n = len(ts)
    if n == 0:
        raise MonitoringInputError("no timestamps to score")
    detections = np.asarray(detections)
    if detections.dtype == bool:
        if len(detections) != n:
            raise MonitoringInputError("a boolean detection array must match the timestamps")
        positions = np.flatnonzero(detections)
    else:
        times = pd.DatetimeIndex(detections) if len(detections) else pd.DatetimeIndex([], tz=ts.tz)
        positions = ts.searchsorted(times, side="left")
        positions = positions[positions < n]
    positions = np.unique(positions)
    probation_rows = min(math.floor(probation * n), probation * 5000)
    positions = positions[positions >= probation_rows]
    bounds = []
    for start, end in windows:
        left = int(ts.searchsorted(pd.Timestamp(start), side="left"))
        right = int(ts.searchsorted(pd.Timestamp(end), side="right")) - 1
        if right >= left:
            bounds.append((left, right))
    bounds.sort()
    lefts = np.array([b[0] for b in bounds], dtype=int)
    rights = np.array([b[1] for b in bounds], dtype=int)
    raw = 0.0
    tp = 0
    inside = np.zeros(len(positions), bool)
    max_tp = float(scaled_sigmoid(-1.0))
    for left, right in bounds:
        hit = (positions >= left) & (positions <= right)
        inside |= hit
        if hit.any():
            first = positions[hit][0]
            width = right - left + 1
            raw += float(scaled_sigmoid(-(right - first + 1) / width)) / max_tp * weights["tp"]
            tp += 1
        else:
            raw -= weights["fn"]
    outside = positions[~inside]
    previous = np.searchsorted(rights, outside, side="left") - 1
    penalty = np.full(len(outside), -1.0)
    after = previous >= 0
    if after.any():
        k = previous[after]
        width = rights[k] - lefts[k] + 1
        distance = np.abs(outside[after] - rights[k]) / np.maximum(width - 1, 1)
        penalty[after] = scaled_sigmoid(distance)
    raw += float(penalty.sum()) * weights["fp"]
    null = -weights["fn"] * len(bounds)
    perfect = weights["tp"] * len(bounds)
    score = 100.0 * (raw - null) / (perfect - null) if bounds else float("nan")
    return {
        "score": round(score, 2),
        "raw": raw,
        "tp": tp,
        "fn": len(bounds) - tp,
        "fp": int(len(outside)),
        "profile": profile,
    }
