"""The nbgrader round trip of every graded notebook, on a private copy of the course.

For each module: release it, submit the reference solution (the source itself), the blank
student release and a broken file, autograde, make feedback and export.
"""

from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from conftest import copy_course
from notebooks import graded_modules, lesson_id, lessons

from servicecourse import grading
from servicecourse.build import leaks
from servicecourse.classroom import learn
from servicecourse.paths import find_module

pytestmark = pytest.mark.slow

LESSONS = lessons()


def hidden_only_lines(module) -> dict[str, str]:
    """Hidden-test lines that a learner could not have written as part of a solution."""
    hidden = leaks.secret_lines([module], leaks.HIDDEN_TESTS)
    solutions = leaks.secret_lines([module], leaks.SOLUTIONS)
    return {
        line: origin
        for line, origin in hidden.items()
        if not any(line in solution for solution in solutions)
    }


class Graded:
    """One module's course after the round trip, shared by the tests of that module."""

    def __init__(self, course: Path, module):
        self.course, self.module = course, module
        grading.release([module], course)
        self.release = course / "release" / module.name
        submitted = course / "submitted"
        ignore = shutil.ignore_patterns("dashboards", "README.md")
        shutil.copytree(module.path, submitted / "reference" / module.name, ignore=ignore)
        shutil.copytree(self.release, submitted / "blank" / module.name, ignore=ignore)
        broken = submitted / "broken" / module.name
        broken.mkdir(parents=True)
        for notebook in module.lessons:
            (broken / notebook.name).write_text('{"cells": [ this is not JSON')
        self.report = grading.autograde(module, course)
        self.feedback = grading.feedback(module, course, students=["reference", "blank"])

    def scores(self, student: str, notebook: Path) -> dict[str, dict]:
        prefix = notebook.stem + "/"
        every = grading.scores(self.module, student, self.course)
        return {k: v for k, v in every.items() if k.startswith(prefix)}


@pytest.fixture(scope="session")
def graded(tmp_path_factory):
    cache = {}

    def get(module) -> Graded:
        if module.name not in cache:
            course = copy_course(tmp_path_factory.mktemp(f"course-{module.name}"))
            cache[module.name] = Graded(course, module)
        return cache[module.name]

    return get


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_reference_solution_scores_full_marks(graded, item):
    module, notebook = item
    scores = graded(module).scores("reference", notebook)
    auto = {k: v for k, v in scores.items() if v["auto"]}
    assert all(v["score"] == v["max_score"] for v in auto.values()), auto
    manual = {k: v for k, v in scores.items() if not v["auto"]}
    assert all(v["needs_manual_grade"] for v in manual.values()), manual


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_blank_release_scores_zero(graded, item):
    module, notebook = item
    scores = graded(module).scores("blank", notebook)
    auto = {k: v for k, v in scores.items() if v["auto"]}
    assert all(v["score"] == 0 for v in auto.values()), auto


@pytest.mark.parametrize("module", graded_modules(), ids=lambda m: m.name)
def test_broken_submission_is_reported_and_others_graded(graded, module):
    result = graded(module)
    assert sorted(result.report.graded) == ["blank", "reference"]
    assert "not a valid notebook (damaged JSON)" in result.report.failed["broken"]
    assert "broken: no notebook of this module could be read" in result.report.summary()


@pytest.mark.parametrize("module", graded_modules(), ids=lambda m: m.name)
def test_no_secret_reaches_release_or_feedback(graded, module):
    result = graded(module)
    secrets = leaks.secret_lines([module])
    assert secrets, "a graded module has solution or hidden-test lines to protect"
    assert not leaks.find_in_tree(result.release, secrets)
    assert sorted(result.feedback.graded) == ["blank", "reference"]
    feedback = result.course / "feedback"
    assert list(feedback.rglob("*.html"))
    # The blank learner sees neither; the reference learner wrote the solutions themselves.
    assert not leaks.find_in_tree(feedback / "blank", secrets)
    hidden = hidden_only_lines(module)
    assert hidden, "every graded module has hidden tests"
    assert not leaks.find_in_tree(feedback / "reference", hidden)


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_release_keeps_every_cell_and_clears_answers(graded, item):
    module, notebook = item
    source = nbformat.read(notebook, as_version=4)
    released = nbformat.read(graded(module).release / notebook.name, as_version=4)
    assert len(released.cells) == len(source.cells)
    for cell in released.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and cell.cell_type == "code":
            assert "raise NotImplementedError()" in cell.source
        assert "BEGIN HIDDEN TESTS" not in cell.source
        assert "BEGIN SOLUTION" not in cell.source


