"""RACI matrices: who is Responsible, Accountable, Consulted and Informed for each activity.

Module 03 uses them for the Service Manager – Process Manager operating model. A matrix is a
DataFrame with one row per activity (the index), one column per role and a letter (or nothing)
in each cell.
"""

from __future__ import annotations

import pandas as pd

LETTERS = ("R", "A", "C", "I")
MEANING = {
    "R": "Responsible: does the work",
    "A": "Accountable: owns the outcome and signs it off; exactly one per activity",
    "C": "Consulted: asked before, two-way",
    "I": "Informed: told after, one-way",
}


def _cells(matrix: pd.DataFrame) -> pd.DataFrame:
    """The matrix with blanks as empty strings and letters upper-case, checked."""
    if not isinstance(matrix, pd.DataFrame):
        raise ValueError(f"a RACI matrix should be a pandas DataFrame, not {type(matrix).__name__}")
    if matrix.empty:
        raise ValueError("the RACI matrix is empty: it needs activities (rows) and roles (columns)")
    cells = matrix.fillna("").astype(str).apply(lambda c: c.str.strip().str.upper())
    bad = ~cells.isin(["", *LETTERS])
    if bad.any().any():
        values = sorted(set(cells.to_numpy()[bad.to_numpy()]))
        raise ValueError(f"a RACI cell holds one of R, A, C, I or nothing, not {values}")
    return cells


def count(matrix: pd.DataFrame, letter: str) -> pd.Series:
    """How many roles carry ``letter`` in each activity."""
    if letter not in LETTERS:
        raise ValueError(f"letter should be one of {', '.join(LETTERS)}, not {letter!r}")
    return (_cells(matrix) == letter).sum(axis=1)


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


def roles_of(matrix: pd.DataFrame, role: str) -> pd.Series:
    """What one role does: its letter for each activity where it has one."""
    if role not in matrix.columns:
        raise ValueError(f"no role {role!r}; the roles are: {', '.join(map(str, matrix.columns))}")
    cells = _cells(matrix)[role]
    return cells[cells != ""]
