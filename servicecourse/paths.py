"""Where the parts of the course live and what their defaults are: the one home of both.

Every command and test asks :func:`layout` (the project) or :class:`GradingCourse` (an nbgrader
course folder, which tests also make elsewhere) for a path, never joins one on its own. The same
object lists what commands generate, so that a test can check git ignores all of it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path

MODULE_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")
GRADEBOOK_URL_ENV = "SERVICECOURSE_GRADEBOOK_URL"
ROOT_ENV = "SERVICECOURSE_ROOT"


class CourseError(Exception):
    """A problem the user can fix; its message says what is wrong and how to fix it."""


@dataclass(frozen=True)
class GradingLimits:
    """What one learner's notebook may use while it is graded."""

    cell_seconds: int = 60
    notebook_seconds: int = 600
    memory_mb: int = 2048
    file_size_mb: int = 64
    disk_mb: int = 128  # the kernel's working folder and its /tmp, each (RAM: tmpfs)
    processes: int = 64
    files: int = 10_000


@dataclass(frozen=True)
class Defaults:
    """Settings a user may override on the command line; their one source."""

    grading: GradingLimits = field(default_factory=GradingLimits)
    book_execute_seconds: int = 300
    dashboards_port: int = 8866
    dashboards_pool_size: int = 2
    lab_port: int = 8888


DEFAULTS = Defaults()


@dataclass(frozen=True)
class Module:
    """One training module: one folder of notebooks and one nbgrader assignment."""

    path: Path

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def lessons(self) -> list[Path]:
        return sorted(p for p in self.path.glob("*.ipynb") if not p.name.startswith("."))

    @property
    def dashboards(self) -> list[Path]:
        return sorted((self.path / "dashboards").glob("*.ipynb"))


@dataclass(frozen=True)
class GradingCourse:
    """An nbgrader course folder and everything grading writes in it (nbgrader's layout).

    ``autograde/`` in the project; tests make private ones. Everything here but the config and
    the ``source`` link is about learners, so git ignores it.
    """

    root: Path

    CONFIG_FILE = "nbgrader_config.py"
    STEPS = ("source", "release", "submitted", "autograded", "feedback")

    @property
    def config(self) -> Path:
        return self.root / self.CONFIG_FILE

    def folder(self, step: str, student: str = ".", module: str = "") -> Path:
        """nbgrader's ``<step>/<student>/<module>`` (``release`` and ``source`` take no student)."""
        if step not in self.STEPS:
            raise ValueError(f"unknown nbgrader step {step!r}; one of {', '.join(self.STEPS)}")
        path = self.root / step / student / module
        return Path(os.path.normpath(path))

    @property
    def release(self) -> Path:
        return self.root / "release"

    @property
    def submitted(self) -> Path:
        return self.root / "submitted"

    @property
    def autograded(self) -> Path:
        return self.root / "autograded"

    @property
    def feedback(self) -> Path:
        return self.root / "feedback"

    @property
    def exchange(self) -> Path:
        return self.root / "exchange"

    @property
    def gradebook(self) -> Path:
        return self.root / "gradebook.db"

    def gradebook_url(self) -> str:
        """SQLite beside the config, or a shared database named by the environment."""
        return os.environ.get(GRADEBOOK_URL_ENV) or f"sqlite:///{self.gradebook}"

    @property
    def reports(self) -> Path:
        return self.root / "reports"

    @property
    def state(self) -> Path:
        """The grading journal and lock: what a stopped run needs to resume."""
        return self.root / ".grading"

    @property
    def students_file(self) -> Path:
        """Learners' ids, full names and LMS folders (personal data)."""
        return self.root / "students.csv"

    @property
    def grades_csv(self) -> Path:
        return self.root / "grades.csv"

    def outputs(self) -> list[Path]:
        return [
            self.release,
            self.submitted,
            self.autograded,
            self.feedback,
            self.exchange,
            self.gradebook,
            self.gradebook.with_name(self.gradebook.name + "-wal"),
            self.gradebook.with_name(self.gradebook.name + "-shm"),
            self.reports,
            self.state,
            self.students_file,
            self.grades_csv,
        ]


