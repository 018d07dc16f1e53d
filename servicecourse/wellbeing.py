"""Well-being and productivity (module 07): survey scoring, anonymity, OLS, recognition, shifts.

Shared by the module's lessons, its dashboard and the tests, so that the numbers a class sees are
the numbers the tests check. Scoring keys are data, not code, so that each key can be read and
compared with its published source at a glance.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

# UWES-9 (Schaufeli, Bakker & Salanova 2006; UWES manual, Schaufeli & Bakker 2004): answers 0
# (never) to 6 (always, every day); each subscale score is the mean of its items.
UWES9_KEY: dict[str, tuple[int, ...]] = {
    "vigor": (1, 2, 5),
    "dedication": (3, 4, 7),
    "absorption": (6, 8, 9),
}
UWES_RANGE = (0, 6)
# The course survey's exhaustion scale: three items answered 1 (never) to 5 (always), scored as
# a mean like the exhaustion subscale of the Burnout Assessment Tool (BAT).
EXHAUSTION_KEY: dict[str, tuple[int, ...]] = {"exhaustion": (1, 2, 3)}
EXHAUSTION_RANGE = (1, 5)

# Smallest group whose survey results may be reported: fewer answers could identify a person.
MIN_GROUP_SIZE = 5

DEMANDS = ("workload", "emotional_demands")
RESOURCES = ("autonomy", "support", "feedback")

# Herzberg's two factors (motivators and hygiene factors), used to code interview segments.
HERZBERG = {
    "achievement": "motivator",
    "recognition": "motivator",
    "work itself": "motivator",
    "responsibility": "motivator",
    "advancement": "motivator",
    "company policy": "hygiene",
    "supervision": "hygiene",
    "relations with colleagues": "hygiene",
    "working conditions": "hygiene",
    "salary": "hygiene",
    "security": "hygiene",
}

# Night work under the Finnish Working Hours Act (872/2019): 23:00-06:00; daily rest 11 hours.
NIGHT_START_HOUR = 23
NIGHT_END_HOUR = 6
MIN_DAILY_REST_HOURS = 11.0


def _require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(missing)}")


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
    _require_columns(answers, columns, "scoring")
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
    _require_columns(survey, ["respondent", "unit", "team", *DEMANDS, *RESOURCES], "the survey")
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
    _require_columns(scores, [by, *columns], "the summary")
    grouped = scores.groupby(by)
    table = grouped[list(columns)].mean().round(decimals)
    table.insert(0, "respondents", grouped.size())
    return table[table["respondents"] >= min_size]


def suppressed_count(scores: pd.DataFrame, by: str, min_size: int = MIN_GROUP_SIZE) -> int:
    """How many groups were left out; a report says so, without naming them."""
    _require_columns(scores, [by], "counting groups")
    return int((scores.groupby(by).size() < min_size).sum())


# --- JD-R regression --------------------------------------------------------------------------


def ols(data: pd.DataFrame, outcome: str, predictors: Sequence[str]) -> pd.Series:
    """Ordinary least squares coefficients with an intercept (statsmodels is not needed).

    Returns a Series indexed ``intercept`` and the predictors, in that order.
    """
    _require_columns(data, [outcome, *predictors], "the regression")
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
    _require_columns(feedback, ["agent", "month", "rating"], "positive feedback")
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
    _require_columns(shifts, ["start", "end"], "the shift check")
    start = pd.to_datetime(shifts["start"])
    end = pd.to_datetime(shifts["end"])
    if (end <= start).any():
        raise ValueError("every shift must end after it starts")
    if ((end - start) > pd.Timedelta(hours=24)).any():
        raise ValueError("a shift longer than 24 hours is a data error")
    return start, end


def night_hours(shifts: pd.DataFrame) -> pd.Series:
    """Hours of each shift that fall between 23:00 and 06:00 (night work).

    A shift of at most 24 hours can touch the night that began the evening before its start
    day, the night of its start day and the night after; summing the three overlaps is exact.
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
    """Night hours per person and ISO week of the shift's start, e.g. ``("A01", "2017-W45")``."""
    _require_columns(shifts, [who], "the shift check")
    start, _ = _shift_times(shifts)
    iso = start.dt.isocalendar()
    week = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    return night_hours(shifts).groupby([shifts[who], week.rename("week")]).sum()


def rest_periods(shifts: pd.DataFrame, who: str = "agent") -> pd.DataFrame:
    """The rest between each shift and the same person's next shift, in hours."""
    _require_columns(shifts, [who], "the shift check")
    start, end = _shift_times(shifts)
    frame = pd.DataFrame({who: shifts[who], "start": start, "end": end}).sort_values([who, "start"])
    frame["next_start"] = frame.groupby(who)["start"].shift(-1)
    frame = frame.dropna(subset=["next_start"])
    frame["rest_hours"] = (frame["next_start"] - frame["end"]).dt.total_seconds() / 3600
    if (frame["rest_hours"] < 0).any():
        raise ValueError("two shifts of the same person overlap")
    return frame[[who, "end", "next_start", "rest_hours"]].reset_index(drop=True)


def short_rests(
    shifts: pd.DataFrame, who: str = "agent", min_hours: float = MIN_DAILY_REST_HOURS
) -> pd.DataFrame:
    """Rests shorter than ``min_hours`` between consecutive shifts: candidates for a re-plan.

    A simplification of the rule, which asks for 11 hours of rest within the 24 hours after each
    shift starts; for consecutive 8-hour shifts, like the desk's, the two readings agree.
    """
    rests = rest_periods(shifts, who)
    return rests[rests["rest_hours"] < min_hours].reset_index(drop=True)


def staffing_by_hour(starts: Sequence[float], shift_hours: float = 8.0) -> pd.Series:
    """Agents on duty in each hour of the day (0-23) for shifts starting at ``starts`` (hours)."""
    hours = np.arange(24)
    begin = np.asarray(starts, dtype=float)[:, None]
    on_duty = (hours + 0.5 > begin) & (hours + 0.5 < begin + shift_hours)
    return pd.Series(on_duty.sum(axis=0), index=pd.Index(hours, name="hour"), name="agents")


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
    _require_columns(
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
