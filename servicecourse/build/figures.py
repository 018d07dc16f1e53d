"""Sphinx extension: plotly.js only on the pages that have figures, as small as they allow.

Parsing and running the full plotly.js (4.8 MB) costs a reader's browser more than everything
else on a page. So each page gets no plotly.js at all when it has no figure, and otherwise the
first bundle of ``servicecourse_plotly_bundles`` (smallest first: plotly's official cartesian
partial bundle, then the full one) that has every trace type the page's figures use. The
trace types are read from the figures' JSON in the rendered page, including figures inside
widget outputs; the trace types a bundle has are read from the bundle itself (by
:mod:`.plotlyjs`). A page whose figures no allowed bundle can draw fails the build and names
the page and the trace types.

plotly.js is loaded with ``defer``, followed by ``figures.js`` (book/assets), which draws the
figures that ``plotting.BookRenderer`` queued and adapts them to the theme's light and dark mode,
and ``figures.css``.
Loaded by the book's _config.yml (``sphinx.extra_extensions``).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from sphinx.errors import ExtensionError

from .plotlyjs import bundle_traces

# The bundles' names in the static folder, where assets.vendor_assets copies them; smallest first.
CARTESIAN = "plotly/plotly-cartesian.min.js"
FULL = "plotly/plotly.min.js"
BUNDLES = (CARTESIAN, FULL)
FIGURES_JS = "figures.js"
FIGURES_CSS = "figures.css"
# Before the theme's own scripts in the page, as the site-wide plotly.js used to be.
PRIORITY = 200

_NEW_PLOT = re.compile(r'Plotly\.newPlot\(\s*"[^"]*",\s*')


class FigureError(ExtensionError):
    """A page has a figure that the allowed plotly.js bundles cannot draw."""


def trace_types(html: str) -> set[str]:
    """Trace types of every figure drawn by `Plotly.newPlot(...)` in a page or a JSON string."""
    decoder = json.JSONDecoder()
    found = set()
    for match in _NEW_PLOT.finditer(html):
        try:
            data, _ = decoder.raw_decode(html, match.end())
        except ValueError as err:
            start = html[match.end() :][:80]
            raise FigureError(f"cannot read a figure's data at {start!r}") from err
        found |= {trace.get("type", "scatter") for trace in data}
    return found


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def page_trace_types(body: str, scripts: list[str]) -> set[str]:
    """The page's own figures and those in widget outputs (JSON in the widget-state script)."""
    found = trace_types(body)
    for script in scripts:
        if "Plotly.newPlot" not in script:
            continue
        try:
            state = json.loads(script)
        except ValueError:
            found |= trace_types(script)
            continue
        for text in _strings(state):
            if "Plotly.newPlot" in text:
                found |= trace_types(text)
    return found


def choose_bundle(types: set[str], bundles: list[tuple[str, Path]], page: str = "") -> str:
    """The first bundle that can draw every trace type; a clear error when none can."""
    for name, path in bundles:
        if types <= bundle_traces(path):
            return name
    where = f"{page}: " if page else ""
    allowed = "; ".join(
        f"{name} lacks {', '.join(sorted(types - bundle_traces(path)))}" for name, path in bundles
    )
    raise FigureError(
        f"{where}figures use the plotly trace types {', '.join(sorted(types))}, which no allowed "
        f"plotly.js bundle has ({allowed}). Add a bundle that has them to "
        "servicecourse_plotly_bundles in _config.yml, or draw the figure with other traces."
    )


def _static_file(app, name: str) -> Path:
    for folder in app.config.html_static_path:
        candidate = Path(app.srcdir, folder, name)
        if candidate.is_file():
            return candidate
    raise FigureError(f"{name} is in no html_static_path folder: run `servicecourse book`")


def add_plotly(app, pagename, templatename, context, doctree) -> None:
    scripts = [js.attributes.get("body", "") for js in context.get("script_files", [])]
    types = page_trace_types(context.get("body", ""), scripts)
    if not types:
        return
    bundles = [(name, _static_file(app, name)) for name in app.config.servicecourse_plotly_bundles]
    bundle = choose_bundle(types, bundles, page=pagename)
    app.add_js_file(bundle, priority=PRIORITY, defer="defer")
    app.add_js_file(FIGURES_JS, priority=PRIORITY + 1, defer="defer")
    app.add_css_file(FIGURES_CSS)


def setup(app):
    app.add_config_value("servicecourse_plotly_bundles", list(BUNDLES), "html")
    # After myst-nb has added a page's widget state (priority 500).
    app.connect("html-page-context", add_plotly, priority=600)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
