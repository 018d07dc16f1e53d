"""Rules that turn readings into events (ITIL 4 monitoring and event management).

Each rule looks at regular readings (a UTC ``DatetimeIndex`` with a fixed step) and emits one
event per *episode*: the time it starts firing, the time it clears (``end``), the metric, the
severity (informational, warning or exception), the value and a message. Conditions are
boolean arrays and durations counts of steps (the array helpers are in ``arrays``).

- ``threshold``: a static limit with hysteresis (fires at the limit, clears only below
  limit − hysteresis) and a minimum duration, like Prometheus ``for:``.
- ``rate_of_change``: the temperature rises faster than a limit.
- ``heartbeat``: no valid reading for a timeout (sensor dead, or the link is down).
- ``flat_line``: temperature and humidity do not change at all (sensor stuck).
- ``baseline``: far from the median of the same hour of day over the previous days, in robust
  standard deviations (1.4826 × MAD); the limits are learned, not set by hand.
- ``predictive``: linear trends forecast that the temperature will reach the warning limit
  within a horizon.

A rule is one function ``(readings, config) -> event parts`` registered with ``@rule(name)``
in ``RULES``; ``detect`` runs the rules named in ``config.rules``, in the order of ``RULES``.

>>> import pandas as pd
>>> index = pd.date_range("2016-10-01", periods=8, freq="min", tz="UTC")
>>> readings = pd.DataFrame({"temp_c": [20, 28, 28, 28, 28, 26.8, 26, 20.0]}, index=index)
>>> events = threshold_events(readings, "temp_c", 27.0, hysteresis=0.5, for_="2min")
>>> events[["time", "end", "severity"]].astype(str).values.tolist()
[['2016-10-01 00:03:00+00:00', '2016-10-01 00:06:00+00:00', 'warning']]
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from .arrays import (
    episodes,
    latch,  # noqa: F401  (unused here: module 04 calls monitoring.rules.latch, like run_lengths)
    latch_episodes,
    past_median,
    rolling_trend,
    run_lengths,
    sustained,
    sustained_latch_episodes,
    window_sums,
)
from .checks import check_readings, step_of, steps
from .clock import day_and_hour
from .config import DEFAULT_CONFIG, DEFAULT_RULES, MonitoringConfig
from .events import event_parts, events_frame

Rule = Callable[[pd.DataFrame, MonitoringConfig], list[dict]]
"""A rule: readings and settings in, event parts out (see ``events.event_parts``)."""

RULES: dict[str, Rule] = {}
"""The rules by the name used in ``MonitoringConfig.rules``, in the order they run."""


def rule(name: str) -> Callable[[Rule], Rule]:
    """Register the decorated function as the rule ``name``, to run when ``config.rules``
    names it (a new rule's name goes into ``config.DEFAULT_RULES``, with its impact and
    urgency)."""
    if name not in DEFAULT_RULES:
        raise ValueError(f"rule {name!r} is not in config.DEFAULT_RULES; add it there")

    def register(function: Rule) -> Rule:
        RULES[name] = function
        return function

    return register


def detect(readings: pd.DataFrame, config: MonitoringConfig = DEFAULT_CONFIG) -> pd.DataFrame:
    """All events of the rules in ``config.rules`` (plus data-quality notes), sorted by time.

    >>> index = pd.date_range("2016-10-01", periods=30, freq="min", tz="UTC")
    >>> hot = pd.DataFrame({"temp_c": [21.0] * 10 + [33.0] * 20}, index=index)
    >>> detect(hot, DEFAULT_CONFIG.with_(rules=("threshold",))).severity.tolist()
    ['warning', 'exception']
    """
    check_readings(readings)
    parts = []
    for name, function in RULES.items():
        if name in config.rules:
            parts.extend(function(readings, config))
    parts.extend(data_quality(readings, config))
    events = events_frame(parts)
    return events.sort_values(["time", "rule"], kind="stable").reset_index(drop=True)


def rule_events(
    name: str, readings: pd.DataFrame, config: MonitoringConfig = DEFAULT_CONFIG
) -> pd.DataFrame:
    """The events of one rule of ``RULES`` (or ``"data_quality"``), as a DataFrame."""
    function = data_quality if name == "data_quality" else RULES[name]
    return events_frame(function(readings, config))


# --- Static thresholds ----------------------------------------------------------------------


def threshold_events(
    readings: pd.DataFrame,
    metric: str,
    limit: float,
    hysteresis: float = 0.0,
    for_: str = "0min",
    direction: str = "above",
    severity: str = "warning",
    rule: str = "threshold",
) -> pd.DataFrame:
    """Events while ``metric`` is beyond ``limit`` for at least ``for_``, with hysteresis."""
    return events_frame(
        threshold_parts(readings, metric, limit, hysteresis, for_, direction, severity, rule)
    )


def threshold_parts(
    readings,
    metric,
    limit,
    hysteresis=0.0,
    for_="0min",
    direction="above",
    severity="warning",
    rule="threshold",
) -> list[dict]:
    """``threshold_events`` as event parts."""
    values = readings[metric].to_numpy(dtype=float)
    step = step_of(readings.index)
    with np.errstate(invalid="ignore"):
        beyond = values >= limit if direction == "above" else values <= limit

    def back_inside():
        with np.errstate(invalid="ignore"):
            if direction == "above":
                return np.flatnonzero(values < limit - hysteresis)
            return np.flatnonzero(values > limit + hysteresis)

    state = sustained_latch_episodes(beyond, steps(for_, step, "for_"), back_inside)
    word = "above" if direction == "above" else "below"
    return event_parts(
        readings.index,
        state,
        values,
        rule,
        metric,
        severity,
        lambda v: [f"{metric} {x:.1f} {word} {limit:g} for {for_}" for x in v],
    )


@rule("threshold")
def static_thresholds(readings, config: MonitoringConfig) -> list[dict]:
    """Temperature above its warning and critical limits; humidity above or below its own."""
    temp = (config.temp_hysteresis, config.temp_for)
    parts = threshold_parts(readings, "temp_c", config.temp_warning, *temp)
    parts += threshold_parts(
        readings, "temp_c", config.temp_critical, *temp, "above", "exception", "threshold_critical"
    )
    if "rh_pct" in readings and readings["rh_pct"].notna().any():
        rh = (config.rh_hysteresis, config.rh_for)
        parts += threshold_parts(readings, "rh_pct", config.rh_high, *rh)
        parts += threshold_parts(readings, "rh_pct", config.rh_low, *rh, direction="below")
    return parts


# --- Rate of change and sensor health -------------------------------------------------------


@rule("rate_of_change")
def rate_of_change(readings, config: MonitoringConfig) -> list[dict]:
    """Events while the temperature rises more than ``rate_limit`` within ``rate_window``."""
    step = step_of(readings.index)
    n = max(steps(config.rate_window, step, "rate_window"), 1)
    smooth = readings["temp_c"].rolling(3, min_periods=2).mean()
    rise = (smooth - smooth.shift(n)).to_numpy()
    with np.errstate(invalid="ignore"):
        state = latch_episodes(rise >= config.rate_limit, rise < config.rate_limit / 2)
    return event_parts(
        readings.index,
        state,
        rise,
        "rate_of_change",
        "temp_c",
        "warning",
        lambda v: [f"temperature rose {x:.1f} °C within {config.rate_window}" for x in v],
    )


@rule("heartbeat")
def heartbeat(readings, config: MonitoringConfig) -> list[dict]:
    """Events when no valid temperature has arrived for ``heartbeat_timeout`` (sensor dead)."""
    step = step_of(readings.index)
    n = steps(config.heartbeat_timeout, step, "heartbeat_timeout")
    valid = readings["temp_c"].notna().to_numpy()
    missing = run_lengths(~valid)
    seen = np.maximum.accumulate(valid)  # no alarm before the first reading ever arrived
    state = (missing >= n) & seen
    minutes = missing * step / pd.Timedelta("1min")
    return event_parts(
        readings.index,
        state,
        minutes,
        "heartbeat",
        "temp_c",
        "warning",
        lambda v: [f"no valid reading for {x:.0f} min (sensor dead or link down)" for x in v],
    )


@rule("flat_line")
def flat_line(readings, config: MonitoringConfig) -> list[dict]:
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
        flat &= unchanged & (window_sums(valid, n) >= need)
    return event_parts(
        readings.index,
        flat,
        readings["temp_c"].to_numpy(dtype=float),
        "flat_line",
        "temp_c",
        "warning",
        lambda v: [f"readings frozen at {x:.1f} °C for {config.flat_window} (stuck)" for x in v],
    )


# --- Learned baseline -----------------------------------------------------------------------


def baseline_limits(series: pd.Series, config: MonitoringConfig = DEFAULT_CONFIG, day_hour=None):
    """Learned baseline for each reading: the median and robust scale of the same (local) hour
    of day over the previous ``baseline_days`` days (none until ``baseline_min_days``).

    Returns two float arrays aligned with ``series``: median and scale (1.4826 × MAD, at
    least the metric's floor). ``day_hour`` is ``clock.day_and_hour`` of the index, if known.
    """
    if day_hour is None:
        day_hour = day_and_hour(series.index, config.timezone)
    day_pos, hour = day_hour
    n_days = int(day_pos[-1]) + 1
    flat_pos = day_pos * 24 + hour
    values = series.to_numpy(dtype=float)
    ok = ~np.isnan(values)
    # Hourly means per (day, hour) cell (a mean of means for the repeated DST hour is fine).
    sums = np.bincount(flat_pos[ok], weights=values[ok], minlength=n_days * 24)
    counts = np.bincount(flat_pos[ok], minlength=n_days * 24)
    with np.errstate(invalid="ignore", divide="ignore"):
        table = (sums / counts).reshape(n_days, 24)
    median = past_median(table, config.baseline_days, config.baseline_min_days)
    mad = past_median(np.abs(table - median), config.baseline_days, config.baseline_min_days)
    floor = config.baseline_floor.get(series.name, 0.0) if series.name else 0.0
    scale = np.maximum(1.4826 * mad, floor)
    return median.ravel()[flat_pos], scale.ravel()[flat_pos]


@rule("baseline")
def baseline(readings, config: MonitoringConfig) -> list[dict]:
    """Events while a metric stays more than ``baseline_k`` robust deviations from its
    learned hour-of-day baseline for ``baseline_for``."""
    step = step_of(readings.index)
    parts = []
    day_hour = day_and_hour(readings.index, config.timezone)
    for metric in ("temp_c", "rh_pct"):
        if metric not in readings or readings[metric].isna().all():
            continue
        series = readings[metric]
        width = max(steps(config.baseline_smooth, step), 1)
        values = series.to_numpy(dtype=float)
        valid = ~np.isnan(values)
        with np.errstate(invalid="ignore", divide="ignore"):
            smooth = window_sums(np.where(valid, values, 0.0), width) / window_sums(valid, width)
        median, scale = baseline_limits(series, config, day_hour)
        z = (smooth - median) / scale
        with np.errstate(invalid="ignore"):
            far = np.abs(z) > config.baseline_k
            near = np.abs(z) < 0.6 * config.baseline_k
        state = latch_episodes(sustained(far, steps(config.baseline_for, step)), near)
        parts += event_parts(
            readings.index,
            state,
            z,
            "baseline",
            metric,
            "warning",
            lambda v, m=metric: [f"{m} {x:+.1f} robust SD from its usual level" for x in v],
        )
    return parts


# --- Predictive -----------------------------------------------------------------------------


@rule("predictive")
def predictive(readings, config: MonitoringConfig) -> list[dict]:
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
    for width, (slope, fitted, count) in zip(widths, rolling_trend(y_b, widths), strict=True):
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
    state = latch_episodes(sustained(soon, steps(config.predict_for, step)), eta > 1.5 * horizon)
    hours = eta * (step / pd.Timedelta("1h"))
    return event_parts(
        readings.index,
        state,
        hours,
        "predictive",
        "temp_c",
        "warning",
        lambda v: [f"temperature forecast to reach {target:g} °C in {x:.0f} h" for x in v],
    )


# --- Data quality (always on, informational) ------------------------------------------------


def data_quality(readings, config: MonitoringConfig) -> list[dict]:
    """Informational events: gaps of at least ``gap_note`` and unsynchronised clock spells.

    Not in ``RULES``: ``detect`` always adds these notes, whatever ``config.rules`` says.
    """
    step = step_of(readings.index)
    parts = []
    if "gap" in readings:
        gap = readings["gap"].to_numpy(bool)
        long_enough = run_lengths(gap)
        starts, ends = episodes(gap)
        keep = long_enough[np.maximum(ends - 1, 0)] >= steps(config.gap_note, step)
        state = np.zeros(len(gap), bool)
        for s, e in zip(starts[keep], ends[keep], strict=True):
            state[s:e] = True
        parts += event_parts(
            readings.index,
            state,
            long_enough,
            "data_quality",
            "gap",
            "informational",
            "no data arrived (Wi-Fi or bridge drop-out?)",
        )
    if "flag" in readings:
        unsynced = (readings["flag"] == "clock_unsynced").to_numpy()
        parts += event_parts(
            readings.index,
            unsynced,
            unsynced,
            "data_quality",
            "clock",
            "informational",
            "clock unsynchronised after a reboot (fixed by NTP)",
        )
    return parts
