"""Rules that turn readings into events (ITIL 4 monitoring and event management).

Each rule looks at regular readings (a UTC ``DatetimeIndex`` with a fixed step) and emits one
event per *episode*: the time it starts firing, the time it clears (``end``), the metric, the
severity (informational, warning or exception), the value and a message. Everything is
vectorised: conditions are boolean arrays, durations become counts of steps.

- ``threshold``: a static limit with hysteresis (fires at the limit, clears only below
  limit − hysteresis) and a minimum duration, like Prometheus ``for:``.
- ``rate_of_change``: the temperature rises faster than a limit.
- ``heartbeat``: no valid reading for a timeout (sensor dead, or the link is down).
- ``flat_line``: temperature and humidity do not change at all (sensor stuck).
- ``baseline``: far from the median of the same hour of day over the previous days, in robust
  standard deviations (1.4826 × MAD); the limits are learned, not set by hand.
- ``predictive``: linear trends forecast that the temperature will reach the warning limit
  within a horizon.

>>> import pandas as pd
>>> index = pd.date_range("2016-10-01", periods=8, freq="min", tz="UTC")
>>> readings = pd.DataFrame({"temp_c": [20, 28, 28, 28, 28, 26.8, 26, 20.0]}, index=index)
>>> events = threshold_events(readings, "temp_c", 27.0, hysteresis=0.5, for_="2min")
>>> events[["time", "end", "severity"]].astype(str).values.tolist()
[['2016-10-01 00:03:00+00:00', '2016-10-01 00:06:00+00:00', 'warning']]
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from .config import DEFAULT_CONFIG, MonitoringConfig, MonitoringInputError, _duration

EVENT_COLUMNS = ["time", "end", "rule", "metric", "severity", "value", "message"]


def empty_events() -> pd.DataFrame:
    frame = pd.DataFrame({c: pd.Series(dtype=object) for c in EVENT_COLUMNS})
    frame["time"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["end"] = pd.Series(dtype="datetime64[ns, UTC]")
    frame["value"] = pd.Series(dtype=float)
    return frame


def step_of(index: pd.DatetimeIndex) -> pd.Timedelta:
    """The fixed step of regular readings (raises if the index is not regular and sorted)."""
    check_index(index)
    if len(index) < 2:
        return pd.Timedelta("1min")
    return pd.Timedelta(index[1] - index[0])


def check_index(index) -> None:
    """Raise ``MonitoringInputError`` unless the index is tz-aware, sorted and unique."""
    if not isinstance(index, pd.DatetimeIndex):
        raise MonitoringInputError(
            "readings need a DatetimeIndex; use monitoring.clean() or "
            "frame.set_index(pd.to_datetime(frame['time'], utc=True))"
        )
    if index.tz is None:
        raise MonitoringInputError(
            "the readings' times have no time zone; localise them, e.g. "
            "index.tz_localize('Europe/Helsinki').tz_convert('UTC')"
        )
    if index.has_duplicates:
        raise MonitoringInputError(
            f"{int(index.duplicated().sum())} time(s) occur twice; clean the readings with "
            "monitoring.clean(), which flags and drops duplicates"
        )
    if not index.is_monotonic_increasing:
        raise MonitoringInputError(
            "the times are not sorted; sort them with readings.sort_index() (or use clean())"
        )


def steps(duration, step: pd.Timedelta, name: str = "duration") -> int:
    """Whole number of steps covering ``duration`` (at least 0)."""
    return int(math.ceil(_duration(duration, name) / step))


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
    """
    cond = np.asarray(cond, bool)
    if for_steps <= 0 or not cond.any():
        return cond
    return run_lengths(cond) >= for_steps + 1


def latch(set_: np.ndarray, reset: np.ndarray) -> np.ndarray:
    """Hysteresis: on from a ``set_`` until the next ``reset`` (reset wins a tie).

    >>> latch(np.array([0, 1, 0, 0, 0], bool), np.array([0, 0, 0, 1, 0], bool)).tolist()
    [False, True, True, False, False]
    """
    starts, ends = _latch_episodes(set_, reset)
    change = np.zeros(len(set_) + 1, np.int8)
    change[starts], change[ends] = 1, -1
    return np.cumsum(change[:-1], dtype=np.int8) > 0


