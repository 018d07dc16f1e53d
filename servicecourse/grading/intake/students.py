"""Who is who: Moodle participants as student ids, and the names kept in ``students.csv``."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from ...paths import GradingCourse

STUDENTS_FILE = "students.csv"
COLUMNS = ["student_id", "full_name", "moodle_folder"]


@dataclass(frozen=True)
class MoodleStudent:
    student_id: str
    full_name: str
    folder: str


def student_id_for(participant: str) -> str:
    return f"p{participant}"


def record_students(course: Path, new: Iterable[MoodleStudent]) -> None:
    """Keep one mapping of student ids to names and Moodle folders, updated on each import."""
    path = GradingCourse(course).students_file
    known = known_students(course)
    for student in new:
        known[student.student_id] = {
            "student_id": student.student_id,
            "full_name": student.full_name,
            "moodle_folder": student.folder,
        }
    path.parent.mkdir(parents=True, exist_ok=True)
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
