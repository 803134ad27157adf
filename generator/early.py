"""The pages a save changed, drawn ahead of the serve rebuild that would draw them.

Under ``kgsite serve`` a save at 1,000 notes starts a rebuild of about 1.3 s: the graph
(half a second), every generated page compared or drawn again (0.3 s), then MkDocs' pass
over the whole site. The edited note's own page is shown first (:mod:`generator.preview`).
A term page the edit changed (the note now says SageMaker uses S3) needs only the first
step and its own drawing. So the new graph is built here, exactly as the rebuild builds
it; the term pages whose view may have changed (:func:`generator.affected.stale_terms`)
are drawn by the function every build uses (:func:`generator.site.draw_entity`); then the
index tables and the map's data file. The rebuild takes the graph, the drawings, the
tables and the map from here instead of computing them again.

They are the rebuild's pages, not a guess: the same graph, page paths and drawing, and the
theme's navigation is the same because generated pages are not in it. Only when the edit
moves no page (no note or term added, removed or renamed): the page paths are what every
page links with, and a new term's page has no file in the last build to be written as;
then the rebuild draws everything, as before. The notes' index (a Markdown page ending in
the tags' listing, which only MkDocs' own pass fills in) and the search index also wait for
the rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from generator.affected import stale_terms
from generator.mapview import category_colors
from generator.paths import Layout
from generator.pipeline import Built, build_result, last_positions
from generator.render import environment
from generator.site import (
    TABLES,
    Drawn,
    SiteOptions,
    draw_entity_ahead,
    draw_table,
    drawing_inputs,
    last_drawn,
    last_inputs,
    notes_index,
    serve_map,
    table_markdown,
)
from generator.views import entity_nodes, entity_view, typed_neighbours
from graph.model import Document


@dataclass(frozen=True)
class Ahead:
    """The graph of the notes as saved, with the page paths of the last build (unchanged)."""

    built: Built
    graph: nx.MultiDiGraph
    documents: tuple[Document, ...]
    options: SiteOptions
    notes_dir: Path

    @property
    def layout(self) -> Layout:
        return self.options.layout


def ahead(built: Built, notes_dir: Path, vocabulary: tuple[str, ...], exclude: tuple[Path, ...]) -> Ahead | None:
    """The next rebuild's graph, when its pages can be drawn ahead (see the module's
    docstring); ``built`` is the last serve build."""
    opts = built.options
    if opts is None or last_inputs() is None:
        return None
    result, _, _ = build_result(notes_dir, vocabulary, exclude, None, remember_relations=True, ahead=True)
    graph, last = result.graph, built.result
    # the page paths (Layout.with_pages) are a function of the notes and the terms
    if [d.path for d in result.documents] != [d.path for d in last.documents] or _terms(graph) != _terms(last.graph):
        return None
    return Ahead(built, graph, result.documents, opts, notes_dir)


def _terms(graph: nx.MultiDiGraph) -> list[tuple[str, str]]:
    return [(str(n), str(d["kind"])) for n, d in graph.nodes(data=True) if d["kind"] != "note"]


def term_pages(at: Ahead) -> list[Drawn]:
    """The term pages the edit changed, as the rebuild draws them."""
    graph, layout = at.graph, at.layout
    colors = category_colors(graph)
    stale = stale_terms(last_inputs(), drawing_inputs(graph, layout, colors), entity_nodes(graph))
    if stale is None:  # something every page shows changed (a note's title): the rebuild draws them all
        return []
    template = environment(at.options.templates).get_template("entity.html.j2")
    adjacency = typed_neighbours(graph)
    out = []
    for node in sorted(stale):
        page = layout.entity(node, graph.nodes[node]["kind"])
        last = last_drawn(page)
        if last is None:
            continue
        drawn = draw_entity_ahead(template, graph, entity_view(graph, node, layout, colors, adjacency), page, layout,
                                  at.options)
        if drawn.prerendered.digest != last.prerendered.digest:
            out.append(drawn)
    return out


def table_pages(at: Ahead) -> list[Drawn]:
    """The index tables (services, concepts, relations) the edit changed."""
    env = environment(at.options.templates)
    out = []
    for table in TABLES:
        page = at.layout.index(table[1])
        last = last_drawn(page)
        if last is None:
            continue
        drawn = draw_table(table_markdown(env, at.graph, at.layout, at.options, table, True), page, at.options)
        if drawn.prerendered.digest != last.prerendered.digest:
            out.append(drawn)
    return out


def map_data(at: Ahead) -> tuple[str, bytes] | None:
    """The map's data file (its path, its bytes) as the rebuild writes it, or None when the
    edit did not change it."""
    path = at.layout.asset("graph-data.js")
    data = serve_map(at.graph, at.layout, last_positions(at.notes_dir), at.options.map)[1].encode("utf-8")
    return (path, data) if data != at.built.site.assets.get(path) else None


def notes_table(at: Ahead) -> tuple[str, str, str] | None:
    """(the notes' index page, its table's HTML in the last build, now) when the edit
    changed the table only (a note's count of terms); the page is then the last one with
    the table replaced. None when the table is the same, or more of the page changed."""
    page, markdown, table = notes_index(environment(at.options.templates), at.graph, at.documents, at.layout,
                                        at.options)
    site = at.built.site
    last = site.inserts.get(page)
    if last is None or last == table or site.pages.get(page) != markdown:
        return None
    return page, last, table
