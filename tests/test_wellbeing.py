"""Module 07: the learner's toolbox (keys, rules), the teacher-side measures and the data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from servicecourse import datasets, wellbeing
from servicecourse.classroom.measures import wellbeing as measures
from servicecourse.datasets import gen_wellbeing


@pytest.fixture(scope="module")
def survey():
    return datasets.load("kallavesi_wellbeing_survey")


@pytest.fixture(scope="module")
def kpis():
    return datasets.load("kallavesi_desk_team_kpis")


@pytest.fixture(scope="module")
def shifts():
    return datasets.load("kallavesi_desk_shifts")


def _answers(rows):
    return pd.DataFrame(rows, columns=[f"uwes{i}" for i in range(1, 10)])


# --- scoring ----------------------------------------------------------------------------------


def test_uwes9_key_covers_each_item_once():
    items = sorted(i for numbers in wellbeing.UWES9_KEY.values() for i in numbers)
    assert items == list(range(1, 10))
    assert wellbeing.UWES9_KEY["vigor"] == (1, 2, 5)
    assert wellbeing.UWES9_KEY["dedication"] == (3, 4, 7)
    assert wellbeing.UWES9_KEY["absorption"] == (6, 8, 9)


def test_uwes9_scores_are_item_means():
    scores = measures.score_uwes9(_answers([[6, 6, 0, 0, 6, 3, 0, 3, 3], [0] * 9]))
    assert scores.loc[0, "vigor"] == 6
    assert scores.loc[0, "dedication"] == 0
    assert scores.loc[0, "absorption"] == 3
    assert scores.loc[0, "engagement"] == pytest.approx(27 / 9)
    assert (scores.loc[1] == 0).all()


def test_missing_answers_are_skipped_not_counted_as_zero():
    scores = measures.score_uwes9(_answers([[6, np.nan, 6, 6, 6, 6, 6, 6, 6]]))
    assert scores.loc[0, "vigor"] == 6


def test_out_of_range_answer_is_an_error():
    with pytest.raises(ValueError, match="between 0 and 6.*uwes4"):
        measures.score_uwes9(_answers([[1, 1, 1, 7, 1, 1, 1, 1, 1]]))
    with pytest.raises(ValueError, match="between 1 and 5"):
        measures.score_exhaustion(pd.DataFrame({"exh1": [0], "exh2": [1], "exh3": [1]}))


def test_missing_columns_are_named():
    with pytest.raises(ValueError, match="uwes9"):
        measures.score_uwes9(_answers([[1] * 9]).drop(columns="uwes9"))


def test_survey_scores_stay_on_their_scales(survey):
    scores = measures.score_survey(survey)
    assert len(scores) == 80
    assert scores[["vigor", "dedication", "absorption", "engagement"]].stack().between(0, 6).all()
    assert scores["exhaustion"].between(1, 5).all()
    assert scores[["demands", "resources"]].stack().between(1, 5).all()


# --- anonymity --------------------------------------------------------------------------------


def test_small_groups_are_left_out(survey):
    scores = measures.score_survey(survey)
    table = measures.group_summary(scores, "team", ["engagement"])
    sizes = survey["team"].value_counts()
    assert set(table.index) == set(sizes[sizes >= 5].index)
    assert {"Desk chat", "Desk evenings & nights", "Administration"}.isdisjoint(table.index)
    assert (table["respondents"] >= wellbeing.MIN_GROUP_SIZE).all()
    assert measures.suppressed_count(scores, "team") == 3


def test_a_group_of_exactly_five_is_reported():
    scores = pd.DataFrame({"team": ["a"] * 5 + ["b"] * 4, "engagement": [4.0] * 5 + [1.0] * 4})
    table = measures.group_summary(scores, "team", ["engagement"])
    assert list(table.index) == ["a"]
    assert table.loc["a", "respondents"] == 5


def test_the_threshold_cannot_be_lowered(survey):
    scores = measures.score_survey(survey)
    with pytest.raises(ValueError, match="cannot be below 5"):
        measures.group_summary(scores, "team", ["engagement"], min_size=3)


def test_a_stricter_threshold_hides_more(survey):
    scores = measures.score_survey(survey)
    table = measures.group_summary(scores, "team", ["engagement"], min_size=8)
    assert (table["respondents"] >= 8).all()
    assert measures.suppressed_count(scores, "team", 8) == 11 - len(table)


def test_team_means_are_rounded_means(survey):
    scores = measures.score_survey(survey)
    table = measures.group_summary(scores, "team", ["engagement", "exhaustion"])
    phone_a = scores[scores["team"] == "Desk phone A"]
    assert table.loc["Desk phone A", "engagement"] == round(phone_a["engagement"].mean(), 2)
    assert table.loc["Desk phone A", "respondents"] == 7


# --- the dashboard never shows a small group ---------------------------------------------------


@pytest.mark.parametrize("by", ["team", "unit"])
@pytest.mark.parametrize("min_size", [5, 6, 8, 10])
def test_team_report_never_shows_a_small_group(survey, kpis, by, min_size):
    table = measures.team_report(survey, kpis, by=by, min_size=min_size)
    sizes = survey[by].value_counts()
    assert (table["respondents"] >= min_size).all()
    assert all(sizes[group] >= min_size for group in table.index)
    hidden = [g for g in sizes.index if sizes[g] < min_size]
    html = measures.report_html(table, "engagement", len(hidden), min_size)
    for group in hidden:
        assert group.replace("&", "&amp;") not in html, f"{group} must not appear"
    assert f"{len(hidden)} group(s) with fewer than {min_size} answers" in html


def test_team_report_pairs_well_being_with_kpis(survey, kpis):
    table = measures.team_report(survey, kpis)
    phone_a = kpis[kpis["team"] == "Desk phone A"]
    per_agent = (phone_a["tickets_resolved"] / phone_a["agents"]).mean()
    assert table.loc["Desk phone A", "tickets_per_agent_month"] == pytest.approx(
        per_agent, abs=0.01
    )
    assert np.isnan(table.loc["Development", "csat"])
    by_unit = measures.team_report(survey, kpis, by="unit")
    assert by_unit.loc["Service desk", "respondents"] == 25


# --- OLS --------------------------------------------------------------------------------------


def test_ols_recovers_known_coefficients():
    rng = np.random.default_rng(1)
    data = pd.DataFrame({"x": rng.normal(size=200), "z": rng.normal(size=200)})
    data["y"] = 1.5 + 2.0 * data["x"] - 0.5 * data["z"]
    coefs = measures.ols(data, "y", ["x", "z"])
    assert list(coefs.index) == ["intercept", "x", "z"]
    assert coefs.to_numpy() == pytest.approx([1.5, 2.0, -0.5])
    assert measures.r_squared(data, "y", coefs) == pytest.approx(1.0)


def test_ols_of_the_survey_supports_both_jdr_processes(survey):
    scores = measures.score_survey(survey)
    exhaustion = measures.ols(scores, "exhaustion", ["demands", "resources"]).round(3)
    engagement = measures.ols(scores, "engagement", ["demands", "resources"]).round(3)
    assert exhaustion.to_dict() == pytest.approx(
        {"intercept": 1.382, "demands": 0.506, "resources": -0.285}
    )
    assert engagement.to_dict() == pytest.approx(
        {"intercept": -0.029, "demands": 0.02, "resources": 1.152}
    )


def test_ols_rejects_bad_input():
    data = pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0], "x": [1.0, 2.0, 3.0, 4.0]})
    with pytest.raises(ValueError, match="missing values"):
        measures.ols(data, "y", ["x"])
    with pytest.raises(ValueError, match="more observations"):
        measures.ols(data.dropna().head(2), "y", ["x"])
    with pytest.raises(ValueError, match="column"):
        measures.ols(data, "y", ["w"])


# --- feedback and recognition -------------------------------------------------------------------


def test_positive_feedback_counts_ratings_of_four_and_five():
    feedback = pd.DataFrame(
        {"agent": ["A1"] * 4 + ["A2"] * 2, "month": ["2017-09"] * 6, "rating": [5, 4, 3, 1, 5, 2]}
    )
    table = measures.positive_feedback(feedback)
    assert table.loc[("A1", "2017-09"), "positives"] == 2
    assert table.loc[("A1", "2017-09"), "positive_rate"] == 0.5
    assert table.loc[("A2", "2017-09"), "feedback"] == 2


def test_recognition_trigger_and_rate():
    feedback = pd.DataFrame(
        {
            "agent": ["busy"] * 14 + ["quiet"] * 6,
            "month": ["2017-10"] * 20,
            "rating": [5] * 10 + [1] * 4 + [5] * 6,
        }
    )
    assert set(measures.recognitions(feedback, 10).index) == {("busy", "2017-10")}
    fair = measures.recognitions(feedback, 5, min_rate=0.9)
    assert set(fair.index) == {("quiet", "2017-10")}


def test_recognitions_of_the_data(survey):
    feedback = datasets.load("kallavesi_desk_feedback")
    chosen = measures.recognitions(feedback, 10)
    assert len(chosen) == 29
    assert (chosen["positives"] >= 10).all()


def test_feedback_rejects_bad_ratings():
    with pytest.raises(ValueError, match="1 to 5"):
        measures.positive_feedback(pd.DataFrame({"agent": ["A"], "month": ["m"], "rating": [6]}))
    with pytest.raises(ValueError, match="at least 1"):
        measures.recognitions(pd.DataFrame({"agent": ["A"], "month": ["m"], "rating": [5]}), 0)


# --- working time -----------------------------------------------------------------------------


def _plan(*pairs, agent="A"):
    return pd.DataFrame(
        {
            "agent": agent,
            "start": pd.to_datetime([a for a, _ in pairs]),
            "end": pd.to_datetime([b for _, b in pairs]),
        }
    )


def test_night_hours_are_the_overlap_with_23_to_06():
    plan = _plan(
        ("2017-11-06 07:00", "2017-11-06 15:00"),  # day: none
        ("2017-11-06 15:00", "2017-11-06 23:00"),  # ends at 23:00: none
        ("2017-11-07 16:00", "2017-11-08 00:00"),  # one hour
        ("2017-11-08 22:00", "2017-11-09 06:00"),  # seven hours
        ("2017-11-10 04:00", "2017-11-10 12:00"),  # early start: two hours
        ("2017-11-11 00:00", "2017-11-12 00:00"),  # a whole day: 6 + 1 hours
    )
    assert measures.night_hours(plan).tolist() == [0, 0, 1, 7, 2, 7]


def test_night_hours_per_week_of_the_plan(shifts):
    weekly = measures.night_hours_per_week(shifts)
    assert weekly.index.names == ["agent", "week"]
    assert weekly[("A24", "2017-W45")] == 1.5  # a call-out 23:30-01:00
    assert weekly[("A25", "2017-W46")] == 1.25  # a call-out 04:45-06:45: 1.25 h before 06:00
    assert weekly[("A01", "2017-W45")] == 0
    assert weekly.sum() == 11
    assert (weekly == 0).sum() > 80


def test_standby_is_not_night_work(shifts):
    on_call = shifts[shifts["kind"] == "on call"]
    assert measures.night_hours(on_call).sum() > 150
    assert measures.night_hours_per_week(on_call.assign(kind="on call")).empty
    weekly = measures.night_hours_per_week(shifts)
    assert weekly.sum() < measures.night_hours(shifts).sum() - 150


def test_the_plan_needs_both_night_windows(shifts):
    """A check of only one night window, or of every call-out hour, gives another answer."""
    work = measures.working_time(shifts)
    start, end = work["start"], work["end"]
    day = start.dt.normalize()

    def window(offset):
        opens = day + pd.Timedelta(days=offset, hours=23)
        closes = opens + pd.Timedelta(hours=7)
        inside = end.clip(upper=closes) - start.clip(lower=opens)
        return inside.dt.total_seconds().clip(lower=0) / 3600

    total = measures.night_hours(work).sum()
    assert window(0).sum() < total - 1  # call-outs after midnight are missed
    assert window(-1).sum() < total - 1  # call-outs before midnight are missed
    call_outs = work[work["kind"] == "call-out"]
    every_hour = ((call_outs["end"] - call_outs["start"]).dt.total_seconds() / 3600).sum()
    assert every_hour > total + 0.5  # some call-outs run past 06:00
    iso_end = work["end"].dt.isocalendar()["week"]
    assert (iso_end != work["start"].dt.isocalendar()["week"]).any()  # a call-out across weeks


def test_rests_must_be_computed_per_agent(shifts):
    assert (shifts["agent"] != shifts["agent"].shift()).mean() > 0.8  # rows in time order
    plan = measures.planned_shifts(shifts).sort_values("start")
    across = (plan["start"].shift(-1) - plan["end"]).dt.total_seconds() / 3600
    wrong = ((across >= 0) & (across < 11)).sum()
    assert wrong > 3 * len(measures.short_rests(shifts))


def test_rests_of_exactly_eleven_hours_are_in_the_plan(shifts):
    rests = measures.rest_periods(shifts)
    assert (rests["rest_hours"] == 11).sum() >= 2
    with_standby = (
        shifts.sort_values(["agent", "start"])
        .groupby("agent")
        .apply(lambda g: (g["start"].shift(-1) - g["end"]).dt.total_seconds().lt(11 * 3600).sum())
        .sum()
    )
    assert with_standby > len(measures.short_rests(shifts))


def test_short_rests_find_quick_returns():
    plan = _plan(
        ("2017-11-06 15:00", "2017-11-06 23:00"),
        ("2017-11-07 07:00", "2017-11-07 15:00"),  # 8 h rest
        ("2017-11-08 07:00", "2017-11-08 15:00"),  # 16 h
        ("2017-11-09 02:00", "2017-11-09 10:00"),  # exactly 11 h: allowed
    )
    rests = measures.short_rests(plan)
    assert len(rests) == 1
    assert rests.loc[0, "rest_hours"] == 8
    assert rests.loc[0, "end"] == pd.Timestamp("2017-11-06 23:00")


def test_short_rests_of_the_plan(shifts):
    rests = measures.short_rests(shifts)
    assert set(rests["agent"]) == {"A06", "A14", "A19", "A23", "A25"}
    assert len(rests) == 5
    assert rests["rest_hours"].max() < 11


def test_rests_are_per_person():
    plan = pd.concat(
        [
            _plan(("2017-11-06 15:00", "2017-11-06 23:00"), agent="A"),
            _plan(("2017-11-07 07:00", "2017-11-07 15:00"), agent="B"),
        ]
    )
    assert measures.short_rests(plan).empty


def test_bad_shifts_are_errors():
    with pytest.raises(ValueError, match="end after it starts"):
        measures.night_hours(_plan(("2017-11-06 15:00", "2017-11-06 15:00")))
    with pytest.raises(ValueError, match="longer than 24 hours"):
        measures.night_hours(_plan(("2017-11-06 15:00", "2017-11-08 15:00")))
    with pytest.raises(ValueError, match="overlap"):
        measures.rest_periods(
            _plan(
                ("2017-11-06 07:00", "2017-11-06 15:00"), ("2017-11-06 14:00", "2017-11-06 20:00")
            )
        )
    with pytest.raises(ValueError, match="start"):
        measures.night_hours(pd.DataFrame({"end": ["2017-11-06 15:00"]}))


def test_staffing_by_hour():
    on_duty = wellbeing.staffing_by_hour([7, 8, 9])
    assert on_duty[6] == 0
    assert on_duty[7] == 1
    assert on_duty[9] == 3
    assert on_duty[16] == 1
    assert on_duty[17] == 0


# --- the datasets agree with the company --------------------------------------------------------


def test_desk_has_25_agents_in_five_teams_with_two_below_the_threshold(survey, kpis, shifts):
    desk = survey[survey["unit"] == "Service desk"]
    assert len(desk) == 25 == sum(gen_wellbeing.DESK_TEAMS.values())
    assert (desk["team"].value_counts() < wellbeing.MIN_GROUP_SIZE).sum() == 2
    assert shifts["agent"].nunique() == 25
    assert kpis.groupby("month")["agents"].sum().eq(25).all()


def test_interview_study_has_the_programme_design():
    codes = datasets.load("kallavesi_interview_codes")
    people = codes.groupby("group")["interviewee"].nunique()
    assert people.to_dict() == {"service desk employee": 25, "supervisor": 5, "service worker": 5}
    assert set(codes["herzberg"]) == {"motivator", "hygiene"}
    assert (codes["factor"].map(wellbeing.HERZBERG) == codes["herzberg"]).all()


def test_the_desk_works_two_shifts_with_nights_on_call(shifts):
    """The company profile (../shared/design.md): two shifts, a few agents in the evening, nights
    on call; one agent on weekend days."""
    kinds = set(shifts["kind"])
    assert kinds == {"day", "evening", "on call", "call-out"}
    planned = measures.planned_shifts(shifts)
    weekday = planned[planned["start"].dt.day_of_week < 5]
    evenings = weekday[weekday["kind"] == "evening"]
    assert set(evenings["start"].dt.strftime("%H:%M")) == {"15:00"}
    assert set(evenings["end"].dt.strftime("%H:%M")) == {"23:00"}
    per_evening = evenings.groupby(evenings["start"].dt.date).size()
    assert per_evening.between(2, 5).all()
    assert (weekday["end"].dt.hour.between(15, 23)).all()
    weekend = planned[planned["start"].dt.day_of_week >= 5]
    assert weekend.groupby(weekend["start"].dt.date).size().max() <= 2
    on_call = shifts[shifts["kind"] == "on call"]
    assert on_call["start"].dt.date.is_unique and len(on_call) == 28
    assert set(on_call["start"].dt.strftime("%H:%M")) == {"23:00"}
    call_outs = shifts[shifts["kind"] == "call-out"]
    for row in call_outs.itertuples():
        night = on_call[(on_call["start"] <= row.start) & (on_call["end"] > row.start)]
        assert list(night["agent"]) == [row.agent]


def test_the_plan_covers_the_catalogued_support_hours(shifts):
    """Module 03's service catalogue and this plan describe the same desk."""
    catalogue = datasets.load("kallavesi_service_catalogue").set_index("service_id")
    hours = catalogue.loc["support", "service_hours"]
    assert hours == "Mon-Fri 7-23, Sat-Sun 10-18; nights on call for P1"
    planned = measures.planned_shifts(shifts)
    for day, rows in planned.groupby(planned["start"].dt.normalize()):
        opens, closes = (7, 23) if day.day_of_week < 5 else (10, 18)
        for hour in range(opens, closes):
            moment = day + pd.Timedelta(hours=hour, minutes=30)
            assert ((rows["start"] <= moment) & (rows["end"] > moment)).any(), moment
        assert rows["start"].min().hour >= opens and rows["end"].max().hour <= closes
    on_call = shifts[shifts["kind"] == "on call"]
    assert len(on_call) == planned["start"].dt.normalize().nunique() == 28
