"""Benchmark of the public book build: prints figures, asserts nothing.

- cold build: no executed-notebook cache, no pages, no site;
- warm rebuild with nothing changed (the build's input digest says there is nothing to do);
- warm Sphinx rebuild: the same, but Jupyter Book is run anyway (incremental);
- median page weight (HTML plus the files only that page uses; shared assets in _static/
  are loaded once for the whole site) and total site size;
- cold-cache load of the most figure-heavy page in headless Chromium on loopback, until every
  plotly figure has drawn.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_book.py`).
"""

from __future__ import annotations

import functools
import http.server
import re
import shutil
import statistics
import threading
import time
from pathlib import Path

from servicecourse.build import book
from servicecourse.classroom.browser import launch
from servicecourse.paths import CourseLayout, layout

LOCAL_REF = re.compile(r'(?:src|href)="([^"#?:]+)')
PLOTLY_JS = re.compile(r'<script[^>]* src="[./]*_static/(plotly/[^"?]+)')


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def clean(project: CourseLayout) -> None:
    for folder in (project.pages, project.executed_lessons, project.build_dir):
        shutil.rmtree(folder, ignore_errors=True)


def page_weight(page: Path, site: Path) -> int:
    """The page and what it alone loads; everything under _static/ is shared by all pages."""
    total = page.stat().st_size
    for ref in set(LOCAL_REF.findall(page.read_text(encoding="utf-8", errors="replace"))):
        target = (page.parent / ref).resolve()
        if target.is_file() and "_static" not in target.relative_to(site.resolve()).parts:
            if target.suffix != ".html":
                total += target.stat().st_size
    return total


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def cold_load_seconds(site: Path, page: Path, repeats: int = 3) -> list[float]:
    """Each load in a fresh browser context: nothing cached, as for a first-time reader."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/{page.relative_to(site)}"
    figures = page.read_text().count('class="plotly-graph-div"')
    times = []
    with sync_playwright() as p:
        browser = launch(p)
        for _ in range(repeats):
            context = browser.new_context()
            tab = context.new_page()
            started = time.perf_counter()
            tab.goto(url)
            tab.wait_for_function(
                f"document.querySelectorAll('.plotly-graph-div .main-svg').length >= {figures}"
            )
            times.append(time.perf_counter() - started)
            context.close()
        browser.close()
    server.shutdown()
    return times


def main() -> None:
    project = layout()
    quiet = lambda *_: None  # noqa: E731
    clean(project)
    cold = timed(lambda: book.build(log=quiet))
    warm = timed(lambda: book.build(log=quiet))
    project.book_inputs_digest.unlink()
    warm_sphinx = timed(lambda: book.build(log=quiet))
    site = project.html
    pages = [p for p in site.rglob("*.html") if "_static" not in p.relative_to(site).parts]
    weights = [page_weight(p, site) for p in pages]
    shared = sum(f.stat().st_size for f in (site / "_static").rglob("*") if f.is_file())
    total = sum(f.stat().st_size for f in site.rglob("*") if f.is_file())
    mb = 1024 * 1024
    print(f"cold build                         {cold:8.1f} s")
    print(f"warm rebuild, nothing changed      {warm:8.2f} s  ({100 * warm / cold:.1f} % of cold)")
    print(
        f"warm rebuild, Sphinx run anyway    {warm_sphinx:8.2f} s  "
        f"({100 * warm_sphinx / cold:.1f} % of cold)"
    )
    print(f"pages                              {len(pages):8d}")
    print(f"median page weight                 {statistics.median(weights) / mb:8.3f} MB")
    print(f"heaviest page                      {max(weights) / mb:8.3f} MB")
    print(f"shared assets (_static/, once)     {shared / mb:8.1f} MB")
    print(f"total site size                    {total / mb:8.1f} MB")
    heaviest = max(pages, key=lambda p: p.read_text().count('class="plotly-graph-div"'))
    n_figures = heaviest.read_text().count('class="plotly-graph-div"')
    loads = cold_load_seconds(site, heaviest)
    print(f"figure-heavy page                  {heaviest.relative_to(site)} ({n_figures} figures)")
    bundles = PLOTLY_JS.findall(heaviest.read_text())
    for bundle in bundles:
        size = (site / "_static" / bundle).stat().st_size / mb
        print(f"  plotly.js it loads (deferred)    {bundle} ({size:.1f} MB)")
    pages_with = sum(bool(PLOTLY_JS.search(p.read_text())) for p in pages)
    print(f"pages that load plotly.js          {pages_with:8d} of {len(pages)}")
    print(
        f"cold-cache load, median of {len(loads)}       {statistics.median(loads):8.2f} s  "
        f"(all: {', '.join(f'{t:.2f}' for t in loads)})"
    )


if __name__ == "__main__":
    main()
