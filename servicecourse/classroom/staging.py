"""Staging: the folder Voila serves, with the dashboards, their template and their kernelspec.

The dashboards are served from a staged copy (``layout().dashboards_site``) so that Voila never
sees the lessons (with their solutions) and so that one flat folder holds the dashboards of
every module. The Voila template is shipped as files in ``templates/voila/``; staging copies it
and fills in its two markers with the snippets of ``templates/snippets/`` (the landing page's
items and, in the classroom, the preload of plotly's widget code). The markers are plain text,
not Jinja: the files are Jinja templates that Voila renders for every page.
"""

from __future__ import annotations

import html
import json
import shutil
import sys
from collections.abc import Iterable
from importlib import resources
from pathlib import Path

from . import kernel
from .dashboards import Dashboard, find_dashboards
from .thumbnails import THUMBNAILS, thumbnail_path
from .widget_code import plotly_widget_code

# The data root that Voila finds the landing-page template and the kernelspec of its kernels in
# (via JUPYTER_PATH). Hidden, so Voila's contents listing never shows it. Only ``nbconvert``
# and ``kernels`` folders live there: a ``voila`` folder would become Voila's data dir and hide
# its themes and schemas.
TEMPLATE_ROOT = ".servicecourse-voila"

_TEMPLATES = resources.files(__package__) / "templates"
_INDEX = "index.html.j2"
_TREE = "tree.html"

# The kernels of the dashboards: the venv's Python, with the extension that makes plotly's
# widgets load their code from the template's static folder (kernel.py). The name is the one
# every notebook asks for, so Voila (and only Voila) starts these.
_KERNELSPEC = {
    "argv": [
        sys.executable,
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
        f"--IPKernelApp.extensions={kernel.__name__}",
    ],
    "display_name": "Python 3 (classroom dashboards)",
    "language": "python",
    "metadata": {"debugger": False},
}


def _snippet(name: str) -> str:
    return (_TEMPLATES / "snippets" / name).read_text(encoding="utf-8").rstrip("\n")


def template_root(site: Path) -> Path:
    """What Voila gets on its JUPYTER_PATH: the template and the kernelspec."""
    return Path(site) / TEMPLATE_ROOT


def template_folder(site: Path) -> Path:
    """The staged Voila template (``--VoilaConfiguration.template``)."""
    return template_root(site) / "nbconvert" / "templates" / kernel.TEMPLATE_NAME


def stage(site: Path, *, classroom: bool = True) -> list[Path]:
    """Copy every dashboard into one flat folder, with the landing page's Voila template.

    Copies of dashboards that were renamed or deleted are removed, so the landing page and the
    folder never disagree. ``classroom`` adds what makes a first render quick: plotly's widget
    code as a static file that pages load as they boot, and the kernelspec that makes figures
    use it (``classroom=False`` is plain Voila, for the benchmark).
    """
    site = Path(site)
    site.mkdir(parents=True, exist_ok=True)
    dashboards = find_dashboards()
    wanted = {d.staged_name for d in dashboards}
    for old in site.glob("*.ipynb"):
        if old.name not in wanted:
            old.unlink()
    for old in (site / THUMBNAILS).glob("*.png"):
        if f"{old.stem}.ipynb" not in wanted:
            old.unlink()
    staged = []
    for dashboard in dashboards:
        copy = site / dashboard.staged_name
        shutil.copyfile(dashboard.path, copy)
        staged.append(copy)

    shutil.rmtree(template_root(site), ignore_errors=True)
    folder = template_folder(site)
    folder.mkdir(parents=True)
    for source in (_TEMPLATES / "voila").iterdir():
        if source.name != _TREE:  # written by write_landing_page
            (folder / source.name).write_text(source.read_text(encoding="utf-8"))
    preload = _snippet("preload.html.j2").replace(
        "__PLOTLY_WIDGET__", kernel.plotly_widget_url(base_url="")
    )
    index = folder / _INDEX
    index.write_text(index.read_text().replace("__PRELOAD__", preload if classroom else ""))
    if classroom:
        (folder / "static").mkdir()
        widget = folder / "static" / kernel.PLOTLY_WIDGET
        widget.write_text(plotly_widget_code(), encoding="utf-8")
        kernelspec = template_root(site) / "kernels" / "python3"
        kernelspec.mkdir(parents=True)
        (kernelspec / "kernel.json").write_text(json.dumps(_KERNELSPEC, indent=1) + "\n")
    write_landing_page(site, dashboards)
    return staged


def write_landing_page(site: Path, dashboards: list[Dashboard] | None = None) -> Path:
    """The gallery, with the thumbnails there are now. Voila rereads it when it changes."""
    dashboards = find_dashboards() if dashboards is None else dashboards
    tree = (_TEMPLATES / "voila" / _TREE).read_text(encoding="utf-8")
    path = template_folder(site) / _TREE
    path.write_text(tree.replace("__ITEMS__", _landing_items(dashboards, site)))
    return path


def _landing_items(dashboards: Iterable[Dashboard], site: Path) -> str:
    item, with_thumb, no_thumb = map(
        _snippet, ("landing-item.html", "thumbnail.html", "no-thumbnail.html")
    )
    items = []
    for dashboard in dashboards:
        thumb = no_thumb
        path = thumbnail_path(site, dashboard)
        if path.exists():
            # The mtime busts the browser's cache when a thumbnail is remade.
            src = f"voila/files/{THUMBNAILS}/{path.name}?v={int(path.stat().st_mtime)}"
            thumb = with_thumb.replace("__SRC__", html.escape(src))
        filled = item.replace("__URL__", html.escape(dashboard.url_path))
        filled = filled.replace("__THUMB__", thumb)
        filled = filled.replace("__TITLE__", html.escape(dashboard.title))
        filled = filled.replace("__MODULE__", html.escape(dashboard.module))
        items.append(filled.replace("__PURPOSE__", html.escape(dashboard.purpose)))
    return "\n".join(items) or "    <li>No dashboards yet.</li>"
