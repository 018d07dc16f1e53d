"""Service desk tools for module 03: the ticket table's vocabulary, benchmarks, column checks.

The learner's toolbox: priorities and channels in the course's order, the published benchmark
ranges with their sources, and checks that a table has the columns a computation needs. The
measures themselves (FCR, AHT, MTTR, SLA attainment, backlog, cost per ticket, availability)
are what module 03's exercises ask learners to compute, so they are not here: the classroom's
dashboard has its own tested copy in ``servicecourse.classroom.measures.service_desk``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

PRIORITIES = ("P1", "P2", "P3", "P4")
CHANNELS = ("phone", "email", "portal", "chat")
CHANNEL_LABELS = {"phone": "Phone", "email": "E-mail", "portal": "Portal", "chat": "Chat"}
HOUR = pd.Timedelta(hours=1)


@dataclass(frozen=True)
class Benchmark:
    """A published reference range: a way to read one's own figure, not a target."""

    measure: str
    value: float
    low: float | None
    high: float | None
    unit: str
    source: str
    url: str


BENCHMARKS = {
    "fcr_metricnet": Benchmark(
        "First contact resolution", 0.74, 0.41, 0.94, "share of tickets",
        "MetricNet, via ManageEngine's FCR calculator",
        "https://manageengine.com/za/products/service-desk/reports/first-call-resolution-fcr-calculator.html",
    ),
    "fcr_hdi_2015": Benchmark(
        "First contact resolution of incidents", 0.66, None, None, "share of tickets",
        "HDI 2015, via Freshservice", "http://blog.freshservice.com/it-service-desk-industry-metric-benchmarks/",
    ),
    "cost_per_ticket_2016": Benchmark(
        "Cost per ticket, North America 2016", 15.56, 2.93, 46.69, "US dollars",
        "BMC Blogs: service desk cost per ticket",
        "https://www.bmc.com/blogs/cost-per-ticket/",
    ),
    "phone_call_sdi": Benchmark(
        "Average phone call", 7.0, None, None, "minutes", "SDI, via ITSM.tools",
        "https://itsm.tools/the-pros-and-cons-of-it-service-desk-benchmarks/",
    ),
}  # fmt: skip


def require_columns(table: pd.DataFrame, columns, what: str = "tickets") -> None:
    """Fail early with the names of the missing columns, not with a KeyError deep inside."""
    if not isinstance(table, pd.DataFrame):
        raise ValueError(f"{what} should be a pandas DataFrame, not {type(table).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"{what} lacks the column(s) {', '.join(missing)}")


def as_times(tickets: pd.DataFrame, column: str) -> pd.Series:
    """A column as date-times (text such as ``"2016-10-03 08:00"`` is converted)."""
    require_columns(tickets, [column], what="the table")
    values = tickets[column]
    if not pd.api.types.is_datetime64_any_dtype(values):
        try:
            values = pd.to_datetime(values)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{column} should hold date-times: {error}") from error
    return values
