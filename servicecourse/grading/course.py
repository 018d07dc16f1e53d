"""The instructor's side of the course, driven through nbgrader's own API.

Every step works on an nbgrader course folder (``autograde/`` by default); tests pass a copy
of it. One bad submission is reported and skipped: it never stops the others.
"""

from __future__ import annotations

import os
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbgrader.apps import NbGraderAPI
from nbgrader.plugins import CsvExportPlugin
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode
from traitlets.config.loader import PyFileConfigLoader

from ..paths import CourseError, GradingCourse, Module, layout
from . import hints

CONFIG_FILE = GradingCourse.CONFIG_FILE


class HideHiddenTestOutput(NbGraderPreprocessor):
    """Feedback must not quote hidden tests, and a failing hidden test's traceback would.

    What a failure shows instead is its hint: the failing assert's message when the cell
    declares it as a plain string (see ``hints``), else a general sentence. Runs before
    nbgrader's ClearHiddenTests, while the hidden block is still in the cell.
    """

    begin_test_delimeter = Unicode("BEGIN HIDDEN TESTS").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type == "code" and self.begin_test_delimeter in cell.source:
            failed = [out for out in cell.get("outputs", []) if out.get("output_type") == "error"]
            shown = []
            for out in failed[:1]:
                ename = out.get("ename", "Error")
                hint = None
                if ename == "AssertionError":
                    hint = hints.hint_of_failure(cell.source, out.get("evalue", ""))
                text = hint or hints.GENERAL
                shown.append(
                    nbformat.v4.new_output(
                        "error",
                        ename=ename,
                        evalue=text,
                        traceback=[f"{ename}: {text}"],
                    )
                )
            cell.outputs = shown
        return cell, resources


class FeedbackSummary(NbGraderPreprocessor):
    """Feedback opens with the checks that lost points, their hints and what to reread.

    Runs after nbgrader's GetGrades (which puts each cell's score in its metadata) and before
    ClearHiddenTests (the hints are read from the cells' asserts).
    """

    def preprocess(self, nb, resources):
        checks = hints.failed_checks(nb)
        score = resources.get("nbgrader", {}).get("score")
        max_score = resources.get("nbgrader", {}).get("max_score")
        summary = nbformat.v4.new_markdown_cell(hints.summary_markdown(checks, score, max_score))
        nb.cells.insert(0, summary)
        return nb, resources


def load_config(course: Path | None = None):
    course = course or layout().grading.root
    config_path = GradingCourse(course).config
    if not config_path.exists():
        raise CourseError(f"{config_path} is missing: this folder is not an nbgrader course")
    return PyFileConfigLoader(CONFIG_FILE, path=str(course)).load_config()


def put_environment_on_path() -> None:
    """nbgrader runs `alembic` as a program: it must find the one of this environment."""
    bin_dir = str(Path(sys.executable).parent)
    if bin_dir not in os.environ.get("PATH", "").split(os.pathsep):
        os.environ["PATH"] = bin_dir + os.pathsep + os.environ.get("PATH", "")


def course_api(course: Path | None = None, gradebook_url: str | None = None) -> NbGraderAPI:
    """nbgrader's API on the course; ``gradebook_url`` replaces the config's gradebook."""
    put_environment_on_path()
    config = load_config(course)
    if gradebook_url:
        config.CourseDirectory.db_url = gradebook_url
    return NbGraderAPI(config=config)


def check_result(result: dict, what: str) -> None:
    """nbgrader's API answers with a dict; a failure becomes an error the user can read."""
    if not result.get("success"):
        detail = (result.get("error") or "").strip().splitlines()
        last = detail[-1] if detail else "no detail"
        raise CourseError(f"{what} failed: {last}\n{result.get('log', '')}".rstrip())


def release(
    modules: list[Module], course: Path | None = None, exchange: bool = False
) -> list[Path]:
    """Generate the student version of each module (and publish it to the exchange)."""
    api = course_api(course)
    released = []
    for module in modules:
        if not module.lessons:
            continue  # nothing to release until the module has a lesson
        check_result(
            api.generate_assignment(module.name), f"generating the student version of {module.name}"
        )
        if exchange:
            check_result(
                api.release_assignment(module.name), f"releasing {module.name} to the exchange"
            )
        released.append(
            GradingCourse(Path(api.coursedir.root)).folder("release", module=module.name)
        )
    return released


# What nbgrader's submit adds beside the notebooks; its release_feedback files each learner's
# feedback under a hash of them, and the learner's fetch_feedback looks for that hash.
SUBMISSION_RECEIPT = ("timestamp.txt", "submission_secret.txt")


