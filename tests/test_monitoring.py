"""The monitoring engine of module 04: cleaning, rules, incidents, scoring and bad input."""

from __future__ import annotations

import doctest
import importlib
import importlib.util
import io
import pkgutil
import re

import numpy as np
import pandas as pd
import pytest

from servicecourse import monitoring as m
from servicecourse.classroom.measures import monitoring as measures
from servicecourse.datasets import path
from servicecourse.monitoring import arrays, clock, config, fast_parse, nab, rules, yun_log

UTC = "UTC"


def log_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def minutes(start: str, values, rh=None) -> pd.DataFrame:
    index = pd.date_range(start, periods=len(values), freq="min", tz=UTC)
    data = {"temp_c": np.asarray(values, float)}
    data["rh_pct"] = np.full(len(values), 30.0) if rh is None else np.asarray(rh, float)
    return pd.DataFrame(data, index=index)


@pytest.fixture(scope="module")
def course():
    readings = m.load_log()
    labels = m.load_labels()
    result = m.run(readings)
    return readings, labels, result, measures.score(result, labels)


# --- Data -----------------------------------------------------------------------------------


def test_log_is_labelled_simulated_and_small():
    log = path("yun_server_room_2016")
    assert log.suffix == ".log"
    assert log.stat().st_size < 6_000_000
    head = log.read_text(encoding="utf-8")[:400]
    assert "SIMULATED" in head and "fictional" in head


def test_labels_cover_every_signature(course):
    _, labels, _, _ = course
    kinds = set(labels["kind"])
    assert {"cooling_failure", "door_open", "sensor_stuck", "sensor_dead"} <= kinds
    assert {"slow_degradation", "wifi_dropout", "reboot", "dst_repeated_hour"} <= kinds
    assert str(labels["start"].dt.tz) == UTC


def test_humidity_follows_temperature_at_constant_absolute_humidity(course):
    readings, labels, _, _ = course
    cooling = labels[labels.kind == "cooling_failure"].iloc[0]
    before = readings.loc[cooling.start - pd.Timedelta("1h") : cooling.start]
    peak = readings.loc[
        cooling.start + pd.Timedelta("100min") : cooling.start + pd.Timedelta("140min")
    ]
    assert peak.temp_c.mean() > before.temp_c.mean() + 8
    assert peak.rh_pct.mean() < before.rh_pct.mean() - 10, "warm air at constant AH is drier"
    door = labels[labels.kind == "door_open"].iloc[0]
    before = readings.loc[door.start - pd.Timedelta("1h") : door.start]
    during = readings.loc[door.start + pd.Timedelta("3h") : door.start + pd.Timedelta("5h")]
    assert during.rh_pct.mean() > before.rh_pct.mean() + 3, "corridor air is moister"
    december = readings.loc["2016-12-01":"2016-12-04", "rh_pct"].median()
    october = readings.loc["2016-10-01":"2016-10-04", "rh_pct"].median()
    assert december < october - 5 and december < 35, "dry winter air"


# --- Load and clean -------------------------------------------------------------------------


def test_repeated_dst_hour_becomes_distinct_utc_minutes():
    text = log_text(
        *[f"2016-10-30 03:{mm:02d}:05\t20.{mm % 10}\t40.0" for mm in range(60)],
        *[f"2016-10-30 03:{mm:02d}:05\t21.{mm % 10}\t41.0" for mm in range(60)],
        "2016-10-30 04:00:05\t21.0\t41.0",
    )
    readings = m.clean(m.read_log(text))
    assert len(readings) == 121 and not readings.gap.any()
    assert readings.index[0] == pd.Timestamp("2016-10-30 00:00", tz=UTC)
    assert readings.index[-1] == pd.Timestamp("2016-10-30 02:00", tz=UTC)
    assert readings.rh_pct.iloc[:60].eq(40.0).all() and readings.rh_pct.iloc[60:].eq(41.0).all()


def test_course_log_has_no_hole_in_the_repeated_hour(course):
    readings = course[0]
    night = readings.loc["2016-10-29 23:30":"2016-10-30 01:30"]
    assert len(night) == 121 and not night.gap.any()
    assert readings.index.is_unique and readings.index.is_monotonic_increasing
    assert (np.diff(readings.index.asi8) == np.diff(readings.index.asi8)[0]).all()


