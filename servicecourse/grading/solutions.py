"""Solutions after the deadline: the lessons with their reference answers, for the class only.

A solution notebook is the source with its solutions kept (their markers removed) and its
hidden tests taken out; visible tests stay, so a learner can run them against the answers.
The instructor makes them for one module (``servicecourse solutions 03_basics``), and may
publish them through nbgrader's exchange as the assignment ``03_basics_solutions`` (learners
fetch it as any assignment) and build a class-only edition of the book that shows them. The
public book never does: it is built from ``_pages/``, which these never touch, and its leak
check refuses any solution line.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbgrader.preprocessors import ClearHiddenTests

from ..paths import CourseError, GradingCourse, Module, layout
from . import course as nbg

SUFFIX = "_solutions"
BANNER = (
    "**Solutions of {module}, released after the deadline for this class only.** Read them "
    "next to your own answers: the visible tests still run. Do not publish or share them."
)
_MARKER = re.compile(r"^\s*#*\s*(BEGIN|END) SOLUTION\s*$")


def assignment_id(module: Module | str) -> str:
    return f"{getattr(module, 'name', module)}{SUFFIX}"


def solution_notebook(nb, module_name: str, config=None) -> nbformat.NotebookNode:
    """NB (a source notebook, executed or not) as learners may see it after the deadline."""
    nb = nbformat.from_dict(nb)
    config = config if config is not None else nbg.load_config()
    nb, _ = ClearHiddenTests(config=config).preprocess(nb, {})
    for cell in nb.cells:
        meta = cell.metadata.pop("nbgrader", {})
        if meta.get("solution"):
            lines = cell.source.splitlines()
            cell.source = "\n".join(line for line in lines if not _MARKER.match(line))
        if cell.cell_type == "code" and meta.get("grade"):
            cell.outputs = []  # a test's output belongs to the grading run
            cell.execution_count = None
    nb.cells.insert(0, nbformat.v4.new_markdown_cell(BANNER.format(module=module_name)))
    return nb


def solutions_folder(module: Module, course: Path | None = None) -> Path:
    root = course or layout().grading.root
    return GradingCourse(root).folder("release", module=assignment_id(module))


def make_solutions(module: Module, course: Path | None = None) -> list[Path]:
    """Write the module's solution notebooks into the course's release folder."""
    if not module.lessons:
        raise CourseError(f"{module.name} has no lesson yet: there is nothing to make")
    config = nbg.load_config(course)
    target = solutions_folder(module, course)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for notebook in module.lessons:
        nb = nbformat.read(notebook, as_version=4)
        out = target / notebook.name
        nbformat.write(solution_notebook(nb, module.name, config), out)
        written.append(out)
    return written


def publish_solutions(module: Module, course: Path | None = None) -> str:
    """Make the solutions and release them to the exchange as ``<module>_solutions``."""
    make_solutions(module, course)
    api = nbg.course_api(course)
    name = assignment_id(module)
    nbg.check_result(api.release_assignment(name), f"publishing {name} to the exchange")
    return name
