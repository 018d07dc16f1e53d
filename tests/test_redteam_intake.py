"""Red team of intake (issue #20): one hostile or broken upload never stops a Moodle import, and
honest slips in a notebook's grading metadata never cost a correct notebook its marks.

Every learner here is synthetic. The Moodle zips are built by the tests; the damaged notebooks
are module 01's student release with every answer filled in from the source, then damaged the
way learners and editors do. One real grading run (shared kernels, two workers) proves the
scores.
"""

from __future__ import annotations

import copy
import json
import time
import zipfile
import zlib
from pathlib import Path

import nbformat
import pytest
from conftest import copy_course

from servicecourse import grading
from servicecourse.grading import intake, sandbox
from servicecourse.grading.intake import moodle_zip
from servicecourse.paths import CourseError, GradingCourse, GradingLimits, find_module

MODULE = find_module("01_intro")
LESSON = MODULE.lessons[0]
QUICK = GradingLimits(cell_seconds=15, notebook_seconds=120, memory_mb=1536)
FOLDER = "{name}_{participant}_assignsubmission_file_"


def _folder(name: str, participant: int) -> str:
    return FOLDER.format(name=name, participant=participant)


# --- the Moodle zip ---------------------------------------------------------------------------

LONG_NAME = "ä" * 130 + ".ipynb"  # 260 bytes in UTF-8: legal in Moodle, too long for a file
SMALL = moodle_zip.IntakeLimits(member_bytes=10 * 2**20, learner_bytes=40 * 2**20)


def _set_bytes(data: bytearray, old: bytes, new: bytes) -> None:
    """Replace every occurrence of ``old`` (a name) in a zip's headers by ``new``."""
    assert len(old) == len(new)
    start = 0
    while (found := data.find(old, start)) >= 0:
        data[found : found + len(old)] = new
        start = found + len(old)


