"""Module 02's learner toolbox: names and figures for change management.

Tools only: the ADKAR elements in their order, what the three ITIL change types mean, time
spans in hours, and a force-field chart. Nothing here computes an exercise's answer.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from .plotting import OKABE_ITO

ADKAR_ELEMENTS = ("awareness", "desire", "knowledge", "ability", "reinforcement")
"""The five elements of Prosci's ADKAR model, in the order a person reaches them."""

CHANGE_TYPES = {
    "standard": "pre-authorised, low risk, well understood and documented; done without a "
    "further assessment",
    "normal": "assessed and authorised by the change authority its change model names "
    "before it is scheduled",
    "emergency": "must be made as soon as possible (to end an incident, to close a security "
    "hole); assessed and authorised in an expedited way",
}
"""The three types of change of ITIL 4 change enablement, in the course's words."""


def hours(start: pd.Series, end: pd.Series) -> pd.Series:
    """Hours from ``start`` to ``end`` (date-time Series); empty where either is missing."""
    return (end - start) / pd.Timedelta(hours=1)


def force_field_figure(
    forces: pd.DataFrame,
    strength: str = "strength",
    title: str = "Force-field analysis",
) -> go.Figure:
    """Draw forces as bars: driving forces to the right, restraining forces to the left.

    ``forces`` has the columns ``force``, ``direction`` (``"driving"`` or ``"restraining"``)
    and the numeric column named by ``strength``. The chart shows each force; adding them up
    is left to you.
    """
    sign = forces["direction"].map({"driving": 1, "restraining": -1})
    if sign.isna().any():
        raise ValueError("direction must be 'driving' or 'restraining'")
    figure = go.Figure()
    for direction, colour in (("driving", OKABE_ITO[2]), ("restraining", OKABE_ITO[5])):
        chosen = forces["direction"] == direction
        figure.add_bar(
            x=(forces.loc[chosen, strength] * sign[chosen]).tolist(),
            y=forces.loc[chosen, "force"].tolist(),
            orientation="h",
            name=f"{direction} forces",
            marker_color=colour,
        )
    figure.update_layout(
        title=title,
        barmode="relative",
        xaxis_title="Strength (restraining ← 0 → driving)",
        yaxis_title="Force",
        height=120 + 32 * len(forces),
    )
    figure.update_yaxes(autorange="reversed")
    return figure
