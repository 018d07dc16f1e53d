"""One learner's ``submitted/<student>/<module>/`` folder made gradable, and every change noted.

Why: notebooks arrive renamed by browsers (``lesson (1).ipynb``), in sub-folders, damaged, with
cells deleted, copied or stripped of their metadata, and next to files that are not notebooks.
Only the module's notebooks stay in the folder nbgrader grades (the kernel must not see a
learner's ``ipywidgets.py``, and nbgrader's checks are slow on thousands of files); everything
else is set aside in :func:`.state.set_aside_dir`, never deleted. Notebooks are matched to their
lesson by their graded cells and repaired against the release (:mod:`.repair`).
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import nbformat

from . import state
from .moodle_zip import show
from .repair import grade_id, repair_notebook

NOT_JSON_SUFFIX = ".not-json"
MAX_NOTEBOOK_BYTES = 100 * 1024 * 1024
MAX_NOTEBOOKS_READ = 30  # notebooks looked at to find a misnamed lesson; others are set aside


def _grade_ids(nb) -> set[str]:
    return {gid for cell in nb.cells if (gid := grade_id(cell))}


def _read(path: Path):
    try:
        if path.stat().st_size > MAX_NOTEBOOK_BYTES:
            return None
        with open(path, encoding="utf-8") as handle:
            nb = nbformat.read(handle, as_version=4)
        cells = nb.get("cells")
        if not isinstance(cells, list) or not all(
            isinstance(c, dict) and c.get("cell_type") in ("code", "markdown", "raw") for c in cells
        ):
            return None
        return nb
    except (json.JSONDecodeError, UnicodeDecodeError, nbformat.reader.NotJSONError):
        return None
    except Exception:  # noqa: BLE001 - any unreadable notebook is reported, never fatal
        return None


def _notebooks(submission: Path) -> list[Path]:
    """Regular ``*.ipynb`` files (no links), the top level first; checkpoints are not work."""
    found = []
    for top, dirs, files in os.walk(submission):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in sorted(files):
            path = Path(top) / name
            if name.lower().endswith(".ipynb") and not path.is_symlink() and path.is_file():
                found.append(path)
    return sorted(found, key=lambda p: (len(p.relative_to(submission).parts), str(p)))


def prepare_submission(release_dir: Path, submission: Path) -> list[str]:
    """Put a learner's notebooks where nbgrader expects them; say what was done and why.

    ``release_dir`` holds the student version of the module (the cells a learner received);
    ``submission`` is ``GradingCourse(course).folder("submitted", student, module)``. Returns
    the notes on this submission, those of its Moodle import included.
    """
    course, student, module = submission.parents[2], submission.parent.name, submission.name
    earlier = state.load_notes(course, module, student)
    aside = state.set_aside_dir(course, module, student)
    notes: list[str] = []
    expected = {p.name: nbformat.read(p, as_version=4) for p in sorted(release_dir.glob("*.ipynb"))}
    readable = {}
    for count, path in enumerate(_notebooks(submission)):
        rel = path.relative_to(submission).as_posix()
        in_place = path.parent == submission and path.name in expected
        nb = _read(path) if count < MAX_NOTEBOOKS_READ or in_place else None
        if nb is None:
            if in_place:
                path.rename(path.with_name(path.name + NOT_JSON_SUFFIX))
            elif count < MAX_NOTEBOOKS_READ:
                notes.append(
                    f"{show(rel)} is not a valid notebook (damaged JSON or too large): not "
                    "graded, set aside; the learner should open it in Jupyter, save it and "
                    "submit again"
                )
            continue
        readable[path] = nb
    # Notebooks that are misnamed or misplaced are matched to the lesson whose graded cells
    # they carry.
    for path, nb in readable.items():
        if path.parent == submission and path.name in expected:
            continue
        rel = path.relative_to(submission).as_posix()
        ids = _grade_ids(nb)
        best = max(expected, key=lambda name: len(ids & _grade_ids(expected[name])), default=None)
        if best is None or not ids & _grade_ids(expected[best]):
            notes.append(
                f"{show(rel)} is not one of this module's notebooks: not graded, set aside; if "
                "it is the learner's work, they should submit it under the lesson's name"
            )
            continue
        target = submission / best
        if target.exists() or target.with_name(best + NOT_JSON_SUFFIX).exists():
            notes.append(
                f"{show(rel)} looks like {best}, which was also submitted: only {best} is "
                "graded, the other is set aside; the learner should submit one copy of a lesson"
            )
            continue
        path.rename(target)
        notes.append(f"{show(rel)} was graded as {best} (misnamed or misplaced)")
    notes += _set_aside(submission, expected, aside)
    for name, released in expected.items():
        path = submission / name
        if not path.exists():
            if path.with_name(name + NOT_JSON_SUFFIX).exists():
                notes.append(
                    f"{name} is not a valid notebook (damaged JSON): it scores 0; the file is "
                    f"kept as {name}{NOT_JSON_SUFFIX}; the learner should open it in Jupyter, "
                    "save it and submit again"
                )
            else:
                notes.append(f"{name} is missing: it scores 0; the learner should submit it")
            continue
        nb = _read(path)
        if nb is None:
            continue
        try:
            changed, repairs = repair_notebook(nb, released, name)
            if changed:
                nbformat.write(nb, path)
        except Exception as error:  # noqa: BLE001 - one odd notebook never stops a class
            notes.append(
                f"{name} could not be checked against the lesson ({type(error).__name__}): it is "
                "graded as it is"
            )
            continue
        notes += repairs
    notes = earlier + [n for n in notes if n not in earlier]
    state.save_notes(course, module, student, notes)
    return notes


def _set_aside(submission: Path, expected: dict, aside: Path) -> list[str]:
    """Move everything but the module's notebooks out of the folder nbgrader grades."""
    keep = set(expected) | {name + NOT_JSON_SUFFIX for name in expected}
    moved, problems = [], []
    for entry in sorted(os.scandir(submission), key=lambda e: e.name):
        path = Path(entry.path)
        if entry.name in keep and not path.is_symlink() and path.is_file():
            continue
        if entry.is_dir(follow_symlinks=False) and not any(
            not p.is_dir() or p.is_symlink() for p in path.rglob("*")
        ):
            shutil.rmtree(path)  # nothing in it (left by a notebook moved into place)
            continue
        try:
            moved.append(state.move_aside(path, aside, Path(entry.name)).relative_to(aside))
        except OSError as error:
            problems.append(
                f"{show(entry.name)} could not be set aside ({error.strerror}); it stays in the "
                "submitted folder"
            )
    if not moved:
        return problems
    listed = ", ".join(show(p.as_posix()) for p in moved[:5]) + (", …" if len(moved) > 5 else "")
    return [
        f"{len(moved)} file(s) or folder(s) other than the module's notebooks ({listed}) were "
        f"set aside, not graded: only the module's notebooks are; they are kept in {aside}"
    ] + problems
