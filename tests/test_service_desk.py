"""Module 03's shared code: service desk measures, RACI checks, catalogue and product cards.

Small hand-made tables whose answers can be worked out on paper, then the course datasets.
"""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from servicecourse import catalogue as card_tools
from servicecourse import datasets
from servicecourse import raci as raci_tools
from servicecourse import service_desk as tools
from servicecourse.classroom.measures import catalogue, raci
from servicecourse.classroom.measures import service_desk as sd


def _tickets(rows):
    columns = ["opened_at", "resolved_at", "priority", "channel", "contacts", "escalated",
               "reopened", "talk_s", "hold_s", "acw_s", "sla_target_h"]  # fmt: skip
    t = pd.DataFrame(rows, columns=columns)
    for column in ("opened_at", "resolved_at"):  # the rows give month-day hour:minute of 2016
        t[column] = pd.to_datetime("2016-" + t[column], format="%Y-%m-%d %H:%M")
    return t


N = None


@pytest.fixture
def small():
    return _tickets(
        [
            # opened, resolved, prio, channel, contacts, esc, reopened, talk, hold, acw, target
            ("10-03 08:00", "10-03 08:10", "P3", "phone", 1, False, False, 300, 60, 120, 24),
            ("10-03 09:00", "10-04 11:00", "P3", "email", 2, False, False, N, N, N, 24),
            ("10-03 10:00", "10-03 16:00", "P1", "phone", 1, True, False, 420, 0, 180, 4),
            ("10-04 12:00", "10-04 14:00", "P1", "portal", 1, False, True, N, N, N, 4),
            ("10-05 07:30", None, "P4", "phone", 1, False, False, 240, 30, 60, 72),
        ]
    )  # fmt: skip


# --- measures on a table worked out by hand -----------------------------------------------------


def test_fcr_counts_resolved_tickets_with_one_contact_no_escalation_no_reopening(small):
    # Resolved: 4. Only the first is one contact, not escalated, not reopened.
    assert sd.first_contact_resolution(small) == pytest.approx(0.25)


def test_aht_is_phone_only_talk_hold_and_after_call_work(small):
    # Phone: 480 s, 600 s, 330 s -> mean 470 s.
    assert sd.average_handle_time(small, unit="s") == pytest.approx(470)
    assert sd.average_handle_time(small) == pytest.approx(470 / 60)


def test_mttr_by_priority_in_hours_in_priority_order(small):
    mttr = sd.mttr_by_priority(small, ticket_type=None)
    assert list(mttr.index) == ["P1", "P3"], "P4 has no resolved ticket, so no MTTR"
    assert mttr["P1"] == pytest.approx((6 + 2) / 2)
    assert mttr["P3"] == pytest.approx((10 / 60 + 26) / 2)


def test_sla_attainment_over_resolved_tickets(small):
    # 10 min <= 24 h yes; 26 h > 24 h no; 6 h > 4 h no; 2 h <= 4 h yes.
    assert sd.sla_attainment(small) == pytest.approx(0.5)


def test_backlog_at_a_cutoff(small):
    assert sd.backlog(small, "2016-10-03 12:00") == 2  # the e-mail and the P1 phone ticket
    assert sd.backlog(small, "2016-10-03 07:00") == 0
    assert sd.backlog(small, "2016-10-06") == 1  # the open P4
    assert sd.backlog(small, "2016-10-03 08:09") == 1
    assert sd.backlog(small, "2016-10-03 08:10") == 0, "resolved at the cutoff: no longer open"


def test_backlog_accepts_text_dates(small):
    as_text = small.assign(
        opened_at=small["opened_at"].dt.strftime("%Y-%m-%d %H:%M"),
        resolved_at=small["resolved_at"].dt.strftime("%Y-%m-%d %H:%M"),
    )
    assert sd.backlog(as_text, "2016-10-03 12:00") == 2


def test_cost_per_ticket_is_opex_over_tickets():
    opex = pd.DataFrame(
        {"month": ["2016-10", "2016-11"], "agent_cost": [800, 900], "indirect": [100, 50],
         "tech": [50, 25], "facilities": [40, 20], "training": [10, 5], "tickets": [50, 100]}
    )  # fmt: skip
    cost = sd.cost_per_ticket(opex)
    assert cost.to_dict() == {"2016-10": 20.0, "2016-11": 10.0}


