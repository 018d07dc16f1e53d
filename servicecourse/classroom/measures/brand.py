"""Customer-experience measures for module 05's dashboard (teacher side: lessons never import
this, and the student branch does not ship it).

The survey answers are joined to the tickets they are about; the measures are the ones the
lessons teach, each computed over the answers to its own question.
"""

from __future__ import annotations

import pandas as pd

MEASURES = {
    "nps": "NPS (% promoters 9-10 minus % detractors 0-6)",
    "csat_pct": "CSAT (% of 4-5 answers on 1-5)",
    "ces_mean": "CES 2.0 (mean agreement, 1-7, high = easy)",
}
HIGH_IS_GOOD = {"nps": True, "csat_pct": True, "ces_mean": True}
DRIVERS = {
    "reopened": "Reopened",
    "sla_missed": "Resolution target missed",
    "several_contacts": "More than one contact",
    "escalated": "Escalated",
}
SEGMENT_LABELS = {"public_sector": "Public sector", "sme": "SMEs", "education": "Education"}


def joined(survey: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """Each answer with its ticket's channel, priority and the operational drivers."""
    rated = survey.merge(tickets, left_on="ticket", right_on="id", how="inner")
    hours = (rated["resolved_at"] - rated["opened_at"]) / pd.Timedelta(hours=1)
    rated["sla_missed"] = hours > rated["sla_target_h"]
    rated["several_contacts"] = rated["contacts"] > 1
    return rated


def nps(scores: pd.Series) -> float:
    answered = scores.dropna()
    if answered.empty:
        return float("nan")
    return float(((answered >= 9).mean() - (answered <= 6).mean()) * 100)


def csat_pct(scores: pd.Series) -> float:
    answered = scores.dropna()
    return float((answered >= 4).mean() * 100) if len(answered) else float("nan")


def ces_mean(scores: pd.Series) -> float:
    answered = scores.dropna()
    return float(answered.mean()) if len(answered) else float("nan")


_COLUMN = {"nps": "nps", "csat_pct": "csat", "ces_mean": "ces"}
_FUNCTION = {"nps": nps, "csat_pct": csat_pct, "ces_mean": ces_mean}


def measure(frame: pd.DataFrame, name: str) -> tuple[float, int]:
    """(value, number of answers to the measure's question)."""
    scores = frame[_COLUMN[name]]
    return _FUNCTION[name](scores), int(scores.notna().sum())


def over_time(frame: pd.DataFrame, name: str, period: str = "W") -> pd.DataFrame:
    """The measure per week (``"W"``, starting Monday) or month (``"M"``): value and answers."""
    if period == "W":
        start = frame["answered_at"].dt.to_period("W-SUN").dt.start_time
    else:
        start = frame["answered_at"].dt.to_period("M").dt.start_time
    rows = [(when, *measure(group, name)) for when, group in frame.groupby(start)]
    return pd.DataFrame(rows, columns=["period", "value", "answers"]).set_index("period")


def by_segment(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The measure per segment and month (rows), with the answers behind each value."""
    month = frame["answered_at"].dt.to_period("M").dt.start_time.rename("month")
    rows = [
        (segment, when, *measure(group, name))
        for (segment, when), group in frame.groupby([frame["segment"], month])
    ]
    table = pd.DataFrame(rows, columns=["segment", "month", "value", "answers"])
    return table.set_index(["segment", "month"])


def driver_table(frame: pd.DataFrame, name: str = "nps") -> pd.DataFrame:
    """Per driver: the measure of tickets with it and without it, the gap, and the answers."""
    rows = []
    for driver in DRIVERS:
        flag = frame[driver].astype(bool)
        with_it, answers_with = measure(frame[flag], name)
        without, _ = measure(frame[~flag], name)
        rows.append((driver, with_it, without, with_it - without, answers_with))
    table = pd.DataFrame(rows, columns=["driver", "with", "without", "gap", "answers_with"])
    return table.set_index("driver")
