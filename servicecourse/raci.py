"""RACI matrices: who is Responsible, Accountable, Consulted and Informed for each activity.

Module 03 uses them for the Service Manager – Process Manager operating model. A matrix is a
DataFrame with one row per activity (the index), one column per role and a letter (or nothing)
in each cell. This toolbox reads a matrix (``check_cells``, ``roles_of``); checking a matrix
against the rules is the lesson's exercise (teacher-side: ``classroom.measures.raci``).
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


def check_cells(matrix: pd.DataFrame) -> pd.DataFrame:
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


def roles_of(matrix: pd.DataFrame, role: str) -> pd.Series:
    """What one role does: its letter for each activity where it has one."""
    if role not in matrix.columns:
        raise ValueError(f"no role {role!r}; the roles are: {', '.join(map(str, matrix.columns))}")
    cells = check_cells(matrix)[role]
    return cells[cells != ""]
