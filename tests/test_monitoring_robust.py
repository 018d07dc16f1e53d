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
@pytest.mark.filterwarnings("error::RuntimeWarning")  # NaN sums would hide alarms silently
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
    finite = frame["temp_c"].dropna()
    assert finite.between(-90, 150).all(), "an impossible reading was accepted as data"


@pytest.mark.parametrize("bad", [np.inf, -np.inf, 3e38, -999.0, 200.0])
def test_a_reading_no_sensor_can_make_is_refused_with_where_it_is(bad):
    frame = _readings(600, seed=1)
    frame.iloc[100, frame.columns.get_loc("temp_c")] = bad
    with pytest.raises(
        MonitoringInputError, match=r"no sensor can read .* row 100.*set them to NaN"
    ):
        monitoring.run(frame)
    frame.iloc[100, frame.columns.get_loc("temp_c")] = np.nan  # the documented fix works
    monitoring.run(frame)


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


# --- Real loggers' exports: read right, never silently wrong ---------------------------------
UTC = "UTC"


def _export(rows, header="timestamp,temperature,humidity", sep=","):
    return io.StringIO(header.replace(",", sep) + "\n" + "\n".join(sep.join(r) for r in rows))


def test_epoch_seconds_and_milliseconds_are_times_not_nanoseconds():
    start = pd.Timestamp("2016-11-01 10:00", tz=UTC)
    seconds = [str(int(start.timestamp()) + 60 * i) for i in range(5)]
    for stamps in (seconds, [s + "000" for s in seconds]):
        readings = monitoring.clean(
            monitoring.read_export(_export([(s, "21.0", "35") for s in stamps]))
        )
        assert readings.index[0] == start and len(readings) == 5


def test_day_first_dates_are_read_day_first():
    rows = [("03.04.2016 12:00", "21,0", "35"), ("03.04.2016 12:01", "21,1", "35")]
    readings = monitoring.clean(monitoring.read_export(_export(rows, sep=";")))
    assert readings.index[0].month == 4 and readings.index[0].day == 3
    slashed = [("03/04/2016 12:00", "21", "35"), ("13/04/2016 12:00", "21", "35")]
    assert monitoring.read_export(_export(slashed)).local.iloc[0].day == 3
    ambiguous = [("03/04/2016 12:00", "21", "35"), ("04/04/2016 12:00", "21", "35")]
    with pytest.raises(MonitoringInputError, match="dayfirst"):
        monitoring.read_export(_export(ambiguous))
    month_first = monitoring.read_export(_export(ambiguous), dayfirst=False)
    assert month_first.local.iloc[0].month == 3


def test_iso_offsets_that_change_at_the_dst_switch_stay_exact():
    utc = pd.date_range("2016-10-29 23:30", periods=120, freq="1min", tz=UTC)
    local = utc.tz_convert("Europe/Helsinki")
    rows = [(t.isoformat(), "21.0", "35") for t in local]
    readings = monitoring.clean(monitoring.read_export(_export(rows)))
    assert len(readings) == 120 and readings.index[0] == utc[0]
    assert readings.attrs["quality"]["duplicate_lines"] == 0


def test_a_59_second_export_keeps_every_reading():
    stamps = pd.date_range("2016-11-01 12:00:59", periods=600, freq="60s")
    jitter = pd.to_timedelta(np.random.default_rng(1).integers(-400, 400, 600), unit="ms")
    rows = [(str(t), "21.0", "35") for t in stamps + jitter]
    readings = monitoring.clean(monitoring.read_export(_export(rows)))
    quality = readings.attrs["quality"]
    assert quality["duplicate_lines"] == 0 and quality["gap_minutes"] == 0
    assert len(readings) == 600


def test_columns_named_by_argument_and_a_temperature_that_never_parses():
    text = "when;air;rel\n2016-11-01 12:00;21,4;30\n2016-11-01 12:01;21,5;30\n"
    raw = monitoring.read_export(
        io.StringIO(text), time_column="when", temp_column="air", rh_column="rel"
    )
    assert raw.temp_c.tolist() == [21.4, 21.5]
    with pytest.raises(MonitoringInputError, match="no column 'temp'"):
        monitoring.read_export(io.StringIO(text), time_column="when", temp_column="temp")
    never = "2016-11-01 12:00:05\tERR\t30\n2016-11-01 12:01:05\tERR\t31\n"
    with pytest.raises(MonitoringInputError, match="no temperature"):
        monitoring.load_log(io.StringIO(never))


