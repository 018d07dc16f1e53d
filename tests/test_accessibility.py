"""axe-core (from the npm registry) injected by playwright into every page of the built book.

Goal of the course: zero serious or critical violations on every page, offline.
"""

from __future__ import annotations

import pytest

from servicecourse.paths import layout

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = layout().node_modules / "axe-core" / "axe.min.js"


def book_pages() -> list[str]:
    from pathlib import Path

    from servicecourse.build.student import lesson_path

    project = layout()
    site = project.html
    # Pages exist only after a build; collect them from the sources the build turns into pages.
    names = ["search.html", "genindex.html"]
    names += [
        f"{p.relative_to(project.root).with_suffix('.html')}"
        for p in sorted(project.book_dir.rglob("*.md"))
    ]
    names += [
        Path(lesson_path(m, nb)).with_suffix(".html").as_posix()
        for m in project.all_modules()
        for nb in m.lessons
    ]
    return [n for n in names if not (site.exists() and (site / n).is_dir())]


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


# Lowest contrast between a figure's text (title, axis titles, tick labels, legend) and what
# shows through its transparent background, composed from the page's own colours.
FIGURE_TEXT_CONTRAST = """() => {
  const rgba = (text) => {
    const m = /rgba?\\(([^)]+)\\)/.exec(text || "");
    if (!m) return null;
    const p = m[1].split(",").map(Number);
    return p.length > 3 ? p : p.concat([1]);
  };
  const over = (top, below) => [0, 1, 2].map((i) => top[i] * top[3] + below[i] * (1 - top[3]));
  const lum = (c) => {
    const f = (v) => ((v /= 255) <= 0.04045 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4));
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]);
  };
  const behind = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = rgba(getComputedStyle(node).backgroundColor);
      if (c && c[3] > 0) layers.push(c);
    }
    return layers.reduceRight((below, top) => over(top, below).concat([1]), [255, 255, 255, 1]);
  };
  const found = [];
  document.querySelectorAll(".plotly-graph-div").forEach((gd) => {
    let bg = behind(gd);  // the figure's paper is the background of its first svg
    const paper = rgba(getComputedStyle(gd.querySelector(".main-svg")).backgroundColor);
    if (paper) bg = over(paper, bg).concat([1]);
    const fill = (el) => {
      const style = getComputedStyle(el);
      const colour = rgba(style.fill);
      colour[3] *= Number(style.fillOpacity || 1);
      return colour;
    };
    const texts = gd.querySelectorAll(
      ".gtitle, .g-xtitle text, .g-ytitle text, .xtick text, .ytick text, .legendtext");
    texts.forEach((t) => {
      const fg = over(fill(t), bg);
      const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
      const ratio = (hi + 0.05) / (lo + 0.05);
      found.push({ratio: ratio, text: t.textContent, fill: getComputedStyle(t).fill});
    });
  });
  return found.sort((a, b) => a.ratio - b.ratio);
}"""
FIGURE_PAGES = [
    "_pages/04_proactive/05_predictive_and_problem_management.html",  # cartesian bundle
    "_pages/03_basics/03_iso20000_pilot.html",  # full bundle (sunburst)
    "_pages/03_basics/04_service_desk_measures.html",  # a figure in a widget output
]


def _figure_contrast(page, theme: str, figures: int) -> list[dict]:
    page.wait_for_function(
        "t => document.documentElement.dataset.theme === t"
        " && document.documentElement.dataset.figuresTheme !== undefined",
        arg=theme,
        timeout=30_000,
    )
    page.wait_for_function(
        "n => [...document.querySelectorAll('.plotly-graph-div')]"
        ".filter(d => d.querySelector('.main-svg')).length >= n",
        arg=figures,
        timeout=30_000,
    )
    found = page.evaluate(FIGURE_TEXT_CONTRAST)
    assert found, "the figures have text"
    return found


@pytest.mark.parametrize("page_name", FIGURE_PAGES)
def test_figure_text_is_readable_in_light_and_dark_mode(site, served_site, browser, page_name):
    """WCAG AA for text (4.5:1) against the page, in light mode, after switching to dark
    mode with the theme's button, and when a reader's page opens in dark mode."""
    text = (site / page_name).read_text()
    figures = text.count('class="plotly-graph-div"') + text.count('class=\\"plotly-graph-div\\"')
    for stored in ("light", "dark"):
        context = browser.new_context()
        context.add_init_script(f"localStorage.setItem('mode', '{stored}');")
        page = context.new_page()
        page.goto(f"{served_site}/{page_name}")
        found = _figure_contrast(page, stored, figures)
        assert found[0]["ratio"] >= 4.5, f"{stored} mode: {found[0]}"
        if stored == "light":
            for _ in range(3):  # the button cycles light → dark → auto
                if page.evaluate("document.documentElement.dataset.theme") == "dark":
                    break
                page.click(".theme-switch-button >> nth=0")
            page.wait_for_function("document.documentElement.dataset.figuresTheme === 'dark'")
            switched = _figure_contrast(page, "dark", figures)
            assert switched[0]["ratio"] >= 4.5, f"switched to dark mode: {switched[0]}"
            fills = {f["fill"] for f in found}
            assert {f["fill"] for f in switched} != fills, "the text colour adapted"
        context.close()
