"""Service desk contacts of the (fictional) Kallavesi IT by channel: selections and totals.

Shared by the module 01 dashboard and its tests, so the numbers a class sees are tested.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from dataclasses import dataclass

import pandas as pd

CHANNELS = ("phone", "email", "portal", "chat")
CHANNEL_LABELS = {"phone": "Phone", "email": "E-mail", "portal": "Portal", "chat": "Chat"}


def select_contacts(
    contacts: pd.DataFrame, channels: Iterable[str], years: Iterable[int]
) -> pd.DataFrame:
    """Monthly contacts of the chosen channels and years: one row per month, one column each.

    Columns keep the course's channel order whatever order the widgets report them in, so a
    channel keeps its colour and its place in the legend.
    """
    chosen = set(channels)
    months = contacts["month"]
    if not pd.api.types.is_datetime64_any_dtype(months):
        months = pd.to_datetime(months, format="%Y-%m")
    keep = contacts["channel"].isin(chosen) & months.dt.year.isin(list(years))
    table = (
        contacts[keep]
        .assign(month=months[keep])
        .pivot_table(index="month", columns="channel", values="contacts", aggfunc="sum")
    )
    order = [c for c in CHANNELS if c in chosen] + sorted(chosen - set(CHANNELS))
    table = table.reindex(columns=[c for c in order if c in table.columns]).fillna(0)
    table.columns.name = "channel"
    return table.astype("int64")


@dataclass(frozen=True)
class ContactSummary:
    """Totals of a selection; shares are of the selected channels only."""

    by_channel: dict[str, int]
    months: int

    @property
    def total(self) -> int:
        return sum(self.by_channel.values())

    def share(self, channel: str) -> float:
        return self.by_channel[channel] / self.total if self.total else 0.0


def summarise(table: pd.DataFrame) -> ContactSummary:
    by_channel = {str(c): int(table[c].sum()) for c in table.columns}
    return ContactSummary(by_channel=by_channel, months=len(table.index))


_CELL = "padding: 0.15em 1.2em 0.15em 0; line-height: 1.3"


def summary_html(summary: ContactSummary) -> str:
    """The summary as a small table for an ``ipywidgets.HTML``; readable from the back row."""
    if not summary.by_channel:
        return "<p><b>No channel selected.</b> Tick at least one channel.</p>"
    rows = "".join(
        f"<tr><td style='{_CELL}'>{html.escape(CHANNEL_LABELS.get(c, c))}</td>"
        f"<td style='{_CELL}; text-align:right'>{n:,}</td>"
        f"<td style='{_CELL}; text-align:right'>{summary.share(c):.1%}</td></tr>"
        for c, n in summary.by_channel.items()
    )
    return (
        f"<p class='total'><b>{summary.total:,} contacts</b> in {summary.months} months</p>"
        "<table class='shares' style='border-collapse:collapse'><thead><tr>"
        f"<th style='{_CELL}; text-align:left'>Channel</th>"
        f"<th style='{_CELL}; text-align:right'>Contacts</th>"
        f"<th style='{_CELL}; text-align:right'>Share</th>"
        f"</tr></thead><tbody>{rows}</tbody></table>"
    )


def period_label(years: Iterable[int]) -> str:
    """'2016', '2016–2017': a figure title must say which years it shows."""
    years = sorted(years)
    if not years:
        return "no year selected"
    return str(years[0]) if years[0] == years[-1] else f"{years[0]}–{years[-1]}"
