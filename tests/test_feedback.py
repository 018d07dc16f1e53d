"""Feedback that teaches: each failed check's hint, what to reread, and a Moodle comment.

A synthetic one-lesson module (98_feedback) is graded for three learners: the reference, a
learner with one plausible mistake, and a learner whose notebook cannot be read.
"""

from __future__ import annotations

import csv

import nbformat
import pytest
from kit.synthetic import answer_cell, synthetic_course, test_cell
from nbformat.v4 import new_markdown_cell, new_notebook

from servicecourse import grading
from servicecourse.build import leaks
from servicecourse.grading import hints, reports
from servicecourse.paths import GradingCourse

pytestmark = pytest.mark.slow

NAME, LESSON = "98_feedback", "01_days.ipynb"
EXPECTED = 417  # a value no hint or sentence of the feedback may show


def source_notebook():
    return new_notebook(
        cells=[
            new_markdown_cell("# Days\n\nAfter this lesson you can count days."),
            new_markdown_cell("## Counting the days of a training"),
            answer_cell("days", "days = 416 + 1"),
            test_cell(
                "test_days",
                'assert isinstance(days, int), "days should be a whole number"',
                f'assert days == {EXPECTED}, "count both the first and the last day"',
            ),
            new_markdown_cell("## The longest training"),
            answer_cell("longest", 'longest = "07_wellbeing"'),
            test_cell(
                "test_longest",
                'assert isinstance(longest, str), "longest should be a module name"',
                'assert longest == "07_wellbeing", "compare durations, not start dates"',
                points=1,
            ),
        ],
        metadata={
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("feedback")
    course, module = synthetic_course(root, NAME, LESSON, source_notebook())
    modules = module.path.parent
    grading.release([module], course)
    folders = GradingCourse(course)
    reference = nbformat.read(modules / NAME / LESSON, as_version=4)
    mistaken = nbformat.read(modules / NAME / LESSON, as_version=4)
    mistaken.cells[2].source = "days = 416"  # forgets the last day
    for student, nb in {"p1000001": reference, "p1000002": mistaken}.items():
        folder = folders.folder("submitted", student, NAME)
        folder.mkdir(parents=True)
        nbformat.write(nb, folder / LESSON)
    broken = folders.folder("submitted", "p1000003", NAME)
    broken.mkdir(parents=True)
    (broken / LESSON).write_text('{"cells": [ not JSON')
    result = grading.grade_a_class([module], course, workers=2, progress=False, log=lambda *_: None)
    return course, module, result


def _feedback_text(course, student) -> str:
    html = GradingCourse(course).folder("feedback", student, NAME) / "01_days.html"
    return leaks.as_plain_text(html.read_text())


def test_feedback_names_the_failed_check_with_its_hint(graded):
    course, _, _ = graded
    text = _feedback_text(course, "p1000002")
    assert "Your feedback at a glance" in text
    assert "test_days" in text and "count both the first and the last day" in text
    assert "Counting the days of a training" in text  # what to reread
    assert str(EXPECTED) not in text
    assert "BEGIN HIDDEN TESTS" not in text and "days ==" not in text
    # The check that passed is not listed among those to revisit.
    assert "compare durations" not in text


def test_full_marks_say_so(graded):
    course, _, _ = graded
    assert "Every autograded check passed" in _feedback_text(course, "p1000001")


def test_moodle_comment_says_the_same_in_short(graded):
    course, _, result = graded
    rows = {r["Identifier"]: r for r in csv.DictReader(result.moodle_sheets[NAME].open())}
    mistaken = rows["Participant 1000002"]["Feedback comments"]
    assert "Autograded 1 / 3 points" in mistaken
    assert "test_days: count both the first and the last day" in mistaken
    assert str(EXPECTED) not in mistaken
    assert "Every autograded check passed" in rows["Participant 1000001"]["Feedback comments"]


def test_a_learner_who_could_not_be_graded_gets_a_row_that_says_why(graded):
    _, _, result = graded
    rows = {r["Identifier"]: r for r in csv.DictReader(result.moodle_sheets[NAME].open())}
    row = rows["Participant 1000003"]
    assert row["Grade"] == ""
    assert row["Feedback comments"].startswith("Not graded:")
    assert "not a valid notebook" in row["Feedback comments"]
    assert reports.NOT_GRADED_ADVICE in row["Feedback comments"]


def test_summary_lists_what_to_reread_once():
    nb = source_notebook()
    for index in (3, 6):
        nb.cells[index].metadata.nbgrader.update(score=0, points=1)
        nb.cells[index].outputs = [
            nbformat.v4.new_output("error", ename="AssertionError", evalue="x", traceback=[])
        ]
    checks = hints.failed_checks(nb)
    assert [c.grade_id for c in checks] == ["test_days", "test_longest"]
    assert all(c.hint == hints.GENERAL for c in checks)  # "x" is not a declared hint
    text = hints.summary_markdown(checks, 0, 3)
    assert "*Counting the days of a training*; *The longest training*" in text
