"""Generators of module 02's synthetic data about the fictional company Kallavesi IT.

- ``kallavesi_changes``: the change log of October–December 2016, the quarter of module 03's
  tickets. Failed changes that "caused" incidents are placed shortly before real P1/P2
  incidents of the committed ``kallavesi_tickets`` on the same service, so that joining the
  two datasets finds them; other failed changes are placed where no such incident follows.
  A few failed changes sit next to incidents that a careless join would count (an incident
  just *before* the change, a low-priority one, one on another service, one outside the
  window), so that the lesson's rule matters.
- ``kallavesi_change_readiness``: an ADKAR-style readiness check of the service desk and the
  service points before a new service desk tool (autumn 2017), one row per person, with the
  teams and head counts of module 07's survey and module 03's team KPIs.
- ``kallavesi_tool_forces``: the force-field analysis of the same tool change, written by hand.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .generators import Generator

# The rule of the lessons: a failed change is linked to an incident when a P1 or P2 incident
# on the same service was opened within this many hours after the change was implemented.
LINK_WINDOW_H = 8
LINK_PRIORITIES = ("P1", "P2")
QUARTER_START = pd.Timestamp("2016-10-01")
QUARTER_END = pd.Timestamp("2016-12-31 23:59")
LAST_WINDOW = pd.Timestamp("2016-12-22")  # the last maintenance window before Christmas

# --- changes ------------------------------------------------------------------------------

_TYPE_SHARE = {"standard": 0.52, "normal": 0.40, "emergency": 0.08}
# Services the changes touch (ids of the catalogue) and how often.
_SERVICES = {
    "accounts": 0.14,
    "devices": 0.14,
    "software": 0.10,
    "email": 0.09,
    "network": 0.11,
    "hosting": 0.12,
    "backup": 0.06,
    "erp": 0.07,
    "intranet": 0.05,
    "remote": 0.05,
    "print": 0.04,
    "monitoring": 0.03,
}
# Services where a failed change is placed (the ones with their own infrastructure).
_FAILURE_SERVICES = ["hosting", "network", "email", "erp", "backup", "remote", "intranet"]
_SUMMARIES = {
    "accounts": ["Add security group for a customer's new department",
                 "Change password policy of the customer directory",
                 "Renew the directory's signing certificate"],
    "devices": ["Roll out the monthly workstation update batch",
                "Replace the laptop image with the new build",
                "Enrol new phones in device management"],
    "software": ["Add an application to the software list",
                 "Update the office suite on managed workstations",
                 "Package a new version of the accounting client"],
    "email": ["Apply the mail server's cumulative update",
              "Change the spam filter's rules",
              "Move shared mailboxes to a new database"],
    "network": ["Update firewall rules for a customer office",
                "Replace a Wi-Fi access point controller",
                "Upgrade switch firmware at a customer site"],
    "hosting": ["Patch the virtualisation hosts",
                "Add memory to a customer's database server",
                "Migrate virtual servers to the new storage"],
    "backup": ["Change the nightly backup schedule",
               "Upgrade the backup software",
               "Add a customer's file server to the backups"],
    "erp": ["Install the ERP vendor's quarterly patch",
            "Change the ERP's invoice template",
            "Add a company code to a customer's ERP"],
    "intranet": ["Update the intranet platform",
                 "Add a document library for a customer",
                 "Change the intranet's search settings"],
    "remote": ["Renew the VPN gateway certificate",
               "Update the VPN client profile",
               "Upgrade the VPN gateway's firmware"],
    "print": ["Add a printer queue for a customer office",
              "Update the print server drivers"],
    "monitoring": ["Add a customer's servers to monitoring",
                   "Change alert thresholds of disk space checks"],
    "video": ["Install the video bridge's conference server",
              "Connect meeting-room video endpoints to the bridge",
              "Open firewall ports for the video bridge",
              "Add the video bridge to monitoring and backups",
              "Publish the video bridge booking page to pilot users"],
}  # fmt: skip
_EMERGENCY_SUMMARIES = {
    "hosting": "Restart failed storage controller and patch its firmware",
    "network": "Block an attacking address range at the firewall",
    "email": "Apply an urgent security fix to the mail server",
    "erp": "Reverse a faulty ERP update",
    "backup": "Free space on the backup storage",
    "remote": "Apply an urgent security fix to the VPN gateway",
    "intranet": "Restore the intranet's broken configuration",
    "accounts": "Reset a compromised service account",
    "devices": "Withdraw a faulty workstation update",
    "software": "Remove a faulty application update",
    "print": "Roll back a print driver that crashes the print server",
    "monitoring": "Repair the monitoring server's full disk",
}
_IMPACT_NORMAL = {"low": 0.45, "medium": 0.40, "high": 0.15}
_IMPACT_EMERGENCY = {"low": 0.10, "medium": 0.50, "high": 0.40}
_PROJECTS = {
    "hosting": "Storage renewal",
    "email": "Mail platform upgrade",
    "video": "Video bridge",
}


def _pick(rng: np.random.Generator, weights: dict, size=None):
    keys = list(weights)
    p = np.array(list(weights.values()), dtype=float)
    return rng.choice(keys, size=size, p=p / p.sum())


def _working_time(rng: np.random.Generator, day: pd.Timestamp) -> pd.Timestamp:
    return day + pd.Timedelta(minutes=int(rng.integers(8 * 60, 16 * 60)))


def _weekdays(start: str, end: str) -> pd.DatetimeIndex:
    days = pd.date_range(start, end, freq="D")
    holidays = pd.to_datetime(["2016-12-06", "2016-12-26", "2016-12-23", "2016-12-30"])
    return days[(days.dayofweek < 5) & ~days.isin(holidays)]


def _next_window(after: pd.Timestamp, rng: np.random.Generator) -> pd.Timestamp:
    """The Thursday 18:00–21:00 maintenance window after the next Tuesday's CAB meeting."""
    cab = after.normalize() + pd.Timedelta(days=(1 - after.dayofweek) % 7 or 7)
    if after.dayofweek == 0 and after.hour < 12:  # in time for this week's CAB
        cab = after.normalize() + pd.Timedelta(days=1)
    weeks_waited = int(rng.choice([0, 0, 0, 0, 1, 1, 3]))  # some wait for a project's slot
    thursday = cab + pd.Timedelta(days=2 + 7 * weeks_waited)
    while thursday > LAST_WINDOW and weeks_waited > 0:  # no changes in the Christmas freeze
        weeks_waited -= 1
        thursday = cab + pd.Timedelta(days=2 + 7 * weeks_waited)
    return thursday + pd.Timedelta(minutes=int(rng.integers(18 * 60, 21 * 60)))


