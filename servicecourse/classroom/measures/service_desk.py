"""Service desk measures of module 03, teacher-side: the dashboard's calculations.

First contact resolution, handle time, MTTR, SLA attainment, backlog, cost per ticket,
availability, MTBF and problem candidates of the (fictional) Kallavesi IT tickets, costs and
outages. These are the quantities module 03's exercises ask learners to compute, so they live
here, outside the learner's toolbox: the dashboard imports them, lessons never do, and hidden
tests compute their expected values inline. Tested in ``tests/test_service_desk.py``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from ...service_desk import HOUR, PRIORITIES, require_columns
from ...service_desk import as_times as _as_times


def _times(tickets: pd.DataFrame, column: str) -> pd.Series:
    return _as_times(tickets, column)


def resolution_hours(tickets: pd.DataFrame) -> pd.Series:
    """Elapsed hours from opening to resolution; NaN for tickets still open."""
    require_columns(tickets, ["opened_at", "resolved_at"])
    return (_times(tickets, "resolved_at") - _times(tickets, "opened_at")) / HOUR


def resolved(tickets: pd.DataFrame) -> pd.DataFrame:
    require_columns(tickets, ["resolved_at"])
    return tickets[tickets["resolved_at"].notna()]


def first_contact_resolution(tickets: pd.DataFrame) -> float:
    """Share of resolved tickets closed in one contact, never escalated nor reopened.

    Only resolved tickets count: an open ticket may still be escalated or reopened.
    """
    require_columns(tickets, ["resolved_at", "contacts", "escalated", "reopened"])
    done = resolved(tickets)
    if done.empty:
        return float("nan")
    first = (
        (done["contacts"] == 1) & ~done["escalated"].astype(bool) & ~done["reopened"].astype(bool)
    )
    return float(first.mean())


def average_handle_time(tickets: pd.DataFrame, unit: str = "min") -> float:
    """Mean of talk + hold + after-call work over phone tickets, in minutes (or seconds).

    Handle time is the agent's time on a call, so it is defined for phone tickets only.
    """
    require_columns(tickets, ["channel", "talk_s", "hold_s", "acw_s"])
    if unit not in {"min", "s"}:
        raise ValueError(f"unit should be 'min' or 's', not {unit!r}")
    calls = tickets[tickets["channel"] == "phone"]
    if calls.empty:
        return float("nan")
    seconds = (calls["talk_s"] + calls["hold_s"] + calls["acw_s"]).astype(float).mean()
    return float(seconds / 60 if unit == "min" else seconds)


def mttr_by_priority(tickets: pd.DataFrame, ticket_type: str | None = "incident") -> pd.Series:
    """Mean hours to resolve, by priority (resolved tickets only), in the order P1 to P4.

    Incidents only by default: restoring a service and fulfilling a request are different
    things, and requests wait for orders and approvals. ``ticket_type=None`` takes every ticket.
    """
    require_columns(tickets, ["opened_at", "resolved_at", "priority"])
    if ticket_type is not None:
        require_columns(tickets, ["type"])
        tickets = tickets[tickets["type"] == ticket_type]
    hours = resolution_hours(tickets)
    means = hours[hours.notna()].groupby(tickets["priority"]).mean()
    order = [p for p in PRIORITIES if p in means.index] + sorted(set(means.index) - set(PRIORITIES))
    means = means.reindex(order)
    means.index.name, means.name = "priority", "mttr_h"
    return means


def within_sla(tickets: pd.DataFrame) -> pd.Series:
    """True where a resolved ticket met its target; NaN-free, open tickets left out."""
    require_columns(tickets, ["opened_at", "resolved_at", "sla_target_h"])
    hours = resolution_hours(tickets)
    done = hours.notna()
    return hours[done] <= tickets.loc[done, "sla_target_h"]


def sla_attainment(tickets: pd.DataFrame) -> float:
    """Share of resolved tickets resolved within their priority's target (elapsed hours)."""
    met = within_sla(tickets)
    return float(met.mean()) if len(met) else float("nan")


def backlog(tickets: pd.DataFrame, cutoff) -> int:
    """Tickets open at the cutoff: opened by then and not resolved by then."""
    require_columns(tickets, ["opened_at", "resolved_at"])
    try:
        cut = pd.Timestamp(cutoff)
    except (ValueError, TypeError) as error:
        raise ValueError(f"cutoff should be a date-time, not {cutoff!r}") from error
    opened, closed = _times(tickets, "opened_at"), _times(tickets, "resolved_at")
    return int(((opened <= cut) & (closed.isna() | (closed > cut))).sum())


OPEX_COLUMNS = ("agent_cost", "indirect", "tech", "facilities", "training")


def cost_per_ticket(opex: pd.DataFrame) -> pd.Series:
    """Monthly operating expense divided by the month's tickets (HDI's definition), by month."""
    require_columns(opex, ["month", *OPEX_COLUMNS, "tickets"], what="opex")
    if (opex["tickets"] <= 0).any():
        raise ValueError("every month needs at least one ticket to divide by")
    cost = opex[list(OPEX_COLUMNS)].sum(axis=1) / opex["tickets"]
    cost.index = opex["month"]
    cost.name = "cost_per_ticket"
    return cost


