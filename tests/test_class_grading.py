"""Grading a whole class: intake, hostile submissions, sandbox, resume after SIGKILL, regrading,
Moodle in and out, the class summary and a PostgreSQL gradebook.

Every class here is synthetic and built by the tests from module 01's student release: the
reference learner fills in the solutions, others break their notebook on purpose.
"""

from __future__ import annotations

import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import zipfile
from pathlib import Path

import nbformat
import pytest
from conftest import copy_course

from servicecourse import grading
from servicecourse.build import leaks
from servicecourse.grading import intake, journal, pipeline, reports, sandbox
from servicecourse.grading.journal import Outcome
from servicecourse.paths import GradingCourse, GradingLimits, find_module, repo_root

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        sandbox.sandbox_problem() is not None, reason="no sandbox: make grading-tools"
    ),
]

MODULE = find_module("01_intro")
LESSON = MODULE.lessons[0]
QUICK = GradingLimits(cell_seconds=15, notebook_seconds=120, memory_mb=1536)


def answered() -> nbformat.NotebookNode:
    """The student version with every answer filled in from the source: full marks."""
    source = {_gid(c): c for c in nbformat.read(LESSON, 4).cells}
    release = nbformat.read(_release_path(), 4)
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = source[_gid(cell)].source
    return release


def _gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


_RELEASE: dict[str, Path] = {}


def _release_path() -> Path:
    return _RELEASE["path"] / LESSON.name


def first_answer(nb):
    return next(
        c
        for c in nb.cells
        if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    )


def prepend(code: str):
    def change(nb):
        cell = first_answer(nb)
        cell.source = textwrap.dedent(code) + cell.source

    return change


SPY = f"""
import os
for path in [{str(repo_root() / "modules")!r}, {str(repo_root() / "autograde")!r},
             "__SOURCE__", "__SUBMITTED__", "__GRADEBOOK__"]:
    try:
        os.listdir(path) if os.path.isdir(path) else open(path).read()
        print("SPY-READ", path)
    except OSError as error:
        print("SPY-DENIED", path, type(error).__name__)
try:
    print("SPY-NOTEBOOK", len(open({LESSON.name!r}).read()))
except OSError as error:
    print("SPY-DENIED notebook", type(error).__name__)
try:  # a service on the host's loopback (a gradebook server, say)
    import socket
    socket.create_connection(("127.0.0.1", __PORT__), timeout=3).close()
    print("SPY-READ network")
except OSError as error:
    print("SPY-DENIED network", type(error).__name__)
print("SPY-ENV", sorted(k for k in os.environ if "GRADEBOOK" in k or "TOKEN" in k))
"""


def _write(course: Path, student: str, nb=None, name: str = LESSON.name, text: str | None = None):
    folder = course / "submitted" / student / MODULE.name
    target = folder / name
    target.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        target.write_text(text)
    else:
        nbformat.write(nb, target)
    return target


def _mutated(change):
    nb = answered()
    change(nb)
    return nb


def _delete_test(nb):
    nb.cells = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade_id") != "test_longest_training"
    ]


def _edit_test_and_break_answer(nb):
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid == "test_phone_share":
            cell.source = "pass  # the learner emptied the test"
        if gid and "phone" in gid and cell.metadata["nbgrader"].get("solution"):  # the answer
            cell.source = "phone_share = -1.0"


def _retype_answer(nb):
    cell = first_answer(nb)
    cell.cell_type = "markdown"
    cell.pop("outputs", None)
    cell.pop("execution_count", None)


