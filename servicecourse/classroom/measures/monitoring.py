"""Detection scores of module 04, teacher-side: recall, precision, MTTD, lead time, NAB score.

Module 04's exercises ask learners to score a detector by hand (recall, precision and mean
time to detect), so the scorer lives outside the learner's toolbox: the classroom dashboard
(*Event rules lab*), the benchmarks and the tests import it; lessons never name it.

- **recall**: share of labels that an incident overlaps (per incident, not per minute);
- **precision**: share of incidents that overlap a label; incidents that overlap only a
  device fault (a Wi-Fi drop-out, a reboot) are counted apart as ``device_alerts``;
- **false alarms per week**: incidents overlapping no label, per week of readings;
- **mean time to detect** (MTTD): from a label's start to the first overlapping incident
  (0 if an incident was already open);
- **lead time** of predictive alerts: from the first predictive event within a label to the
  first static-threshold event in it; labels without a breach, or where the limit was
  breached before any prediction, have no lead time;
- **NAB score** with the labels as windows (``servicecourse.monitoring.nab_score``).

>>> t = pd.Timestamp("2016-10-11 11:00", tz="UTC")
>>> labels = pd.DataFrame({"kind": ["cooling_failure"], "start": [t],
...                        "end": [t + pd.Timedelta("3h")]})
>>> incidents = pd.DataFrame({"start": [t + pd.Timedelta("12min")],
...                           "end": [t + pd.Timedelta("2h")], "rules": ["threshold"]})
>>> s = score_incidents(incidents, labels)
>>> s["recall"], s["precision"], s["mttd_minutes"]
(1.0, 1.0, 12.0)
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...monitoring import Result, check_labels, nab_score

SCORED = ("incident", "sensor_fault")


def score(result: Result, labels: pd.DataFrame) -> dict:
    """Score a ``monitoring.run`` result against ground-truth labels (``kind``, ``start``,
    ``end``)."""
    return score_incidents(result.incidents, labels, result.events, result.index)


def _overlap(inc_start, inc_end, lab_start, lab_end) -> np.ndarray:
    """Matrix [incident, label] of overlapping intervals (open incidents never end)."""
    far = np.datetime64("2262-01-01")
    inc_end = np.where(pd.isna(inc_end), far, inc_end)
    return (inc_start[:, None] <= lab_end[None, :]) & (inc_end[:, None] >= lab_start[None, :])


def _utc(values) -> np.ndarray:
    return (
        pd.to_datetime(pd.Series(values), utc=True)
        .dt.tz_localize(None)
        .to_numpy(dtype="datetime64[ns]")
    )


def score_incidents(
    incidents: pd.DataFrame,
    labels: pd.DataFrame,
    events: pd.DataFrame | None = None,
    index: pd.DatetimeIndex | None = None,
    categories=SCORED,
) -> dict:
    """Recall, precision, false alarms per week, MTTD, predictive lead time and NAB score."""
    labels = check_labels(labels)
    device = labels[~labels["category"].isin(categories)]
    labels = labels[labels["category"].isin(categories)].reset_index(drop=True)
    inc_start = _utc(incidents["start"]) if len(incidents) else np.array([], "datetime64[ns]")
    inc_end = _utc(incidents["end"]) if len(incidents) else np.array([], "datetime64[ns]")
    lab_start, lab_end = _utc(labels["start"]), _utc(labels["end"])
    hits = _overlap(inc_start, inc_end, lab_start, lab_end)
    detected = hits.any(axis=0)
    true_incident = hits.any(axis=1)
    on_device = _overlap(inc_start, inc_end, _utc(device["start"]), _utc(device["end"])).any(axis=1)
    false_incident = ~true_incident & ~on_device
    ttd = []
    for j in range(len(labels)):
        if detected[j]:
            earliest = inc_start[hits[:, j]].min()
            ttd.append(max((earliest - lab_start[j]) / np.timedelta64(1, "m"), 0.0))
        else:
            ttd.append(np.nan)
    per_label = labels[["kind", "start", "end"]].copy()
    per_label["detected"] = detected
    per_label["minutes_to_detect"] = ttd
    rules = incidents["rules"].to_numpy() if len(incidents) else np.array([])
    per_label["rules"] = [
        ", ".join(sorted({r for rs in rules[hits[:, j]] for r in str(rs).split(", ")}))
        for j in range(len(labels))
    ]
    lead = _lead_times(events, labels) if events is not None else pd.Series(dtype=float)
    per_label["lead_hours"] = lead.reindex(per_label.index) if len(lead) else np.nan
    if index is not None and len(index) > 1:
        weeks = (index[-1] - index[0]) / pd.Timedelta("7D")
    elif len(labels):
        weeks = (lab_end.max() - lab_start.min()) / np.timedelta64(7, "D")
    else:
        weeks = np.nan
    nab = None
    if index is not None and len(labels):
        nab = nab_score(
            index,
            pd.DatetimeIndex(incidents["start"]) if len(incidents) else [],
            list(zip(labels["start"], labels["end"], strict=True)),
        )
    n_true, n_false = int(true_incident.sum()), int(false_incident.sum())
    return {
        "labels": len(labels),
        "detected": int(detected.sum()),
        "recall": float(detected.mean()) if len(labels) else float("nan"),
        "incidents": len(incidents),
        "true_incidents": n_true,
        "false_alarms": n_false,
        "device_alerts": int((~true_incident & on_device).sum()),
        "precision": n_true / (n_true + n_false) if n_true + n_false else float("nan"),
        "false_alarms_per_week": n_false / weeks if weeks else float("nan"),
        "mttd_minutes": float(np.nanmean(ttd)) if detected.any() else float("nan"),
        "lead_time_hours": float(lead.mean()) if len(lead) else float("nan"),
        "nab_score": None if nab is None else nab["score"],
        "nab": nab,
        "per_label": per_label,
    }


def _lead_times(events: pd.DataFrame, labels: pd.DataFrame) -> pd.Series:
    """Hours from the first predictive event in each label to the first threshold breach."""
    if events is None or events.empty:
        return pd.Series(dtype=float)
    lead = {}
    times = pd.to_datetime(events["time"], utc=True)
    for j, label in labels.iterrows():
        inside = (times >= label["start"]) & (times <= label["end"])
        predicted = times[inside & (events["rule"] == "predictive")]
        if predicted.empty:
            continue
        breach = times[inside & events["rule"].isin(["threshold", "threshold_critical"])]
        if breach.empty or breach.min() < predicted.min():
            continue  # no breach to predict, or it came first: no lead time to speak of
        when = breach.min()
        lead[j] = (when - predicted.min()) / pd.Timedelta("1h")
    return pd.Series(lead, dtype=float)
