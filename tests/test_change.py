"""Module 02's shared code and data: the learner's change tools, the teacher-side measures, and
the datasets' agreement with the other modules (tickets, catalogue, teams).

Small hand-made tables whose answers can be worked out on paper first, then the course data.
"""

from __future__ import annotations

import pandas as pd
import pytest

from servicecourse import change, datasets
from servicecourse.classroom.measures import change as measures

# --- the learner's tools ------------------------------------------------------------------


def test_adkar_elements_in_prosci_order():
    assert change.ADKAR_ELEMENTS == (
        "awareness",
        "desire",
        "knowledge",
        "ability",
        "reinforcement",
    )


def test_hours_between_two_columns():
    start = pd.to_datetime(pd.Series(["2016-10-03 08:00", "2016-10-03 08:00", None]))
    end = pd.to_datetime(pd.Series(["2016-10-03 09:30", "2016-10-05 08:00", "2016-10-03 10:00"]))
    got = change.hours(start, end)
    assert got.iloc[0] == 1.5 and got.iloc[1] == 48.0 and pd.isna(got.iloc[2])


def test_force_field_figure_draws_restraining_forces_to_the_left():
    forces = pd.DataFrame(
        {"force": ["push", "hold"], "direction": ["driving", "restraining"], "strength": [4, 3]}
    )
    figure = change.force_field_figure(forces, title="t")
    xs = {trace.name: list(trace.x) for trace in figure.data}
    assert xs == {"driving forces": [4], "restraining forces": [-3]}
    assert figure.layout.title.text == "t"
    assert all(trace.type == "bar" for trace in figure.data)


def test_force_field_figure_refuses_an_unknown_direction():
    forces = pd.DataFrame({"force": ["x"], "direction": ["sideways"], "strength": [1]})
    with pytest.raises(ValueError):
        change.force_field_figure(forces)


def test_the_toolbox_has_no_function_that_returns_a_graded_answer():
    public = {name for name in vars(change) if not name.startswith("_")}
    for graded in ("route", "barrier_point", "force_balance", "kpis_by_type", "linked_failures"):
        assert graded not in public


# --- the teacher-side measures, on paper-sized tables ---------------------------------------


@pytest.mark.parametrize(
    ("kind", "impact", "new", "expected"),
    [
        ("standard", "low", False, "pre-authorised"),
        ("normal", "low", False, "CAB"),
        ("normal", "medium", False, "CAB"),
        ("normal", "high", False, "design and transition"),
        ("normal", "low", True, "design and transition"),
        ("emergency", "high", True, "ECAB"),
        ("standard", "high", False, "design and transition"),
    ],
)
def test_route(kind, impact, new, expected):
    change_row = {"type": kind, "impact": impact, "new_service": new}
    assert measures.route(change_row) == expected
    assert measures.route_reason(change_row)


@pytest.fixture
def small_log():
    rows = [
        # id, type, outcome, service, submitted, implemented
        ("C1", "normal", "success", "email", "10-03 08:00", "10-06 18:00"),
        ("C2", "normal", "failed", "email", "10-03 09:00", "10-06 19:00"),
        ("C3", "normal", "cancelled", "email", "10-03 10:00", None),
        ("C4", "standard", "rolled_back", "hosting", "10-04 08:00", "10-04 12:00"),
        ("C5", "emergency", "success", "hosting", "10-05 02:00", "10-05 03:00"),
    ]
    log = pd.DataFrame(
        rows,
        columns=["change_id", "type", "outcome", "service", "submitted_at", "implemented_at"],
    )
    for column in ("submitted_at", "implemented_at"):
        log[column] = pd.to_datetime("2016-" + log[column], format="%Y-%m-%d %H:%M")
    return log


def test_kpis_leave_out_cancelled_changes_and_count_rollbacks_as_failures(small_log):
    kpis = measures.kpis_by_type(small_log)
    assert kpis.loc["normal", "changes"] == 2
    assert kpis.loc["normal", "success_rate"] == 0.5
    assert kpis.loc["standard", "success_rate"] == 0.0
    assert kpis.loc["normal", "median_lead_h"] == 82.0  # both waited 3 days and 10 hours
    assert measures.emergency_share(small_log) == 0.25


def test_linked_failures_follow_the_rule(small_log):
    tickets = pd.DataFrame(
        {
            "type": ["incident", "incident", "incident", "incident", "request"],
            "priority": ["P2", "P1", "P3", "P1", "P3"],
            "service": ["email", "hosting", "hosting", "hosting", "email"],
            "opened_at": pd.to_datetime(
                [
                    "2016-10-06 20:30",  # 1.5 h after C2 failed: linked
                    "2016-10-04 11:00",  # before C4 was implemented: not linked
                    "2016-10-04 13:00",  # after C4, but P3: not linked
                    "2016-10-04 21:00",  # after C4, but 9 h later: not linked
                    "2016-10-06 19:30",
                ]
            ),
        }
    )
    assert measures.linked_failures(small_log, tickets) == ["C2"]