@pytest.fixture(scope="module")
def hostile_class(tmp_path_factory):
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    course = copy_course(tmp_path_factory.mktemp("hostile"))
    grading.release([MODULE], course)
    _RELEASE["path"] = course / "release" / MODULE.name
    spy = (
        SPY.replace("__SOURCE__", str(course / "source" / MODULE.name / LESSON.name))
        .replace("__SUBMITTED__", str(course / "submitted" / "reference"))
        .replace("__GRADEBOOK__", str(course / "gradebook.db"))
        .replace("__PORT__", str(listener.getsockname()[1]))
    )
    _write(course, "reference", answered())
    _write(course, "blank", nbformat.read(_release_path(), 4))
    _write(course, "not_json", text='{"cells": [ this is not JSON')
    _write(course, "deleted_test", _mutated(_delete_test))
    _write(course, "edited_test", _mutated(_edit_test_and_break_answer))
    _write(course, "retyped", _mutated(_retype_answer))
    _write(
        course,
        "endless",
        _mutated(
            prepend(
                "while True:\n    try:\n        pass\n    except KeyboardInterrupt:\n        pass\n"
            )
        ),
    )
    _write(
        course,
        "memory",
        _mutated(prepend("hoard = []\nwhile True:\n    hoard.append(bytearray(50 * 2**20))\n")),
    )
    _write(
        course,
        "killer",
        _mutated(prepend("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n")),
    )
    _write(course, "exits", _mutated(prepend("import os\nos._exit(3)\n")))
    _write(course, "sys_exit", _mutated(prepend("import sys\nsys.exit(1)\n")))
    _write(course, "chatty", _mutated(prepend("for i in range(100_000):\n    print('x' * 60)\n")))
    _write(course, "misnamed", answered(), name=LESSON.stem + " (1).ipynb")
    _write(course, "misplaced", answered(), name="my work/" + LESSON.name)
    _write(course, "spy", _mutated(prepend(spy)))
    os.environ["SERVICECOURSE_TEST_TOKEN"] = "secret"
    run = pipeline.grade_class([MODULE], course, workers=2, limits=QUICK, progress=False)
    listener.close()
    return course, run


def _scores(course, student):
    """The checks of the one lesson the class submitted (the module has more lessons)."""
    every = grading.scores(MODULE, student, course)
    return {k: v for k, v in every.items() if k.startswith(LESSON.stem + "/")}


def _auto_total(course, student):
    return sum(v["score"] for v in _scores(course, student).values() if v["auto"])


def _auto_max(course, student):
    return sum(v["max_score"] for v in _scores(course, student).values() if v["auto"])


def _outputs(course, student) -> str:
    """What the graded notebook printed and raised (not its code)."""
    path = course / "autograded" / student / MODULE.name / LESSON.name
    nb = nbformat.read(path, 4)
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}")
            parts.append(str(out.get("data", {}).get("text/plain", "")))
    return "\n".join(parts)


def _outcome(run, student):
    return next(o for o in run.outcomes if o.student == student)


def test_every_submission_is_graded_or_explained(hostile_class):
    course, run = hostile_class
    assert {o.student for o in run.outcomes} >= {"reference", "blank", "spy", "not_json"}
    assert [o.student for o in run.not_graded] == ["not_json"]
    for outcome in run.graded:
        assert outcome.reason == ""


def test_reference_full_marks_blank_zero(hostile_class):
    course, _ = hostile_class
    assert _auto_total(course, "reference") == _auto_max(course, "reference") > 0
    assert _auto_total(course, "blank") == 0


def test_invalid_json_is_not_graded_explained_and_kept(hostile_class):
    course, run = hostile_class
    outcome = _outcome(run, "not_json")
    assert "submit again" in outcome.reason and "damaged JSON" in outcome.reason
    kept = course / "submitted" / "not_json" / MODULE.name / (LESSON.name + intake.NOT_JSON_SUFFIX)
    assert kept.read_text().startswith('{"cells": [ this is not JSON')


def test_deleted_test_cell_is_put_back_and_still_runs(hostile_class):
    course, run = hostile_class
    assert _auto_total(course, "deleted_test") == _auto_max(course, "reference")
    assert any("test_longest_training" in n for n in _outcome(run, "deleted_test").notes)


def test_edited_test_cell_is_restored_and_grades_honestly(hostile_class):
    course, run = hostile_class
    scores = _scores(course, "edited_test")
    assert scores[f"{LESSON.stem}/test_phone_share"]["score"] == 0
    assert (
        _auto_total(course, "edited_test")
        == _auto_max(course, "reference") - scores[f"{LESSON.stem}/test_phone_share"]["max_score"]
    )
    assert any(
        "read-only cell test_phone_share was edited" in n
        for n in _outcome(run, "edited_test").notes
    )


def test_retyped_answer_cell_is_graded_as_code_and_noted(hostile_class):
    course, run = hostile_class
    assert any("was changed from code to markdown" in n for n in _outcome(run, "retyped").notes)
    # nbgrader turns the cell back into code, so the (correct) answer in it still counts.
    assert _auto_total(course, "retyped") == _auto_max(course, "reference")


@pytest.mark.parametrize(
    "student, error",
    [
        ("endless", "CellTimeoutError"),
        ("memory", "MemoryError"),
        ("killer", "KernelDied"),
        ("exits", "KernelDied"),
    ],
)
def test_runaway_cell_is_stopped_and_the_rest_still_graded(hostile_class, student, error):
    course, _ = hostile_class
    text = _outputs(course, student)
    assert error in text
    # The broken first answer loses its marks; a later, independent answer still scores.
    scores = _scores(course, student)
    assert scores[f"{LESSON.stem}/test_answer_what_learners_receive"]["score"] == 1
    assert _auto_total(course, student) < _auto_max(course, "reference")


