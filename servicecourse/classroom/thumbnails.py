"""Thumbnails for the landing page's gallery: each dashboard as Voila really renders it.

Made with headless Chromium (``browser.py``) from a running classroom server, kept beside the
staged dashboards and remade only when their notebook is newer. The selectors that tell a
rendered dashboard and the ``FINGERPRINT`` of what it shows are shared with the tests and the
benchmark, which wait for the same things.
"""

from __future__ import annotations

from pathlib import Path

from .dashboards import Dashboard, find_dashboards

THUMBNAILS = "thumbnails"

# What a rendered dashboard shows: Voila's cells, then its widgets (and plotly's figures).
RENDERED = ".jp-OutputArea-output .jupyter-widgets"
FIGURE_DRAWN = ".js-plotly-plot .main-svg"
THUMBNAIL_VIEWPORT = {"width": 1200, "height": 750}

# A page function (for playwright's ``page.evaluate``) that sums up what a rendered dashboard
# shows: every plotly figure (data, title, legend) and every HTML or table output. The controls
# are left out, so the tests and the benchmark can tell that moving one changed the answer.
FINGERPRINT = """() => {
  const plain = (key, value) => (ArrayBuffer.isView(value) ? Array.from(value) : value);
  const figures = [...document.querySelectorAll("#rendered_cells .js-plotly-plot")].map((gd) =>
    JSON.stringify({
      data: (gd.data || []).map((t) => [t.name, t.visible, t.x, t.y, t.text]),
      title: gd.layout && gd.layout.title,
      legend: [...gd.querySelectorAll(".legendtext")].map((e) => e.textContent),
    }, plain));
  const outputs = [...document.querySelectorAll(
    "#rendered_cells .widget-html-content, #rendered_cells .jp-OutputArea-output table"
  )].map((e) => e.innerText);
  return JSON.stringify({ figures, outputs });
}"""


def thumbnail_path(site: Path, dashboard: Dashboard) -> Path:
    """Where the dashboard's thumbnail lives in the staged folder (Voila serves it from there)."""
    return Path(site) / THUMBNAILS / f"{Path(dashboard.staged_name).stem}.png"


def thumbnail_is_current(site: Path, dashboard: Dashboard) -> bool:
    """A thumbnail newer than its notebook is kept."""
    thumb = thumbnail_path(site, dashboard)
    return thumb.exists() and thumb.stat().st_mtime >= dashboard.path.stat().st_mtime


def write_thumbnails(
    base_url: str,
    site: Path,
    dashboards: list[Dashboard] | None = None,
    *,
    only_missing: bool = True,
    browser=None,
    timeout_ms: int = 90_000,
) -> list[Path]:
    """Screenshot each dashboard as the Voila at ``base_url`` renders it, into ``site``.

    ``only_missing`` skips thumbnails newer than their notebook. ``browser`` is a playwright
    Chromium; without one, Debian's Chromium is launched here (playwright never downloads one).
    """
    dashboards = find_dashboards() if dashboards is None else dashboards
    todo = [d for d in dashboards if not (only_missing and thumbnail_is_current(site, d))]
    if not todo:
        return []
    if browser is None:
        from playwright.sync_api import sync_playwright

        from .browser import launch

        with sync_playwright() as p:
            own = launch(p)
            try:
                return write_thumbnails(
                    base_url, site, todo, only_missing=False, browser=own, timeout_ms=timeout_ms
                )
            finally:
                own.close()
    (Path(site) / THUMBNAILS).mkdir(parents=True, exist_ok=True)
    written = []
    for dashboard in todo:
        context = browser.new_context(viewport=THUMBNAIL_VIEWPORT)
        try:
            page = context.new_page()
            page.goto(base_url.rstrip("/") + "/" + dashboard.url_path)
            page.wait_for_selector(RENDERED, timeout=timeout_ms)
            if page.locator(".js-plotly-plot").count():
                page.wait_for_selector(FIGURE_DRAWN, timeout=timeout_ms)
            page.wait_for_timeout(500)  # plotly's transitions and the fonts settle
            path = thumbnail_path(site, dashboard)
            page.screenshot(path=str(path))
            written.append(path)
            # Voila 0.5 refuses the page's own shutdown request (see pool.py): the culler
            # stops the kernel once the page is gone.
            page.close(run_before_unload=True)
        finally:
            context.close()
    return written
