"""The one-call pipeline: readings to events and incidents (``run``).

Scoring against labels is teacher-side (``servicecourse.classroom.measures.monitoring``):
module 04 asks learners to compute recall, precision and MTTD themselves.

>>> import pandas as pd
>>> index = pd.date_range("2016-10-01", periods=60, freq="min", tz="UTC")
>>> hot = pd.DataFrame({"temp_c": [21.0] * 20 + [33.0] * 40}, index=index)
>>> result = run(hot, DEFAULT_CONFIG.with_(rules=("threshold", "rate_of_change")))
>>> result.incidents[["n_events", "priority"]].values.tolist()
[[3, 1]]
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from .config import DEFAULT_CONFIG, MonitoringConfig, MonitoringInputError
from .incidents import correlate
from .rules import detect


@dataclass(frozen=True)
class Result:
    """What ``run`` returns: the events, the incidents and the readings' time index."""

    events: pd.DataFrame
    incidents: pd.DataFrame
    index: pd.DatetimeIndex
    config: MonitoringConfig


def run(readings: pd.DataFrame, config: MonitoringConfig = DEFAULT_CONFIG) -> Result:
    """Detect events with the rules of ``config`` and correlate them into incidents."""
    if not isinstance(config, MonitoringConfig):
        raise MonitoringInputError(
            f"config must be a MonitoringConfig (e.g. DEFAULT_CONFIG), not {type(config).__name__}"
        )
    events = detect(readings, config)
    return Result(events, correlate(events, config), readings.index, config)
