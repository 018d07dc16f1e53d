"""The public book: built from stripped pages, complete, offline, and free of solutions."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import nbformat
import pytest
from conftest import copy_course
from kit import links
from notebooks import lesson_id, lessons

from servicecourse import grading
from servicecourse.build import BookBuildError, book, citations, leaks, pages, plotlyjs, student
from servicecourse.build import figures as book_figures
from servicecourse.paths import all_modules, layout

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


def page_name(module, notebook) -> str:
    """A lesson's page in the site, relative to it."""
    return Path(student.lesson_path(module, notebook)).with_suffix(".html").as_posix()


def cells(nb) -> list[tuple]:
    return [(c.cell_type, c.source, c.metadata) for c in nb.cells]


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_every_lesson_has_a_page(site, item):
    module, notebook = item
    page = site / page_name(module, notebook)
    assert page.exists(), f"{notebook} is missing from the book"
    assert "Plotly.newPlot" in page.read_text() or "plotly" not in notebook.read_text()


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_exercise_cells_show_what_learners_receive(site, released, item):
    module, notebook = item
    page = nbformat.read(pages.page_path(layout().pages, module, notebook), as_version=4)
    release = nbformat.read(released / module.name / notebook.name, as_version=4)
    # The same cells; the book renders citations itself, the release has them written out.
    shown = [
        citations.readable(c.source) if c.cell_type == "markdown" else c.source for c in page.cells
    ]
    assert shown == [c.source for c in release.cells]
    for cell in page.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
            assert not cell.outputs, "an answer or test cell kept the output of the solution"
    lesson_outputs = [
        c.outputs
        for c in page.cells
        if c.cell_type == "code" and "nbgrader" not in c.metadata and c.outputs
    ]
    if not notebook.stem.endswith("wrap_up_quiz"):  # a quiz may have nothing to show
        assert lesson_outputs, "lesson cells keep their outputs (tables, figures)"


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_download_button_gives_the_student_notebook(site, released, item):
    module, notebook = item
    page = (site / page_name(module, notebook)).read_text()
    link = f"_sources/{student.lesson_path(module, notebook)}"
    assert link in page, "the page offers its notebook for download"
    downloaded = nbformat.read(site / link, as_version=4)
    release = nbformat.read(released / module.name / notebook.name, as_version=4)
    assert [c.source for c in downloaded.cells] == [c.source for c in release.cells]
    assert not any(c.get("outputs") for c in downloaded.cells), "a fresh notebook to work in"