def test_duplicates_sentinels_impossible_and_gaps_are_flagged():
    text = log_text(
        "2016-11-01 12:00:05\t21.0\t30.0",
        "2016-11-01 12:00:05\t21.0\t30.0",
        "2016-11-01 12:01:05\t-999.0\t-999.0",
        "2016-11-01 12:02:05\t3276.7\t6553.5",
        "2016-11-01 12:03:05\tnan\tnan",
        "2016-11-01 12:07:05\t21.1\t30.2",
    )
    readings = m.clean(m.read_log(text))
    flags = readings.flag.astype(str).tolist()
    assert flags == [
        "duplicate",
        "sentinel",
        "impossible",
        "failed_read",
        "gap",
        "gap",
        "gap",
        "ok",
    ]
    assert readings.gap.tolist() == [False] * 4 + [True] * 3 + [False]
    assert readings.temp_c.iloc[1:7].isna().all() and readings.temp_c.iloc[0] == 21.0
    assert readings.attrs["quality"]["duplicate_lines"] == 1


def test_unsynchronised_clock_is_moved_by_the_ntp_step():
    # ntpd's step is in absolute seconds: stale 14:04:22 EEST is 11:04:22 UTC.
    step = int(
        (pd.Timestamp("2016-11-03 07:40:05") - pd.Timestamp("2016-09-12 11:04:22")).total_seconds()
    )
    text = log_text(
        "2016-11-03 09:37:05\t21.0\t30.0",
        "2016-09-12 14:03:27\tBOOT\tclock from sysfixtime, not synced",
        "2016-09-12 14:04:22\t21.2\t30.1",
        "2016-09-12 14:05:22\t21.3\t30.1",
        f"2016-11-03 09:42:40\tNTP\tstep +{step} s",
        "2016-11-03 09:43:05\t21.4\t30.2",
    )
    readings = m.clean(m.read_log(text))
    unsynced = readings[readings.flag == "clock_unsynced"]
    assert len(unsynced) == 2
    assert unsynced.index[0] == pd.Timestamp("2016-11-03 07:40", tz=UTC)
    assert unsynced.temp_c.tolist() == [21.2, 21.3]


def test_spike_is_removed():
    text = log_text(
        *[f"2016-11-01 12:0{i}:05\t{v}\t30.0" for i, v in enumerate([21, 21, 29, 21, 21])]
    )
    readings = m.clean(m.read_log(text))
    assert readings.flag.astype(str).tolist()[2] == "spike" and np.isnan(readings.temp_c.iloc[2])


def plain(raw: pd.DataFrame) -> pd.DataFrame:
    """Parsed lines with the marker as text (the fast reader makes it a category)."""
    return raw.assign(marker=raw.marker.astype(str))


def test_fast_reader_matches_the_field_by_field_reader_on_the_course_log():
    text = path("yun_server_room_2016").read_text(encoding="utf-8")
    fast = fast_parse.read_log_fast(text)
    assert fast is not None, "the course log must take the fast path"
    pd.testing.assert_frame_equal(
        plain(fast), plain(yun_log.read_log_general(text)), check_dtype=False
    )
    assert len(fast) == 132_758 and (fast.marker == "BOOT").sum() == 3
    assert fast.step_s.dropna().tolist() == [4480423.0, 4695523.0, 8117323.0]


