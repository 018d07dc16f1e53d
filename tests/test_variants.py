"""Every graded cell tells right from wrong: its answer variants go through its tests.

Each notebook runs once, in one kernel, with its variants (``servicecourse.grading.variants``):
plausible wrong answers must fail with a hint, correct alternatives must pass, hints must be
plain text that gives no expected value away, and every autograded cell has variants.
"""

from __future__ import annotations

import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
import pytest
from notebooks import graded_modules, lessons

from servicecourse.grading import hints, variants
from servicecourse.paths import CourseError

LESSONS = lessons()


@pytest.mark.parametrize("module", graded_modules(), ids=lambda m: m.name)
def test_variants_tell_right_from_wrong(module):
    """A module's notebooks two at a time (one kernel each), every variant of each."""
    with ThreadPoolExecutor(max_workers=2) as pool:
        reports = list(pool.map(variants.run_variants, module.lessons))
    bad = [variants.describe(report) for report in reports if not report.ok]
    assert not bad, "\n".join(bad)
    assert sum(len(report.outcomes) for report in reports) >= 3, "the module has variants"


def test_a_variant_file_names_only_answer_cells(tmp_path):
    source = Path(LESSONS[0][1])
    copy = tmp_path / source.name
    copy.write_bytes(source.read_bytes())
    (tmp_path / "variants").mkdir()
    (tmp_path / "variants" / f"{copy.stem}.yml").write_text("no_such_cell:\n  wrong: []\n")
    with pytest.raises(CourseError, match="not an autograded answer cell"):
        variants.load_variants(copy)


def test_hints_must_be_plain_text():
    cell = textwrap.dedent(
        """\
        assert isinstance(x, float), "x should be a number"
        ### BEGIN HIDDEN TESTS
        assert x > 1
        assert x == 42.5, f"expected {42.5}"
        assert x < 100, "reconsider which rows you count"
        ### END HIDDEN TESTS
        """
    )
    problems = hints.hint_problems(cell)
    assert len(problems) == 2
    assert "no hint" in problems[0] and "computed message" in problems[1]
    assert hints.hint_of_failure(cell, "reconsider which rows you count")
    assert hints.hint_of_failure(cell, "expected 42.5") is None
    assert hints.hint_of_failure(cell, "") is None


def test_a_hint_may_not_give_the_answer_away():
    expected = hints.expected_values({"rate": 72.35, "answer": "c"})
    assert hints.revealing("the rate should be 72.35", expected)
    assert hints.revealing("the rate should be 72,4", expected) == []  # not a value it holds
    assert hints.revealing("it is option c", expected)
    assert hints.revealing('choose "c"', expected)
    assert not hints.revealing("count each of the two night windows", expected)


def test_bound_names_cover_assignments_and_functions():
    code = "import pandas as pd\na, (b, c) = 1, (2, 3)\nd: int = 4\ndef f(x):\n    y = x\n"
    assert variants.bound_names(code) == ["a", "b", "c", "d", "f"]


def test_variants_never_reach_learners(tmp_path):
    from conftest import copy_course

    from servicecourse import grading
    from servicecourse.paths import all_modules

    with_variants = [m for m in all_modules() if (m.path / variants.FOLDER).is_dir()]
    if not with_variants:
        pytest.skip("no module has variants yet")
    module = with_variants[0]
    course = copy_course(tmp_path / "course")
    grading.release([module], course)
    released = course / "release" / module.name
    assert released.is_dir()
    assert not (released / variants.FOLDER).exists()
    assert not list(released.rglob("*.yml"))
    nb = nbformat.read(next(released.glob("*.ipynb")), as_version=4)
    assert nb.cells