def hostile_zip(path: Path, notebook: str = '{"cells": []}') -> Path:
    """A class of uploads, most of them broken or hostile; see the assertions for each."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_folder("Learner Good", 2000001) + "/" + LESSON.name, notebook)
        archive.writestr(_folder("Learner Long", 2000002) + "/" + LONG_NAME, notebook)
        archive.writestr(_folder("Learner Crc", 2000003) + "/" + LESSON.name, "x" * 50_000)
        archive.writestr(_folder("Learner Crc", 2000003) + "/notes.txt", "fine")
        # A name that is not UTF-8 although the zip says it is (non-ASCII: flagged): patched below.
        archive.writestr(_folder("Learner Bytés", 2000004) + "/ZZ.ipynb", notebook)
        archive.writestr(_folder("Learner Bytés", 2000004) + "/" + LESSON.name, notebook)
        # Full names that carry Moodle's own pattern, to be filed as participant 999.
        archive.writestr(
            _folder("Learner Eve_999_assignsubmission_file_ X", 2000005) + "/" + LESSON.name,
            notebook,
        )
        archive.writestr(
            "Learner Mallory_999_assignsubmission_file__2000006_assignsubmission_file_"
            + LESSON.name,
            notebook,
        )
        archive.writestr(
            _folder("Learner Ann", 2000007) + _folder("Learner Bob", 999) + LESSON.name, notebook
        )
        archive.writestr(_folder("Learner Flat", 2000013) + LESSON.name, notebook)
        # One participant id under two names.
        archive.writestr(_folder("Learner Twin", 2000009) + "/a.ipynb", notebook)
        archive.writestr(_folder("Learner Twain", 2000009) + "/b.ipynb", notebook)
        archive.writestr("random folder/notes.txt", "not from Moodle")
        archive.writestr(_folder("Learner Huge", 2000010) + "/zeros.ipynb", bytes(50 * 2**20))
        archive.writestr(_folder("Learner Huge", 2000010) + "/" + LESSON.name, notebook)
        many = _folder("Learner Many", 2000011)
        for i in range(20_000):
            archive.writestr(f"{many}/tiny/{i:05d}.txt", "")
        archive.writestr(f"{many}/{LESSON.name}", notebook)
        archive.writestr(_folder("Learner Extra", 2000012) + "/ipywidgets.py", "raise ImportError")
        archive.writestr(_folder("Learner Extra", 2000012) + "/" + LESSON.name, notebook)
        archive.writestr(
            _folder("Learner Online", 2000014).replace("_file_", "_onlinetext_") + "online.html",
            "<p>my answer</p>",
        )
    data = bytearray(path.read_bytes())
    _set_bytes(data, b"/ZZ.ipynb", b"/\xff\xfe.ipynb")
    # Flip bytes inside the compressed data of Learner Crc's notebook: a CRC or zlib error.
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo(_folder("Learner Crc", 2000003) + "/" + LESSON.name)
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    for offset in range(start + 10, start + info.compress_size - 4, 7):
        data[offset] ^= 0x55
    path.write_bytes(bytes(data))
    return path


@pytest.fixture(scope="module")
def imported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("zip")
    course = copy_course(tmp / "course")
    zip_path = hostile_zip(tmp / "moodle.zip")
    started = time.monotonic()
    result = intake.import_moodle_zip(zip_path, MODULE, course, limits=SMALL)
    return course, result, time.monotonic() - started


def _notes(result, participant: int) -> str:
    return "\n".join(result.notes.get(f"p{participant}", []))


def _submitted(course: Path, participant: int) -> list[str]:
    folder = GradingCourse(course).folder("submitted", f"p{participant}", MODULE.name)
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def test_the_import_goes_on_past_every_bad_upload_and_finishes_quickly(imported):
    course, result, seconds = imported
    ids = [s.student_id for s in result]
    assert ids == sorted(ids)
    assert set(ids) >= {f"p{n}" for n in (2000001, 2000002, 2000003, 2000004, 2000005, 2000010)}
    assert set(ids) >= {"p2000011", "p2000012", "p2000013"}
    assert result.students == list(result)
    assert _submitted(course, 2000001) == [LESSON.name]
    assert seconds < 30, f"20,000 tiny files took {seconds:.0f} s"


def test_a_name_too_long_for_the_file_system_is_shortened_and_noted(imported):
    course, result, _ = imported
    (saved,) = _submitted(course, 2000002)
    assert saved.endswith(".ipynb") and len(saved.encode()) <= 255
    assert "too long a name" in _notes(result, 2000002) and saved[:20] in _notes(result, 2000002)


def test_a_damaged_member_is_a_note_for_its_learner(imported):
    course, result, _ = imported
    assert "damaged in the zip" in _notes(result, 2000003)
    assert _submitted(course, 2000003) == []  # no half file
    aside = intake.set_aside_dir(course, MODULE.name, "p2000003")
    assert (aside / "notes.txt").read_text() == "fine"


def test_a_name_that_is_not_utf8_is_imported_under_a_safe_name(imported):
    course, result, _ = imported
    assert "not valid UTF-8" in _notes(result, 2000004)
    assert len(_submitted(course, 2000004)) == 2


def test_a_crafted_full_name_never_files_an_upload_under_another_id(imported):
    course, result, _ = imported
    ids = {s.student_id for s in result}
    assert "p999" not in ids and not (course / "submitted" / "p999").exists()
    eve = next(s for s in result if s.student_id == "p2000005")
    assert eve.full_name == "Learner Eve_999_assignsubmission_file_ X"
    # Flat layout: the pattern in a full name or a file name makes the owner ambiguous.
    assert "p2000006" not in ids and "p2000007" not in ids
    ambiguous = [n for n in result.unassigned if "could belong to participant" in n]
    assert len(ambiguous) == 2 and any("2000006 or 999" in n for n in ambiguous)
    assert _submitted(course, 2000013) == [LESSON.name]  # an honest flat upload


def test_a_repeated_participant_and_an_unknown_folder_are_reported(imported):
    course, result, _ = imported
    assert "p2000009" not in {s.student_id for s in result}
    assert "2 different names for participant 2000009" in _notes(result, 2000009)
    assert any("participant 2000009" in n for n in result.unassigned)
    assert not GradingCourse(course).folder("submitted", "p2000009").exists()
    assert any("'random folder'" in n and "not a Moodle" in n for n in result.unassigned)
    assert intake.unassigned_notes(course, MODULE.name) == result.unassigned
    assert "online text" in _notes(result, 2000014)


def test_limits_on_size_and_file_count_are_per_learner(imported):
    course, result, _ = imported
    assert "over the limit" in _notes(result, 2000010)
    assert _submitted(course, 2000010) == [LESSON.name]
    assert "only the first 500" in _notes(result, 2000011)
    assert _submitted(course, 2000011) == [LESSON.name]
    aside = intake.set_aside_dir(course, MODULE.name, "p2000011")
    assert len(list(aside.rglob("*.txt"))) == 499


def test_only_notebooks_reach_the_graded_folder(imported):
    course, result, _ = imported
    assert _submitted(course, 2000012) == [LESSON.name]
    aside = intake.set_aside_dir(course, MODULE.name, "p2000012")
    assert (aside / "ipywidgets.py").exists()
    assert "set aside" in _notes(result, 2000012) and str(GradingCourse(course).state) in str(aside)


def test_a_copy_over_its_time_limit_is_a_note_and_ctrl_c_stops_the_import(tmp_path, monkeypatch):
    course = copy_course(tmp_path / "course")
    with zipfile.ZipFile(tmp_path / "m.zip", "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(_folder("Learner Slow", 2000020) + "/" + LESSON.name, "{}")
        archive.writestr(_folder("Learner Fast", 2000021) + "/" + LESSON.name, "{}")
    slow = moodle_zip.IntakeLimits(learner_seconds=0)
    result = intake.import_moodle_zip(tmp_path / "m.zip", MODULE, course, limits=slow)
    assert "took longer than" in _notes(result, 2000020)
    assert "took longer than" in _notes(result, 2000021)

    def interrupted(self, n=-1):
        raise KeyboardInterrupt

    monkeypatch.setattr(zipfile.ZipExtFile, "read", interrupted)
    with pytest.raises(KeyboardInterrupt):
        intake.import_moodle_zip(tmp_path / "m.zip", MODULE, course)
    assert not list((course / "submitted").rglob("*.ipynb"))  # no half-written file


def test_a_file_that_is_not_a_zip_is_still_refused(tmp_path):
    (tmp_path / "x.zip").write_bytes(b"PK\x05\x06 nonsense")
    with pytest.raises(CourseError, match="not a zip"):
        intake.import_moodle_zip(tmp_path / "x.zip", MODULE, tmp_path)


def test_zlib_errors_are_what_a_flipped_byte_gives():
    data = bytearray(zlib.compress(b"x" * 1000)[2:-4])
    data[5] ^= 0xFF
    with pytest.raises(zlib.error):
        zlib.decompress(bytes(data), -15)


# --- damaged metadata, graded for real -----------------------------------------------------------


def _gid(cell):
    return cell.metadata.get("nbgrader", {}).get("grade_id")


def _index(nb, gid: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if _gid(c) == gid)


def _copy_cell(cell):
    new = copy.deepcopy(cell)
    new["id"] = nbformat.v4.nbbase.random_cell_id()
    return new


def copied_test_above_answer(nb):
    nb.cells.insert(
        _index(nb, "training_days"), _copy_cell(nb.cells[_index(nb, "test_training_days")])
    )


def duplicated_answer_answered_in_copy(nb):
    """Jupyter's copy and paste keeps the metadata: the learner answered in the copy."""
    i = _index(nb, "longest_training")
    template = _copy_cell(nb.cells[i])
    template.source = RELEASE["nb"].cells[_index(RELEASE["nb"], "longest_training")].source
    nb.cells.insert(i, template)


