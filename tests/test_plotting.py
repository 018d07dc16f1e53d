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


def test_course_template_draws_in_ink_and_grid_on_a_white_card():
    """So that the book can swap two colours for its dark mode (book/assets/figures.js), and a
    figure in JupyterLab's dark theme still reads (dark ink on its own white card)."""
    layout = pio.templates[plotting.TEMPLATE_NAME].layout
    assert layout.paper_bgcolor == layout.plot_bgcolor == plotting.PAPER
    assert layout.font.color == plotting.INK
    assert layout.xaxis.gridcolor == layout.yaxis.gridcolor == plotting.GRID
    values = [v.lower() for v in _strings(pio.templates[plotting.TEMPLATE_NAME].to_plotly_json())]
    leftovers = {"#2a3f5f", "#ebf0f8", "#dfe8f3", "#c8d4e3"} & set(values)
    assert not leftovers, f"plotly_white colours left in the template: {leftovers}"
    assert values.count("white") == 2, "only the paper and plot backgrounds are white"


def test_book_renderer_makes_the_card_transparent_for_the_books_themes():
    fig = px.bar(x=["a", "b"], y=[1, 2], title="Tickets by channel")
    html = plotting.BookRenderer().to_mimebundle(fig.to_dict())["text/html"]
    assert '"paper_bgcolor":"rgba(0,0,0,0)"' in html.replace(" ", "")
    assert '"plot_bgcolor":"rgba(0,0,0,0)"' in html.replace(" ", "")


def _strings(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)
    elif isinstance(value, str):
        yield value


def test_figures_js_knows_the_templates_colours(root):
    script = (root / "book" / "assets" / "figures.js").read_text()
    for name in ("INK", "GRID"):
        value = getattr(plotting, name).lower()
        assert f'var {name} = "{value}";' in script, f"figures.js {name} differs from plotting"
    assert f'var BLACK = "{plotting.OKABE_ITO[-1].lower()}";' in script


def test_book_renderer_queues_the_drawing_until_plotly_js_has_loaded():
    fig = px.bar(x=["a", "b"], y=[1, 2], title="Tickets by channel")
    html = plotting.BookRenderer().to_mimebundle(fig.to_dict())["text/html"]
    queued = "(window.servicecourseFigures = window.servicecourseFigures || []).push(function () {"
    assert html.count(queued) == 1
    assert html.index(queued) < html.index("Plotly.newPlot(")
