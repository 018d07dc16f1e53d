"""Module 06's dashboard computations: the register as a value/effort matrix (teacher side).

Dashboards import this; lessons never do, and the student branch does not ship it.
"""

from __future__ import annotations

import html

import pandas as pd

from ...improvement import QUADRANTS, quadrant

OPEN_STATUSES = ("proposed", "approved")
"""Statuses of ideas that still wait for a decision or for work."""


def matrix(
    register: pd.DataFrame,
    value_cut: float,
    effort_cut: float,
    statuses: tuple[str, ...] = OPEN_STATUSES,
) -> pd.DataFrame:
    """The register's ideas with the given statuses, each with its quadrant and value per day.

    Sorted by quadrant (quick wins first), then by value per person-day, highest first.
    """
    chosen = register[register["status"].isin(statuses)].copy()
    chosen["quadrant"] = [
        quadrant(v, e, value_cut, effort_cut)
        for v, e in zip(chosen["value"], chosen["effort_days"], strict=True)
    ]
    chosen["value_per_day"] = chosen["value"] / chosen["effort_days"]
    order = {name: i for i, name in enumerate(QUADRANTS)}
    chosen["_order"] = chosen["quadrant"].map(order)
    chosen = chosen.sort_values(["_order", "value_per_day"], ascending=[True, False])
    return chosen.drop(columns="_order").reset_index(drop=True)


def quadrant_counts(table: pd.DataFrame) -> pd.Series:
    """How many ideas fall in each quadrant, in the fixed quadrant order (zeros included)."""
    return table["quadrant"].value_counts().reindex(list(QUADRANTS), fill_value=0)


def summary_html(table: pd.DataFrame) -> str:
    """A short HTML list of the quick wins and the quadrant counts, for the dashboard."""
    counts = quadrant_counts(table)
    parts = ", ".join(f"{name}: {n}" for name, n in counts.items())
    wins = table[table["quadrant"] == QUADRANTS[0]]
    if wins.empty:
        items = "<li>none with these cut-offs</li>"
    else:
        items = "".join(
            f"<li>{html.escape(str(r.id))} {html.escape(str(r.title))} "
            f"(value {r.value}, {r.effort_days} person-days)</li>"
            for r in wins.itertuples()
        )
    counts_html = f"<p><b>Ideas per quadrant</b>: {html.escape(parts)}</p>"
    return f"{counts_html}<p><b>Quick wins</b></p><ul>{items}</ul>"
