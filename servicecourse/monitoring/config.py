"""Every setting of the monitoring engine, once: ``DEFAULT_CONFIG`` (thresholds, windows, the
rules that run and their impact and urgency), the time zone and the priority matrix.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pandas as pd

from ..paths import CourseError

TIMEZONE = "Europe/Helsinki"
"""Where the server room is: the Yún logs local time, and the baseline learns local hours."""

SEVERITIES = ("informational", "warning", "exception")
"""ITIL 4 event types, from least to most severe."""

LEVELS = ("low", "medium", "high")
"""Impact and urgency levels of the priority matrix."""

PRIORITY = pd.DataFrame(
    [[3, 2, 1], [4, 3, 2], [5, 4, 3]],
    index=pd.Index(["high", "medium", "low"], name="impact"),
    columns=pd.Index(["low", "medium", "high"], name="urgency"),
)
"""Priority (1 = critical … 5 = planning) from impact (rows) and urgency (columns); each
incident's impact and urgency come from its rules (``MonitoringConfig.impact``, ``.urgency``)."""

PRIORITY_NAMES = {1: "critical", 2: "high", 3: "medium", 4: "low", 5: "planning"}

DEFAULT_RULES = ("threshold", "rate_of_change", "heartbeat", "flat_line", "baseline", "predictive")
"""The rules of ``rules.RULES``, in the order they run; all of them run by default."""


class MonitoringInputError(CourseError, ValueError):
    """Input the engine cannot use; the message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class MonitoringConfig:
    """Thresholds, windows, the rules to run and the impact and urgency of their events.

    Durations are pandas offset strings (``"5min"``, ``"24h"``). ``DEFAULT_CONFIG`` is the
    recommended default for a small server room; change a field with ``with_``:

    >>> DEFAULT_CONFIG.temp_warning, DEFAULT_CONFIG.with_(temp_warning=26.0).temp_warning
    (27.0, 26.0)
    """

    # Static thresholds (ASHRAE's recommended envelope for IT rooms ends at 27 °C).
    temp_warning: float = 27.0
    temp_critical: float = 32.0
    temp_hysteresis: float = 0.5
    temp_for: str = "5min"
    rh_high: float = 60.0
    rh_low: float = 10.0  # Finnish winter air is dry; ASHRAE's floor is a -9 °C dew point
    rh_hysteresis: float = 2.0
    rh_for: str = "15min"
    # Rate of change: a rise of more than rate_limit °C within rate_window.
    rate_window: str = "10min"
    rate_limit: float = 2.0
    # Sensor health: no valid reading for heartbeat_timeout (dead); a flat line (stuck).
    heartbeat_timeout: str = "60min"
    flat_window: str = "60min"
    flat_min_share: float = 0.5
    # Learned baseline: median and MAD of the same hour of day over the previous days.
    # k and the minimum history were chosen by the written protocol of
    # benchmarks/bench_monitoring.py (tuned on the simulated Yún year only: the most sensitive
    # setting whose every neighbour keeps the best F1; then checked on NAB, 90.9).
    baseline_days: int = 14
    baseline_min_days: int = 3
    baseline_k: float = 6.0
    baseline_smooth: str = "15min"
    baseline_for: str = "10min"
    baseline_floor: dict = field(default_factory=lambda: {"temp_c": 0.3, "rh_pct": 1.5})
    # Predictive: linear trends over predict_window, its last half and its last quarter must
    # all forecast a breach of temp_warning within predict_horizon.
    predict_window: str = "24h"
    predict_horizon: str = "48h"
    predict_for: str = "30min"
    # Data quality notes (informational events): gaps at least this long.
    gap_note: str = "10min"
    # Correlation: events closer than merge_gap to an open incident join it.
    merge_gap: str = "30min"
    timezone: str | None = TIMEZONE
    # Impact (what is at stake) and urgency (how fast it gets worse) of each rule's events.
    impact: dict = field(
        default_factory=lambda: {
            "threshold_critical": "high",
            "threshold": "medium",
            "rate_of_change": "medium",
            "heartbeat": "medium",
            "flat_line": "medium",
            "baseline": "low",
            "predictive": "medium",
            "data_quality": "low",
        }
    )
    urgency: dict = field(
        default_factory=lambda: {
            "threshold_critical": "high",
            "threshold": "medium",
            "rate_of_change": "high",
            "heartbeat": "medium",
            "flat_line": "low",
            "baseline": "medium",
            "predictive": "low",
            "data_quality": "low",
        }
    )
    rules: tuple[str, ...] = DEFAULT_RULES

    def with_(self, **changes) -> MonitoringConfig:
        """A copy with some fields changed."""
        return replace(self, **changes)

    def __post_init__(self):
        for name in ("temp_for", "rh_for", "rate_window", "heartbeat_timeout", "flat_window"):
            parse_duration(getattr(self, name), name)
        for name in ("baseline_smooth", "baseline_for", "predict_window", "predict_horizon"):
            parse_duration(getattr(self, name), name)
        for name in ("predict_for", "gap_note", "merge_gap"):
            parse_duration(getattr(self, name), name)
        if self.temp_critical <= self.temp_warning:
            raise MonitoringInputError("temp_critical must be above temp_warning")
        unknown = set(self.rules) - set(DEFAULT_RULES)
        if unknown:
            raise MonitoringInputError(
                f"unknown rule(s) {sorted(unknown)}; the rules are {list(DEFAULT_RULES)}"
            )


def parse_duration(text, name: str = "duration") -> pd.Timedelta:
    """``pd.Timedelta(text)``, with an error that tells a learner how to write a duration."""
    try:
        value = pd.Timedelta(text)
    except (ValueError, TypeError) as error:
        raise MonitoringInputError(
            f"{name}={text!r} is not a duration; write it like '5min', '2h' or '14D'"
        ) from error
    if value < pd.Timedelta(0):
        raise MonitoringInputError(f"{name}={text!r} must not be negative")
    return value


DEFAULT_CONFIG = MonitoringConfig()
"""The recommended default: ASHRAE-based static limits for the server room, a 14-day
hour-of-day baseline at 5 robust standard deviations, and a 48-hour predictive horizon.
Its learned rules were not tuned on the NAB labels."""