@pytest.mark.parametrize(
    "fast, lines",
    [
        (
            True,
            [
                "# tab\tin a comment",
                "",
                "2016-10-01 00:00:05\t21.4\t31.2",
                "2016-10-01 00:01:05\tnan\t-5",
            ],
        ),
        (True, ["2016-10-01 00:00:05\tBOOT\tclock", "2016-10-01 00:01:05\tNTP\tstep -12.5 s"]),
        (True, ["2016-10-01 00:00:05\t21.4\t31.2 # note", "2016-10-01 00:01:05\t21.5\t31.0"]),
        (False, ["2016-10-01 00:00:05\t21.4\t31.2", "2016-10-01 00:01:05\t21.4\t31.2\textra"]),
        (False, ["2016-10-01 00:00:05\t21.4\t31.2", "2016-02-30 00:01:05\t21.5\t31.0"]),
        (False, ["2016-10-01 00:00:05\t21.4\t31.2", "2016-10-01 24:01:05\t21.5\t31.0"]),
        (False, ["2016-10-01 00:00:05\t21.4\t31.2", "2016-10-01 00:01:05\t21.5"]),
        (False, ["2016-10-01 00:00:05\t21.4\t31.2", "2016-10-01 00:01:05\tabc\t31.0"]),
        (False, ["2016-10-01 00:00:05\tNTP\tno step", "2016-10-01 00:01:05\tBOOTS\t1"]),
        (False, ["2016-10-01 00:00:05\t21.4\t31.2\r", "2016-10-01 00:01:05\t21.5\t31.0\r"]),
    ],
)
def test_unusual_lines_read_as_the_field_by_field_reader_reads_them(fast, lines):
    """The fast reader takes well-formed logs and hands anything odd to the general one."""
    for text in ("\n".join(lines), "\n".join(lines) + "\n"):
        assert (fast_parse.read_log_fast(text) is not None) == fast
        expected = plain(yun_log.read_log_general(text))
        pd.testing.assert_frame_equal(plain(m.read_log(text)), expected, check_dtype=False)


def random_log(rng: np.random.Generator) -> str:
    """A short log of varied lines: mostly well formed, sometimes odd (for the general reader)."""
    values = ["21.4", "-5.25", "nan", "-999.0", "3276.7", "21", "1e1", "+3.0", "NaN", "abc", ""]
    start = pd.Timestamp("2016-03-27 02:30") if rng.random() < 0.5 else pd.Timestamp("2016-10-30")
    lines, time = [], start + pd.Timedelta(seconds=int(rng.integers(0, 86_400)))
    for _ in range(int(rng.integers(1, 30))):
        time += pd.Timedelta(seconds=int(rng.integers(-3_600, 7_200)))
        stamp = time.strftime("%Y-%m-%d %H:%M:%S")
        kind = rng.random()
        if kind < 0.05:
            lines.append("# a comment\twith a tab")
        elif kind < 0.08:
            lines.append("")
        elif kind < 0.12:
            lines.append(f"{stamp}\tBOOT\tclock from sysfixtime, not synced")
        elif kind < 0.16:
            lines.append(f"{stamp}\tNTP\tstep {rng.normal(0, 1e6):+.1f} s")
        elif kind < 0.18:
            lines.append(f"{stamp}\t21.0\t30.0\textra")
        elif kind < 0.20:
            lines.append(f"{stamp[:11]}25{stamp[13:]}\t21.0\t30.0")  # hour 25
        else:
            plain_values = values[:7] if kind < 0.9 else values
            a, b = (plain_values[int(rng.integers(len(plain_values)))] for _ in "ab")
            lines.append(f"{stamp}\t{a}\t{b}")
    lines.append(f"{(time + pd.Timedelta('1min')).strftime('%Y-%m-%d %H:%M:%S')}\t20.0\t40.0")
    return "\n".join(lines) + ("\n" if rng.random() < 0.7 else "")


def test_random_logs_read_the_same_both_ways():
    """The fast parser is an optimisation: on any log it gives what the reference gives."""
    rng = np.random.default_rng(12)
    took_fast = 0
    for _ in range(150):
        text = random_log(rng)
        try:
            expected = plain(yun_log.read_log_general(text))
        except m.MonitoringInputError as error:  # the reference refuses it: so must read_log
            assert fast_parse.read_log_fast(text) is None
            with pytest.raises(type(error), match="^" + re.escape(str(error)) + "$"):
                m.read_log(text)
            continue
        fast = fast_parse.read_log_fast(text)
        if fast is not None:
            took_fast += 1
            pd.testing.assert_frame_equal(plain(fast), expected, check_dtype=False, obj=text)
        pd.testing.assert_frame_equal(plain(m.read_log(text)), expected, check_dtype=False)
    assert 25 < took_fast < 125, f"both paths must be exercised ({took_fast} of 150 fast)"


