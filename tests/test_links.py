"""Every internal link and anchor of the built book resolves; external links are well-formed.

The external links are listed in `_build/external-links.txt` for a person (or a networked
job) to check: this machine has no internet.
"""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.slow


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.anchors: set[str] = set()

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("id", "name"):
            if values.get(name):
                self.anchors.add(values[name])
        for name in ("href", "src"):
            if values.get(name) and tag in {"a", "link", "script", "img", "iframe", "source"}:
                self.links.append(values[name])


def _parse(path: Path) -> _Links:
    parser = _Links()
    parser.feed(path.read_text(encoding="utf-8", errors="replace"))
    return parser


@pytest.fixture(scope="module")
def parsed(site) -> dict[Path, _Links]:
    # _static/ holds the theme's Jinja macro files, which are templates, not pages.
    return {
        p: _parse(p) for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts
    }


def test_internal_links_and_anchors_resolve(site, parsed):
    broken = []
    for page, links in parsed.items():
        for link in links.links:
            parts = urlsplit(link)
            if parts.scheme or link.startswith(("//", "mailto:", "javascript:", "data:")):
                continue
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(site)} -> {link}")
                continue
            if parts.fragment and target.suffix == ".html":
                anchors = parsed[target].anchors if target in parsed else _parse(target).anchors
                if unquote(parts.fragment) not in anchors:
                    broken.append(f"{page.relative_to(site)} -> {link} (no such anchor)")
    assert not broken, "broken internal links:\n" + "\n".join(sorted(set(broken))[:40])


def test_external_links_are_well_formed_and_reported(site, parsed):
    external = set()
    malformed = []
    for page, links in parsed.items():
        for link in links.links:
            parts = urlsplit(link)
            if parts.scheme in {"http", "https"}:
                if not parts.netloc or " " in link:
                    malformed.append(f"{page.relative_to(site)}: {link}")
                external.add(link)
    assert not malformed, "malformed external links:\n" + "\n".join(malformed)
    report = site.parent / "external-links.txt"
    report.write_text("\n".join(sorted(external)) + "\n")
    assert external, "the book cites its sources with links"
