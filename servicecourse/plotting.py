"""The course's plotly look, and the renderer the public book is executed with.

Import this module (``from servicecourse import plotting``) before drawing: it registers the
``servicecourse`` template and makes it the default, so every figure of the course shares one
colour-blind-safe palette.
"""

from __future__ import annotations

import re
from html import escape as html_escape

import plotly.graph_objects as go
import plotly.io as pio
from plotly.io._base_renderers import MimetypeRenderer

# Okabe & Ito (2008) palette: distinguishable with the common colour-vision deficiencies.
OKABE_ITO = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

TEMPLATE_NAME = "servicecourse"
_TAG = re.compile(r"<[^>]+>")  # plotly titles may carry <b>, <br> and the like
BOOK_RENDERER_NAME = "servicecourse_book"


def _course_template() -> go.layout.Template:
    template = go.layout.Template(pio.templates["plotly_white"])
    template.layout.colorway = OKABE_ITO
    template.layout.font = {"family": "Arial, Helvetica, sans-serif", "size": 14}
    template.layout.title = {"x": 0.02, "xanchor": "left"}
    template.layout.margin = {"t": 70, "r": 30, "b": 60, "l": 70}
    return template


class BookRenderer(MimetypeRenderer):
    """HTML without plotly.js: the book loads its vendored copy once for the whole site.

    Plotly's own renderers either inline 4.8 MB of plotly.js in every page or fetch it from a
    CDN; the public book has to work offline and stay light.
    """

    def to_mimebundle(self, fig_dict):
        title = _title_text(fig_dict)
        if not title:
            raise ValueError(
                "every figure of the course needs a title, which is also its text alternative "
                "for screen readers: fig.update_layout(title='What the figure shows')"
            )
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
        label = html_escape(_TAG.sub("", title), quote=True)
        return {"text/html": f'<div role="figure" aria-label="Figure: {label}">{html}</div>'}


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
