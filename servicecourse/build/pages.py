"""Book pages: each lesson executed with its solutions, then stripped for learners.

Executing with the solutions gives lesson cells their outputs (tables, figures); nbgrader's own
preprocessors then remove solutions and hidden tests, so exercise cells read exactly as in the
release. Executions are cached by the hash of everything that can change their outputs; a
notebook that fails to execute fails the build (Jupyter Book 1 itself would exit 0).
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from ..grading import load_config
from ..paths import DEFAULTS, Module, layout
from . import BookBuildError
from .files import digest, files, write_if_changed
from .kernels import PrivateSocketKernelManager

EXECUTE_WORKERS = max(1, min(4, os.cpu_count() or 1))

# The first cell the book build runs in every kernel, removed again before the page is written.
_SETUP_CELL = "from servicecourse import plotting as _p\n_p.use_book_renderer()\ndel _p"


def execution_key(notebook: Path) -> str:
    """Changes whenever the notebook, the learner's toolbox, the data or the pinned libraries
    change; the instructor's tooling (build, classroom, grading) is not what lessons run."""
    project = layout()
    tooling = {project.package_dir / room for room in project.TOOLING_ROOMS}
    toolbox = [p for p in files(project.package_dir, "*.py") if not tooling & set(p.parents)]
    inputs = [notebook, project.requirements_lock, *toolbox]
    inputs += files(project.datasets_dir, "*")
    return digest([p for p in inputs if p.exists()], project.root)


def execute(notebook: Path) -> nbformat.NotebookNode:
    """Run a source notebook with its solutions; raise BookBuildError on the first failing cell."""
    nb = nbformat.read(notebook, as_version=4)
    nb.cells.insert(0, nbformat.v4.new_code_cell(_SETUP_CELL))
    client = NotebookClient(
        nb,
        timeout=DEFAULTS.book_execute_seconds,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook.parent)}},
        kernel_manager_class=PrivateSocketKernelManager,
    )
    try:
        client.execute()
    except CellExecutionError as err:
        where = notebook.relative_to(layout().root)
        raise BookBuildError(f"{where} failed to execute:\n{err}") from err
    nb.cells.pop(0)
    return nb


def executed(module: Module, notebook: Path, log=print) -> nbformat.NotebookNode:
    """The notebook run with its solutions, from the cache when nothing it depends on changed."""
    cache = layout().executed_lessons
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
    """Where a lesson's page lives under PAGES: the book, the download and the branch agree."""
    return pages / module.name / notebook.name


def generate_pages(modules: list[Module] | None = None, log=print) -> list[Path]:
    """Write every lesson's page into _pages/ (unchanged pages untouched); drop stale ones."""
    project = layout()
    config = load_config()
    written = []
    lessons = [(m, nb) for m in modules or project.all_modules() for nb in m.lessons]
    # Each notebook runs in a kernel of its own: run as many at once as there are cores.
    with ThreadPoolExecutor(max_workers=EXECUTE_WORKERS) as pool:
        runs = [pool.submit(executed, module, notebook, log) for module, notebook in lessons]
        done = [run.result() for run in runs]
    for (module, notebook), nb in zip(lessons, done, strict=True):
        page = strip_for_learners(nb, config)
        target = page_path(project.pages, module, notebook)
        write_if_changed(target, nbformat.writes(page) + "\n")
        written.append(target)
    for stale in set(project.pages.rglob("*.ipynb")) - set(written):
        stale.unlink()
        log(f"removed stale page {stale.relative_to(project.root)}")
    return written