def test_barrier_point_is_the_first_element_at_three_or_lower():
    scores = {"awareness": 4, "desire": 3, "knowledge": 2, "ability": 1, "reinforcement": 5}
    assert measures.barrier_point(scores) == "desire"
    assert measures.barrier_point(scores, threshold=2) == "knowledge"
    assert measures.barrier_point(dict.fromkeys(change.ADKAR_ELEMENTS, 4)) == "none"


def test_force_balance_and_strengths_after():
    forces = pd.DataFrame(
        {
            "direction": ["driving", "driving", "restraining"],
            "strength": [3, 2, 4],
            "strength_after": pd.array([pd.NA, 4, 1], dtype="Int64"),
        }
    )
    assert measures.force_balance(forces) == {"driving": 5.0, "restraining": 4.0, "net": 1.0}
    after = measures.strengths_after(forces)
    assert list(after) == [3.0, 4.0, 1.0]
    assert measures.force_balance(forces, after)["net"] == 6.0


# --- the module's data agree with the other modules' -----------------------------------------


@pytest.fixture(scope="module")
def changes():
    return datasets.load("kallavesi_changes")


@pytest.fixture(scope="module")
def tickets():
    return datasets.load("kallavesi_tickets")


def test_changes_touch_services_of_the_catalogue(changes):
    catalogue = datasets.load("kallavesi_service_catalogue")
    assert set(changes["service"]) <= set(catalogue["service_id"])
    assert set(changes.loc[changes["new_service"], "service"]) == {"video"}
    video = catalogue.set_index("service_id").loc["video", "status"]
    assert video == "pilot", "the video bridge is prepared in 2016 and launched in 2017"


def test_changes_fall_in_the_quarter_of_the_tickets(changes, tickets):
    done = changes[changes["implemented_at"].notna()]
    assert done["implemented_at"].min() >= tickets["opened_at"].min().normalize()
    assert done["implemented_at"].max() <= tickets["opened_at"].max()
    assert (done["implemented_at"] > done["submitted_at"]).all()
    cancelled = changes["outcome"] == "cancelled"
    assert (changes["implemented_at"].isna() == cancelled).all()


def test_failed_changes_find_real_incidents_and_the_traps_are_there(changes, tickets):
    linked = measures.linked_failures(changes, tickets)
    failed = changes[changes["outcome"].isin(["failed", "rolled_back"])]
    assert len(linked) >= 6 and len(linked) < len(failed), "some failed changes caused nothing"
    rolled = set(changes.loc[changes["outcome"] == "rolled_back", "change_id"])
    assert set(linked) & rolled, "a rolled-back change caused an incident"

    def variant(window_h=8, priorities=("P1", "P2"), absolute=False):
        chosen = tickets[(tickets["type"] == "incident") & tickets["priority"].isin(priorities)]
        pairs = failed.merge(chosen[["service", "opened_at"]], on="service")
        h = (pairs["opened_at"] - pairs["implemented_at"]) / pd.Timedelta(hours=1)
        hit = (h.abs() <= window_h) if absolute else ((h > 0) & (h <= window_h))
        return sorted(pairs.loc[hit, "change_id"].unique())

    assert variant() == linked
    assert variant(window_h=24) != linked, "an incident after the 8-hour window"
    assert variant(priorities=("P1", "P2", "P3", "P4")) != linked, "a minor incident"
    assert variant(absolute=True) != linked, "a major incident just before a change"


def test_readiness_teams_match_the_desk_and_the_survey():
    readiness = datasets.load("kallavesi_change_readiness")
    sizes = readiness.groupby("team").size()
    kpis = datasets.load("kallavesi_desk_team_kpis")
    agents = kpis[kpis["month"] == kpis["month"].max()].set_index("team")["agents"]
    assert agents.sum() == 25
    for team, count in agents.items():
        assert sizes[team] == count, team
    survey = datasets.load("kallavesi_wellbeing_survey")
    assert sizes["Service points"] == (survey["team"] == "Service points").sum() == 10
    assert readiness[list(change.ADKAR_ELEMENTS)].isin([1, 2, 3, 4, 5]).all().all()


def test_each_team_has_one_most_common_barrier_point():
    readiness = datasets.load("kallavesi_change_readiness")
    barriers = readiness.apply(measures.barrier_point, axis=1)
    for team, group in barriers.groupby(readiness["team"]):
        counts = group.value_counts()
        assert len(counts) == 1 or counts.iloc[0] > counts.iloc[1], team


def test_the_plan_turns_the_force_field_around():
    forces = datasets.load("kallavesi_tool_forces")
    assert set(forces["direction"]) == {"driving", "restraining"}
    assert forces["strength"].between(1, 5).all()
    assert measures.force_balance(forces)["net"] < 0
    assert measures.force_balance(forces, measures.strengths_after(forces))["net"] > 0
    acted = forces["action"].notna()
    assert (forces["strength_after"].notna() == acted).all()
