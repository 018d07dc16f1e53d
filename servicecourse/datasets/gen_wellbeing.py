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


# Day shifts of the desk (start hour, length in hours); evenings and night duty.
_DAY_STARTS = (7, 8, 8, 9)


def kallavesi_desk_shifts(seed: int) -> pd.DataFrame:
    """The desk's shift plan for four weeks (6.11.-3.12.2017), one row per shift."""
    rng = np.random.default_rng(seed)
    agents = _agents()
    days = pd.date_range("2017-11-06", "2017-12-03", freq="D")
    rows = []
    for agent, team in agents.itertuples(index=False):
        evening_team = team == "Desk evenings & nights"
        for day in days:
            weekday = day.dayofweek
            if evening_team:
                # Evenings 15-23 (Fridays 16-24), night duty 22-06 once a week, some weekends.
                night_day = int(agent[1:]) % 5
                if weekday == night_day:
                    start, hours = 22, 8
                elif weekday == (night_day + 1) % 7:
                    continue  # a free day after night duty
                elif weekday < 5 and rng.random() < 0.85:
                    start, hours = (16 if weekday == 4 else 15), 8  # Fridays until midnight
                elif weekday >= 5 and rng.random() < 0.3:
                    start, hours = 10, 8
                else:
                    continue
            else:
                if weekday >= 5 or rng.random() < 0.06:
                    continue
                start = 12 if rng.random() < 0.15 else int(rng.choice(_DAY_STARTS))
                hours = 8
            begin = day + pd.Timedelta(hours=start)
            rows.append(
                {
                    "agent": agent,
                    "team": team,
                    "start": begin,
                    "end": begin + pd.Timedelta(hours=hours),
                }
            )
    frame = pd.DataFrame(rows)
    # A few plans that break the rules, as real first drafts do: quick returns after an evening
    # or a night, and an extra night shift.
    extra = [
        ("A24", "2017-11-08 07:00", 8),  # evening until 23 on 7.11., then 07:00
        ("A23", "2017-11-16 07:00", 8),
        ("A06", "2017-11-21 22:00", 8),  # a day agent covers a night ...
        ("A06", "2017-11-22 14:00", 8),  # ... and comes back the same afternoon
        ("A25", "2017-11-29 07:00", 8),
    ]
    for agent, begin, hours in extra:
        team = agents.set_index("agent").loc[agent, "team"]
        begin = pd.Timestamp(begin)
        day = begin.normalize()
        frame = frame[~((frame["agent"] == agent) & (frame["start"].dt.normalize() == day))]
        frame = pd.concat(
            [
                frame,
                pd.DataFrame(
                    [
                        {
                            "agent": agent,
                            "team": team,
                            "start": begin,
                            "end": begin + pd.Timedelta(hours=hours),
                        }
                    ]
                ),
            ],
            ignore_index=True,
        )
    frame = frame.sort_values(["agent", "start"], kind="stable").reset_index(drop=True)
    # Drop shifts that would overlap the previous one (a night shift's morning).
    previous_end = frame.groupby("agent")["end"].shift()
    frame = frame[~(frame["start"] < previous_end)].reset_index(drop=True)
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
