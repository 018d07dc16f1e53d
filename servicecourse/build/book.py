"""Build the public book from generated pages, never from the sources.

Each lesson is executed with its solutions (so lesson figures have outputs), then stripped with
nbgrader's own preprocessors, so exercise cells show exactly what learners receive. Executed
notebooks are cached by the hash of everything that can change their outputs; a notebook that
fails to execute fails the build (Jupyter Book 1 itself would exit 0).
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import yaml
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from nbgrader.preprocessors import ClearHiddenTests, ClearSolutions

from ..grading import load_config
from ..paths import CourseError, Module, all_modules, datasets_dir, repo_root
from . import figures, leaks

PAGES_DIR = "_pages"
CACHE_DIR = ".cache/book-exec"
VENDOR_DIR = "book/_vendor"
OUTPUT_DIR = "_build/html"
DIGEST_FILE = "_build/.book-inputs.sha256"
INSTRUCTOR_DIR = "_build/instructor"
INSTRUCTOR_BANNER = "Instructor edition: contains solutions and hidden tests. Never publish it."
EXECUTE_TIMEOUT = 300
# The configuration Jupyter Book is run with: _config.yml with the launch settings resolved.
CONFIG_FILE = "_build/.book-config.yml"
# Launch buttons: one setting each, in _config.yml; an environment variable overrides it.
REPOSITORY_URL_ENV = "SERVICECOURSE_REPOSITORY_URL"  # _config.yml repository.url
JUPYTERHUB_URL_ENV = "SERVICECOURSE_JUPYTERHUB_URL"  # _config.yml launch_buttons.jupyterhub_url
LAUNCH_PROVIDERS = ("binderhub_url", "jupyterhub_url")
_REPOSITORY_URL = re.compile(r"^https://[^/\s]+/[^/\s]+/[^/\s]+?/?$")

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
    full, cartesian = figures.BUNDLES[-1], figures.BUNDLES[0]
    plotly_js = {
        Path(plotly.__file__).parent / "package_data" / "plotly.min.js": full,
        node / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js": cartesian,
    }
    _check_plotly_versions(plotly_js)
    copies = {
        **plotly_js,
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


def _check_plotly_versions(bundles: dict[Path, str]) -> None:
    """The Python package makes figures for the plotly.js it bundles: the book's must match."""
    for source in bundles:
        if not source.exists():
            raise BookBuildError(f"{source} is missing: run `npm ci` (or `make deps`) again")
    versions = {source: figures.bundle_version(source) for source in bundles}
    if len(set(versions.values())) > 1:
        found = ", ".join(f"{source.name} {version}" for source, version in versions.items())
        raise BookBuildError(
            f"the plotly.js bundles differ in version ({found}): pin the npm partial bundle in "
            "package.json to the plotly.js version the Python plotly package bundles"
        )


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


def book_config(launch: bool = True) -> dict:
    """_config.yml with the launch buttons resolved.

    The buttons open a page's student notebook from the `repository.branch` (written by
    `servicecourse student-branch`) of `repository.url`. Without a repository URL the theme
    cannot make their links, so Binder and JupyterHub are switched off; without a hub URL there
    is no JupyterHub button. SERVICECOURSE_REPOSITORY_URL and SERVICECOURSE_JUPYTERHUB_URL
    override the two settings.
    """
    config = yaml.safe_load((repo_root() / "_config.yml").read_text(encoding="utf-8"))
    repository = config.setdefault("repository", {})
    buttons = config.setdefault("launch_buttons", {})
    repository["url"] = os.environ.get(REPOSITORY_URL_ENV) or repository.get("url") or ""
    hub = os.environ.get(JUPYTERHUB_URL_ENV) or buttons.get("jupyterhub_url") or ""
    buttons["jupyterhub_url"] = hub
    url = repository["url"]
    if url and not _REPOSITORY_URL.match(url):
        raise BookBuildError(
            f"repository.url {url!r} is not a repository address like "
            "https://github.com/ORGANISATION/REPOSITORY (set in _config.yml or "
            f"{REPOSITORY_URL_ENV})"
        )
    if hub and not hub.startswith(("https://", "http://")):
        raise BookBuildError(f"launch_buttons.jupyterhub_url {hub!r} is not a web address")
    if not launch or not url:
        for provider in LAUNCH_PROVIDERS:
            buttons[provider] = ""
        if not launch:
            repository["url"] = ""
    return config


