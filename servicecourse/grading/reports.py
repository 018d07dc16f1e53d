"""What instructors take away from a grading run: the LMS grade file and the class summary.

Grades are read back from the gradebook (never from the run's memory), so a report made after
a resumed or partial run shows exactly what the gradebook holds.
"""

from __future__ import annotations

import csv
import html
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..build import plotlyjs
from . import course as nbg
from .intake import known_students
from .pipeline import ClassRun

# Columns Moodle's assignment "Upload grading worksheet" looks for (mod/assign/feedback/offline):
# the participant identifier, the grade and the time the grade was last changed.
MOODLE_COLUMNS = [
    "Identifier",
    "Full name",
    "Grade",
    "Maximum Grade",
    "Last modified (grade)",
    "Feedback comments",
]


@dataclass
class ModuleGrades:
    """Per learner and per check, as the gradebook holds them for one module."""

    module: str
    students: pd.DataFrame  # student, score, max_score, needs_manual_grade
    checks: pd.DataFrame  # student, check, score, max_score


def module_grades(module: str, course: Path, gradebook_url: str | None = None) -> ModuleGrades:
    api = nbg.course_api(course, gradebook_url)
    students, checks = [], []
    with api.gradebook as gb:
        try:
            assignment = gb.find_assignment(module)
        except Exception:  # noqa: BLE001 - a module nobody was graded in has no rows
            assignment = None
        for submission in assignment.submissions if assignment else []:
            students.append(
                {
                    "student": submission.student.id,
                    "score": submission.score,
                    "max_score": submission.max_score,
                    "needs_manual_grade": submission.needs_manual_grade,
                }
            )
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    if grade.auto_score is None:
                        continue  # graded by hand
                    checks.append(
                        {
                            "student": submission.student.id,
                            "check": f"{notebook.name}/{grade.name}",
                            "score": grade.score,
                            "max_score": grade.max_score,
                        }
                    )
    return ModuleGrades(
        module,
        pd.DataFrame(students, columns=["student", "score", "max_score", "needs_manual_grade"]),
        pd.DataFrame(checks, columns=["student", "check", "score", "max_score"]),
    )


def participant(student_id: str) -> str | None:
    """Moodle's identifier for a learner imported from a Moodle zip (ids look like p1234567)."""
    if student_id.startswith("p") and student_id[1:].isdigit():
        return f"Participant {student_id[1:]}"
    return None