def _major_incidents(tickets: pd.DataFrame) -> pd.DataFrame:
    major = tickets[(tickets["type"] == "incident") & tickets["priority"].isin(LINK_PRIORITIES)]
    return major[["id", "opened_at", "service", "priority"]].sort_values("opened_at")


def _linked(at: pd.Timestamp, service: str, major: pd.DataFrame) -> bool:
    after = major[(major["service"] == service) & (major["opened_at"] > at)]
    return bool((after["opened_at"] <= at + pd.Timedelta(hours=LINK_WINDOW_H)).any())


def _trap(role: str, service: str, incidents: pd.DataFrame, major: pd.DataFrame):
    """The condition a failed change's moment must meet to set the trap named ``role``."""
    window = pd.Timedelta(hours=LINK_WINDOW_H)
    zero = pd.Timedelta(0)
    same = incidents[incidents["service"] == service]
    low = same[~same["priority"].isin(LINK_PRIORITIES)]
    same_major = major[major["service"] == service]
    other_major = major[major["service"] != service]

    def near(frame, lo, hi):
        return lambda at: bool(frame["opened_at"].between(at + lo, at + hi).any())

    return {
        # a major incident of the service opened shortly before the change
        "before": near(same_major, -pd.Timedelta(hours=3), zero),
        # a P3/P4 incident of the service follows within the window
        "low_priority": near(low, zero, window),
        # a major incident of another service follows within the window
        "other_service": near(other_major, zero, window),
        # a major incident of the service follows, but after the window
        "late": near(same_major, window, window + pd.Timedelta(hours=6)),
        "quiet": lambda at: True,
    }[role]


