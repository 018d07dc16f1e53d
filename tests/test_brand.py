"""Module 05's shared code and data: the learner's tools, the dashboard's measures, and the
survey's agreement with module 03's tickets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from servicecourse import brand, datasets
from servicecourse.classroom.measures import brand as measures


def test_scales_name_their_direction():
    assert brand.SCALES["ces_original"].high_is_good is False
    assert brand.SCALES["ces_2"].high_is_good is True
    assert (brand.SCALES["nps"].low, brand.SCALES["nps"].high) == (0, 10)
    blocks = [b for _, level in brand.CBBE_LEVELS for b in level]
    assert blocks == ["salience", "performance", "imagery", "judgments", "feelings", "resonance"]


def test_bootstrap_is_seeded_and_drops_missing_values():
    values = [1.0, 2.0, np.nan, 3.0, 4.0]
    first = brand.bootstrap(values, np.mean, resamples=200, seed=3)
    again = brand.bootstrap(values, np.mean, resamples=200, seed=3)
    assert first.shape == (200,)
    assert np.array_equal(first, again)
    assert first.min() >= 1 and first.max() <= 4
    with pytest.raises(ValueError):
        brand.bootstrap([np.nan], np.mean)


def test_measures_on_a_table_worked_out_by_hand():
    scores = pd.Series([10, 9, 8, 7, 6, 0, None], dtype="Int64")
    # 2 promoters, 2 passives, 2 detractors of 6 answers: NPS 0; the empty answer does not count
    assert measures.nps(scores) == pytest.approx(0.0)
    assert measures.nps(pd.Series([9, 9, 7, 3], dtype="Int64")) == pytest.approx(25.0)
    assert measures.csat_pct(pd.Series([5, 4, 3, None], dtype="Int64")) == pytest.approx(200 / 3)
    assert measures.ces_mean(pd.Series([7, 5, None], dtype="Int64")) == pytest.approx(6.0)


@pytest.fixture(scope="module")
def survey():
    return datasets.load("kallavesi_customer_survey")


@pytest.fixture(scope="module")
def tickets():
    return datasets.load("kallavesi_tickets")


def test_survey_answers_are_about_resolved_tickets_of_module_03(survey, tickets):
    """The figures the two modules share: ticket ids, resolution before the answer."""
    rated = survey.merge(tickets, left_on="ticket", right_on="id", how="left")
    assert rated["id"].notna().all(), "every surveyed ticket exists in kallavesi_tickets"
    assert rated["resolved_at"].notna().all(), "only resolved tickets are surveyed"
    assert (rated["answered_at"] >= rated["resolved_at"]).all()
    assert survey["ticket"].is_unique
    assert survey["answered_at"].max() <= pd.Timestamp("2016-12-31 23:59")
    assert set(rated["channel"]) <= set(tickets["channel"])


def test_survey_scales_and_skips(survey):
    assert survey["nps"].dropna().between(0, 10).all()
    assert survey["csat"].dropna().between(1, 5).all()
    assert survey["ces"].dropna().between(1, 7).all()
    assert not survey[["nps", "csat", "ces"]].isna().all(axis=1).any()
    assert 0.03 < survey["nps"].isna().mean() < 0.12, "skipped NPS answers exercise the rule"


def test_survey_levels_are_plausible_and_exercise_the_rules(survey):
    overall = measures.nps(survey["nps"])
    assert 5 < overall < 35, "of the order of the cited B2B benchmark"
    answered = survey["nps"].dropna()
    as_if_0_to_5 = ((answered >= 9).mean() - (answered <= 5).mean()) * 100
    assert abs(as_if_0_to_5 - overall) > 5, "counting 6 as passive changes the answer"
    diluted = (
        (survey["nps"] >= 9).fillna(False).mean() - (survey["nps"] <= 6).fillna(False).mean()
    ) * 100
    assert abs(diluted - overall) > 0.5, "counting skipped answers changes the answer"


def test_drivers_are_in_the_data(survey, tickets):
    table = measures.driver_table(measures.joined(survey, tickets), "nps")
    assert table["gap"].idxmin() == "reopened", "reopened tickets have the lowest NPS"
    assert (table["gap"] < 0).all()
    rated = measures.joined(survey, tickets)
    detractors = rated[rated["nps"] <= 6]
    assert (~detractors["sla_missed"]).mean() > 0.5, "most detractors had a green SLA"


def test_dashboard_series(survey, tickets):
    rated = measures.joined(survey, tickets)
    weekly = measures.over_time(rated, "nps", "W")
    monthly = measures.over_time(rated, "csat_pct", "M")
    assert len(monthly) == 3 and weekly["answers"].sum() == survey["nps"].notna().sum()
    segments = measures.by_segment(rated, "ces_mean")
    assert set(segments.index.get_level_values("segment")) == {"public_sector", "sme", "education"}
    assert len(segments) == 9 and segments["answers"].sum() == survey["ces"].notna().sum()


def test_brand_tracker_reverse_item_changes_the_weakest_block():
    tracker = datasets.load("kallavesi_brand_tracker")
    assert tracker.loc[tracker["reverse"], "item"].unique().tolist() == ["fee2"]
    fixed = tracker["score"].where(~tracker["reverse"], 8 - tracker["score"])
    right = fixed.groupby(tracker["block"]).mean()
    wrong = tracker.groupby("block")["score"].mean()
    assert right.idxmin() != wrong.idxmin()


def test_page_assessments_weighting_changes_the_best_page():
    pages = datasets.load("kallavesi_brand_page_assessments")
    assert (pages.groupby(["page", "assessor"])["weight"].sum() == 100).all()
    per_criterion = pages.groupby(["page", "criterion"]).agg(
        score=("score", "mean"), weight=("weight", "first")
    )
    weighted = (per_criterion["score"] * per_criterion["weight"]).groupby("page").sum() / 100
    unweighted = pages.groupby("page")["score"].mean()
    assert weighted.idxmax() != unweighted.idxmax()
    assert pages["score"].isna().sum() >= 3
