"""The plotly.js bundles the course serves, and what they can draw: known in one place.

Three places ship plotly.js to a browser: the book (the smallest bundle a page's figures need),
the classroom dashboards (the widget code with the cartesian bundle in it) and the class grading
summary. All of them find the files, read their trace types and check their versions here, so
that an upgrade of the Python ``plotly`` package is checked once.
"""

from __future__ import annotations

import importlib.util
import re
from functools import cache
from pathlib import Path

# plotly's official partial bundle of cartesian traces (scatter, bar, box, heatmap, histogram,
# pie, …), pinned in package.json to the plotly.js the Python package bundles: a third of the
# full plotly.js, and a browser compiles and runs it in half the time.
CARTESIAN_NPM = Path("plotly.js-cartesian-dist-min") / "plotly-cartesian.min.js"

_TRACE_MODULE = re.compile(r'moduleType:"trace",name:"(\w+)"')
_HEADER_VERSION = re.compile(r"plotly\.js (?:\([^)]*\) )?v(\d+\.\d+\.\d+)")
_CODE_VERSION = re.compile(r'\.version="(\d+\.\d+\.\d+)"')


class BundleError(Exception):
    """A plotly.js bundle is missing, unreadable or of another version than the others."""


def _package_data() -> Path:
    """The Python plotly package's data folder, found without importing plotly (a second)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or spec.origin is None:
        raise BundleError("the Python package plotly is not installed: run `make deps`")
    return Path(spec.origin).parent / "package_data"


def full_bundle() -> Path:
    """The full plotly.js (4.8 MB) that the Python package draws its figures for."""
    return _package_data() / "plotly.min.js"


def widget_bundle() -> Path:
    """plotly's ``FigureWidget`` front end (anywidget ESM) with the full plotly.js inside."""
    return _package_data() / "widgetbundle.js"


def cartesian_bundle(node_modules: Path) -> Path:
    return node_modules / CARTESIAN_NPM


def trace_types_in_code(code: str) -> frozenset[str]:
    """Trace types that a piece of plotly.js code registers."""
    return frozenset(_TRACE_MODULE.findall(code))


@cache
def bundle_traces(path: Path) -> frozenset[str]:
    """Trace types a plotly.js bundle registers, read from its code."""
    return trace_types_in_code(path.read_text(encoding="utf-8"))


def bundle_version(path: Path) -> str:
    """The plotly.js version in the bundle's licence header."""
    if not path.exists():
        raise BundleError(f"{path} is missing: run `npm ci` (or `make deps`) again")
    with path.open(encoding="utf-8") as head:
        found = _HEADER_VERSION.search(head.read(400))
    if not found:
        raise BundleError(f"{path} does not look like a plotly.js bundle")
    return found.group(1)


def code_version(code: str) -> str | None:
    """The plotly.js version set in the code itself (``Plotly.version="…"``), if any."""
    found = _CODE_VERSION.search(code)
    return found.group(1) if found else None


def check_same_version(bundles: list[Path]) -> str:
    """The Python package makes figures for the plotly.js it bundles: the others must match."""
    versions = {path: bundle_version(path) for path in bundles}
    if len(set(versions.values())) > 1:
        found = ", ".join(f"{path.name} {version}" for path, version in versions.items())
        raise BundleError(
            f"the plotly.js bundles differ in version ({found}): pin the npm partial bundle in "
            "package.json to the plotly.js version the Python plotly package bundles, e.g. "
            "`npm install --save-exact plotly.js-cartesian-dist-min@<that version>`"
        )
    return next(iter(versions.values()))
