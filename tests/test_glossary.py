"""The Finnish–English glossary (book/glossary.md) is complete and well formed.

These tests read the Markdown source only, so they run in well under a second without building the
book. Each entry of the MyST ``{glossary}`` block must have two term lines (English, then Finnish),
an indented definition and a ``*Source:*``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import pytest

GLOSSARY = Path(__file__).resolve().parents[1] / "book" / "glossary.md"
MIN_ENTRIES = 80
# The terms the course issue asks for by name, as (English, Finnish) pairs of one entry.
REQUIRED = [
    ("service management", "palvelunhallinta"),
    ("change management", "muutoksenhallinta"),
    ("service level", "palvelutaso"),
    ("incident", "häiriö"),
    ("problem", "ongelma"),
]
FENCE_OPEN = re.compile(r"^(`{3,}|:{3,})\{glossary\}\s*$")


@dataclass
class Entry:
    terms: list[str] = field(default_factory=list)
    definition: list[str] = field(default_factory=list)
    line: int = 0

    @property
    def text(self) -> str:
        return " ".join(part.strip() for part in self.definition).strip()


def glossary_block(text: str) -> list[tuple[int, str]]:
    """The numbered lines between the opening ``{glossary}`` fence and its closing fence."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        opened = FENCE_OPEN.match(line)
        if opened:
            fence = opened.group(1)
            block = []
            for j in range(i + 1, len(lines)):
                if lines[j].strip() == fence:
                    return block
                block.append((j + 1, lines[j]))
            raise AssertionError(f"the glossary fence opened on line {i + 1} is never closed")
    raise AssertionError("book/glossary.md has no {glossary} directive")


def parse_entries(text: str) -> list[Entry]:
    """Split the glossary block into entries: unindented term lines, then an indented definition."""
    entries: list[Entry] = []
    current: Entry | None = None
    for number, line in glossary_block(text):
        if not line.strip():
            continue
        if not entries and current is None and line.startswith(":"):
            continue  # directive options such as :sorted:
        if line[0].isspace():
            assert current is not None, f"line {number}: definition without a term"
            current.definition.append(line)
        else:
            if current is None or current.definition:
                current = Entry(line=number)
                entries.append(current)
            current.terms.append(line.strip())
    return entries


@pytest.fixture(scope="module")
def source() -> str:
    return GLOSSARY.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def entries(source) -> list[Entry]:
    return parse_entries(source)


def test_page_has_one_title_and_a_sorted_glossary(source):
    headings = [line for line in source.splitlines() if re.match(r"#\s", line)]
    assert headings == ["# Glossary – Sanasto"]
    block = [line for _, line in glossary_block(source)]
    assert ":sorted:" in block[:3], "the glossary should be sorted"


def test_enough_entries(entries):
    assert len(entries) >= MIN_ENTRIES, f"{len(entries)} entries, at least {MIN_ENTRIES} expected"


def test_every_entry_has_an_english_and_a_finnish_term(entries):
    for entry in entries:
        assert len(entry.terms) == 2, f"line {entry.line}: expected 2 term lines, got {entry.terms}"
        english, finnish = entry.terms
        assert english.casefold() != finnish.casefold(), f"line {entry.line}: same term twice"


def test_every_entry_has_a_definition_and_a_source(entries):
    for entry in entries:
        definition, _, source = entry.text.partition("*Source:*")
        assert definition.strip(), f"line {entry.line} ({entry.terms[0]}): empty definition"
        assert source.strip(" ."), f"line {entry.line} ({entry.terms[0]}): no *Source:*"


def test_definitions_are_indented_consistently(entries):
    for entry in entries:
        indents = {len(line) - len(line.lstrip()) for line in entry.definition}
        assert len(indents) == 1, f"line {entry.line}: mixed indentation in the definition"


def test_no_duplicate_terms(entries):
    seen: dict[str, int] = {}
    for entry in entries:
        for term in entry.terms:
            key = term.casefold()
            assert key not in seen, f"'{term}' on line {entry.line} repeats line {seen[key]}"
            seen[key] = entry.line


@pytest.mark.parametrize(("english", "finnish"), REQUIRED, ids=[fi for _, fi in REQUIRED])
def test_required_term_is_present(entries, english, finnish):
    pairs = {tuple(entry.terms) for entry in entries}
    assert (english, finnish) in pairs, f"no entry '{english}' / '{finnish}'"


def test_parser_reads_a_small_glossary():
    text = (
        "# T\n\n```{glossary}\n:sorted:\n\nincident\nhäiriö\n  An interruption.\n"
        "  *Source:* ITIL.\n\nproblem\nongelma\n  A cause. *Source:* ITIL.\n```\n"
    )
    entries = parse_entries(text)
    assert [e.terms for e in entries] == [["incident", "häiriö"], ["problem", "ongelma"]]
    assert entries[0].text == "An interruption. *Source:* ITIL."
