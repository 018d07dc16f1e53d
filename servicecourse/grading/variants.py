"""Answer variants: proof that each graded cell tells right from wrong.

Next to each source notebook, ``variants/<notebook stem>.yml`` lists for an answer cell (by
its grade id) plausible wrong answers and correct alternatives. They are kept with the source
and never released (nbgrader ignores the folder; tests check the release, book and branch).
:func:`run_variants` executes the notebook once, in one kernel, with the reference solutions;
at each answer cell it first runs every variant in its place, each followed by the cell's test
cells (visible and hidden), and records what happened. A wrong variant must fail with a hint
(an assert message); a right one must pass. Then the reference runs and the lesson goes on.

    python -m servicecourse.grading.variants modules/03_basics/04_service_desk_measures.ipynb
"""

from __future__ import annotations

import ast
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import yaml

from ..build.kernels import PrivateSocketKernelManager
from ..paths import CourseError
from . import hints

FOLDER = "variants"
KINDS = ("wrong", "right")
MIN_WRONG, MIN_RIGHT = 2, 1


@dataclass
class Variant:
    grade_id: str
    kind: str  # "wrong" or "right"
    why: str
    code: str


@dataclass
class Outcome:
    variant: Variant
    passed: bool
    failure: str = ""  # "AssertionError: <message>" of the first failing test
    hint: str | None = None  # the declared hint a learner would see

    @property
    def as_expected(self) -> bool:
        if self.variant.kind == "right":
            return self.passed
        return not self.passed and self.hint is not None


@dataclass
class Report:
    notebook: Path
    outcomes: list[Outcome] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # everything a test should refuse

    @property
    def ok(self) -> bool:
        return not self.problems and all(o.as_expected for o in self.outcomes)


def variants_file(notebook: Path) -> Path:
    return notebook.parent / FOLDER / f"{notebook.stem}.yml"


@dataclass
class GradedCell:
    """An answer cell and the test cells that grade it."""

    grade_id: str
    answer_index: int
    test_indices: list[int]


def graded_cells(nb) -> list[GradedCell]:
    """Autograded answer cells: a code solution cell followed by graded code test cells."""
    found: list[GradedCell] = []
    current: GradedCell | None = None
    for index, cell in enumerate(nb.cells):
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            current = GradedCell(meta["grade_id"], index, [])
            found.append(current)
        elif cell.cell_type == "code" and meta.get("grade") and current is not None:
            current.test_indices.append(index)
    return [cell for cell in found if cell.test_indices]