def availability(outages: pd.DataFrame, start, end, planned: bool = False) -> pd.DataFrame:
    """Availability %, MTTR and MTBF (hours) per service over [start, end), 24x7.

    Unplanned outages only, unless ``planned`` is true: agreed maintenance windows are not
    part of the agreed service time. Outages are clipped to the period.
    """
    require_columns(outages, ["service", "start", "end", "planned"], what="outages")
    begin, finish = pd.Timestamp(start), pd.Timestamp(end)
    if finish <= begin:
        raise ValueError("the period must end after it starts")
    agreed_h = (finish - begin) / HOUR
    chosen = outages if planned else outages[~outages["planned"].astype(bool)]
    s, e = _times(chosen, "start").clip(lower=begin), _times(chosen, "end").clip(upper=finish)
    inside = e > s
    down = ((e - s)[inside] / HOUR).groupby(chosen.loc[inside, "service"])
    stats = pd.DataFrame({"outages": down.size(), "downtime_h": down.sum()})
    stats = stats.reindex(sorted(outages["service"].unique()), fill_value=0)
    stats["availability_pct"] = 100 * (agreed_h - stats["downtime_h"]) / agreed_h
    stats["mttr_h"] = stats["downtime_h"] / stats["outages"].where(stats["outages"] > 0)
    stats["mtbf_h"] = (agreed_h - stats["downtime_h"]) / stats["outages"].where(
        stats["outages"] > 0
    )
    stats.index.name = "service"
    return stats


# --- the dashboard ------------------------------------------------------------------------

ALL = "all"


def select_tickets(tickets: pd.DataFrame, channel=ALL, priority=ALL, month=ALL) -> pd.DataFrame:
    """The tickets of one channel, priority and month (``"all"`` keeps every value)."""
    require_columns(tickets, ["opened_at", "channel", "priority"])
    keep = pd.Series(True, index=tickets.index)
    if channel != ALL:
        keep &= tickets["channel"] == channel
    if priority != ALL:
        keep &= tickets["priority"] == priority
    if month != ALL:
        keep &= _times(tickets, "opened_at").dt.strftime("%Y-%m") == month
    return tickets[keep]


def weekly_measures(tickets: pd.DataFrame) -> pd.DataFrame:
    """FCR and SLA attainment of the tickets opened each week (weeks start on Monday)."""
    require_columns(
        tickets, ["opened_at", "resolved_at", "contacts", "escalated", "reopened", "sla_target_h"]
    )
    done = resolved(tickets)
    week = _times(done, "opened_at").dt.to_period("W-SUN").dt.start_time
    first = (
        (done["contacts"] == 1) & ~done["escalated"].astype(bool) & ~done["reopened"].astype(bool)
    )
    met = within_sla(done)
    table = pd.DataFrame({"tickets": first.groupby(week).size(), "fcr": first.groupby(week).mean()})
    table["sla"] = met.groupby(week).mean()
    table.index.name = "week"
    return table


@dataclass(frozen=True)
class Summary:
    tickets: int
    fcr: float
    aht_min: float
    sla: float
    open_at_end: int


def summarise(tickets: pd.DataFrame, end) -> Summary:
    return Summary(
        tickets=len(tickets),
        fcr=first_contact_resolution(tickets),
        aht_min=average_handle_time(tickets),
        sla=sla_attainment(tickets),
        open_at_end=backlog(tickets, end),
    )


def _fmt(value: float, spec: str) -> str:
    return "–" if pd.isna(value) else format(value, spec)


def summary_html(summary: Summary) -> str:
    """The measures of a selection as a small table for an ``ipywidgets.HTML``."""
    if summary.tickets == 0:
        return "<p><b>No tickets</b> match this selection.</p>"
    rows = [
        ("Tickets", f"{summary.tickets:,}"),
        ("First contact resolution", _fmt(summary.fcr, ".1%")),
        (
            "Average handle time (phone)",
            "no phone tickets" if pd.isna(summary.aht_min) else f"{summary.aht_min:.1f} min",
        ),
        ("Resolved within SLA target", _fmt(summary.sla, ".1%")),
        ("Still open at the end of the period", f"{summary.open_at_end:,}"),
    ]
    cell = "padding: 0.15em 1.2em 0.15em 0"
    body = "".join(
        f"<tr><td style='{cell}'>{html.escape(k)}</td><td style='{cell}; text-align:right'>"
        f"<b>{html.escape(v)}</b></td></tr>"
        for k, v in rows
    )
    return f"<table class='measures' style='border-collapse:collapse'>{body}</table>"


def problem_candidates(outages: pd.DataFrame, days: int = 30, at_least: int = 3) -> pd.DataFrame:
    """Services with ``at_least`` unplanned outages that start within ``days`` of each other.

    Recurring incidents on the same service are a trigger for problem identification: one row
    per service, with the number of outages in its busiest window and when that window starts.
    """
    require_columns(outages, ["service", "start", "planned"], what="outages")
    chosen = outages[~outages["planned"].astype(bool)]
    starts = _times(chosen, "start")
    rows = []
    for service, times in starts.groupby(chosen["service"]):
        times = times.sort_values().reset_index(drop=True)
        best, first = 0, None
        for i, begin in enumerate(times):
            n = int((times[i:] < begin + pd.Timedelta(days=days)).sum())
            if n > best:
                best, first = n, begin
        if best >= at_least:
            rows.append((service, best, first))
    return pd.DataFrame(rows, columns=["service", "outages", "window_start"]).set_index("service")
