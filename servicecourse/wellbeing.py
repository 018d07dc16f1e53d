"""Well-being and productivity (module 07): the learner's toolbox of keys, scales and rules.

Scoring keys, scale ranges, the anonymity threshold, the names of the JD-R indices, Herzberg's
two factors, the working-time rules and a staffing helper for the "My Day" scenario. Keys are
data, not code, so that each can be read and compared with its published source at a glance.

The quantities that module 07's exercises ask learners to compute (UWES-9 scores, team means,
OLS coefficients, positive-feedback rates, recognitions, night hours, short rests) are not here:
the classroom's dashboard has its own tested copy in ``servicecourse.classroom.measures``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

# UWES-9 (Schaufeli, Bakker & Salanova 2006; UWES manual, Schaufeli & Bakker 2004): answers 0
# (never) to 6 (always, every day); each subscale score is the mean of its items.
UWES9_KEY: dict[str, tuple[int, ...]] = {
    "vigor": (1, 2, 5),
    "dedication": (3, 4, 7),
    "absorption": (6, 8, 9),
}
UWES_RANGE = (0, 6)
# The course survey's exhaustion scale: three items answered 1 (never) to 5 (always), scored as
# a mean like the exhaustion subscale of the Burnout Assessment Tool (BAT).
EXHAUSTION_KEY: dict[str, tuple[int, ...]] = {"exhaustion": (1, 2, 3)}
EXHAUSTION_RANGE = (1, 5)

# Smallest group whose survey results may be reported: fewer answers could identify a person.
MIN_GROUP_SIZE = 5

DEMANDS = ("workload", "emotional_demands")
RESOURCES = ("autonomy", "support", "feedback")

# Herzberg's two factors (motivators and hygiene factors), used to code interview segments.
HERZBERG = {
    "achievement": "motivator",
    "recognition": "motivator",
    "work itself": "motivator",
    "responsibility": "motivator",
    "advancement": "motivator",
    "company policy": "hygiene",
    "supervision": "hygiene",
    "relations with colleagues": "hygiene",
    "working conditions": "hygiene",
    "salary": "hygiene",
    "security": "hygiene",
}

# Working time under the Finnish Working Hours Act (872/2019): night work is work between 23:00
# and 06:00 (section 8); daily rest at least 11 hours (section 25). Standby ("on call",
# varallaolo, section 5) is not working time; work done after a call-out is.
NIGHT_START_HOUR = 23
NIGHT_END_HOUR = 6
MIN_DAILY_REST_HOURS = 11.0
# The kinds of rows in the desk's shift plan.
PLANNED_SHIFTS = ("day", "evening")
ON_CALL = "on call"
CALL_OUT = "call-out"


def require_columns(frame: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    """Raise a ValueError that names the missing columns a computation needs."""
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} needs the column(s) {', '.join(missing)}")


def staffing_by_hour(starts: Sequence[float], shift_hours: float = 8.0) -> pd.Series:
    """Agents on duty in each hour of the day (0-23) for shifts starting at ``starts`` (hours)."""
    hours = np.arange(24)
    begin = np.asarray(starts, dtype=float)[:, None]
    on_duty = (hours + 0.5 > begin) & (hours + 0.5 < begin + shift_hours)
    return pd.Series(on_duty.sum(axis=0), index=pd.Index(hours, name="hour"), name="agents")
