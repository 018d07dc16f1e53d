"""Generators of module 07's synthetic data about the fictional company Kallavesi IT.

Well-being survey, service desk team KPIs, customer feedback per agent, a shift plan and a coded
interview study. The numbers are invented for teaching; they describe no real people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .generators import Generator

# Service desk teams: 25 agents. Two teams are smaller than the survey's anonymity threshold
# (5 answers) on purpose, so that learners meet suppression with real data.
DESK_TEAMS = {
    "Desk phone A": 7,
    "Desk phone B": 6,
    "Desk e-mail & portal": 5,
    "Desk chat": 4,
    "Desk evenings & nights": 3,
}
# Other units of the ~120-person company that answered the survey (80 of about 120 people).
OTHER_TEAMS = {
    "Service points": 10,
    "Workplace IT": 14,
    "Hosting & backup": 8,
    "Development": 12,
    "Sales & customer management": 7,
    "Administration": 4,
}
# Team-level means of demands (workload, emotional demands) and resources (autonomy, social
# support, feedback) on the course's 1-5 scales: the desk and evenings carry more demands.
_TEAM_CLIMATE = {
    "Desk phone A": (3.9, 3.8, 2.7, 3.6, 3.0),
    "Desk phone B": (3.7, 3.6, 2.9, 3.0, 2.7),
    "Desk e-mail & portal": (3.4, 2.9, 3.3, 3.5, 3.2),
    "Desk chat": (3.6, 3.2, 3.2, 3.7, 3.4),
    "Desk evenings & nights": (3.8, 3.4, 2.8, 2.6, 2.5),
    "Service points": (3.3, 3.3, 3.6, 3.4, 3.3),
    "Workplace IT": (3.2, 2.6, 3.7, 3.6, 3.4),
    "Hosting & backup": (3.1, 2.3, 3.9, 3.3, 3.1),
    "Development": (3.3, 2.2, 4.1, 3.8, 3.5),
    "Sales & customer management": (3.5, 3.1, 3.8, 3.4, 3.6),
    "Administration": (3.0, 2.4, 3.6, 3.7, 3.2),
}
_CLIMATE_COLUMNS = ("workload", "emotional_demands", "autonomy", "support", "feedback")


def _unit(team: str) -> str:
    return "Service desk" if team.startswith("Desk") else team


def kallavesi_wellbeing_survey(seed: int) -> pd.DataFrame:
    """One row per respondent of the (fictional) company's well-being survey, autumn 2017."""
    rng = np.random.default_rng(seed)
    teams = [t for t, n in {**DESK_TEAMS, **OTHER_TEAMS}.items() for _ in range(n)]
    rng.shuffle(teams)  # respondent numbers must not reveal the team
    rows = []
    for i, team in enumerate(teams, start=1):
        climate = np.array(_TEAM_CLIMATE[team]) + rng.normal(0, 0.45, 5)
        climate = np.clip(np.round(climate, 1), 1.0, 5.0)
        demands = climate[:2].mean()
        resources = climate[2:].mean()
        # JD-R: demands drive exhaustion (health impairment), resources drive engagement
        # (motivation) and buffer exhaustion a little.
        exhaustion = 0.9 + 0.62 * demands - 0.28 * resources + rng.normal(0, 0.35)
        engagement = 0.6 - 0.05 * demands + 1.05 * resources + rng.normal(0, 0.5)
        vigor_shift, absorption_shift = rng.normal(0, 0.25, 2)
        shifts = np.array(
            [
                vigor_shift,
                vigor_shift,
                0,
                0,
                vigor_shift,
                absorption_shift,
                0,
                absorption_shift,
                absorption_shift,
            ]
        )
        uwes = np.clip(np.rint(engagement + shifts + rng.normal(0, 0.6, 9)), 0, 6).astype(int)
        exh = np.clip(np.rint(exhaustion + rng.normal(0, 0.5, 3)), 1, 5).astype(int)
        row = {"respondent": f"R{i:03d}", "unit": _unit(team), "team": team}
        row |= {f"uwes{k}": int(v) for k, v in enumerate(uwes, start=1)}
        row |= {f"exh{k}": int(v) for k, v in enumerate(exh, start=1)}
        row |= {c: float(v) for c, v in zip(_CLIMATE_COLUMNS, climate, strict=True)}
        rows.append(row)
    return pd.DataFrame(rows)


