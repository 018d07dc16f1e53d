"""Generators of module 05's synthetic data about the fictional company Kallavesi IT.

A post-ticket customer survey (NPS, CSAT and CES answers about tickets of
``kallavesi_tickets``), a yearly brand tracker of customer contact persons (items of Keller's
customer-based brand equity blocks) and a Living Lab's assessments of brand pages with a
weighted rubric. The numbers are invented for teaching; they describe no real people.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .gen_basics import GENERATORS as BASICS
from .generators import Generator

SEGMENTS = {"public_sector": 0.45, "sme": 0.35, "education": 0.20}
"""Customer segments of the desk's end users: municipalities and joint authorities, regional
small and medium-sized firms, and schools and colleges (the company profile of the course)."""

_SEGMENT_EFFECT = {"public_sector": 0.0, "sme": 0.25, "education": -0.3}
_CHANNEL_EFFECT = {"phone": 0.15, "email": -0.05, "portal": -0.2}
EXTRACTED_AT = pd.Timestamp("2016-12-31 23:59")
"""The survey answers were extracted with the tickets: answers given later are not in the file."""


def _resolved_tickets() -> pd.DataFrame:
    source = BASICS["kallavesi_tickets"]
    tickets = source.frame()
    for column in source.date_columns:
        tickets[column] = pd.to_datetime(tickets[column])
    tickets = tickets[tickets["resolved_at"].notna()].copy()
    hours = (tickets["resolved_at"] - tickets["opened_at"]) / pd.Timedelta(hours=1)
    tickets["sla_met"] = hours <= tickets["sla_target_h"]
    return tickets.reset_index(drop=True)


def kallavesi_customer_survey(seed: int) -> pd.DataFrame:
    """One row per answer to the survey sent after a resolved ticket, October–December 2016."""
    rng = np.random.default_rng(seed)
    tickets = _resolved_tickets()
    # About one resolved ticket in nine gets an answer (invitations go to every resolved ticket).
    chosen = tickets[rng.random(len(tickets)) < 0.115].copy()
    delay_h = rng.exponential(6.0, len(chosen)) + 0.1
    chosen["answered_at"] = (chosen["resolved_at"] + pd.to_timedelta(delay_h, unit="h")).dt.floor(
        "min"
    )
    chosen = chosen[chosen["answered_at"] <= EXTRACTED_AT].copy()
    n = len(chosen)
    segments = rng.choice(list(SEGMENTS), size=n, p=list(SEGMENTS.values()))
    week = chosen["answered_at"].dt.isocalendar().week.to_numpy().astype(int)
    # A rough patch in mid-November (e-mail migration week): a little lower for two weeks.
    rough = np.isin(week, [46, 47]) * -0.35
    latent = (
        np.array([_SEGMENT_EFFECT[s] for s in segments])
        + chosen["channel"].map(_CHANNEL_EFFECT).to_numpy()
        - 1.7 * chosen["reopened"].to_numpy()
        - 1.0 * (~chosen["sla_met"]).to_numpy()
        - 0.35 * (chosen["contacts"] == 2).to_numpy()
        - 0.8 * (chosen["contacts"] >= 3).to_numpy()
        - 0.1 * chosen["escalated"].to_numpy()
        + rough
        + rng.normal(0, 1.0, n)
    )
    nps = np.clip(np.round(8.6 + 1.55 * latent + rng.normal(0, 0.7, n)), 0, 10)
    csat = np.clip(np.round(4.5 + 0.75 * latent + rng.normal(0, 0.45, n)), 1, 5)
    ces = np.clip(np.round(5.6 + 1.05 * latent + rng.normal(0, 0.7, n)), 1, 7)
    frame = pd.DataFrame(
        {
            "ticket": chosen["id"].to_numpy(),
            "answered_at": chosen["answered_at"].to_numpy(),
            "segment": segments,
            "nps": nps,
            "csat": csat,
            "ces": ces,
        }
    )
    # Respondents skip questions: each answer is missing now and then, never all three.
    for column, share in (("nps", 0.07), ("csat", 0.05), ("ces", 0.09)):
        frame.loc[rng.random(n) < share, column] = np.nan
    empty = frame[["nps", "csat", "ces"]].isna().all(axis=1)
    frame.loc[empty, "nps"] = nps[empty.to_numpy()]
    frame = frame.sort_values("answered_at", kind="stable").reset_index(drop=True)
    frame.insert(0, "response", [f"R{i:05d}" for i in range(1, len(frame) + 1)])
    for column in ("nps", "csat", "ces"):
        frame[column] = frame[column].astype("Int64")
    return frame


# Keller's six building blocks, two items each; the course's own wordings (not a published
# questionnaire). One feelings item is negatively worded and must be reverse-scored (8 - x).
CBBE_ITEMS = [
    (
        "sal1",
        "salience",
        "When I think of IT support in the region, Kallavesi IT comes to mind.",
        False,
    ),
    ("sal2", "salience", "I know which services Kallavesi IT offers us.", False),
    ("per1", "performance", "Kallavesi IT's services work reliably.", False),
    ("per2", "performance", "Kallavesi IT solves our issues competently.", False),
    ("ima1", "imagery", "Kallavesi IT is a provider for organisations like ours.", False),
    ("ima2", "imagery", "Kallavesi IT's people are the kind we like to work with.", False),
    ("jud1", "judgments", "Kallavesi IT is a credible provider.", False),
    ("jud2", "judgments", "Kallavesi IT is better than the alternatives we know.", False),
    ("fee1", "feelings", "Dealing with Kallavesi IT makes me feel secure.", False),
    ("fee2", "feelings", "Dealing with Kallavesi IT is frustrating.", True),
    (
        "res1",
        "resonance",
        "We would stay with Kallavesi IT even if others offered the same.",
        False,
    ),
    ("res2", "resonance", "I talk about Kallavesi IT to colleagues in other organisations.", False),
]
# True block levels on the 1-7 agreement scale (the sample means differ from them). The
# feelings block is high, so that leaving its negative item unreversed misleads.
_BLOCK_LEVEL = {
    "salience": 5.5,
    "performance": 5.2,
    "imagery": 4.45,
    "judgments": 5.0,
    "feelings": 5.5,
    "resonance": 4.75,
}


def kallavesi_brand_tracker(seed: int) -> pd.DataFrame:
    """Long table: one row per respondent and item of the yearly brand survey, November 2016."""
    rng = np.random.default_rng(seed)
    n = 96
    segments = rng.choice(list(SEGMENTS), size=n, p=list(SEGMENTS.values()))
    person = rng.normal(0, 0.6, n) + np.array([_SEGMENT_EFFECT[s] for s in segments])
    rows = []
    for i in range(n):
        for item, block, wording, reverse in CBBE_ITEMS:
            agree = _BLOCK_LEVEL[block] + person[i] + rng.normal(0, 0.9)
            score = int(np.clip(np.round(agree), 1, 7))
            if reverse:
                score = 8 - score
            rows.append((f"B{i + 1:03d}", segments[i], item, block, wording, reverse, score))
    return pd.DataFrame(
        rows, columns=["respondent", "segment", "item", "block", "wording", "reverse", "score"]
    )


PAGES = {
    "kallavesi_current": "Kallavesi IT, current website",
    "kallavesi_draft_a": "Kallavesi IT, redesign draft A",
    "kallavesi_draft_b": "Kallavesi IT, redesign draft B",
    "puijo_systems": "Puijo Systems (fictional competitor)",
    "saimaa_cloud": "Saimaa Cloud (fictional competitor)",
}
RUBRIC = {
    "promise": 25,
    "people": 20,
    "customer_voice": 20,
    "service_access": 15,
    "consistency": 10,
    "visual_identity": 10,
}
"""The course's weighted rubric for brand pages (weights in per cent, summing to 100)."""