def load_variants(notebook: Path, nb=None) -> dict[str, list[Variant]]:
    """The variants of a notebook by grade id, refusing a file that does not fit it."""
    path = variants_file(notebook)
    if not path.exists():
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        raise CourseError(f"{path} is not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise CourseError(f"{path}: expected a mapping of answer grade ids to variants")
    nb = nb or nbformat.read(notebook, as_version=4)
    known = {cell.grade_id for cell in graded_cells(nb)}
    result: dict[str, list[Variant]] = {}
    for grade_id, entry in data.items():
        if grade_id not in known:
            raise CourseError(
                f"{path}: {grade_id!r} is not an autograded answer cell of {notebook.name} "
                f"(those are: {', '.join(sorted(known))})"
            )
        if not isinstance(entry, dict) or set(entry) - set(KINDS):
            raise CourseError(f"{path}: {grade_id} must have only 'wrong' and 'right' lists")
        for kind in KINDS:
            for item in entry.get(kind) or []:
                if not isinstance(item, dict) or not {"why", "code"} <= set(item):
                    raise CourseError(
                        f"{path}: each {kind} variant of {grade_id} needs 'why' and 'code'"
                    )
                result.setdefault(grade_id, []).append(
                    Variant(grade_id, kind, str(item["why"]), str(item["code"]))
                )
    return result


def coverage_problems(notebook: Path) -> list[str]:
    """Answer cells without the variants the standard asks for."""
    nb = nbformat.read(notebook, as_version=4)
    variants = load_variants(notebook, nb)
    problems = []
    for cell in graded_cells(nb):
        mine = variants.get(cell.grade_id, [])
        wrong = sum(v.kind == "wrong" for v in mine)
        right = sum(v.kind == "right" for v in mine)
        if wrong < MIN_WRONG or right < MIN_RIGHT:
            problems.append(
                f"{notebook.name}: {cell.grade_id} has {wrong} wrong and {right} right "
                f"variant(s); add at least {MIN_WRONG} wrong and {MIN_RIGHT} right in "
                f"{variants_file(notebook).relative_to(notebook.parent.parent)}"
            )
    return problems


def bound_names(code: str) -> list[str]:
    """Names an answer cell defines: forgotten before each variant, so none inherits them."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return []
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        for target in getattr(node, "targets", []) + [getattr(node, "target", None)]:
            for sub in ast.walk(target) if target is not None else []:
                if isinstance(sub, ast.Name):
                    names.add(sub.id)
    return sorted(names)


_AS_DATA = """
import json as _json
def _plain(value, _depth=0):
    import numpy as _np
    if hasattr(value, "to_numpy"):
        value = value.to_numpy().ravel().tolist()[:2000]
    elif isinstance(value, _np.ndarray):
        value = value.ravel().tolist()[:2000]
    elif isinstance(value, _np.generic):
        value = value.item()
    if isinstance(value, dict):
        return {str(k): _plain(v, _depth + 1) for k, v in list(value.items())[:2000]}
    if isinstance(value, (list, tuple, set)):
        return [_plain(v, _depth + 1) for v in list(value)[:2000]]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return None
print("@@answer@@" + _json.dumps({n: _plain(globals().get(n)) for n in %r}))
"""


def _forget(names: list[str]) -> str:
    return f"for _name in {names!r}:\n    globals().pop(_name, None)\n"


def run_variants(notebook: Path, timeout: int = 120) -> Report:
    """Execute NOTEBOOK with its variants in one kernel (see the module's docstring)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = Path(notebook).resolve()
    nb = nbformat.read(notebook, as_version=4)
    report = Report(notebook)
    report.problems += coverage_problems(notebook)
    variants = load_variants(notebook, nb)
    by_answer = {cell.answer_index: cell for cell in graded_cells(nb)}
    for cell in nb.cells:
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade"):
            report.problems += [
                f"{notebook.name}: {cell.metadata['nbgrader']['grade_id']}: {p}"
                for p in hints.hint_problems(cell.source)
            ]
    client = NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
        allow_errors=False,
        kernel_manager_class=PrivateSocketKernelManager,
    )

    def run(source: str, index: int):
        """Run SOURCE as a scratch cell; returns (error name, message) or None."""
        scratch = nbformat.v4.new_code_cell(source)
        try:
            client.execute_cell(scratch, index)
        except CellExecutionError as error:
            return error.ename, error.evalue
        return None

    with client.setup_kernel():
        for index, cell in enumerate(nb.cells):
            graded = by_answer.get(index)
            if graded is not None:
                names = bound_names(cell.source)
                for variant in variants.get(graded.grade_id, []):
                    failure = run(_forget(names) + variant.code, index)
                    if failure is None:
                        for test_index in graded.test_indices:
                            failure = run(nb.cells[test_index].source, test_index)
                            if failure:
                                failing_source = nb.cells[test_index].source
                                break
                    else:
                        failing_source = ""
                    outcome = Outcome(variant, failure is None)
                    if failure:
                        outcome.failure = f"{failure[0]}: {failure[1]}"
                        if failure[0] == "AssertionError" and failing_source:
                            outcome.hint = hints.hint_of_failure(failing_source, failure[1])
                    report.outcomes.append(outcome)
                run(_forget(names), index)
            if cell.cell_type != "code":
                continue
            try:
                client.execute_cell(cell, index)
            except CellExecutionError as error:
                report.problems.append(
                    f"{notebook.name}: cell {index} fails with the reference solution after the "
                    f"variants ran ({error.ename}: {error.evalue}); does a variant change the "
                    "lesson's data in place?"
                )
                break
            if graded is not None:
                names = bound_names(cell.source)
                values = _answer_values(client, nb, names, index)
                expected = hints.expected_values(values)
                for test_index in graded.test_indices:
                    _, hidden = hints.split_test_cell(nb.cells[test_index].source)
                    for hint in hints.declared_hints(hidden):
                        for what in hints.revealing(hint, expected):
                            report.problems.append(
                                f"{notebook.name}: a hint of {graded.grade_id} gives away "
                                f"{what}: {hint!r}"
                            )
    return report


def _answer_values(client, nb, names: list[str], index: int):
    probe = nbformat.v4.new_code_cell(_AS_DATA % (names,))
    client.execute_cell(probe, index)
    for output in probe.outputs:
        text = output.get("text", "")
        if "@@answer@@" in text:
            return json.loads(text.split("@@answer@@", 1)[1])
    return {}


def describe(report: Report) -> str:
    lines = [f"{report.notebook.name}:"]
    for outcome in report.outcomes:
        v = outcome.variant
        mark = "ok " if outcome.as_expected else "BAD"
        result = "passes" if outcome.passed else f"fails ({outcome.failure[:90]})"
        if not outcome.passed and outcome.hint is None and v.kind == "wrong":
            result += " without a hint the learner would see"
        lines.append(f"  {mark} {v.grade_id} {v.kind}: {v.why} -> {result}")
    lines += [f"  PROBLEM {problem}" for problem in report.problems]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    paths = [Path(a) for a in (argv if argv is not None else sys.argv[1:])]
    if not paths:
        print(__doc__)
        return 2
    ok = True
    for path in paths:
        report = run_variants(path)
        print(describe(report))
        ok = ok and report.ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