def kallavesi_desk_team_kpis(seed: int) -> pd.DataFrame:
    """Monthly productivity and quality indicators of the five service desk teams."""
    rng = np.random.default_rng(seed)
    # tickets per agent and working day, median resolution hours, first-contact resolution, CSAT
    profile = {
        "Desk phone A": (11.5, 5.5, 0.71, 4.15),
        "Desk phone B": (11.0, 6.5, 0.66, 3.95),
        "Desk e-mail & portal": (9.5, 9.0, 0.48, 4.05),
        "Desk chat": (12.5, 3.5, 0.74, 4.30),
        "Desk evenings & nights": (7.0, 7.5, 0.62, 4.00),
    }
    working_days = {"2017-09": 21, "2017-10": 22, "2017-11": 21}
    rows = []
    for month, days in working_days.items():
        for team, (per_day, hours, fcr, csat) in profile.items():
            agents = DESK_TEAMS[team]
            tickets = int(rng.poisson(per_day * agents * days * rng.uniform(0.92, 1.06)))
            rows.append(
                {
                    "month": month,
                    "team": team,
                    "agents": agents,
                    "tickets_resolved": tickets,
                    "median_resolution_hours": round(float(hours * rng.uniform(0.85, 1.2)), 1),
                    "first_contact_resolution": round(float(fcr + rng.normal(0, 0.025)), 3),
                    "csat": round(float(csat + rng.normal(0, 0.06)), 2),
                }
            )
    return pd.DataFrame(rows)


def _agents() -> pd.DataFrame:
    teams = [t for t, n in DESK_TEAMS.items() for _ in range(n)]
    return pd.DataFrame({"agent": [f"A{i:02d}" for i in range(1, 26)], "team": teams})


def kallavesi_desk_feedback(seed: int) -> pd.DataFrame:
    """Customer feedback (1-5) on resolved tickets, per agent, September-November 2017."""
    rng = np.random.default_rng(seed)
    agents = _agents()
    # Each agent has their own level; the evening team resolves fewer tickets.
    level = rng.normal(4.1, 0.25, len(agents))
    volume = np.where(agents["team"] == "Desk evenings & nights", 7, 13)
    rows = []
    ticket = 4000
    for month in ("2017-09", "2017-10", "2017-11"):
        for (agent, _team), mu, lam in zip(
            agents.itertuples(index=False), level, volume, strict=True
        ):
            for _ in range(int(rng.poisson(lam))):
                ticket += int(rng.integers(1, 12))
                rating = int(np.clip(np.rint(rng.normal(mu, 0.9)), 1, 5))
                rows.append(
                    {
                        "ticket": f"T17-{ticket:05d}",
                        "agent": agent,
                        "month": month,
                        "rating": rating,
                    }
                )
    frame = pd.DataFrame(rows).sort_values("ticket", kind="stable").reset_index(drop=True)
    return frame


# Day shifts of the desk start at 7, 8 or 9 (8 hours); the evening shift is 15-23; weekend days
# are covered 10-18; nights 23-07 are on call (standby at home).
_DAY_STARTS = (7, 8, 8, 9)
_EVENING_START = 15
_WEEKEND_START = 10
_ON_CALL_START, _ON_CALL_HOURS = 23, 8
# On-call nights of the evening team (weekday of the night's start: Mon=0); the other nights
# rotate among experienced day agents.
_EVENING_TEAM_NIGHTS = {"A23": 0, "A24": 1, "A25": 2}
_ON_CALL_ROTATION = ("A03", "A09", "A12", "A16", "A20", "A05", "A14")
# Day agents who cover one weekday evening each in the four weeks, and the weekend days.
_EVENING_ROTATION = ("A02", "A06", "A08", "A11", "A13", "A15", "A17", "A19", "A21", "A04")
_WEEKEND_ROTATION = ("A01", "A07", "A10", "A18", "A22", "A02", "A08", "A15")
# Quick returns and boundary cases of a first draft: (agent, kind, start); 8-hour shifts.
_DRAFT_CHANGES = (
    ("A23", "evening", "2017-11-08 15:00"),
    ("A23", "day", "2017-11-09 07:00"),  # after the evening: 8 h of rest
    ("A25", "evening", "2017-11-13 15:00"),
    ("A25", "day", "2017-11-14 07:00"),  # 8 h
    ("A06", "evening", "2017-11-21 15:00"),  # a day agent covers an evening ...
    ("A06", "day", "2017-11-22 07:00"),  # ... and is back at 07:00
    ("A14", "evening", "2017-11-29 15:00"),
    ("A14", "day", "2017-11-30 08:00"),  # 9 h
    ("A11", "day", "2017-11-27 12:00"),  # until 20:00 ...
    ("A11", "day", "2017-11-28 07:00"),  # ... exactly 11 h: allowed
    ("A24", "evening", "2017-11-24 15:00"),  # Friday evening ...
    ("A24", "day", "2017-11-25 10:00"),  # ... weekend day at 10:00: exactly 11 h
    ("A19", "evening", "2017-11-30 15:00"),
    ("A19", "day", "2017-12-01 09:00"),  # 10 h
)
# Call-outs that every plan of this kind meets: one across midnight, one after 06:00.
_FIXED_CALL_OUTS = (
    ("2017-11-07 23:30", 1.5),
    ("2017-11-16 04:45", 2.0),
    ("2017-11-26 02:15", 1.25),
)