@pytest.mark.parametrize(
    "zone", ["Europe/Helsinki", "America/St_Johns", "Australia/Lord_Howe", "Asia/Kolkata"]
)
def test_local_to_utc_matches_tz_localize_around_the_clock_changes(zone):
    spring = pd.date_range("2016-03-12", "2016-04-05", freq="7min") + pd.Timedelta("5s")
    autumn = pd.date_range("2016-09-30", "2016-11-08", freq="7min") + pd.Timedelta("5s")
    local = spring.append(autumn).as_unit("ns")
    expected = local.tz_localize(zone, ambiguous="NaT", nonexistent="NaT").asi8
    got = clock.local_to_utc_ns(local.asi8, zone)
    known = expected != np.iinfo(np.int64).min  # the repeated hour is resolved by file order
    assert (got[known] == expected[known]).all()
    assert (got != np.iinfo(np.int64).min).all()
    # A stamp in the skipped hour keeps the offset before the switch: no two stamps collide.
    skipped = ~known & (local.tz_localize(zone, ambiguous=True, nonexistent="NaT").isna())
    if skipped.any():
        assert len(np.unique(got)) == len(got)


def test_course_log_quality_counts(course):
    quality = course[0].attrs["quality"]
    assert quality["duplicate_lines"] > 100 and quality["sentinel_minutes"] > 10
    assert quality["clock_unsynced_minutes"] > 0 and quality["gap_minutes"] > 60


# --- Rules ----------------------------------------------------------------------------------


def test_hysteresis_prevents_flapping():
    wobble = [21.0] * 5 + [27.2, 26.8] * 20 + [21.0] * 5
    readings = minutes("2016-11-01", wobble)
    with_h = rules.threshold_events(readings, "temp_c", 27.0, hysteresis=0.5)
    without = rules.threshold_events(readings, "temp_c", 27.0, hysteresis=0.0)
    assert len(with_h) == 1 and len(without) == 20
    result = m.run(readings, m.DEFAULT_CONFIG.with_(rules=("threshold",), temp_for="0min"))
    assert len(result.incidents) == 1


def test_for_duration_is_respected():
    five = minutes("2016-11-01", [21.0] * 3 + [28.0] * 5 + [21.0] * 3)
    six = minutes("2016-11-01", [21.0] * 3 + [28.0] * 6 + [21.0] * 3)
    assert rules.threshold_events(five, "temp_c", 27.0, for_="5min").empty
    fired = rules.threshold_events(six, "temp_c", 27.0, for_="5min")
    assert fired.time.tolist() == [pd.Timestamp("2016-11-01 00:08", tz=UTC)]


def test_threshold_that_never_clears_stays_open():
    readings = minutes("2016-11-01", [33.0] * 20)
    events = rules.threshold_events(readings, "temp_c", 27.0, hysteresis=0.5, for_="5min")
    assert events.time.tolist() == [pd.Timestamp("2016-11-01 00:05", tz=UTC)]
    assert events.end.isna().all()


def pairs(starts_ends) -> list[tuple[int, int]]:
    return [(int(a), int(b)) for a, b in zip(*starts_ends, strict=True)]


def test_fast_helpers_match_their_plain_definitions():
    rng = np.random.default_rng(4)
    for _ in range(300):
        n = int(rng.integers(0, 40))
        set_, reset = rng.random(n) < rng.random(), rng.random(n) < rng.random()
        # latch: on where the last set-or-reset up to here was a set and not a reset
        marked = np.flatnonzero(set_ | reset)
        last = [marked[marked <= i].max() if (marked <= i).any() else -1 for i in range(n)]
        plain = [i >= 0 and set_[i] and not reset[i] for i in last]
        assert arrays.latch(set_, reset).tolist() == plain
        runs = [(i, j) for i, j in zip(*arrays.episodes(set_), strict=True)]
        assert all(set_[i:j].all() for i, j in runs) and sum(j - i for i, j in runs) == set_.sum()
        as_episodes = arrays.episodes(arrays.latch(set_, reset))
        assert pairs(arrays.latch_episodes(set_, reset)) == pairs(as_episodes)
        # a threshold's "beyond the limit" and "back inside" never hold at once
        for_steps, clear = int(rng.integers(0, 4)), reset & ~set_
        sparse = arrays.sustained_latch_episodes(set_, for_steps, lambda c=clear: np.flatnonzero(c))
        full = arrays.latch_episodes(arrays.sustained(set_, for_steps), clear)
        assert pairs(sparse) == pairs(full)
        table = rng.normal(20, 3, (int(rng.integers(1, 30)), 3)).round(1)
        table[rng.random(table.shape) < 0.3] = np.nan
        days, min_days = int(rng.integers(1, 10)), int(rng.integers(0, 5))
        windows = np.vstack([np.full((days, 3), np.nan), table])
        expected = np.full(table.shape, np.nan)
        for row in range(len(table)):
            for column in range(3):
                window = windows[row : row + days, column]
                window = window[~np.isnan(window)]
                if len(window) >= max(min_days, 1):
                    expected[row, column] = np.median(window)
        assert np.array_equal(arrays.past_median(table, days, min_days), expected, equal_nan=True)


