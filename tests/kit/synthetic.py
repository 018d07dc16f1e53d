"""Synthetic modules for grading tests: a lesson built in code, in a private nbgrader course."""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell

from servicecourse.paths import Module, repo_root


def nbgrader_meta(grade_id, *, solution=False, grade=False, points=0, locked=False) -> dict:
    meta = {
        "grade": grade,
        "grade_id": grade_id,
        "locked": locked,
        "schema_version": 3,
        "solution": solution,
        "task": False,
    }
    if grade:
        meta["points"] = points
    return {"nbgrader": meta}


def answer_cell(grade_id: str, code: str):
    return new_code_cell(
        f"### BEGIN SOLUTION\n{code}\n### END SOLUTION",
        metadata=nbgrader_meta(grade_id, solution=True),
    )


def test_cell(grade_id: str, visible: str, hidden: str, points: int = 2):
    source = f"{visible}\n### BEGIN HIDDEN TESTS\n{hidden}\n### END HIDDEN TESTS"
    return new_code_cell(
        source, metadata=nbgrader_meta(grade_id, grade=True, points=points, locked=True)
    )


test_cell.__test__ = False  # a cell builder, not a test for pytest to collect


def synthetic_course(root: Path, name: str, lesson: str, notebook) -> tuple[Path, Module]:
    """ROOT/modules/NAME/LESSON holding NOTEBOOK, and an nbgrader course (ROOT/course) whose
    source is that modules folder; returns the course folder and the module."""
    modules = root / "modules"
    (modules / name).mkdir(parents=True)
    nbformat.write(notebook, modules / name / lesson)
    course = root / "course"
    course.mkdir()
    shutil.copy(repo_root() / "autograde" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "source").symlink_to(modules)
    return course, Module(modules / name)
