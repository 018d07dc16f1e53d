"""Monitoring and event management for module 04: from a sensor log to scored incidents.

The one-call pipeline::

    from servicecourse import monitoring
    readings = monitoring.load_log()          # the simulated Yún log, cleaned, UTC minutes
    result = monitoring.run(readings)         # events and incidents (DEFAULT_CONFIG)
    monitoring.load_labels()                  # the labelled episodes (ground truth)

Scoring a result against the labels (recall, precision, MTTD) is what module 04 asks learners
to do by hand, so the scorer is teacher-side: ``servicecourse.classroom.measures.monitoring``.

This module only re-exports the public names. Where things are, in the order the data flow:

- ``config``: every setting (``DEFAULT_CONFIG``, the time zone, the priority matrix);
- ``yun_log``: read the Yún log (``fast_parse`` is its optimised twin; ``log_format`` says
  what a line holds) and clean it into UTC minutes; ``exports``: CSV files and DataFrames;
- ``rules``: the rules (registered in ``RULES``) that turn readings into events, on the
  helpers of ``arrays`` (runs, latches, windows) and ``clock`` (local time ↔ UTC), with
  ``checks`` on the readings and ``events`` for the events table;
- ``incidents``: events correlated into incidents with a priority;
- ``pipeline``: ``run``; ``stream``: ``run_file``, the same on a log of any length, in
  chunks; ``labels``: the ground truth;
- ``nab_scoring``: NAB's score; ``nab``: the NAB data set and detectors on it.
"""

from __future__ import annotations

from . import rules  # noqa: F401  (lesson 04/03 shows monitoring.rules.threshold_events)
from .checks import check_readings
from .config import (
    DEFAULT_CONFIG,
    PRIORITY,
    PRIORITY_NAMES,
    SEVERITIES,
    MonitoringConfig,
    MonitoringInputError,
)
from .exports import read_export, readings_frame
from .incidents import correlate, priority
from .labels import check_labels, load_labels
from .log_format import FLAGS, LogFormatError
from .nab import compare as nab_compare
from .nab import default_detector, load_nab, nab_readings, static_detector, zscore_detector
from .nab_scoring import nab_score
from .pipeline import Result, run
from .rules import detect
from .stream import StreamResult, run_file
from .yun_log import clean, load_log, read_log

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
    "StreamResult",
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
    "run_file",
    "static_detector",
    "zscore_detector",
]
