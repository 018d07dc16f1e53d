"""Classroom dashboards: find them, stage them for Voila and serve them behind a landing page.

A dashboard is any notebook in ``modules/NN_name/dashboards/``. Voila runs it with its code
hidden, so a teacher can project it and change the widgets live. The dashboards are served
from a staged copy in ``_build/dashboards/`` so that Voila never sees the lessons (with their
solutions) and so that one flat folder holds the dashboards of every module.

For a class, Voila keeps ``POOL_SIZE`` kernels per dashboard started and the notebook already
run ("preheated"), so a click shows the dashboard without waiting for Python to start; the pool
refills after each click, one kernel at a time so that refills never starve the learners'
widgets. A class that opens one dashboard together needs as many kernels ready for it as there
are learners: ``serve(pool_sizes={...})`` (``--preheat NAME=N``). Kernels nobody is connected
to are culled after ``CULL_IDLE_TIMEOUT`` seconds idle, and at most ``MAX_KERNELS`` serve
learners at once (``voila_pool``).

A page draws its widgets and figure in 2-3 s on a busy 2-core machine, against 9-14 s with
plain Voila (benchmarks/bench_dashboards.py): a preheated kernel, plotly's widget code as a
static file that the page loads and runs while it boots, with the cartesian plotly.js in place
of the full one (``voila_kernel``, ``plotly_widget_code``), and no jupyterlab-plotly extension.

The landing page is a gallery: every dashboard with its module, purpose and a thumbnail of the
real rendered dashboard, made with headless Chromium when missing (``python -m
servicecourse.classroom.dashboards --thumbnails`` remakes them all).
"""

from __future__ import annotations

import html
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..paths import CourseError, all_modules, repo_root
from .kernel import PLOTLY_WIDGET, TEMPLATE_NAME, plotly_widget_url

# The data root that Voila finds the landing-page template and the kernelspec of its kernels in
# (via JUPYTER_PATH). Hidden, so Voila's contents listing never shows it. Only ``nbconvert``
# and ``kernels`` folders live there: a ``voila`` folder would become Voila's data dir and hide
# its themes and schemas.
TEMPLATE_ROOT = ".servicecourse-voila"

# Voila loads every JupyterLab extension of the venv. nbgrader's has nothing to do in a
# dashboard, and Notebook 7's fails to load in Voila 0.5 (a console error on every page).
DENIED_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")
# The classroom also denies jupyterlab-plotly: it renders static plotly figures (``fig.show()``)
# and is 4.8 MB of JavaScript that every page would load and compile before drawing anything.
# Dashboards draw with ``go.FigureWidget`` (anywidget), which does not need it; a test refuses
# a dashboard that shows a static plotly figure.
CLASSROOM_DENIED_EXTENSIONS = ("jupyterlab-plotly",)

# Kernels kept preheated per dashboard, each with the notebook already run: two learners (or the
# teacher and one learner) can open a dashboard at once, and a reload finds a kernel ready. One
# idle kernel holds about 130 MB of its own (170 MB resident), and every one of them is started
# (and its notebook run, 3-5 s of CPU) when the server starts. A burst of clicks beyond the pool
# waits for refills, 4-10 s each on 2 cores (see benchmarks/bench_dashboards.py), so a class
# that opens a dashboard together gets ``--preheat NAME=N`` with N its size.
POOL_SIZE = 2
# Seconds before a pool is refilled after a click, so that the refill does not compete with the
# page being drawn (on a teacher's laptop the projector's browser shares the CPUs with Voila).
FILL_DELAY = 5.0
# A kernel no browser has been connected to for this long (a closed tab: Voila 0.5 cannot tell
# the server, see voila_pool; a crashed laptop) is shut down. Open tabs keep their kernel.
CULL_IDLE_TIMEOUT = 600
CULL_INTERVAL = 60
# Most kernels serving learners at once (preheated ones not counted); then a readable refusal.
MAX_KERNELS = 40

THUMBNAILS = "thumbnails"


# --- finding dashboards --------------------------------------------------------------------


@dataclass(frozen=True)
class Dashboard:
    """One dashboard notebook, with what the landing page says about it."""

    module: str
    path: Path
    title: str
    purpose: str

    @property
    def staged_name(self) -> str:
        """Flat and unique across modules: two modules may both have an ``overview.ipynb``."""
        return f"{self.module}__{self.path.stem}.ipynb"

    @property
    def url_path(self) -> str:
        return f"voila/render/{self.staged_name}"


