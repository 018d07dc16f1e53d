"""What instructors take away from a grading run: the LMS grade file and the class summary.

Grades are read back from the gradebook (never from the run's memory), so a report made after
a resumed or partial run shows exactly what the gradebook holds.
"""

from __future__ import annotations

import codecs
import csv
import html
import re
import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import nbformat
import pandas as pd

from ..build import plotlyjs
from ..paths import CourseError, GradingCourse
from . import course as nbg
from . import hints
from .intake import known_students, student_id_for
from .intake.students import students_by_email
from .pipeline import ClassRun

# The worksheet we write when the instructor gives none: English column names, which Moodle's
# import understands only when the instructor's interface language is English (see below).
MOODLE_COLUMNS = [
    "Identifier",
    "Full name",
    "Grade",
    "Maximum Grade",
    "Last modified (grade)",
    "Feedback comments",
]

# --- Moodle's offline grading worksheet ----------------------------------------------------------
# Moodle writes the worksheet (mod/assign/gradingtable.php, download mode) and reads it back
# (mod/assign/feedback/offline/importgradeslib.php) with column names and the identifier prefix
# in the *instructor's interface language*: the importer looks for get_string('grade'),
# get_string('recordid', 'assign') and get_string('lastmodifiedgrade', 'assign') as headers, for
# each feedback plugin's editor field (assignfeedback_comments: its 'pluginname') and strips
# strlen(get_string('hiddenuser', 'assign')) characters off the identifier to find the
# participant number. So the one worksheet that always imports is the one Moodle itself gave:
# we fill it and change nothing else. The strings we know, and where they come from:
#   en: lang/en/moodle.php 'grade' = 'Grade', 'fullname' = 'Full name' (projectestac/
#       moodle-langpacks en/moodle.php); mod/assign/lang/en/assign.php (moodle/moodle)
#       'recordid' = 'Identifier', 'hiddenuser' = 'Participant ', 'lastmodifiedgrade' =
#       'Last modified (grade)', 'maxgrade' = 'Maximum grade' redefined as 'Maximum Grade';
#       mod/assign/feedback/comments/lang/en (projectestac/moodle-langpacks
#       en/assignfeedback_comments.php) 'pluginname' = 'Feedback comments'.
#   sv: projectestac/moodle-langpacks sv/moodle.php 'grade' = 'Betyg', 'fullname' =
#       'Hela namnet'; sv/assign.php 'recordid' = 'Identifierare', 'hiddenuser' = 'Deltagare'
#       (no trailing space), 'lastmodifiedgrade' = 'Senast modifierat (betyg)', 'maxgrade' =
#       'Maxbetyg'; sv/assignfeedback_comments.php 'pluginname' = 'Återkopplingskommentarer'.
#   fi: moodlehq/totara lang/fi/moodle.php (Finnish pack, branch MOODLE_22_STABLE) 'grade' =
#       'Arviointi', 'fullname' = 'Koko nimi'. The Finnish mod_assign strings (recordid,
#       hiddenuser, lastmodifiedgrade) and assignfeedback_comments 'pluginname' were not found
#       in any source we could read, so they are not listed: the identifier column is found by
#       its values (the same word(s) + the participant number in every row, whatever the
#       language) and the grade column, when its header is unknown, by Moodle's column order
#       (the grade comes right before the maximum grade, the same number in every row).
WORKSHEET_GRADE = {"en": "Grade", "sv": "Betyg", "fi": "Arviointi"}
WORKSHEET_MAX_GRADE = {"en": ("Maximum Grade", "Maximum grade"), "sv": ("Maxbetyg",)}
WORKSHEET_FEEDBACK = {"en": "Feedback comments", "sv": "Återkopplingskommentarer"}
WORKSHEET_PARTICIPANT = {"en": "Participant ", "sv": "Deltagare"}
# Learners who came by the course hub have ids made from their e-mail address (LTI sends no
# participant number; see servicecourse.hub.identity): their rows are found by the e-mail
# column, which the worksheet has when the site shows e-mail as a user identity field (the
# 'showuseridentity' setting, e-mail by default). Its header is get_string('email'): en
# 'Email address' (lang/en/moodle.php), found also by its values in any language.
WORKSHEET_EMAIL = {"en": "Email address"}
SHOW_EMAIL_ADVICE = (
    "add 'Email address' to Site administration > Users > Permissions > User policies > "
    "Show user identity, then download the worksheet again"
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
# Moodle skips rows of the import whose grade is empty or negative ("grade has no value") and
# passes the rest through unformat_float (mod/assign/feedback/offline/locallib.php), which
# takes the decimal separator of the user's language: we write the separator the sheet uses.

# A text cell starting with one of these is run as a formula by spreadsheet programs (CSV
# injection); such a cell gets a leading apostrophe. Numbers, also negative ones, stay numbers.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value):
    """``value`` as a spreadsheet shows it, never as a formula it would run."""
    if (
        isinstance(value, str)
        and len(value) > 1  # a lone "-" (Moodle's "no date") is no formula
        and value.startswith(FORMULA_START)
        and not _NUMBER.match(value)
    ):
        return "'" + value
    return value


def safe_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Every text cell of a table made safe with :func:`safe_cell`."""
    return frame.apply(
        lambda column: column if pd.api.types.is_numeric_dtype(column) else column.map(safe_cell)
    )


def make_csv_safe(path: Path) -> Path:
    """Rewrite a CSV file (nbgrader's export, say) with every text cell made safe."""
    with open(path, newline="", encoding="utf-8") as handle:
        rows = [[safe_cell(cell) for cell in row] for row in csv.reader(handle)]
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows(rows)
    tmp.replace(path)
    return path


@dataclass
class ModuleGrades:
    """Per learner and per check, as the gradebook holds them for one module."""

    module: str
    students: pd.DataFrame  # student, score, max_score, needs_manual_grade
    checks: pd.DataFrame  # student, check, score, max_score
    # student -> the checks to revisit with their hints, in one line (see ``hints``)
    comments: dict[str, str] = field(default_factory=dict)
    # student -> why they could not be graded (their submission is kept as it was)
    not_graded: dict[str, str] = field(default_factory=dict)
    # lower-cased e-mail address -> student id of learners who came by the hub (students.csv)
    emails: dict[str, str] = field(default_factory=dict)


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
    grades = ModuleGrades(
        module,
        pd.DataFrame(students, columns=["student", "score", "max_score", "needs_manual_grade"]),
        pd.DataFrame(checks, columns=["student", "check", "score", "max_score"]),
    )
    grades.comments = learner_comments(grades, course)
    grades.emails = students_by_email(course)
    return grades


def learner_comments(grades: ModuleGrades, course: Path) -> dict[str, str]:
    """Each graded learner's failed checks with their hints, read from the graded notebooks."""
    folders = GradingCourse(course)
    comments = {}
    for student, checks in grades.checks.groupby("student"):
        failed = []
        for path in sorted(folders.folder("autograded", student, grades.module).glob("*.ipynb")):
            prefix = path.stem + "/"
            scores = {
                row.check[len(prefix) :]: (row.score, row.max_score)
                for row in checks.itertuples()
                if row.check.startswith(prefix)
            }
            try:
                nb = nbformat.read(path, as_version=4)
            except Exception:  # noqa: BLE001 - a damaged graded copy only loses its hints
                continue
            failed += hints.failed_checks(nb, scores)
        comments[student] = hints.short_comment(failed)
    return comments


NOT_GRADED_ADVICE = (
    "Your submission is kept as it was. Fix what this says and submit again, or ask your teacher."
)


def not_graded_comment(reason: str) -> str:
    return f"Not graded: {reason.strip().rstrip('.')}. {NOT_GRADED_ADVICE}"


def participant(student_id: str) -> str | None:
    """Moodle's identifier for a learner imported from a Moodle zip (ids look like p1234567)."""
    if student_id.startswith("p") and student_id[1:].isdigit():
        return f"Participant {student_id[1:]}"
    return None


def _comment(row, grades: ModuleGrades) -> str:
    comment = f"Autograded {row.score:g} / {row.max_score:g} points."
    if grades.comments.get(row.student):
        comment += " " + grades.comments[row.student]
    if row.needs_manual_grade:
        comment += " Some answers are still to be graded by hand."
    return comment


def write_moodle_csv(grades: ModuleGrades, course: Path, to: Path) -> tuple[Path, list[str]]:
    """A fresh English grading worksheet (when the instructor gives none); returns it and the
    learners left out (not imported from Moodle)."""
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
            writer.writerow(
                [
                    ident,
                    safe_cell(names.get(row.student, {}).get("full_name", "")),
                    f"{row.score:.2f}",
                    f"{row.max_score:.2f}",
                    stamp,
                    safe_cell(_comment(row, grades)),
                ]
            )
        for student, reason in sorted(grades.not_graded.items()):
            ident = participant(student)
            if ident is None:
                left_out.append(student)
                continue
            full_name = names.get(student, {}).get("full_name", "")
            writer.writerow(
                [ident, safe_cell(full_name), "", "", stamp, safe_cell(not_graded_comment(reason))]
            )
    return to, left_out


@dataclass
class WorksheetFill:
    """What filling Moodle's own grading worksheet did."""

    path: Path
    filled: list[str] = field(default_factory=list)  # student ids whose row got our grade
    left_out: list[str] = field(default_factory=list)  # graded by us, no row in the sheet
    not_graded: list[str] = field(default_factory=list)  # a comment says why, no grade
    notes: list[str] = field(default_factory=list)


@dataclass
class _Cell:
    start: int  # where the cell's text (quotes included) starts and ends in the file
    end: int
    value: str


def _scan_csv(text: str, source: Path) -> list[list[_Cell]]:
    """Records of a comma-separated file with where each cell is, so that a cell can be
    replaced and every other byte kept."""
    rows, i, n = [], 0, len(text)
    while i < n:
        row = []
        while True:
            start = i
            if i < n and text[i] == '"':
                parts, i = [], i + 1
                while True:
                    j = text.find('"', i)
                    if j < 0:
                        raise CourseError(f"{source} has a quoted cell that never ends")
                    parts.append(text[i:j])
                    if text.startswith('""', j):
                        parts.append('"')
                        i = j + 2
                        continue
                    i = j + 1
                    break
                if i < n and text[i] not in ",\r\n":
                    raise CourseError(f"{source} has text after a quoted cell at character {i}")
                value = "".join(parts)
            else:
                j = i
                while j < n and text[j] not in ",\r\n":
                    j += 1
                value, i = text[i:j], j
            row.append(_Cell(start, i, value))
            if i < n and text[i] == ",":
                i += 1
                continue
            break
        if text.startswith("\r", i):
            i += 1
        if text.startswith("\n", i):
            i += 1
        rows.append(row)
    return rows


def _number(text: str) -> float | None:
    text = text.strip().replace(" ", "")
    if _NUMBER.match(text.replace(",", ".", 1)):
        return float(text.replace(",", ".", 1))
    return None


_IDENT = re.compile(r"^(?P<prefix>\D+?)\s*(?P<number>\d+)$")


def _identifier_column(header: list[str], data: list[list[str]]) -> tuple[int, str] | None:
    """The column whose every value is the same word(s) and a participant number."""
    known = {p.strip().casefold() for p in WORKSHEET_PARTICIPANT.values()}
    found = []
    for column in range(len(header)):
        values = [row[column].strip() for row in data if column < len(row)]
        matches = [_IDENT.match(v) for v in values]
        if not values or not all(matches) or len(values) < len(data):
            continue
        prefixes = {m["prefix"].strip().casefold() for m in matches}
        if len(prefixes) == 1:
            found.append((prefixes.pop() not in known, column, matches[0]["prefix"]))
    return min(found)[1:] if found else None


def _header_column(header: list[str], names) -> int | None:
    wanted = {name.casefold() for name in names}
    return next((c for c, h in enumerate(header) if h.strip().casefold() in wanted), None)


def _constant_number(data: list[list[str]], column: int) -> float | None:
    values = {_number(row[column]) if column < len(row) else None for row in data}
    value = values.pop() if len(values) == 1 else None
    return value if value is not None and value > 0 else None


def _email_column(header: list[str], data: list[list[str]], before: int) -> int | None:
    """The column (left of the grade) whose every filled value is one e-mail address."""
    named = _header_column(header, WORKSHEET_EMAIL.values())
    if named is not None and named < before:
        return named
    for column in range(before):
        values = [row[column].strip() for row in data if column < len(row) and row[column].strip()]
        if values and all(_EMAIL.match(v) for v in values):
            return column
    return None


def fill_moodle_worksheet(grades: ModuleGrades, worksheet: Path, to: Path) -> WorksheetFill:
    """Moodle's own grading worksheet (downloaded by the instructor in their language) with our
    grade and feedback comment in the rows of the learners we graded, matched by participant
    number (learners from a Moodle zip) or by e-mail address (learners who came by the hub,
    see ``ModuleGrades.emails``); every other row, column and byte is kept. Display-only text
    before the grade column (names, e-mail, status) that a spreadsheet would run as a formula
    gets a leading apostrophe."""
    expect = (
        f"download it from the assignment in Moodle (View all submissions > Download grading "
        f"worksheet) and give it unchanged; it must be a comma-separated UTF-8 file whose "
        f"rows start with the participant identifier ('{WORKSHEET_PARTICIPANT['en']}1234567'"
        f" in English, '{WORKSHEET_PARTICIPANT['sv']}1234567' in Swedish) and that has a grade "
        f"column ({', '.join(repr(h) for h in WORKSHEET_GRADE.values())})"
    )
    if not worksheet.is_file():
        raise CourseError(f"{worksheet} does not exist: {expect}")
    raw = worksheet.read_bytes()
    bom = codecs.BOM_UTF8 if raw.startswith(codecs.BOM_UTF8) else b""
    try:
        text = raw[len(bom) :].decode("utf-8")
    except UnicodeDecodeError:
        raise CourseError(f"{worksheet} is not UTF-8 text: {expect}") from None
    rows = _scan_csv(text, worksheet)
    if not rows or len(rows[0]) < 3:
        raise CourseError(f"{worksheet} is not a Moodle grading worksheet: {expect}")
    header = [cell.value for cell in rows[0]]
    records = [row for row in rows[1:] if any(cell.value.strip() for cell in row)]
    data = [[cell.value for cell in row] for row in records]
    ident = _identifier_column(header, data)
    if ident is None:
        raise CourseError(f"{worksheet}: no column holds participant identifiers: {expect}")
    ident_column = ident[0]
    result = WorksheetFill(to)
    grade_column = _header_column(header, WORKSHEET_GRADE.values())
    if grade_column is None:  # by Moodle's order: grade, then the same maximum in every row
        candidates = [
            c
            for c in range(len(header) - 1)
            if c != ident_column
            and _constant_number(data, c + 1) is not None
            and all(c < len(r) and (not r[c].strip() or _number(r[c]) is not None) for r in data)
        ]
        if len(candidates) != 1:
            raise CourseError(f"{worksheet}: cannot tell which column is the grade: {expect}")
        grade_column = candidates[0]
        result.notes.append(
            f"grade column {header[grade_column]!r} found by Moodle's column order "
            "(the header is in a language we do not know)"
        )
    max_column = _header_column(header, [h for hs in WORKSHEET_MAX_GRADE.values() for h in hs])
    if max_column is None and grade_column + 1 < len(header):
        max_column = grade_column + 1
    moodle_max = _constant_number(data, max_column) if max_column is not None else None
    if moodle_max is None:
        result.notes.append("no maximum grade in the worksheet: grades are written as points")
    feedback_column = _header_column(header, WORKSHEET_FEEDBACK.values())
    if feedback_column is None:
        result.notes.append(
            "no feedback comments column (expected "
            + " or ".join(repr(h) for h in WORKSHEET_FEEDBACK.values())
            + "): grades only; switch on 'Feedback comments' in the assignment for comments"
        )
    columns = [c for c in (grade_column, max_column) if c is not None]
    comma = any(
        "," in row[c] and _number(row[c]) is not None
        for row in data
        for c in columns
        if c < len(row)
    )
    by_student = {row.student: row for row in grades.students.itertuples()}
    graded_here = set(by_student) | set(grades.not_graded)
    by_email = {e: s for e, s in grades.emails.items() if s in graded_here}
    email_column = _email_column(header, data, grade_column) if by_email else None
    if by_email and email_column is None:
        result.notes.append(
            f"{len(by_email)} learner(s) from the course hub are matched by e-mail address, "
            f"and {worksheet.name} has no e-mail column: {SHOW_EMAIL_ADVICE}"
        )
    edits: dict[int, tuple[_Cell, str]] = {}
    in_sheet = set()
    for record in records:
        match = _IDENT.match(record[ident_column].value.strip())
        student = student_id_for(match["number"])
        if email_column is not None and email_column < len(record):
            hub_student = by_email.get(record[email_column].value.strip().lower())
            if hub_student:
                if student in graded_here:
                    result.notes.append(
                        f"{match.group(0)} was graded twice, as {student} (Moodle zip) and as "
                        f"{hub_student} (course hub): the hub's grade is in the worksheet"
                    )
                student = hub_student
        in_sheet.add(student)
        for cell in record[:grade_column]:
            if cell is not record[ident_column] and safe_cell(cell.value) != cell.value:
                edits[cell.start] = (cell, safe_cell(cell.value))
        row = by_student.get(student)
        if row is None and student in grades.not_graded and feedback_column is not None:
            if feedback_column < len(record):
                cell = record[feedback_column]
                comment = not_graded_comment(grades.not_graded[student])
                edits[cell.start] = (cell, safe_cell(comment))
                result.not_graded.append(student)
            continue
        if row is None:
            continue
        if grade_column >= len(record) or (
            feedback_column is not None and feedback_column >= len(record)
        ):
            result.notes.append(f"row of {match.group(0)} is too short: not filled")
            continue
        points = row.score if pd.notna(row.score) else 0.0
        grade = points * moodle_max / row.max_score if moodle_max and row.max_score else points
        value = f"{grade:.2f}".replace(".", "," if comma else ".")
        edits[record[grade_column].start] = (record[grade_column], value)
        if feedback_column is not None:
            cell = record[feedback_column]
            edits[cell.start] = (cell, safe_cell(_comment(row, grades)))
        result.filled.append(student)
    result.left_out = sorted(set(by_student) - in_sheet)
    if by_student and not result.filled:
        result.notes.append(
            f"none of the {len(by_student)} graded learners is in {worksheet.name}: "
            "is it the worksheet of this module's assignment?"
        )
    out, last = [], 0
    for start in sorted(edits):
        cell, value = edits[start]
        quoted = text.startswith('"', cell.start) or any(ch in value for ch in ',"\r\n')
        out += [text[last : cell.start], _quote(value) if quoted else value]
        last = cell.end
    out.append(text[last:])
    to.parent.mkdir(parents=True, exist_ok=True)
    tmp = to.with_name(to.name + ".tmp")
    tmp.write_bytes(bom + "".join(out).encode("utf-8"))
    tmp.replace(to)
    return result


def _quote(value: str) -> str:
    return '"' + value.replace('"', '""') + '"'


def class_summary(
    run: ClassRun,
    course: Path,
    out_dir: Path,
    gradebook_url: str | None = None,
    feedback_failed: dict[tuple[str, str], str] | None = None,
    import_notes: list[tuple[str, str, str]] | None = None,
) -> Path:
    """Score distribution, the checks most often failed and who was not graded: plots + tables.

    ``import_notes`` are (module, who, note) rows about uploads that reached no submission
    (refused entries, entries of nobody), listed with the submission notes.

    ``feedback_failed`` maps (module, student) to why their feedback could not be made; None
    means feedback is still to be made (the summary is written before it, so that a feedback
    run that stops never costs the reports)."""
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
        ]
        + [
            {"module": module, "student": who, "note": note}
            for module, who, note in import_notes or []
        ],
        columns=["module", "student", "note"],
    )
    no_feedback = pd.DataFrame(
        [
            {"module": module, "student": student, "reason": reason}
            for (module, student), reason in sorted((feedback_failed or {}).items())
        ],
        columns=["module", "student", "reason"],
    )
    safe_table(not_graded).to_csv(out_dir / "not_graded.csv", index=False)
    safe_table(notes).to_csv(out_dir / "submission_notes.csv", index=False)
    safe_table(no_feedback).to_csv(out_dir / "feedback_not_made.csv", index=False)
    for module in modules:
        grades = module_grades(module, course, gradebook_url)
        students = grades.students.assign(
            percent=lambda d: (100 * d.score / d.max_score.where(d.max_score > 0)).round(1)
        )
        safe_table(students).to_csv(out_dir / f"{module}_scores.csv", index=False)
        failed = (
            grades.checks.assign(failed=grades.checks.score < grades.checks.max_score)
            .groupby("check", as_index=False)
            .agg(failed=("failed", "sum"), attempts=("failed", "size"))
            .assign(failed_share=lambda d: (100 * d.failed / d.attempts).round(1))
            .sort_values(["failed", "check"], ascending=[False, True])
        )
        safe_table(failed).to_csv(out_dir / f"{module}_checks.csv", index=False)
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
    if feedback_failed is None:
        feedback_section = "<p>Feedback is made after this page; the page is rewritten then.</p>"
    elif len(no_feedback):
        feedback_section = "<p>Feedback could not be made for:</p>" + no_feedback.to_html(
            index=False, border=0
        )
    else:
        feedback_section = "<p>Feedback was made for every learner graded.</p>"
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
        + "<h2>Feedback</h2>"
        + feedback_section
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
