"""Array primitives behind the rules: runs, latches, windows and medians on numpy arrays.

The rules state conditions as boolean arrays over regular readings; these helpers turn them
into episodes without a Python loop over the readings (a year is 525,600 minutes). Several
work from the positions of the few True values instead of scanning the whole array: the
same result, faster. ``tests/test_monitoring.py`` checks them against plain definitions.
"""

from __future__ import annotations

import numpy as np


def run_lengths(cond: np.ndarray) -> np.ndarray:
    """Length of the run of consecutive True values ending at each position.

    >>> run_lengths(np.array([1, 1, 0, 1, 1, 1], bool)).tolist()
    [1, 2, 0, 1, 2, 3]
    """
    cond = np.asarray(cond, bool)
    count = np.cumsum(cond, dtype=np.int32)
    reset = np.maximum.accumulate(np.where(cond, 0, count))
    return count - reset


def sustained(cond: np.ndarray, for_steps: int) -> np.ndarray:
    """True where ``cond`` has held for ``for_steps`` steps (Prometheus ``for:``).

    As in Prometheus, a non-zero duration needs at least two evaluations: with a one-minute
    step, ``for: 5m`` fires at the sixth consecutive minute.

    >>> sustained(np.array([1, 1, 1, 0, 1], bool), 2).tolist()
    [False, False, True, False, False]
    """
    cond = np.asarray(cond, bool)
    if for_steps <= 0 or not cond.any():
        return cond
    return run_lengths(cond) >= for_steps + 1