_HEADING = re.compile(r"^#{1,6}\s+(.*?)\s*#*\s*$")
_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")


def _plain(text: str) -> str:
    """Markdown emphasis and links would show up as raw characters on the landing page."""
    text = _LINK.sub(r"\1", text)
    return re.sub(r"(\*\*|__|`|\*)", "", text).strip()


def describe(notebook: Path) -> tuple[str, str]:
    """Title (first markdown heading) and purpose (the paragraph after it) of a notebook."""
    nb = nbformat.read(notebook, as_version=4)
    lines: list[str] = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            lines += cell.source.splitlines() + [""]  # a cell boundary ends a paragraph
    title, paragraph = "", []
    for line in lines:
        heading = _HEADING.match(line)
        if not title:
            if heading:
                title = _plain(heading.group(1))
            continue
        if heading or not line.strip():
            if paragraph:
                break
            continue
        paragraph.append(line.strip())
    if not title:
        title = notebook.stem.replace("_", " ").capitalize()
    return title, _plain(" ".join(paragraph))


def find_dashboards() -> list[Dashboard]:
    dashboards = []
    for module in all_modules():
        for notebook in module.dashboards:
            title, purpose = describe(notebook)
            dashboards.append(Dashboard(module.name, notebook, title, purpose))
    return dashboards


# --- staging and the landing page ----------------------------------------------------------

_CONF = {"base_template": "lab"}

# Voila's own page.html loads Font Awesome from a CDN; this copy does not, so the classroom
# works without internet.
_PAGE = """<!DOCTYPE HTML>
<html>
  <head>
    <meta charset="utf-8">
    <title>{% block title %} Voilà {% endblock %}</title>
    <meta name="viewport" content="width=device-width, initial-scale=1.0">
    {% block stylesheets %}
    {% if include_css %}
      {{ include_css("static/index.css") }}
      {{ include_css("static/theme-light.css") }}
    {% endif %}
    {% endblock %}
    {% block meta %}{% endblock %}
  </head>
  <body data-base-url="{{ base_url }}voila/" data-voila="voila">
    <noscript><div id='noscript'>Voilà requires JavaScript.</div></noscript>
    <div>{% block body %}{% endblock %}</div>
    {% block scripts %}{% endblock %}
  </body>
</html>
"""

# Same as Voila's lab index.html.j2 minus its two Font Awesome CDN links; super.super() skips
# the lab block that holds them. Mermaid is also loaded from a CDN, and no dashboard needs it.
_INDEX = """{%- extends 'voila/templates/lab/index.html.j2' -%}
{% import "spinner.macro.html.j2" as spinner %}

{%- block notebook_css -%}
  {% if frontend == "voila" %}
    {{ resources.include_js("static/voila-style.js") }}
  {% endif %}
  {{ spinner.css() }}
  <style>
    .jp-mod-noOutputs.jp-mod-noInput { display: none; }
    body { background: var(--jp-layout-color1); }
    #rendered_cells { padding-left: calc(calc(100% - 1200px) * 0.5);
                      padding-right: calc(calc(100% - 1200px - 20px) * 0.5); }
    #rendered_cells > div { background: var(--jp-layout-color0); padding: 3ex 6ex 6ex 6ex; }
  </style>
  {{ super.super() }}
{%- endblock notebook_css -%}

{%- block html_head_js_mermaidjs -%}
{%- endblock html_head_js_mermaidjs -%}

__PRELOAD__"""

# plotly's widget code (see voila_kernel.py) is fetched, compiled and run while the page loads
# its own JavaScript and connects to its kernel, instead of after the widgets' state arrives.
# ``async``: a module script without it would hold back DOMContentLoaded and Voila's own boot.
# (0.3 s sooner than a ``modulepreload`` link, which only fetches and compiles.)
_PRELOAD = """
{%- block html_head_js -%}
{{ super() }}
{%- set uses = namespace(figure_widget=false) -%}
{%- for cell in nb.cells if cell.cell_type == "code" and "FigureWidget" in cell.source -%}
{%- set uses.figure_widget = true -%}
{%- endfor -%}
{%- if uses.figure_widget %}
<script type="module" async src="{{ resources.base_url }}__PLOTLY_WIDGET__"></script>
{%- endif -%}
{%- endblock html_head_js -%}
"""

