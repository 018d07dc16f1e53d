"""Generators of module 06's synthetic data about the fictional company Kallavesi IT.

The continual improvement register, a SERVQUAL survey of customer contacts, customer feedback
attached to module 03's real ticket ids, the site visits of 2017 (remote support as a green
improvement) and the tickets around the introduction of a remote-support tool. The numbers are
invented for teaching; they describe no real people or organisation.
"""

from __future__ import annotations

# ruff: noqa: E501  (the hand-written register and phrase tables read best one entry a line)
import numpy as np
import pandas as pd

from .gen_basics import kallavesi_tickets
from .generators import Generator

TICKETS_SEED = 2003  # the seed of module 03's tickets, whose ids the feedback uses

# --- the continual improvement register ------------------------------------------------------

# id, title, source, service, status, value 1-10, effort in person-days, time criticality 1-10,
# risk reduction / opportunity enablement 1-10, proposed on.
_REGISTER = [
    ("Self-service password reset on the portal", "SLA review", "accounts", "done", 8, 6, 5, 4, "2016-11-14"),
    ("Callback option in the phone queue", "customer feedback", "support", "proposed", 7, 12, 6, 3, "2016-12-05"),
    ("Status update to the customer when a ticket is escalated", "customer feedback", "support", "proposed", 8, 4, 7, 4, "2017-01-16"),
    ("Knowledge articles for the ten most common device faults", "problem management", "devices", "approved", 7, 8, 4, 5, "2017-01-23"),
    ("Remote-support tool for workplace IT", "staff idea", "devices", "done", 9, 15, 6, 6, "2016-10-24"),
    ("Cooling alarm from the server-room sensor to monitoring", "problem management", "hosting", "in progress", 9, 10, 9, 9, "2016-12-12"),
    ("Video bridge for customer meetings instead of travel", "green review", "video", "proposed", 6, 5, 3, 5, "2017-02-06"),
    ("Retire the fax gateway", "service portfolio review", "fax", "proposed", 3, 3, 2, 4, "2017-02-13"),
    ("Rest-period check before the shift plan is published", "well-being survey", "support", "approved", 6, 2, 6, 7, "2017-02-20"),
    ("Printer driver package for all customer sites", "problem management", "print", "proposed", 5, 9, 2, 3, "2017-03-06"),
    ("Chat channel on the portal", "customer feedback", "support", "in progress", 7, 25, 4, 3, "2016-11-28"),
    ("Single sign-on for the ERP application", "customer feedback", "erp", "proposed", 8, 30, 3, 6, "2017-03-13"),
    ("Checklist for new-employee accounts", "SLA review", "accounts", "proposed", 6, 4, 5, 4, "2017-03-20"),
    ("Automatic restore test of backups every month", "ISO/IEC 20000 pilot", "backup", "approved", 7, 6, 4, 9, "2017-03-27"),
    ("Rename ticket categories", "staff idea", "support", "rejected", 2, 2, 1, 1, "2016-10-17"),
    ("Monthly 40-page service report", "management request", "support", "rejected", 3, 10, 2, 1, "2016-10-31"),
    ("Wi-Fi survey of the three busiest customer sites", "problem management", "network", "proposed", 5, 6, 4, 5, "2017-04-03"),
    ("Satisfaction survey after every resolved ticket", "customer feedback", "support", "done", 8, 2, 4, 3, "2016-10-10"),
    ("Second-line handover template", "customer feedback", "support", "proposed", 7, 2, 4, 3, "2017-04-10"),
    ("VPN client update on all laptops", "security review", "remote", "proposed", 6, 7, 8, 9, "2017-04-18"),
    ("Intranet search that finds documents by customer", "staff idea", "intranet", "proposed", 4, 12, 2, 2, "2017-04-24"),
    ("Electric pool car for site visits", "green review", "support", "proposed", 5, 20, 2, 4, "2017-05-02"),
    ("Spare laptop pool at the five service points", "customer feedback", "devices", "proposed", 6, 5, 5, 3, "2017-05-08"),
    ("Training on the new e-mail calendar", "customer feedback", "email", "proposed", 4, 4, 3, 2, "2017-05-15"),
]  # fmt: skip


