"""Module 01's data and teacher-side measures: they agree with the other modules' data, and the
data exercise every rule the lessons teach (forgetting a rule changes the answer)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from servicecourse import datasets
from servicecourse.classroom.measures import intro
from servicecourse.datasets import gen_intro


@pytest.fixture(scope="module")
def tickets():
    return datasets.load("kallavesi_primer_tickets")


@pytest.fixture(scope="module")
def climate():
    return datasets.load("kallavesi_team_climate")


@pytest.fixture(scope="module")
def scores():
    return datasets.load("kallavesi_excellence_scores")


@pytest.fixture(scope="module")
def targets():
    return datasets.load("kallavesi_excellence_targets")


@pytest.fixture(scope="module")
def survey():
    return datasets.load("kallavesi_bottleneck_survey")


# --- the generators ------------------------------------------------------------------------


def test_the_contacts_file_is_unchanged():
    generator = gen_intro.GENERATORS["kallavesi_desk_contacts"]
    assert generator.seed == 2016
    assert datasets.path("kallavesi_desk_contacts").read_text(encoding="utf-8") == generator.text()


@pytest.mark.parametrize("name", sorted(gen_intro.GENERATORS))
def test_generators_are_pure_functions_of_their_seed(name):
    generator = gen_intro.GENERATORS[name]
    assert generator.text() == generator.text()
    assert datasets.path(name).read_text(encoding="utf-8") == generator.text()


# --- agreement with the other data of the course --------------------------------------------


def test_primer_tickets_match_the_january_2017_contacts(tickets):
    contacts = datasets.load("kallavesi_desk_contacts")
    january = contacts[contacts["month"] == "2017-01"].set_index("channel")["contacts"]
    per_week = tickets.groupby("channel").size() / 2
    expected_week = january * 7 / 31
    for channel in ("phone", "email", "portal"):
        assert per_week[channel] == pytest.approx(expected_week[channel], rel=0.25), channel
    assert per_week.sum() == pytest.approx(expected_week.sum(), rel=0.15)
    assert tickets["opened_at"].min() >= pd.Timestamp("2017-01-09")
    assert tickets["opened_at"].max() < pd.Timestamp("2017-01-23")
    assert tickets["agent"].nunique() == 25, "the 25-agent desk"


def test_calls_and_chats_come_in_the_catalogued_staffed_hours(tickets):
    """Module 03's catalogue: the desk is staffed Mon-Fri 7-23 and Sat-Sun 10-18."""
    catalogue = datasets.load("kallavesi_service_catalogue").set_index("service_id")
    assert catalogue.loc["support", "service_hours"].startswith("Mon-Fri 7-23, Sat-Sun 10-18")
    live = tickets[tickets["channel"].isin(["phone", "chat"])]
    hour = live["opened_at"].dt.hour
    weekend = live["opened_at"].dt.day_of_week >= 5
    assert hour[~weekend].between(7, 22).all()
    assert hour[weekend].between(10, 17).all()
    night = tickets[(tickets["opened_at"].dt.hour < 7) | (tickets["opened_at"].dt.hour >= 23)]
    assert len(night) > 0 and set(night["channel"]) <= {"email", "portal"}


def test_team_climate_has_the_desk_teams_of_module_07(climate):
    kpis = datasets.load("kallavesi_desk_team_kpis")
    teams_2017 = kpis.groupby("team")["agents"].first().to_dict()
    for quarter, one in climate.groupby("quarter"):
        assert one["agents"].sum() == 25, f"25 agents in {quarter}"
        if quarter.startswith("2017"):
            assert dict(zip(one["team"], one["agents"], strict=True)) == teams_2017
        else:
            assert "Desk chat" not in set(one["team"]), "no chat team before chat opened"


def test_chat_opens_in_2017_in_the_contacts_too():
    contacts = datasets.load("kallavesi_desk_contacts")
    chat = contacts[contacts["channel"] == "chat"]
    assert chat[chat["month"] < "2017"]["contacts"].sum() == 0
    assert chat[chat["month"] == "2017-01"]["contacts"].iloc[0] > 0


def test_excellence_respondents_and_areas(scores, targets):
    roles = scores.drop_duplicates("respondent")["role"].value_counts().to_dict()
    assert roles == {"service manager": 6, "process manager": 6, "desk supervisor": 5}
    assert set(scores["area"]) == set(targets["area"])
    assert targets["group"].value_counts().to_dict() == {"enabler": 7, "result": 3}
    answered = scores["score"].dropna()
    assert answered.between(0, 5).all()


def test_bottleneck_survey_shape(survey):
    assert survey["company"].nunique() == 16
    assert set(survey["type"]) == {"process", "practice", "tool", "skill"}
    assert set(survey["frequency"]) <= {"daily", "weekly", "monthly", "rarely"}
    assert survey["severity"].between(1, 5).all()
    assert "C01" in set(survey["company"]), "Kallavesi IT takes part"


# --- the data exercise the rules the lessons teach --------------------------------------------


