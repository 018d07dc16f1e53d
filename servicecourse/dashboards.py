"""Classroom dashboards: find them, stage them for Voila and serve them behind a landing page.

A dashboard is any notebook in ``modules/NN_name/dashboards/``. Voila runs it with its code
hidden, so a teacher can project it and change the widgets live. The dashboards are served
from a staged copy in ``_build/dashboards/`` so that Voila never sees the lessons (with their
solutions) and so that one flat folder holds the dashboards of every module.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import nbformat

from .paths import CourseError, all_modules, repo_root

# The data root that Voila finds the landing-page template in (via JUPYTER_PATH). Hidden, so
# Voila's contents listing never shows it. Only an ``nbconvert`` folder lives there: a
# ``voila`` folder would become Voila's data dir and hide its themes and schemas.
TEMPLATE_ROOT = ".servicecourse-voila"
TEMPLATE_NAME = "servicecourse"

# Voila loads every JupyterLab extension of the venv. nbgrader's has nothing to do in a
# dashboard, and Notebook 7's fails to load in Voila 0.5 (a console error on every page).
DENIED_EXTENSIONS = ("@jupyter/nbgrader", "@jupyter-notebook/lab-extension")


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
    ul.dashboards { list-style: none; padding: 0; border: var(--jp-border-width) solid
                    var(--jp-border-color1); border-radius: var(--jp-border-radius); }
    ul.dashboards > li { border-bottom: var(--jp-border-width) solid var(--jp-border-color2); }
    ul.dashboards > li:last-child { border-bottom: none; }
    ul.dashboards a { display: block; padding: 0.9rem 1.2rem; text-decoration: none;
                      color: inherit; }
    ul.dashboards a:hover { background: var(--jp-layout-color2); }
    .title { font-size: 1.15rem; font-weight: 600; color: var(--jp-brand-color1); }
    .module { font-size: 0.85rem; color: var(--jp-ui-font-color2); margin-left: 0.5rem; }
    .purpose { display: block; margin-top: 0.3rem; line-height: 1.4; }
  </style>
{% endblock %}
{% block body %}
<main>
  <h1>Classroom dashboards</h1>
  <p class="lead">Each dashboard opens in Voila and starts its own Python kernel: the first
  view takes a few seconds. Nobody else sees your selections.</p>
  <ul class="dashboards">
__ITEMS__
  </ul>
</main>
{% endblock %}
"""

_ITEM = """    <li class="dashboard"><a href="{{ base_url }}__URL__">
      <span class="title">{% raw %}__TITLE__{% endraw %}</span>
      <span class="module">{% raw %}__MODULE__{% endraw %}</span>
      <span class="purpose">{% raw %}__PURPOSE__{% endraw %}</span></a></li>"""


def _landing_items(dashboards: Iterable[Dashboard]) -> str:
    items = []
    for dashboard in dashboards:
        item = _ITEM.replace("__URL__", html.escape(dashboard.url_path))
        item = item.replace("__TITLE__", html.escape(dashboard.title))
        item = item.replace("__MODULE__", html.escape(dashboard.module))
        items.append(item.replace("__PURPOSE__", html.escape(dashboard.purpose)))
    return "\n".join(items) or "    <li>No dashboards yet.</li>"


def template_root(target_dir: Path) -> Path:
    return Path(target_dir) / TEMPLATE_ROOT


def stage(target_dir: Path) -> list[Path]:
    """Copy every dashboard into one flat folder, with the landing page's Voila template.

    Copies of dashboards that were renamed or deleted are removed, so the landing page and the
    folder never disagree.
    """
    target = Path(target_dir)
    target.mkdir(parents=True, exist_ok=True)
    dashboards = find_dashboards()
    wanted = {d.staged_name for d in dashboards}
    for old in target.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    staged = []
    for dashboard in dashboards:
        copy = target / dashboard.staged_name
        shutil.copyfile(dashboard.path, copy)
        staged.append(copy)

    templates = template_root(target)
    shutil.rmtree(templates, ignore_errors=True)
    folder = templates / "nbconvert" / "templates" / TEMPLATE_NAME
    folder.mkdir(parents=True)
    (folder / "conf.json").write_text(json.dumps(_CONF, indent=2) + "\n")
    (folder / "page.html").write_text(_PAGE)
    (folder / "index.html.j2").write_text(_INDEX)
    (folder / "tree.html").write_text(_TREE.replace("__ITEMS__", _landing_items(dashboards)))
    return staged


# --- serving -------------------------------------------------------------------------------


def voila_command(target_dir: Path, port: int, open_browser: bool) -> list[str]:
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
    for name in DENIED_EXTENSIONS:
        command.append(f"--VoilaConfiguration.extension_denylist={name}")
    return command


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


def serve(port: int = 8866, open_browser: bool = False) -> None:
    """Stage the dashboards and run Voila on loopback until Ctrl-C."""
    target = repo_root() / "_build" / "dashboards"
    _check_port(port)
    stage(target)
    dashboards = find_dashboards()
    address = f"http://127.0.0.1:{port}/"
    print(f"Voila serves {len(dashboards)} dashboard(s) at {address}  (Ctrl-C stops it)")
    for dashboard in dashboards:
        print(f"  {dashboard.module:<16} {dashboard.title}")
        print(f"  {'':<16} {address}{dashboard.url_path}")
    sys.stdout.flush()

    bin_dir = str(Path(sys.executable).parent)
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    extra = [str(template_root(target)), env.get("JUPYTER_PATH", "")]
    env["JUPYTER_PATH"] = os.pathsep.join(p for p in extra if p)
    child = subprocess.Popen(voila_command(target, port, open_browser), cwd=target, env=env)
    main_thread = threading.current_thread() is threading.main_thread()
    # `kill` then stops it like Ctrl-C does, instead of leaving Voila and its kernels behind.
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        code = child.wait()
    except KeyboardInterrupt:
        # SIGTERM makes Voila shut its kernels down; after a Ctrl-C it is harmless.
        child.terminate()
        try:
            child.wait(timeout=20)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
        print("Voila stopped.")
        return
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    if code != 0:
        raise CourseError(f"Voila exited with code {code}; its messages above say why")


def _interrupt(signum, frame):
    raise KeyboardInterrupt
