"""Monitoring and event management for module 04: from a sensor log to scored incidents.

The one-call pipeline::

    from servicecourse import monitoring
    readings = monitoring.load_log()          # the simulated Yún log, cleaned, UTC minutes
    result = monitoring.run(readings)         # events and incidents (DEFAULT_CONFIG)
    monitoring.score(result, monitoring.load_labels())   # recall, precision, MTTD, NAB, ...

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

from .config import DEFAULT_CONFIG, SEVERITIES, MonitoringConfig, MonitoringInputError
from .incidents import PRIORITY, PRIORITY_NAMES, correlate, priority
from .nab import compare as nab_compare
from .nab import default_detector, load_nab, nab_readings, nab_score, zscore_detector
from .rules import check_readings, detect
from .scoring import score_incidents
from .yun_log import (
    FLAGS,
    LogFormatError,
    check_labels,
    clean,
    load_labels,
    load_log,
    read_export,
    read_log,
    readings_frame,
)

__all__ = [
    "DEFAULT_CONFIG",
    "FLAGS",
    "PRIORITY",
    "PRIORITY_NAMES",
    "SEVERITIES",
    "LogFormatError",
    "MonitoringConfig",
    "MonitoringInputError",
    "Result",
    "check_labels",
    "check_readings",
    "clean",
    "correlate",
    "default_detector",
    "detect",
    "load_labels",
    "load_log",
    "load_nab",
    "nab_compare",
    "nab_readings",
    "nab_score",
    "priority",
    "read_export",
    "read_log",
    "readings_frame",
    "run",
    "score",
    "score_incidents",
    "zscore_detector",
]


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


def score(result: Result, labels: pd.DataFrame) -> dict:
    """Score a ``run`` result against ground-truth labels (``kind``, ``start``, ``end``)."""
    return score_incidents(result.incidents, labels, result.events, result.index)