def kallavesi_desk_shifts(seed: int) -> pd.DataFrame:
    """The desk's plan for four weeks (6.11.-3.12.2017): shifts, on-call nights and call-outs.

    One row per shift (``day`` or ``evening``), per night on call (``on call``: standby at home,
    not working time) and per call-out (``call-out``: work done during standby), in order of
    start time, as a planning tool exports it.
    """
    rng = np.random.default_rng(seed)
    agents = _agents()
    team_of = dict(zip(agents["agent"], agents["team"], strict=True))
    days = pd.date_range("2017-11-06", "2017-12-03", freq="D")
    planned: dict[tuple[str, pd.Timestamp], tuple[str, float]] = {}
    evening_team = [a for a, t in team_of.items() if t == "Desk evenings & nights"]
    day_agents = [a for a in team_of if a not in evening_team]
    weekdays = [d for d in days if d.dayofweek < 5]
    weekend_days = [d for d in days if d.dayofweek >= 5]
    for day in weekdays:
        for agent in day_agents:
            if rng.random() >= 0.06:
                planned[(agent, day)] = ("day", float(rng.choice(_DAY_STARTS)))
        for agent in evening_team:
            night = _EVENING_TEAM_NIGHTS[agent]
            if day.dayofweek == (night + 1) % 7:
                continue  # a free day after the night on call
            if day.dayofweek == night or rng.random() < 0.9:
                planned[(agent, day)] = ("evening", float(_EVENING_START))
    # One day agent on the evening shift each weekday, in rotation; the next day starts at 12.
    for i, day in enumerate(weekdays):
        agent = _EVENING_ROTATION[i % len(_EVENING_ROTATION)]
        planned[(agent, day)] = ("evening", float(_EVENING_START))
        following = day + pd.Timedelta(days=1)
        if (agent, following) in planned:
            planned[(agent, following)] = ("day", 12.0)
    # Weekend days: one agent 10-18, who has the Friday before (Saturday) or the Monday after
    # (Sunday) off, to stay within 40 hours a week.
    for i, day in enumerate(weekend_days):
        agent = _WEEKEND_ROTATION[i % len(_WEEKEND_ROTATION)]
        planned[(agent, day)] = ("day", float(_WEEKEND_START))
        off = day - pd.Timedelta(days=1) if day.dayofweek == 5 else day + pd.Timedelta(days=1)
        planned.pop((agent, off), None)
    for agent, kind, begin in _DRAFT_CHANGES:
        begin = pd.Timestamp(begin)
        planned[(agent, begin.normalize())] = (kind, begin.hour + begin.minute / 60)
    rows = [
        {
            "agent": agent,
            "team": team_of[agent],
            "kind": kind,
            "start": day + pd.Timedelta(hours=start),
            "end": day + pd.Timedelta(hours=start + 8),
        }
        for (agent, day), (kind, start) in planned.items()
    ]
    # Nights on call: the evening team's own nights, the others in rotation.
    on_call = {}
    rotation = 0
    for day in days:
        owner = [a for a, night in _EVENING_TEAM_NIGHTS.items() if night == day.dayofweek]
        if owner:
            on_call[day] = owner[0]
        else:
            on_call[day] = _ON_CALL_ROTATION[rotation % len(_ON_CALL_ROTATION)]
            rotation += 1
    for day, agent in on_call.items():
        begin = day + pd.Timedelta(hours=_ON_CALL_START)
        rows.append(
            {
                "agent": agent,
                "team": team_of[agent],
                "kind": "on call",
                "start": begin,
                "end": begin + pd.Timedelta(hours=_ON_CALL_HOURS),
            }
        )
    # Call-outs: P1 incidents at night, on about a third of the nights, in quarter hours.
    call_outs = [(pd.Timestamp(s), h) for s, h in _FIXED_CALL_OUTS]
    for day in days:
        if rng.random() < 0.3:
            begin = day + pd.Timedelta(hours=23 + 0.25 * int(rng.integers(0, 28)))
            call_outs.append((begin, 0.25 * int(rng.integers(2, 7))))
    busy_until: dict[pd.Timestamp, pd.Timestamp] = {}
    for begin, hours in sorted(call_outs):
        night = (begin - pd.Timedelta(hours=_ON_CALL_START)).normalize()
        if begin < busy_until.get(night, begin):
            continue  # the agent is still working on the previous call
        agent = on_call[night]
        end = min(begin + pd.Timedelta(hours=hours), night + pd.Timedelta(hours=31))
        busy_until[night] = end
        rows.append(
            {"agent": agent, "team": team_of[agent], "kind": "call-out", "start": begin, "end": end}
        )
    frame = pd.DataFrame(rows).sort_values(["start", "agent"], kind="stable")
    frame = frame.reset_index(drop=True)
    for column in ("start", "end"):
        frame[column] = frame[column].dt.strftime("%Y-%m-%d %H:%M")
    return frame