def test_sys_exit_is_just_an_error(hostile_class):
    course, _ = hostile_class
    assert _auto_total(course, "sys_exit") < _auto_max(course, "reference")
    assert "SystemExit" in _outputs(course, "sys_exit")


def test_megabytes_of_output_are_cut_and_graded(hostile_class):
    course, _ = hostile_class
    assert _auto_total(course, "chatty") == _auto_max(course, "reference")
    autograded = course / "autograded" / "chatty" / MODULE.name / LESSON.name
    assert autograded.stat().st_size < 1_000_000


@pytest.mark.parametrize("student", ["misnamed", "misplaced"])
def test_misnamed_or_misplaced_notebook_is_found(hostile_class, student):
    course, run = hostile_class
    assert _auto_total(course, student) == _auto_max(course, "reference")
    assert any(f"was graded as {LESSON.name}" in n for n in _outcome(run, student).notes)


def test_learner_code_cannot_read_sources_tests_gradebook_or_others(hostile_class):
    course, _ = hostile_class
    text = _outputs(course, "spy")
    assert "SPY-READ" not in text
    assert text.count("SPY-DENIED") >= 7
    assert "SPY-DENIED network" in text
    assert "SPY-ENV []" in text
    assert _auto_total(course, "spy") == _auto_max(course, "reference")


def test_feedback_and_reports_hide_hidden_tests(hostile_class, tmp_path):
    course, run = hostile_class
    graded = [o.student for o in run.graded]
    grading.feedback(MODULE, course, students=graded)
    page = reports.class_summary(run, course, tmp_path / "reports")
    solutions = leaks.secret_lines([MODULE], leaks.SOLUTIONS)
    hidden = [  # hidden-test lines a learner could not have written in an answer
        line
        for line in leaks.secret_lines([MODULE], leaks.HIDDEN_TESTS)
        if not any(line in solution for solution in solutions)
    ]
    for path in [*(course / "feedback").rglob("*.html"), page]:
        text = leaks.as_plain_text(path.read_text())
        assert not [line for line in hidden if line in text], path


def test_class_summary_shows_distribution_failures_and_reasons(hostile_class, tmp_path):
    course, run = hostile_class
    run = pipeline.ClassRun(
        run.outcomes + [Outcome(MODULE.name, "ghost", False, "no submission")],
        run.workers,
        run.seconds,
    )
    out = tmp_path / "summary"
    page = reports.class_summary(run, course, out)
    text = page.read_text()
    assert "score distribution" in text and "checks most often failed" in text
    assert "ghost" in text and "no submission" in text
    assert (out / "plotly.min.js").exists()
    with open(out / f"{MODULE.name}_checks.csv") as handle:
        checks = list(csv.DictReader(handle))
    phone = next(r for r in checks if r["check"].endswith("test_phone_share"))
    assert int(phone["failed"]) >= 2  # blank and edited_test at least
    with open(out / "not_graded.csv") as handle:
        assert {r["student"] for r in csv.DictReader(handle)} == {"not_json", "ghost"}
    table = reports.summary_table(run)
    assert "NOT graded ghost: no submission" in table


def test_second_run_skips_everyone_and_changes_nothing(hostile_class):
    course, run = hostile_class
    before = {o.student: _auto_total(course, o.student) for o in run.graded}
    again = pipeline.grade_class([MODULE], course, workers=2, limits=QUICK, progress=False)
    assert all(o.skipped for o in again.graded)
    assert {o.student: _auto_total(course, o.student) for o in again.graded} == before


# --- resume, regrade, Moodle, PostgreSQL ------------------------------------------------------


def _small_class(tmp_path, students: int) -> Path:
    course = copy_course(tmp_path / "course")
    grading.release([MODULE], course)
    _RELEASE["path"] = course / "release" / MODULE.name
    for i in range(students):
        nb = answered() if i % 2 == 0 else nbformat.read(_release_path(), 4)
        _write(course, f"s{i:02d}", nb)
    return course


GRADE_SCRIPT = """
import sys
from pathlib import Path
from servicecourse.grading import pipeline
from servicecourse.paths import GradingLimits, find_module
if __name__ == "__main__":
    pipeline.grade_class([find_module("01_intro")], Path(sys.argv[1]), workers=2,
                         limits=GradingLimits(cell_seconds=30), progress=False)
"""


