"""Accessibility: axe-core (tests/kit/axe.py) on every page of the built book, the contrast of
the figures' text, and the accessibility statement (book/accessibility.md).

Goal of the course: zero serious or critical violations on every page, offline. The dashboards
get the same check in tests/test_dashboards.py, on the server that test module starts.
"""

from __future__ import annotations

import datetime as dt

import pytest
import yaml
from kit import axe

from servicecourse.paths import layout

STATEMENT = layout().book_dir / "accessibility.md"


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
@pytest.mark.browser
@pytest.mark.slow
def test_no_serious_accessibility_violation(site, served_site, offline_page, page_name):
    if not (site / page_name).exists():
        pytest.fail(f"{page_name} was not built (is it in _toc.yml?)")
    page = offline_page
    page.goto(f"{served_site}/{page_name}", wait_until="load")
    page.wait_for_selector("html[data-a11y-repaired]", timeout=15_000)
    if page.locator(".jupyter-widgets, script[type*='widget-view']").count():
        page.wait_for_timeout(1500)  # widgets render after load
    axe.assert_accessible(page, page_name)


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
@pytest.mark.browser
@pytest.mark.slow
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


# --- the gate itself, and the statement ---------------------------------------------------------


def _widget_state(*widgets) -> dict:
    """The widget state a notebook saves (``metadata.widgets``), for widgets made here."""
    return {
        "state": {
            w.model_id: {"model_name": w.get_state()["_model_name"], "state": w.get_state()}
            for w in widgets
        }
    }


def test_a_control_without_a_name_is_caught_before_any_browser():
    import ipywidgets as w

    named = [
        w.IntSlider(description="Warning (°C):"),
        w.Dropdown(options=["2016", "2017"], description="Period:"),
        w.Checkbox(description="Phone"),
        w.Button(description="Reset"),
        w.ToggleButtons(options=["Today", "After"]),  # each button is named by its text
        w.HTML("<b>not a control</b>"),
    ]
    assert axe.unnamed_controls(_widget_state(*named)) == []
    unnamed = [
        w.FloatSlider(value=2.5),
        w.SelectMultiple(options=["open", "done"]),
        w.Checkbox(),
        w.Text(description="   "),
        w.Button(icon="check"),
    ]
    found = axe.unnamed_controls(_widget_state(*named, *unnamed))
    assert [f.split(" (")[0] for f in found] == [
        "a FloatSlider",
        "a SelectMultiple",
        "a Checkbox",
        "a Text",
        "a Button",
    ]
    assert "2.5" in found[0] and "description='What it sets'" in found[0]


def _statement_settings() -> dict:
    text = STATEMENT.read_text(encoding="utf-8")
    assert text.startswith("---\n"), "the statement's settings are its front matter"
    front = yaml.safe_load(text.split("---\n")[1])
    return front["myst"]["substitutions"]


def test_the_statement_names_the_axe_core_that_checks_the_pages():
    assert _statement_settings()["axe_core_version"] == axe.version(), (
        "axe-core was updated: run the checks, review book/accessibility.md and set its "
        "axe_core_version and statement_reviewed"
    )


def test_the_statement_was_reviewed_within_a_year():
    """The Commission asks for a review at least annually (Decision (EU) 2018/1523, recital 3)."""
    settings = _statement_settings()
    reviewed = dt.datetime.strptime(settings["statement_reviewed"], "%d %B %Y").date()
    prepared = dt.datetime.strptime(settings["statement_prepared"], "%d %B %Y").date()
    assert prepared <= reviewed <= dt.date.today()
    assert (dt.date.today() - reviewed).days <= 366, (
        f"book/accessibility.md was last reviewed on {reviewed}: review it (run the axe checks, "
        "update the non-accessible content) and set statement_reviewed"
    )


def test_the_feedback_channel_is_set_or_the_page_says_it_is_not():
    """An organisation that has not named its channel yet must not publish a silent gap."""
    channel = _statement_settings()["feedback_contact"]
    named = "@" in channel or "https://" in channel
    assert named or (":::{warning}" in channel and "Not set yet" in channel), channel
    text = STATEMENT.read_text(encoding="utf-8")
    assert "\n{{ feedback_contact }}\n" in text, "the setting is shown on the page, as a block"
    guide = (layout().book_dir / "instructors.md").read_text(encoding="utf-8")
    assert "feedback_contact" in guide, "the instructors' guide says how to set the channel"
