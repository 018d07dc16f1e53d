"""Where the parts of the course live, so that no command guesses paths on its own."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

MODULE_NAME = re.compile(r"^\d\d_[a-z0-9_]+$")


class CourseError(Exception):
    """A problem the user can fix; its message says what is wrong and how to fix it."""


def repo_root() -> Path:
    """The project folder; SERVICECOURSE_ROOT overrides it (tests build courses elsewhere)."""
    override = os.environ.get("SERVICECOURSE_ROOT")
    return Path(override).resolve() if override else Path(__file__).resolve().parents[1]


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


def modules_dir() -> Path:
    return repo_root() / "modules"


def datasets_dir() -> Path:
    return repo_root() / "datasets"


def course_dir() -> Path:
    """The nbgrader course (config, release, submitted, autograded, feedback, gradebook)."""
    return repo_root() / "autograde"


def all_modules() -> list[Module]:
    return [
        Module(p)
        for p in sorted(modules_dir().iterdir())
        if p.is_dir() and MODULE_NAME.match(p.name)
    ]


def find_module(name: str) -> Module:
    """Accept the folder name ('04_proactive') or its number ('04', '4')."""
    modules = all_modules()
    for module in modules:
        if name == module.name or (name.isdigit() and int(name) == int(module.name[:2])):
            return module
    known = ", ".join(m.name for m in modules)
    raise CourseError(f"no module called {name!r}; the modules are: {known}")
