"""File helpers that keep the book build incremental: unchanged files are left untouched."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from . import BookBuildError


def files(folder: Path, pattern: str) -> list[Path]:
    """Files under FOLDER matching PATTERN, without Python's caches."""
    return [p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts]


def digest(paths: list[Path], root: Path, extra: str = "") -> str:
    """One hash of the files' paths (relative to ROOT) and contents, and of EXTRA."""
    sha = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        sha.update(str(path.relative_to(root)).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def write_if_changed(path: Path, text: str) -> bool:
    """Leave an unchanged file untouched, so that Sphinx's incremental build has nothing to do."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def copy_if_changed(source: Path, target: Path) -> None:
    if not source.exists():
        raise BookBuildError(f"{source} is missing: run `npm ci` (or `make deps`) again")
    if (
        target.exists()
        and target.stat().st_size == source.stat().st_size
        and target.read_bytes() == source.read_bytes()
    ):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