def kallavesi_improvement_register(seed: int) -> pd.DataFrame:
    """The (fictional) continual improvement register of Kallavesi IT, spring 2017.

    The entries are written by hand; the seed only shuffles their order in the file, as a
    register lists ideas in no order of priority.
    """
    rng = np.random.default_rng(seed)
    columns = ["title", "source", "service", "status", "value", "effort_days",
               "time_criticality", "risk_reduction", "proposed_on"]  # fmt: skip
    register = pd.DataFrame(_REGISTER, columns=columns)
    register = register.sort_values("proposed_on", kind="stable").reset_index(drop=True)
    register.insert(0, "id", [f"CIR-{i:02d}" for i in range(1, len(register) + 1)])
    order = rng.permutation(len(register))
    return register.iloc[order].reset_index(drop=True)


# --- SERVQUAL survey of customer contacts -----------------------------------------------------

# The 22 items of the 1988 scale by dimension (item numbers only; no item text is reproduced).
SERVQUAL_ITEMS = {
    "tangibles": [1, 2, 3, 4],
    "reliability": [5, 6, 7, 8, 9],
    "responsiveness": [10, 11, 12, 13],
    "assurance": [14, 15, 16, 17],
    "empathy": [18, 19, 20, 21, 22],
}
# Mean expectation and perception (1-7) per dimension at the fictional desk. Reliability is
# expected most and falls shortest; tangibles are perceived lowest but also expected least.
_SERVQUAL_MEANS = {
    "tangibles": (4.6, 4.3),
    "reliability": (6.5, 4.9),
    "responsiveness": (6.1, 4.9),
    "assurance": (6.0, 5.5),
    "empathy": (5.6, 4.7),
}
# Mean share (of 100 points) each dimension gets in the importance question.
_SERVQUAL_WEIGHTS = {
    "tangibles": 9,
    "reliability": 32,
    "responsiveness": 24,
    "assurance": 20,
    "empathy": 15,
}


def _clip7(x: np.ndarray) -> np.ndarray:
    return np.clip(np.round(x), 1, 7)


