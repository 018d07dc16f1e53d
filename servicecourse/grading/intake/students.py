"""Who is who: Moodle participants as student ids, and the names kept in ``students.csv``.

Learners come two ways: in a Moodle zip (``p<participant>``, with the folder it came in) and by
an LTI launch on the course hub (an id made from the e-mail address, with the address and
Moodle's user id; see ``servicecourse.hub.identity``). Both are rows of the same file.
"""

from __future__ import annotations

import csv
import fcntl
from collections.abc import Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from ...paths import GradingCourse

STUDENTS_FILE = "students.csv"
COLUMNS = ["student_id", "full_name", "moodle_folder", "email", "lti_sub", "lti_issuer"]


@dataclass(frozen=True)
class MoodleStudent:
    student_id: str
    full_name: str
    folder: str
    email: str = ""
    lti_sub: str = ""
    lti_issuer: str = ""


def student_id_for(participant: str) -> str:
    return f"p{participant}"


@contextmanager
def _locked(path: Path):
    """One writer at a time: the hub records launches while grading may import a zip."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def record_students(course: Path, new: Iterable[MoodleStudent]) -> None:
    """Keep one mapping of student ids to names, Moodle folders and e-mail addresses, updated
    on each import or launch; a value not given this time keeps the one recorded before."""
    path = GradingCourse(course).students_file
    with _locked(path):
        known = known_students(course)
        for student in new:
            given = {
                "student_id": student.student_id,
                "full_name": student.full_name,
                "moodle_folder": student.folder,
                "email": student.email,
                "lti_sub": student.lti_sub,
                "lti_issuer": student.lti_issuer,
            }
            row = known.setdefault(student.student_id, {})
            row.update({k: v for k, v in given.items() if v or not row.get(k)})
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, COLUMNS, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(known[k] for k in sorted(known))
        tmp.replace(path)


def known_students(course: Path) -> dict[str, dict]:
    path = GradingCourse(course).students_file
    if not path.exists():
        return {}
    with open(path, newline="", encoding="utf-8") as handle:
        return {row["student_id"]: row for row in csv.DictReader(handle)}


def students_by_email(course: Path) -> dict[str, str]:
    """Lower-cased e-mail address -> student id, for the learners who came by the hub."""
    return {
        row["email"].strip().lower(): student_id
        for student_id, row in known_students(course).items()
        if row.get("email", "").strip()
    }