def test_decimal_commas_in_a_tab_log_are_numbers():
    text = "2016-11-01 12:00:05\t21,4\t30,5\n2016-11-01 12:01:05\t21,5\t30,0\n"
    assert monitoring.load_log(io.StringIO(text)).temp_c.tolist() == [21.4, 21.5]


def test_a_sensor_stuck_at_zero_is_not_data():
    lines = [f"2016-11-01 12:{m:02d}:05\t21.0\t35.0" for m in range(10)]
    lines += [f"2016-11-01 12:{m:02d}:05\t0.0\t0.0" for m in range(10, 45)]
    readings = monitoring.load_log(io.StringIO("\n".join(lines)))
    assert readings.temp_c.iloc[10:].isna().all()
    assert readings.attrs["quality"]["zero_pair_minutes"] == 35


def test_the_spring_forward_hour_loses_no_line_and_autumn_starts_are_placed_right():
    spring = [f"2016-03-27 03:{m:02d}:05\t21.0\t35.0" for m in range(60)]
    readings = monitoring.load_log(io.StringIO("\n".join(spring)))
    assert readings["gap"].sum() == 0 and (~readings.temp_c.isna()).sum() == 60
    assert readings.index[0] == pd.Timestamp("2016-03-27 01:00", tz=UTC)  # winter time
    # A log that starts inside the repeated autumn hour and runs on is in its second pass.
    autumn = [f"2016-10-30 03:{m:02d}:05\t21.0\t35.0" for m in range(30, 60)]
    autumn += [f"2016-10-30 04:{m:02d}:05\t21.0\t35.0" for m in range(0, 10)]
    readings = monitoring.load_log(io.StringIO("\n".join(autumn)))
    assert readings.index[0] == pd.Timestamp("2016-10-30 01:30", tz=UTC)
    assert len(readings) == 40 and readings["gap"].sum() == 0


def test_a_dht22_text_log_with_labels_crlf_and_a_power_cut_is_read_without_losing_lines():
    lines = [
        f"2016-11-01 12:{m:02d}:05  Temperature: 21.{m % 10} C  Humidity: 35.{m % 7} %"
        for m in range(20)
    ]
    lines.insert(10, "2016-11-01 12:09:40  *** power failure, restart ***")
    lines.insert(0, "DHT22 logger v1.2")
    text = "\r\n".join(lines) + "\r\n"
    readings = monitoring.load_log(io.BytesIO(text.encode("latin-1")))
    quality = readings.attrs["quality"]
    assert len(readings) == 20 and readings.temp_c.notna().all()
    assert readings.temp_c.iloc[3] == 21.3 and readings.rh_pct.iloc[3] == 35.3
    assert quality["restarts"] == 1 and quality["unplaceable_lines"] == 0
    assert quality["skipped_lines"] == 1


def test_the_static_threshold_is_measured_beside_the_default():
    """The lesson compares the default with the plainest rule; both scores are NAB's."""
    scores = nab.compare()
    assert scores["static"]["score"] == pytest.approx(86.2, abs=0.1)
    assert scores["default"]["score"] > scores["static"]["score"] > scores["zscore"]["score"]


# --- A log of any length: chunks give what one run gives --------------------------------------
def test_a_log_read_in_chunks_gives_the_events_and_incidents_of_one_run():
    from servicecourse.monitoring import stream

    full = monitoring.run(monitoring.load_log())
    columns = ["time", "end", "rule", "metric", "severity", "message"]
    # 20,000 lines a chunk: chunk ends fall inside incidents and between a BOOT and its NTP.
    chunked = stream.run_file(dataset_path("yun_server_room_2016"), chunk_lines=20_000)
    assert chunked.chunks > 5
    got, want = chunked.events.reset_index(drop=True), full.events.reset_index(drop=True)
    assert got[columns].equals(want[columns])
    assert np.allclose(got["value"], want["value"], equal_nan=True)
    assert chunked.incidents[["start", "priority"]].equals(full.incidents[["start", "priority"]])
    assert chunked.minutes == len(full.index)


def test_a_chunked_run_refuses_what_it_cannot_read(tmp_path):
    from servicecourse.monitoring import stream

    with pytest.raises(MonitoringInputError, match="no file"):
        stream.run_file(tmp_path / "missing.log")
    empty = tmp_path / "empty.log"
    empty.write_text("# nothing\n")
    with pytest.raises(MonitoringInputError):
        stream.run_file(empty)
