"""Module 06: the learner's tools, the dashboard's measures and the module's data.

The data tests also prove that the rules the lessons teach matter in these data: forgetting one
changes the answer by more than the graded cell's tolerance.
"""

from __future__ import annotations

import pandas as pd
import pytest

from servicecourse import datasets, improvement
from servicecourse.classroom.measures import improvement as measures
from servicecourse.datasets import gen_innovation

CHANGE = gen_innovation.CHANGE_DATE


@pytest.fixture(scope="module")
def register():
    return datasets.load("kallavesi_improvement_register")


@pytest.fixture(scope="module")
def feedback():
    return datasets.load("kallavesi_ticket_feedback")


@pytest.fixture(scope="module")
def tickets():
    return datasets.load("kallavesi_tickets")


@pytest.fixture(scope="module")
def servqual():
    return datasets.load("kallavesi_servqual")


@pytest.fixture(scope="module")
def remote_tickets():
    t = datasets.load("kallavesi_remote_tool_tickets")
    t["hours"] = (t["resolved_at"] - t["opened_at"]).dt.total_seconds() / 3600
    return t


# --- the learner's tools ------------------------------------------------------------------------


def test_the_models_have_their_steps_in_order():
    assert len(improvement.CI_MODEL_STEPS) == 7
    assert improvement.CI_MODEL_STEPS[0] == "What is the vision?"
    assert improvement.CI_MODEL_STEPS[-1] == "How do we keep the momentum going?"
    assert len(improvement.SEVEN_STEP_PROCESS) == 7
    assert improvement.PDCA_STEPS == ("Plan", "Do", "Check", "Act")
    assert len(improvement.LEAN_WASTES) == 8 and "unused talent" in improvement.LEAN_WASTES


@pytest.mark.parametrize(
    ("value", "effort", "expected"),
    [
        (8, 2, "quick win"),
        (6, 6, "quick win"),  # both cut-offs are inclusive
        (9, 20, "major project"),
        (3, 2, "fill-in"),
        (2, 15, "thankless task"),
    ],
)
def test_quadrant_uses_inclusive_cut_offs(value, effort, expected):
    assert improvement.quadrant(value, effort, value_cut=6, effort_cut=6) == expected


def test_steps_figure_draws_a_closed_cycle_on_cartesian_axes():
    figure = improvement.steps_figure(improvement.PDCA_STEPS, title="PDCA")
    assert {trace.type for trace in figure.data} == {"scatter"}
    line, points = figure.data
    assert len(points.x) == 4 and len(line.x) == 5 and line.x[0] == line.x[-1]
    assert figure.layout.title.text == "PDCA"
    assert [a.text for a in figure.layout.annotations][0] == "1. Plan"
    with pytest.raises(ValueError):
        improvement.steps_figure(["alone"], title="x")


# --- the dashboard's measures -------------------------------------------------------------------


def test_matrix_keeps_the_chosen_statuses_and_puts_quick_wins_first(register):
    table = measures.matrix(register, value_cut=7, effort_cut=5)
    assert set(table["status"]) <= {"proposed", "approved"}
    assert len(table) == register["status"].isin(["proposed", "approved"]).sum()
    wins = table[table["quadrant"] == "quick win"]
    assert (wins["value"] >= 7).all() and (wins["effort_days"] <= 5).all()
    assert table.index[table["quadrant"] == "quick win"].max() < len(wins)
    assert wins["value_per_day"].is_monotonic_decreasing


def test_quadrant_counts_include_empty_quadrants(register):
    table = measures.matrix(register, value_cut=11, effort_cut=100)
    counts = measures.quadrant_counts(table)
    assert list(counts.index) == list(improvement.QUADRANTS)
    assert counts["quick win"] == 0 and counts["fill-in"] == len(table)


def test_summary_html_escapes_titles():
    table = pd.DataFrame(
        {"id": ["CIR-99"], "title": ["<b>x</b> & y"], "quadrant": ["quick win"],
         "value": [9], "effort_days": [1]}
    )  # fmt: skip
    text = measures.summary_html(table)
    assert "&lt;b&gt;x&lt;/b&gt; &amp; y" in text and "<b>x</b>" not in text
    assert "none with these cut-offs" in measures.summary_html(table.iloc[0:0])


# --- the data agree with the other modules -----------------------------------------------------


