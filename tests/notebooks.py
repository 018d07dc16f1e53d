"""The notebooks found on disk, so that every test covers lessons added later."""

from __future__ import annotations

from pathlib import Path

from servicecourse.paths import Module, all_modules


def lessons() -> list[tuple[Module, Path]]:
    return [(module, nb) for module in all_modules() for nb in module.lessons]


def lesson_id(item) -> str:
    module, notebook = item
    return f"{module.name}/{notebook.stem}"


def graded_modules() -> list[Module]:
    return [module for module in all_modules() if module.lessons]
