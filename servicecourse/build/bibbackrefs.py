"""Sphinx extension: list, under each entry of the course bibliography, the pages that cite it.

sphinxcontrib-bibtex links a citation to its entry, but back-references only within one
document. The course has one bibliography page (book/references.md) that lessons, module pages
and the glossary all cite, so this extension adds a "Cited on:" line to every entry there, with
one link per citing page to its first citation of that entry. It is loaded by the book's
_config.yml (``sphinx.extra_extensions``) and needs no configuration.

It also gives the entries the ARIA role ``listitem``: docutils wraps them in a
``role="list"`` container but marks each ``role="doc-biblioentry"``, a role that ARIA 1.3
deprecates and axe-core rejects as a list's child (tests/test_accessibility.py).
"""

from __future__ import annotations

from docutils import nodes

CLASS = "bibtex-backrefs"


def _citing_pages(domain) -> dict[str, list[tuple[str, str]]]:
    """For each entry key, the (docname, citation id) of its first citation on each page."""
    pages: dict[str, dict[str, str]] = {}
    for ref in domain.citation_refs:
        for target in ref.targets:
            pages.setdefault(target.key, {}).setdefault(ref.docname, ref.citation_ref_id)
    return {key: list(found.items()) for key, found in pages.items()}


def add_backrefs(app, doctree, docname) -> None:
    domain = app.env.get_domain("cite")
    if docname not in {key.docname for key in domain.bibliographies}:
        return
    keys = {c.citation_id: c.key for c in domain.citations if c.bibliography_key.docname == docname}
    citing = _citing_pages(domain)
    titles = app.env.titles
    # An entry is a citation node, or a list item with :list: enumerated or bullet.
    for citation in list(doctree.findall(nodes.Element)):
        key = next((keys[i] for i in citation.get("ids", []) if i in keys), None)
        places = sorted(
            citing.get(key, []),
            key=lambda place: titles[place[0]].astext() if place[0] in titles else place[0],
        )
        if not places:
            continue
        line = nodes.paragraph(classes=[CLASS])
        line += nodes.emphasis(text="Cited on: ")
        for n, (page, ref_id) in enumerate(places):
            if n:
                line += nodes.Text("; ")
            uri = app.builder.get_relative_uri(docname, page) + "#" + ref_id
            title = titles[page].astext() if page in titles else page
            line += nodes.reference("", title, internal=True, refuri=uri)
        line += nodes.Text(".")
        citation += line


def fix_entry_roles(app, pagename, templatename, context, doctree) -> None:
    body = context.get("body")
    if body and 'role="doc-biblioentry"' in body:
        context["body"] = body.replace('role="doc-biblioentry"', 'role="listitem"')


def setup(app):
    app.connect("doctree-resolved", add_backrefs)
    app.connect("html-page-context", fix_entry_roles)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