@pytest.mark.parametrize("item", LESSONS, ids=lesson_id)
def test_one_student_version_the_download_is_the_student_branch_notebook(
    site, student_repo, released, item
):
    """The book's download, the student branch's notebook and nbgrader's release of a lesson
    are one notebook: the same cells (type, source, metadata) and notebook metadata."""
    module, notebook = item
    path = student.lesson_path(module, notebook)
    downloaded = nbformat.read(site / "_sources" / path, as_version=4)
    in_branch = nbformat.reads(
        subprocess.run(
            ["git", "-C", str(student_repo), "show", f"{student.STUDENT_BRANCH}:{path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout,
        as_version=4,
    )
    release = nbformat.read(released / module.name / notebook.name, as_version=4)
    for other, what in ((in_branch, "the student branch"), (release, "nbgrader's release")):
        assert cells(downloaded) == cells(other), f"the download differs from {what}"
        assert downloaded.metadata == other.metadata, f"the download differs from {what}"
    published = student.student_notebook(module, notebook)
    assert (site / "_sources" / path).read_bytes() == published.read_bytes()


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


PLOTLY_SCRIPT = re.compile(r'<script([^>]*) src="[./]*_static/(plotly/[^"?]+)[^"]*"')
WIDGET_STATE = re.compile(
    r'<script type="application/vnd.jupyter.widget-state\+json">(.*?)</script>', re.S
)


def figure_types(text: str) -> set[str]:
    return book_figures.page_trace_types(text, WIDGET_STATE.findall(text))


def test_plotly_js_only_where_figures_are_in_the_smallest_bundle_that_draws_them(site):
    static = site / "_static"
    bundles = [(name, static / name) for name in book_figures.BUNDLES]
    assert bundles[-1][1].stat().st_size > 4_000_000, "the full bundle draws every trace type"
    assert bundles[0][1].stat().st_size < 2_000_000, "the cartesian partial bundle is small"
    loaded = {}
    for page in html_pages(site):
        text = page.read_text()
        assert page.stat().st_size < 1_000_000, f"{page} is too heavy: plotly.js inlined?"
        scripts = PLOTLY_SCRIPT.findall(text)
        types = figure_types(text)
        if not types:
            assert not scripts, f"{page} has no figure but loads plotly.js"
            assert "figures.js" not in text
            continue
        assert len(scripts) == 1, f"{page} loads plotly.js {len(scripts)} times"
        attributes, bundle = scripts[0]
        assert "defer" in attributes, "plotly.js does not hold up the page's text"
        assert bundle == book_figures.choose_bundle(types, bundles), page
        assert text.index(bundle) < text.index("_static/figures.js"), "figures.js runs after"
        loaded[page.relative_to(site).as_posix()] = (bundle, types)
    # Every lesson draws figures; a wrap-up quiz only asks questions.
    lessons_with_figures = {
        page_name(m, nb) for m, nb in LESSONS if not nb.stem.endswith("wrap_up_quiz")
    }
    assert lessons_with_figures <= set(loaded), "lessons have figures"
    heaviest = "_pages/04_proactive/05_predictive_and_problem_management.html"
    assert loaded[heaviest][0] == book_figures.BUNDLES[0], "the figure-heavy page is light"


def test_plotly_bundles_are_the_version_the_python_package_draws_for(site):
    import plotly

    python = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert plotlyjs.full_bundle() == python
    version = plotlyjs.bundle_version(python)
    for name in book_figures.BUNDLES:
        assert plotlyjs.bundle_version(site / "_static" / name) == version, name
    cartesian = plotlyjs.bundle_traces(site / "_static" / book_figures.CARTESIAN)
    assert {"scatter", "bar", "heatmap", "histogram", "box"} <= cartesian
    assert "scattergl" not in cartesian and "sunburst" not in cartesian
    full = plotlyjs.bundle_traces(site / "_static" / book_figures.FULL)
    assert cartesian < full and len(full) > 40


def test_a_figure_no_allowed_bundle_draws_fails_the_build_clearly(site):
    figure = 'Plotly.newPlot("f", [{"type": "scattergl", "x": [1]}, {"y": [2]}], {})'
    widgets = json.dumps({"state": {"m": {"outputs": [{"data": {"text/html": figure}}]}}})
    assert book_figures.page_trace_types("<p>no figure</p>", [widgets]) == {"scattergl", "scatter"}
    cartesian = [(book_figures.BUNDLES[0], site / "_static" / book_figures.BUNDLES[0])]
    with pytest.raises(book_figures.FigureError, match=r"lesson: .*scattergl.*lacks scattergl"):
        book_figures.choose_bundle({"scatter", "scattergl"}, cartesian, page="lesson")


@pytest.mark.browser
def test_every_figure_draws_offline_with_its_bundle(site, served_site, offline_page):
    """Figures of lesson pages and of their widget outputs, whichever bundle the page loads."""
    page = offline_page
    errors = []
    page.on("pageerror", lambda error: errors.append(f"{error.message} at {error.stack}"))
    for module, notebook in LESSONS:
        name = page_name(module, notebook)
        text = (site / name).read_text()
        expected = text.count('class="plotly-graph-div"') + sum(
            state.count('class=\\"plotly-graph-div\\"') for state in WIDGET_STATE.findall(text)
        )
        page.goto(f"{served_site}/{name}")
        page.wait_for_function(
            "n => [...document.querySelectorAll('.plotly-graph-div')]"
            ".filter(d => d.querySelector('.main-svg')).length >= n",
            arg=expected,
            timeout=30_000,
        )
    # Known, and not the figures': sphinx-thebe declares its URL twice; ipywidgets typesets
    # widget labels with the MathJax 2 API (MathJax.Hub), which the book's MathJax 3 lacks.
    known = ("THEBE_JS_URL", "reading 'Queue')")
    figure_errors = [e for e in errors if not any(k in e for k in known)]
    assert not figure_errors, figure_errors
    assert not page.refused


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
    with pytest.raises(BookBuildError, match=r"01_broken/lesson.ipynb failed to execute"):
        pages.generate_pages(log=lambda *_: None)


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
    assert edition.is_relative_to(layout().instructor_html)
    secrets = leaks.secret_lines(all_modules())
    assert leaks.find_in_tree(edition / layout().pages.name, secrets), "teachers see solutions"
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


# Launch buttons: built with a repository and a hub URL (the public build has none), they must
# open student notebooks in the branch `servicecourse branch` writes.
TEST_REPOSITORY = "https://github.com/example-org/servicecourse-student"
TEST_HUB = "https://hub.example.org"
ENVIRONMENT_FILES = {"README.md", "LICENSE", "pyproject.toml", "requirements.txt", "runtime.txt"}


@pytest.fixture(scope="module")
def student_repo(tmp_path_factory, site) -> Path:
    """The branch `servicecourse branch` writes, from the release the book's build published."""
    repo = tmp_path_factory.mktemp("student-repo")
    subprocess.run(["git", "init", "--quiet", str(repo)], check=True)
    student.write_student_branch(repo=repo, log=lambda *_: None)
    return repo


@pytest.fixture(scope="module")
def launch_site(tmp_path_factory, site) -> Path:
    """The book as published with both URLs, built apart from the public one.

    It starts from a copy of the public build, so Sphinx only writes the pages again (their
    theme options changed); a page it left alone would lack its buttons, and fail the test.
    """
    base = tmp_path_factory.mktemp("launch")
    for folder in (".doctrees", "jupyter_execute", "html"):
        shutil.copytree(site.parent / folder, base / "_build" / folder)
    with pytest.MonkeyPatch.context() as env:
        env.setenv(book.REPOSITORY_URL_ENV, TEST_REPOSITORY)
        env.setenv(book.JUPYTERHUB_URL_ENV, TEST_HUB)
        return book.build(log=lambda *_: None, path_output=base)


def launch_targets(page: Path) -> dict[str, tuple[str, str]]:
    """Each launch link of a page: provider -> (branch, path in the repository)."""
    repo = urlsplit(TEST_REPOSITORY).path.strip("/")
    targets = {}
    for href in links.links(page):
        link = urlsplit(href)
        query = parse_qs(link.query)
        if href.startswith("https://mybinder.org/"):
            prefix = f"/v2/gh/{repo}/"
            assert link.path.startswith(prefix), href
            assert query["urlpath"][0].startswith("lab/tree/"), "opens in JupyterLab"
            targets["binder"] = (link.path[len(prefix) :], query["urlpath"][0][len("lab/tree/") :])
        elif href.startswith(TEST_HUB):
            assert link.path == "/hub/user-redirect/git-pull", "nbgitpuller"
            assert query["repo"] == [TEST_REPOSITORY]
            folder = f"lab/tree/{repo.split('/')[-1]}/"
            assert query["urlpath"][0].startswith(folder), "opens the pulled folder in JupyterLab"
            targets["jupyterhub"] = (query["branch"][0], query["urlpath"][0][len(folder) :])
    return targets


def branch_files(repo: Path, branch: str = student.STUDENT_BRANCH) -> list[str]:
    done = subprocess.run(
        ["git", "-C", str(repo), "ls-tree", "-r", "--name-only", branch],
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.split()


def test_launch_buttons_open_student_notebooks_of_the_student_branch(
    launch_site, student_repo, released, tmp_path
):
    secrets = leaks.secret_lines(all_modules())
    files = set(branch_files(student_repo))
    opened = set()
    for module, notebook in LESSONS:
        page = launch_site / page_name(module, notebook)
        targets = launch_targets(page)
        assert set(targets) == {"binder", "jupyterhub"}, f"{page.name}: {targets}"
        for provider, (branch, path) in targets.items():
            assert branch == student.STUDENT_BRANCH, provider
            assert path in files, f"{provider} opens {path}, which the student branch lacks"
            copy = tmp_path / f"{provider}-{Path(path).name}"
            copy.write_bytes(
                subprocess.run(
                    ["git", "-C", str(student_repo), "show", f"{branch}:{path}"],
                    capture_output=True,
                    check=True,
                ).stdout
            )
            text = leaks.notebook_text(copy)
            assert not leaks.find_in_text(text, secrets), f"{path} holds solutions"
            assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
            opened_nb = nbformat.read(copy, as_version=4)
            release = nbformat.read(released / module.name / notebook.name, as_version=4)
            assert [c.source for c in opened_nb.cells] == [c.source for c in release.cells]
            assert not any(c.get("outputs") for c in opened_nb.cells)
            opened.add(path)
    notebooks = {f for f in files if f.endswith(".ipynb")}
    assert opened == notebooks, "every notebook of the branch is a lesson's, and the other way"


def test_student_branch_holds_student_notebooks_and_their_environment_only(student_repo):
    project = layout()
    folders = {project.pages.name, project.package_dir.name, project.datasets_dir.name}
    files = branch_files(student_repo)
    for path in files:
        top = path.split("/")[0]
        assert top in folders or path in ENVIRONMENT_FILES, path
        assert top == project.pages.name or not path.endswith(".ipynb"), path
        # No shortcut: the computations graded cells ask for live in classroom/measures, at home.
        parts = path.split("/")
        assert not (top == project.package_dir.name and parts[1] in layout().TOOLING_ROOMS), path
    assert ENVIRONMENT_FILES <= set(files)
    requirements = subprocess.run(
        ["git", "-C", str(student_repo), "show", "student:requirements.txt"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert requirements.rstrip().endswith("-e ."), "the package, editable, finds datasets/"
    assert "nbgrader==" in requirements and "plotly==" in requirements
    status = subprocess.run(
        ["git", "-C", str(student_repo), "status", "--porcelain"], capture_output=True, text=True
    )
    assert status.stdout == "", "the work tree is untouched"
    again = student.write_student_branch(repo=student_repo, log=lambda *_: None)
    head = subprocess.run(
        ["git", "-C", str(student_repo), "rev-parse", "student"], capture_output=True, text=True
    )
    assert again == head.stdout.strip(), "nothing changed, no new commit"


def test_student_branch_refuses_a_solution(student_repo, released, tmp_path):
    tampered = tmp_path / "release"
    shutil.copytree(released, tampered)
    module, notebook = LESSONS[0]
    source = nbformat.read(notebook, as_version=4)
    nbformat.write(source, tampered / module.name / notebook.name)
    with pytest.raises(BookBuildError, match="solutions or hidden tests"):
        student.write_student_branch(release=tampered, repo=student_repo, branch="tampered")
    assert (
        "tampered"
        not in subprocess.run(
            ["git", "-C", str(student_repo), "branch"], capture_output=True, text=True
        ).stdout
    )


def test_a_student_notebook_runs_from_a_checkout_of_the_branch(student_repo, tmp_path):
    """What Binder does: the branch's package (with its datasets) runs the lesson's cells."""
    from nbclient import NotebookClient

    checkout = tmp_path / "checkout"
    checkout.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(student_repo), "archive", "student"], capture_output=True, check=True
    )
    subprocess.run(["tar", "-x", "-C", str(checkout)], input=archive.stdout, check=True)
    module, notebook = LESSONS[0]
    path = checkout / student.lesson_path(module, notebook)
    nb = nbformat.read(path, as_version=4)
    with pytest.MonkeyPatch.context() as env:
        env.setenv("PYTHONPATH", str(checkout))  # as `pip install -e .` would
        env.delenv("SERVICECOURSE_ROOT", raising=False)
        nb.cells.insert(
            0,
            nbformat.v4.new_code_cell("import servicecourse; print(servicecourse.__file__)"),
        )
        NotebookClient(
            nb,
            timeout=120,
            kernel_name="python3",
            allow_errors=True,
            resources={"metadata": {"path": str(path.parent)}},
        ).execute()
    assert str(checkout) in nb.cells[0].outputs[0]["text"], "the branch's own package"
    first_exercise = next(
        i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("solution")
    )
    for cell in nb.cells[:first_exercise]:
        errors = [o for o in cell.get("outputs", []) if o.output_type == "error"]
        assert not errors, f"{cell.source[:60]!r} fails: {errors[0]['ename']}"


def test_no_launch_buttons_without_a_repository_url(site):
    if book.book_config()["repository"]["url"]:
        pytest.skip("this project has a repository URL")
    for page in html_pages(site):
        text = page.read_text()
        assert "mybinder.org/v2/" not in text and "/git-pull?" not in text, page
