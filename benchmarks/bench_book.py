"""Benchmark of the public book build: prints figures, asserts nothing.

- cold build: no executed-notebook cache, no pages, no site;
- warm rebuild with nothing changed (the build's input digest says there is nothing to do);
- warm Sphinx rebuild: the same, but Jupyter Book is run anyway (incremental);
- median page weight (HTML plus the files only that page uses; shared assets in _static/
  are loaded once for the whole site) and total site size.

Run with `make bench` (or `.venv/bin/python benchmarks/bench_book.py`).
"""

from __future__ import annotations

import re
import shutil
import statistics
import time
from pathlib import Path

from servicecourse import book
from servicecourse.paths import repo_root

LOCAL_REF = re.compile(r'(?:src|href)="([^"#?:]+)')


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def clean(root: Path) -> None:
    for folder in (book.PAGES_DIR, book.CACHE_DIR, "_build"):
        shutil.rmtree(root / folder, ignore_errors=True)


def page_weight(page: Path, site: Path) -> int:
    """The page and what it alone loads; everything under _static/ is shared by all pages."""
    total = page.stat().st_size
    for ref in set(LOCAL_REF.findall(page.read_text(encoding="utf-8", errors="replace"))):
        target = (page.parent / ref).resolve()
        if target.is_file() and "_static" not in target.relative_to(site.resolve()).parts:
            if target.suffix != ".html":
                total += target.stat().st_size
    return total


def main() -> None:
    root = repo_root()
    quiet = lambda *_: None  # noqa: E731
    clean(root)
    cold = timed(lambda: book.build(log=quiet))
    warm = timed(lambda: book.build(log=quiet))
    (root / book.DIGEST_FILE).unlink()
    warm_sphinx = timed(lambda: book.build(log=quiet))
    site = root / book.OUTPUT_DIR
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


if __name__ == "__main__":
    main()