def test_open_tickets_and_whole_days_change_the_median(tickets):
    took = tickets["resolved_at"] - tickets["opened_at"]
    right = (took / pd.Timedelta(hours=1)).groupby(tickets["priority"]).median()
    seconds_only = (took.dt.seconds / 3600).groupby(tickets["priority"]).median()
    end = tickets["resolved_at"].fillna(pd.Timestamp("2017-01-22 23:59"))
    filled = (
        ((end - tickets["opened_at"]) / pd.Timedelta(hours=1)).groupby(tickets["priority"]).median()
    )
    assert (right - seconds_only).abs().max() > 1
    assert (right - filled).abs().max() > 0.2
    assert tickets["resolved_at"].isna().sum() > 50


def test_the_lag_must_be_taken_within_each_team(climate):
    ordered = climate.sort_values(["team", "quarter"])
    right = ordered["employee_satisfaction"].corr(ordered.groupby("team")["csat_pct"].shift(-1))
    same = climate["employee_satisfaction"].corr(climate["csat_pct"])
    ungrouped = climate["employee_satisfaction"].corr(climate["csat_pct"].shift(-1))
    assert abs(right - same) > 0.03
    assert abs(right - ungrouped) > 0.1


def test_dont_know_is_not_zero(scores):
    right = scores.groupby("area")["score"].mean()
    zero = scores.assign(score=scores["score"].fillna(0)).groupby("area")["score"].mean()
    assert (right - zero).max() > 0.5


def test_companies_not_reports_and_occurrences_not_ranks(survey):
    companies = survey.groupby("bottleneck")["company"].nunique().sort_values(ascending=False)
    reports = survey["bottleneck"].value_counts()

    def vital(counts):
        share = counts.cumsum() / counts.sum()
        return list(share.index[: int((share < 0.8).sum()) + 1])

    assert vital(companies) != vital(reports)
    assert companies.iloc[len(vital(companies)) - 1] > companies.iloc[len(vital(companies))], (
        "no tie at the Pareto cut"
    )
    per_month = {"daily": 20, "weekly": 4, "monthly": 1, "rarely": 0.25}
    ranks = {"daily": 4, "weekly": 3, "monthly": 2, "rarely": 1}

    def top(weights, breadth):
        g = survey.assign(occ=survey["frequency"].map(weights)).groupby("bottleneck")
        size = g["company"].nunique() if breadth == "companies" else g.size()
        return list((size * g["severity"].mean() * g["occ"].mean()).nlargest(3).index)

    right = top(per_month, "companies")
    assert right != top(ranks, "companies")
    assert right != top(per_month, "reports")
    scores = survey.assign(occ=survey["frequency"].map(per_month)).groupby("bottleneck")
    value = scores["company"].nunique() * scores["severity"].mean() * scores["occ"].mean()
    ordered = value.sort_values(ascending=False).to_numpy()
    assert ordered[2] > ordered[3] * 1.05, "no near-tie at the top three"


# --- the teacher-side measures of the dashboard ----------------------------------------------


def _small():
    scores = pd.DataFrame(
        {
            "respondent": ["R1", "R1", "R2", "R2", "R3", "R3"],
            "role": ["service manager"] * 2 + ["desk supervisor"] * 4,
            "area": ["A", "B", "A", "B", "A", "B"],
            "score": pd.array([4, 2, 2, None, 3, 1], dtype="Int64"),
        }
    )
    targets = pd.DataFrame(
        {
            "area": ["A", "B"],
            "group": ["enabler", "result"],
            "target": [4, 3],
            "peer_median": [3.0, 2.0],
        }
    )
    return scores, targets


def test_area_maturity_leaves_dont_know_out():
    scores, _ = _small()
    maturity = intro.area_maturity(scores)
    assert maturity["A"] == pytest.approx(3.0)
    assert maturity["B"] == pytest.approx(1.5), "(2 + 1) / 2, not (2 + 0 + 1) / 3"
    assert intro.area_maturity(scores, "desk supervisor")["B"] == pytest.approx(1.0)


def test_profile_and_gaps():
    scores, targets = _small()
    table = intro.profile(scores, targets)
    assert list(table.index) == ["A", "B"]
    assert table.loc["B", "dont_know"] == 1 and table.loc["B", "answers"] == 2
    assert table.loc["A", "gap_to_target"] == pytest.approx(1.0)
    assert table.loc["B", "gap_to_peers"] == pytest.approx(0.5)
    text = intro.gap_html(table, "target")
    assert "2 of 2 areas" in text and "A: 3.0 against 4.0" in text
    assert "<b>1</b>" in text, "the don't-know count"


def test_profile_of_a_role_without_answers_in_an_area():
    scores, targets = _small()
    table = intro.profile(scores[scores["area"] == "A"], targets, "service manager")
    assert np.isnan(table.loc["B", "current"])
    text = intro.gap_html(table, "peer_median")
    assert "No answers in this selection for: B" in text
    assert "0 of 2 areas" in text


def test_profile_of_the_course_data(scores, targets):
    table = intro.profile(scores, targets)
    assert table["current"].between(0, 5).all()
    assert table["dont_know"].sum() == scores["score"].isna().sum()