def write_moodle_csv(grades: ModuleGrades, course: Path, to: Path) -> tuple[Path, list[str]]:
    """A grading worksheet for the Moodle assignment; returns it and the learners left out."""
    names = known_students(course)
    stamp = datetime.now().astimezone().strftime("%A, %d %B %Y, %I:%M %p")
    left_out = []
    to.parent.mkdir(parents=True, exist_ok=True)
    with open(to, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(MOODLE_COLUMNS)
        for row in grades.students.sort_values("student").itertuples():
            ident = participant(row.student)
            if ident is None:
                left_out.append(row.student)
                continue
            comment = f"Autograded {row.score:g} / {row.max_score:g} points."
            if row.needs_manual_grade:
                comment += " Some answers are still to be graded by hand."
            writer.writerow(
                [
                    ident,
                    names.get(row.student, {}).get("full_name", ""),
                    f"{row.score:.2f}",
                    f"{row.max_score:.2f}",
                    stamp,
                    comment,
                ]
            )
    return to, left_out


def class_summary(
    run: ClassRun, course: Path, out_dir: Path, gradebook_url: str | None = None
) -> Path:
    """Score distribution, the checks most often failed and who was not graded: plots + tables."""
    import plotly.express as px

    from .. import plotting  # noqa: F401 - the course template

    out_dir.mkdir(parents=True, exist_ok=True)
    modules = sorted({o.module for o in run.outcomes})
    sections = []
    not_graded = pd.DataFrame(
        [{"module": o.module, "student": o.student, "reason": o.reason} for o in run.not_graded],
        columns=["module", "student", "reason"],
    )
    notes = pd.DataFrame(
        [
            {"module": o.module, "student": o.student, "note": note}
            for o in run.outcomes
            for note in o.notes
        ],
        columns=["module", "student", "note"],
    )
    not_graded.to_csv(out_dir / "not_graded.csv", index=False)
    notes.to_csv(out_dir / "submission_notes.csv", index=False)
    for module in modules:
        grades = module_grades(module, course, gradebook_url)
        students = grades.students.assign(
            percent=lambda d: (100 * d.score / d.max_score.where(d.max_score > 0)).round(1)
        )
        students.to_csv(out_dir / f"{module}_scores.csv", index=False)
        failed = (
            grades.checks.assign(failed=grades.checks.score < grades.checks.max_score)
            .groupby("check", as_index=False)
            .agg(failed=("failed", "sum"), attempts=("failed", "size"))
            .assign(failed_share=lambda d: (100 * d.failed / d.attempts).round(1))
            .sort_values(["failed", "check"], ascending=[False, True])
        )
        failed.to_csv(out_dir / f"{module}_checks.csv", index=False)
        hist = px.histogram(
            students,
            x="percent",
            nbins=10,
            range_x=[0, 100],
            title=f"{module}: score distribution ({len(students)} learners)",
            labels={"percent": "Score (% of the module's points)"},
        ).update_layout(yaxis_title="Learners (count)")
        bars = px.bar(
            failed.head(15).iloc[::-1],
            x="failed_share",
            y="check",
            orientation="h",
            range_x=[0, 100],
            title=f"{module}: checks most often failed",
            labels={"failed_share": "Learners who failed the check (%)", "check": "Check"},
        )
        sections.append(
            f"<h2>{html.escape(module)}</h2>"
            f"<p>{len(students)} learners in the gradebook; mean score "
            f"{students.percent.mean():.1f} %, median {students.percent.median():.1f} %.</p>"
            + hist.to_html(full_html=False, include_plotlyjs=False)
            + bars.to_html(full_html=False, include_plotlyjs=False)
            + "<h3>Checks most often failed</h3>"
            + failed.head(15).to_html(index=False, border=0)
        )
    shutil.copy(plotlyjs.full_bundle(), out_dir / "plotly.min.js")
    page = out_dir / "summary.html"
    page.write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<title>Class grading summary</title><script src='plotly.min.js'></script>"
        "<style>body{font-family:Arial,sans-serif;max-width:60rem;margin:auto}"
        "table{border-collapse:collapse}td,th{padding:.2rem .6rem;border-bottom:1px solid #ccc}"
        "</style></head><body><h1>Class grading summary</h1>"
        f"<p>{len(run.graded)} submissions graded, {len(run.not_graded)} not graded, "
        f"{run.workers} workers, {run.seconds:.0f} s.</p>"
        "<h2>Not graded</h2>"
        + (
            not_graded.to_html(index=False, border=0)
            if len(not_graded)
            else "<p>Everyone was graded.</p>"
        )
        + "<h2>What was repaired or noticed in submissions</h2>"
        + (notes.to_html(index=False, border=0) if len(notes) else "<p>Nothing.</p>")
        + "".join(sections)
        + "</body></html>",
        encoding="utf-8",
    )
    return page


def summary_table(run: ClassRun) -> str:
    """The text the command prints: one line per module, then each learner not graded."""
    lines = []
    for module in sorted({o.module for o in run.outcomes}):
        mine = [o for o in run.outcomes if o.module == module]
        graded = [o for o in mine if o.graded]
        skipped = [o for o in graded if o.skipped]
        lines.append(
            f"{module}: {len(graded)} graded ({len(skipped)} already done), "
            f"{len(mine) - len(graded)} not graded"
        )
        lines += [f"  NOT graded {o.student}: {o.reason}" for o in mine if not o.graded]
        lines += [f"  note {o.student}: {n}" for o in mine for n in o.notes]
    return "\n".join(lines)
