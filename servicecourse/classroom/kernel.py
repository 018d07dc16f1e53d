"""The kernels of the classroom dashboards load plotly's widget JavaScript from a static file.

``go.FigureWidget`` is an anywidget: its JavaScript (plotly.js and the widget, about 5 MB) is a
trait of the widget model, ``_esm``. Left alone, every page view gets those 5 MB from its kernel
through the websocket as widget state, and the browser compiles them again from a blob before it
can draw any widget of the page (about 2 s of a 4 s first render on a 2-core machine).

Loaded as an IPython extension by the kernels Voila starts (``servicecourse dashboards`` stages a
kernelspec that loads it, see ``staging.stage``), this module replaces ``_esm`` with a
two-line module that imports the same code from Voila's template static folder: a file with a
versioned URL, which the page has already loaded and run while it booted (a ``<script
type="module" async>`` of the classroom's template), and which the browser caches for good.
The static file holds plotly.js's cartesian partial bundle (``widget_code.plotly_widget_code``).
Nothing changes outside Voila (JupyterLab, nbclient, the book).
"""

from __future__ import annotations

import importlib.abc
import json
import os
import sys
from importlib.metadata import version

# The Voila template of the classroom (templates/voila/, staged by staging.py) and the file
# name of plotly's widget code in its static folder.
TEMPLATE_NAME = "servicecourse"
PLOTLY_WIDGET = "plotly-widget.js"
_MODULE = "plotly.basewidget"

ESM = """// plotly's widget from a static file the browser caches; the page has loaded it already.
const widget = await import(new URL(%s, document.baseURI).href);
export default widget.default;
"""


def plotly_widget_url(base_url: str = "/") -> str:
    """Where Voila serves plotly's widget code; the version makes browsers cache it for good."""
    return f"{base_url}voila/templates/{TEMPLATE_NAME}/static/{PLOTLY_WIDGET}?v={version('plotly')}"


def use_static_widget_code(basewidget) -> None:
    """Make every ``FigureWidget`` created from now on import its code from the static file."""
    url = plotly_widget_url(os.environ.get("VOILA_BASE_URL", "/"))
    basewidget.BaseFigureWidget._esm = ESM % json.dumps(url)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Patch plotly's widget once a notebook imports it (plotly is not imported just for this)."""

    def find_spec(self, name, path, target=None):
        if name != _MODULE:
            return None
        sys.meta_path.remove(self)
        for finder in sys.meta_path:
            find = getattr(finder, "find_spec", None)
            spec = find(name, path, target) if find else None
            if spec is not None:
                break
        else:
            return None
        if spec.loader is None:
            return spec
        run = spec.loader.exec_module

        def exec_module(module):
            run(module)
            use_static_widget_code(module)

        spec.loader.exec_module = exec_module
        return spec


def load_ipython_extension(ipython) -> None:
    if _MODULE in sys.modules:
        use_static_widget_code(sys.modules[_MODULE])
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport())