def kallavesi_servqual(seed: int) -> pd.DataFrame:
    """One row per respondent and item: expectation and perception on the 1-7 scale, spring 2017.

    About one answer in twelve to the perception part of the reliability and responsiveness
    items is "cannot say" (empty): customers who never had a ticket of that kind.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for r in range(1, 121):
        segment = "public sector" if r % 5 in (0, 1) else "SME"
        mood = rng.normal(0, 0.5)
        for dimension, items in SERVQUAL_ITEMS.items():
            e_mean, p_mean = _SERVQUAL_MEANS[dimension]
            for item in items:
                e = _clip7(e_mean + 0.3 * mood + rng.normal(0, 0.7))
                p = _clip7(p_mean + mood + rng.normal(0, 1.0))
                missing = dimension in ("reliability", "responsiveness") and rng.random() < 0.085
                if missing:
                    # Those who cannot judge are mostly the ones who expect the most.
                    e = 7.0
                rows.append(
                    (f"R{r:03d}", segment, item, dimension, int(e), np.nan if missing else p)
                )
    survey = pd.DataFrame(
        rows, columns=["respondent", "segment", "item", "dimension", "expectation", "perception"]
    )
    survey["perception"] = survey["perception"].astype("Int64")
    return survey


def kallavesi_servqual_weights(seed: int) -> pd.DataFrame:
    """One row per respondent: 100 points shared among the five dimensions by importance."""
    rng = np.random.default_rng(seed)
    base = np.array(list(_SERVQUAL_WEIGHTS.values()), dtype=float)
    rows = []
    for r in range(1, 121):
        points = rng.dirichlet(base * 1.5) * 100
        points = np.round(points / 5) * 5
        points[int(np.argmax(points))] += 100 - points.sum()  # shares add up to exactly 100
        rows.append((f"R{r:03d}", *points.astype(int)))
    return pd.DataFrame(rows, columns=["respondent", *SERVQUAL_ITEMS])


# --- feedback attached to module 03's tickets -------------------------------------------------

_POSITIVE = {
    "speed": ["Quick fix, thanks!", "Fast and easy.", "Solved in minutes.", "That was fast!"],
    "friendliness": ["Very friendly agent.", "Polite and patient, thank you.", "Kind and helpful."],
    "competence": ["She knew exactly what to do.", "Real expert, knew the ERP inside out.",
                   "Competent help."],
    "communication": ["I was kept informed all the way.", "Good updates on the progress."],
}  # fmt: skip
_NEGATIVE = {
    "speed": ["Slow. I waited two days for a simple thing.", "SLOW service.", "Took days.",
              "Still waiting for a proper fix, this was slow."],
    "repeat": ["I had to call again.", "Had to explain everything again to a new person.",
               "Third time I call about the same problem.", "The fault came back, had to call back."],
    "communication": ["Nobody told me what was happening.", "No update after the ticket was passed on.",
                      "Heard nothing for days, please keep me informed."],
    "queue": ["Long queue on the phone.", "Twenty minutes on hold.", "The hold music, over and over."],
    "competence": ["The agent did not know the system.", "Had to teach the agent myself."],
}  # fmt: skip
# Polite closings that carry no theme; mixed comments praise one thing and blame another.
_NEUTRAL = ["OK.", "Fine.", "Thanks.", "Nothing to add."]


def kallavesi_ticket_feedback(seed: int) -> pd.DataFrame:
    """Customer ratings (1-5) and comments on resolved tickets of October-December 2016.

    Each row answers the satisfaction survey sent when one of module 03's tickets was resolved;
    about one in ten was answered. Ratings fall with what customers dislike in the ticket data:
    reopening, repeated contacts, missing the SLA target, escalation and long phone holds, and
    the comments speak of the same things.
    """
    rng = np.random.default_rng(seed)
    tickets = kallavesi_tickets(TICKETS_SEED)
    for column in ("opened_at", "resolved_at"):
        tickets[column] = pd.to_datetime(tickets[column])
    resolved = tickets[tickets["resolved_at"].notna()].reset_index(drop=True)
    answered = resolved[rng.random(len(resolved)) < 0.10].reset_index(drop=True)
    hours = (answered["resolved_at"] - answered["opened_at"]).dt.total_seconds() / 3600
    late = hours > answered["sla_target_h"]
    repeat = answered["reopened"] | (answered["contacts"] >= 3)
    held = answered["hold_s"].fillna(0) > 120
    latent = (
        4.45
        - 1.7 * answered["reopened"]
        - 0.9 * (answered["contacts"] >= 3)
        - 1.1 * late
        - 0.5 * answered["escalated"]
        - 0.6 * held
        + rng.normal(0, 0.65, len(answered))
    )
    rating = np.clip(np.round(latent), 1, 5).astype(int)
    comments = []
    for i, r in enumerate(rating):
        wants = {1: 0.75, 2: 0.7, 3: 0.4, 4: 0.4, 5: 0.45}[r]
        if rng.random() > wants:
            comments.append("")
            continue
        parts = []
        if r <= 3:
            causes = []
            if repeat[i]:
                causes.append("repeat")
            if late[i]:
                causes.append("speed")
            if answered["escalated"][i]:
                causes.append("communication")
            if held[i]:
                causes.append("queue")
            if not causes or rng.random() < 0.15:
                causes.append(str(rng.choice(["competence", "speed", "communication"])))
            for cause in dict.fromkeys(causes):
                if rng.random() < 0.8 or len(parts) == 0:
                    parts.append(str(rng.choice(_NEGATIVE[cause])))
            if rng.random() < 0.2:
                parts.insert(0, str(rng.choice(_POSITIVE["friendliness"])) + " But")
        else:
            themes = ["speed", "friendliness", "competence"]
            if answered["escalated"][i]:
                themes.append("communication")
            for theme in rng.choice(themes, size=rng.integers(1, 3), replace=False):
                parts.append(str(rng.choice(_POSITIVE[str(theme)])))
            if rng.random() < 0.1:
                parts.append(str(rng.choice(_NEUTRAL)))
        comments.append(" ".join(parts))
    delay = rng.exponential(20, len(answered)) + 0.2
    feedback = pd.DataFrame(
        {
            "ticket": answered["id"],
            "answered_at": (answered["resolved_at"] + pd.to_timedelta(delay, unit="h")).dt.floor(
                "min"
            ),
            "rating": rating,
            "comment": comments,
        }
    )
    return feedback.sort_values("answered_at", kind="stable").reset_index(drop=True)


# --- site visits of 2017 ----------------------------------------------------------------------

# Customer sites and the approximate one-way road distance from the Kuopio office, in km
# (rounded, as a route planner gives them).
SITES = {
    "Kuopio": 6,
    "Siilinjärvi": 24,
    "Leppävirta": 48,
    "Nilsiä": 50,
    "Suonenjoki": 55,
    "Varkaus": 73,
    "Iisalmi": 85,
    "Joensuu": 136,
}
_SITE_WEIGHTS = [0.30, 0.16, 0.10, 0.07, 0.09, 0.12, 0.10, 0.06]
# Reason for the visit and the chance that the desk, looking back, judged it fixable remotely
# with the remote-support tool.
_REASONS = {
    "hardware replacement": 0.0,
    "network cabling": 0.0,
    "software fault": 0.85,
    "configuration": 0.8,
    "printer setup": 0.5,
    "video-bridge room setup": 0.3,
    "user training": 0.6,
}
_REASON_WEIGHTS = [0.22, 0.08, 0.24, 0.18, 0.12, 0.06, 0.10]


def kallavesi_site_visits(seed: int) -> pd.DataFrame:
    """One row per visit of a workplace IT technician to a customer site in 2017."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2017-01-02", "2017-12-22")
    n = 260
    dates = np.sort(rng.choice(days.values, size=n))
    sites = rng.choice(list(SITES), size=n, p=_SITE_WEIGHTS)
    reasons = rng.choice(list(_REASONS), size=n, p=_REASON_WEIGHTS)
    remote = [bool(rng.random() < _REASONS[r]) for r in reasons]
    # Before the remote-support tool (6 March 2017) nothing could be fixed remotely in practice,
    # but the desk judged every visit afterwards on what the tool makes possible.
    hours = np.round(rng.gamma(3.0, 0.5, n) + 0.5, 1)
    visits = pd.DataFrame(
        {
            "visit": [f"V17-{i:03d}" for i in range(1, n + 1)],
            "date": pd.to_datetime(dates).strftime("%Y-%m-%d"),
            "site": sites,
            "one_way_km": [SITES[s] for s in sites],
            "reason": reasons,
            "on_site_h": hours,
            "remote_fixable": remote,
        }
    )
    return visits


