"""Grading a class, the instructor's use case from end to end: bring the submissions in, grade
them, write the reports, then give feedback.

Why here and not in the command line: the steps and their order are the grading room's
knowledge (reports need the gradebook the run wrote to, feedback only the learners graded now;
reports come before feedback, which runs nbconvert on learners' notebooks, so that a feedback
step that fails or stops on one hostile notebook never costs the grade files), and tests and
other front ends call the same function.
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
    # what filling the instructor's Moodle worksheet noticed (columns found by order, …)
    moodle_notes: dict[str, list[str]] = field(default_factory=dict)
    # (module, student) -> why their feedback could not be made
    feedback_failed: dict[tuple[str, str], str] = field(default_factory=dict)


def grade_a_class(
    modules: list[Module],
    course: Path,
    *,
    submissions: Path | None = None,
    moodle_zip: Path | None = None,
    moodle_worksheet: Path | None = None,
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
    """Import (optional), grade, write every report, then give feedback learner by learner.

    ``moodle_worksheet``: the grading worksheet the instructor downloaded from the Moodle
    assignment (in their interface language); it is filled instead of writing an English one.
    """
    folders = GradingCourse(course)
    if (submissions or moodle_zip or moodle_worksheet) and len(modules) != 1:
        raise CourseError(
            "--submissions, --moodle-zip and --moodle-worksheet are about one module: "
            "name exactly one"
        )
    if moodle_worksheet and not Path(moodle_worksheet).is_file():
        raise CourseError(
            f"{moodle_worksheet} does not exist: download the grading worksheet from the "
            "Moodle assignment (View all submissions > Download grading worksheet)"
        )
    if submissions:
        imported = nbg.import_submissions(submissions, modules[0], course)
        log(f"imported {len(imported)} submission(s) from {submissions}")
    import_notes: list[tuple[str, str, str]] = []
    if moodle_zip:
        module = modules[0].name
        learners = intake.import_moodle_zip(moodle_zip, module=modules[0], course=course)
        log(
            f"imported {len(learners)} learner(s) from {moodle_zip}; "
            f"ids and names are kept in {folders.students_file}"
        )
        # Uploads that reached no submission would be in no outcome: say so here.
        for student, notes in sorted(learners.notes.items()):
            if not folders.folder("submitted", student, module).is_dir():
                import_notes += [(module, student, note) for note in notes]
        import_notes += [(module, "(no learner)", note) for note in learners.unassigned]
        for _, who, note in import_notes:
            log(f"  {who}: {note}")
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
    out = report_dir or folders.reports
    out.mkdir(parents=True, exist_ok=True)
    grades_csv = reports.make_csv_safe(nbg.export(out / "grades.csv", course, gradebook_url))
    result = ClassGrading(
        run, summary_page=out / "summary.html", grades_csv=grades_csv, feedback_dir=folders.feedback
    )
    for name in sorted({o.module for o in run.outcomes}):
        grades = reports.module_grades(name, course, gradebook_url)
        grades.not_graded = {
            o.student: o.reason for o in run.outcomes if o.module == name and not o.graded
        }
        sheet = out / f"{name}_moodle.csv"
        if moodle_worksheet:
            filled = reports.fill_moodle_worksheet(grades, Path(moodle_worksheet), sheet)
            result.moodle_sheets[name] = filled.path
            result.not_in_moodle[name] = filled.left_out
            result.moodle_notes[name] = filled.notes
        else:
            path, left_out = reports.write_moodle_csv(grades, course, sheet)
            result.moodle_sheets[name] = path
            result.not_in_moodle[name] = left_out
    result.summary_page = reports.class_summary(
        run, course, out, gradebook_url, import_notes=import_notes
    )
    log(f"reports in {out}; making feedback")
    by_name = {module.name: module for module in modules}
    for name, student in sorted({(o.module, o.student) for o in run.graded}):
        try:
            report = nbg.feedback(
                by_name[name], course, students=[student], gradebook_url=gradebook_url
            )
            reason = report.failed.get(student)
        except Exception as error:  # noqa: BLE001 - one learner's feedback never stops the rest
            reason = f"{type(error).__name__}: {error}"
        if reason:
            result.feedback_failed[(name, student)] = reason
            log(f"feedback for {student} ({name}) could not be made: {reason}")
    result.summary_page = reports.class_summary(
        run,
        course,
        out,
        gradebook_url,
        feedback_failed=result.feedback_failed,
        import_notes=import_notes,
    )
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
