"""Grade a whole class: nbgrader's autograde in parallel workers, resumable after any stop.

Why this shape:

- nbgrader grades one submission at a time; a class on a 2-core machine waits on kernel
  start-up and imports. Workers (separate processes, each with its own NbGraderAPI) grade
  different learners at once; the gradebook is a database, so they share it safely.
- A run can be stopped at any moment, even by SIGKILL. A learner counts as done only when a
  journal file is written *after* nbgrader has committed the grades, atomically. A re-run
  re-grades whatever has no journal entry for the current submission (same digest) and skips
  the rest; nbgrader keys grades by learner, notebook and cell, so nothing counts twice.
- One learner's broken or hostile notebook only affects that learner: the sandbox contains the
  code, and an exception in a worker becomes a reason in the summary.
"""

from __future__ import annotations

import ctypes
import fcntl
import hashlib
import json
import os
import signal
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ..paths import CourseError, Module, layout
from . import course as nbg
from . import intake, sandbox

STATE_DIR = ".grading"


@dataclass(frozen=True)
class Limits:
    """What one learner's notebook may use while it is graded."""

    cell_seconds: int = 60
    notebook_seconds: int = 600
    memory_mb: int = 2048
    file_size_mb: int = 64


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


def default_workers() -> int:
    """One worker per CPU this process may use, bounded by memory (about 1 GiB per worker)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        by_memory = max(1, pages // (1024**3))
    except (ValueError, OSError):
        by_memory = cpus
    return max(1, min(cpus or 1, by_memory))


def grading_config(course: Path, limits: Limits, use_sandbox: bool):
    """The course's nbgrader config plus the pipeline's guarded execution."""
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    config = nbg.load_config(course)
    config.Autograde.autograde_preprocessors = [
        sandbox.GuardedExecute,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]
    for section in ("ExecutePreprocessor", "Execute", "GuardedExecute"):
        config[section].timeout = limits.cell_seconds
    config.GuardedExecute.notebook_timeout = limits.notebook_seconds
    if use_sandbox:
        config.GuardedExecute.kernel_manager_class = sandbox.SandboxedKernelManager
        config.SandboxedKernelManager.memory_mb = limits.memory_mb
        config.SandboxedKernelManager.file_size_mb = limits.file_size_mb
    return config


def submission_digest(folder: Path) -> str:
    """Content of a learner's submitted folder; a new upload means a new digest."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _journal(course: Path, module: str, student: str) -> Path:
    return course / STATE_DIR / module / f"{student}.json"