_TREE = """{% extends "page.html" %}
{% block title %}Classroom dashboards{% endblock %}
{% block stylesheets %}
  {{ super() }}
  <style>
    body { background: var(--jp-layout-color0); color: var(--jp-ui-font-color1);
           font-family: var(--jp-ui-font-family); }
    main { max-width: 56rem; margin: 3rem auto; padding: 0 1rem; }
    h1 { font-size: 1.8rem; margin-bottom: 0.3rem; }
    .lead { color: var(--jp-ui-font-color2); margin-top: 0; }
    main { max-width: 72rem; }
    ul.dashboards { list-style: none; padding: 0; display: grid; gap: 1.2rem;
                    grid-template-columns: repeat(auto-fill, minmax(20rem, 1fr)); }
    ul.dashboards > li { border: var(--jp-border-width) solid var(--jp-border-color1);
                         border-radius: var(--jp-border-radius); overflow: hidden; }
    ul.dashboards a { display: block; height: 100%; text-decoration: none; color: inherit; }
    ul.dashboards a:hover { background: var(--jp-layout-color2); }
    .thumb { display: block; width: 100%; aspect-ratio: 16 / 10; object-fit: cover;
             object-position: top; background: var(--jp-layout-color2);
             border-bottom: var(--jp-border-width) solid var(--jp-border-color2); }
    .text { display: block; padding: 0.8rem 1rem 1rem 1rem; }
    .title { font-size: 1.15rem; font-weight: 600; color: var(--jp-brand-color1); }
    .module { display: block; font-size: 0.85rem; color: var(--jp-ui-font-color2);
              margin-top: 0.2rem; }
    .purpose { display: block; margin-top: 0.4rem; line-height: 1.4; }
  </style>
{% endblock %}
{% block body %}
<main>
  <h1>Classroom dashboards</h1>
  <p class="lead">Click a dashboard to open it. Each view gets its own Python kernel, kept
  ready in advance, so nobody else sees your selections.</p>
  <ul class="dashboards">
__ITEMS__
  </ul>
</main>
{% endblock %}
"""

_ITEM = """    <li class="dashboard"><a href="{{ base_url }}__URL__">
      __THUMB__
      <span class="text"><span class="title">{% raw %}__TITLE__{% endraw %}</span>
      <span class="module">Module {% raw %}__MODULE__{% endraw %}</span>
      <span class="purpose">{% raw %}__PURPOSE__{% endraw %}</span></span></a></li>"""

_THUMB = '<img class="thumb" src="{{ base_url }}__SRC__" alt="" loading="lazy">'
_NO_THUMB = '<span class="thumb"></span>'


def thumbnail_path(target_dir: Path, dashboard: Dashboard) -> Path:
    return Path(target_dir) / THUMBNAILS / f"{Path(dashboard.staged_name).stem}.png"


def _thumbnail_is_current(target_dir: Path, dashboard: Dashboard) -> bool:
    thumb = thumbnail_path(target_dir, dashboard)
    return thumb.exists() and thumb.stat().st_mtime >= dashboard.path.stat().st_mtime


def _landing_items(dashboards: Iterable[Dashboard], target_dir: Path | None = None) -> str:
    items = []
    for dashboard in dashboards:
        item = _ITEM.replace("__URL__", html.escape(dashboard.url_path))
        thumb = _NO_THUMB
        if target_dir is not None and thumbnail_path(target_dir, dashboard).exists():
            # The mtime busts the browser's cache when a thumbnail is remade.
            path = thumbnail_path(target_dir, dashboard)
            src = f"voila/files/{THUMBNAILS}/{path.name}?v={int(path.stat().st_mtime)}"
            thumb = _THUMB.replace("__SRC__", html.escape(src))
        item = item.replace("__THUMB__", thumb)
        item = item.replace("__TITLE__", html.escape(dashboard.title))
        item = item.replace("__MODULE__", html.escape(dashboard.module))
        items.append(item.replace("__PURPOSE__", html.escape(dashboard.purpose)))
    return "\n".join(items) or "    <li>No dashboards yet.</li>"