def _quiet_time(rng, service, major, condition) -> pd.Timestamp:
    """A daytime moment with no major incident of ``service`` in the window after it, for
    which ``condition(at)`` holds (the trap the failed change sets)."""
    days = _weekdays("2016-10-03", "2016-12-21")
    for _ in range(5000):
        at = _working_time(rng, days[rng.integers(len(days))]).floor("5min")
        if not _linked(at, service, major) and condition(at):
            return at
    raise RuntimeError(f"no quiet time found for {service}")  # pragma: no cover


def kallavesi_changes(seed: int) -> pd.DataFrame:
    """The change log of Kallavesi IT (fictional), October–December 2016."""
    from . import load  # the committed tickets of module 03

    rng = np.random.default_rng(seed)
    tickets = load("kallavesi_tickets")
    major = _major_incidents(tickets)
    incidents = tickets[tickets["type"] == "incident"]

    n = 150
    kinds = _pick(rng, _TYPE_SHARE, n)
    rows = []
    days = _weekdays("2016-10-03", "2016-12-29")
    for kind in kinds:
        service = str(_pick(rng, _SERVICES))
        project = ""
        new_service = False
        if kind == "standard":
            impact = "low"
            submitted = _working_time(rng, days[rng.integers(len(days))])
            lead = float(np.clip(rng.lognormal(np.log(5), 0.8), 0.25, 70))
            implemented = submitted + pd.Timedelta(minutes=round(lead * 60))
            summary = str(rng.choice(_SUMMARIES[service]))
        elif kind == "normal":
            impact = str(_pick(rng, _IMPACT_NORMAL))
            submitted = _working_time(rng, days[rng.integers(len(days) - 12)])
            implemented = _next_window(submitted, rng)
            summary = str(rng.choice(_SUMMARIES[service]))
            if service in _PROJECTS and rng.random() < 0.5:
                project = _PROJECTS[service]
        else:
            impact = str(_pick(rng, _IMPACT_EMERGENCY))
            day = pd.Timestamp("2016-10-01") + pd.Timedelta(days=int(rng.integers(0, 91)))
            submitted = day + pd.Timedelta(minutes=int(rng.integers(0, 24 * 60)))
            lead = float(np.clip(rng.lognormal(np.log(1.3), 0.6), 0.2, 8))
            implemented = submitted + pd.Timedelta(minutes=round(lead * 60))
            summary = _EMERGENCY_SUMMARIES[service]
        rows.append([kind, service, impact, new_service, project, summary, submitted, implemented])

    # The video bridge (launched in 2017) is prepared in the quarter: a new service, whatever
    # the impact of each of its changes.
    video_impacts = ["low", "medium", "low", "high", "medium"]
    for k, impact in enumerate(video_impacts):
        submitted = _working_time(rng, days[3 + 11 * k])
        summary = _SUMMARIES["video"][k]
        rows.append(["normal", "video", impact, True, "Video bridge", summary, submitted,
                     _next_window(submitted, rng)])  # fmt: skip

    changes = pd.DataFrame(
        rows,
        columns=["type", "service", "impact", "new_service", "project", "summary",
                 "submitted_at", "implemented_at"],
    )  # fmt: skip
    changes["outcome"] = "success"

    # Cancelled (withdrawn or rejected) changes: never implemented.
    cancel_p = changes["type"].map({"standard": 0.04, "normal": 0.12, "emergency": 0.0})
    cancelled = rng.random(len(changes)) < cancel_p
    cancelled &= changes["service"] != "video"
    changes.loc[cancelled, "outcome"] = "cancelled"
    changes.loc[cancelled, "implemented_at"] = pd.NaT

    # Failed and rolled-back changes, placed against the tickets.
    candidates = changes.index[
        (changes["outcome"] == "success") & changes["service"].isin(_FAILURE_SERVICES)
    ]
    plan = (
        # (type, outcome, role)
        [("normal", "failed", "linked"), ("normal", "rolled_back", "linked"),
         ("normal", "failed", "linked"), ("emergency", "failed", "linked"),
         ("emergency", "rolled_back", "linked"), ("standard", "failed", "linked"),
         ("normal", "rolled_back", "linked"), ("normal", "failed", "linked")]
        + [("normal", "failed", "before"), ("normal", "rolled_back", "low_priority"),
           ("standard", "failed", "other_service"), ("normal", "failed", "late"),
           ("emergency", "failed", "quiet"), ("standard", "rolled_back", "quiet"),
           ("normal", "failed", "quiet")]
    )  # fmt: skip
    used: set[int] = set()
    used_incidents: set[str] = set()
    for kind, outcome, role in plan:
        pool = [i for i in candidates if changes.at[i, "type"] == kind and i not in used]
        index = int(rng.choice(pool))
        used.add(index)
        service = changes.at[index, "service"]
        if role == "linked":
            mine = major[(major["service"] == service) & ~major["id"].isin(used_incidents)]
            mine = mine[mine["opened_at"].dt.hour.between(9, 20)]
            incident = mine.iloc[int(rng.integers(len(mine)))]
            used_incidents.add(incident["id"])
            at = incident["opened_at"] - pd.Timedelta(minutes=int(rng.integers(25, 180)))
            at = at.floor("5min")
        else:
            condition = _trap(role, service, incidents, major)
            at = _quiet_time(rng, service, major, condition)
        lead = changes.at[index, "implemented_at"] - changes.at[index, "submitted_at"]
        changes.at[index, "implemented_at"] = at
        changes.at[index, "submitted_at"] = at - lead
        changes.at[index, "outcome"] = outcome

    changes = changes.sort_values("submitted_at", kind="stable").reset_index(drop=True)
    for column in ("submitted_at", "implemented_at"):
        changes[column] = changes[column].dt.strftime("%Y-%m-%d %H:%M")
    changes.insert(0, "change_id", [f"CHG-16{k:03d}" for k in range(1, len(changes) + 1)])
    columns = ["change_id", "submitted_at", "implemented_at", "type", "service", "impact",
               "new_service", "project", "summary", "outcome"]  # fmt: skip
    return changes[columns]


