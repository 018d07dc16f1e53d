"""Catalogue reviews of module 03, teacher-side: gaps, dependencies, dependants, card checks.

Module 03's exercises ask learners to find these in the (fictional) Kallavesi IT catalogue, so
they live outside the learner's toolbox; hidden tests compute their expected values inline.
"""

from __future__ import annotations

import pandas as pd

from ...catalogue import _require, _split, check_product_card

# What every live catalogue entry needs before a customer can rely on it.
REQUIRED_ENTRY_FIELDS = ("name", "service_manager", "service_hours", "availability_target_pct")


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


def card_against_catalogue(card: dict, catalogue: pd.DataFrame) -> list[str]:
    """A card's form problems, then where it disagrees with its service's catalogue entry."""
    issues = check_product_card(card)
    if issues:
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