def _write_config(config: dict, target: Path) -> str:
    text = "# Generated by servicecourse/book.py from _config.yml: edit that file instead.\n"
    text += yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    _write_if_changed(target, text)
    return text


def _run_jupyter_book(
    source: Path, force: bool = False, output: Path | None = None, config: Path | None = None
) -> None:
    """Strict: any Sphinx warning is an error, so a broken page never ships quietly."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    command = [str(jupyter_book), "build", str(source), "--builder", "html"]
    command += ["--warningiserror", "--keep-going", "--quiet"]
    if config is not None:
        command += ["--config", str(config)]
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
    # No launch buttons: they open the student notebook, not the page the teacher reads.
    config = book_config(launch=False)
    config.setdefault("html", {})["announcement"] = INSTRUCTOR_BANNER
    config["title"] = f"Instructor edition – {config['title']}"
    _write_config(config, source / "_config.yml")
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


def build(force: bool = False, log=print, path_output: Path | None = None) -> Path:
    """Generate pages, vendor assets, run Jupyter Book strictly, then check for leaks.

    The site goes to _build/html/, or to PATH_OUTPUT/_build/html/ (a separate build).
    """
    root = repo_root()
    generate_pages(log=log)
    vendor_assets()
    base = path_output if path_output is not None else root
    output = base / OUTPUT_DIR
    digest_file = base / DIGEST_FILE
    config = book_config()
    config_text = yaml.safe_dump(config, sort_keys=False, allow_unicode=True)
    digest = _digest(book_inputs(), extra=config_text)
    if (
        not force
        and output.joinpath("index.html").exists()
        and digest_file.exists()
        and (digest_file.read_text() == digest)
    ):
        log(f"book is up to date: {output}")
        return output
    config_file = base / CONFIG_FILE
    _write_config(config, config_file)
    _run_jupyter_book(root, force=force, output=path_output, config=config_file)
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


# The student branch: what the launch buttons open. Learners' notebooks at the pages' paths,
# and what Binder (repo2docker) needs to run them; never a source notebook, a solution or a
# hidden test.
STUDENT_BRANCH = "student"
STUDENT_PACKAGE_FILES = ("pyproject.toml", "LICENSE")
STUDENT_FOLDERS = ("servicecourse", "datasets")
STUDENT_README = """\
# {title}: student notebooks

This branch is generated by `servicecourse student-branch` from the course's sources; do not
edit it. It holds the learners' version of every lesson (no solutions, no hidden tests) at the
paths the public book's launch buttons open, `{pages}/NN_module/lesson.ipynb`, and what Binder
needs to run them: `requirements.txt` (the course's pinned packages and this folder's
`servicecourse` package, installed editable so that it finds `datasets/`) and `runtime.txt`.

On a JupyterHub, nbgitpuller pulls this branch into the learner's home folder. The hub's
image needs the same packages, and `SERVICECOURSE_ROOT` set to the pulled folder so that the
package reads its `datasets/`.
"""


def _git(repo: Path, *args: str, env: dict | None = None) -> str:
    done = subprocess.run(
        ["git", *args],
        cwd=repo,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise BookBuildError(f"git {' '.join(args[:3])} failed: {done.stderr.strip()}")
    return done.stdout.strip()


def student_files(release: Path) -> dict[str, bytes]:
    """The student branch's files by path: released lesson notebooks and the environment."""
    root = repo_root()
    files: dict[str, bytes] = {}
    for module in all_modules():
        for notebook in module.lessons:
            released = release / module.name / notebook.name
            if not released.exists():
                raise BookBuildError(
                    f"{released} is missing: run `servicecourse release {module.name}` first"
                )
            target = page_path(Path(PAGES_DIR), module, notebook).as_posix()
            files[target] = released.read_bytes()
    for folder in STUDENT_FOLDERS:
        for source in _files(root / folder, "*"):
            if source.suffix not in {".pyc", ".pyo"}:
                files[source.relative_to(root).as_posix()] = source.read_bytes()
    for name in STUDENT_PACKAGE_FILES:
        if (root / name).exists():
            files[name] = (root / name).read_bytes()
    lock = (root / "requirements.lock").read_text(encoding="utf-8")
    files["requirements.txt"] = (
        "# The course's pinned packages (requirements.lock), then this folder's package.\n"
        + lock
        + "\n-e .\n"
    ).encode()
    files["runtime.txt"] = f"python-{sys.version_info.major}.{sys.version_info.minor}\n".encode()
    title = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))["title"]
    files["README.md"] = STUDENT_README.format(title=title, pages=PAGES_DIR).encode()
    return files