def test_availability_mttr_mtbf_on_a_30_day_month():
    outages = pd.DataFrame(
        {
            "service": ["a", "a", "a", "b", "b"],
            "start": pd.to_datetime(["2016-11-02 10:00", "2016-11-20 00:00", "2016-11-08 22:00",
                                     "2016-10-31 23:00", "2016-12-05 00:00"]),
            "end": pd.to_datetime(["2016-11-02 12:00", "2016-11-20 04:00", "2016-11-09 02:00",
                                   "2016-11-01 01:00", "2016-12-05 01:00"]),
            "planned": [False, False, True, False, False],
        }
    )  # fmt: skip
    stats = sd.availability(outages, "2016-11-01", "2016-12-01")
    # a: 2 h + 4 h unplanned (the planned window does not count) in 720 h.
    assert stats.loc["a", "outages"] == 2
    assert stats.loc["a", "availability_pct"] == pytest.approx(100 * 714 / 720)
    assert stats.loc["a", "mttr_h"] == pytest.approx(3)
    assert stats.loc["a", "mtbf_h"] == pytest.approx(357)
    # b: only the hour after midnight falls inside November.
    assert stats.loc["b", "downtime_h"] == pytest.approx(1)
    with_planned = sd.availability(outages, "2016-11-01", "2016-12-01", planned=True)
    assert with_planned.loc["a", "downtime_h"] == pytest.approx(10)


def test_a_service_without_outages_is_fully_available():
    outages = pd.DataFrame(
        {"service": ["a"], "start": pd.to_datetime(["2016-10-01"]),
         "end": pd.to_datetime(["2016-10-01 01:00"]), "planned": [False]}
    )  # fmt: skip
    stats = sd.availability(outages, "2016-11-01", "2016-12-01")
    assert stats.loc["a", "availability_pct"] == 100
    assert pd.isna(stats.loc["a", "mttr_h"]) and pd.isna(stats.loc["a", "mtbf_h"])


# --- bad input ------------------------------------------------------------------------------


def test_missing_columns_are_named(small):
    with pytest.raises(ValueError, match="lacks the column.*type"):
        sd.mttr_by_priority(small)
    with pytest.raises(ValueError, match="lacks the column.*reopened"):
        sd.first_contact_resolution(small.drop(columns="reopened"))
    with pytest.raises(ValueError, match="talk_s"):
        sd.average_handle_time(small.drop(columns=["talk_s"]))
    with pytest.raises(ValueError, match="opex lacks the column.*tickets"):
        sd.cost_per_ticket(
            pd.DataFrame({"month": ["2016-10"]}).assign(**dict.fromkeys(sd.OPEX_COLUMNS, 1))
        )
    with pytest.raises(ValueError, match="outages lacks"):
        sd.availability(pd.DataFrame({"service": []}), "2016-11-01", "2016-12-01")


def test_other_bad_input_is_a_clear_error(small):
    with pytest.raises(ValueError, match="should be a pandas DataFrame"):
        sd.sla_attainment([1, 2, 3])
    with pytest.raises(ValueError, match="cutoff should be a date-time"):
        sd.backlog(small, "not a date")
    with pytest.raises(ValueError, match="unit should be"):
        sd.average_handle_time(small, unit="h")
    with pytest.raises(ValueError, match="end after it starts"):
        sd.availability(
            pd.DataFrame(columns=["service", "start", "end", "planned"]), "2016-12-01", "2016-11-01"
        )
    zero = pd.DataFrame({"month": ["2016-10"], "tickets": [0], **{c: [1] for c in sd.OPEX_COLUMNS}})
    with pytest.raises(ValueError, match="at least one ticket"):
        sd.cost_per_ticket(zero)
    with pytest.raises(ValueError, match="date-times"):
        sd.resolution_hours(small.assign(opened_at="yesterday"))


# --- the course's datasets ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def tickets():
    return datasets.load("kallavesi_tickets")