@pytest.mark.parametrize("module", graded_modules(), ids=lambda m: m.name)
def test_export_has_a_row_per_student(graded, module, tmp_path):
    result = graded(module)
    target = grading.export(tmp_path / "grades.csv", result.course)
    rows = list(csv.DictReader(target.open()))
    students = {row["student_id"]: row for row in rows if row["assignment"] == module.name}
    assert set(students) == {"blank", "reference", "broken"}
    assert float(students["blank"]["score"]) == 0
    assert float(students["reference"]["score"]) > 0


def test_failing_hidden_test_is_not_quoted_in_feedback(tmp_path):
    """A right-looking but wrong answer fails a hidden test; its lines must stay hidden."""
    module = find_module("01_intro")
    course = copy_course(tmp_path / "course")
    grading.release([module], course)
    name = "01_how_this_course_works.ipynb"
    nb = nbformat.read(module.path / name, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "training_days":
            # Forgets to count the last day: passes the visible tests, fails the hidden ones.
            cell.source = cell.source.replace(".dt.days + 1", ".dt.days")
    target = course / "submitted" / "off_by_one" / module.name
    target.mkdir(parents=True)
    nbformat.write(nb, target / name)
    assert grading.autograde(module, course).graded == ["off_by_one"]
    scores = grading.scores(module, "off_by_one", course)
    assert scores["01_how_this_course_works/test_training_days"]["score"] == 0
    assert scores["01_how_this_course_works/test_longest_training"]["score"] == 1
    grading.feedback(module, course)
    html = (course / "feedback" / "off_by_one" / module.name / name).with_suffix(".html")
    text = leaks.as_plain_text(html.read_text())
    assert "Your feedback at a glance" in text and "test_training_days" in text
    assert not leaks.find_in_text(html.read_text(), hidden_only_lines(module))


def test_tampered_test_cell_is_restored_from_the_source(tmp_path):
    module = find_module("01_intro")
    course = copy_course(tmp_path / "course")
    grading.release([module], course)
    name = "01_how_this_course_works.ipynb"
    nb = nbformat.read(course / "release" / module.name / name, as_version=4)
    for cell in nb.cells:
        if cell.metadata.get("nbgrader", {}).get("grade"):
            cell.source = "pass  # a learner emptied the test"
    target = course / "submitted" / "tamperer" / module.name
    target.mkdir(parents=True)
    nbformat.write(nb, target / name)
    grading.autograde(module, course)
    scores = grading.scores(module, "tamperer", course)
    assert all(v["score"] == 0 for v in scores.values() if v["auto"])


def test_import_submissions_accepts_both_layouts(tmp_path):
    module = find_module("01_intro")
    course = copy_course(tmp_path / "course")
    incoming = tmp_path / "incoming"
    (incoming / "anna" / module.name).mkdir(parents=True)
    (incoming / "anna" / module.name / "a.ipynb").write_text("{}")
    (incoming / "ben").mkdir(parents=True)
    (incoming / "ben" / "a.ipynb").write_text("{}")
    # A link in a learner's folder would make the grader copy its own files.
    secret = tmp_path / "secret.txt"
    secret.write_text("gradebook password")
    (incoming / "ben" / "b.ipynb").symlink_to(secret)
    (incoming / "ben" / "up").symlink_to(tmp_path)
    assert grading.import_submissions(incoming, module, course) == ["anna", "ben"]
    ben = course / "submitted" / "ben" / module.name
    assert (ben / "a.ipynb").exists()
    assert sorted(p.name for p in ben.iterdir()) == ["a.ipynb"]


def test_exchange_round_trip_release_fetch_submit_collect(tmp_path):
    """The way a class on one machine or hub works: through the exchange inside the course."""
    module = find_module("01_intro")
    course = copy_course(tmp_path / "course")
    grading.release([module], course, exchange=True)
    exchange = course / "exchange"
    assert (exchange / "servicecourse" / "outbound" / module.name).is_dir()

    workspace = tmp_path / "learner"
    learn.write_learner_config(workspace, exchange)
    nbgrader = [str(Path(sys.executable).parent / "nbgrader")]
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for step in ("fetch_assignment", "submit"):
        done = subprocess.run(
            [*nbgrader[:1], step, module.name],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stderr
    # With Exchange.path_includes_course, fetched work sits in a folder named after the course.
    assert (workspace / "servicecourse" / module.name / "01_how_this_course_works.ipynb").exists()

    grading.collect(module, course)
    students = grading.submitted_students(module, course)
    assert len(students) == 1
    report = grading.autograde(module, course)
    assert report.graded == students and not report.failed
