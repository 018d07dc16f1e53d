"""Product cards: the template of module 03 and a check of a card's form.

Module 03 writes a product card for the (fictional) Kallavesi IT video-bridge service. A
product card is a dict with the fields of ``PRODUCT_CARD_FIELDS``; ``check_product_card`` says
which fields are missing, of the wrong kind or empty. Whether the texts are right for the
service is the learner's work (and the hidden tests'); the catalogue reviews the lesson asks
for (gaps, dependants) are teacher-side, in ``servicecourse.classroom.measures.catalogue``.
"""

from __future__ import annotations

from numbers import Real

import pandas as pd

# The product card template: field, the type it holds, and what it tells the customer.
PRODUCT_CARD_FIELDS = {
    "service_id": (str, "the catalogue id of the service"),
    "name": (str, "the name customers know the service by"),
    "summary": (str, "what the service does for the customer, in one or two sentences"),
    "customers": (str, "who can order it"),
    "features": (list, "what is included"),
    "not_included": (list, "what is not included, so that nobody assumes it"),
    "service_hours": (str, "when the service is available and supported"),
    "availability_target_pct": (Real, "the agreed availability, per cent"),
    "support": (str, "how to get help: channel and hours"),
    "service_manager": (str, "who is responsible for the service"),
    "price_eur_per_month": (Real, "what it costs, euros a month per unit"),
    "depends_on": (list, "catalogue ids of the services it is built on"),
}


def _split(value) -> list[str]:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value == "":
        return []
    return [v.strip() for v in str(value).split(";") if v.strip()]


def _require(catalogue: pd.DataFrame, columns) -> None:
    if not isinstance(catalogue, pd.DataFrame):
        raise ValueError(f"the catalogue should be a DataFrame, not {type(catalogue).__name__}")
    missing = [c for c in columns if c not in catalogue.columns]
    if missing:
        raise ValueError(f"the catalogue lacks the column(s) {', '.join(missing)}")


def check_product_card(card: dict) -> list[str]:
    """What is wrong with a product card's form; an empty list when every field is there.

    Every field of the template, of the right kind and not empty. It does not judge the
    content: a card can pass this check and still tell a customer nothing.
    """
    if not isinstance(card, dict):
        raise ValueError(f"a product card should be a dict, not {type(card).__name__}")
    issues = []
    for field, (kind, meaning) in PRODUCT_CARD_FIELDS.items():
        if field not in card:
            issues.append(f"missing {field} ({meaning})")
            continue
        value = card[field]
        if kind is Real:
            if isinstance(value, bool) or not isinstance(value, Real):
                issues.append(f"{field} should be a number")
        elif not isinstance(value, kind):
            issues.append(f"{field} should be a {kind.__name__}")
        elif kind is str and not value.strip():
            issues.append(f"{field} is empty")
        elif kind is list and field != "depends_on" and not value:
            issues.append(f"{field} lists nothing")
    for field in sorted(set(card) - set(PRODUCT_CARD_FIELDS)):
        issues.append(f"{field} is not a field of the template")
    pct = card.get("availability_target_pct")
    if isinstance(pct, Real) and not isinstance(pct, bool) and not 90 <= pct <= 100:
        issues.append("availability_target_pct should be a percentage between 90 and 100")
    return issues
