"""What intake remembers between runs, in ``GradingCourse(course).state`` (ignored by git).

- ``intake/<module>/students/<student>.json``: the notes about one learner's submission (from
  the Moodle import and from :func:`~.submission.prepare_submission`), with the digest of the
  submitted folder they describe: a folder replaced since (a new upload) drops them.
- ``intake/<module>/unassigned.json``: zip entries that belong to nobody (last import).
- ``set-aside/<module>/<student>/``: everything a learner sent that is not one of the module's
  notebooks; nbgrader's ``submitted/`` tree only ever holds notebooks.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from ...paths import GradingCourse
from ..journal import submission_digest


def intake_dir(course: Path, module: str) -> Path:
    return GradingCourse(course).state / "intake" / module


def notes_path(course: Path, module: str, student: str) -> Path:
    return intake_dir(course, module) / "students" / f"{student}.json"


def set_aside_dir(course: Path, module: str, student: str) -> Path:
    """Where a learner's files that are not graded are kept (nothing is thrown away)."""
    return GradingCourse(course).state / "set-aside" / module / student


def _write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)


def save_notes(course: Path, module: str, student: str, notes: list[str]) -> None:
    folder = GradingCourse(course).folder("submitted", student, module)
    digest = submission_digest(folder) if folder.is_dir() else ""
    _write_json(notes_path(course, module, student), {"digest": digest, "notes": notes})


def load_notes(course: Path, module: str, student: str) -> list[str]:
    """The notes saved for this learner, if their submitted folder is still the one described."""
    path = notes_path(course, module, student)
    try:
        saved = json.loads(path.read_text(encoding="utf-8"))
        notes, digest = list(saved["notes"]), saved["digest"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    folder = GradingCourse(course).folder("submitted", student, module)
    current = submission_digest(folder) if folder.is_dir() else ""
    return [str(n) for n in notes] if digest == current else []


def import_notes(course: Path, module: str) -> dict[str, list[str]]:
    """Every learner's saved notes for a module (for a summary; not checked against digests)."""
    found = {}
    for path in sorted((intake_dir(course, module) / "students").glob("*.json")):
        try:
            found[path.stem] = list(json.loads(path.read_text(encoding="utf-8"))["notes"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return found


def save_unassigned(course: Path, module: str, notes: list[str]) -> None:
    _write_json(intake_dir(course, module) / "unassigned.json", notes)


def unassigned_notes(course: Path, module: str) -> list[str]:
    """Zip entries of the last Moodle import of ``module`` that belong to no learner."""
    try:
        return list(json.loads((intake_dir(course, module) / "unassigned.json").read_text()))
    except (OSError, ValueError, TypeError):
        return []


def unique(path: Path) -> Path:
    """``path``, or ``name (2).ext`` and so on if it is taken."""
    if not os.path.lexists(path):
        return path
    stem, suffix = path.stem, path.suffix
    n = 2
    while os.path.lexists(path.with_name(f"{stem} ({n}){suffix}")):
        n += 1
    return path.with_name(f"{stem} ({n}){suffix}")


def move_aside(path: Path, aside: Path, relative: Path) -> Path:
    """Move a file or folder (never following links) to ``aside/relative``; return where."""
    dest = unique(aside / relative)
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.rename(path, dest)
    except OSError:
        shutil.move(str(path), str(dest))
    return dest