def episodes(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and end positions (first position off, or len) of the runs of True.

    >>> [p.tolist() for p in episodes(np.array([0, 1, 1, 0, 1], bool))]
    [[1, 4], [3, 5]]
    """
    state = np.asarray(state, bool)
    if len(state) == 0:
        return np.array([], np.int64), np.array([], np.int64)
    change = np.flatnonzero(state[1:] != state[:-1]) + 1
    on = state[change]
    starts, ends = change[on], change[~on]
    if state[0]:
        starts = np.concatenate([[0], starts])
    if state[-1]:
        ends = np.append(ends, len(state))
    return starts, ends


def latch(set_: np.ndarray, reset: np.ndarray) -> np.ndarray:
    """Hysteresis: on from a ``set_`` until the next ``reset`` (reset wins a tie).

    >>> latch(np.array([0, 1, 0, 0, 0], bool), np.array([0, 0, 0, 1, 0], bool)).tolist()
    [False, True, True, False, False]
    """
    starts, ends = latch_episodes(set_, reset)
    change = np.zeros(len(set_) + 1, np.int8)
    change[starts], change[ends] = 1, -1
    return np.cumsum(change[:-1], dtype=np.int8) > 0


def latch_episodes(set_: np.ndarray, reset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``episodes(latch(set_, reset))``, computed from the positions of the sets (usually
    few): each set that is not also a reset starts an episode lasting until the next reset."""
    set_ = np.asarray(set_, bool)
    reset = np.asarray(reset, bool)
    sets = np.flatnonzero(set_ & ~reset)
    if len(sets) == 0:
        return sets, sets
    ends = next_at_or_after(np.flatnonzero(reset), sets, len(set_))
    new = np.ones(len(sets), bool)
    new[1:] = ends[1:] != ends[:-1]  # sets before the same reset belong to one episode
    return sets[new], ends[new]


def sustained_latch_episodes(
    cond: np.ndarray, for_steps: int, clear_positions
) -> tuple[np.ndarray, np.ndarray]:
    """Episodes that start once ``cond`` has held for ``for_steps`` steps and last until the
    first of ``clear_positions()`` after the start (or the end of the data).

    ``clear_positions`` is a function returning the sorted positions where the episode
    clears, called only if something fires (usually nothing does). This is
    ``latch_episodes(sustained(cond, for_steps), clear)`` from the (few) True positions of
    ``cond``: a handful of passes over the data instead of a dozen.

    >>> cond = np.array([0, 1, 1, 1, 1, 0, 0, 1], bool)
    >>> [p.tolist() for p in sustained_latch_episodes(cond, 1, lambda: np.array([6]))]
    [[2], [6]]
    """
    hits = np.flatnonzero(cond)
    if len(hits) == 0:
        return np.array([], dtype=np.int64), np.array([], dtype=np.int64)
    run_start = np.ones(len(hits), bool)
    run_start[1:] = np.diff(hits) != 1
    first = hits[run_start]
    last = hits[np.r_[run_start[1:], True]]
    sets = first + for_steps
    sets = sets[sets <= last]
    if len(sets) == 0:
        return sets, sets
    ends = next_at_or_after(clear_positions(), sets + 1, len(cond))
    new = np.ones(len(sets), bool)
    new[1:] = sets[1:] >= ends[:-1]  # a set inside the previous episode starts none
    return sets[new], ends[new]


def next_at_or_after(positions: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    """For each of ``at``, the first of the sorted ``positions`` at or after it (else ``n``).

    >>> next_at_or_after(np.array([2, 5]), np.array([0, 3, 6]), 9).tolist()
    [2, 5, 9]
    """
    nxt = np.searchsorted(positions, at)
    found = nxt < len(positions)
    out = np.full(len(at), n, dtype=np.int64)
    out[found] = positions[nxt[found]]
    return out


def window_sums(values: np.ndarray, width: int) -> np.ndarray:
    """Sum of each trailing window of ``width`` values, from cumulative sums (so any width
    costs the same). The input must be NaN-free; booleans are counted exactly as integers.

    >>> window_sums(np.array([1.0, 2.0, 3.0, 4.0]), 2).tolist()
    [1.0, 3.0, 5.0, 7.0]
    """
    total = np.cumsum(values, dtype=np.int32 if values.dtype == bool else None)
    out = np.empty_like(total)
    out[:width] = total[:width]
    if width < len(total):  # a window as long as the series holds all of it
        np.subtract(total[width:], total[: len(total) - width], out=out[width:])
    return out


def past_median(table: np.ndarray, days: int, min_days: int) -> np.ndarray:
    """Median of each column over the previous ``days`` rows (NaN until ``min_days``).

    The same as ``np.nanmedian`` over sliding windows, ten times faster: sorting puts the
    NaNs last, then the middle of the valid values is picked (the mean of the two middle ones
    for an even count).

    >>> past_median(np.array([[1.0], [3.0], [np.nan], [8.0]]), 2, 1).ravel().tolist()
    [nan, 1.0, 2.0, 3.0]
    """
    padded = np.vstack([np.full((days, table.shape[1]), np.nan), table])
    windows = np.lib.stride_tricks.sliding_window_view(padded, days, axis=0)[: len(table)]
    ordered = np.sort(windows, axis=-1)
    count = (~np.isnan(windows)).sum(axis=-1, keepdims=True)
    high = count // 2
    low = np.where(count % 2 == 1, high, high - 1)
    pair = np.take_along_axis(ordered, np.concatenate([low, high], axis=-1).clip(0), axis=-1)
    median = (pair[..., 0] + pair[..., 1]) / 2
    return np.where(count[..., 0] >= max(min_days, 1), median, np.nan)


def rolling_trend(y: np.ndarray, widths) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Least-squares slope (per step), fitted value at the window's end, and count of valid
    values, for trailing windows of each width; from cumulative sums, so any width costs the
    same and NaNs are skipped.

    >>> slope, fitted, count = rolling_trend(np.array([1.0, 2.0, np.nan, 4.0]), [3])[0]
    >>> float(slope[-1]), float(fitted[-1]), int(count[-1])
    (1.0, 4.0, 2)
    """
    ok = ~np.isnan(y)
    x = np.arange(len(y), dtype=float) - len(y) / 2.0
    xo = np.where(ok, x, 0.0)
    yo = np.where(ok, y, 0.0)
    parts = [ok.astype(float), xo, yo, xo * xo, xo * yo]
    totals = [np.concatenate([[0.0], np.cumsum(p)]) for p in parts]
    out = []
    for width in widths:
        sums = []
        for total in totals:
            window = total[1:].copy()
            if width < len(y):  # a window as long as the series holds all of it
                window[width:] -= total[1 : len(y) + 1 - width]
            sums.append(window)
        count, sx, sy, sxx, sxy = sums
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (count * sxy - sx * sy) / (count * sxx - sx * sx)
            fitted = (sy - slope * sx) / count + slope * x
        out.append((slope, fitted, count))
    return out
