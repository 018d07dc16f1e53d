"""Generators of module 01's synthetic data about the fictional company Kallavesi IT."""

from __future__ import annotations

import numpy as np
import pandas as pd

from .generators import Generator

# Monthly contact volumes by channel. Levels: a 25-agent desk handling roughly 200-260 contacts a
# working day; channel shares move from phone towards the self-service portal over 2016-2017,
# and chat opens in January 2017. July is the Finnish summer-holiday low.
_CHANNEL_LEVEL = {"phone": 2300.0, "email": 1500.0, "portal": 700.0, "chat": 0.0}
_CHANNEL_TREND = {"phone": -0.012, "email": -0.004, "portal": 0.035, "chat": 0.0}
_MONTH_FACTOR = np.array([1.12, 1.05, 1.04, 0.98, 0.97, 0.88, 0.62, 0.90, 1.10, 1.08, 1.06, 0.92])


def kallavesi_desk_contacts(seed: int) -> pd.DataFrame:
    """Contacts reaching the (fictional) Kallavesi IT service desk, per month and channel."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2016-01", "2017-12", freq="M")
    rows = []
    for i, month in enumerate(months):
        season = _MONTH_FACTOR[month.month - 1]
        for channel, level in _CHANNEL_LEVEL.items():
            if channel == "chat":
                # Chat opens in 2017 and is adopted over its first months.
                expected = 0.0 if month.year < 2017 else 650.0 * (1 - np.exp(-(i - 11) / 3.0))
            else:
                expected = level * (1 + _CHANNEL_TREND[channel]) ** i
            lam = max(expected * season, 0.0)
            rows.append(
                {
                    "month": month.strftime("%Y-%m"),
                    "channel": channel,
                    "contacts": int(rng.poisson(lam)),
                }
            )
    return pd.DataFrame(rows)


# --- lesson 02, the primer: two weeks of tickets ---------------------------------------------

_PRIMER_START = pd.Timestamp("2017-01-09")  # a Monday
_PRIMER_DAYS = 14
_PRIMER_EXTRACTED = pd.Timestamp("2017-01-22 23:59")
# Tickets per working day and channel in January 2017 (about 5 000 contacts that month, see
# kallavesi_desk_contacts): phone, e-mail, portal and the new chat.
_PRIMER_CHANNEL_DAY = {"phone": 92.0, "email": 66.0, "portal": 48.0, "chat": 12.0}
_PRIMER_WEEKDAY = np.array([1.22, 1.08, 1.0, 0.97, 0.86, 0.13, 0.08])  # Mon ... Sun
_SERVICES = {
    "end-user support": 0.46,
    "workplace IT": 0.30,
    "hosting": 0.10,
    "backup": 0.07,
    "video bridge": 0.07,
}
# Median resolution hours and log-normal spread per priority (P1 fastest).
_PRIORITY_HOURS = {"P1": (3.0, 0.5), "P2": (7.0, 0.6), "P3": (20.0, 0.9), "P4": (52.0, 0.8)}


def kallavesi_primer_tickets(seed: int) -> pd.DataFrame:
    """Two weeks (9-22 January 2017) of tickets at the (fictional) Kallavesi IT service desk."""
    rng = np.random.default_rng(seed)
    rows = []
    for day in range(_PRIMER_DAYS):
        date = _PRIMER_START + pd.Timedelta(days=day)
        for channel, level in _PRIMER_CHANNEL_DAY.items():
            weekend = date.day_of_week >= 5
            lam = level * _PRIMER_WEEKDAY[date.day_of_week]
            if weekend and channel in ("phone", "chat"):
                lam *= 0.5  # the small weekend shift
            for _ in range(rng.poisson(lam)):
                # Staffed hours as in the service catalogue: Mon-Fri 7-23, Sat-Sun 10-18; at night
                # only an engineer is on call for P1, so calls and chats come in staffed hours and
                # only e-mails and portal tickets also arrive at night.
                if channel in ("email", "portal") and rng.random() < 0.12:
                    minute = rng.integers(0, 24 * 60)
                elif weekend:
                    minute = rng.integers(10 * 60, 18 * 60)
                elif rng.random() < 0.1:
                    minute = rng.integers(15 * 60, 23 * 60)  # the evening shift
                else:
                    # Office hours peak in the morning.
                    minute = int(np.clip(rng.normal(11.5 * 60, 2.6 * 60), 7 * 60, 23 * 60 - 1))
                opened = date + pd.Timedelta(minutes=int(minute))
                kind = "incident" if rng.random() < 0.42 else "request"
                if kind == "incident":
                    priority = rng.choice(["P1", "P2", "P3", "P4"], p=[0.015, 0.085, 0.55, 0.35])
                else:
                    priority = rng.choice(["P3", "P4"], p=[0.35, 0.65])
                service = rng.choice(list(_SERVICES), p=list(_SERVICES.values()))
                median, spread = _PRIORITY_HOURS[str(priority)]
                hours = float(rng.lognormal(np.log(median), spread))
                if channel == "phone" and priority in ("P3", "P4") and rng.random() < 0.45:
                    hours = float(rng.uniform(0.05, 0.4))  # solved during the call
                resolved = opened + pd.Timedelta(minutes=max(3, round(hours * 60)))
                if resolved > _PRIMER_EXTRACTED:
                    resolved = pd.NaT
                rows.append(
                    {
                        "opened_at": opened,
                        "channel": channel,
                        "type": kind,
                        "priority": str(priority),
                        "service": str(service),
                        "agent": f"A{rng.integers(1, 26):02d}",
                        "resolved_at": resolved,
                    }
                )
    frame = pd.DataFrame(rows).sort_values("opened_at", kind="stable").reset_index(drop=True)
    frame.insert(0, "ticket", [f"T17-{i:05d}" for i in range(1, len(frame) + 1)])
    return frame


# --- lesson 05, service culture: quarterly team climate and customer satisfaction ------------

# Desk teams and their agents (25 in both years). Chat opened in January 2017, so the chat team
# exists from 2017 only; agents moved to it from the e-mail & portal team and phone teams.
TEAMS_2016 = {"Desk phone A": 8, "Desk phone B": 7, "Desk e-mail & portal": 7,
              "Desk evenings & nights": 3}  # fmt: skip
TEAMS_2017 = {"Desk phone A": 7, "Desk phone B": 6, "Desk e-mail & portal": 5, "Desk chat": 4,
              "Desk evenings & nights": 3}  # fmt: skip


def kallavesi_team_climate(seed: int) -> pd.DataFrame:
    """Quarterly internal service quality, employee satisfaction and customer measures per team.

    Built so that a team's customer satisfaction follows its employees' satisfaction of the
    quarter before (a service-profit-chain-like lag), with noise: a teaching construction, not
    evidence for the chain.
    """
    rng = np.random.default_rng(seed)
    quarters = [f"{y}Q{q}" for y in (2016, 2017) for q in (1, 2, 3, 4)]
    rows = []
    for team in TEAMS_2017 | TEAMS_2016:
        internal = rng.uniform(3.0, 3.8)
        satisfaction = rng.uniform(3.2, 3.9)
        previous = satisfaction
        for quarter in quarters:
            year = int(quarter[:4])
            teams = TEAMS_2016 if year == 2016 else TEAMS_2017
            if team not in teams:
                continue
            internal = float(np.clip(internal + rng.normal(0.02, 0.22), 2.2, 4.8))
            # Employee satisfaction leans on internal service quality (tools, support, training).
            satisfaction = float(
                np.clip(0.35 * satisfaction + 0.65 * (internal + 0.15) + rng.normal(0, 0.08), 1, 5)
            )
            csat = float(np.clip(62 + 6.5 * previous + rng.normal(0, 1.3), 60, 95))
            repeat = float(np.clip(26 - 3.2 * previous + rng.normal(0, 0.9), 4, 25))
            rows.append(
                {
                    "quarter": quarter,
                    "team": team,
                    "agents": teams[team],
                    "internal_service_quality": round(internal, 2),
                    "employee_satisfaction": round(satisfaction, 2),
                    "csat_pct": round(csat, 1),
                    "repeat_contact_pct": round(repeat, 1),
                }
            )
            previous = satisfaction
    return pd.DataFrame(rows).sort_values(["quarter", "team"], kind="stable").reset_index(drop=True)


# --- lesson 06, the excellence self-assessment ------------------------------------------------

# The course's own self-assessment areas (not the original programme's framework, whose content
# is unpublished): seven enablers and three results, each anchored in public models.
EXCELLENCE_AREAS = [
    # area, group, ITIL 4 anchor, ISO/IEC 20000-1:2018 clauses, Kallavesi's target, peer median
    ("Leadership and governance", "enabler", "governance", "4, 5", 4, 3.0),
    ("Planning and value", "enabler", "guiding principles; plan", "6, 8.1", 4, 2.5),
    ("People and knowledge", "enabler", "organisations and people", "7.1-7.6", 4, 3.0),
    ("Relationships and portfolio", "enabler", "engage", "8.2, 8.3", 3, 3.0),
    ("Change and transition", "enabler", "design and transition", "8.5", 4, 2.5),
    ("Resolution and fulfilment", "enabler", "deliver and support", "8.6", 4, 3.5),
    ("Measurement and improvement", "enabler", "continual improvement; improve", "9, 10", 4, 2.5),
    ("Customer results", "result", "value: outcomes for customers", "9.1, 9.4", 4, 3.5),
    ("People results", "result", "value: outcomes for staff", "7.2, 7.3", 4, 3.0),
    ("Service performance results", "result", "value: service performance", "8.7, 9.1", 4, 3.5),
]
# True maturity Kallavesi IT's respondents circle around (0-5).
_EXCELLENCE_TRUE = [3.3, 2.0, 2.6, 3.1, 1.9, 3.6, 1.6, 3.4, 2.7, 3.2]
# Who answers, and how often each role says "don't know" about governance and planning.
_EXCELLENCE_ROLES = {"service manager": 6, "process manager": 6, "desk supervisor": 5}


def kallavesi_excellence_targets(seed: int) -> pd.DataFrame:
    """The course's self-assessment areas with Kallavesi IT's target and a peer-group median."""
    del seed  # a fixed table; the seed is kept for the generator interface
    return pd.DataFrame(
        EXCELLENCE_AREAS,
        columns=["area", "group", "itil4_anchor", "iso20000_clauses", "target", "peer_median"],
    )


def kallavesi_excellence_scores(seed: int) -> pd.DataFrame:
    """Answers of 17 managers and supervisors to the course's self-assessment (0-5, or blank)."""
    rng = np.random.default_rng(seed)
    rows = []
    respondent = 0
    for role, count in _EXCELLENCE_ROLES.items():
        for _ in range(count):
            respondent += 1
            leniency = rng.normal(0, 0.35)
            for (area, group, *_), truth in zip(EXCELLENCE_AREAS, _EXCELLENCE_TRUE, strict=True):
                far = role == "desk supervisor" and area in (
                    "Leadership and governance",
                    "Planning and value",
                    "Change and transition",
                    "Measurement and improvement",
                )
                if rng.random() < (0.6 if far else 0.05):
                    score = None  # "don't know"
                else:
                    bias = -0.4 if role == "desk supervisor" and group == "result" else 0.0
                    if role == "service manager":
                        bias += 0.3  # managers rate what they own a little higher
                    score = int(np.clip(round(truth + leniency + bias + rng.normal(0, 0.6)), 0, 5))
                rows.append(
                    {
                        "respondent": f"R{respondent:02d}",
                        "role": role,
                        "area": area,
                        "score": score,
                    }
                )
    frame = pd.DataFrame(rows)
    frame["score"] = frame["score"].astype("Int64")
    return frame