# Shown when the kernel cap refuses a page (see voila_pool), or on any other server error.
_ERROR = """{% extends "page.html" %}
{% block title %}{{ status_message }}{% endblock %}
{% block body %}
<main style="max-width: 40rem; margin: 4rem auto; font-family: var(--jp-ui-font-family);">
  <h1>{{ status_message }}</h1>
  <p>{{ message }}</p>
  <p><a href="{{ base_url }}">Back to the dashboards</a></p>
</main>
{% endblock %}
"""


# The kernels of the dashboards: the venv's Python, with the extension that makes plotly's
# widgets load their code from the template's static folder (voila_kernel.py). The name is the
# one every notebook asks for, so Voila (and only Voila) starts these.
_KERNELSPEC = {
    "argv": [
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
        "--IPKernelApp.extensions=servicecourse.classroom.kernel",
    ],
    "display_name": "Python 3 (classroom dashboards)",
    "language": "python",
    "metadata": {"debugger": False},
}


def _plotly_widget_code() -> Path:
    """plotly's widget code, found without importing plotly (a second or two)."""
    spec = importlib.util.find_spec("plotly")
    return Path(spec.origin).parent / "package_data" / "widgetbundle.js"


# plotly's official partial bundle of cartesian traces (scatter, bar, box, heatmap, histogram,
# pie, …), the one the book serves (package.json): a third of the full plotly.js, and a browser
# compiles and runs it in half the time (about 0.7 s less for a first render on 2 cores).
CARTESIAN = Path("node_modules") / "plotly.js-cartesian-dist-min" / "plotly-cartesian.min.js"
# In plotly's widget bundle (esbuild), plotly.js is one lazily run CommonJS module wrapped as a
# UMD: ``var X=wrap((exports,module)=>{(function(root,factory){typeof module=="object"&&…``
# up to ``return window.Plotly=P,P})});``.
_PLOTLY_START = re.compile(
    r'var (\w+)=(\w+)\(\((\w+),(\w+)\)=>\{\(function\(\w+,\w+\)\{typeof \4=="object"&&\4\.exports'
)
_PLOTLY_END = re.compile(r"return window\.Plotly=(\w+),\1\}\)\}\);")
_PLOTLY_VERSION = re.compile(r'\.version="(\d+\.\d+\.\d+)"')
TRACE_TYPE = re.compile(r'moduleType:"trace",name:"(\w+)"')


def plotly_widget_code(cartesian: Path | None = None) -> str:
    """plotly's widget code with the cartesian partial bundle in place of the full plotly.js.

    The same widget, the same plotly.js version, fewer trace types: a test checks that every
    dashboard's figures use only trace types the served code has. Without the cartesian bundle
    (``npm ci`` not run), or if plotly's bundle is not laid out as expected, the full one.
    """
    full = _plotly_widget_code().read_text(encoding="utf-8")
    cartesian = repo_root() / CARTESIAN if cartesian is None else cartesian
    if not cartesian.exists():
        return full
    partial = cartesian.read_text(encoding="utf-8")
    start = _PLOTLY_START.search(full)
    end = _PLOTLY_END.search(full, start.end()) if start else None
    if not (start and end) or len(_PLOTLY_START.findall(full)) != 1:
        return full
    versions = [_PLOTLY_VERSION.search(text) for text in (full[start.end() :], partial)]
    if not all(versions) or versions[0].group(1) != versions[1].group(1):
        return full  # the partial bundle is another plotly.js than the widget was built for
    wrap = f"var {start.group(1)}={start.group(2)}((exports,module)=>{{\n{partial}\n}});"
    return full[: start.start()] + wrap + full[end.end() :]


def template_root(target_dir: Path) -> Path:
    return Path(target_dir) / TEMPLATE_ROOT