@dataclass(frozen=True)
class CourseLayout:
    """The project: its sources (tracked) and the outputs its commands write (ignored)."""

    root: Path

    # The package's rooms for instructors and operators; everything else in it is the learner's
    # toolbox, which lessons import and which never imports these (nor ships them to learners).
    TOOLING_ROOMS = ("build", "classroom", "grading", "hub")

    @property
    def modules_dir(self) -> Path:
        return self.root / "modules"

    @property
    def datasets_dir(self) -> Path:
        return self.root / "datasets"

    @property
    def book_dir(self) -> Path:
        """Front matter of the book, its assets and (generated) vendored JavaScript."""
        return self.root / "book"

    @property
    def book_config(self) -> Path:
        return self.root / "_config.yml"

    @property
    def node_modules(self) -> Path:
        return self.root / "node_modules"

    @property
    def book_toc(self) -> Path:
        return self.root / "_toc.yml"

    @property
    def book_assets(self) -> Path:
        """The book's own static files (figures.js, accessibility.js, …), tracked."""
        return self.book_dir / "assets"

    @property
    def package_dir(self) -> Path:
        """The ``servicecourse`` package: lessons import it, so it can change their outputs."""
        return self.root / "servicecourse"

    @property
    def requirements_lock(self) -> Path:
        return self.root / "requirements.lock"

    @property
    def package_lock(self) -> Path:
        """npm's lock of the JavaScript the book vendors."""
        return self.root / "package-lock.json"

    @property
    def grading(self) -> GradingCourse:
        return GradingCourse(self.root / "autograde")

    # -- outputs -------------------------------------------------------------------------------
    @property
    def pages(self) -> Path:
        """Book pages generated from the modules (the book never reads the sources)."""
        return self.root / "_pages"

    @property
    def build_dir(self) -> Path:
        return self.root / "_build"

    @property
    def html(self) -> Path:
        return self.build_dir / "html"

    @property
    def instructor_html(self) -> Path:
        return self.build_dir / "instructor"

    @property
    def class_html(self) -> Path:
        """The class edition: the public book plus solutions released after a deadline."""
        return self.build_dir / "class"

    @property
    def dashboards_site(self) -> Path:
        """Voila's staged templates, landing page and thumbnails."""
        return self.build_dir / "dashboards"

    @property
    def book_inputs_digest(self) -> Path:
        """The hash of everything the last book build read: equal means nothing to do."""
        return self.build_dir / ".book-inputs.sha256"

    @property
    def book_run_config(self) -> Path:
        """_config.yml with the launch settings resolved: what Jupyter Book is run with."""
        return self.build_dir / ".book-config.yml"

    @property
    def cache(self) -> Path:
        return self.root / ".cache"

    @property
    def executed_lessons(self) -> Path:
        """Lessons executed with their solutions, named by the hash of their inputs."""
        return self.cache / "book-exec"

    @property
    def vendor(self) -> Path:
        return self.book_dir / "_vendor"

    @property
    def workspace(self) -> Path:
        """A learner's working copies, made by ``servicecourse learn``."""
        return self.root / "work"

    def outputs(self) -> list[Path]:
        """Everything the commands generate; none of it may be tracked by git."""
        return [
            self.pages,
            self.build_dir,
            self.cache,
            self.vendor,
            self.workspace,
            self.node_modules,
            self.root / ".venv",
            *self.grading.outputs(),
        ]

    # -- modules -------------------------------------------------------------------------------
    def all_modules(self) -> list[Module]:
        return [
            Module(p)
            for p in sorted(self.modules_dir.iterdir())
            if p.is_dir() and MODULE_NAME.match(p.name)
        ]

    def find_module(self, name: str) -> Module:
        """Accept the folder name ('04_proactive') or its number ('04', '4')."""
        modules = self.all_modules()
        for module in modules:
            if name == module.name or (name.isdigit() and int(name) == int(module.name[:2])):
                return module
        known = ", ".join(m.name for m in modules)
        raise CourseError(f"no module called {name!r}; the modules are: {known}")


def repo_root() -> Path:
    """The project folder; SERVICECOURSE_ROOT overrides it (tests build courses elsewhere)."""
    override = os.environ.get(ROOT_ENV)
    return Path(override).resolve() if override else Path(__file__).resolve().parents[1]


def layout() -> CourseLayout:
    """The project this process works on (read anew: tests switch SERVICECOURSE_ROOT)."""
    return CourseLayout(repo_root())


def datasets_dir() -> Path:
    """The learner toolbox needs only this one path."""
    return layout().datasets_dir


def all_modules() -> list[Module]:
    return layout().all_modules()


def find_module(name: str) -> Module:
    return layout().find_module(name)
