"""The course's one bibliography (book/references.bib) and the citations that use it.

Lessons, module pages and the glossary cite sources with MyST roles such as ``{cite:p}`key` ``;
book/references.md renders the bibliography. These tests read the sources only (no book build),
so they run in about a second.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest
from pybtex.database import parse_file

ROOT = Path(__file__).resolve().parents[1]
BIB = ROOT / "book" / "references.bib"
REFERENCES_PAGE = ROOT / "book" / "references.md"
LESSONS = sorted(ROOT.glob("modules/*/[0-9]*.ipynb"))
PAGES = sorted((ROOT / "book").glob("*.md")) + sorted((ROOT / "book" / "modules").glob("*.md"))
# {cite}`a`, {cite:p}`a,b`, {cite:t}`a` (and the other sphinxcontrib-bibtex variants).
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]+)`")
ENTRY_START = re.compile(r"^@(\w+)\s*\{\s*([^,\s]+)\s*,", re.MULTILINE)


def keys_in(text: str) -> list[str]:
    return [key.strip() for group in CITE.findall(text) for key in group.split(",")]


def markdown_of(notebook: Path) -> str:
    nb = nbformat.read(notebook, as_version=4)
    return "\n".join(cell.source for cell in nb.cells if cell.cell_type == "markdown")


@pytest.fixture(scope="module")
def bibliography():
    return parse_file(str(BIB), bib_format="bibtex")


@pytest.fixture(scope="module")
def citations() -> dict[str, list[str]]:
    """The cited keys of every lesson notebook and book page, by file."""
    found = {path.relative_to(ROOT).as_posix(): keys_in(markdown_of(path)) for path in LESSONS}
    found |= {
        path.relative_to(ROOT).as_posix(): keys_in(path.read_text(encoding="utf-8"))
        for path in PAGES
    }
    return found


def test_no_duplicate_keys():
    # pybtex may reject or merge duplicates, so count the entry heads in the raw text as well.
    keys = [key.casefold() for _, key in ENTRY_START.findall(BIB.read_text(encoding="utf-8"))]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    assert not duplicates, f"duplicate BibTeX keys: {duplicates}"
    assert len(keys) >= 10, "the bibliography looks empty"


def test_every_entry_parses_with_the_keys_in_the_file(bibliography):
    in_text = {key for _, key in ENTRY_START.findall(BIB.read_text(encoding="utf-8"))}
    assert set(bibliography.entries) == in_text


def test_every_cited_key_exists(bibliography, citations):
    missing = {
        f"{where}: {key}"
        for where, keys in citations.items()
        for key in keys
        if key not in bibliography.entries
    }
    assert not missing, "cited but not in book/references.bib:\n" + "\n".join(sorted(missing))


def test_every_entry_is_cited(bibliography, citations):
    page = REFERENCES_PAGE.read_text(encoding="utf-8")
    assert "```{bibliography}" in page, "book/references.md should render the bibliography"
    if ":all:" in page:
        pytest.skip("the references page lists every entry with :all:")
    cited = {key for keys in citations.values() for key in keys}
    uncited = sorted(set(bibliography.entries) - cited)
    assert not uncited, f"entries nobody cites (cite them or remove them): {uncited}"


def test_every_entry_has_a_title_and_a_year_or_url(bibliography):
    for key, entry in bibliography.entries.items():
        fields = {name.lower() for name in entry.fields}
        assert "title" in fields, f"{key}: no title"
        assert fields & {"year", "url"}, f"{key}: needs a year or a url"
        if entry.type.lower() == "misc" and "url" in fields:
            assert "Accessed" in entry.fields.get("note", ""), f"{key}: web page without 'Accessed'"


@pytest.mark.parametrize("notebook", LESSONS, ids=lambda p: p.stem)
def test_every_lesson_cites_the_bibliography(notebook, citations):
    keys = citations[notebook.relative_to(ROOT).as_posix()]
    assert keys, f"{notebook.name} cites nothing from book/references.bib"
    text = markdown_of(notebook)
    sources = text[text.rfind("**Sources**:") :]
    assert "**Sources**:" in sources, f"{notebook.name} has no '**Sources**:' paragraph"
    assert keys_in(sources), f"{notebook.name}: the Sources paragraph should cite its sources"


def test_the_references_page_is_in_the_book():
    toc = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    config = (ROOT / "_config.yml").read_text(encoding="utf-8")
    assert re.search(r"^\s*-\s*file:\s*book/references\s*$", toc, re.MULTILINE)
    assert re.search(r"^bibtex_bibfiles:.*book/references\.bib", config, re.MULTILINE)


def test_parser_reads_citations():
    text = "See {cite:p}`a, b` and {cite}`c`; {cite:t}`d` says so. Not `e`."
    assert keys_in(text) == ["a", "b", "c", "d"]
