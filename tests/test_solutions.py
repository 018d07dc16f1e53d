"""Solutions after the deadline: solutions in, hidden tests out; through the exchange and into a
class-only edition of the book, never into the public build."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from conftest import copy_course
from notebooks import graded_modules

from servicecourse.build import book, leaks
from servicecourse.grading import solutions
from servicecourse.paths import CourseError, GradingCourse, Module, all_modules, layout

MODULE = graded_modules()[0]


def _texts(folder):
    return {p.name: leaks.notebook_text(p) for p in sorted(folder.glob("*.ipynb"))}


def test_a_solution_notebook_has_solutions_and_no_hidden_test(tmp_path):
    course = copy_course(tmp_path / "course")
    written = solutions.make_solutions(MODULE, course)
    assert [p.name for p in written] == [p.name for p in MODULE.lessons]
    hidden = leaks.secret_lines([MODULE], leaks.HIDDEN_TESTS)
    answers = leaks.secret_lines([MODULE], leaks.SOLUTIONS)
    folder = solutions.solutions_folder(MODULE, course)
    assert not leaks.find_in_tree(folder, {k: v for k, v in hidden.items() if k not in answers})
    assert leaks.find_in_tree(folder, answers), "the reference answers are there"
    for name, text in _texts(folder).items():
        assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text, name
    nb = nbformat.read(written[0], as_version=4)
    assert "released after the deadline" in nb.cells[0].source
    assert not any("nbgrader" in c.metadata for c in nb.cells), "not an assignment to submit"


def test_learners_fetch_published_solutions_from_the_exchange(tmp_path):
    course = copy_course(tmp_path / "course")
    name = solutions.publish_solutions(MODULE, course)
    assert name == f"{MODULE.name}_solutions"
    learner = tmp_path / "learner"
    learner.mkdir()
    exchange = GradingCourse(course).exchange
    fetched = subprocess.run(
        [
            sys.executable,
            "-m",
            "nbgrader",
            "fetch_assignment",
            name,
            "--course",
            "servicecourse",
            f"--Exchange.root={exchange}",
            "--Exchange.path_includes_course=True",
        ],
        cwd=learner,
        capture_output=True,
        text=True,
    )
    assert fetched.returncode == 0, fetched.stderr
    got = learner / "servicecourse" / name  # the exchange includes the course id
    assert sorted(p.name for p in got.glob("*.ipynb")) == [p.name for p in MODULE.lessons]
    hidden = leaks.secret_lines([MODULE], leaks.HIDDEN_TESTS)
    answers = leaks.secret_lines([MODULE], leaks.SOLUTIONS)
    assert not leaks.find_in_tree(got, {k: v for k, v in hidden.items() if k not in answers})


def test_a_module_without_lessons_has_no_solutions(tmp_path):
    empty = Module(tmp_path / "98_empty")
    empty.path.mkdir()
    with pytest.raises(CourseError, match="no lesson"):
        solutions.make_solutions(empty, copy_course(tmp_path / "course"))


def test_class_edition_shows_solutions_and_never_hidden_tests():
    """Its pages, as Jupyter Book gets them (the build itself is the instructor edition's, tested
    in test_book); the public book's own leak check refuses any solution line."""
    sources = book.build_class_edition([MODULE], log=lambda *_: None, run=False)
    assert sources.is_relative_to(layout().class_html)
    pages = sources / layout().pages.name
    answers = leaks.secret_lines([MODULE], leaks.SOLUTIONS)
    assert leaks.find_in_tree(pages / MODULE.name, answers), "the class sees the solutions"
    for other in (m for m in all_modules() if m.lessons and m.name != MODULE.name):
        assert not leaks.find_in_tree(pages / other.name, leaks.secret_lines([other])), other.name
    hidden = leaks.secret_lines(all_modules(), leaks.HIDDEN_TESTS)
    solution_lines = leaks.secret_lines(all_modules(), leaks.SOLUTIONS)
    only_hidden = {k: v for k, v in hidden.items() if k not in solution_lines}
    assert not leaks.find_in_tree(sources, only_hidden)
    config = (sources / "_config.yml").read_text()
    assert "Class edition" in config and MODULE.name in config