def test_feedback_is_about_resolved_tickets_of_module_03_and_comes_after_resolution(
    feedback, tickets
):
    joined = feedback.merge(tickets, left_on="ticket", right_on="id", how="left")
    assert joined["id"].notna().all(), "every answer is about a ticket of kallavesi_tickets"
    assert joined["resolved_at"].notna().all()
    assert (joined["answered_at"] > joined["resolved_at"]).all()
    assert feedback["ticket"].is_unique
    assert 0.08 < len(feedback) / tickets["resolved_at"].notna().sum() < 0.12


def test_feedback_satisfaction_is_of_the_order_of_module_05s_survey(feedback):
    survey = datasets.load("kallavesi_customer_survey")
    ours = (feedback["rating"] >= 4).mean()
    theirs = (survey["csat"].dropna() >= 4).mean()
    assert abs(ours - theirs) < 0.12, (ours, theirs)


def test_register_services_are_in_the_catalogue(register):
    catalogue = datasets.load("kallavesi_service_catalogue")
    assert set(register["service"]) <= set(catalogue["service_id"])
    assert register["id"].is_unique


def test_remote_tool_tickets_do_not_reuse_module_03_ids(remote_tickets, tickets):
    assert not set(remote_tickets["id"]) & set(tickets["id"])
    assert remote_tickets["opened_at"].min() < CHANGE < remote_tickets["opened_at"].max()
    done = remote_tickets.dropna(subset=["resolved_at"])
    assert (done["resolved_at"] >= done["opened_at"]).all()


def test_servqual_follows_the_1988_structure(servqual):
    weights = datasets.load("kallavesi_servqual_weights")
    per_respondent = servqual.groupby("respondent")["item"].nunique()
    assert (per_respondent == 22).all() and len(per_respondent) == 120
    dims = servqual.groupby("item")["dimension"].first()
    for dimension, items in gen_innovation.SERVQUAL_ITEMS.items():
        assert set(dims[dims == dimension].index) == set(items)
    assert (weights.drop(columns="respondent").sum(axis=1) == 100).all()
    assert set(weights["respondent"]) == set(servqual["respondent"])


def test_site_distances_are_one_per_town():
    visits = datasets.load("kallavesi_site_visits")
    assert (visits.groupby("site")["one_way_km"].nunique() == 1).all()
    assert not visits.loc[visits["reason"] == "hardware replacement", "remote_fixable"].any()


# --- the rules the lessons teach change the answers --------------------------------------------


def test_a_closed_idea_would_top_the_ranking_if_statuses_were_ignored(register):
    ratio = register["value"] / register["effort_days"]
    assert register.loc[ratio.idxmax(), "status"] not in {"proposed", "approved"}


def test_cannot_say_answers_change_the_gaps(servqual):
    both = servqual.dropna(subset=["perception"])
    right = (both["perception"] - both["expectation"]).groupby(both["dimension"]).mean()
    means = servqual.groupby("dimension")[["perception", "expectation"]].mean()
    naive = means["perception"] - means["expectation"]
    assert abs(right["reliability"] - naive["reliability"]) > 0.02
    assert abs(right["responsiveness"] - naive["responsiveness"]) > 0.02
    # the lowest perception is not the largest shortfall
    assert servqual.groupby("dimension")["perception"].mean().idxmin() != right.idxmin()


def test_capitals_and_repeated_keywords_change_the_theme_counts(feedback):
    unhappy = feedback.loc[feedback["rating"] <= 2, "comment"].fillna("")
    words = ["quick", "fast", "in minutes", "slow", "took days", "wait"]
    any_case = sum(any(w in c.lower() for w in words) for c in unhappy)
    exact_case = sum(any(w in c for w in words) for c in unhappy)
    hits = sum(c.lower().count(w) for c in unhappy for w in words)
    assert exact_case < any_case < hits


def test_service_requests_and_the_split_date_change_the_mttr_change(remote_tickets):
    def change(frame, by="opened_at"):
        before = frame.loc[frame[by] < CHANGE, "hours"].mean()
        after = frame.loc[frame[by] >= CHANGE, "hours"].mean()
        return (after - before) / before * 100

    incidents = remote_tickets[remote_tickets["type"] == "incident"]
    assert abs(change(incidents) - change(remote_tickets)) > 5
    assert abs(change(incidents) - change(incidents, by="resolved_at")) > 5