def test_sigkill_then_rerun_finishes_the_class_without_double_counting(tmp_path):
    course = _small_class(tmp_path, 6)
    script = tmp_path / "grade.py"
    script.write_text(GRADE_SCRIPT)
    journal = GradingCourse(course).state / MODULE.name
    proc = subprocess.Popen([sys.executable, str(script), str(course)], start_new_session=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and len(list(journal.glob("*.json"))) < 1:
        time.sleep(0.2)
    os.kill(proc.pid, signal.SIGKILL)  # the main process only: workers must follow it
    proc.wait()
    done_at_kill = len(list(journal.glob("*.json")))
    assert 1 <= done_at_kill < 6
    time.sleep(3)
    leftovers = subprocess.run(
        ["pgrep", "-f", f"grade.py {course}|ipykernel_launcher.*{course}"],
        capture_output=True,
        text=True,
    )
    assert leftovers.stdout.strip() == "", "a worker or kernel outlived the killed run"
    run = pipeline.grade_class([MODULE], course, workers=2, limits=QUICK, progress=False)
    assert len(run.graded) == 6
    assert sum(o.skipped for o in run.graded) == done_at_kill
    api = grading.course_api(course)
    with api.gradebook as gb:
        assert len(gb.find_assignment(MODULE.name).submissions) == 6
    full = _auto_max(course, "s00")
    for i in range(6):
        assert _auto_total(course, f"s{i:02d}") == (full if i % 2 == 0 else 0)


def test_regrade_one_student_and_one_notebook(tmp_path):
    course = _small_class(tmp_path, 3)
    pipeline.grade_class([MODULE], course, workers=2, limits=QUICK, progress=False)
    assert _auto_total(course, "s01") == 0
    _write(course, "s01", answered())  # the learner fixed the work and resubmitted
    untouched = journal.entry_path(course, MODULE.name, "s00").stat().st_mtime_ns
    run = pipeline.grade_class([MODULE], course, students=["s01"], progress=False, limits=QUICK)
    assert [o.student for o in run.outcomes] == ["s01"]
    assert _auto_total(course, "s01") == _auto_max(course, "s00")
    assert journal.entry_path(course, MODULE.name, "s00").stat().st_mtime_ns == untouched
    run = pipeline.grade_class(
        [MODULE], course, students=["s00"], notebook=LESSON.stem, progress=False, limits=QUICK
    )
    assert run.graded and _auto_total(course, "s00") == _auto_max(course, "s00")
    with pytest.raises(grading.course.CourseError, match="has no notebook"):
        pipeline.grade_class([MODULE], course, students=["s00"], notebook="nope", progress=False)
    # A lost gradebook is rebuilt: the journal alone never counts as graded.
    for name in ("gradebook.db", "gradebook.db-wal", "gradebook.db-shm"):
        (course / name).unlink(missing_ok=True)
    run = pipeline.grade_class([MODULE], course, workers=2, limits=QUICK, progress=False)
    assert len(run.graded) == 3 and not any(o.skipped for o in run.graded)
    assert _auto_total(course, "s01") == _auto_max(course, "s00")


def _moodle_zip(path: Path) -> Path:
    release_nb = nbformat.writes(answered())
    blank = nbformat.writes(nbformat.read(_release_path(), 4))
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(f"Aino Virtanen_1000001_assignsubmission_file_/{LESSON.name}", release_nb)
        archive.writestr(
            f"Pekka Korhonen_1000002_assignsubmission_file_{LESSON.stem} (2).ipynb", blank
        )
        archive.writestr(
            "Pekka Korhonen_1000002_assignsubmission_onlinetext_onlinetext.html", "<p>hi</p>"
        )
        archive.writestr("Mikko Nieminen_1000003_assignsubmission_file_/../../escape.ipynb", blank)
    return path


def test_moodle_zip_in_grading_worksheet_out(tmp_path):
    course = copy_course(tmp_path / "course")
    grading.release([MODULE], course)
    _RELEASE["path"] = course / "release" / MODULE.name
    students = intake.import_moodle_zip(_moodle_zip(tmp_path / "moodle.zip"), MODULE, course)
    assert [s.student_id for s in students] == ["p1000001", "p1000002"]
    assert not (tmp_path / "escape.ipynb").exists() and not (course / "escape.ipynb").exists()
    mapping = intake.known_students(course)
    assert mapping["p1000001"]["full_name"] == "Aino Virtanen"
    run = pipeline.grade_class([MODULE], course, workers=2, limits=QUICK, progress=False)
    assert len(run.graded) == 2
    grades = reports.module_grades(MODULE.name, course)
    sheet, left_out = reports.write_moodle_csv(grades, course, tmp_path / "moodle.csv")
    assert left_out == []
    with open(sheet, newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == reports.MOODLE_COLUMNS
    by_id = {r["Identifier"]: r for r in rows}
    full = _auto_max(course, "p1000001")
    assert float(by_id["Participant 1000001"]["Grade"]) == full
    assert float(by_id["Participant 1000002"]["Grade"]) == 0
    assert by_id["Participant 1000001"]["Full name"] == "Aino Virtanen"
    with pytest.raises(grading.course.CourseError, match="not a zip"):
        intake.import_moodle_zip(_write(course, "x", text="nope"), MODULE, course)


def test_cli_grades_a_moodle_class_end_to_end(tmp_path):
    root = tmp_path / "project"
    root.mkdir()
    for name in ("modules", "datasets"):
        (root / name).symlink_to(repo_root() / name)
    course = root / "autograde"
    course.mkdir()
    shutil.copy(repo_root() / "autograde" / "nbgrader_config.py", course / "nbgrader_config.py")
    (course / "source").symlink_to(root / "modules")
    tmp_course = copy_course(tmp_path / "scratch")
    grading.release([MODULE], tmp_course)
    _RELEASE["path"] = tmp_course / "release" / MODULE.name
    zip_path = _moodle_zip(tmp_path / "moodle.zip")
    env = {**os.environ, "SERVICECOURSE_ROOT": str(root)}
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "servicecourse"),
            "autograde",
            MODULE.name,
            "--moodle-zip",
            str(zip_path),
            "--no-progress",
            "--cell-timeout",
            "30",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "01_intro: 2 graded" in result.stdout
    reports_dir = course / "reports"
    for name in ("summary.html", "grades.csv", f"{MODULE.name}_moodle.csv", "not_graded.csv"):
        assert (reports_dir / name).exists(), name
    assert list((course / "feedback").rglob("*.html"))


# --- PostgreSQL -------------------------------------------------------------------------------


def _pg_bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return found[-1].parent if found else None


@pytest.fixture
def postgres():
    """A PostgreSQL server of its own on loopback, stopped after the test."""
    bin_dir = _pg_bin()
    if bin_dir is None:
        pytest.skip("Debian postgresql is not installed (make grading-tools)")
    # PostgreSQL refuses to run as root, and its user cannot enter pytest's private folders.
    run_as = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    home = Path(tempfile.mkdtemp(prefix="servicecourse-pg-"))
    home.chmod(0o755)
    data = home / "data"
    data.mkdir()
    if run_as:
        shutil.chown(data, "postgres", "postgres")

    def pg(tool: str, *args: str, check: bool = True):
        return subprocess.run(
            [*run_as, str(bin_dir / tool), *args], check=check, capture_output=True, text=True
        )

    pg("initdb", "-D", str(data), "-U", "grader", "-A", "trust")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])
    server = f"-h 127.0.0.1 -p {port} -k {data}"
    pg("pg_ctl", "-D", str(data), "-w", "-l", str(data / "log"), "-o", server, "start")
    try:
        pg("createdb", "-h", "127.0.0.1", "-p", port, "-U", "grader", "gradebook")
        yield f"postgresql+psycopg://grader@127.0.0.1:{port}/gradebook"
    finally:
        pg("pg_ctl", "-D", str(data), "-m", "fast", "stop", check=False)
        shutil.rmtree(home, ignore_errors=True)


def test_postgresql_gradebook_shared_by_two_instructors(tmp_path, postgres, monkeypatch):
    # The first instructor names the gradebook (as `--db` does); the second has it in the
    # environment, which the course config reads.
    first = _small_class(tmp_path / "a", 2)
    GradingCourse(first).gradebook.unlink(missing_ok=True)  # releasing made a local one
    result = grading.grade_a_class(
        [MODULE],
        first,
        gradebook_url=postgres,
        workers=2,
        limits=QUICK,
        progress=False,
        log=lambda *_: None,
    )
    assert len(result.run.graded) == 2
    assert not (first / "gradebook.db").exists()
    assert result.grades_csv.read_text().count("s0") >= 2
    # A second instructor's course folder on the same hub sees the same grades.
    monkeypatch.setenv("SERVICECOURSE_GRADEBOOK_URL", postgres)
    second = copy_course(tmp_path / "b")
    grades = reports.module_grades(MODULE.name, second)
    assert sorted(grades.students.student) == ["s00", "s01"]
    full = _auto_max(first, "s00")
    assert dict(zip(grades.students.student, grades.students.score, strict=True)) == {
        "s00": full,
        "s01": 0,
    }