def test_tickets_agree_with_the_monthly_contacts(tickets):
    contacts = datasets.load("kallavesi_desk_contacts")
    quarter = contacts[contacts["month"].between("2016-10", "2016-12") & (contacts.contacts > 0)]
    counted = tickets.groupby([tickets["opened_at"].dt.strftime("%Y-%m"), "channel"]).size()
    for month, channel, n in quarter.itertuples(index=False):
        assert counted[month, channel] == n
    assert len(tickets) == quarter["contacts"].sum() == 13_657


def test_tickets_measures_are_plausible(tickets):
    assert 0.55 <= sd.first_contact_resolution(tickets) <= 0.70
    assert 6 <= sd.average_handle_time(tickets) <= 9, "about seven minutes a call (SDI)"
    mttr = sd.mttr_by_priority(tickets)
    assert list(mttr.index) == list(tools.PRIORITIES)
    assert mttr["P4"] > mttr["P3"] > mttr["P1"]
    assert 0.85 <= sd.sla_attainment(tickets) <= 0.98
    assert 0 < sd.backlog(tickets, "2016-11-30 16:00") < 200


def test_fcr_read_with_the_csv_module(tickets):
    """An independent path to the truth: the raw file, no pandas."""
    first = resolved = 0
    with open(datasets.path("kallavesi_tickets"), newline="") as f:
        for row in csv.DictReader(f):
            if row["resolved_at"]:
                resolved += 1
                first += (
                    row["contacts"] == "1" and row["escalated"] == "False"
                    and row["reopened"] == "False"
                )  # fmt: skip
    assert sd.first_contact_resolution(tickets) == pytest.approx(first / resolved)


def test_every_ticket_and_outage_names_a_catalogue_service(tickets):
    ids = set(datasets.load("kallavesi_service_catalogue")["service_id"])
    assert set(tickets["service"]) <= ids
    assert set(datasets.load("kallavesi_outages")["service"]) <= ids


def test_november_availability_of_the_outages():
    stats = sd.availability(datasets.load("kallavesi_outages"), "2016-11-01", "2016-12-01")
    assert (stats["outages"] >= 1).all(), "every service has an unplanned outage a month"
    assert stats["availability_pct"].between(99, 100).all()


def test_cost_per_ticket_of_the_opex():
    cost = sd.cost_per_ticket(datasets.load("kallavesi_desk_opex"))
    assert len(cost) == 24
    assert cost.idxmax() in {"2016-07", "2017-07"}, "the July holiday low: few tickets"
    assert cost.between(15, 45).all()


# --- the dashboard helpers -----------------------------------------------------------------


def test_select_tickets_filters(tickets):
    chosen = sd.select_tickets(tickets, channel="phone", priority="P1", month="2016-11")
    assert len(chosen) > 0
    assert set(chosen["channel"]) == {"phone"} and set(chosen["priority"]) == {"P1"}
    assert set(chosen["opened_at"].dt.month) == {11}
    assert len(sd.select_tickets(tickets)) == len(tickets)


def test_weekly_measures_are_shares(tickets):
    weekly = sd.weekly_measures(tickets)
    assert weekly[["fcr", "sla"]].apply(lambda c: c.between(0, 1)).all().all()
    assert weekly["tickets"].sum() == tickets["resolved_at"].notna().sum()


def test_summary_html(tickets):
    summary = sd.summarise(tickets, "2016-12-31 23:59")
    assert summary.tickets == 13_657
    assert summary.open_at_end == tickets["resolved_at"].isna().sum()
    text = sd.summary_html(summary)
    assert "13,657" in text and "First contact resolution" in text
    by_email = sd.summarise(sd.select_tickets(tickets, channel="email"), "2016-12-31 23:59")
    assert "no phone tickets" in sd.summary_html(by_email), "AHT is defined for calls only"
    empty = sd.summarise(tickets.iloc[:0], "2016-12-31")
    assert "No tickets" in sd.summary_html(empty)


def test_benchmarks_cite_their_sources():
    for bench in tools.BENCHMARKS.values():
        assert bench.url.startswith("http")
        if bench.low is not None:
            assert bench.low <= bench.value <= bench.high


# --- RACI ------------------------------------------------------------------------------------


