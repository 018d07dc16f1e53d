"""Module 04's engine on input nobody here wrote: never a traceback, only a clear error.

Property-based (Hypothesis): random readings, random corruptions of a real log's lines, random
bytes. Every public entry point either returns or raises ``MonitoringInputError`` (whose
message says what is wrong and how to fix it); and `run()` with the default configuration
works for every series length from one minute to three days.
"""

from __future__ import annotations

import io
import os

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from servicecourse import monitoring
from servicecourse.datasets import path as dataset_path
from servicecourse.monitoring import MonitoringInputError, nab

SETTINGS = settings(
    max_examples=int(os.environ.get("SERVICECOURSE_HYPOTHESIS_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("SERVICECOURSE_HYPOTHESIS_EXAMPLES") is None,
)
LOG_LINES = dataset_path("yun_server_room_2016").read_text(encoding="utf-8").splitlines()[:400]


def _readings(n: int, step: str = "1min", seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    index = pd.date_range("2016-10-01", periods=n, freq=step, tz="UTC")
    return pd.DataFrame(
        {"temp_c": 21 + rng.normal(0, 0.3, n), "rh_pct": 35 + rng.normal(0, 1, n)}, index=index
    )


@pytest.mark.slow
def test_every_length_from_a_minute_to_three_days_runs():
    """A partial first day of logging is the commonest real log: every length must run."""
    failures = []
    for n in range(1, 3 * 1440 + 1):
        try:
            monitoring.run(_readings(n, seed=n))
        except Exception as error:  # noqa: BLE001 - collected and reported below
            failures.append(f"{n} min: {type(error).__name__}: {error}")
    assert not failures, failures[:5]


values = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=32),
    st.sampled_from([0.0, -999.0, 85.0, 21.0, np.nan]),
)


@SETTINGS
@given(
    temps=st.lists(values, min_size=1, max_size=600),
    step=st.sampled_from(["30s", "1min", "5min", "1h"]),
    humidity=st.booleans(),
)
def test_run_on_any_readings_returns_or_says_why(temps, step, humidity):
    frame = pd.DataFrame(
        {"temp_c": temps},
        index=pd.date_range("2016-03-27", periods=len(temps), freq=step, tz="UTC"),
    )
    if humidity:
        frame["rh_pct"] = 40.0
    try:
        result = monitoring.run(frame)
    except MonitoringInputError as error:
        assert str(error)
        return
    assert set(result.incidents.columns) >= {"start", "priority"}


corruptions = st.sampled_from(
    ["drop", "duplicate", "swap", "garbage", "latin1", "crlf", "truncate", "comma", "empty"]
)


@SETTINGS
@given(edits=st.lists(st.tuples(corruptions, st.integers(0, len(LOG_LINES) - 1)), max_size=12))
def test_a_corrupted_log_is_read_or_refused_with_a_reason(edits):
    lines = list(LOG_LINES)
    for kind, at in edits:
        at = min(at, len(lines) - 1)
        if not lines:
            break
        if kind == "drop":
            del lines[at]
        elif kind == "duplicate":
            lines.insert(at, lines[at])
        elif kind == "swap" and at + 1 < len(lines):
            lines[at], lines[at + 1] = lines[at + 1], lines[at]
        elif kind == "garbage":
            lines[at] = "\x00\x13 ???"
        elif kind == "latin1":
            lines[at] = lines[at] + " lämpö°"
        elif kind == "crlf":
            lines[at] = lines[at] + "\r"
        elif kind == "truncate":
            lines[at] = lines[at][: len(lines[at]) // 2]
        elif kind == "comma":
            lines[at] = lines[at].replace(".", ",")
        elif kind == "empty":
            lines[at] = ""
    text = "\n".join(lines)
    for source in (io.StringIO(text), io.BytesIO(text.encode("latin-1", "replace"))):
        try:
            readings = monitoring.load_log(source)
        except MonitoringInputError as error:
            assert str(error)
            continue
        monitoring.run(readings)


@SETTINGS
@given(blob=st.binary(max_size=2000))
def test_random_bytes_are_refused_with_a_reason(blob):
    for reader in (monitoring.load_log, monitoring.read_export):
        try:
            reader(io.BytesIO(blob))
        except MonitoringInputError as error:
            assert str(error)


@SETTINGS
@given(text=st.text(max_size=500))
def test_random_text_is_refused_with_a_reason(text):
    for reader in (monitoring.load_log, monitoring.read_export):
        try:
            reader(io.StringIO(text))
        except MonitoringInputError as error:
            assert str(error)


def test_nab_detectors_take_a_clock_that_stepped_back_and_a_quiet_series():
    frame, windows = nab.load_nab()
    stepped = frame.copy()
    stepped.loc[100, "timestamp"] = stepped.loc[50, "timestamp"]
    assert len(monitoring.zscore_detector(stepped)) > 0
    quiet = frame.assign(value=70.0)
    assert len(monitoring.default_detector(quiet)) == 0
    assert nab.compare()["default"]["score"] == pytest.approx(90.93, abs=0.01)
    with pytest.raises(MonitoringInputError, match="'timestamp' and 'value'"):
        monitoring.zscore_detector(pd.DataFrame({"time": [1], "temp": [2]}))
