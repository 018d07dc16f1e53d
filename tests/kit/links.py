"""The links of a built page, as a reader's browser would follow them."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path


class _Hrefs(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def links(page: Path) -> list[str]:
    """Every <a href> of PAGE, in order."""
    parser = _Hrefs()
    parser.feed(page.read_text())
    return parser.hrefs