def collect(module: Module, course: Path | None = None) -> dict[str, dict[str, str]]:
    """Submissions from the exchange into submitted/; returns each learner's receipt files
    (intake sets them aside with every file that is no notebook, before grading)."""
    api = course_api(course)
    check_result(api.collect(module.name), f"collecting {module.name}")
    submitted = GradingCourse(Path(api.coursedir.root)).submitted
    receipts: dict[str, dict[str, str]] = {}
    for folder in submitted.glob(f"*/{module.name}"):
        files = {name: folder / name for name in SUBMISSION_RECEIPT}
        if all(path.exists() for path in files.values()):
            receipts[folder.parent.name] = {n: p.read_text() for n, p in files.items()}
    return receipts


def release_feedback(
    module: Module, receipts: dict[str, dict[str, str]], course: Path | None = None
) -> None:
    """Put each learner's feedback on the exchange, where their `fetch_feedback` finds it.

    nbgrader reads the submission's receipt from the feedback folder; ``receipts`` (from
    :func:`collect`) gives each learner's.
    """
    api = course_api(course)
    folders = GradingCourse(Path(api.coursedir.root))
    for student, files in receipts.items():
        for name, text in files.items():
            (folders.folder("feedback", student, module.name) / name).write_text(text)
        check_result(
            api.release_feedback(module.name, student),
            f"releasing {student}'s feedback on {module.name}",
        )


def import_submissions(folder: Path, module: Module, course: Path | None = None) -> list[str]:
    """Copy ``folder/<student>/<module>/*.ipynb`` or ``folder/<student>/*.ipynb`` to submitted/."""
    if not folder.is_dir():
        raise CourseError(f"submissions folder {folder} does not exist")
    folders = GradingCourse(Path(course_api(course).coursedir.root))
    students = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        source = student_dir / module.name if (student_dir / module.name).is_dir() else student_dir
        if not any(source.glob("*.ipynb")):
            continue
        target = folders.folder("submitted", student_dir.name, module.name)
        if target.exists():
            shutil.rmtree(target)
        # Links are left behind: following them would copy the grader's own files.
        shutil.copytree(source, target, ignore=_links)
        students.append(student_dir.name)
    if not students:
        raise CourseError(
            f"no notebooks found in {folder}: expected {folder}/<student_id>/{module.name}/*.ipynb"
        )
    return students


def _links(folder: str, names: list[str]) -> list[str]:
    return [name for name in names if os.path.islink(os.path.join(folder, name))]


@dataclass
class GradingReport:
    """Who was graded and who was not, with the reason."""

    module: str
    graded: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        lines = [f"{self.module}: {len(self.graded)} graded, {len(self.failed)} not graded"]
        lines += [f"  {student}: {reason}" for student, reason in sorted(self.failed.items())]
        return "\n".join(lines)


def failure_reason(result: dict) -> str:
    """Why nbgrader could not grade or give feedback to one learner, in a line."""
    text = (result.get("error") or "") + "\n" + (result.get("log") or "")
    if "NotJSONError" in text or "Notebook does not appear to be JSON" in text:
        return "a notebook is not valid JSON (damaged file); ask the student to submit again"
    if "nbgrader update" in text or "schema version" in text.lower():
        # nbgrader's own advice is for instructors' source notebooks, not for learners.
        return (
            "a notebook's grading metadata could not be read even after repair; ask the "
            "learner to download the lesson again, copy their answers into it and resubmit"
        )
    lines = [ln for ln in (result.get("error") or "").strip().splitlines() if ln.strip()]
    return lines[-1] if lines else "autograde failed (see the log)"


def submitted_students(module: Module, course: Path | None = None) -> list[str]:
    api = course_api(course)
    return sorted(api.get_submitted_students(module.name))


def has_assignment(api: NbGraderAPI, name: str) -> bool:
    """Whether the gradebook knows the module (it must, before anyone is graded)."""
    with api.gradebook as gb:
        return any(a.name == name for a in gb.assignments)


def feedback(
    module: Module,
    course: Path | None = None,
    students: list[str] | None = None,
    gradebook_url: str | None = None,
) -> GradingReport:
    api = course_api(course, gradebook_url)
    report = GradingReport(module.name)
    for student in students or sorted(api.get_autograded_students(module.name)):
        result = api.generate_feedback(module.name, student)
        if result.get("success"):
            report.graded.append(student)
        else:
            report.failed[student] = failure_reason(result)
    return report


def export(to: Path, course: Path | None = None, gradebook_url: str | None = None) -> Path:
    api = course_api(course, gradebook_url)
    plugin = CsvExportPlugin(parent=api)
    plugin.to = str(to)
    with api.gradebook as gb:
        plugin.export(gb)
    return to


def scores(module: Module, student: str, course: Path | None = None) -> dict[str, dict]:
    """Per graded cell of a student's submission: score, max score, and whether autograded."""
    api = course_api(course)
    result = {}
    with api.gradebook as gb:
        submission = gb.find_submission(module.name, student)
        for notebook in submission.notebooks:
            for grade in notebook.grades:
                result[f"{notebook.name}/{grade.name}"] = {
                    "score": grade.score,
                    "max_score": grade.max_score,
                    "auto": grade.cell.cell_type == "code",
                    "needs_manual_grade": grade.needs_manual_grade,
                }
    return result