@pytest.fixture
def matrix():
    return pd.DataFrame(
        {
            "agent": ["R", "R", "", "I"],
            "process manager": ["A", "A", "R", "A"],
            "process owner": ["I", "A", "A", None],
            "service manager": ["C", "", "I", "c"],
        },
        index=["log", "escalate", "design", "report"],
    )


def test_raci_counts_letters(matrix):
    assert raci.count(matrix, "A").to_dict() == {"log": 1, "escalate": 2, "design": 1, "report": 1}
    assert raci.count(matrix, "C")["report"] == 1, "lower-case letters count"


def test_raci_problems_name_the_broken_rules(matrix):
    assert raci.problems(matrix) == {
        "escalate": ["2 Accountables"],
        "report": ["no Responsible"],
    }
    fixed = matrix.copy()
    fixed.loc["escalate", "process owner"] = "C"
    fixed.loc["report", "agent"] = "R"
    assert raci.problems(fixed) == {}
    fixed.loc["design", "process owner"] = ""
    assert raci.problems(fixed) == {"design": ["no Accountable"]}


def test_raci_roles_of(matrix):
    assert raci_tools.roles_of(matrix, "agent").to_dict() == {
        "log": "R",
        "escalate": "R",
        "report": "I",
    }
    with pytest.raises(ValueError, match="no role 'customer'"):
        raci_tools.roles_of(matrix, "customer")


def test_raci_bad_input(matrix):
    with pytest.raises(ValueError, match="R, A, C, I or nothing.*X"):
        raci.problems(matrix.replace("C", "X"))
    with pytest.raises(ValueError, match="empty"):
        raci.problems(pd.DataFrame())
    with pytest.raises(ValueError, match="DataFrame"):
        raci.problems({"log": "R"})
    with pytest.raises(ValueError, match="letter should be"):
        raci.count(matrix, "Q")


# --- catalogue and product card ----------------------------------------------------------------


@pytest.fixture(scope="module")
def services():
    return datasets.load("kallavesi_service_catalogue")


def test_catalogue_gaps_are_found(services):
    gaps = catalogue.validate_catalogue(services)
    assert set(map(tuple, gaps.to_numpy())) == {
        ("print", "no service_manager"),
        ("erp", "no service_manager"),
        ("software", "no availability_target_pct"),
        ("remote", "depends on unknown service 'firewall'"),
    }
    assert len(services) == 15


def test_duplicate_ids_are_a_gap(services):
    doubled = pd.concat([services, services.iloc[[0]]])
    assert "duplicate service_id" in set(catalogue.validate_catalogue(doubled)["problem"])


def test_dependencies_and_dependants(services):
    pairs = catalogue.dependencies(services)
    assert ("video", "hosting") in set(map(tuple, pairs.to_numpy()))
    assert catalogue.dependants(services, "support") == ["devices", "software"]
    hosting = catalogue.dependants(services, "hosting")
    assert "software" in hosting, "software -> devices -> accounts -> hosting"
    assert "network" not in hosting and "hosting" not in hosting


def _card():
    return {
        "service_id": "video",
        "name": "Video bridge",
        "summary": "Video meetings for up to 20 sites.",
        "customers": "all customers",
        "features": ["meeting rooms", "laptops"],
        "not_included": ["recording"],
        "service_hours": "24x7",
        "availability_target_pct": 99.5,
        "support": "service desk, Mon-Fri 7-21",
        "service_manager": "Mikko Räsänen",
        "price_eur_per_month": 45,
        "depends_on": ["hosting", "network", "accounts"],
    }


def test_a_complete_card_passes(services):
    assert card_tools.check_product_card(_card()) == []
    assert catalogue.card_against_catalogue(_card(), services) == []


def test_card_problems_are_listed(services):
    card = _card()
    del card["support"]
    card["features"] = []
    card["price_eur_per_month"] = "cheap"
    card["colour"] = "blue"
    issues = card_tools.check_product_card(card)
    assert any(i.startswith("missing support") for i in issues)
    assert "features lists nothing" in issues
    assert "price_eur_per_month should be a number" in issues
    assert "colour is not a field of the template" in issues
    wrong = _card() | {"availability_target_pct": 99.9, "service_manager": "Someone Else"}
    assert catalogue.card_against_catalogue(wrong, services) == [
        "service_manager differs from the catalogue",
        "availability_target_pct differs from the catalogue",
    ]
    assert (
        "percentage"
        in card_tools.check_product_card(_card() | {"availability_target_pct": 0.995})[0]
    )
    unknown = catalogue.card_against_catalogue(_card() | {"service_id": "teleport"}, services)
    assert unknown == ["service_id 'teleport' is not in the catalogue"]
    with pytest.raises(ValueError, match="should be a dict"):
        card_tools.check_product_card(["video"])
    with pytest.raises(ValueError, match="lacks the column"):
        catalogue.validate_catalogue(services.drop(columns="depends_on"))


