"""Grade a whole class: nbgrader's autograde in parallel workers, resumable after any stop.

Why this shape:

- nbgrader grades one submission at a time; a class on a 2-core machine waits on kernel
  start-up and imports. Workers (separate processes, each with its own NbGraderAPI) grade
  different learners at once; the gradebook is a database, so they share it safely.
- A run can be stopped at any moment, even by SIGKILL (:mod:`.journal`): a re-run re-grades
  whatever has no journal entry for the current submission and skips the rest; nbgrader keys
  grades by learner, notebook and cell, so nothing counts twice.
- Planning (:func:`plan_class`: who needs grading, after intake's repairs) is apart from running
  (:func:`run_plan`: the workers), so each can be read and tested on its own.
- One learner's broken or hostile notebook only affects that learner: the sandbox contains the
  code, and an exception in a worker becomes a reason in the summary.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import time
import warnings
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from ..paths import DEFAULTS, CourseError, GradingCourse, GradingLimits, Module, layout
from . import course as nbg
from . import intake, sandbox
from .isolation import IsolatedExecute
from .journal import Outcome, course_lock, read_entry, submission_digest, write_entry


def default_workers() -> int:
    """One worker per CPU this process may use, bounded by memory (about 1 GiB per worker)."""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    try:
        pages = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        by_memory = max(1, pages // (1024**3))
    except (ValueError, OSError):
        by_memory = cpus
    return max(1, min(cpus or 1, by_memory))


def grading_config(
    course: Path,
    limits: GradingLimits,
    use_sandbox: bool,
    gradebook_url: str | None = None,
    isolate_tests: bool = True,
):
    """The course's nbgrader config plus the pipeline's guarded execution.

    ``isolate_tests=False`` runs the tests in the learner's kernel, as nbgrader does: only for
    trusted code, and for measuring what the isolation costs (benchmarks/bench_grading.py).
    """
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        IgnorePattern,
        LimitOutput,
        SaveAutoGrades,
    )

    config = nbg.load_config(course)
    if gradebook_url:
        config.CourseDirectory.db_url = gradebook_url
    config.Autograde.autograde_preprocessors = [
        IsolatedExecute if isolate_tests else sandbox.GuardedExecute,
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
    config.IsolatedExecute.course_root = str(course)
    if use_sandbox:
        config.GuardedExecute.kernel_manager_class = sandbox.SandboxedKernelManager
        manager = config.SandboxedKernelManager
        manager.memory_mb = limits.memory_mb
        manager.file_size_mb = limits.file_size_mb
        manager.disk_mb = limits.disk_mb
        manager.max_processes = limits.processes
        manager.max_files = limits.files
    return config


# --- worker side -----------------------------------------------------------------------------

_worker_api = None


def _die_with_parent() -> None:
    """A worker must not outlive a killed run, or it would keep writing grades."""
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass


def _init_worker(
    course: str,
    limits: GradingLimits,
    use_sandbox: bool,
    gradebook_url: str | None,
    isolate_tests: bool = True,
) -> None:
    global _worker_api
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the main process decides when to stop
    # nbgrader's own SQLAlchemy warnings repeat for every learner and hide the progress bar.
    warnings.filterwarnings("ignore", module="nbgrader")
    warnings.filterwarnings("ignore", message=".*not in session.*")
    from nbgrader.apps import NbGraderAPI

    nbg.put_environment_on_path()
    _worker_api = NbGraderAPI(
        config=grading_config(Path(course), limits, use_sandbox, gradebook_url, isolate_tests)
    )


def _grade_in_worker(module: str, student: str, notebook: str | None) -> tuple[bool, str]:
    api = _worker_api
    api.coursedir.notebook_id = notebook or "*"
    try:
        result = api.autograde(module, student, force=True, create=True)
    finally:
        api.coursedir.notebook_id = "*"
    if result.get("success"):
        return True, ""
    return False, nbg.failure_reason(result)


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


@dataclass(frozen=True)
class Submission:
    """One learner's submission of one module that needs grading."""

    module: str
    student: str
    digest: str
    notes: list[str] = field(default_factory=list)


@dataclass
class ClassPlan:
    """Who is graded now, and the outcomes already settled (skipped or unreadable)."""

    todo: list[Submission] = field(default_factory=list)
    settled: list[Outcome] = field(default_factory=list)


