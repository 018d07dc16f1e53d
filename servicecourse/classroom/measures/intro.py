"""Module 01's graded quantities for the maturity-profile dashboard (teacher side).

The self-assessment lesson asks learners for the areas' maturity and their gap to the target;
the dashboard shows the same numbers, so they are computed here, where lessons never look.
"""

from __future__ import annotations

import html

import pandas as pd

ROLES = ("service manager", "process manager", "desk supervisor")
COMPARISONS = {"target": "Kallavesi IT's target", "peer_median": "the peer median"}


def area_maturity(scores: pd.DataFrame, role: str | None = None) -> pd.Series:
    """Mean score per area, "don't know" (missing) answers left out; optionally one role."""
    chosen = scores if role is None else scores[scores["role"] == role]
    return chosen.dropna(subset=["score"]).groupby("area")["score"].mean().astype(float)


def profile(scores: pd.DataFrame, targets: pd.DataFrame, role: str | None = None) -> pd.DataFrame:
    """One row per area in the targets' order: group, current level, target, peer median,
    number of answers and of "don't know" answers, and the gaps to target and peers."""
    chosen = scores if role is None else scores[scores["role"] == role]
    table = targets.set_index("area")[["group", "target", "peer_median"]].copy()
    table["current"] = area_maturity(scores, role).reindex(table.index)
    table["answers"] = chosen.groupby("area")["score"].count().reindex(table.index, fill_value=0)
    dont_know = chosen["score"].isna().groupby(chosen["area"]).sum()
    table["dont_know"] = dont_know.reindex(table.index, fill_value=0).astype(int)
    table["gap_to_target"] = table["target"] - table["current"]
    table["gap_to_peers"] = table["peer_median"] - table["current"]
    return table


def gap_html(table: pd.DataFrame, against: str, top: int = 3) -> str:
    """A short HTML summary: the largest gaps to the chosen comparison and the don't-knows."""
    gap = (table[against] - table["current"]).dropna().sort_values(ascending=False)
    items = "".join(
        f"<li>{html.escape(area)}: {table.loc[area, 'current']:.1f} against "
        f"{table.loc[area, against]:.1f} (gap {value:+.1f})</li>"
        for area, value in gap.head(top).items()
        if value > 0
    )
    below = int((gap > 0).sum())
    unknown = int(table["dont_know"].sum())
    label = COMPARISONS[against]
    silent = [area for area, value in table["current"].items() if pd.isna(value)]
    note = (
        f"<p>No answers in this selection for: {html.escape(', '.join(silent))}.</p>"
        if silent
        else ""
    )
    return note + (
        f"<p><b>{below} of {len(table)} areas</b> are below {html.escape(label)}. "
        f"Largest gaps:</p><ul>{items or '<li>none</li>'}</ul>"
        f'<p>"Don\'t know" answers in this selection: <b>{unknown}</b> '
        "(left out of the means, not counted as zero).</p>"
    )