def stage(target_dir: Path, *, classroom: bool = True) -> list[Path]:
    """Copy every dashboard into one flat folder, with the landing page's Voila template.

    Copies of dashboards that were renamed or deleted are removed, so the landing page and the
    folder never disagree. ``classroom`` adds what makes a first render quick: plotly's widget
    code as a static file that pages load as they boot, and the kernelspec that makes figures
    use it
    (``classroom=False`` is plain Voila, for the benchmark).
    """
    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    dashboards = find_dashboards()
    wanted = {d.staged_name for d in dashboards}
    for old in target.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    for old in (target / THUMBNAILS).glob("*.png"):
        if f"{old.stem}.ipynb" not in wanted:
            old.unlink()
    staged = []
    for dashboard in dashboards:
        copy = target / dashboard.staged_name
        shutil.copyfile(dashboard.path, copy)
        staged.append(copy)

    templates = template_root(target)
    shutil.rmtree(templates, ignore_errors=True)
    folder = _template_folder(target)
    folder.mkdir(parents=True)
    (folder / "conf.json").write_text(json.dumps(_CONF, indent=2) + "\n")
    (folder / "page.html").write_text(_PAGE)
    preload = _PRELOAD.replace("__PLOTLY_WIDGET__", plotly_widget_url(base_url=""))
    index = _INDEX.replace("__PRELOAD__", preload if classroom else "")
    (folder / "index.html.j2").write_text(index)
    (folder / "error.html").write_text(_ERROR)
    if classroom:
        (folder / "static").mkdir()
        (folder / "static" / PLOTLY_WIDGET).write_text(plotly_widget_code(), encoding="utf-8")
        kernelspec = templates / "kernels" / "python3"
        kernelspec.mkdir(parents=True)
        (kernelspec / "kernel.json").write_text(json.dumps(_KERNELSPEC, indent=1) + "\n")
    write_landing_page(target, dashboards)
    return staged


def _template_folder(target_dir: Path) -> Path:
    return template_root(target_dir) / "nbconvert" / "templates" / TEMPLATE_NAME


def write_landing_page(target_dir: Path, dashboards: list[Dashboard] | None = None) -> Path:
    """The gallery, with the thumbnails there are now. Voila rereads it when it changes."""
    dashboards = find_dashboards() if dashboards is None else dashboards
    tree = _template_folder(target_dir) / "tree.html"
    tree.write_text(_TREE.replace("__ITEMS__", _landing_items(dashboards, target_dir)))
    return tree


# --- serving -------------------------------------------------------------------------------


def voila_command(
    target_dir: Path,
    port: int,
    open_browser: bool,
    *,
    classroom: bool = True,
    pool_size: int = POOL_SIZE,
    pool_sizes: dict[str, int] | None = None,
) -> list[str]:
    """The Voila command line; ``classroom=False`` gives plain Voila (for the benchmark).

    ``pool_sizes``: preheated kernels for particular dashboards (staged file name: kernels).
    """
    command = [
        str(Path(sys.executable).parent / "voila"),
        str(target_dir),
        "--Voila.ip=127.0.0.1",
        f"--Voila.port={port}",
        # Voila would silently move to another port, and the printed addresses would be wrong.
        "--Voila.port_retries=0",
        f"--Voila.open_browser={open_browser}",
        f"--VoilaConfiguration.template={TEMPLATE_NAME}",
        "--VoilaConfiguration.classic_tree=True",
        "--VoilaConfiguration.show_tracebacks=True",
    ]
    denied = DENIED_EXTENSIONS + (CLASSROOM_DENIED_EXTENSIONS if classroom else ())
    for name in denied:
        command.append(f"--VoilaConfiguration.extension_denylist={name}")
    if classroom:
        command += [
            "--VoilaConfiguration.preheat_kernel=True",
            f"--VoilaConfiguration.default_pool_size={pool_size}",
            f"--VoilaKernelManager.fill_delay={FILL_DELAY}",
            "--VoilaConfiguration.multi_kernel_manager_class="
            "servicecourse.classroom.pool.CappedKernelManager",
            f"--CappedKernelManager.max_kernels={MAX_KERNELS}",
            f"--MappingKernelManager.cull_idle_timeout={CULL_IDLE_TIMEOUT}",
            f"--MappingKernelManager.cull_interval={CULL_INTERVAL}",
            "--MappingKernelManager.cull_connected=False",
        ]
        for name, size in (pool_sizes or {}).items():
            command.append(f"--CappedKernelManager.pool_sizes={name}={size}")
    return command


def voila_env(target_dir: Path) -> dict[str, str]:
    """Voila's environment: the venv's tools first, and the landing page's template."""
    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    extra = [str(template_root(target_dir)), env.get("JUPYTER_PATH", "")]
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in extra if p)
    return env


def start_voila(
    target_dir: Path,
    port: int,
    *,
    open_browser: bool = False,
    classroom: bool = True,
    pool_size: int = POOL_SIZE,
    pool_sizes: dict[str, int] | None = None,
    **popen,
) -> subprocess.Popen:
    """Voila on the staged folder, in its own process (the caller stops it)."""
    command = voila_command(
        target_dir,
        port,
        open_browser,
        classroom=classroom,
        pool_size=pool_size,
        pool_sizes=pool_sizes,
    )
    return subprocess.Popen(command, cwd=target_dir, env=voila_env(target_dir), **popen)


