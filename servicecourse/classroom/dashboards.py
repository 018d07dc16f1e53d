"""The classroom dashboards of the course: which there are and what each is for.

A dashboard is any notebook in ``modules/NN_name/dashboards/``. Its first markdown heading is
its title and the paragraph after it its purpose; the landing page lists both. The rest of the
classroom works from this list: ``staging`` copies the dashboards and Voila's templates into one
folder, ``server`` runs Voila on it, ``thumbnails`` screenshots each dashboard for the gallery.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..paths import CourseError, layout


@dataclass(frozen=True)
class Dashboard:
    """One dashboard notebook, with what the landing page says about it."""

    module: str
    path: Path
    title: str
    purpose: str

    @property
    def staged_name(self) -> str:
        """Flat and unique across modules: two modules may both have an ``overview.ipynb``."""
        return f"{self.module}__{self.path.stem}.ipynb"

    @property
    def url_path(self) -> str:
        return f"voila/render/{self.staged_name}"


_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _plain(text: str) -> str:
    """Markdown emphasis and links would show up as raw characters on the landing page."""
    text = _LINK.sub(r"\1", text)
    return re.sub(r"(\*\*|__|`|\*)", "", text).strip()


def describe(notebook: Path) -> tuple[str, str]:
    """Title (first markdown heading) and purpose (the paragraph after it) of a notebook."""
    nb = nbformat.read(notebook, as_version=4)
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines += cell.source.splitlines() + [""]  # a cell boundary ends a paragraph
    title, paragraph = "", []
    for line in lines:
        heading = _HEADING.match(line)
        if not title:
            if heading:
                title = _plain(heading.group(1))
            continue
        if heading or not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    if not title:
        title = notebook.stem.replace("_", " ").capitalize()
    return title, _plain(" ".join(paragraph))


def find_dashboards() -> list[Dashboard]:
    """Every dashboard of every module, in module order."""
    dashboards = []
    for module in layout().all_modules():
        for notebook in module.dashboards:
            title, purpose = describe(notebook)
            dashboards.append(Dashboard(module.name, notebook, title, purpose))
    return dashboards


def preheat_sizes(items: Iterable[str], dashboards: list[Dashboard]) -> dict[str, int]:
    """``["desk_contacts_explorer=25"]`` to ``{"01_intro__desk_contacts_explorer.ipynb": 25}``.

    A dashboard is named by its notebook's stem, with or without its module
    (``01_intro__desk_contacts_explorer``); an unknown or ambiguous name is an error that lists
    the names there are.
    """
    sizes = {}
    for item in items:
        name, _, size = item.partition("=")
        name = name.strip().removesuffix(".ipynb")
        found = [d for d in dashboards if name in (d.path.stem, Path(d.staged_name).stem)]
        if len(found) != 1 or not size.strip().isdigit():
            names = ", ".join(Path(d.staged_name).stem for d in dashboards)
            raise CourseError(
                f"--preheat {item!r}: give NAME=KERNELS, NAME one of the dashboards ({names})"
            )
        sizes[found[0].staged_name] = int(size)
    return sizes
