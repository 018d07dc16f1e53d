"""The course's plotly look, and the renderer the public book is executed with.

Import this module (``from servicecourse import plotting``) before drawing: it registers the
``servicecourse`` template and makes it the default, so every figure of the course shares one
colour-blind-safe palette.

The template draws its text, axes and grid in two named colours, ``INK`` and ``GRID``, on a white
card, so a figure reads in JupyterLab's light and dark themes alike. In the public book the
renderer makes the card transparent; on a light page the colours read as they are, and the book's
``book/assets/figures.js`` swaps them (and the palette's black) for the colours of the book's
theme, so the same figure reads in light and dark mode.
"""

from __future__ import annotations

import re
from html import escape as html_escape

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

# Okabe & Ito (2008) palette: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# Text, axis titles and tick labels (the book's light-mode text colour), and axis and grid lines.
# book/assets/figures.js recognises exactly these values: change them there too.
INK = "#222832"
GRID = "#E5E7EA"
TRANSPARENT = "rgba(0,0,0,0)"
PAPER = "white"
# plotly_white's colours for text and lines, and its white backgrounds.
_INKS = {"#2a3f5f"}
_GRIDS = {"#ebf0f8", "#dfe8f3", "#c8d4e3", "#a2b1c6"}
_WHITES = {"white", "#ffffff", "#fff"}

TEMPLATE_NAME = "servicecourse"
_TAG = re.compile(r"<[^>]+>")  # plotly titles may carry <b>, <br> and the like
BOOK_RENDERER_NAME = "servicecourse_book"


def _recoloured(value):
    """plotly_white with the course's ink, grid and transparent backgrounds."""
    if isinstance(value, dict):
        return {key: _recoloured(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_recoloured(item) for item in value]
    if isinstance(value, str):
        colour = value.lower()
        if colour in _INKS:
            return INK
        if colour in _GRIDS:
            return GRID
        if colour in _WHITES:
            return TRANSPARENT
    return value


def _course_template() -> go.layout.Template:
    template = go.layout.Template(_recoloured(pio.templates["plotly_white"].to_plotly_json()))
    template.layout.colorway = OKABE_ITO
    template.layout.font = {"family": "Arial, Helvetica, sans-serif", "size": 14, "color": INK}
    template.layout.title = {"x": 0.02, "xanchor": "left"}
    template.layout.margin = {"t": 70, "r": 30, "b": 60, "l": 70}
    # A white card wherever the figure is shown (JupyterLab in a dark theme included); the book
    # renderer makes it transparent, and the book's figures.js colours it for the page's theme.
    template.layout.paper_bgcolor = PAPER
    template.layout.plot_bgcolor = PAPER
    return template


class BookRenderer(MimetypeRenderer):
    """HTML without plotly.js: the book loads a vendored bundle on the pages that need it.

    Plotly's own renderers either inline 4.8 MB of plotly.js in every page or fetch it from a
    CDN; the public book has to work offline and stay light. The book loads plotly.js with
    `defer`, so the figure's script does not call plotly at once: it queues the drawing in
    `window.servicecourseFigures`, which book/assets/figures.js runs once plotly.js is there
    (and at once for figures that appear later, such as those in widget outputs).
    """

    def to_mimebundle(self, fig_dict):
        title = _title_text(fig_dict)
        if not title:
            raise ValueError(
                "every figure of the course needs a title, which is also its text alternative "
                "for screen readers: fig.update_layout(title='What the figure shows')"
            )
        layout = fig_dict.setdefault("layout", {})
        for key in ("paper_bgcolor", "plot_bgcolor"):
            layout.setdefault(key, TRANSPARENT)
        html = pio.to_html(
            fig_dict,
            include_plotlyjs=False,
            include_mathjax=False,
            full_html=False,
            default_width="100%",
            default_height=480,
            validate=False,
            config={"displaylogo": False, "responsive": True},
        )
        html, queued = _SCRIPT.subn(_queue_drawing, html)
        if queued != 1:
            raise RuntimeError(f"plotly's HTML changed: {queued} drawing scripts instead of 1")
        label = html_escape(_TAG.sub("", title), quote=True)
        return {"text/html": f'<div role="figure" aria-label="Figure: {label}">{html}</div>'}


_SCRIPT = re.compile(r"<script[^>]*>(\s*window\.PLOTLYENV.*?Plotly\.newPlot\(.*?)</script>", re.S)


def _queue_drawing(match: re.Match) -> str:
    queue = "(window.servicecourseFigures = window.servicecourseFigures || [])"
    return f"<script>{queue}.push(function () {{{match.group(1).strip()}}});</script>"


def _title_text(fig_dict) -> str:
    title = (fig_dict.get("layout") or {}).get("title") or {}
    text = title.get("text") if isinstance(title, dict) else title
    return str(text or "").strip()


pio.templates[TEMPLATE_NAME] = _course_template()
pio.templates.default = TEMPLATE_NAME
pio.renderers[BOOK_RENDERER_NAME] = BookRenderer()


def use_book_renderer() -> None:
    """Called by the book build inside the kernel; learners never need it."""
    pio.renderers.default = BOOK_RENDERER_NAME
