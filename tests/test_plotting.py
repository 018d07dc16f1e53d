"""The course's figure style and the renderer the public book is executed with."""

from __future__ import annotations

import plotly.express as px
import plotly.io as pio
import pytest

from servicecourse import plotting


def test_course_template_is_the_default_and_colour_blind_safe():
    assert pio.templates.default == plotting.TEMPLATE_NAME
    colorway = pio.templates[plotting.TEMPLATE_NAME].layout.colorway
    assert list(colorway) == plotting.OKABE_ITO


def test_book_renderer_leaves_plotly_js_out_and_labels_the_figure():
    fig = px.line(x=[1, 2], y=[3, 4], title="Contacts <b>per</b> month")
    html = plotting.BookRenderer().to_mimebundle(fig.to_dict())["text/html"]
    assert html.startswith('<div role="figure" aria-label="Figure: Contacts per month">')
    assert "Plotly.newPlot" in html
    assert len(html) < 50_000, "plotly.js is not inlined"
    assert "cdn" not in html.lower()


def test_a_figure_without_title_is_refused_with_advice():
    with pytest.raises(ValueError, match="needs a title"):
        plotting.BookRenderer().to_mimebundle(px.line(x=[1], y=[2]).to_dict())
