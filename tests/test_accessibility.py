"""axe-core (from the npm registry) injected by playwright into every page of the built book.

Goal of the course: zero serious or critical violations on every page, offline.
"""

from __future__ import annotations

import pytest

from servicecourse.paths import repo_root

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = repo_root() / "node_modules" / "axe-core" / "axe.min.js"


def book_pages() -> list[str]:
    from servicecourse import book

    site = repo_root() / book.OUTPUT_DIR
    # Pages exist only after a build; collect them from the sources the build turns into pages.
    names = ["search.html", "genindex.html"]
    names += [
        f"{p.relative_to(repo_root()).with_suffix('.html')}"
        for p in sorted((repo_root() / "book").rglob("*.md"))
    ]
    names += [f"{book.PAGES_DIR}/{m.name}/{nb.stem}.html" for m, nb in _lessons()]
    return [n for n in names if not (site.exists() and (site / n).is_dir())]


def _lessons():
    from servicecourse.paths import all_modules

    return [(m, nb) for m in all_modules() for nb in m.lessons]


@pytest.mark.parametrize("page_name", book_pages())
def test_no_serious_accessibility_violation(site, served_site, offline_page, page_name):
    assert AXE.exists(), "axe-core is missing: run `npm ci` (make deps)"
    if not (site / page_name).exists():
        pytest.fail(f"{page_name} was not built")
    page = offline_page
    page.goto(f"{served_site}/{page_name}", wait_until="load")
    page.wait_for_selector("html[data-a11y-repaired]", timeout=15_000)
    if page.locator(".jupyter-widgets, script[type*='widget-view']").count():
        page.wait_for_timeout(1500)  # widgets render after load
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    serious = [
        f"{v['id']} ({v['impact']}): {v['nodes'][0]['html'][:120]}"
        for v in result["violations"]
        if v["impact"] in {"serious", "critical"}
    ]
    assert not serious, "\n".join(serious)
