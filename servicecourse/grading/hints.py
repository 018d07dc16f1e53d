"""Hints: what a failed test tells the learner, without the test or the expected value.

An assert's message is its hint. Only messages written as plain string literals in the test
cell are ever shown; anything else a failure prints (a pandas diff, a KeyError naming a value,
an f-string) is replaced by a general sentence, because it may carry the expected answer.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

BEGIN_HIDDEN = "### BEGIN HIDDEN TESTS"
END_HIDDEN = "### END HIDDEN TESTS"
GENERAL = (
    "a test of this cell failed. Visible tests check the form of your answer; hidden tests "
    "check its content. Re-read the task and your answer."
)


def split_test_cell(source: str) -> tuple[str, str]:
    """(visible part, hidden block) of a test cell's source."""
    if BEGIN_HIDDEN not in source:
        return source, ""
    before, _, rest = source.partition(BEGIN_HIDDEN)
    hidden, _, after = rest.partition(END_HIDDEN)
    return before + after, hidden


def _asserts(code: str) -> list[ast.Assert]:
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    return [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]


def _literal(node: ast.expr | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def declared_hints(source: str) -> set[str]:
    """The literal messages of every assert of a test cell: the only texts feedback shows."""
    visible, hidden = split_test_cell(source)
    return {
        message
        for part in (visible, hidden)
        for node in _asserts(part)
        if (message := _literal(node.msg))
    }


def hint_problems(source: str) -> list[str]:
    """What is wrong with a test cell's hidden asserts as hints (empty when all is well)."""
    _, hidden = split_test_cell(source)
    problems = []
    for node in _asserts(hidden):
        line = ast.unparse(node.test)[:60]
        if node.msg is None:
            problems.append(f"hidden assert `{line}` has no hint: add a message that teaches")
        elif _literal(node.msg) is None:
            problems.append(
                f"hidden assert `{line}` has a computed message: a hint must be a plain string "
                "(an f-string or a variable could show the expected value)"
            )
        elif not _literal(node.msg).strip():
            problems.append(f"hidden assert `{line}` has an empty hint")
    return problems


def hint_of_failure(source: str, evalue: str) -> str | None:
    """The hint to show for a failure of the cell, or None when its text is not a declared one."""
    text = (evalue or "").strip()
    return text if text and text in {h.strip() for h in declared_hints(source)} else None


_NUMBER = re.compile(r"(?<![\w.])-?\d+(?:[.,]\d+)?(?![\w])")


def _numbers(text: str) -> set[float]:
    found = set()
    for match in _NUMBER.findall(text):
        try:
            found.add(float(match.replace(",", ".")))
        except ValueError:
            pass
    return found


@dataclass
class ExpectedValues:
    """What a cell's reference answer holds, as far as a hint could give it away."""

    numbers: set[float]
    letters: set[str]  # multiple-choice keys


def revealing(hint: str, expected: ExpectedValues) -> list[str]:
    """The parts of the expected answer that a hint names."""
    found = []
    # Small counts (0-10) are common words in hints ("one decimal", "both windows").
    for number in _numbers(hint):
        if abs(number) > 10 and any(abs(number - value) < 1e-9 for value in expected.numbers):
            found.append(f"the number {number:g}")
    for letter in expected.letters:
        pattern = rf"(['\"]{letter}['\"]|\boption {letter}\b|\({letter}\)|\banswer {letter}\b)"
        if re.search(pattern, hint, flags=re.IGNORECASE):
            found.append(f"the key {letter!r}")
    return found


def expected_values(values) -> ExpectedValues:
    """Numbers and letters of an answer given as plain data (see ``variants``)."""
    numbers: set[float] = set()
    letters: set[str] = set()

    def walk(value):
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            numbers.add(float(value))
            numbers.add(round(float(value), 1))
            numbers.add(round(float(value), 2))
        elif isinstance(value, str):
            if len(value.strip()) == 1 and value.strip().isalpha():
                letters.add(value.strip().lower())
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, (list, tuple)):
            for item in value:
                walk(item)

    walk(values)
    return ExpectedValues(numbers, letters)


# -- what feedback says about the checks a learner did not pass ------------------------------
@dataclass
class FailedCheck:
    grade_id: str
    score: float
    points: float
    hint: str  # a declared hint, or the general sentence
    revisit: str  # the lesson section the exercise belongs to


def _heading_before(nb, index: int) -> str:
    for cell in reversed(nb.cells[:index]):
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    return line.lstrip("#").strip()
    return ""


def _answer_before(nb, index: int) -> int:
    for i in range(index - 1, -1, -1):
        if nb.cells[i].metadata.get("nbgrader", {}).get("solution"):
            return i
    return index


def failed_checks(nb, scores: dict[str, tuple[float, float]] | None = None) -> list[FailedCheck]:
    """The autograded checks of a graded notebook that lost points, each with its hint.

    SCORES maps grade ids to (score, points); without it, the scores nbgrader's GetGrades put
    in the cells' metadata are used.
    """
    found = []
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or not meta.get("grade"):
            continue
        grade_id = meta["grade_id"]
        if scores is not None:
            if grade_id not in scores:
                continue
            score, points = scores[grade_id]
        else:
            score, points = meta.get("score"), meta.get("points")
        if score is None or points is None or score >= points:
            continue
        errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        hint = None
        if errors and errors[0].get("ename") == "AssertionError":
            hint = hint_of_failure(cell.source, errors[0].get("evalue", ""))
        if hint is None and errors and errors[0].get("ename") == "NotImplementedError":
            hint = "not answered yet: replace `raise NotImplementedError()` with your answer"
        if hint is None and errors and "not answered yet" in errors[0].get("evalue", ""):
            hint = errors[0]["evalue"]
        heading = _heading_before(nb, _answer_before(nb, index))
        found.append(FailedCheck(grade_id, score, points, hint or GENERAL, heading))
    return found


def summary_markdown(checks: list[FailedCheck], score, max_score) -> str:
    """The first cell of a feedback notebook: the checks to revisit and what to reread."""
    lines = ["## Your feedback at a glance", ""]
    if score is not None and max_score:
        lines.append(f"You scored **{score:g} of {max_score:g}** points in this notebook.")
        lines.append("")
    if not checks:
        lines.append("Every autograded check passed.")
        return "\n".join(lines)
    lines.append("**Checks to revisit** (the hint says what to reconsider):")
    lines.append("")
    for check in checks:
        where = f" Revisit *{check.revisit}*." if check.revisit else ""
        lines.append(
            f"- `{check.grade_id}` ({check.score:g} of {check.points:g}): {check.hint}{where}"
        )
    sections = list(dict.fromkeys(c.revisit for c in checks if c.revisit))
    if sections:
        lines += ["", "**To reread**: " + "; ".join(f"*{s}*" for s in sections) + "."]
    return "\n".join(lines)


def short_comment(checks: list[FailedCheck], limit: int = 600) -> str:
    """The same in one line, for a gradebook comment."""
    if not checks:
        return "Every autograded check passed."
    parts = [f"{c.grade_id}: {c.hint}" for c in checks]
    text = "To revisit: " + " | ".join(parts)
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