# Herzberg's factors, each with the SDT need it most plainly speaks to (None: no basic need).
INTERVIEW_FACTORS = {
    "achievement": ("motivator", "competence"),
    "recognition": ("motivator", "competence"),
    "work itself": ("motivator", "autonomy"),
    "responsibility": ("motivator", "autonomy"),
    "advancement": ("motivator", "competence"),
    "company policy": ("hygiene", "autonomy"),
    "supervision": ("hygiene", "relatedness"),
    "relations with colleagues": ("hygiene", "relatedness"),
    "working conditions": ("hygiene", "none"),
    "salary": ("hygiene", "none"),
    "security": ("hygiene", "none"),
}
_GROUP_WEIGHTS = {
    # achievement, recognition, work itself, responsibility, advancement, policy, supervision,
    # colleagues, conditions, salary, security
    "service desk employee": (3, 5, 3, 2, 2, 2, 3, 4, 4, 3, 1),
    "supervisor": (3, 3, 2, 4, 2, 3, 2, 2, 2, 1, 1),
    "service worker": (2, 3, 4, 2, 1, 2, 3, 3, 4, 2, 2),
}


def kallavesi_interview_codes(seed: int) -> pd.DataFrame:
    """Coded segments of a synthetic three-phase interview study (25 + 5 + 5 interviewees)."""
    rng = np.random.default_rng(seed)
    people = (
        [(f"D{i:02d}", "service desk employee", 1) for i in range(1, 26)]
        + [(f"S{i}", "supervisor", 2) for i in range(1, 6)]
        + [(f"W{i}", "service worker", 3) for i in range(1, 6)]
    )
    factors = list(INTERVIEW_FACTORS)
    rows = []
    for person, group, phase in people:
        weights = np.array(_GROUP_WEIGHTS[group], dtype=float)
        chosen = rng.choice(
            len(factors), size=int(rng.integers(3, 7)), replace=False, p=weights / weights.sum()
        )
        for segment, k in enumerate(sorted(chosen), start=1):
            factor = factors[k]
            herzberg, need = INTERVIEW_FACTORS[factor]
            rows.append(
                {
                    "interviewee": person,
                    "group": group,
                    "phase": phase,
                    "segment": segment,
                    "factor": factor,
                    "herzberg": herzberg,
                    "sdt_need": need,
                }
            )
    return pd.DataFrame(rows)


GENERATORS: dict[str, Generator] = {
    "kallavesi_wellbeing_survey": Generator(kallavesi_wellbeing_survey, seed=2017),
    "kallavesi_desk_team_kpis": Generator(kallavesi_desk_team_kpis, seed=7001),
    "kallavesi_desk_feedback": Generator(kallavesi_desk_feedback, seed=7002),
    "kallavesi_desk_shifts": Generator(
        kallavesi_desk_shifts, seed=7003, date_columns=("start", "end")
    ),
    "kallavesi_interview_codes": Generator(kallavesi_interview_codes, seed=7004),
}
