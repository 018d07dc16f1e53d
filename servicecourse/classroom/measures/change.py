"""Change measures of module 02, teacher-side: the dashboard's calculations.

The routing rule of the pilot, change KPIs, failed changes linked to incidents and the
force-field balance. These are quantities module 02's exercises ask learners to compute, so
they live here, outside the learner's toolbox: the dashboard imports them, lessons never do,
and hidden tests compute their expected values inline. Tested in ``tests/test_change.py``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from ...change import ADKAR_ELEMENTS

ROUTES = ("ECAB", "design and transition", "pre-authorised", "CAB")
"""Where a change goes, in the order the routing rule tests for them."""

LINK_WINDOW_H = 8
LINK_PRIORITIES = ("P1", "P2")


def route(change: Mapping) -> str:
    """The pilot's routing rule for one change (a dict or a row with ``type``, ``impact`` and
    ``new_service``)."""
    if change["type"] == "emergency":
        return "ECAB"
    if bool(change["new_service"]) or change["impact"] == "high":
        return "design and transition"
    if change["type"] == "standard":
        return "pre-authorised"
    return "CAB"


def route_reason(change: Mapping) -> str:
    """Why :func:`route` sends a change where it does, in a few words."""
    if change["type"] == "emergency":
        return "emergency: the emergency change authority decides now"
    if bool(change["new_service"]):
        return "a new service: ISO/IEC 20000-1 8.5.2, design and transition"
    if change["impact"] == "high":
        return "wide (high) impact: ISO/IEC 20000-1 8.5.2, design and transition"
    if change["type"] == "standard":
        return "standard change: pre-authorised by its change model"
    return f"normal change, {change['impact']} impact: the change authority (CAB) assesses it"


def routes(changes: pd.DataFrame) -> pd.Series:
    return changes.apply(route, axis=1).rename("route")


def implemented(changes: pd.DataFrame) -> pd.DataFrame:
    return changes[changes["outcome"] != "cancelled"]


def kpis_by_type(changes: pd.DataFrame) -> pd.DataFrame:
    """Implemented changes, success rate and median lead time (hours) per change type."""
    done = implemented(changes)
    lead = (done["implemented_at"] - done["submitted_at"]) / pd.Timedelta(hours=1)
    return pd.DataFrame(
        {
            "changes": done.groupby("type").size(),
            "success_rate": (done["outcome"] == "success").groupby(done["type"]).mean(),
            "median_lead_h": lead.groupby(done["type"]).median(),
        }
    )


def emergency_share(changes: pd.DataFrame) -> float:
    done = implemented(changes)
    return float((done["type"] == "emergency").mean())


def linked_failures(changes: pd.DataFrame, tickets: pd.DataFrame) -> list[str]:
    """Failed or rolled-back changes followed, on the same service, by a P1/P2 incident
    opened within the window after the change was implemented."""
    failed = changes[changes["outcome"].isin(["failed", "rolled_back"])]
    major = tickets[(tickets["type"] == "incident") & tickets["priority"].isin(LINK_PRIORITIES)]
    pairs = failed.merge(major[["service", "opened_at"]], on="service")
    delay = (pairs["opened_at"] - pairs["implemented_at"]) / pd.Timedelta(hours=1)
    hit = (delay > 0) & (delay <= LINK_WINDOW_H)
    return sorted(pairs.loc[hit, "change_id"].unique())


def barrier_point(scores: Mapping, threshold: int = 3) -> str:
    """The first ADKAR element scoring at most ``threshold``, or ``"none"``."""
    for element in ADKAR_ELEMENTS:
        if scores[element] <= threshold:
            return element
    return "none"


def force_balance(forces: pd.DataFrame, strength: pd.Series | None = None) -> dict[str, float]:
    """Sum of driving forces, sum of restraining forces and their difference (net)."""
    values = forces["strength"] if strength is None else strength
    driving = float(values[forces["direction"] == "driving"].sum())
    restraining = float(values[forces["direction"] == "restraining"].sum())
    return {"driving": driving, "restraining": restraining, "net": driving - restraining}


def strengths_after(forces: pd.DataFrame) -> pd.Series:
    """Strengths after the planned actions: a force without an action keeps its strength."""
    return forces["strength_after"].fillna(forces["strength"]).astype(float)
