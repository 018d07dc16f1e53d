"""Generators of module 03's synthetic data about the fictional company Kallavesi IT.

The tickets of the last quarter of 2016 (when the original training ran) agree with module 01's
monthly contacts: every contact counted there opened one ticket here, in the same month and
channel. The costs use the same monthly contact totals as their ticket counts.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .gen_intro import kallavesi_desk_contacts
from .generators import Generator

CONTACTS_SEED = 2016  # the seed of module 01's contacts, whose totals the tickets follow
EXTRACTED_AT = pd.Timestamp("2016-12-31 23:59")

# --- tickets ------------------------------------------------------------------------------

# Elapsed-hour resolution targets of the (fictional) SLA, by priority.
SLA_TARGET_H = {"P1": 4, "P2": 8, "P3": 24, "P4": 72}
# Median hours to resolve a ticket that needed more than one contact, by priority.
_MEDIAN_H = {"P1": 2.0, "P2": 3.5, "P3": 7.0, "P4": 20.0}
# Share of requests (as opposed to incidents), and of tickets solved on first contact.
_REQUEST_SHARE = {"phone": 0.30, "email": 0.40, "portal": 0.65}
_FCR_CHANCE = {"phone": 0.80, "email": 0.62, "portal": 0.56}
# Hour-of-day profile: phone follows the two shifts (7-15, 15-23: few calls late in the evening),
# e-mail and the portal also
# receive tickets in the evening and at night.
_DAY_SHIFT = np.array([0, 0, 0, 0, 0, 0, 0.3, 2.0, 4.0, 4.5, 4.2, 3.2, 3.8, 4.0, 3.5, 2.6])
_HOURS = {
    "phone": np.r_[_DAY_SHIFT, [1.4, 0.9, 0.7, 0.5, 0.3, 0.1, 0.0, 0.0]],
    "email": np.r_[
        [0.2] * 6,
        [0.6, 2.0, 3.6, 4.0, 3.8, 3.0, 3.4, 3.6, 3.2, 2.4],
        [1.4] * 4,
        [0.8, 0.6, 0.4, 0.3],
    ],
    "portal": np.r_[
        [0.3] * 6,
        [0.8, 2.2, 3.4, 3.8, 3.6, 3.0, 3.2, 3.4, 3.0, 2.4],
        [1.6] * 4,
        [1.0, 0.8, 0.6, 0.4],
    ],
}
# Services the tickets are about (ids of the catalogue), for incidents and requests.
_INCIDENT_SERVICES = {
    "accounts": 0.16,
    "devices": 0.22,
    "email": 0.16,
    "network": 0.10,
    "print": 0.10,
    "erp": 0.08,
    "hosting": 0.06,
    "backup": 0.03,
    "intranet": 0.05,
    "remote": 0.04,
}
_REQUEST_SERVICES = {
    "accounts": 0.38,
    "devices": 0.24,
    "software": 0.16,
    "email": 0.08,
    "print": 0.06,
    "remote": 0.05,
    "intranet": 0.03,
}
_INCIDENT_PRIORITY = {"P1": 0.02, "P2": 0.10, "P3": 0.58, "P4": 0.30}
_REQUEST_PRIORITY = {"P1": 0.0, "P2": 0.0, "P3": 0.40, "P4": 0.60}
# Finnish public holidays in the quarter, and the Christmas week's low.
_HOLIDAYS = {"2016-12-06", "2016-12-24", "2016-12-25", "2016-12-26"}


def _day_weights(days: pd.DatetimeIndex) -> np.ndarray:
    weekday = days.dayofweek.to_numpy()
    weights = np.where(weekday < 5, 1.0, np.where(weekday == 5, 0.12, 0.08))
    weights[days.strftime("%Y-%m-%d").isin(_HOLIDAYS)] = 0.10
    weights[(days >= "2016-12-27") & (days <= "2016-12-30")] *= 0.7
    return weights / weights.sum()


def _pick(rng: np.random.Generator, shares: dict[str, float], n: int) -> np.ndarray:
    p = np.array(list(shares.values()))
    return rng.choice(np.array(list(shares)), size=n, p=p / p.sum())


def kallavesi_tickets(seed: int) -> pd.DataFrame:
    """One row per ticket of the (fictional) Kallavesi IT service desk, October-December 2016."""
    rng = np.random.default_rng(seed)
    contacts = kallavesi_desk_contacts(CONTACTS_SEED)
    quarter = contacts[contacts["month"].between("2016-10", "2016-12") & (contacts.contacts > 0)]
    parts = []
    for month, channel, n in quarter.itertuples(index=False):
        days = pd.date_range(f"{month}-01", periods=pd.Period(month).days_in_month, freq="D")
        day = rng.choice(days.to_numpy(), size=n, p=_day_weights(days))
        hours = _HOURS[channel] / _HOURS[channel].sum()
        offset = rng.choice(24, size=n, p=hours) * 60 + rng.integers(0, 60, size=n)
        opened = pd.to_datetime(day) + pd.to_timedelta(offset, unit="min")
        parts.append(pd.DataFrame({"opened_at": opened, "channel": channel}))
    t = pd.concat(parts, ignore_index=True).sort_values("opened_at", kind="stable")
    t = t.reset_index(drop=True)
    n = len(t)
    channel = t["channel"].to_numpy()

    is_request = rng.random(n) < pd.Series(channel).map(_REQUEST_SHARE).to_numpy()
    t["type"] = np.where(is_request, "request", "incident")
    t["service"] = np.where(
        is_request, _pick(rng, _REQUEST_SERVICES, n), _pick(rng, _INCIDENT_SERVICES, n)
    )
    t["priority"] = np.where(
        is_request, _pick(rng, _REQUEST_PRIORITY, n), _pick(rng, _INCIDENT_PRIORITY, n)
    )
    priority = t["priority"].to_numpy()
    # P1 and P2 incidents, hosting and backup go to second line more often.
    first = rng.random(n) < pd.Series(channel).map(_FCR_CHANCE).to_numpy()
    first &= ~np.isin(priority, ["P1"]) & ~(np.isin(priority, ["P2"]) & (rng.random(n) < 0.5))
    first &= ~(np.isin(t["service"], ["hosting", "backup", "erp"]) & (rng.random(n) < 0.7))
    escalated = ~first & (rng.random(n) < 0.62)
    # Some first-contact fixes do not hold: the user reopens the ticket (one contact, not
    # escalated, but not first-contact resolved); tickets that needed more work reopen more.
    reopened = rng.random(n) < np.where(first, 0.05, 0.09)
    extra_contacts = rng.geometric(0.55, size=n)  # at least one more contact
    t["contacts"] = np.where(
        first, 1, 1 + np.where(escalated & (rng.random(n) < 0.3), 0, extra_contacts)
    )
    t["escalated"] = escalated
    t["reopened"] = reopened

    # Phone handling times (seconds): talk, hold, after-call work; about seven minutes in all.
    phone = channel == "phone"
    talk = np.round(rng.lognormal(np.log(290), 0.45, size=n))
    hold = np.where(rng.random(n) < 0.35, np.round(rng.exponential(70, size=n)), 0)
    acw = np.round(rng.lognormal(np.log(80), 0.5, size=n))
    t["talk_s"] = pd.array(np.where(phone, talk, np.nan), dtype="Int64")
    t["hold_s"] = pd.array(np.where(phone, hold, np.nan), dtype="Int64")
    t["acw_s"] = pd.array(np.where(phone, acw, np.nan), dtype="Int64")

    # Resolution: first-contact tickets close within the contact (phone, chat) or within
    # a few hours (e-mail, portal queues); the others take a priority-dependent log-normal time.
    median = pd.Series(priority).map(_MEDIAN_H).to_numpy()
    slow = rng.lognormal(np.log(median), 1.0 + 0.3 * reopened)
    quick = np.where(
        phone,
        (talk + hold + acw) / 3600 + rng.exponential(0.05, size=n),
        rng.lognormal(np.log(1.6), 0.8, size=n),
    )
    # Service requests wait for fulfilment (orders, approvals, installations): slower than
    # incidents of the same priority. A few P3 and P4 tickets wait weeks for a supplier or a part.
    slow = slow * np.where(is_request, 2.0, 1.0)
    waiting = ~first & np.isin(priority, ["P3", "P4"]) & (rng.random(n) < 0.03)
    slow = slow + np.where(waiting, rng.uniform(7 * 24, 45 * 24, size=n), 0.0)
    # A reopened first-contact ticket is resolved again only after more work.
    hours = np.where(first & ~reopened, quick, slow)
    resolved = t["opened_at"] + pd.to_timedelta(np.round(hours * 60), unit="min")
    t["resolved_at"] = resolved.where(resolved <= EXTRACTED_AT)
    t["sla_target_h"] = pd.Series(priority).map(SLA_TARGET_H).to_numpy()
    t.insert(0, "id", [f"KIT-{i:05d}" for i in range(16001, 16001 + n)])
    columns = [
        "id",
        "opened_at",
        "resolved_at",
        "priority",
        "channel",
        "type",
        "service",
        "contacts",
        "escalated",
        "reopened",
        "talk_s",
        "hold_s",
        "acw_s",
        "sla_target_h",
    ]
    t = t[columns]
    t["opened_at"] = t["opened_at"].dt.strftime("%Y-%m-%d %H:%M")
    t["resolved_at"] = t["resolved_at"].dt.strftime("%Y-%m-%d %H:%M")
    return t


# --- operating expense ------------------------------------------------------------------------


def kallavesi_desk_opex(seed: int) -> pd.DataFrame:
    """Monthly operating expense of the (fictional) service desk in euros, 2016-2017."""
    rng = np.random.default_rng(seed)
    contacts = kallavesi_desk_contacts(CONTACTS_SEED)
    tickets = contacts.groupby("month", sort=True)["contacts"].sum()
    rows = []
    for i, (month, n) in enumerate(tickets.items()):
        raise_ = 1.0 if month < "2017-04" else 1.006  # the collective agreement's pay rise
        # 25 agents and their supervisors; holiday pay (lomaraha) is paid in June.
        agent = 25 * 2650 * 1.24 * raise_ * (1.5 if month.endswith("-06") else 1.0)
        rows.append(
            {
                "month": month,
                "agent_cost": round(agent * rng.normal(1, 0.015)),
                "indirect": round(14800 * rng.normal(1, 0.03)),
                "tech": round((9200 + 80 * i) * rng.normal(1, 0.04)),
                "facilities": round(5400 * rng.normal(1, 0.01)),
                "training": round(
                    rng.choice([600, 1200, 4800], p=[0.5, 0.3, 0.2]) * rng.normal(1, 0.1)
                ),
                "tickets": int(n),
            }
        )
    return pd.DataFrame(rows)


# --- outages ---------------------------------------------------------------------------------

_OUTAGE_RATE = {  # unplanned outages a month, and median minutes to restore
    "hosting": (1.2, 70),
    "backup": (0.8, 150),
    "email": (1.0, 45),
    "network": (1.5, 35),
    "erp": (0.7, 95),
    "remote": (0.9, 40),
    "intranet": (0.6, 60),
}


# The cooling failures of ``yun_server_room_2016_labels`` (UTC there), in Finnish local time.
_COOLING_FAILURES = (
    ("2016-10-11 14:20", "2016-10-11 17:50"),  # 11:20-14:50 UTC, summer time (UTC+3)
    ("2016-12-20 02:50", "2016-12-20 05:30"),  # 00:50-03:30 UTC, winter time (UTC+2)
)


def kallavesi_outages(seed: int) -> pd.DataFrame:
    """Outages of the (fictional) Kallavesi IT services, October-December 2016."""
    rng = np.random.default_rng(seed)
    rows = []
    for month in pd.period_range("2016-10", "2016-12", freq="M"):
        start_of = month.start_time
        minutes_in_month = month.days_in_month * 24 * 60
        for service, (rate, median) in _OUTAGE_RATE.items():
            # At least one unplanned outage a month, so every service has an MTTR to compute.
            for _ in range(1 + rng.poisson(rate - 0.5)):
                length = int(max(5, round(rng.lognormal(np.log(median), 0.7))))
                begin = int(rng.integers(0, minutes_in_month - length - 1))
                start = start_of + pd.Timedelta(minutes=begin)
                rows.append((service, start, start + pd.Timedelta(minutes=length), False))
            # Planned maintenance: the second Tuesday evening, 22:00, announced in advance.
            tuesdays = pd.date_range(start_of, month.end_time, freq="W-TUE")
            start = tuesdays[1] + pd.Timedelta(hours=22)
            length = int(rng.choice([60, 90, 120]))
            rows.append((service, start, start + pd.Timedelta(minutes=length), True))
    # The two P1 cooling failures of the server room (module 04's sensor log and its labels,
    # local time): the hosting service is down from the failure until the room is back to normal.
    for start, end in _COOLING_FAILURES:
        rows.append(("hosting", pd.Timestamp(start), pd.Timestamp(end), False))
    out = pd.DataFrame(rows, columns=["service", "start", "end", "planned"])
    out = out.sort_values(["start", "service"]).reset_index(drop=True)
    out["start"] = out["start"].dt.strftime("%Y-%m-%d %H:%M")
    out["end"] = out["end"].dt.strftime("%Y-%m-%d %H:%M")
    return out


# --- the service catalogue -------------------------------------------------------------------

_CATALOGUE = [
    # id, name, category, service manager, customers, hours, availability %, P1 target h,
    # depends on, status, description
    (
        "support",
        "End-user support",
        "support",
        "Henna Kauppinen",
        "all customers",
        "Mon-Fri 7-23, Sat-Sun 10-18; nights on call for P1",
        99.0,
        4,
        "",
        "live",
        "Service desk on phone, e-mail, portal and chat in two shifts: days 7-15, evenings 15-23 "
        "with a few agents, weekends 10-18; at night a service desk agent on call for P1 "
        "incidents. "
        "Walk-in help at five service points.",
    ),
    (
        "accounts",
        "User accounts and access",
        "workplace",
        "Jari Hiltunen",
        "all customers",
        "Mon-Fri 7-23, Sat-Sun 10-18",
        99.5,
        4,
        "hosting;network",
        "live",
        "Creating, changing and removing user accounts and access rights.",
    ),
    (
        "devices",
        "Workstations and mobile devices",
        "workplace",
        "Jari Hiltunen",
        "all customers",
        "Mon-Fri 7-17",
        99.0,
        8,
        "support;accounts",
        "live",
        "Laptops, desktops and phones: delivery, installation, repair and recycling.",
    ),
    (
        "software",
        "Software installation",
        "workplace",
        "Jari Hiltunen",
        "all customers",
        "Mon-Fri 7-17",
        None,
        8,
        "devices",
        "live",
        "Installing licensed applications from the software list on request.",
    ),
    (
        "email",
        "E-mail and calendar",
        "communication",
        "Mikko Räsänen",
        "all customers",
        "24x7",
        99.7,
        4,
        "hosting;accounts;network",
        "live",
        "Mailboxes, shared calendars and distribution lists.",
    ),
    (
        "print",
        "Printing",
        "workplace",
        "",
        "SME customers",
        "Mon-Fri 7-17",
        98.0,
        8,
        "network;accounts",
        "live",
        "Managed multifunction printers, toner and repairs.",
    ),
    (
        "network",
        "Office network and Wi-Fi",
        "infrastructure",
        "Timo Savolainen",
        "all customers",
        "24x7",
        99.8,
        4,
        "",
        "live",
        "Local network, Wi-Fi and firewall at customer offices.",
    ),
    (
        "remote",
        "Remote access (VPN)",
        "infrastructure",
        "Timo Savolainen",
        "all customers",
        "24x7",
        99.5,
        4,
        "network;accounts;firewall",
        "live",
        "Secure remote connection to the customer's network.",
    ),
    (
        "hosting",
        "Server hosting",
        "infrastructure",
        "Sari Miettinen",
        "public sector",
        "24x7",
        99.9,
        2,
        "network",
        "live",
        "Virtual and physical servers in Kallavesi IT's own server room in Kuopio.",
    ),
    (
        "backup",
        "Backup and restore",
        "infrastructure",
        "Sari Miettinen",
        "all customers",
        "24x7",
        99.5,
        8,
        "hosting;network",
        "live",
        "Nightly backups of servers and shared folders; restores on request.",
    ),
    (
        "erp",
        "ERP application support",
        "business",
        "",
        "SME customers",
        "Mon-Fri 8-16",
        99.0,
        4,
        "hosting;accounts",
        "live",
        "First and second line support of the customers' ERP system.",
    ),
    (
        "intranet",
        "Intranet and document sharing",
        "communication",
        "Mikko Räsänen",
        "public sector",
        "24x7",
        99.5,
        8,
        "hosting;accounts",
        "live",
        "Intranet sites and document libraries.",
    ),
    (
        "video",
        "Video bridge",
        "communication",
        "Mikko Räsänen",
        "all customers",
        "24x7",
        99.5,
        4,
        "hosting;network;accounts",
        "pilot",
        "Multi-party video meetings from meeting rooms, laptops and phones; launch 2017.",
    ),
    (
        "monitoring",
        "Infrastructure monitoring",
        "infrastructure",
        "Sari Miettinen",
        "public sector",
        "24x7",
        99.9,
        2,
        "hosting;network",
        "live",
        "Round-the-clock monitoring of customer servers and networks with alerting.",
    ),
    (
        "fax",
        "Fax gateway",
        "communication",
        "Mikko Räsänen",
        "public sector",
        "Mon-Fri 7-17",
        98.0,
        8,
        "network",
        "retiring",
        "Fax to e-mail gateway; retired at the end of 2017.",
    ),
]


def kallavesi_service_catalogue(seed: int) -> pd.DataFrame:
    """The (fictional) Kallavesi IT service catalogue in January 2017, gaps included.

    Written by hand, not drawn at random: the gaps (no service manager, no availability
    target, a dependency on a service that is not in the catalogue) are there to be found. The
    seed is unused and kept so that every generator has the same signature.
    """
    del seed
    columns = [
        "service_id",
        "name",
        "category",
        "service_manager",
        "customers",
        "service_hours",
        "availability_target_pct",
        "p1_resolution_h",
        "depends_on",
        "status",
        "description",
    ]
    return pd.DataFrame(_CATALOGUE, columns=columns)


# --- the ISO/IEC 20000 self-assessment ----------------------------------------------------------

# Item, subclause, process, a short paraphrase of what an auditor asks (not the standard's
# words), the evidence an auditor would look at, and the weight (3 = a gap blocks certification,
# 1 = an improvement).
_CHECKLIST = [
    (
        "INC-01",
        "8.6.1",
        "incident",
        "Incidents are recorded and classified",
        "ticket records with category and priority",
        3,
    ),
    (
        "INC-02",
        "8.6.1",
        "incident",
        "Priorities consider impact and urgency",
        "priority matrix; sample of tickets",
        2,
    ),
    (
        "INC-03",
        "8.6.1",
        "incident",
        "Incidents are escalated when targets are at risk",
        "escalation rules; escalated tickets",
        2,
    ),
    (
        "INC-04",
        "8.6.1",
        "incident",
        "Major incidents have a documented procedure",
        "procedure; a major incident report",
        3,
    ),
    (
        "INC-05",
        "8.6.1",
        "incident",
        "Customers are kept informed of progress",
        "notifications in tickets",
        1,
    ),
    (
        "REQ-01",
        "8.6.2",
        "request",
        "Service requests are recorded and classified",
        "request records",
        3,
    ),
    (
        "REQ-02",
        "8.6.2",
        "request",
        "Request fulfilment follows defined procedures",
        "request models; work instructions",
        2,
    ),
    (
        "REQ-03",
        "8.6.2",
        "request",
        "Requests are fulfilled within agreed times",
        "SLA report on requests",
        2,
    ),
    (
        "PRB-01",
        "8.6.3",
        "problem",
        "Problems are identified from incident trends",
        "trend analysis; problem records",
        3,
    ),
    (
        "PRB-02",
        "8.6.3",
        "problem",
        "Root causes are analysed and recorded",
        "root cause analyses",
        2,
    ),
    (
        "PRB-03",
        "8.6.3",
        "problem",
        "Known errors and workarounds are available to the desk",
        "known error records; knowledge base",
        2,
    ),
    (
        "PRB-04",
        "8.6.3",
        "problem",
        "Effectiveness of problem resolution is reviewed",
        "review minutes",
        1,
    ),
    (
        "SLM-01",
        "8.3.3",
        "service level",
        "Services have agreed, documented targets",
        "signed SLAs",
        3,
    ),
    (
        "SLM-02",
        "8.3.3",
        "service level",
        "Performance against targets is reported",
        "monthly SLA reports",
        2,
    ),
    (
        "SLM-03",
        "8.3.3",
        "service level",
        "Service levels are reviewed with customers",
        "review meeting minutes",
        2,
    ),
    (
        "CAT-01",
        "8.2.4",
        "catalogue",
        "A catalogue of services is maintained",
        "the service catalogue",
        3,
    ),
    (
        "CAT-02",
        "8.2.4",
        "catalogue",
        "Catalogue entries name dependencies between services",
        "dependency fields in the catalogue",
        2,
    ),
    (
        "CAT-03",
        "8.2.4",
        "catalogue",
        "Each service has a named responsible manager",
        "catalogue owner fields",
        2,
    ),
    # Two clauses outside clause 8 that the desk's work depends on: knowledge (7.6) and
    # service reporting (9.4).
    (
        "KNW-01",
        "7.6",
        "knowledge",
        "The knowledge needed to deliver the services is kept, shared and kept up to date",
        "knowledge articles with owners and review dates",
        2,
    ),
    (
        "RPT-01",
        "9.4",
        "service reporting",
        "Service reports on performance and trends go to customers and management on schedule",
        "the reporting schedule; last quarter's service reports and who received them",
        2,
    ),
]
# Kallavesi IT's own scores from its first self-assessment workshop (0 = not in place,
# 1 = done ad hoc, 2 = defined and mostly followed, 3 = defined, followed and evidenced).
_SELF_SCORES = [3, 2, 2, 1, 2, 3, 2, 1, 0, 1, 1, 0, 2, 2, 1, 2, 1, 1, 1, 2]


def kallavesi_iso20000_checklist(seed: int) -> pd.DataFrame:
    """An auditor's checklist (five processes, knowledge and service reporting), self-assessed.

    Written by hand; the seed is unused and kept so that every generator has one signature.
    """
    del seed
    columns = ["item_id", "clause", "process", "requirement", "evidence", "weight"]
    table = pd.DataFrame(_CHECKLIST, columns=columns)
    table["self_score"] = _SELF_SCORES
    return table


GENERATORS: dict[str, Generator] = {
    "kallavesi_tickets": Generator(
        kallavesi_tickets, seed=2003, date_columns=("opened_at", "resolved_at")
    ),
    "kallavesi_desk_opex": Generator(kallavesi_desk_opex, seed=2031),
    "kallavesi_outages": Generator(kallavesi_outages, seed=2032, date_columns=("start", "end")),
    "kallavesi_service_catalogue": Generator(kallavesi_service_catalogue, seed=2033),
    "kallavesi_iso20000_checklist": Generator(kallavesi_iso20000_checklist, seed=2034),
}