def copied_and_edited_test_below(nb):
    copy_ = _copy_cell(nb.cells[_index(nb, "test_phone_share")])
    copy_.source = "print(phone_share)  # checking my answer"
    nb.cells.insert(_index(nb, "test_phone_share") + 1, copy_)


def copied_graded_markdown_answer(nb):
    i = _index(nb, "reflection_bottleneck")
    nb.cells[i].source = "The queue at the desk."
    second = _copy_cell(nb.cells[i])
    second.source = "Also: too few people on the phone."
    nb.cells.insert(i + 1, second)


def stripped(nb):
    for cell in nb.cells:
        for key in ("nbgrader", "deletable", "editable"):
            cell.metadata.pop(key, None)


def stripped_ids_gone_extra_cells(nb):
    stripped(nb)
    for i in reversed(range(len(nb.cells))):
        if nb.cells[i].cell_type == "code" and "NotImplementedError" not in nb.cells[i].source:
            nb.cells.insert(i + 1, nbformat.v4.new_code_cell("print('trying things out')"))
    nb.cells.insert(0, nbformat.v4.new_markdown_cell("My notes for this lesson."))
    for cell in nb.cells:
        cell.pop("id", None)
    nb.nbformat_minor = 4


def solution_made_graded(nb):
    meta = nb.cells[_index(nb, "training_days")].metadata.nbgrader
    meta.update(grade=True, points=5, locked=True)


