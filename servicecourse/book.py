"""Build the public book from generated pages, never from the sources.

Each lesson is executed with its solutions (so lesson figures have outputs), then stripped with
nbgrader's own preprocessors, so exercise cells show exactly what learners receive. Executed
notebooks are cached by the hash of everything that can change their outputs; a notebook that
fails to execute fails the build (Jupyter Book 1 itself would exit 0).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from . import leaks
from .grading import load_config
from .paths import CourseError, Module, all_modules, datasets_dir, repo_root

PAGES_DIR = "_pages"
CACHE_DIR = ".cache/book-exec"
VENDOR_DIR = "book/_vendor"
OUTPUT_DIR = "_build/html"
DIGEST_FILE = "_build/.book-inputs.sha256"
INSTRUCTOR_DIR = "_build/instructor"
INSTRUCTOR_BANNER = "Instructor edition: contains solutions and hidden tests. Never publish it."
EXECUTE_TIMEOUT = 300

# The first cell the book build runs in every kernel, removed again before the page is written.
_SETUP_CELL = "from servicecourse import plotting as _p\n_p.use_book_renderer()\ndel _p"


class BookBuildError(CourseError):
    """The book cannot be built; the message names the notebook and cell at fault."""


def _digest(paths: list[Path], extra: str = "") -> str:
    sha = hashlib.sha256(extra.encode())
    for path in sorted(paths):
        sha.update(str(path.relative_to(repo_root())).encode())
        sha.update(path.read_bytes())
    return sha.hexdigest()


def _files(folder: Path, pattern: str) -> list[Path]:
    return [p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts]


def execution_key(notebook: Path) -> str:
    """Changes whenever the notebook, the package, the data or the pinned libraries change."""
    root = repo_root()
    inputs = [notebook, root / "requirements.lock"]
    inputs += _files(root / "servicecourse", "*.py") + _files(datasets_dir(), "*")
    return _digest([p for p in inputs if p.exists()])


def execute(notebook: Path) -> nbformat.NotebookNode:
    """Run a source notebook with its solutions; raise BookBuildError on the first failing cell."""
    nb = nbformat.read(notebook, as_version=4)
    setup = nbformat.v4.new_code_cell(_SETUP_CELL)
    nb.cells.insert(0, setup)
    client = NotebookClient(
        nb,
        timeout=EXECUTE_TIMEOUT,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        raise BookBuildError(
            f"{notebook.relative_to(repo_root())} failed to execute:\n{err}"
        ) from err
    nb.cells.pop(0)
    return nb


def strip_for_learners(nb: nbformat.NotebookNode, config=None) -> nbformat.NotebookNode:
    """Remove solutions, hidden tests and the outputs they produced; keep lesson outputs."""
    config = config if config is not None else load_config()
    resources = {}
    nb, resources = ClearSolutions(config=config).preprocess(nb, resources)
    nb, resources = ClearHiddenTests(config=config).preprocess(nb, resources)
    for cell in nb.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "code" and (meta.get("solution") or meta.get("grade")):
            cell.outputs = []
            cell.execution_count = None
    return nb


def page_path(pages: Path, module: Module, notebook: Path) -> Path:
    return pages / module.name / notebook.name


def _write_if_changed(path: Path, text: str) -> bool:
    """Leave unchanged pages untouched, so that Sphinx's incremental build has nothing to do."""
    if path.exists() and path.read_text(encoding="utf-8") == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return True


def executed(module: Module, notebook: Path, log=print) -> nbformat.NotebookNode:
    """The notebook run with its solutions, from the cache when nothing it depends on changed."""
    cache = repo_root() / CACHE_DIR
    cache.mkdir(parents=True, exist_ok=True)
    cached = cache / f"{module.name}--{notebook.stem}--{execution_key(notebook)[:20]}.ipynb"
    if cached.exists():
        return nbformat.read(cached, as_version=4)
    started = time.perf_counter()
    nb = execute(notebook)
    for old in cache.glob(f"{module.name}--{notebook.stem}--*.ipynb"):
        old.unlink()
    nbformat.write(nb, cached)
    log(f"executed {module.name}/{notebook.name} in {time.perf_counter() - started:.1f} s")
    return nb


def generate_pages(modules: list[Module] | None = None, log=print) -> list[Path]:
    root = repo_root()
    pages = root / PAGES_DIR
    config = load_config()
    written = []
    for module in modules or all_modules():
        for notebook in module.lessons:
            page = strip_for_learners(executed(module, notebook, log), config)
            target = page_path(pages, module, notebook)
            _write_if_changed(target, nbformat.writes(page) + "\n")
            written.append(target)
    for stale in set(pages.rglob("*.ipynb")) - set(written):
        stale.unlink()
        log(f"removed stale page {stale.relative_to(root)}")
    return written