# --- lesson 07, the Living Lab: bottlenecks reported by service companies ---------------------

# Bottleneck, type, how many companies report it, typical severity (1-5), frequency weights
# (daily, weekly, monthly, rarely), extra respondents per reporting company.
_BOTTLENECKS = [
    ("Requests and incidents share one queue", "process", 14, 3.0, (0.5, 0.4, 0.1, 0.0), 1.3),
    ("Knowledge base out of date", "practice", 12, 2.8, (0.3, 0.5, 0.2, 0.0), 1.1),
    ("No problem management: the same faults return", "practice", 10, 4.2, (0.1, 0.5, 0.35, 0.05), 1.0),  # noqa: E501
    ("Handovers between teams lose information", "process", 8, 3.4, (0.25, 0.5, 0.25, 0.0), 1.1),
    ("Ticketing tool and monitoring not integrated", "tool", 5, 3.6, (0.4, 0.4, 0.2, 0.0), 1.0),
    ("Customer communication skills of technical staff", "skill", 4, 3.1, (0.2, 0.5, 0.3, 0.0), 1.0),  # noqa: E501
    ("Password resets handled by hand", "tool", 3, 1.8, (0.95, 0.05, 0.0, 0.0), 4.5),
    ("No agreed service levels with customers", "practice", 2, 3.8, (0.0, 0.3, 0.5, 0.2), 1.0),
    ("Change approvals slow and unclear", "process", 2, 3.3, (0.0, 0.4, 0.5, 0.1), 1.0),
    ("Too few people know the old systems", "skill", 1, 4.3, (0.0, 0.2, 0.5, 0.3), 1.0),
    ("Reporting done by hand in spreadsheets", "tool", 1, 2.4, (0.0, 0.3, 0.7, 0.0), 1.0),
    ("Prioritising by who shouts loudest", "practice", 1, 3.7, (0.4, 0.5, 0.1, 0.0), 1.0),
    ("New staff learn only by shadowing", "skill", 1, 2.8, (0.0, 0.3, 0.6, 0.1), 1.0),
    ("Remote tools blocked by customers' firewalls", "tool", 1, 3.0, (0.2, 0.5, 0.3, 0.0), 1.0),
]  # fmt: skip
_FREQUENCIES = ("daily", "weekly", "monthly", "rarely")
_SIZES = ("small", "small", "small", "medium", "medium", "large")
_ROLES = ("manager", "service desk", "specialist")


