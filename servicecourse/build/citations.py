"""Citations as readable text where Sphinx does not run: student notebooks and feedback.

The book renders ``{cite:p}`key``` roles with sphinxcontrib-bibtex. JupyterLab and nbgrader's
feedback pages show markdown as it is, so the release and the feedback get the same citation
written out ("(AXELOS 2019; Grönroos 1984)"), and every other MyST role (``{term}``, ``{doc}``)
becomes its text.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from nbgrader.preprocessors import NbGraderPreprocessor

from ..paths import layout

ROLE = re.compile(r"\{(?P<role>[a-z]+(?::[a-z]+)?)\}`(?P<content>[^`]*)`")


@functools.lru_cache(maxsize=4)
def _bibliography(path: Path, mtime: float) -> dict[str, tuple[str, str]]:
    """key -> (authors as cited, year)."""
    from pybtex.database import parse_file

    entries = {}
    for key, entry in parse_file(str(path), bib_format="bibtex").entries.items():
        people = entry.persons.get("author") or entry.persons.get("editor") or []
        names = [" ".join(person.last_names).replace("{", "").replace("}", "") for person in people]
        if not names:
            names = [entry.fields.get("organization") or entry.fields.get("publisher") or key]
        if len(names) == 1:
            who = names[0]
        elif len(names) == 2:
            who = f"{names[0]} & {names[1]}"
        else:
            who = f"{names[0]} et al."
        year = entry.fields.get("year") or entry.fields.get("date", "")[:4] or "n.d."
        entries[key] = (who.replace("{", "").replace("}", ""), year)
    return entries


def bibliography(path: Path | None = None) -> dict[str, tuple[str, str]]:
    """The book's bibliography by key; empty where there is none (a course folder elsewhere
    than the project), and then a citation is written out as its key."""
    path = path or layout().book_dir / "references.bib"
    if not path.is_file():
        return {}
    return _bibliography(path, path.stat().st_mtime)


def _cite(role: str, keys: str, entries) -> str:
    cited = []
    for key in (k.strip() for k in keys.split(",") if k.strip()):
        who, year = entries.get(key, (key, ""))
        if role == "cite:t":
            cited.append(f"{who} ({year})" if year else who)
        else:
            cited.append(f"{who} {year}".strip())
    text = "; ".join(cited)
    return text if role == "cite:t" else f"({text})"


def readable(markdown: str, entries=None) -> str:
    """MARKDOWN with every MyST role written out as plain text."""
    if "}`" not in markdown:
        return markdown
    entries = entries if entries is not None else bibliography()

    def replace(match):
        role, content = match["role"], match["content"]
        if role.startswith("cite"):
            return _cite(role, content, entries)
        shown = content.split("<", 1)[0].strip() if "<" in content else content
        return shown or content

    return ROLE.sub(replace, markdown)


class ReadableCitations(NbGraderPreprocessor):
    """nbgrader step: markdown cells of the release and of feedback with readable citations."""

    def preprocess(self, nb, resources):
        entries = bibliography()
        for cell in nb.cells:
            if cell.cell_type == "markdown":
                cell.source = readable(cell.source, entries)
        return nb, resources
