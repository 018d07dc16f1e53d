"""RACI rule checks of module 03, teacher-side: letters per activity, broken rules.

Module 03's exercises ask learners to count the Accountables and to find the activities that
break the rules, so these checks live outside the learner's toolbox.
"""

from __future__ import annotations

import pandas as pd

from ...raci import LETTERS, check_cells


def count(matrix: pd.DataFrame, letter: str) -> pd.Series:
    """How many roles carry ``letter`` in each activity."""
    if letter not in LETTERS:
        raise ValueError(f"letter should be one of {', '.join(LETTERS)}, not {letter!r}")
    return (check_cells(matrix) == letter).sum(axis=1)


def problems(matrix: pd.DataFrame) -> dict[str, list[str]]:
    """The activities that break the two rules, with what is wrong.

    Rules: exactly one Accountable per activity (none means nobody owns the outcome, two
    means nobody does), and at least one Responsible (someone does the work).
    """
    found: dict[str, list[str]] = {}
    accountable, responsible = count(matrix, "A"), count(matrix, "R")
    for activity in matrix.index:
        issues = []
        if accountable[activity] == 0:
            issues.append("no Accountable")
        elif accountable[activity] > 1:
            issues.append(f"{accountable[activity]} Accountables")
        if responsible[activity] == 0:
            issues.append("no Responsible")
        if issues:
            found[str(activity)] = issues
    return found
