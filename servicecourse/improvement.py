"""Module 06's tools for service improvement: the models' steps, a cycle figure, a waste list.

Tools only: nothing here computes an exercise's answer. The lessons use the step lists and the
cycle figure to draw the models, and the quadrant names to talk about a value/effort matrix.
"""

from __future__ import annotations

import math

import plotly.graph_objects as go

CI_MODEL_STEPS = (
    "What is the vision?",
    "Where are we now?",
    "Where do we want to be?",
    "How do we get there?",
    "Take action",
    "Did we get there?",
    "How do we keep the momentum going?",
)
"""The seven questions of the ITIL 4 continual improvement model (AXELOS 2019), in order."""

SEVEN_STEP_PROCESS = (
    "Identify the strategy for improvement",
    "Define what you will measure",
    "Gather the data",
    "Process the data",
    "Analyse the information and data",
    "Present and use the information",
    "Implement improvement",
)
"""The ITIL v3 seven-step improvement process (Cabinet Office 2011), in order."""

PDCA_STEPS = ("Plan", "Do", "Check", "Act")
"""Deming's cycle; Deming later preferred "Study" to "Check" (PDSA)."""

LEAN_WASTES = (
    "transport",
    "inventory",
    "motion",
    "waiting",
    "overproduction",
    "overprocessing",
    "defects",
    "unused talent",
)
"""The seven wastes of the Toyota Production System and the later eighth, unused talent."""

QUADRANTS = ("quick win", "major project", "fill-in", "thankless task")
"""Names of the four quadrants of a value/effort matrix, in the order high value/low effort,
high value/high effort, low value/low effort, low value/high effort."""


def quadrant(value: float, effort: float, value_cut: float, effort_cut: float) -> str:
    """The quadrant of one idea in a value/effort matrix.

    An idea whose value is at least ``value_cut`` has high value; one whose effort is at most
    ``effort_cut`` has low effort.
    """
    high_value = value >= value_cut
    low_effort = effort <= effort_cut
    if high_value:
        return QUADRANTS[0] if low_effort else QUADRANTS[1]
    return QUADRANTS[2] if low_effort else QUADRANTS[3]


def steps_figure(steps: tuple[str, ...] | list[str], title: str) -> go.Figure:
    """A cycle of numbered steps, drawn on cartesian axes (no polar traces), first step on top."""
    n = len(steps)
    if n < 2:
        raise ValueError("a cycle needs at least two steps")
    angles = [math.pi / 2 - 2 * math.pi * i / n for i in range(n)]
    xs = [math.cos(a) for a in angles]
    ys = [math.sin(a) for a in angles]
    figure = go.Figure()
    figure.add_trace(
        go.Scatter(
            x=[*xs, xs[0]],
            y=[*ys, ys[0]],
            mode="lines",
            line={"width": 2},
            hoverinfo="skip",
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=xs,
            y=ys,
            mode="markers+text",
            marker={"size": 34},
            text=[str(i + 1) for i in range(n)],
            textfont={"color": "white", "size": 14},
            hovertext=list(steps),
            hoverinfo="text",
            showlegend=False,
        )
    )
    for i, (x, y, label) in enumerate(zip(xs, ys, steps, strict=True)):
        figure.add_annotation(
            x=x * 1.32,
            y=y * 1.22,
            text=f"{i + 1}. {label}",
            showarrow=False,
            xanchor="center",
        )
    figure.update_xaxes(visible=False, range=[-2.1, 2.1])
    figure.update_yaxes(visible=False, range=[-1.5, 1.5], scaleanchor="x")
    figure.update_layout(title=title, height=460)
    return figure