def stop_voila(child: subprocess.Popen, timeout: float = 20) -> None:
    """SIGTERM makes Voila shut its kernels down; SIGKILL only if it hangs."""
    if child.poll() is None:
        child.terminate()
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def wait_until_serving(url: str, child: subprocess.Popen | None = None, timeout: float = 90):
    """Return once ``url`` answers 200; raise CourseError if Voila exits or never answers."""
    deadline = time.monotonic() + timeout
    while True:
        if child is not None and child.poll() is not None:
            raise CourseError(f"Voila exited with code {child.returncode} before serving {url}")
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise CourseError(f"Voila did not answer at {url} within {timeout:.0f} s")
        time.sleep(0.3)


# --- thumbnails for the gallery --------------------------------------------------------------

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


def write_thumbnails(
    base_url: str,
    target_dir: Path,
    dashboards: list[Dashboard] | None = None,
    *,
    only_missing: bool = True,
    browser=None,
    timeout_ms: int = 90_000,
) -> list[Path]:
    """Screenshot each dashboard as Voila renders it, for the landing page's gallery.

    ``only_missing`` skips thumbnails newer than their notebook. ``browser`` is a playwright
    Chromium; without one, Debian's Chromium is launched here (playwright never downloads one).
    """
    dashboards = find_dashboards() if dashboards is None else dashboards
    todo = [d for d in dashboards if not (only_missing and _thumbnail_is_current(target_dir, d))]
    if not todo:
        return []
    if browser is None:
        from playwright.sync_api import sync_playwright

        from .browser import launch

        with sync_playwright() as p:
            own = launch(p)
            try:
                return write_thumbnails(
                    base_url,
                    target_dir,
                    todo,
                    only_missing=False,
                    browser=own,
                    timeout_ms=timeout_ms,
                )
            finally:
                own.close()
    folder = Path(target_dir) / THUMBNAILS
    folder.mkdir(parents=True, exist_ok=True)
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
            path = thumbnail_path(target_dir, dashboard)
            page.screenshot(path=str(path))
            written.append(path)
            # Voila 0.5 refuses the page's own shutdown request (see voila_pool): the culler
            # stops the kernel once the page is gone.
            page.close(run_before_unload=True)
        finally:
            context.close()
    return written


def _thumbnails_in_background(url: str, target: Path, child: subprocess.Popen) -> None:
    """Make the missing thumbnails once Voila serves, then refresh the gallery."""
    try:
        wait_until_serving(url, child)
        made = write_thumbnails(url, target)
    except Exception as err:  # noqa: BLE001 - a gallery without pictures still works
        print(f"(thumbnails for the landing page were not made: {err})", flush=True)
        return
    if made:
        write_landing_page(target)
        print(f"Made {len(made)} thumbnail(s) for the landing page in {target / THUMBNAILS}")


# --- serving -------------------------------------------------------------------------------