# --- ADKAR readiness ----------------------------------------------------------------------

ADKAR = ("awareness", "desire", "knowledge", "ability", "reinforcement")
# Teams and head counts as in module 07's survey and module 03's team KPIs (25 desk agents,
# 10 people at the five service points), and the barrier point most of each team has.
_TEAMS = {
    "Desk phone A": (7, "desire"),
    "Desk phone B": (6, "knowledge"),
    "Desk e-mail & portal": (5, "none"),
    "Desk chat": (4, "ability"),
    "Desk evenings & nights": (3, "awareness"),
    "Service points": (10, "knowledge"),
}
_OTHERS = ["awareness", "desire", "knowledge", "ability", "reinforcement", "none"]


def _barrier(row, threshold=3) -> str:
    for element in ADKAR:
        if row[element] <= threshold:
            return element
    return "none"


def _modes(frame: pd.DataFrame, rule) -> dict[str, str]:
    found = {}
    for team, group in frame.groupby("team", sort=False):
        counts = group.apply(rule, axis=1).value_counts()
        found[team] = counts.index[0] if counts.iloc[0] > counts.iloc[1:2].sum() else "tie"
    return found


def _respondent(rng: np.random.Generator, barrier: str) -> list[int]:
    scores = []
    reached = False
    for element in ADKAR:
        if reached:
            scores.append(int(rng.choice([1, 2, 3, 3, 4, 4, 5])))
        elif element == barrier:
            scores.append(int(rng.choice([3, 3, 3, 2, 1])))
            reached = True
        else:
            scores.append(int(rng.choice([4, 4, 5])))
    return scores


