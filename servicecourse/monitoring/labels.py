"""The ground truth of the simulated log: which incidents and faults happened when."""

from __future__ import annotations

import pandas as pd

from .config import MonitoringInputError


def load_labels(source=None) -> pd.DataFrame:
    """The ground truth of the simulated log: ``kind``, ``category``, ``start``, ``end`` (UTC)."""
    if source is None:
        from ..datasets import path

        source = path("yun_server_room_2016_labels")
    labels = pd.read_csv(source)
    return check_labels(labels)


def check_labels(labels: pd.DataFrame) -> pd.DataFrame:
    """Validate labels (``kind``, ``start``, ``end``) and make the times tz-aware UTC."""
    if not isinstance(labels, pd.DataFrame):
        raise MonitoringInputError(f"labels must be a DataFrame, got {type(labels).__name__}")
    missing = [c for c in ("kind", "start", "end") if c not in labels.columns]
    if missing:
        raise MonitoringInputError(
            f"labels miss column(s) {missing}; they need kind, start and end (UTC times)"
        )
    labels = labels.copy()
    for column in ("start", "end"):
        values = pd.to_datetime(labels[column], utc=True, errors="coerce")
        if values.isna().any():
            raise MonitoringInputError(f"labels column {column!r} has values that are not times")
        labels[column] = values
    if (labels["end"] < labels["start"]).any():
        raise MonitoringInputError("a label ends before it starts; swap its start and end")
    if "category" not in labels.columns:
        labels["category"] = "incident"
    return labels.reset_index(drop=True)
