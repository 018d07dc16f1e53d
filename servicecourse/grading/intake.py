"""From what instructors download to nbgrader's ``submitted/<student>/<module>/`` tree.

Why: real submissions arrive as a Moodle "Download all submissions" zip, with notebooks renamed
by browsers (``lesson (1).ipynb``), put in sub-folders, damaged, or with cells deleted. Each
problem is repaired where the intent is clear and always written down, so the class summary
can say what happened to whom; nothing a learner submitted is thrown away.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import nbformat

from ..paths import CourseError, Module

# Moodle names each learner's folder "<Full Name>_<participant number>_assignsubmission_<plugin>_".
MOODLE_FOLDER = re.compile(
    r"^(?P<name>.+?)_(?P<participant>\d+)_assign(?:submission|feedback)_(?P<plugin>[a-z]+)_(?P<rest>.*)$"
)
MAX_ZIP_BYTES = 1024 * 1024 * 1024
STUDENTS_FILE = "students.csv"
NOT_JSON_SUFFIX = ".not-json"


@dataclass(frozen=True)
class MoodleStudent:
    student_id: str
    full_name: str
    folder: str


def student_id_for(participant: str) -> str:
    return f"p{participant}"


def import_moodle_zip(zip_path: Path, module: Module, course: Path) -> list[MoodleStudent]:
    """Unpack a Moodle download into submitted/ and record who is who in students.csv."""
    if not zip_path.is_file():
        raise CourseError(
            f"{zip_path} does not exist: give the zip from Moodle's 'Download all submissions'"
        )
    try:
        archive = zipfile.ZipFile(zip_path)
    except zipfile.BadZipFile:
        raise CourseError(
            f"{zip_path} is not a zip file: download the submissions again from Moodle"
        ) from None
    with archive:
        entries = [info for info in archive.infolist() if not info.is_dir()]
        if sum(info.file_size for info in entries) > MAX_ZIP_BYTES:
            raise CourseError(f"{zip_path} unpacks to more than 1 GiB: is this the right file?")
        students: dict[str, MoodleStudent] = {}
        files: dict[str, list[tuple[zipfile.ZipInfo, PurePosixPath]]] = {}
        for info in entries:
            parts = PurePosixPath(info.filename).parts
            match = MOODLE_FOLDER.match(parts[0]) if parts else None
            if not match or match["plugin"] != "file":
                continue  # online text, feedback files and anything not a learner's upload
            # Moodle keeps folders ("…_file_/lesson.ipynb") or flattens ("…_file_lesson.ipynb").
            inner = (
                PurePosixPath(*parts[1:])
                if match["rest"] == ""
                else PurePosixPath(match["rest"], *parts[1:])
            )
            if not inner.parts or any(p in ("..", "") or p.startswith("/") for p in inner.parts):
                continue
            sid = student_id_for(match["participant"])
            students[sid] = MoodleStudent(sid, match["name"].strip(), parts[0])
            files.setdefault(sid, []).append((info, inner))
        if not students:
            raise CourseError(
                f"{zip_path} holds no Moodle file submissions: expected folders named like "
                "'Full Name_1234567_assignsubmission_file_'"
            )
        for sid, members in files.items():
            target = course / "submitted" / sid / module.name
            if target.exists():
                shutil.rmtree(target)
            for info, inner in members:
                dest = target.joinpath(*inner.parts)
                dest.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(info) as src, open(dest, "wb") as out:
                    shutil.copyfileobj(src, out)
    _record_students(course, students.values())
    return sorted(students.values(), key=lambda s: s.student_id)


def _record_students(course: Path, new: object) -> None:
    """Keep one mapping of student ids to names and Moodle folders, updated on each import."""
    path = course / STUDENTS_FILE
    known: dict[str, dict] = {}
    if path.exists():
        with open(path, newline="", encoding="utf-8") as handle:
            known = {row["student_id"]: row for row in csv.DictReader(handle)}
    for student in new:
        known[student.student_id] = {
            "student_id": student.student_id,
            "full_name": student.full_name,
            "moodle_folder": student.folder,
        }
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, ["student_id", "full_name", "moodle_folder"])
        writer.writeheader()
        writer.writerows(known[k] for k in sorted(known))
    tmp.replace(path)


def known_students(course: Path) -> dict[str, dict]:
    path = course / STUDENTS_FILE
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def _grade_ids(nb) -> list[str]:
    return [
        cell.metadata["nbgrader"]["grade_id"]
        for cell in nb.cells
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
    ]


def _read(path: Path):
    try:
        with open(path, encoding="utf-8") as handle:
            return nbformat.read(handle, as_version=4)
    except (json.JSONDecodeError, UnicodeDecodeError, nbformat.reader.NotJSONError):
        return None
    except Exception:  # noqa: BLE001 - any unreadable notebook is reported, never fatal
        return None


def prepare_submission(release_dir: Path, submission: Path) -> list[str]:
    """Put a learner's notebooks where nbgrader expects them; say what was done and why.

    ``release_dir`` holds the student version of the module (the cells a learner received).
    """
    notes: list[str] = []
    expected = {p.name: nbformat.read(p, as_version=4) for p in sorted(release_dir.glob("*.ipynb"))}
    found = sorted(
        p
        for p in submission.rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts and p.is_file()
    )
    readable = {}
    for path in found:
        nb = _read(path)
        rel = path.relative_to(submission).as_posix()
        if nb is None:
            path.rename(path.with_name(path.name + NOT_JSON_SUFFIX))
            if not (path.parent == submission and path.name in expected):
                notes.append(f"{rel} is not a valid notebook (damaged JSON): not graded")
            continue
        readable[path] = nb
    # Notebooks that are misnamed or misplaced are matched to the lesson whose graded cells
    # they carry.
    for path, nb in readable.items():
        if path.parent == submission and path.name in expected:
            continue
        ids = set(_grade_ids(nb))
        best = max(
            expected, key=lambda name: len(ids & set(_grade_ids(expected[name]))), default=None
        )
        rel = path.relative_to(submission).as_posix()
        if best is None or not ids & set(_grade_ids(expected[best])):
            notes.append(f"{rel} is not one of this module's notebooks: not graded")
            continue
        target = submission / best
        if target.exists():
            notes.append(
                f"{rel} looks like {best}, which was also submitted: only {best} is graded"
            )
            continue
        path.rename(target)
        notes.append(f"{rel} was graded as {best} (misnamed or misplaced)")
    for name, released in expected.items():
        path = submission / name
        if not path.exists():
            if path.with_name(name + NOT_JSON_SUFFIX).exists():
                notes.append(
                    f"{name} is not a valid notebook (damaged JSON): it scores 0; the file is "
                    f"kept as {name}{NOT_JSON_SUFFIX}"
                )
            else:
                notes.append(f"{name} is missing: it scores 0")
            continue
        nb = _read(path)
        if nb is None:
            continue
        changed = _restore_deleted_cells(nb, released, name, notes)
        _note_tampering(nb, released, name, notes)
        if changed:
            nbformat.write(nb, path)
    return notes


def _restore_deleted_cells(nb, released, name: str, notes: list[str]) -> bool:
    """Put back graded cells a learner deleted, after the cell that preceded them."""
    present = set(_grade_ids(nb))
    restored = []
    previous = None
    for cell in released.cells:
        gid = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if gid and gid not in present:
            position = 0
            if previous is not None:
                position = next(
                    (i + 1 for i, c in enumerate(nb.cells) if _gid(c) == previous), len(nb.cells)
                )
            nb.cells.insert(position, cell)
            present.add(gid)
            restored.append(gid)
        if gid:
            previous = gid
    if restored:
        notes.append(
            f"{name}: deleted cells {', '.join(restored)} were put back from the student version "
            "(a deleted answer scores 0; deleted tests still run)"
        )
    return bool(restored)


def _gid(cell) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _note_tampering(nb, released, name: str, notes: list[str]) -> None:
    by_id = {_gid(c): c for c in released.cells if _gid(c)}
    for cell in nb.cells:
        gid = _gid(cell)
        original = by_id.get(gid)
        if original is None:
            continue
        if cell.cell_type != original.cell_type:
            notes.append(
                f"{name}: cell {gid} was changed from {original.cell_type} to {cell.cell_type}; "
                "nbgrader grades it as the original type"
            )
        elif original.metadata["nbgrader"].get("locked") and cell.source != original.source:
            notes.append(
                f"{name}: read-only cell {gid} was edited; it was restored from the source"
            )