@pytest.mark.parametrize("zone", ["Europe/Helsinki", "America/St_Johns", "Australia/Lord_Howe"])
def test_local_day_and_hour_match_tz_convert(zone):
    index = pd.date_range("2016-03-01", "2016-11-30", freq="13min", tz=UTC)
    day, hour = clock.day_and_hour(index, zone)
    wall = index.tz_convert(zone).tz_localize(None)
    days = (wall.normalize() - wall[0].normalize()).days
    assert (day == days).all() and (hour == wall.hour).all()


def test_severity_types():
    readings = minutes("2016-11-01", [21.0] * 5 + [33.0] * 20)
    events = m.run(readings, m.DEFAULT_CONFIG.with_(rules=("threshold",))).events
    assert set(events.severity) == {"warning", "exception"}
    assert set(events.severity) <= set(m.SEVERITIES)


@pytest.mark.parametrize(
    "kind, rule",
    [
        ("cooling_failure", "threshold_critical"),
        ("cooling_failure", "rate_of_change"),
        ("door_open", "baseline"),
        ("sensor_stuck", "flat_line"),
        ("sensor_dead", "heartbeat"),
        ("slow_degradation", "predictive"),
    ],
)
def test_each_label_is_found_by_its_rule(course, kind, rule):
    _, labels, result, _ = course
    events = result.events
    for label in labels[labels.kind == kind].itertuples():
        inside = events[(events.time >= label.start) & (events.time <= label.end)]
        assert rule in set(inside.rule), f"{kind} at {label.start} not found by {rule}"


def test_predictive_alert_comes_well_before_the_breach(course):
    per_label = course[3]["per_label"]
    lead = per_label.loc[per_label.kind == "slow_degradation", "lead_hours"].iloc[0]
    assert lead > 12


def test_no_alerts_on_three_normal_weeks():
    from servicecourse.datasets.gen_proactive import simulate_readings

    readings = simulate_readings(7, days=21)
    events = m.run(readings).events
    assert events[events.severity != "informational"].empty, events


# --- Incidents and scores -------------------------------------------------------------------


def test_priority_matrix():
    assert m.priority("high", "high") == 1
    assert m.priority("high", "low") == m.priority("low", "high") == 3
    assert m.priority("low", "low") == 5
    assert m.PRIORITY.shape == (3, 3)
    with pytest.raises(ValueError):
        m.priority("huge", "low")


def test_incident_priority_comes_from_its_events(course):
    incidents = course[2].incidents
    cooling = incidents[incidents.rules.str.contains("threshold_critical")]
    assert (cooling.priority == 1).all() and (cooling.impact == "high").all()
    stuck = incidents[incidents.rules == "flat_line"]
    assert (stuck.priority == m.priority("medium", "low")).all()


def test_default_config_on_the_course_log(course):
    _, labels, result, scores = course
    assert scores["recall"] == 1.0
    assert scores["precision"] >= 0.8
    assert scores["false_alarms_per_week"] <= 0.5
    assert 0 < scores["mttd_minutes"] < 24 * 60 * 3
    assert scores["nab_score"] > 80
    assert len(result.incidents) == len(labels[labels.category != "device_fault"])


# --- NAB ------------------------------------------------------------------------------------