# --- tickets around the remote-support tool ---------------------------------------------------

CHANGE_DATE = pd.Timestamp("2017-03-06")  # the remote-support tool went live on this Monday


def kallavesi_remote_tool_tickets(seed: int) -> pd.DataFrame:
    """Workplace IT tickets (devices, software) of January-May 2017, around the tool's launch.

    Incidents resolved after the launch take less time; service requests (which the tool does
    not speed up) become more common after it, as the portal started to offer new device
    requests. A few incidents wait for spare parts and take very long, whenever they happen.
    """
    rng = np.random.default_rng(seed)
    start, end = pd.Timestamp("2017-01-09"), pd.Timestamp("2017-05-01")
    rows = []
    number = 0
    for day in pd.bdate_range(start, end - pd.Timedelta(days=1)):
        after = day >= CHANGE_DATE
        n_incidents = rng.poisson(1.9)
        n_requests = rng.poisson(2.6 if after else 1.2)
        for kind, n in (("incident", n_incidents), ("request", n_requests)):
            for _ in range(n):
                number += 1
                opened = day + pd.Timedelta(minutes=int(rng.integers(7 * 60, 17 * 60)))
                if kind == "incident":
                    median = 11.0 if after else 17.0
                    hours = rng.lognormal(np.log(median), 0.9)
                    if rng.random() < 0.04:
                        hours = rng.uniform(150, 400)  # waits for a spare part
                else:
                    hours = rng.lognormal(np.log(6.0), 0.8)
                priority = rng.choice(["P2", "P3", "P4"], p=[0.15, 0.6, 0.25])
                service = rng.choice(["devices", "software"], p=[0.6, 0.4])
                rows.append(
                    (
                        f"KIT-17{number:04d}",
                        opened,
                        opened + pd.Timedelta(hours=hours),
                        kind,
                        priority,
                        service,
                    )
                )
    tickets = pd.DataFrame(
        rows, columns=["id", "opened_at", "resolved_at", "type", "priority", "service"]
    )
    tickets["opened_at"] = tickets["opened_at"].dt.floor("min")
    tickets["resolved_at"] = tickets["resolved_at"].dt.floor("min")
    # Extracted on 1 May 2017 at 00:00: tickets still open then have no resolution time.
    tickets.loc[tickets["resolved_at"] >= end, "resolved_at"] = pd.NaT
    return tickets


GENERATORS: dict[str, Generator] = {
    "kallavesi_improvement_register": Generator(
        kallavesi_improvement_register, seed=6001, date_columns=("proposed_on",)
    ),
    "kallavesi_servqual": Generator(kallavesi_servqual, seed=6002),
    "kallavesi_servqual_weights": Generator(kallavesi_servqual_weights, seed=6003),
    "kallavesi_ticket_feedback": Generator(
        kallavesi_ticket_feedback, seed=6004, date_columns=("answered_at",)
    ),
    "kallavesi_site_visits": Generator(kallavesi_site_visits, seed=6005, date_columns=("date",)),
    "kallavesi_remote_tool_tickets": Generator(
        kallavesi_remote_tool_tickets, seed=6006, date_columns=("opened_at", "resolved_at")
    ),
}