def kallavesi_change_readiness(seed: int) -> pd.DataFrame:
    """ADKAR readiness scores (1–5) of 35 people before the new service desk tool."""
    rng = np.random.default_rng(seed)
    expected = {team: mode for team, (_, mode) in _TEAMS.items()}
    for _ in range(2000):
        rows = []
        for team, (size, mode) in _TEAMS.items():
            majority = size // 2 + 1 if size > 3 else 2
            barriers = [mode] * majority + list(
                rng.choice([b for b in _OTHERS if b != mode], size - majority)
            )
            for barrier in barriers:
                rows.append([team, *_respondent(rng, barrier)])
        frame = pd.DataFrame(rows, columns=["team", *ADKAR])
        lowest = _modes(frame, lambda r: r[list(ADKAR)].astype(int).idxmin())
        strict = _modes(frame, lambda r: _barrier(r, threshold=2))
        dropped = frame[frame.apply(_barrier, axis=1) != "none"]
        if (
            _modes(frame, _barrier) == expected
            and sum(lowest[t] != expected[t] for t in expected) >= 2
            and sum(strict[t] != expected[t] for t in expected) >= 2
            and _modes(dropped, _barrier)["Desk e-mail & portal"] != "none"
        ):
            break
    else:  # pragma: no cover
        raise RuntimeError("no readiness data with the intended barrier points")
    order = rng.permutation(len(frame))
    frame = frame.iloc[order].reset_index(drop=True)
    frame.insert(0, "respondent", [f"T{k:02d}" for k in range(1, len(frame) + 1)])
    return frame


# --- force field ---------------------------------------------------------------------------

# The force-field analysis of the tool change, as the desk's change team wrote it: strength
# 1 (weak) to 5 (strong); ``strength_after`` is the team's estimate after the planned action,
# empty where no action is planned (the force keeps its strength).
_FORCES = [
    (
        "Old tool's support ends in 2018",
        "driving",
        5,
        "",
        None,
    ),
    (
        "Customers ask for a self-service portal",
        "driving",
        4,
        "Show customers' requests at the kick-off",
        5,
    ),
    (
        "ISO/IEC 20000 audit needs traceable records",
        "driving",
        4,
        "",
        None,
    ),
    (
        "Chat and e-mail tickets in one queue",
        "driving",
        3,
        "",
        None,
    ),
    (
        "Management backs the change",
        "driving",
        3,
        "Director opens every training day",
        4,
    ),
    (
        "Agents fear a slower tool in peak hours",
        "restraining",
        5,
        "Pilot with Desk phone B before go-live",
        2,
    ),
    (
        "Training time taken from the phones",
        "restraining",
        4,
        "Train in the quiet evening hours",
        2,
    ),
    (
        "Ticket history must move to the new tool",
        "restraining",
        4,
        "Migrate two years, archive the rest",
        3,
    ),
    (
        "Evening shift misses information sessions",
        "restraining",
        3,
        "Record the sessions",
        1,
    ),
    (
        "Licence costs in this year's budget",
        "restraining",
        3,
        "",
        None,
    ),
    (
        "Bad memories of the last tool change",
        "restraining",
        4,
        "",
        None,
    ),
]


def kallavesi_tool_forces(seed: int) -> pd.DataFrame:
    """Driving and restraining forces of the new service desk tool (written by hand).

    The seed is unused and kept so that every generator has one signature.
    """
    del seed
    frame = pd.DataFrame(
        _FORCES, columns=["force", "direction", "strength", "action", "strength_after"]
    )
    frame["strength_after"] = frame["strength_after"].astype("Int64")
    return frame


GENERATORS: dict[str, Generator] = {
    "kallavesi_changes": Generator(
        kallavesi_changes, seed=2021, date_columns=("submitted_at", "implemented_at")
    ),
    "kallavesi_change_readiness": Generator(kallavesi_change_readiness, seed=2022),
    "kallavesi_tool_forces": Generator(kallavesi_tool_forces, seed=2023),
}