def _check_port(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as err:
            raise CourseError(
                f"port {port} on 127.0.0.1 is already in use ({err.strerror}); another server "
                f"(perhaps an earlier `servicecourse dashboards`) is running there. Stop it, or "
                f"choose another port with --port, e.g. --port {port + 1}"
            ) from err


def preheat_sizes(items: Iterable[str], dashboards: list[Dashboard]) -> dict[str, int]:
    """``["desk_contacts_explorer=25"]`` to ``{"01_intro__desk_contacts_explorer.ipynb": 25}``.

    A dashboard is named by its notebook's stem, with or without its module
    (``01_intro__desk_contacts_explorer``); an unknown or ambiguous name is an error that lists
    the names there are.
    """
    sizes = {}
    for item in items:
        name, _, size = item.partition("=")
        name = name.strip().removesuffix(".ipynb")
        found = [d for d in dashboards if name in (d.path.stem, Path(d.staged_name).stem)]
        if len(found) != 1 or not size.strip().isdigit():
            names = ", ".join(Path(d.staged_name).stem for d in dashboards)
            raise CourseError(
                f"--preheat {item!r}: give NAME=KERNELS, NAME one of the dashboards ({names})"
            )
        sizes[found[0].staged_name] = int(size)
    return sizes


def dashboards_dir() -> Path:
    return repo_root() / "_build" / "dashboards"


def serve(
    port: int = 8866,
    open_browser: bool = False,
    thumbnails: bool = True,
    pool_size: int = POOL_SIZE,
    preheat: Iterable[str] = (),
) -> None:
    """Stage the dashboards and run Voila on loopback until Ctrl-C (or SIGTERM).

    ``thumbnails``: make the gallery's missing thumbnails in the background once Voila serves.
    ``pool_size``: kernels kept preheated per dashboard.
    ``preheat``: ``"NAME=N"`` items, N kernels ready for one dashboard (a class opening it at
    once); see ``preheat_sizes``.
    """
    target = dashboards_dir()
    _check_port(port)
    dashboards = find_dashboards()
    pool_sizes = preheat_sizes(preheat, dashboards)
    stage(target)
    address = f"http://127.0.0.1:{port}/"
    print(f"Voila serves {len(dashboards)} dashboard(s) at {address}  (Ctrl-C stops it)")
    for dashboard in dashboards:
        print(f"  {dashboard.module:<16} {dashboard.title}")
        print(f"  {'':<16} {address}{dashboard.url_path}")
    ready = sum(pool_sizes.get(d.staged_name, pool_size) for d in dashboards)
    print(
        f"Keeping {ready} kernel(s) ready ({pool_size} per dashboard"
        + "".join(f", {n} for {name}" for name, n in pool_sizes.items())
        + f"), about 130 MB each; at most {MAX_KERNELS} learners at once."
    )
    if not pool_sizes:
        print(
            "For a class that opens one dashboard together, keep a kernel ready for each "
            "learner: --preheat NAME=CLASS_SIZE (NAME as in the addresses above)."
        )
    sys.stdout.flush()

    child = start_voila(
        target, port, open_browser=open_browser, pool_size=pool_size, pool_sizes=pool_sizes
    )
    if thumbnails and not all(_thumbnail_is_current(target, d) for d in dashboards):
        threading.Thread(
            target=_thumbnails_in_background, args=(address, target, child), daemon=True
        ).start()
    main_thread = threading.current_thread() is threading.main_thread()
    # `kill` then stops it like Ctrl-C does, instead of leaving Voila and its kernels behind.
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        code = child.wait()
    except KeyboardInterrupt:
        # SIGTERM makes Voila shut its kernels down; after a Ctrl-C it is harmless.
        stop_voila(child)
        print("Voila stopped.")
        return
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    if code != 0:
        raise CourseError(f"Voila exited with code {code}; its messages above say why")


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def remake_thumbnails(log=print) -> list[Path]:
    """Stage, run the course's Voila on a free loopback port, screenshot every dashboard."""
    target = dashboards_dir()
    stage(target)
    port = _free_port()
    url = f"http://127.0.0.1:{port}/"
    child = start_voila(target, port, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_serving(url, child)
        made = write_thumbnails(url, target, only_missing=False)
    finally:
        stop_voila(child)
    write_landing_page(target)
    for path in made:
        log(f"thumbnail: {path}")
    log("The landing page of `servicecourse dashboards` shows them: http://127.0.0.1:8866/")
    return made


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m servicecourse.classroom.dashboards",
        description="Serve the classroom dashboards, or remake the landing page's thumbnails.",
    )
    parser.add_argument("--port", type=int, default=8866)
    parser.add_argument("--open", action="store_true", help="open the landing page")
    parser.add_argument(
        "--pool-size",
        type=int,
        default=POOL_SIZE,
        help=f"kernels kept preheated per dashboard (default {POOL_SIZE}; about 130 MB each)",
    )
    parser.add_argument(
        "--preheat",
        action="append",
        default=[],
        metavar="NAME=N",
        help="N kernels ready for one dashboard, e.g. desk_contacts_explorer=25 for a class of "
        "25 that opens it together (repeatable)",
    )
    parser.add_argument(
        "--thumbnails", action="store_true", help="remake every thumbnail of the landing page"
    )
    args = parser.parse_args(argv)
    try:
        if args.thumbnails:
            remake_thumbnails()
        else:
            serve(
                port=args.port,
                open_browser=args.open,
                pool_size=args.pool_size,
                preheat=args.preheat,
            )
    except CourseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
