"""Every source notebook is committed clean and runs from top to bottom with its solutions."""

from __future__ import annotations

import subprocess

import nbformat
import pytest
from notebooks import lesson_id, lessons

from servicecourse.build import pages

LESSONS = lessons()


def test_there_are_lessons():
    assert LESSONS, "no lesson notebooks found in modules/*/"


def _committed_notebooks(root) -> list[str]:
    listed = subprocess.run(
        ["git", "ls-files", "*.ipynb"], cwd=root, capture_output=True, text=True, check=True
    )
    return [line for line in listed.stdout.splitlines() if line]


def test_notebooks_are_committed_without_outputs(root):
    dirty = []
    for name in _committed_notebooks(root):
        nb = nbformat.read(root / name, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code" and (cell.outputs or cell.execution_count):
                dirty.append(name)
                break
    assert not dirty, f"clear the outputs of {dirty} before committing"


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_source_executes_with_solutions(item):
    module, notebook = item
    executed = pages.executed(module, notebook, log=lambda *_: None)
    errors = [
        out
        for cell in executed.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.output_type == "error"
    ]
    assert not errors
    code_cells = [c for c in executed.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code_cells), "every code cell ran"


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_lesson_follows_the_conventions(item):
    """What the authoring guide asks of every lesson: objectives, sources, ids, points."""
    _, notebook = item
    nb = nbformat.read(notebook, as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert nb.cells[0].cell_type == "markdown" and nb.cells[0].source.startswith("# ")
    assert "you can" in nb.cells[0].source.lower(), "state the objectives in the first cell"
    assert "Sources" in text, "cite sources in a 'Sources' paragraph"
    ids = [c.metadata["nbgrader"]["grade_id"] for c in nb.cells if "nbgrader" in c.metadata]
    assert len(ids) == len(set(ids)), "grade ids must be unique within a notebook"
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade"):
            assert meta.get("points", 0) > 0, f"{meta['grade_id']} needs points"
        if meta.get("grade") and cell.cell_type == "code":
            assert meta.get("locked"), f"test cell {meta['grade_id']} must be read-only"