def check_student_tree(tree: Path, log=print) -> None:
    """Refuse a branch with a solution or hidden-test line, or a notebook off the pages' paths.

    The package is exempt from the line check: it is what learners install to run any lesson
    (and what `servicecourse learn` gives them), and some of its helpers share a line with a
    reference solution. Only notebooks and the files written here must be free of them.
    """
    found, shared = [], []
    for path, line, origin in leaks.find_in_tree(tree, leaks.secret_lines(all_modules())):
        package = path.relative_to(tree).parts[0] == "servicecourse"
        (shared if package else found).append((path.relative_to(tree), line, origin))
    markers = [marker for block in leaks.BLOCKS for marker in block]
    for notebook in sorted(tree.rglob("*.ipynb")):
        path = notebook.relative_to(tree)
        if path.parts[0] != PAGES_DIR:
            found.append((path, "a notebook outside the pages' folder", "the student branch"))
        text = leaks.notebook_text(notebook)
        found += [(path, marker, "an nbgrader marker") for marker in markers if marker in text]
    if found:
        raise BookBuildError(
            "the student branch would publish solutions or hidden tests:\n" + leaks.describe(found)
        )
    if shared:
        log(f"note: the package shares {len(shared)} line(s) with reference solutions:")
        log(leaks.describe(shared))


def write_student_branch(
    release: Path | None = None,
    repo: Path | None = None,
    branch: str = STUDENT_BRANCH,
    log=print,
) -> str:
    """Commit the student files to BRANCH of REPO, without touching its work tree or HEAD.

    The new commit's parent is the branch's previous commit, so pushing it is a fast-forward;
    when nothing changed, the branch stays where it is. Returns the branch's commit.
    """
    from ..paths import layout

    release = release or layout().grading.release
    repo = repo or repo_root()
    files = student_files(release)
    git_dir = Path(_git(repo, "rev-parse", "--absolute-git-dir"))
    ref = f"refs/heads/{branch}"
    parent = subprocess.run(
        ["git", "--git-dir", str(git_dir), "rev-parse", "--verify", "--quiet", ref],
        capture_output=True,
        text=True,
    ).stdout.strip()
    with tempfile.TemporaryDirectory(prefix="student-branch-") as scratch:
        tree_dir = Path(scratch) / "tree"
        for path, content in files.items():
            target = tree_dir / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        check_student_tree(tree_dir, log)
        env = {"GIT_INDEX_FILE": str(Path(scratch) / "index")}
        git = ["--git-dir", str(git_dir), "--work-tree", str(tree_dir)]
        _git(tree_dir, *git, "add", "--all", "--force", ".", env=env)
        tree = _git(tree_dir, *git, "write-tree", env=env)
    if parent and _git(repo, "--git-dir", str(git_dir), "rev-parse", f"{parent}^{{tree}}") == tree:
        log(f"branch {branch} is up to date: {parent[:12]}")
        return parent
    identity = {}
    email = subprocess.run(["git", "-C", str(repo), "config", "user.email"], capture_output=True)
    if not email.stdout.strip():
        identity = {
            "GIT_AUTHOR_NAME": "servicecourse",
            "GIT_AUTHOR_EMAIL": "servicecourse@localhost",
            "GIT_COMMITTER_NAME": "servicecourse",
            "GIT_COMMITTER_EMAIL": "servicecourse@localhost",
        }
    notebooks = sum(path.endswith(".ipynb") for path in files)
    message = f"{notebooks} student notebooks and their environment (servicecourse student-branch)"
    command = ["--git-dir", str(git_dir), "commit-tree", tree, "-m", message]
    if parent:
        command += ["-p", parent]
    commit = _git(repo, *command, env=identity)
    _git(repo, "--git-dir", str(git_dir), "update-ref", ref, commit, *([parent] if parent else []))
    log(f"branch {branch} at {commit[:12]}: {notebooks} student notebooks and their environment")
    return commit


def student_branch(repo: Path | None = None, branch: str | None = None, log=print) -> str:
    """`servicecourse branch`: release every module, then write the branch the buttons open."""
    from .. import grading

    grading.release(all_modules())
    branch = branch or book_config()["repository"].get("branch") or STUDENT_BRANCH
    return write_student_branch(repo=repo, branch=branch, log=log)
