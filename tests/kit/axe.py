"""axe-core (npm, pinned in package.json) run in a playwright page: the course's accessibility gate.

One gate for every page the course serves: the built book, the classroom dashboards and the
hub's pages. Usage, once the page shows what a reader would see (widgets drawn and so on)::

    from kit import axe

    axe.assert_accessible(page, "the hub's login page")

or ``axe.blocking_violations(page)`` for the list. The gate is zero violations of impact
``serious`` or ``critical``; ``minor`` and ``moderate`` ones are reported by axe but do not
fail (the accessibility statement, book/accessibility.md, says so). axe runs its default rules:
WCAG 2.0, 2.1 and 2.2 at levels A and AA, and its best practices.

``unnamed_controls`` checks the same thing for ipywidgets before any browser: a control whose
accessible name would be empty, read from a notebook's saved widget state.

axe's script is evaluated through the browser's debugging protocol, not added as a
``<script>`` tag: a page's Content-Security-Policy (the hub sets one) cannot block it, and no
request leaves the machine.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from servicecourse.paths import layout

AXE_PACKAGE = layout().node_modules / "axe-core"
BLOCKING = ("critical", "serious")
_RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    rule: v.id, impact: v.impact, help: v.help, url: v.helpUrl, tags: v.tags,
    nodes: v.nodes.map((n) => ({target: n.target.join(" "), html: n.html,
                                 summary: n.failureSummary || ""})),
  }));
}"""


@cache
def version() -> str:
    """The axe-core that checks the pages (the accessibility statement names it)."""
    package = AXE_PACKAGE / "package.json"
    if not package.exists():
        raise FileNotFoundError(f"axe-core is missing ({package}): run `npm ci` (make deps)")
    return json.loads(package.read_text())["version"]


@cache
def _script() -> str:
    version()  # the readable error when npm has not run
    return (AXE_PACKAGE / "axe.min.js").read_text(encoding="utf-8")


@dataclass(frozen=True)
class Violation:
    """One rule axe finds broken on a page, with the elements that break it."""

    rule: str
    impact: str
    help: str
    url: str
    nodes: tuple[dict, ...]

    def __str__(self) -> str:
        shown = [f"{self.rule} ({self.impact}): {self.help}  [{self.url}]"]
        for node in self.nodes[:5]:
            html = " ".join(node["html"].split())[:160]
            shown.append(f"    at {node['target']}: {html}")
        if len(self.nodes) > 5:
            shown.append(f"    ... and {len(self.nodes) - 5} more element(s)")
        return "\n".join(shown)


def violations(page) -> list[Violation]:
    """Every violation axe finds on the page as it is now, worst first."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_script())
    found = [
        Violation(v["rule"], v["impact"] or "minor", v["help"], v["url"], tuple(v["nodes"]))
        for v in page.evaluate(_RUN)
    ]
    order = ("critical", "serious", "moderate", "minor")
    return sorted(found, key=lambda v: (order.index(v.impact), v.rule))


def blocking_violations(page) -> list[Violation]:
    """The violations that fail the course's gate (impact serious or critical)."""
    return [v for v in violations(page) if v.impact in BLOCKING]


def assert_accessible(page, where: str) -> None:
    """Fail with every serious or critical violation, each with the elements at fault."""
    blocking = blocking_violations(page)
    if blocking:
        listed = "\n".join(str(v) for v in blocking)
        raise AssertionError(
            f"axe-core {version()} finds {len(blocking)} serious or critical violation(s) on "
            f"{where} ({page.url}):\n{listed}"
        )


# ipywidgets controls whose accessible name is their ``description``: the <label> ipywidgets
# ties to the input, the text of a checkbox or button, or (sliders) the label that the
# classroom's page template ties to the handle. ToggleButtons and RadioButtons are left out:
# each of their options is named by its own text.
NAMED_BY_DESCRIPTION = frozenset(
    f"{name}Model"
    for name in (
        "IntSlider FloatSlider FloatLogSlider IntRangeSlider FloatRangeSlider SelectionSlider "
        "SelectionRangeSlider Dropdown Select SelectMultiple Text Textarea Password Combobox "
        "IntText FloatText BoundedIntText BoundedFloatText Checkbox DatePicker ColorPicker "
        "Button ToggleButton"
    ).split()
)


def unnamed_controls(widget_state: dict) -> list[str]:
    """Controls in a notebook's widget state (``metadata.widgets``) that no one could name.

    Each is described in a readable way (its kind and what it shows) with how to fix it.
    """
    found = []
    for model in widget_state.get("state", {}).values():
        kind, state = model.get("model_name", ""), model.get("state", {})
        if kind in NAMED_BY_DESCRIPTION and not str(state.get("description", "")).strip():
            shown = state.get("value", state.get("options", state.get("icon", "")))
            found.append(
                f"a {kind.removesuffix('Model')} (showing {shown!r}) has no description: give "
                "it description='What it sets', its label on screen and its name for screen "
                "readers"
            )
    return found
