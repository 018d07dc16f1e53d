"""What a grading run remembers between runs: one journal entry per learner, and the lock.

Why: a run can be stopped at any moment, even by SIGKILL. A learner counts as done only when
their entry is written *after* nbgrader has committed the grades, atomically; a re-run grades
again whatever has no entry for the current submission (same digest).
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..paths import CourseError, GradingCourse


@dataclass
class Outcome:
    """What happened to one learner's submission of one module."""

    module: str
    student: str
    graded: bool
    reason: str = ""
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    digest: str = ""
    skipped: bool = False


def submission_digest(folder: Path) -> str:
    """Content of a learner's submitted folder; a new upload means a new digest."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def entry_path(course: Path, module: str, student: str) -> Path:
    return GradingCourse(course).state / module / f"{student}.json"


def read_entry(course: Path, module: str, student: str) -> Outcome | None:
    try:
        return Outcome(**json.loads(entry_path(course, module, student).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def write_entry(course: Path, outcome: Outcome) -> None:
    path = entry_path(course, outcome.module, outcome.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "w") as handle:
        json.dump(asdict(outcome), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


@contextmanager
def course_lock(course: Path):
    """Two runs on one course would grade the same learners twice at once."""
    state = GradingCourse(course).state
    state.mkdir(parents=True, exist_ok=True)
    with open(state / "lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise CourseError(
                f"another grading run is using {course}; wait for it to finish (the lock is "
                "released automatically when that run stops, even if it was killed)"
            ) from None
        yield