def test_nab_perfect_is_100_and_nothing_is_0():
    frame, windows = nab.load_nab()
    times = pd.DatetimeIndex(frame.timestamp)
    starts = [times[times.searchsorted(a)] for a, _ in windows]
    assert m.nab_score(times, starts, windows)["score"] == 100.0
    assert m.nab_score(times, [], windows)["score"] == 0.0
    # a false positive before any window costs the FP weight (0.11 of a window)
    one_fp = m.nab_score(times, [*starts, times[1000]], windows)
    assert one_fp["fp"] == 1 and one_fp["score"] == pytest.approx(100 - 0.11 / 4 * 100)
    # alerts in the probationary period are not scored
    assert m.nab_score(times, [times[10]], windows)["fp"] == 0


def test_default_beats_the_zscore_baseline_on_nab():
    scores = m.nab_compare()
    assert 50 < scores["zscore"]["score"] < 75, "the z-score baseline scores about 60-65"
    assert scores["default"]["score"] > scores["zscore"]["score"]


# --- Bad input ------------------------------------------------------------------------------


def test_csv_exports_get_a_clear_error_and_a_reader():
    comma = "timestamp,temperature,humidity\n2016-10-01 00:00:05,21.4,31.2\n"
    semicolon = "timestamp;temperature;humidity\n2016-10-01 00:00:05;21,4;31,2\n"
    for text in (comma, semicolon):
        with pytest.raises(m.LogFormatError, match="read_export"):
            m.read_log(text + "2016-10-01 00:01:05,21.5,31.0\n")
        raw = m.read_export(io.StringIO(text))
        assert raw.temp_c.tolist() == [21.4]
        assert m.clean(raw).index[0] == pd.Timestamp("2016-09-30 21:00", tz=UTC)


def test_empty_and_garbage_logs_are_clear_errors(tmp_path):
    with pytest.raises(m.MonitoringInputError, match="no readings"):
        m.read_log("# only a comment\n\n")
    with pytest.raises(m.LogFormatError, match="no tab"):
        m.read_log("hello world\n")
    with pytest.raises(m.MonitoringInputError, match="no file"):
        m.read_log(tmp_path / "missing.log")
    with pytest.raises(m.MonitoringInputError, match="empty"):
        m.run(pd.DataFrame({"temp_c": []}, index=pd.DatetimeIndex([], tz=UTC)))


def test_bad_frames_name_the_problem():
    good = minutes("2016-11-01", [21.0] * 10)
    with pytest.raises(m.MonitoringInputError, match="temp_c"):
        m.run(good.rename(columns={"temp_c": "temperature"}))
    with pytest.raises(m.MonitoringInputError, match="not sorted"):
        m.run(good.iloc[::-1])
    with pytest.raises(m.MonitoringInputError, match="occur twice"):
        m.run(pd.concat([good, good.iloc[:2]]).sort_index())
    with pytest.raises(m.MonitoringInputError, match="not numbers"):
        m.run(good.assign(temp_c=good.temp_c.astype(str)))
    with pytest.raises(m.MonitoringInputError, match="time zone"):
        m.run(good.tz_localize(None))
    with pytest.raises(m.MonitoringInputError, match="evenly spaced"):
        m.run(good.drop(good.index[3]))
    with pytest.raises(m.MonitoringInputError, match="MonitoringConfig"):
        m.run(good, {"temp_warning": 27})
    with pytest.raises(m.MonitoringInputError, match="duration"):
        m.DEFAULT_CONFIG.with_(temp_for="five minutes")


def test_frames_with_other_names_are_cleaned_or_explained():
    frame = pd.DataFrame(
        {
            "time": ["2016-11-01 12:00:00", "2016-11-01 12:00:00", "2016-11-01 12:02:00"],
            "temp_c": ["21,0", "21,0", "21,5"],
        }
    )
    readings = m.readings_frame(frame)
    assert readings.flag.astype(str).tolist() == ["duplicate", "gap", "ok"]
    with pytest.raises(m.MonitoringInputError, match="missing column"):
        m.readings_frame(frame.rename(columns={"time": "when"}))
    with pytest.raises(m.MonitoringInputError, match="not numeric"):
        m.readings_frame(frame.assign(temp_c=["warm", "hot", "cold"]))
    with pytest.raises(m.MonitoringInputError, match="empty"):
        m.readings_frame(frame.iloc[:0])