def kallavesi_bottleneck_survey(seed: int) -> pd.DataFrame:
    """Bottlenecks of service management reported by 16 fictional service companies."""
    rng = np.random.default_rng(seed)
    companies = [f"C{i:02d}" for i in range(1, 17)]  # C01 is Kallavesi IT itself
    sizes = {c: ("medium" if c == "C01" else str(rng.choice(_SIZES))) for c in companies}
    rows = []
    for label, kind, n_companies, severity, frequency, respondents in _BOTTLENECKS:
        reporters = rng.choice(companies, size=n_companies, replace=False)
        for company in reporters:
            extra = respondents - 1 + (0.6 if sizes[company] == "large" else 0.0)
            count = 1 + rng.poisson(extra)
            for _ in range(count):
                rows.append(
                    {
                        "company": str(company),
                        "company_size": sizes[company],
                        "respondent_role": str(rng.choice(_ROLES)),
                        "bottleneck": label,
                        "type": kind,
                        "severity": int(np.clip(round(rng.normal(severity, 0.7)), 1, 5)),
                        "frequency": str(rng.choice(_FREQUENCIES, p=frequency)),
                    }
                )
    frame = pd.DataFrame(rows)
    frame = frame.sample(frac=1.0, random_state=int(rng.integers(1 << 31))).reset_index(drop=True)
    frame.insert(0, "response", [f"S{i:03d}" for i in range(1, len(frame) + 1)])
    return frame


GENERATORS: dict[str, Generator] = {
    "kallavesi_desk_contacts": Generator(kallavesi_desk_contacts, seed=2016),
    "kallavesi_primer_tickets": Generator(
        kallavesi_primer_tickets, seed=2017, date_columns=("opened_at", "resolved_at")
    ),
    "kallavesi_team_climate": Generator(kallavesi_team_climate, seed=1994),
    "kallavesi_excellence_targets": Generator(kallavesi_excellence_targets, seed=0),
    "kallavesi_excellence_scores": Generator(kallavesi_excellence_scores, seed=2018),
    "kallavesi_bottleneck_survey": Generator(kallavesi_bottleneck_survey, seed=2804),
}