def _latch_episodes(set_: np.ndarray, reset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``episodes(latch(set_, reset))`` from the positions of the sets (usually few): each
    set that is not also a reset starts an episode that lasts until the next reset."""
    set_ = np.asarray(set_, bool)
    reset = np.asarray(reset, bool)
    sets = np.flatnonzero(set_ & ~reset)
    if len(sets) == 0:
        return sets, sets
    ends = _next(np.flatnonzero(reset), sets, len(set_))
    new = np.ones(len(sets), bool)
    new[1:] = ends[1:] != ends[:-1]  # sets before the same reset belong to one episode
    return sets[new], ends[new]


def _next(positions: np.ndarray, at: np.ndarray, n: int) -> np.ndarray:
    """For each of ``at``, the first of the sorted ``positions`` at or after it (else ``n``)."""
    nxt = np.searchsorted(positions, at)
    found = nxt < len(positions)
    out = np.full(len(at), n, dtype=np.int64)
    out[found] = positions[nxt[found]]
    return out


def episodes(state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start positions and end positions (first position off, or len) of the runs of True."""
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


def _events(index, state, values, rule, metric, severity, message) -> list[dict]:
    """The episodes of ``state`` (a boolean array, or ``(starts, ends)`` positions) as event
    parts (one dict of arrays, or none)."""
    starts, ends = state if isinstance(state, tuple) else episodes(state)
    if len(starts) == 0:
        return []
    start_ns = index[starts].as_unit("ns").asi8
    end = index[np.minimum(ends, len(index) - 1)].as_unit("ns").asi8.copy()
    end[ends >= len(index)] = np.iinfo(np.int64).min  # NaT: still firing when the data ends
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


def _out(parts: list[dict], raw: bool):
    return parts if raw else _concat(parts)


def threshold_events(
    readings: pd.DataFrame,
    metric: str,
    limit: float,
    hysteresis: float = 0.0,
    for_: str = "0min",
    direction: str = "above",
    severity: str = "warning",
    rule: str = "threshold",
    _parts: bool = False,
) -> pd.DataFrame:
    """Events while ``metric`` is beyond ``limit`` for at least ``for_``, with hysteresis."""
    values = readings[metric].to_numpy(dtype=float)
    step = step_of(readings.index)
    with np.errstate(invalid="ignore"):
        if direction == "above":
            beyond = values >= limit
        else:
            beyond = values <= limit
    state = _sparse_latch(beyond, steps(for_, step, "for_"), values, limit, hysteresis, direction)
    word = "above" if direction == "above" else "below"
    parts = _events(
        readings.index,
        state,
        values,
        rule,
        metric,
        severity,
        lambda v: [f"{metric} {x:.1f} {word} {limit:g} for {for_}" for x in v],
    )
    return _out(parts, _parts)


def _sparse_latch(beyond, for_steps, values, limit, hysteresis, direction):
    """Episodes of ``latch(sustained(beyond, for_steps), back)`` computed from the (few)
    positions beyond the limit: the same result with a handful of passes over the data."""
    hits = np.flatnonzero(beyond)
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
    with np.errstate(invalid="ignore"):
        if direction == "above":
            back = np.flatnonzero(values < limit - hysteresis)
        else:
            back = np.flatnonzero(values > limit + hysteresis)
    ends = _next(back, sets + 1, len(values))
    new = np.ones(len(sets), bool)
    new[1:] = sets[1:] >= ends[:-1]
    return sets[new], ends[new]


def rate_of_change_events(
    readings, config: MonitoringConfig = DEFAULT_CONFIG, _parts: bool = False
) -> pd.DataFrame:
    """Events while the temperature rises more than ``rate_limit`` within ``rate_window``."""
    step = step_of(readings.index)
    n = max(steps(config.rate_window, step, "rate_window"), 1)
    values = readings["temp_c"]
    smooth = values.rolling(3, min_periods=2).mean()
    rise = (smooth - smooth.shift(n)).to_numpy()
    with np.errstate(invalid="ignore"):
        state = _latch_episodes(rise >= config.rate_limit, rise < config.rate_limit / 2)
    parts = _events(
        readings.index,
        state,
        rise,
        "rate_of_change",
        "temp_c",
        "warning",
        lambda v: [f"temperature rose {x:.1f} °C within {config.rate_window}" for x in v],
    )
    return _out(parts, _parts)


def heartbeat_events(
    readings, config: MonitoringConfig = DEFAULT_CONFIG, _parts: bool = False
) -> pd.DataFrame:
    """Events when no valid temperature has arrived for ``heartbeat_timeout`` (sensor dead)."""
    step = step_of(readings.index)
    n = steps(config.heartbeat_timeout, step, "heartbeat_timeout")
    valid = readings["temp_c"].notna().to_numpy()
    missing = run_lengths(~valid)
    seen = np.maximum.accumulate(valid)  # no alarm before the first reading ever arrived
    state = (missing >= n) & seen
    minutes = missing * step / pd.Timedelta("1min")
    parts = _events(
        readings.index,
        state,
        minutes,
        "heartbeat",
        "temp_c",
        "warning",
        lambda v: [f"no valid reading for {x:.0f} min (sensor dead or link down)" for x in v],
    )
    return _out(parts, _parts)


def flat_line_events(
    readings, config: MonitoringConfig = DEFAULT_CONFIG, _parts: bool = False
) -> pd.DataFrame:
    """Events when temperature and humidity are exactly constant over ``flat_window``."""
    step = step_of(readings.index)
    n = max(steps(config.flat_window, step, "flat_window"), 2)
    need = max(int(config.flat_min_share * n), 3)
    flat = np.ones(len(readings), bool)
    for column in ("temp_c", "rh_pct"):
        if column not in readings or readings[column].isna().all():
            continue
        values = readings[column].to_numpy(dtype=float)
        valid = ~np.isnan(values)
        # Compare each valid reading with the previous valid one (NaNs are skipped).
        last = np.maximum.accumulate(np.where(valid, np.arange(len(values)), -1))
        previous = np.concatenate([[-1], last[:-1]])
        same = valid & (previous >= 0) & (values == values[np.maximum(previous, 0)])
        unchanged = run_lengths(same | ~valid) >= n - 1
        if not unchanged.any():
            flat[:] = False
            break
        flat &= unchanged & (_window_sums(valid, n) >= need)
    parts = _events(
        readings.index,
        flat,
        readings["temp_c"].to_numpy(dtype=float),
        "flat_line",
        "temp_c",
        "warning",
        lambda v: [f"readings frozen at {x:.1f} °C for {config.flat_window} (stuck)" for x in v],
    )
    return _out(parts, _parts)


def _day_hour(index: pd.DatetimeIndex, timezone: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Day number (from the first local day) and local hour of each time."""
    ns = _wall_ns(index, timezone or index.tz)
    hour_ns = 3_600_000_000_000
    hours = ns // hour_ns
    day = hours // 24
    return day - day[0], hours - day * 24


def _wall_ns(index: pd.DatetimeIndex, timezone) -> np.ndarray:
    """Local wall-clock time of a tz-aware index in nanoseconds.

    A zone changes its offset at most once within an hour, so for sorted times the offset
    is looked up once per hour (``tz_convert`` for every time costs as much as a rule).
    """
    utc = index.as_unit("ns").asi8
    if timezone is None or str(timezone) == "UTC":
        return utc
    if len(index) < 2 or not index.is_monotonic_increasing:
        return index.tz_convert(timezone).tz_localize(None).as_unit("ns").asi8
    hour_ns = 3_600_000_000_000
    hours = utc // hour_ns
    first = np.flatnonzero(np.diff(hours, prepend=hours[0] - 1))
    lengths = np.diff(np.append(first, len(hours)))
    start = hours[first] * hour_ns

    def offset(ns):
        times = pd.DatetimeIndex(ns.view("datetime64[ns]")).tz_localize("UTC")
        return times.tz_convert(timezone).tz_localize(None).asi8 - ns

    begin, end = offset(start), offset(start + hour_ns - 1)
    wall = utc + np.repeat(begin, lengths)
    if (begin != end).any():  # the hours in which the offset changes: time by time
        odd = np.flatnonzero(np.repeat(begin != end, lengths))
        wall[odd] = utc[odd] + offset(utc[odd])
    return wall


def baseline_limits(series: pd.Series, config: MonitoringConfig = DEFAULT_CONFIG, day_hour=None):
    """Learned baseline for each reading: the median and robust scale of the same (local) hour
    of day over the previous ``baseline_days`` days (none until ``baseline_min_days``).

    Returns two float arrays aligned with ``series``: median and scale (1.4826 × MAD, at
    least the metric's floor).
    """
    day_pos, hour = day_hour if day_hour is not None else _day_hour(series.index, config.timezone)
    n_days = int(day_pos[-1]) + 1
    flat_pos = day_pos * 24 + hour
    values = series.to_numpy(dtype=float)
    ok = ~np.isnan(values)
    # Hourly means per (day, hour) cell (a mean of means for the repeated DST hour is fine).
    sums = np.bincount(flat_pos[ok], weights=values[ok], minlength=n_days * 24)
    counts = np.bincount(flat_pos[ok], minlength=n_days * 24)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = (sums / counts).reshape(n_days, 24)
    median = _past_median(table, config.baseline_days, config.baseline_min_days)
    mad = _past_median(np.abs(table - median), config.baseline_days, config.baseline_min_days)
    floor = config.baseline_floor.get(series.name, 0.0) if series.name else 0.0
    scale = np.maximum(1.4826 * mad, floor)
    return median.ravel()[flat_pos], scale.ravel()[flat_pos]


def _past_median(table: np.ndarray, days: int, min_days: int) -> np.ndarray:
    """Median of each column over the previous ``days`` rows (NaN until ``min_days``)."""
    padded = np.vstack([np.full((days, table.shape[1]), np.nan), table])
    windows = np.lib.stride_tricks.sliding_window_view(padded, days, axis=0)[: len(table)]
    # np.nanmedian, ten times faster: sorting puts the NaNs last, then the middle of the
    # valid values is picked (the mean of the two middle ones for an even count).
    ordered = np.sort(windows, axis=-1)
    count = (~np.isnan(windows)).sum(axis=-1, keepdims=True)
    high = count // 2
    low = np.where(count % 2 == 1, high, high - 1)
    pair = np.take_along_axis(ordered, np.concatenate([low, high], axis=-1).clip(0), axis=-1)
    median = (pair[..., 0] + pair[..., 1]) / 2
    return np.where(count[..., 0] >= max(min_days, 1), median, np.nan)


def baseline_events(
    readings, config: MonitoringConfig = DEFAULT_CONFIG, _parts: bool = False
) -> pd.DataFrame:
    """Events while a metric stays more than ``baseline_k`` robust deviations from its
    learned hour-of-day baseline for ``baseline_for``."""
    step = step_of(readings.index)
    frames = []
    day_hour = _day_hour(readings.index, config.timezone)
    for metric in ("temp_c", "rh_pct"):
        if metric not in readings or readings[metric].isna().all():
            continue
        series = readings[metric]
        width = max(steps(config.baseline_smooth, step), 1)
        values = series.to_numpy(dtype=float)
        valid = ~np.isnan(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            smooth = _window_sums(np.where(valid, values, 0.0), width) / _window_sums(valid, width)
        median, scale = baseline_limits(series, config, day_hour)
        z = (smooth - median) / scale
        with np.errstate(invalid="ignore"):
            far = np.abs(z) > config.baseline_k
            near = np.abs(z) < 0.6 * config.baseline_k
        state = _latch_episodes(sustained(far, steps(config.baseline_for, step)), near)
        frames.extend(
            _events(
                readings.index,
                state,
                z,
                "baseline",
                metric,
                "warning",
                lambda v, m=metric: [f"{m} {x:+.1f} robust SD from its usual level" for x in v],
            )
        )
    return _out(frames, _parts)


def _window_sums(values: np.ndarray, width: int) -> np.ndarray:
    """Sum of each trailing window of ``width`` values (cumulative sums, NaN-free input;
    booleans are counted exactly with integers)."""
    total = np.cumsum(values, dtype=np.int32 if values.dtype == bool else None)
    out = np.empty_like(total)
    out[:width] = total[:width]
    np.subtract(total[width:], total[: len(total) - width], out=out[width:])
    return out


def _rolling_trend(y: np.ndarray, widths) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Least-squares slope (per step), fitted value at the window's end, and count of valid
    values, for trailing windows of each width (cumulative sums, so any width costs the same).
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
            window[width:] -= total[1 : len(y) + 1 - width]
            sums.append(window)
        count, sx, sy, sxx, sxy = sums
        with np.errstate(invalid="ignore", divide="ignore"):
            slope = (count * sxy - sx * sy) / (count * sxx - sx * sx)
            fitted = (sy - slope * sx) / count + slope * x
        out.append((slope, fitted, count))
    return out


def predictive_events(
    readings, config: MonitoringConfig = DEFAULT_CONFIG, _parts: bool = False
) -> pd.DataFrame:
    """Events when linear trends forecast the warning limit within ``predict_horizon``.

    The trends over ``predict_window``, its last half and its last quarter must all point at
    a breach (a single warm afternoon or the tail of a past incident does not), and the
    temperature must not have reached the limit within the last half window. The value is the
    forecast time to breach in hours.
    """
    step = step_of(readings.index)
    n = max(steps(config.predict_window, step, "predict_window"), 4)
    horizon = steps(config.predict_horizon, step, "predict_horizon")
    target = config.temp_warning
    y = readings["temp_c"].to_numpy(dtype=float)
    # Trends are fitted on 10-minute means (a day of minutes is 144 points, not 1440); each
    # minute uses the last complete block, so the rule never looks ahead.
    block = max(steps("10min", step), 1)
    count_b = len(y) // block
    ok = ~np.isnan(y[: count_b * block]).reshape(count_b, block)
    sums = np.where(ok, y[: count_b * block].reshape(count_b, block), 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        y_b = sums / ok.sum(axis=1)
    widths = (max(n // block, 4), max(n // (2 * block), 2), max(n // (4 * block), 2))
    etas = []
    for width, (slope, fitted, count) in zip(widths, _rolling_trend(y_b, widths), strict=True):
        with np.errstate(invalid="ignore", divide="ignore"):
            eta = np.where(
                (slope > 0) & (fitted < target) & (count >= 0.5 * width),
                (target - fitted) / slope * block,
                np.inf,
            )
        etas.append(eta)
    eta_b = np.maximum.reduce(etas) if count_b else np.array([np.inf])
    last_block = (np.arange(len(y)) + 1) // block - 1
    eta = np.where(last_block >= 0, eta_b[np.clip(last_block, 0, max(count_b - 1, 0))], np.inf)
    # A forecast helps before a breach; for half a window after one, the incident is open.
    with np.errstate(invalid="ignore"):
        above = y >= target
    positions = np.arange(len(y))
    last_above = np.maximum.accumulate(np.where(above, positions, -(10**12)))
    recent_breach = positions - last_above < n // 2
    soon = (eta <= horizon) & ~recent_breach
    state = _latch_episodes(sustained(soon, steps(config.predict_for, step)), eta > 1.5 * horizon)
    hours = eta * (step / pd.Timedelta("1h"))
    parts = _events(
        readings.index,
        state,
        hours,
        "predictive",
        "temp_c",
        "warning",
        lambda v: [f"temperature forecast to reach {target:g} °C in {x:.0f} h" for x in v],
    )
    return _out(parts, _parts)


def data_quality_events(
    readings, config: MonitoringConfig = DEFAULT_CONFIG, _parts: bool = False
) -> pd.DataFrame:
    """Informational events: gaps of at least ``gap_note`` and unsynchronised clock spells."""
    step = step_of(readings.index)
    frames = []
    if "gap" in readings:
        gap = readings["gap"].to_numpy(bool)
        long_enough = run_lengths(gap)
        starts, ends = episodes(gap)
        keep = long_enough[np.maximum(ends - 1, 0)] >= steps(config.gap_note, step)
        state = np.zeros(len(gap), bool)
        for s, e in zip(starts[keep], ends[keep], strict=True):
            state[s:e] = True
        frames.extend(
            _events(
                readings.index,
                state,
                long_enough,
                "data_quality",
                "gap",
                "informational",
                "no data arrived (Wi-Fi or bridge drop-out?)",
            )
        )
    if "flag" in readings:
        unsynced = (readings["flag"] == "clock_unsynced").to_numpy()
        frames.extend(
            _events(
                readings.index,
                unsynced,
                unsynced,
                "data_quality",
                "clock",
                "informational",
                "clock unsynchronised after a reboot (fixed by NTP)",
            )
        )
    return _out(frames, _parts)


def _concat(parts: list[dict]) -> pd.DataFrame:
    """One events DataFrame from event parts (built once: cheap for many rules)."""
    parts = [p for p in parts if p]
    if not parts:
        return empty_events()
    joined = {key: np.concatenate([p[key] for p in parts]) for key in EVENT_COLUMNS}
    for key in ("time", "end"):
        joined[key] = pd.DatetimeIndex(joined[key].view("datetime64[ns]")).tz_localize("UTC")
    return pd.DataFrame(joined, columns=EVENT_COLUMNS)


def detect(readings: pd.DataFrame, config: MonitoringConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """All events of the rules in ``config.rules`` (plus data-quality notes), sorted by time.

    >>> index = pd.date_range("2016-10-01", periods=30, freq="min", tz="UTC")
    >>> hot = pd.DataFrame({"temp_c": [21.0] * 10 + [33.0] * 20}, index=index)
    >>> detect(hot, DEFAULT_CONFIG.with_(rules=("threshold",))).severity.tolist()
    ['warning', 'exception']
    """
    check_readings(readings)
    frames = []
    rules = set(config.rules)
    if "threshold" in rules:
        frames.extend(
            threshold_events(
                readings,
                "temp_c",
                config.temp_warning,
                config.temp_hysteresis,
                config.temp_for,
                _parts=True,
            )
        )
        frames.extend(
            threshold_events(
                readings,
                "temp_c",
                config.temp_critical,
                config.temp_hysteresis,
                config.temp_for,
                severity="exception",
                rule="threshold_critical",
                _parts=True,
            )
        )
        if "rh_pct" in readings and readings["rh_pct"].notna().any():
            frames.extend(
                threshold_events(
                    readings,
                    "rh_pct",
                    config.rh_high,
                    config.rh_hysteresis,
                    config.rh_for,
                    _parts=True,
                )
            )
            frames.extend(
                threshold_events(
                    readings,
                    "rh_pct",
                    config.rh_low,
                    config.rh_hysteresis,
                    config.rh_for,
                    direction="below",
                    _parts=True,
                )
            )
    if "rate_of_change" in rules:
        frames.extend(rate_of_change_events(readings, config, _parts=True))
    if "heartbeat" in rules:
        frames.extend(heartbeat_events(readings, config, _parts=True))
    if "flat_line" in rules:
        frames.extend(flat_line_events(readings, config, _parts=True))
    if "baseline" in rules:
        frames.extend(baseline_events(readings, config, _parts=True))
    if "predictive" in rules:
        frames.extend(predictive_events(readings, config, _parts=True))
    frames.extend(data_quality_events(readings, config, _parts=True))
    events = _concat(frames)
    return events.sort_values(["time", "rule"], kind="stable").reset_index(drop=True)


def check_readings(readings) -> None:
    """Raise ``MonitoringInputError`` naming what is wrong with ``readings``."""
    if not isinstance(readings, pd.DataFrame):
        raise MonitoringInputError(
            f"readings must be a pandas DataFrame, not {type(readings).__name__}"
        )
    if readings.empty:
        raise MonitoringInputError("the readings are empty; there is nothing to monitor")
    if "temp_c" not in readings.columns:
        raise MonitoringInputError(
            f"the readings have no 'temp_c' column (they have {list(readings.columns)}); "
            "rename the temperature column to temp_c (and humidity to rh_pct)"
        )
    for column in ("temp_c", "rh_pct"):
        if column in readings and not pd.api.types.is_numeric_dtype(readings[column]):
            raise MonitoringInputError(
                f"column {column!r} is {readings[column].dtype}, not numbers; convert it with "
                "pd.to_numeric (check the decimal separator)"
            )
    check_index(readings.index)
    if len(readings) > 2:
        gaps = np.diff(readings.index.asi8)
        if (gaps != gaps[0]).any():
            raise MonitoringInputError(
                "the readings are not evenly spaced; resample them, e.g. with "
                "monitoring.clean() or readings.resample('1min').mean()"
            )
