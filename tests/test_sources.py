"""Sources are authoritative: no upload of a copyrighted book, essay mill or content farm."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from servicecourse.paths import layout

# Domains the course never cites: uploads of copyrighted books and documents, essay mills and
# homework sites, content farms and link-bait blogs (the issue "Exercises that tell right from
# wrong" found several of them).
REFUSED = {
    # uploads of books and documents
    "scribd.com",
    "fliphtml5.com",
    "flipbuilder.com",
    "online.flipbuilder.com",
    "issuu.com",
    "studylib.net",
    "docslib.org",
    "vdocuments.net",
    "vdocuments.mx",
    "vdocuments.site",
    "dokumen.pub",
    "dokumen.tips",
    "pdfcoffee.com",
    "kupdf.net",
    "epdf.pub",
    "ebin.pub",
    "idoc.pub",
    "silo.pub",
    "pdfdrive.com",
    "documents.pub",
    "slideshare.net",
    "yumpu.com",
    "studocu.com",
    "academia.edu",
    "1library.net",
    "doku.pub",
    "anyflip.com",
    # essay mills and homework sites
    "coursehero.com",
    "ukessays.com",
    "ivypanda.com",
    "bartleby.com",
    "studymoose.com",
    "essaypro.com",
    "gradesfixer.com",
    "papersowl.com",
    "edubirdie.com",
    "123helpme.com",
    "writix.com",
    "studybay.com",
    "samploon.com",
    "phdessay.com",
    # content farms and scraped blogs
    "blogg.se",
    "hostssoli.blogg.se",
    "wikihow.com",
    "ehow.com",
    "answers.com",
    "brainly.com",
    "toolshero.com",
    "simplicable.net",
    "educba.com",
    "geeksforgeeks.org",
    "pointsonly.com",
    "psychologydb.com",
    # translation farms: machine-translated copies of other people's pages
    "ilovetranslation.com",
}
URL = re.compile(r"https?://[^\s)\]>\"'`}]+")


def _refused(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in REFUSED)


def _texts():
    project = layout()
    paths = [project.book_dir / "references.bib", *project.book_dir.glob("*.md")]
    paths += list((project.book_dir / "modules").glob("*.md"))
    paths += list(project.modules_dir.glob("*/*.ipynb")) + list(project.modules_dir.glob("*/*.md"))
    paths += list(project.modules_dir.glob("*/dashboards/*.ipynb"))
    paths += list(project.datasets_dir.glob("*.md"))
    return [p for p in paths if p.is_file()]


def test_no_source_is_an_upload_an_essay_mill_or_a_content_farm():
    found = []
    for path in _texts():
        text = path.read_text(encoding="utf-8")
        found += [f"{path.name}: {url}" for url in URL.findall(text) if _refused(url)]
    assert not found, "cite the publisher, the standard body or the author instead:\n" + "\n".join(
        found
    )


@pytest.mark.parametrize(
    "url, refused",
    [
        ("https://www.scribd.com/document/1/itil", True),
        ("https://online.fliphtml5.com/abc/def/", True),
        ("https://th4.ilovetranslation.com/YZy6a74Cp0b=d", True),
        ("https://dictionary.psychologydb.com/two-factor-theory-of-work-motivation", True),
        ("https://www.axelos.com/certifications/itil-service-management", False),
        ("https://doi.org/10.1108/EUM0000000004784", False),
        ("https://notscribd.com/x", False),
    ],
)
def test_the_refusal_matches_domains_not_words(url, refused):
    assert _refused(url) is refused