def vendor_assets() -> Path:
    """Copy the JavaScript the site needs into a static folder: no CDN, no network."""
    import plotly

    root = repo_root()
    node = root / "node_modules"
    if not node.is_dir():
        raise BookBuildError("node_modules/ is missing: run `npm ci` (or `make deps`) first")
    vendor = root / VENDOR_DIR
    copies = {
        Path(plotly.__file__).parent / "package_data" / "plotly.min.js": "plotly/plotly.min.js",
        node / "requirejs" / "require.js": "requirejs/require.js",
        node
        / "@jupyter-widgets"
        / "html-manager"
        / "dist"
        / "embed-amd.js": "html-manager/embed-amd.js",
    }
    for source, target in copies.items():
        _copy_if_changed(source, vendor / target)
    for font in (node / "@jupyter-widgets" / "html-manager" / "dist").glob("*.woff*"):
        _copy_if_changed(font, vendor / "html-manager" / font.name)
    for font in (node / "@jupyter-widgets" / "html-manager" / "dist").glob("*.ttf"):
        _copy_if_changed(font, vendor / "html-manager" / font.name)
    mathjax = node / "mathjax" / "es5"
    _copy_if_changed(mathjax / "tex-chtml.js", vendor / "mathjax" / "tex-chtml.js")
    for sub in ("input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y", "adaptors"):
        for source in _files(mathjax / sub, "*"):
            _copy_if_changed(source, vendor / "mathjax" / source.relative_to(mathjax))
    return vendor


def _copy_if_changed(source: Path, target: Path) -> None:
    if not source.exists():
        raise BookBuildError(f"{source} is missing: run `npm ci` (or `make deps`) again")
    if (
        target.exists()
        and target.stat().st_size == source.stat().st_size
        and (target.read_bytes() == source.read_bytes())
    ):
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def _run_jupyter_book(source: Path, force: bool = False, output: Path | None = None) -> None:
    """Strict: any Sphinx warning is an error, so a broken page never ships quietly."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(source), "--builder", "html"]
    command += ["--warningiserror", "--keep-going", "--quiet"]
    if output is not None:
        command += ["--path-output", str(output)]
    if force:
        command.append("--all")
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    done = subprocess.run(command, cwd=source, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BookBuildError(
            "Jupyter Book failed; its warnings and errors:\n" + (done.stderr or done.stdout)[-6000:]
        )


def build_instructor(log=print) -> Path:
    """The same book with solutions and hidden tests, for teachers, in its own folder.

    Built on request only, from a private copy of the book's sources under _build/, so the
    public build (which excludes _build/) can never pick it up.
    """
    root = repo_root()
    base = root / INSTRUCTOR_DIR
    source = base / "src"
    shutil.rmtree(source, ignore_errors=True)
    vendor_assets()
    shutil.copytree(root / "book", source / "book")
    (source / "datasets").mkdir(parents=True)
    for card in datasets_dir().glob("*.md"):
        shutil.copy2(card, source / "datasets" / card.name)
    shutil.copy2(root / "_toc.yml", source / "_toc.yml")
    config = (root / "_config.yml").read_text(encoding="utf-8")
    config = config.replace("\nhtml:\n", f'\nhtml:\n  announcement: "{INSTRUCTOR_BANNER}"\n', 1)
    config = config.replace('title: "', 'title: "Instructor edition – ', 1)
    (source / "_config.yml").write_text(config, encoding="utf-8")
    for module in all_modules():
        for notebook in module.lessons:
            target = page_path(source / PAGES_DIR, module, notebook)
            target.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(executed(module, notebook, log), target)
    _run_jupyter_book(source, force=True, output=base)
    output = base / "_build" / "html"
    log(f"instructor edition built: {output / 'index.html'} (do not publish)")
    return output


STATIC_SOURCES = ("book/_vendor", "book/assets")  # html_static_path in _config.yml


def refresh_static_files(output: Path) -> None:
    """Sphinx's incremental build keeps an old copy of a changed static file; copy ours anew."""
    root = repo_root()
    for folder in STATIC_SOURCES:
        for source in _files(root / folder, "*"):
            _copy_if_changed(source, output / "_static" / source.relative_to(root / folder))


def student_notebook(page: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """What a learner starts from: the page's cells (already the release's) without outputs."""
    nb = nbformat.from_dict(page)
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    return nb


def publish_student_notebooks(output: Path) -> None:
    """The page's download button serves the student notebook, never the source."""
    pages = repo_root() / PAGES_DIR
    for page in pages.rglob("*.ipynb"):
        target = output / "_sources" / PAGES_DIR / page.relative_to(pages)
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(student_notebook(nbformat.read(page, as_version=4)), target)


def book_inputs() -> list[Path]:
    root = repo_root()
    inputs = [root / name for name in ("_config.yml", "_toc.yml", "requirements.lock")]
    inputs += (
        [root / "package-lock.json"]
        + _files(root / "book", "*")
        + _files(root / PAGES_DIR, "*.ipynb")
    )
    inputs += _files(datasets_dir(), "*.md")
    return [p for p in inputs if p.exists()]


def build(force: bool = False, log=print) -> Path:
    """Generate pages, vendor assets, run Jupyter Book strictly, then check for leaks."""
    root = repo_root()
    generate_pages(log=log)
    vendor_assets()
    output = root / OUTPUT_DIR
    digest_file = root / DIGEST_FILE
    digest = _digest(book_inputs())
    if (
        not force
        and output.joinpath("index.html").exists()
        and digest_file.exists()
        and (digest_file.read_text() == digest)
    ):
        log(f"book is up to date: {output}")
        return output
    _run_jupyter_book(root, force=force)
    refresh_static_files(output)
    publish_student_notebooks(output)
    found = leaks.find_in_tree(output, leaks.secret_lines(all_modules()))
    if found:
        raise BookBuildError(
            "solution or hidden-test lines reached the book:\n" + leaks.describe(found)
        )
    digest_file.write_text(digest)
    log(f"book built: {output / 'index.html'}")
    return output