def unknown_schema_and_keys(nb):
    for cell in nb.cells:
        if "nbgrader" in cell.metadata:
            cell.metadata.nbgrader["schema_version"] = 7
            cell.metadata.nbgrader["my_editor_flag"] = True


def foreign_metadata(nb):
    cell = nbformat.v4.new_code_cell("assert True")
    cell.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "my_bonus",
        "points": 10,
        "solution": False,
        "locked": True,
        "schema_version": 3,
    }
    nb.cells.insert(_index(nb, "test_training_days") + 1, cell)
    nb.cells[_index(nb, "ex1_task")].metadata.nbgrader = {}  # half-stripped


def answer_written_elsewhere(nb):
    i = _index(nb, "training_days")
    answer = nb.cells.pop(i)
    nb.cells.insert(_index(nb, "timeline_intro"), nbformat.v4.new_code_cell(answer.source))


# Learner -> the slips in their (correct) notebook, and what the notes must say about each.
VARIANTS = {
    "copied_cells": (
        [copied_test_above_answer, duplicated_answer_answered_in_copy],
        [
            "a copy of test cell test_training_days was removed",
            "a copy of answer cell longest_training was removed",
        ],
    ),
    "copied_and_edited": (
        [copied_and_edited_test_below, copied_graded_markdown_answer],
        [
            "second cell claimed to be test cell test_phone_share",
            "second cell claimed to be answer cell (graded by the teacher) reflection_bottleneck",
        ],
    ),
    "stripped": ([stripped], ["grading metadata missing from 22 cells (intro, origin,"]),
    "stripped_no_ids": (
        [stripped_ids_gone_extra_cells],
        ["grading metadata missing from 22 cells"],
    ),
    "metadata_edited": (
        [solution_made_graded, unknown_schema_and_keys],
        [
            "changed in cell training_days (grade, locked, my_editor_flag, points, schema",
            "changed in 21 cells (intro, origin, notebooks, trainings_intro, timeline_intro, "
            "widget_intro, ex1_task, test_training_days and 13 more) (my_editor_flag, schema",
        ],
    ),
    "foreign_metadata": (
        [foreign_metadata],
        [
            "grading metadata that is not in the lesson ('my_bonus')",
            "grading metadata missing from cell ex1_task",
        ],
    ),
    "answer_elsewhere": (
        [answer_written_elsewhere],
        ["an answer written in another cell still counts"],
    ),
}
RELEASE: dict = {}