def read_journal(course: Path, module: str, student: str) -> Outcome | None:
    path = _journal(course, module, student)
    try:
        return Outcome(**json.loads(path.read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _write_journal(course: Path, outcome: Outcome) -> None:
    path = _journal(course, outcome.module, outcome.student)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    with open(tmp, "w") as handle:
        json.dump(asdict(outcome), handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


@contextmanager
def _course_lock(course: Path):
    """Two runs on one course would grade the same learners twice at once."""
    state = course / STATE_DIR
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


# --- worker side -----------------------------------------------------------------------------

_worker_api = None


def _die_with_parent() -> None:
    """A worker must not outlive a killed run, or it would keep writing grades."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _init_worker(course: str, limits: Limits, use_sandbox: bool) -> None:
    global _worker_api
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    # nbgrader's own SQLAlchemy warnings repeat for every learner and hide the progress bar.
    warnings.filterwarnings("ignore", module="nbgrader")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    from nbgrader.apps import NbGraderAPI

    nbg.course_api(Path(course))  # puts this environment's alembic on PATH
    _worker_api = NbGraderAPI(config=grading_config(Path(course), limits, use_sandbox))


def _grade_in_worker(module: str, student: str, notebook: str | None) -> tuple[bool, str]:
    api = _worker_api
    api.coursedir.notebook_id = notebook or "*"
    try:
        result = api.autograde(module, student, force=True, create=True)
    finally:
        api.coursedir.notebook_id = "*"
    if result.get("success"):
        return True, ""
    return False, nbg._reason(result)


# --- main side -------------------------------------------------------------------------------


@dataclass
class ClassRun:
    outcomes: list[Outcome]
    workers: int
    seconds: float

    @property
    def graded(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.graded]

    @property
    def not_graded(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.graded]


def grade_class(
    modules: list[Module],
    course: Path | None = None,
    *,
    students: list[str] | None = None,
    notebook: str | None = None,
    workers: int | None = None,
    limits: Limits = Limits(),
    use_sandbox: bool = True,
    force: bool = False,
    progress: bool = True,
) -> ClassRun:
    """Autograde every submitted learner of each module; see the module docstring for why.

    The gradebook is the course config's (``SERVICECOURSE_GRADEBOOK_URL`` for a shared one).
    """
    course = course or layout().grading.root
    if use_sandbox:
        sandbox.require_sandbox()
    started = time.monotonic()
    workers = workers or default_workers()
    notebook_id = notebook.removesuffix(".ipynb") if notebook else None
    with _course_lock(course):
        api = nbg.course_api(course)
        _prefer_wal(api)
        todo: list[tuple[str, str, str, list[str]]] = []
        outcomes: list[Outcome] = []
        for module in modules:
            if not module.lessons:
                continue
            if notebook_id and not (module.path / f"{notebook_id}.ipynb").exists():
                names = ", ".join(p.stem for p in module.lessons)
                raise CourseError(f"{module.name} has no notebook {notebook_id!r}; it has: {names}")
            if not nbg._has_assignment(api, module.name) or not _released(api, module):
                nbg._check(api.generate_assignment(module.name), f"generating {module.name}")
            release_dir = Path(
                api.coursedir.format_path(api.coursedir.release_directory, ".", module.name)
            )
            submitted = sorted(api.get_submitted_students(module.name))
            in_gradebook = _students_in_gradebook(api, module.name)
            names = intake.known_students(course)
            chosen = students or submitted
            for student in chosen:
                folder = Path(
                    api.coursedir.format_path(
                        api.coursedir.submitted_directory, student, module.name
                    )
                )
                if not folder.is_dir():
                    outcomes.append(Outcome(module.name, student, False, "no submission"))
                    continue
                _register_student(api, student, names.get(student, {}).get("full_name", ""))
                notes = intake.prepare_submission(release_dir, folder)
                if not any(folder.glob("*.ipynb")):
                    outcome = Outcome(
                        module.name,
                        student,
                        False,
                        "no notebook of this module could be read; ask the learner to submit again"
                        + (f" ({'; '.join(notes)})" if notes else ""),
                        notes,
                        digest=submission_digest(folder),
                    )
                    _write_journal(course, outcome)
                    outcomes.append(outcome)
                    continue
                digest = submission_digest(folder)
                done = read_journal(course, module.name, student)
                if (
                    done is not None
                    and done.graded
                    and done.digest == digest
                    and student in in_gradebook  # a reset gradebook means grading again
                    and not force
                    and not notebook_id
                    and not students
                ):
                    done.skipped = True
                    outcomes.append(done)
                    continue
                if done is not None:
                    notes = done.notes + [n for n in notes if n not in done.notes]
                todo.append((module.name, student, digest, notes))
        if not todo and not outcomes:
            raise CourseError(
                "nobody has submitted: put submissions in "
                + api.coursedir.format_path(
                    api.coursedir.submitted_directory, "<student_id>", "<module>"
                )
            )
        outcomes += _run(course, todo, notebook_id, workers, limits, use_sandbox, progress)
    outcomes.sort(key=lambda o: (o.module, o.student))
    return ClassRun(outcomes, workers, time.monotonic() - started)


def _register_student(api, student: str, full_name: str) -> None:
    """Every learner who sent something is in the gradebook, graded or not, with their name."""
    first, _, last = full_name.partition(" ")
    names = {"first_name": first, "last_name": last} if full_name else {}
    with api.gradebook as gb:
        gb.update_or_create_student(student, **names)


def _students_in_gradebook(api, module: str) -> set[str]:
    with api.gradebook as gb:
        return {s.student.id for s in gb.find_assignment(module).submissions}


def _released(api, module: Module) -> bool:
    release = Path(api.coursedir.format_path(api.coursedir.release_directory, ".", module.name))
    return all((release / p.name).exists() for p in module.lessons)


def _prefer_wal(api) -> None:
    """SQLite in WAL mode lets the workers' short writes wait for each other instead of failing."""
    url = api.coursedir.db_url
    if url.startswith("sqlite:///"):
        import sqlite3

        path = url[len("sqlite:///") :]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        with api.gradebook:  # creates the schema on first use
            pass
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=WAL")


def _run(course, todo, notebook_id, workers, limits, use_sandbox, progress) -> list[Outcome]:
    if not todo:
        return []
    from tqdm import tqdm

    outcomes = []
    bar = tqdm(
        total=len(todo),
        unit="submission",
        disable=not progress,
        file=sys.stderr,
        dynamic_ncols=True,
    )
    context = get_context("spawn")
    with ProcessPoolExecutor(
        max_workers=min(workers, len(todo)),
        mp_context=context,
        initializer=_init_worker,
        initargs=(str(course), limits, use_sandbox),
    ) as pool:
        started = {}
        futures = {}
        for module, student, digest, notes in todo:
            future = pool.submit(_grade_in_worker, module, student, notebook_id)
            futures[future] = (module, student, digest, notes)
            started[future] = time.monotonic()
        for future in as_completed(futures):
            module, student, digest, notes = futures[future]
            try:
                graded, reason = future.result()
            except Exception as error:  # noqa: BLE001 - one learner never stops the class
                graded, reason = False, f"grading crashed: {type(error).__name__}: {error}"
            outcome = Outcome(
                module,
                student,
                graded,
                reason,
                notes,
                round(time.monotonic() - started[future], 2),
                digest,
            )
            _write_journal(course, outcome)
            outcomes.append(outcome)
            bar.set_postfix_str(f"{student} {'ok' if graded else 'NOT graded'}")
            bar.update()
    bar.close()
    return outcomes
