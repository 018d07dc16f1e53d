"""Well-being measures of module 07, teacher-side: the dashboard's calculations.

UWES-9 and exhaustion scores, team means with the minimum group size, OLS of the JD-R model,
positive feedback and recognitions, night hours and rest periods of the desk's shift plan. These
are the quantities module 07's exercises ask learners to compute, so they live here, outside the
learner's toolbox: the dashboard imports them, lessons never do, and hidden tests compute their
expected values inline. Tested in ``tests/test_wellbeing.py``.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from ...wellbeing import (
    CALL_OUT,
    DEMANDS,
    EXHAUSTION_KEY,
    EXHAUSTION_RANGE,
    MIN_DAILY_REST_HOURS,
    MIN_GROUP_SIZE,
    NIGHT_END_HOUR,
    NIGHT_START_HOUR,
    PLANNED_SHIFTS,
    RESOURCES,
    UWES9_KEY,
    UWES_RANGE,
    require_columns,
)

# --- survey scoring ---------------------------------------------------------------------------


def score_scale(
    answers: pd.DataFrame,
    key: Mapping[str, Sequence[int]],
    prefix: str,
    answer_range: tuple[int, int],
    total: str | None = None,
) -> pd.DataFrame:
    """Subscale scores as item means, one row per respondent (same index as ``answers``).

    Answers outside the scale are an error, not something to average: they mean a data-entry or
    export problem that would silently bias a team mean. Missing answers are skipped.
    """
    items = sorted({i for numbers in key.values() for i in numbers})
    columns = [f"{prefix}{i}" for i in items]
    require_columns(answers, columns, "scoring")
    values = answers[columns].apply(pd.to_numeric, errors="coerce")
    low, high = answer_range
    bad = values.notna() & ((values < low) | (values > high))
    if bad.to_numpy().any():
        column = values.columns[bad.any()].tolist()[0]
        raise ValueError(f"answers must lie between {low} and {high}; see column {column}")
    scores = pd.DataFrame(
        {
            name: values[[f"{prefix}{i}" for i in numbers]].mean(axis=1)
            for name, numbers in key.items()
        },
        index=answers.index,
    )
    if total:
        scores[total] = values.mean(axis=1)
    return scores


def score_uwes9(answers: pd.DataFrame) -> pd.DataFrame:
    """Vigor, dedication, absorption and the total engagement score (mean of all nine items)."""
    return score_scale(answers, UWES9_KEY, "uwes", UWES_RANGE, total="engagement")


def score_exhaustion(answers: pd.DataFrame) -> pd.DataFrame:
    return score_scale(answers, EXHAUSTION_KEY, "exh", EXHAUSTION_RANGE)


def score_survey(survey: pd.DataFrame) -> pd.DataFrame:
    """Respondent, unit and team with all scores, demands and resources (course's scales)."""
    require_columns(survey, ["respondent", "unit", "team", *DEMANDS, *RESOURCES], "the survey")
    scores = pd.concat([score_uwes9(survey), score_exhaustion(survey)], axis=1)
    scores["demands"] = survey[list(DEMANDS)].mean(axis=1)
    scores["resources"] = survey[list(RESOURCES)].mean(axis=1)
    return pd.concat([survey[["respondent", "unit", "team"]], scores], axis=1)


# --- anonymity ----------------------------------------------------------------------------------


def group_summary(
    scores: pd.DataFrame,
    by: str,
    columns: Sequence[str],
    min_size: int = MIN_GROUP_SIZE,
    decimals: int = 2,
) -> pd.DataFrame:
    """Group means with the number of respondents, only for groups of at least ``min_size``.

    Small groups are dropped, not blanked: a row with a name and an empty value still tells a
    reader who did not answer, and a later edit could fill it in.
    """
    if min_size < MIN_GROUP_SIZE:
        raise ValueError(f"the minimum group size cannot be below {MIN_GROUP_SIZE}")
    require_columns(scores, [by, *columns], "the summary")
    grouped = scores.groupby(by)
    table = grouped[list(columns)].mean().round(decimals)
    table.insert(0, "respondents", grouped.size())
    return table[table["respondents"] >= min_size]


def suppressed_count(scores: pd.DataFrame, by: str, min_size: int = MIN_GROUP_SIZE) -> int:
    """How many groups were left out; a report says so, without naming them."""
    require_columns(scores, [by], "counting groups")
    return int((scores.groupby(by).size() < min_size).sum())


# --- JD-R regression --------------------------------------------------------------------------


def ols(data: pd.DataFrame, outcome: str, predictors: Sequence[str]) -> pd.Series:
    """Ordinary least squares coefficients with an intercept (statsmodels is not needed).

    Returns a Series indexed ``intercept`` and the predictors, in that order.
    """
    require_columns(data, [outcome, *predictors], "the regression")
    frame = data[[outcome, *predictors]].astype(float)
    if frame.isna().to_numpy().any():
        raise ValueError("the regression data contain missing values; drop or impute them first")
    if len(frame) <= len(predictors) + 1:
        raise ValueError("the regression needs more observations than coefficients")
    design = np.column_stack([np.ones(len(frame)), frame[list(predictors)].to_numpy()])
    coefs, *_ = np.linalg.lstsq(design, frame[outcome].to_numpy(), rcond=None)
    return pd.Series(coefs, index=["intercept", *predictors])


def r_squared(data: pd.DataFrame, outcome: str, coefs: pd.Series) -> float:
    """Share of the outcome's variance that the fitted line explains."""
    predictors = [c for c in coefs.index if c != "intercept"]
    fitted = coefs["intercept"] + data[predictors].to_numpy() @ coefs[predictors].to_numpy()
    residual = data[outcome].to_numpy() - fitted
    centred = data[outcome].to_numpy() - data[outcome].mean()
    return float(1 - (residual @ residual) / (centred @ centred))


# --- positive feedback and recognition ----------------------------------------------------------


def positive_feedback(feedback: pd.DataFrame, positive_from: int = 4) -> pd.DataFrame:
    """Feedback count, positives and positive rate per agent and month.

    A rating of ``positive_from`` or more (on 1-5) counts as positive feedback.
    """
    require_columns(feedback, ["agent", "month", "rating"], "positive feedback")
    ratings = pd.to_numeric(feedback["rating"], errors="coerce")
    if ratings.isna().any() or not ratings.between(1, 5).all():
        raise ValueError("ratings must be numbers from 1 to 5")
    table = (
        feedback.assign(positive=ratings >= positive_from)
        .groupby(["agent", "month"])["positive"]
        .agg(feedback="size", positives="sum")
    )
    table["positive_rate"] = table["positives"] / table["feedback"]
    return table


def recognitions(
    feedback: pd.DataFrame, min_positives: int, min_rate: float = 0.0, positive_from: int = 4
) -> pd.DataFrame:
    """Agent-months that trigger recognition: enough positive feedback, and a high enough rate.

    A count alone rewards volume (the busiest agent wins); the rate keeps the rule fair to
    agents on quieter channels and shifts.
    """
    if min_positives < 1:
        raise ValueError("min_positives must be at least 1")
    table = positive_feedback(feedback, positive_from)
    chosen = (table["positives"] >= min_positives) & (table["positive_rate"] >= min_rate)
    return table[chosen]


# --- working time -----------------------------------------------------------------------------


def _shift_times(shifts: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    require_columns(shifts, ["start", "end"], "the shift check")
    start = pd.to_datetime(shifts["start"])
    end = pd.to_datetime(shifts["end"])
    if (end <= start).any():
        raise ValueError("every shift must end after it starts")
    if ((end - start) > pd.Timedelta(hours=24)).any():
        raise ValueError("a shift longer than 24 hours is a data error")
    return start, end


def working_time(shifts: pd.DataFrame) -> pd.DataFrame:
    """The rows that are working time: planned shifts and call-outs, not standby (on call).

    A plan without a ``kind`` column is taken to hold working time only.
    """
    if "kind" not in shifts.columns:
        return shifts
    return shifts[shifts["kind"].isin([*PLANNED_SHIFTS, CALL_OUT])]


def planned_shifts(shifts: pd.DataFrame) -> pd.DataFrame:
    """The planned day and evening shifts (no standby, no unplanned call-outs)."""
    if "kind" not in shifts.columns:
        return shifts
    return shifts[shifts["kind"].isin(PLANNED_SHIFTS)]


def night_hours(shifts: pd.DataFrame) -> pd.Series:
    """Hours of each row that fall between 23:00 and 06:00, whatever its kind.

    A row of at most 24 hours can touch the night that began the evening before its start day,
    the night of its start day and the night after; summing the three overlaps is exact.
    """
    start, end = _shift_times(shifts)
    day = start.dt.normalize()
    total = pd.Series(0.0, index=shifts.index)
    for offset in (-1, 0, 1):
        night_start = day + pd.Timedelta(days=offset, hours=NIGHT_START_HOUR)
        night_end = night_start + pd.Timedelta(hours=24 - NIGHT_START_HOUR + NIGHT_END_HOUR)
        overlap = np.minimum(end, night_end) - np.maximum(start, night_start)
        total += overlap.clip(lower=pd.Timedelta(0)).dt.total_seconds() / 3600
    return total


def night_hours_per_week(shifts: pd.DataFrame, who: str = "agent") -> pd.Series:
    """Night work per person and ISO week of the row's start, e.g. ``("A01", "2017-W45")``.

    Only working time counts (standby does not), and every person-week with working time is
    listed, with 0.0 when none of it fell at night.
    """
    require_columns(shifts, [who], "the shift check")
    work = working_time(shifts)
    start, _ = _shift_times(work)
    iso = start.dt.isocalendar()
    week = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    return night_hours(work).groupby([work[who], week.rename("week")]).sum()


def rest_periods(shifts: pd.DataFrame, who: str = "agent") -> pd.DataFrame:
    """The rest between each planned shift and the same person's next one, in hours."""
    require_columns(shifts, [who], "the shift check")
    plan = planned_shifts(shifts)
    start, end = _shift_times(plan)
    frame = pd.DataFrame({who: plan[who], "start": start, "end": end}).sort_values([who, "start"])
    frame["next_start"] = frame.groupby(who)["start"].shift(-1)
    frame = frame.dropna(subset=["next_start"])
    frame["rest_hours"] = (frame["next_start"] - frame["end"]).dt.total_seconds() / 3600
    if (frame["rest_hours"] < 0).any():
        raise ValueError("two shifts of the same person overlap")
    return frame[[who, "end", "next_start", "rest_hours"]].reset_index(drop=True)


def short_rests(
    shifts: pd.DataFrame, who: str = "agent", min_hours: float = MIN_DAILY_REST_HOURS
) -> pd.DataFrame:
    """Rests shorter than ``min_hours`` between consecutive planned shifts: to re-plan.

    A simplification of the rule, which asks for 11 hours of rest within the 24 hours after each
    shift starts; for consecutive 8-hour shifts, like the desk's, the two readings agree.
    """
    rests = rest_periods(shifts, who)
    return rests[rests["rest_hours"] < min_hours].reset_index(drop=True)


# --- the dashboard's table ----------------------------------------------------------------------

MEASURE_LABELS = {
    "engagement": "Work engagement (UWES-9, 0-6)",
    "vigor": "Vigor (0-6)",
    "dedication": "Dedication (0-6)",
    "absorption": "Absorption (0-6)",
    "exhaustion": "Exhaustion (1-5)",
    "demands": "Job demands (1-5)",
    "resources": "Job resources (1-5)",
}


def team_report(
    survey: pd.DataFrame,
    kpis: pd.DataFrame,
    by: str = "team",
    min_size: int = MIN_GROUP_SIZE,
) -> pd.DataFrame:
    """Well-being per group (only groups of at least ``min_size``) beside the desk's KPIs.

    KPIs are averaged over the months; groups without KPIs (non-desk units) keep empty cells.
    """
    scores = score_survey(survey)
    table = group_summary(scores, by, list(MEASURE_LABELS), min_size)
    require_columns(
        kpis,
        ["team", "agents", "tickets_resolved", "median_resolution_hours", "csat"],
        "the KPI table",
    )
    if by == "unit":
        totals = kpis.groupby("month")[["agents", "tickets_resolved"]].sum()
        per_agent = (totals["tickets_resolved"] / totals["agents"]).mean()
        kpi = pd.DataFrame(
            {
                "tickets_per_agent_month": [per_agent],
                "median_resolution_hours": [kpis["median_resolution_hours"].mean()],
                "csat": [kpis["csat"].mean()],
            },
            index=["Service desk"],
        )
    else:
        kpi = (
            kpis.assign(tickets_per_agent_month=kpis["tickets_resolved"] / kpis["agents"])
            .groupby("team")[["tickets_per_agent_month", "median_resolution_hours", "csat"]]
            .mean()
        )
    return table.join(kpi.round(2), how="left")


def report_html(table: pd.DataFrame, measure: str, suppressed: int, min_size: int) -> str:
    """The report as an HTML table; it states how many groups it leaves out, never which."""
    head = (
        "<th style='text-align:left;padding-right:1em'>Group</th><th>Answers</th>"
        f"<th>{html.escape(MEASURE_LABELS[measure])}</th><th>Tickets per agent-month</th>"
        "<th>Median resolution (h)</th><th>CSAT (1-5)</th>"
    )

    def cell(value, fmt):
        return "–" if pd.isna(value) else format(value, fmt)

    rows = "".join(
        f"<tr><td style='padding-right:1em'>{html.escape(str(group))}</td>"
        f"<td style='text-align:right'>{int(row.respondents)}</td>"
        f"<td style='text-align:right'>{cell(row[measure], '.2f')}</td>"
        f"<td style='text-align:right'>{cell(row.tickets_per_agent_month, '.0f')}</td>"
        f"<td style='text-align:right'>{cell(row.median_resolution_hours, '.1f')}</td>"
        f"<td style='text-align:right'>{cell(row.csat, '.2f')}</td></tr>"
        for group, row in table.iterrows()
    )
    note = (
        f"<p class='suppressed'>{suppressed} group(s) with fewer than {min_size} answers "
        "are not shown.</p>"
    )
    return (
        f"<table class='report'><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{note}"
    )