def plan_class(
    api,
    course: Path,
    modules: list[Module],
    *,
    students: list[str] | None = None,
    notebook_id: str | None = None,
    force: bool = False,
) -> ClassPlan:
    """Repair each submission against the release and decide whether it needs grading."""
    folders = GradingCourse(course)
    plan = ClassPlan()
    names = intake.known_students(course)
    for module in modules:
        if not module.lessons:
            continue
        if notebook_id and not (module.path / f"{notebook_id}.ipynb").exists():
            lessons = ", ".join(p.stem for p in module.lessons)
            raise CourseError(f"{module.name} has no notebook {notebook_id!r}; it has: {lessons}")
        if not nbg.has_assignment(api, module.name) or not _released(folders, module):
            nbg.check_result(api.generate_assignment(module.name), f"generating {module.name}")
        release_dir = folders.folder("release", module=module.name)
        in_gradebook = _students_in_gradebook(api, module.name)
        for student in students or sorted(api.get_submitted_students(module.name)):
            folder = folders.folder("submitted", student, module.name)
            if not folder.is_dir():
                plan.settled.append(Outcome(module.name, student, False, "no submission"))
                continue
            _register_student(api, student, names.get(student, {}))
            notes = intake.prepare_submission(release_dir, folder)
            digest = submission_digest(folder)
            if not any(folder.glob("*.ipynb")):
                detail = f" ({'; '.join(notes)})" if notes else ""
                outcome = Outcome(
                    module.name,
                    student,
                    False,
                    "no notebook of this module could be read (see the notes); if the "
                    "upload is damaged or missing, ask the learner to submit again" + detail,
                    notes,
                    digest=digest,
                )
                write_entry(course, outcome)
                plan.settled.append(outcome)
                continue
            done = read_entry(course, module.name, student)
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
                plan.settled.append(done)
                continue
            if done is not None:
                notes = done.notes + [n for n in notes if n not in done.notes]
            plan.todo.append(Submission(module.name, student, digest, notes))
    return plan


def grade_class(
    modules: list[Module],
    course: Path | None = None,
    *,
    students: list[str] | None = None,
    notebook: str | None = None,
    workers: int | None = None,
    limits: GradingLimits = DEFAULTS.grading,
    use_sandbox: bool = True,
    force: bool = False,
    progress: bool = True,
    gradebook_url: str | None = None,
    isolate_tests: bool = True,
) -> ClassRun:
    """Autograde every submitted learner of each module; see the module docstring for why.

    The gradebook is ``gradebook_url`` if given, else the course config's.
    """
    course = course or layout().grading.root
    if use_sandbox:
        sandbox.require_sandbox()
    started = time.monotonic()
    workers = workers or default_workers()
    notebook_id = notebook.removesuffix(".ipynb") if notebook else None
    with course_lock(course):
        api = nbg.course_api(course, gradebook_url)
        _prefer_wal(api)
        plan = plan_class(
            api, course, modules, students=students, notebook_id=notebook_id, force=force
        )
        if not plan.todo and not plan.settled:
            where = GradingCourse(course).folder("submitted", "<student_id>", "<module>")
            raise CourseError(f"nobody has submitted: put submissions in {where}")
        outcomes = plan.settled + run_plan(
            course,
            plan.todo,
            notebook_id,
            workers,
            limits,
            use_sandbox,
            progress,
            gradebook_url,
            isolate_tests,
        )
    outcomes.sort(key=lambda o: (o.module, o.student))
    return ClassRun(outcomes, workers, time.monotonic() - started)


def _register_student(api, student: str, known: dict) -> None:
    """Every learner who sent something is in the gradebook, graded or not, with their name
    (and e-mail address, for learners who came by the course hub) from ``students.csv``."""
    full_name = known.get("full_name", "")
    first, _, last = full_name.partition(" ")
    names = {"first_name": first, "last_name": last} if full_name else {}
    if known.get("email"):
        names["email"] = known["email"]
    with api.gradebook as gb:
        gb.update_or_create_student(student, **names)


def _students_in_gradebook(api, module: str) -> set[str]:
    with api.gradebook as gb:
        return {s.student.id for s in gb.find_assignment(module).submissions}


def _released(folders: GradingCourse, module: Module) -> bool:
    release = folders.folder("release", module=module.name)
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


def run_plan(
    course: Path,
    todo: list[Submission],
    notebook_id: str | None,
    workers: int,
    limits: GradingLimits,
    use_sandbox: bool,
    progress: bool,
    gradebook_url: str | None = None,
    isolate_tests: bool = True,
) -> list[Outcome]:
    """Grade the planned submissions in worker processes, journalling each as it finishes."""
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
        initargs=(str(course), limits, use_sandbox, gradebook_url, isolate_tests),
    ) as pool:
        started = {}
        futures = {}
        for item in todo:
            future = pool.submit(_grade_in_worker, item.module, item.student, notebook_id)
            futures[future] = item
            started[future] = time.monotonic()
        for future in as_completed(futures):
            item = futures[future]
            try:
                graded, reason = future.result()
            except Exception as error:  # noqa: BLE001 - one learner never stops the class
                graded, reason = False, f"grading crashed: {type(error).__name__}: {error}"
            outcome = Outcome(
                item.module,
                item.student,
                graded,
                reason,
                item.notes,
                round(time.monotonic() - started[future], 2),
                item.digest,
            )
            write_entry(course, outcome)
            outcomes.append(outcome)
            bar.set_postfix_str(f"{item.student} {'ok' if graded else 'NOT graded'}")
            bar.update()
    bar.close()
    return outcomes
