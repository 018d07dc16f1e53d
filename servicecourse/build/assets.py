"""The JavaScript the site needs, copied from node_modules into book/_vendor: no CDN, no network.

Sphinx serves book/_vendor as a static folder (html_static_path in _config.yml). plotly.js
comes in two bundles (see :mod:`.figures`): the full one the Python package draws its figures
for, and npm's cartesian partial bundle, which must be the same plotly.js version.
"""

from __future__ import annotations

from pathlib import Path

from ..paths import layout
from . import BookBuildError, figures, plotlyjs
from .files import copy_if_changed, files

WIDGETS = Path("@jupyter-widgets") / "html-manager" / "dist"
MATHJAX = Path("mathjax") / "es5"
# What MathJax loads on demand besides tex-chtml.js.
MATHJAX_PARTS = ("input/tex/extensions", "output/chtml/fonts/woff-v2", "ui", "a11y", "adaptors")


def plotly_bundles(node_modules: Path) -> dict[Path, str]:
    """Each plotly.js bundle the book may load, by its name in the static folder."""
    return {
        plotlyjs.full_bundle(): figures.FULL,
        plotlyjs.cartesian_bundle(node_modules): figures.CARTESIAN,
    }


def vendor_assets() -> Path:
    """Copy plotly.js, require.js, the widget manager and MathJax into book/_vendor."""
    project = layout()
    node = project.node_modules
    if not node.is_dir():
        raise BookBuildError("node_modules/ is missing: run `npm ci` (or `make deps`) first")
    vendor = project.vendor
    bundles = plotly_bundles(node)
    try:
        plotlyjs.check_same_version(list(bundles))
    except plotlyjs.BundleError as err:
        raise BookBuildError(str(err)) from err
    copies = {
        **bundles,
        node / "requirejs" / "require.js": "requirejs/require.js",
        node / WIDGETS / "embed-amd.js": "html-manager/embed-amd.js",
    }
    for source, target in copies.items():
        copy_if_changed(source, vendor / target)
    for pattern in ("*.woff*", "*.ttf"):
        for font in (node / WIDGETS).glob(pattern):
            copy_if_changed(font, vendor / "html-manager" / font.name)
    mathjax = node / MATHJAX
    copy_if_changed(mathjax / "tex-chtml.js", vendor / "mathjax" / "tex-chtml.js")
    for part in MATHJAX_PARTS:
        for source in files(mathjax / part, "*"):
            copy_if_changed(source, vendor / "mathjax" / source.relative_to(mathjax))
    return vendor
