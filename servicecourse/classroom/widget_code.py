"""plotly's widget code with plotly.js's cartesian bundle in place of the full one.

``go.FigureWidget``'s front end (plotly's ``widgetbundle.js``) carries the full plotly.js, 4.8
MB. The classroom serves it as one static file (see ``kernel.py``) with plotly's official
cartesian partial bundle spliced in instead: the same widget and plotly.js version, a third of
the size, and a browser compiles and runs it in half the time (about 0.7 s less for a first
render on 2 cores). Dashboards draw cartesian traces only; a test checks that every trace type
they use is in the served code.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..build import plotlyjs
from ..paths import layout

# In plotly's widget bundle (esbuild), plotly.js is one lazily run CommonJS module wrapped as a
# UMD: ``var X=wrap((exports,module)=>{(function(root,factory){typeof module=="object"&&…``
# up to ``return window.Plotly=P,P})});``.
_PLOTLY_START = re.compile(
    r'var (\w+)=(\w+)\(\((\w+),(\w+)\)=>\{\(function\(\w+,\w+\)\{typeof \4=="object"&&\4\.exports'
)
_PLOTLY_END = re.compile(r"return window\.Plotly=(\w+),\1\}\)\}\);")


def cartesian_bundle() -> Path:
    """The cartesian partial bundle the course installs with ``npm ci`` (as the book does)."""
    return plotlyjs.cartesian_bundle(layout().node_modules)


def plotly_widget_code(cartesian: Path | None = None) -> str:
    """plotly's widget code with the cartesian partial bundle in place of the full plotly.js.

    Without the cartesian bundle (``npm ci`` not run), if it is another plotly.js version than
    the widget's, or if plotly's bundle is not laid out as expected: the full code, unchanged.
    """
    full = plotlyjs.widget_bundle().read_text(encoding="utf-8")
    cartesian = cartesian_bundle() if cartesian is None else cartesian
    if not cartesian.exists():
        return full
    partial = cartesian.read_text(encoding="utf-8")
    start = _PLOTLY_START.search(full)
    end = _PLOTLY_END.search(full, start.end()) if start else None
    if not (start and end) or len(_PLOTLY_START.findall(full)) != 1:
        return full
    versions = [plotlyjs.code_version(full[start.end() :]), plotlyjs.code_version(partial)]
    if None in versions or versions[0] != versions[1]:
        return full  # the partial bundle is another plotly.js than the widget was built for
    wrap = f"var {start.group(1)}={start.group(2)}((exports,module)=>{{\n{partial}\n}});"
    return full[: start.start()] + wrap + full[end.end() :]


def served_trace_types() -> frozenset[str]:
    """Trace types the classroom's figures can draw."""
    return plotlyjs.trace_types_in_code(plotly_widget_code())