# True level (1-5) of each page on each criterion, in the order of RUBRIC; the assessors'
# scores scatter around them, so weighting and blanks matter.
_PAGE_LEVEL = {
    "kallavesi_current": (3.0, 2.3, 2.0, 3.7, 3.0, 2.7),
    "kallavesi_draft_a": (4.3, 4.0, 3.7, 3.4, 3.4, 3.0),
    "kallavesi_draft_b": (3.1, 3.0, 3.0, 4.3, 4.6, 4.9),
    "puijo_systems": (3.6, 2.6, 3.2, 3.0, 4.0, 4.2),
    "saimaa_cloud": (2.7, 3.3, 4.0, 2.6, 3.0, 3.3),
}
ASSESSORS = ("L1", "L2", "L3", "L4")


def kallavesi_brand_page_assessments(seed: int) -> pd.DataFrame:
    """One row per page, criterion and assessor of the Living Lab; blank = "cannot judge"."""
    rng = np.random.default_rng(seed)
    rows = []
    for page, levels in _PAGE_LEVEL.items():
        for (criterion, weight), level in zip(RUBRIC.items(), levels, strict=True):
            for assessor in ASSESSORS:
                score = float(np.clip(np.round(level + rng.normal(0, 0.55)), 1, 5))
                rows.append((page, PAGES[page], criterion, weight, assessor, score))
    frame = pd.DataFrame(
        rows, columns=["page", "page_name", "criterion", "weight", "assessor", "score"]
    )
    # Assessors left a criterion blank when the page gave them nothing to judge: mostly the
    # people and customer-voice criteria of pages that show neither (low levels).
    low = frame["criterion"].isin(["people", "customer_voice"]) & frame["page"].isin(
        ["kallavesi_current", "puijo_systems"]
    )
    blank = low & (rng.random(len(frame)) < 0.45)
    blank |= rng.random(len(frame)) < 0.03
    frame.loc[blank, "score"] = np.nan
    frame["score"] = frame["score"].astype("Int64")
    return frame


GENERATORS: dict[str, Generator] = {
    "kallavesi_customer_survey": Generator(
        kallavesi_customer_survey, seed=5001, date_columns=("answered_at",)
    ),
    "kallavesi_brand_tracker": Generator(kallavesi_brand_tracker, seed=5002),
    "kallavesi_brand_page_assessments": Generator(kallavesi_brand_page_assessments, seed=5003),
}
