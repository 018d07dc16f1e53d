"""Find solution and hidden-test lines of the sources in anything a learner or the public sees.

Used by the book build (a leak fails it) and by the tests (release, book and feedback).
"""

from __future__ import annotations

import html
import re
from pathlib import Path

import nbformat

from ..paths import Module

SOLUTIONS = (("BEGIN SOLUTION", "END SOLUTION"),)
HIDDEN_TESTS = (("BEGIN HIDDEN TESTS", "END HIDDEN TESTS"),)
BLOCKS = SOLUTIONS + HIDDEN_TESTS
# Lines shorter than this (`)`, `else:`, `}`) say nothing about an answer.
MIN_LENGTH = 12
_TAG = re.compile(r"<[^>]+>")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def _secret_blocks(source: str, blocks=BLOCKS) -> list[str]:
    lines, inside = [], None
    for line in source.splitlines():
        if inside is None:
            inside = next((end for begin, end in blocks if begin in line), None)
        elif inside in line:
            inside = None
        else:
            lines.append(line.strip())
    return lines


def _visible_text(module: Module) -> str:
    """Everything of a module's notebooks that lies outside secret blocks."""
    parts = []
    for notebook in module.lessons:
        nb = nbformat.read(notebook, as_version=4)
        for cell in nb.cells:
            secret = set(_secret_blocks(cell.source))
            parts += [ln.strip() for ln in cell.source.splitlines() if ln.strip() not in secret]
    return "\n".join(parts)


def secret_lines(modules: list[Module], blocks=BLOCKS) -> dict[str, str]:
    """Significant lines of solutions and hidden tests, each mapped to the notebook it is from.

    A line that also appears outside every secret block (a shared import, say) is no secret.
    """
    secrets = {}
    for module in modules:
        visible = _visible_text(module)
        for notebook in module.lessons:
            for cell in nbformat.read(notebook, as_version=4).cells:
                for line in _secret_blocks(cell.source, blocks):
                    if len(line) >= MIN_LENGTH and line not in visible:
                        secrets[line] = f"{module.name}/{notebook.name}"
    return secrets


def as_plain_text(text: str) -> str:
    """Without HTML tags, entities or terminal colours, so highlighted code reads as written."""
    return _ANSI.sub("", html.unescape(_TAG.sub("", text)))


def find_in_text(text: str, secrets: dict[str, str]) -> list[tuple[str, str]]:
    plain = as_plain_text(text)
    return [(line, origin) for line, origin in secrets.items() if line in text or line in plain]


def notebook_text(path: Path) -> str:
    """Sources and outputs of a notebook as they read, not as JSON escapes them."""
    nb = nbformat.read(path, as_version=4)
    parts = [str(nb.metadata)]
    for cell in nb.cells:
        parts.append(cell.source)
        for out in cell.get("outputs", []):
            parts.append(out.get("text", ""))
            parts += [str(value) for value in out.get("data", {}).values()]
            parts += out.get("traceback", []) + [out.get("evalue", "")]
    return "\n".join(parts)


def find_in_tree(folder: Path, secrets: dict[str, str]) -> list[tuple[Path, str, str]]:
    found = []
    for path in sorted(folder.rglob("*")):
        if path.is_file() and path.suffix in {".html", ".ipynb", ".txt", ".json", ".py", ".md"}:
            if path.suffix == ".ipynb":
                text = notebook_text(path)
            else:
                text = path.read_text(encoding="utf-8", errors="replace")
            found += [(path, line, origin) for line, origin in find_in_text(text, secrets)]
    return found


def describe(found: list[tuple[Path, str, str]]) -> str:
    return "\n".join(f"  {path}: {line!r} (from {origin})" for path, line, origin in found[:20])
