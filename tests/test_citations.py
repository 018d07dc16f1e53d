"""Student notebooks and feedback show citations as text, not as the book's MyST roles."""

from __future__ import annotations

import nbformat
from conftest import copy_course
from notebooks import graded_modules

from servicecourse import grading
from servicecourse.build import citations

ENTRIES = {"axelos2019itil4": ("AXELOS", "2019"), "gronroos1984": ("Grönroos", "1984")}


def test_roles_become_readable_text():
    text = (
        "A service {cite:p}`axelos2019itil4,gronroos1984`; as {cite:t}`gronroos1984` says, "
        "an {term}`incident` is not a {term}`problem <ongelma>` {cite:p}`unknown-key`."
    )
    assert citations.readable(text, ENTRIES) == (
        "A service (AXELOS 2019; Grönroos 1984); as Grönroos (1984) says, "
        "an incident is not a problem (unknown-key)."
    )


def test_every_cited_key_is_in_the_bibliography():
    entries = citations.bibliography()
    missing = set()
    for module in graded_modules():
        for notebook in module.lessons:
            for cell in nbformat.read(notebook, as_version=4).cells:
                for match in citations.ROLE.finditer(cell.source):
                    if match["role"].startswith("cite"):
                        keys = {k.strip() for k in match["content"].split(",")}
                        missing |= {f"{notebook.name}: {k}" for k in keys if k not in entries}
    assert not missing, sorted(missing)


def test_the_release_has_no_raw_role(tmp_path):
    course = copy_course(tmp_path / "course")
    with_cites = [
        m
        for m in graded_modules()
        if any("{cite" in n.read_text(encoding="utf-8") for n in m.lessons)
    ]
    module = with_cites[0]
    grading.release([module], course)
    for notebook in (course / "release" / module.name).glob("*.ipynb"):
        for cell in nbformat.read(notebook, as_version=4).cells:
            if cell.cell_type == "markdown":
                assert "{cite" not in cell.source and "{term}" not in cell.source, notebook.name
