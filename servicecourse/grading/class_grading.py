"""Grading a class, the instructor's use case from end to end: bring the submissions in, grade
them, then give feedback and write the reports.

Why here and not in the command line: the steps and their order are the grading room's
knowledge (reports need the gradebook the run wrote to, feedback only the learners graded now),
and tests and other front ends call the same function.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..paths import DEFAULTS, CourseError, GradingCourse, GradingLimits, Module
from . import course as nbg
from . import intake, pipeline, reports


@dataclass
class ClassGrading:
    """What a grading of a class produced, for the caller to show."""

    run: pipeline.ClassRun
    summary_page: Path
    grades_csv: Path
    feedback_dir: Path
    moodle_sheets: dict[str, Path] = field(default_factory=dict)
    not_in_moodle: dict[str, list[str]] = field(default_factory=dict)


def grade_a_class(
    modules: list[Module],
    course: Path,
    *,
    submissions: Path | None = None,
    moodle_zip: Path | None = None,
    gradebook_url: str | None = None,
    report_dir: Path | None = None,
    students: list[str] | None = None,
    notebook: str | None = None,
    workers: int | None = None,
    limits: GradingLimits = DEFAULTS.grading,
    use_sandbox: bool = True,
    force: bool = False,
    progress: bool = True,
    log: Callable[[str], object] = print,
) -> ClassGrading:
    """Import (optional), grade, give feedback and write every report of a class."""
    folders = GradingCourse(course)
    if (submissions or moodle_zip) and len(modules) != 1:
        raise CourseError("--submissions and --moodle-zip bring in one module: name exactly one")
    if submissions:
        imported = nbg.import_submissions(submissions, modules[0], course)
        log(f"imported {len(imported)} submission(s) from {submissions}")
    if moodle_zip:
        learners = intake.import_moodle_zip(moodle_zip, modules[0], course)
        log(
            f"imported {len(learners)} learner(s) from {moodle_zip}; "
            f"ids and names are kept in {folders.students_file}"
        )
    run = pipeline.grade_class(
        modules,
        course,
        students=students,
        notebook=notebook,
        workers=workers,
        limits=limits,
        use_sandbox=use_sandbox,
        force=force,
        progress=progress,
        gradebook_url=gradebook_url,
    )
    by_name = {module.name: module for module in modules}
    graded = sorted({(o.module, o.student) for o in run.graded})
    for name in sorted({m for m, _ in graded}):
        nbg.feedback(
            by_name[name],
            course,
            students=[s for m, s in graded if m == name],
            gradebook_url=gradebook_url,
        )
    out = report_dir or folders.reports
    result = ClassGrading(
        run,
        summary_page=reports.class_summary(run, course, out, gradebook_url),
        grades_csv=nbg.export(out / "grades.csv", course, gradebook_url),
        feedback_dir=folders.feedback,
    )
    for name in sorted({o.module for o in run.outcomes}):
        grades = reports.module_grades(name, course, gradebook_url)
        sheet, left_out = reports.write_moodle_csv(grades, course, out / f"{name}_moodle.csv")
        result.moodle_sheets[name] = sheet
        result.not_in_moodle[name] = left_out
    return result


def autograde(
    module: Module, course: Path | None = None, students: list[str] | None = None, **options
) -> nbg.GradingReport:
    """Grade one module's submissions (no reports): who was graded and who was not, and why."""
    options.setdefault("progress", False)
    run = pipeline.grade_class([module], course, students=students, **options)
    report = nbg.GradingReport(module.name)
    for outcome in run.outcomes:
        if outcome.graded:
            report.graded.append(outcome.student)
        else:
            report.failed[outcome.student] = outcome.reason
    return report
