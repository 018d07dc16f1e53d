"""What every graded cell of the course must be, checked on the sources (the variants test runs
them): no shortcut through the package, multiple choice that tells something."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from notebooks import graded_modules, lesson_id, lessons

from servicecourse.grading import hints

LESSONS = lessons()
# Learners' tools that a hidden test may use: loading the lesson's data.
ALLOWED_IN_HIDDEN_TESTS = {"datasets"}
OPTION = re.compile(r"^\s*[-*]\s+\*\*\(?([a-d])\)?[).:]?\*\*[).:]?\s+(.*)$")


def _package_names(nb) -> set[str]:
    """Names a notebook binds to the course package or to something imported from it."""
    names = set()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        try:
            tree = ast.parse(cell.source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("servicecourse"):
                names |= {alias.asname or alias.name for alias in node.names}
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("servicecourse"):
                        names.add((alias.asname or alias.name).split(".")[0])
    return names - ALLOWED_IN_HIDDEN_TESTS


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_hidden_tests_compute_expected_values_inline(item):
    """No hidden test compares with a package function: learners have the package."""
    _, notebook = item
    nb = nbformat.read(notebook, as_version=4)
    package = _package_names(nb)
    found = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        _, hidden = hints.split_test_cell(cell.source)
        used = {n.id for n in ast.walk(ast.parse(hidden)) if isinstance(n, ast.Name)}
        if used & package:
            found.append(f"{meta['grade_id']} uses {sorted(used & package)}")
        if "servicecourse" in hidden:
            found.append(f"{meta['grade_id']} imports the package")
    assert not found, "compute the expected value in the hidden test itself: " + "; ".join(found)


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_lessons_never_use_the_teachers_measures(item):
    _, notebook = item
    text = notebook.read_text(encoding="utf-8")
    assert "classroom" not in text or "servicecourse.classroom" not in text, notebook.name


def multiple_choice(nb) -> list[tuple[str, str, dict[str, str]]]:
    """(grade id, key, options by letter) of each multiple-choice answer cell."""
    found = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        key = re.search(r"^answer_\w+\s*=\s*['\"]([a-dA-D])['\"]", cell.source, re.M)
        if not key:
            continue
        options: dict[str, str] = {}
        for previous in reversed(nb.cells[:index]):
            if previous.cell_type != "markdown":
                continue
            letter = None
            for line in previous.source.splitlines():
                match = OPTION.match(line)
                if match:
                    letter = match[1]
                    options[letter] = match[2].strip()
                elif letter and line.startswith("  ") and line.strip():
                    options[letter] += " " + line.strip()
                else:
                    letter = None
            if options:
                break
        found.append((meta["grade_id"], key[1].lower(), options))
    return found


@pytest.mark.parametrize("module", graded_modules(), ids=lambda m: m.name)
def test_multiple_choice_keys_tell_something(module):
    questions = [q for nb in module.lessons for q in multiple_choice(nbformat.read(nb, 4))]
    if not questions:
        pytest.skip(f"{module.name} has no multiple-choice question")
    keys = [key for _, key, _ in questions]
    if len(questions) >= 4:
        assert set(keys) == {"a", "b", "c", "d"}, f"keys across {module.name}: {keys}"
    else:
        assert len(set(keys)) == len(keys), f"keys across {module.name}: {keys}"
    longest = []
    for grade_id, key, options in questions:
        assert key in options, f"{grade_id}: options a-d not found before the answer cell"
        lengths = {letter: len(text) for letter, text in options.items()}
        if (
            lengths[key] == max(lengths.values())
            and list(lengths.values()).count(lengths[key]) == 1
        ):
            longest.append(grade_id)
    assert len(longest) <= len(questions) / 2, (
        f"the right option is the longest in {longest} of {len(questions)} questions: "
        "a learner who picks the longest option should not pass"
    )
