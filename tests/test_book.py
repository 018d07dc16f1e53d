"""The public book: built from stripped pages, complete, offline, and free of solutions."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from conftest import copy_course
from notebooks import lesson_id, lessons

from servicecourse import book, grading, leaks
from servicecourse.paths import all_modules

pytestmark = pytest.mark.slow

LESSONS = lessons()
SHARED_ASSETS = ("_static/",)


@pytest.fixture(scope="session")
def released(tmp_path_factory) -> Path:
    course = copy_course(tmp_path_factory.mktemp("book-release"))
    grading.release(all_modules(), course)
    return course / "release"


def html_pages(site: Path) -> list[Path]:
    return [p for p in site.rglob("*.html") if not p.relative_to(site).parts[0].startswith("_s")]


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_every_lesson_has_a_page(site, item):
    module, notebook = item
    page = site / book.PAGES_DIR / module.name / f"{notebook.stem}.html"
    assert page.exists(), f"{notebook} is missing from the book"
    assert "Plotly.newPlot" in page.read_text() or "plotly" not in notebook.read_text()


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_exercise_cells_show_what_learners_receive(site, released, root, item):
    module, notebook = item
    page = nbformat.read(root / book.PAGES_DIR / module.name / notebook.name, as_version=4)
    release = nbformat.read(released / module.name / notebook.name, as_version=4)
    assert [c.source for c in page.cells] == [c.source for c in release.cells]
    for cell in page.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
            assert not cell.outputs, "an answer or test cell kept the output of the solution"
    lesson_outputs = [
        c.outputs
        for c in page.cells
        if c.cell_type == "code" and "nbgrader" not in c.metadata and c.outputs
    ]
    assert lesson_outputs, "lesson cells keep their outputs (tables, figures)"


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_download_button_gives_the_student_notebook(site, released, item):
    module, notebook = item
    page = (site / book.PAGES_DIR / module.name / f"{notebook.stem}.html").read_text()
    link = f"_sources/{book.PAGES_DIR}/{module.name}/{notebook.name}"
    assert link in page, "the page offers its notebook for download"
    downloaded = nbformat.read(site / link, as_version=4)
    release = nbformat.read(released / module.name / notebook.name, as_version=4)
    assert [c.source for c in downloaded.cells] == [c.source for c in release.cells]
    assert not any(c.get("outputs") for c in downloaded.cells), "a fresh notebook to work in"


def test_no_solution_or_hidden_test_in_the_site(site):
    secrets = leaks.secret_lines(all_modules())
    assert secrets
    assert not leaks.find_in_tree(site, secrets)


def test_site_needs_no_network(site):
    external = re.compile(
        r'<(?:script|img|iframe)[^>]+src="(?:https?:)?//|<link[^>]+href="(?:https?:)?//[^"]+\.css'
    )
    offenders = [p for p in html_pages(site) if external.search(p.read_text())]
    assert not offenders, f"pages load assets from the internet: {offenders[:5]}"


def test_plotly_js_is_loaded_once_from_the_site_not_inlined(site):
    vendored = site / "_static" / "plotly" / "plotly.min.js"
    assert vendored.stat().st_size > 1_000_000
    for page in html_pages(site):
        text = page.read_text()
        assert text.count("plotly.min.js") <= 1
        assert page.stat().st_size < 1_000_000, f"{page} is too heavy: plotly.js inlined?"


def test_every_figure_has_a_text_alternative(site):
    for page in html_pages(site):
        text = page.read_text()
        figures = text.count('class="plotly-graph-div"')
        labelled = len(re.findall(r'<div role="figure" aria-label="Figure: [^"]+">', text))
        assert figures == labelled, f"{page}: {figures} figures, {labelled} with a text alternative"


def test_module_landing_pages_exist(site):
    for module in all_modules():
        assert (site / "book" / "modules" / f"{module.name}.html").exists()


@pytest.mark.browser
def test_plotly_figure_and_widget_render_offline(served_site, offline_page):
    page = offline_page
    missing = []
    page.on("response", lambda r: missing.append(r.url) if r.status >= 400 else None)
    page.goto(f"{served_site}/_pages/01_intro/01_how_this_course_works.html")
    page.wait_for_selector(".plotly-graph-div .main-svg", timeout=30_000)
    page.wait_for_selector(".widget-dropdown select", timeout=30_000)
    figures = page.locator(".plotly-graph-div")
    assert figures.count() >= 2
    assert page.locator(".plotly-graph-div .trace").count() > 0, "figures have drawn traces"
    options = page.locator(".widget-dropdown select option").all_inner_texts()
    assert "01_intro" in options
    assert not page.refused, f"requests left the machine: {page.refused}"
    assert not missing, f"the site lacks files it asks for: {missing}"


def test_failing_notebook_fails_the_build(tmp_path, monkeypatch, root):
    """Jupyter Book 1 would exit 0; the page generator stops with the notebook's name."""
    fake = tmp_path / "project"
    (fake / "modules" / "01_broken").mkdir(parents=True)
    (fake / "autograde").mkdir()
    shutil.copy(root / "autograde" / "nbgrader_config.py", fake / "autograde")
    nb = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("1 / 0")],
        metadata={"kernelspec": {"name": "python3", "display_name": "Python 3"}},
    )
    nbformat.write(nb, fake / "modules" / "01_broken" / "lesson.ipynb")
    monkeypatch.setenv("SERVICECOURSE_ROOT", str(fake))
    with pytest.raises(book.BookBuildError, match=r"01_broken/lesson.ipynb failed to execute"):
        book.generate_pages(log=lambda *_: None)


def test_warm_rebuild_does_nothing(site):
    messages = []
    book.build(log=messages.append)
    assert messages == [f"book is up to date: {site}"]


def test_module_without_lessons_releases_nothing(tmp_path):
    course = copy_course(tmp_path / "course")
    empty = [m for m in all_modules() if not m.lessons]
    assert grading.release(empty, course) == []


def test_instructor_edition_is_separate_and_never_public(site):
    edition = book.build_instructor(log=lambda *_: None)
    assert edition.is_relative_to(site.parent.parent / book.INSTRUCTOR_DIR)
    secrets = leaks.secret_lines(all_modules())
    assert leaks.find_in_tree(edition / book.PAGES_DIR, secrets), "teachers see the solutions"
    assert book.INSTRUCTOR_BANNER in (edition / "book" / "intro.html").read_text()
    assert not site.is_relative_to(edition.parent.parent), "the public site is elsewhere"
    assert not leaks.find_in_tree(site, secrets)
    assert not any(book.INSTRUCTOR_BANNER in p.read_text() for p in site.rglob("*.html"))


@pytest.mark.browser
def test_offline_search_finds_a_lesson(served_site, offline_page):
    page = offline_page
    page.goto(f"{served_site}/search.html?q=validate")
    page.wait_for_selector("#search-results li", timeout=30_000)
    found = page.locator("#search-results li a").all_inner_texts()
    assert any("How this course works" in text for text in found), found
    assert not page.refused


def test_index_lists_glossary_terms(site):
    index = (site / "genindex.html").read_text()
    for term in ("palvelunhallinta", "service management", "häiriö", "incident"):
        assert f">{term}" in index, f"{term} is missing from the index"