def test_unsorted_frame_is_sorted_and_unreadable_times_dropped():
    frame = pd.DataFrame(
        {
            "time": ["2016-11-01 12:02:00", "2016-11-01 12:00:00", "garbage", "2016-11-01 12:01"],
            "temp_c": [21.0, 21.2, 20.0, 21.1],
        }
    )
    readings = m.readings_frame(frame)
    assert readings.temp_c.tolist() == [21.2, 21.1, 21.0]
    assert readings.index[0] == pd.Timestamp("2016-11-01 10:00", tz=UTC)


def test_bad_labels_are_clear_errors(course):
    result = course[2]
    with pytest.raises(m.MonitoringInputError, match="kind, start and end"):
        measures.score(result, pd.DataFrame({"kind": ["x"], "begin": ["2016-10-01"]}))
    with pytest.raises(m.MonitoringInputError, match="ends before"):
        measures.score(
            result, pd.DataFrame({"kind": ["x"], "start": ["2016-10-02"], "end": ["2016-10-01"]})
        )


# --- The package itself ---------------------------------------------------------------------


def test_every_rule_is_registered_in_the_order_of_the_settings():
    assert tuple(rules.RULES) == config.DEFAULT_RULES == m.DEFAULT_CONFIG.rules
    assert set(config.DEFAULT_RULES) <= set(m.DEFAULT_CONFIG.impact)
    assert set(config.DEFAULT_RULES) <= set(m.DEFAULT_CONFIG.urgency)
    readings = minutes("2016-11-01", [21.0] * 5 + [33.0] * 20)
    one = rules.rule_events("threshold", readings, m.DEFAULT_CONFIG)
    pd.testing.assert_frame_equal(
        one, m.detect(readings, m.DEFAULT_CONFIG.with_(rules=("threshold",)))
    )
    with pytest.raises(ValueError, match="DEFAULT_RULES"):
        rules.rule("no_such_rule")


def test_names_module_04_uses_stay_available():
    for name in ("episodes", "latch", "run_lengths", "sustained", "threshold_events"):
        assert callable(getattr(m.rules, name)), f"monitoring.rules.{name}"
    for name in m.__all__:
        assert getattr(m, name) is not None


def test_one_priority_matrix_gives_every_incident_its_priority(course):
    incidents = course[2].incidents
    expected = [m.priority(i, u) for i, u in zip(incidents.impact, incidents.urgency, strict=True)]
    assert incidents.priority.tolist() == expected


def test_doctests_of_every_module_pass():
    """The examples in the docstrings are tests too (pytest does not collect them itself)."""
    package = importlib.import_module("servicecourse.monitoring")
    names = [f"{package.__name__}.{info.name}" for info in pkgutil.iter_modules(package.__path__)]
    failures, attempted = {}, 0
    for module in [package, *map(importlib.import_module, names)]:
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        attempted += result.attempted
        if result.failed:
            failures[module.__name__] = result.failed
    assert not failures, f"failed doctests (see the output above): {failures}"
    assert attempted > 40, attempted


def test_doctests_of_the_teacher_side_scorer_pass():
    result = doctest.testmod(measures, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted >= 2


def test_the_toolbox_does_not_score_detections():
    """Module 04 asks for recall, precision and MTTD by hand: no learner tool computes them."""
    for name in ("score", "score_incidents"):
        assert not hasattr(m, name), f"monitoring.{name} gives a graded answer away"
    assert importlib.util.find_spec("servicecourse.monitoring.scoring") is None


def test_cooling_failures_agree_with_the_outages_of_module_03(course):
    """The sensor's two cooling failures are the hosting outages of module 03 (local time)."""
    from servicecourse import datasets

    labels = course[1]
    cooling = labels[labels["kind"] == "cooling_failure"]
    outages = datasets.load("kallavesi_outages")
    hosting = outages[(outages["service"] == "hosting") & ~outages["planned"].astype(bool)]
    spans = {
        (
            pd.Timestamp(start).tz_localize("Europe/Helsinki").tz_convert(UTC),
            pd.Timestamp(end).tz_localize("Europe/Helsinki").tz_convert(UTC),
        )
        for start, end in zip(hosting["start"], hosting["end"], strict=True)
    }
    assert len(cooling) == 2
    for label in cooling.itertuples():
        assert (label.start, label.end) in spans, f"no hosting outage for the {label.start} failure"
