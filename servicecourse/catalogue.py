"""Service catalogue entries and product cards: are the fields a customer relies on there?

Module 03 checks the (fictional) Kallavesi IT catalogue and a product card for its video-bridge
service. A catalogue is a DataFrame like ``kallavesi_service_catalogue``; a product card is a
dict with the fields of ``PRODUCT_CARD_FIELDS``.
"""

from __future__ import annotations

from numbers import Real

import pandas as pd

# What every live catalogue entry needs before a customer can rely on it.
REQUIRED_ENTRY_FIELDS = ("name", "service_manager", "service_hours", "availability_target_pct")

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


def dependencies(catalogue: pd.DataFrame) -> pd.DataFrame:
    """One row per (service, the service it depends on), from the ``;``-separated column."""
    _require(catalogue, ["service_id", "depends_on"])
    pairs = catalogue.assign(depends_on=catalogue["depends_on"].map(_split)).explode("depends_on")
    pairs = pairs.dropna(subset=["depends_on"])
    return pairs[["service_id", "depends_on"]].reset_index(drop=True)


def dependants(catalogue: pd.DataFrame, service_id: str) -> list[str]:
    """Every service that depends on ``service_id``, directly or through others, sorted."""
    pairs = dependencies(catalogue)
    found: set[str] = set()
    frontier = {service_id}
    while frontier:
        nxt = set(pairs.loc[pairs["depends_on"].isin(frontier), "service_id"]) - found
        found |= nxt
        frontier = nxt
    found.discard(service_id)
    return sorted(found)


def validate_catalogue(catalogue: pd.DataFrame) -> pd.DataFrame:
    """The catalogue's gaps: one row per (service, problem), empty when there are none.

    Checks that ids are unique, that every entry has the required fields, and that every
    dependency names a service of the catalogue.
    """
    _require(catalogue, ["service_id", *REQUIRED_ENTRY_FIELDS, "depends_on"])
    rows = []
    for sid in catalogue.loc[catalogue["service_id"].duplicated(), "service_id"]:
        rows.append((sid, "duplicate service_id"))
    for field in REQUIRED_ENTRY_FIELDS:
        values = catalogue[field]
        empty = values.isna() | (values.astype(str).str.strip() == "")
        rows += [(sid, f"no {field}") for sid in catalogue.loc[empty, "service_id"]]
    known = set(catalogue["service_id"])
    pairs = dependencies(catalogue)
    unknown = pairs[~pairs["depends_on"].isin(known)]
    rows += [(s, f"depends on unknown service {d!r}") for s, d in unknown.itertuples(index=False)]
    return pd.DataFrame(rows, columns=["service_id", "problem"])


def check_product_card(card: dict, catalogue: pd.DataFrame | None = None) -> list[str]:
    """What is wrong with a product card; an empty list when it is complete.

    Without a catalogue: every field of the template, of the right type and not empty. With
    one: the card must also agree with the service's catalogue entry (manager, availability,
    dependencies), because a customer reads both.
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
    if issues or catalogue is None:
        return issues
    _require(catalogue, ["service_id", "service_manager", "availability_target_pct", "depends_on"])
    entry = catalogue[catalogue["service_id"] == card["service_id"]]
    if entry.empty:
        return [f"service_id {card['service_id']!r} is not in the catalogue"]
    entry = entry.iloc[0]
    if card["service_manager"] != entry["service_manager"]:
        issues.append("service_manager differs from the catalogue")
    if abs(card["availability_target_pct"] - entry["availability_target_pct"]) > 1e-9:
        issues.append("availability_target_pct differs from the catalogue")
    if sorted(card["depends_on"]) != sorted(_split(entry["depends_on"])):
        issues.append("depends_on differs from the catalogue")
    return issues