def answered() -> nbformat.NotebookNode:
    """The student version with every answer filled in from the source: full marks."""
    source = {_gid(c): c for c in nbformat.read(LESSON, 4).cells}
    release = copy.deepcopy(RELEASE["nb"])
    for cell in release.cells:
        if cell.metadata.get("nbgrader", {}).get("solution"):
            cell.source = source[_gid(cell)].source
    return release


def _write(course: Path, student: str, nb) -> None:
    folder = GradingCourse(course).folder("submitted", student, MODULE.name)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / LESSON.name).write_text(json.dumps(nb, indent=1))


@pytest.fixture(scope="module")
def graded_class(tmp_path_factory):
    if sandbox.sandbox_problem() is not None:
        pytest.skip("no sandbox: make grading-tools")
    from servicecourse.grading import pipeline

    tmp = tmp_path_factory.mktemp("metadata")
    course = copy_course(tmp / "course")
    grading.release([MODULE], course)
    RELEASE["nb"] = nbformat.read(
        GradingCourse(course).folder("release", module=MODULE.name) / LESSON.name, 4
    )
    _write(course, "reference", answered())
    for student, (damages, _) in VARIANTS.items():
        nb = answered()
        for damage in damages:
            damage(nb)
        _write(course, student, nb)
    # A Moodle learner in the same run: an over-long name and a shadowing ipywidgets.py.
    text = json.dumps(answered())
    with zipfile.ZipFile(tmp / "moodle.zip", "w") as archive:
        archive.writestr(_folder("Learner Long", 2100001) + "/" + LONG_NAME, text)
        archive.writestr(_folder("Learner Long", 2100001) + "/ipywidgets.py", "raise ImportError")
        archive.writestr(_folder("Learner Long", 2100001) + "/sub/data.csv", "a,b\n")
    intake.import_moodle_zip(tmp / "moodle.zip", MODULE, course)
    run = pipeline.grade_class([MODULE], course, workers=2, limits=QUICK, progress=False)
    return course, run


def _auto(course: Path, student: str) -> tuple[float, float]:
    # The checks of the one lesson submitted (the module has more lessons).
    every = grading.scores(MODULE, student, course)
    scores = [v for k, v in every.items() if k.startswith(LESSON.stem + "/")]
    return (
        sum(v["score"] for v in scores if v["auto"]),
        sum(v["max_score"] for v in scores if v["auto"]),
    )


def _outcome(run, student):
    return next(o for o in run.outcomes if o.student == student)


def test_reference_is_full_marks(graded_class):
    course, run = graded_class
    total, full = _auto(course, "reference")
    assert total == full > 0
    # Only the module's other lessons, which this class did not submit, are noted.
    others = [n for n in _outcome(run, "reference").notes if LESSON.name not in n]
    assert _outcome(run, "reference").notes == others
    assert all("is missing" in n for n in others)


@pytest.mark.parametrize("student", sorted(VARIANTS))
def test_damaged_metadata_on_a_correct_notebook_scores_full_marks(graded_class, student):
    course, run = graded_class
    outcome = _outcome(run, student)
    assert outcome.graded, outcome.reason
    total, full = _auto(course, student)
    assert total == full == _auto(course, "reference")[1], outcome.notes
    for expected in VARIANTS[student][1]:
        assert any(expected in note for note in outcome.notes), (expected, outcome.notes)
    assert not any("nbgrader update" in note for note in outcome.notes)


def test_a_moodle_learner_is_graded_with_the_notes_of_the_import(graded_class):
    course, run = graded_class
    outcome = _outcome(run, "p2100001")
    assert outcome.graded and _auto(course, "p2100001")[0] == _auto(course, "reference")[1]
    assert any("too long a name" in n for n in outcome.notes)
    assert any(f"was graded as {LESSON.name}" in n for n in outcome.notes)
    assert any("ipywidgets.py" in n and "set aside" in n for n in outcome.notes)
    folder = GradingCourse(course).folder("submitted", "p2100001", MODULE.name)
    assert sorted(p.name for p in folder.iterdir()) == [LESSON.name]