# --- module 03's data exercise the rules its lessons teach -------------------------------------


def test_reopened_one_contact_tickets_exist_and_change_fcr(tickets):
    done = tickets[tickets["resolved_at"].notna()]
    trap = (done["contacts"] == 1) & ~done["escalated"] & done["reopened"]
    assert trap.sum() > 100, "one-contact, not escalated, reopened: FCR must exclude them"
    ignoring = ((done["contacts"] == 1) & ~done["escalated"]).mean()
    assert ignoring - sd.first_contact_resolution(tickets) > 0.01


def test_mttr_of_incidents_differs_from_all_tickets(tickets):
    incidents = sd.mttr_by_priority(tickets)
    everything = sd.mttr_by_priority(tickets, ticket_type=None)
    assert (everything - incidents).abs().max() > 1, "requests are slower: keep them apart"
    assert list(incidents.index) == list(tools.PRIORITIES)


def test_backlog_counts_tickets_never_resolved(tickets):
    cut = pd.Timestamp("2016-11-30 16:00")
    still_open = (tickets["opened_at"] <= cut) & tickets["resolved_at"].isna()
    assert still_open.sum() >= 2, "some tickets opened by the cutoff are never resolved"


def test_cooling_failures_of_the_sensor_log_are_hosting_outages():
    outages = datasets.load("kallavesi_outages")
    labels = datasets.load("yun_server_room_2016_labels")
    cooling = labels[labels["kind"] == "cooling_failure"]
    assert len(cooling) == 2
    hosting = outages[(outages["service"] == "hosting") & ~outages["planned"]]
    for start, end in zip(cooling["start"], cooling["end"], strict=True):
        local_start = pd.Timestamp(start).tz_convert("Europe/Helsinki").tz_localize(None)
        local_end = pd.Timestamp(end).tz_convert("Europe/Helsinki").tz_localize(None)
        match = hosting[(hosting["start"] == local_start) & (hosting["end"] == local_end)]
        assert len(match) == 1, f"no hosting outage {local_start}-{local_end}"


def test_problem_candidates_need_a_window_not_a_calendar_month():
    outages = datasets.load("kallavesi_outages")
    found = sd.problem_candidates(outages, days=30, at_least=3)
    assert "hosting" in found.index
    unplanned = outages[~outages["planned"]]
    by_month = unplanned.groupby([unplanned["service"], unplanned["start"].dt.month]).size()
    monthly = set(by_month[by_month >= 3].index.get_level_values(0))
    assert monthly < set(found.index), "a rolling window finds more than calendar months"
    with_planned = sd.problem_candidates(outages.assign(planned=False), days=30, at_least=3)
    assert set(with_planned.index) > set(found.index), "planned windows are not failures"


def test_support_hours_agree_with_the_desk_shifts(services):
    support = services.set_index("service_id").loc["support", "service_hours"]
    assert "7-23" in support and "Sat-Sun" in support and "on call" in support
    assert "7-21" not in " ".join(services["service_hours"])


# --- no shortcut: the learner's toolbox does not compute graded answers -------------------------


def test_the_toolbox_has_no_graded_measure():
    graded = {
        tools: ["first_contact_resolution", "average_handle_time", "mttr_by_priority",
                "sla_attainment", "backlog", "cost_per_ticket", "availability",
                "resolution_hours", "weekly_measures", "problem_candidates"],
        card_tools: ["dependants", "dependencies", "validate_catalogue", "card_against_catalogue"],
        raci_tools: ["problems", "count"],
    }  # fmt: skip
    for module, names in graded.items():
        for name in names:
            assert not hasattr(module, name), f"{module.__name__}.{name} gives an answer away"
