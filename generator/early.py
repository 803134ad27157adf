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
theme's navigation is the same because generated pages are not in it. The edited notes'
pages are drawn again from the new graph too (the preview was drawn from the last one).
A term the edit adds gets its page written as the rebuild will write it; one it removes
keeps its page until the rebuild deletes it (no page drawn ahead links it any more). Only
when the edit moves no page of the last build: a note added, removed or renamed, or a new
term taking another's path, changes the page paths every page links with, and then the
rebuild draws everything, as before. The notes' index is a Markdown page ending in the
tags' listing, which only MkDocs' own pass fills in: when only its table changed (the
terms a note mentions), the last page is written with the new table in place of the old.
The search index waits for the rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
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
    draw_note,
    draw_table,
    drawing_inputs,
    last_drawn,
    last_inputs,
    last_note_inputs,
    links_in,
    mentions_shown,
    note_lookup,
    note_page_of,
    notes_index,
    serve_map,
    table_markdown,
)
from generator.views import entity_nodes, entity_view, typed_neighbours
from graph.matcher import Matcher
from graph.model import Document


@dataclass(frozen=True)
class Ahead:
    """The graph of the notes as saved, and the options (page paths) the rebuild draws with."""

    built: Built
    graph: nx.MultiDiGraph
    documents: tuple[Document, ...]
    texts: dict[str, str]
    options: SiteOptions
    notes_dir: Path
    matcher: Matcher | None

    @property
    def layout(self) -> Layout:
        return self.options.layout


def ahead(built: Built, notes_dir: Path, vocabulary: tuple[str, ...], exclude: tuple[Path, ...]) -> Ahead | None:
    """The next rebuild's graph, when its pages can be drawn ahead (see the module's
    docstring); ``built`` is the last serve build."""
    opts = built.options
    if opts is None or last_inputs() is None:
        return None
    result, texts, _ = build_result(notes_dir, vocabulary, exclude, None, remember_relations=True, ahead=True)
    graph, last = result.graph, built.result
    paths = [d.path for d in result.documents]
    if paths != [d.path for d in last.documents]:
        return None  # a note added, removed or renamed: the notes' index, its tags and links change
    terms = _terms(graph)
    if terms != _terms(last.graph):
        # a term added or removed: the pages of the others must stay where they are
        layout = opts.layout.with_pages(paths, terms)
        now = dict(layout.entity_pages)
        if layout.note_pages != opts.layout.note_pages or any(now.get(n, p) != p for n, p in opts.layout.entity_pages):
            return None
        opts = replace(opts, layout=layout)
    return Ahead(built, graph, result.documents, texts, opts, notes_dir, result.matcher)


def _terms(graph: nx.MultiDiGraph) -> list[tuple[str, str]]:
    return [(str(n), str(d["kind"])) for n, d in graph.nodes(data=True) if d["kind"] != "note"]


def term_pages(at: Ahead) -> list[tuple[Drawn, bool]] | None:
    """The term pages the edit changed or added, as the rebuild draws them, each with
    whether it is new (no page of the last build); None when every term page may have
    changed (a note's title, which they cite): the rebuild draws them all."""
    graph, layout = at.graph, at.layout
    colors = category_colors(graph)
    stale = stale_terms(last_inputs(), drawing_inputs(graph, layout, colors), entity_nodes(graph))
    if stale is None:
        return None
    template = environment(at.options.templates).get_template("entity.html.j2")
    adjacency = typed_neighbours(graph)
    out = []
    for node in sorted(stale):
        page = layout.entity(node, graph.nodes[node]["kind"])
        last = last_drawn(page)
        drawn = draw_entity_ahead(template, graph, entity_view(graph, node, layout, colors, adjacency), page, layout,
                                  at.options)
        if last is None or drawn.prerendered.digest != last.prerendered.digest:
            out.append((drawn, last is None))
    return out


def note_pages(at: Ahead) -> list[Drawn]:
    """The notes' pages the edit changed (the edited notes; others whose mentions moved: a
    term added, a new spelling), drawn as the rebuild draws them. Not a page whose title or
    tags changed: the theme shows them, and the rebuild reads them again."""
    graph, layout, built = at.graph, at.layout, at.built.result
    links_moved = graph.graph.get("entity_keys") != built.graph.graph.get("entity_keys") or (
        _terms(graph) != _terms(built.graph))
    # the same terms found by the same matcher (the same spellings): only an edited note's
    # mentions can have changed
    only_edited = not links_moved and at.matcher is not None and at.matcher is built.matcher
    lookup, existing = note_lookup(at.documents), set(at.built.vault_files)
    out = []
    for doc in at.documents:
        text = at.texts.get(doc.path, "")
        if only_edited and text == at.built.texts.get(doc.path):
            continue
        page = note_page_of(layout, doc.path)
        last, before = last_drawn(page), last_note_inputs(page)
        if last is None or before is None:
            continue
        if (text, mentions_shown(graph, layout, doc.path)) == before[:2] and not (links_moved and links_in(text)):
            continue
        drawn = draw_note(doc, text, graph, page, lookup, existing, at.options)
        # (an edited note's page was previewed from the last graph: it is replaced even when
        # the edit left it as it was in the last build)
        if drawn.front_matter == last.front_matter and (
                text != before[0] or drawn.prerendered.digest != last.prerendered.digest):
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


def notes_table(at: Ahead) -> tuple[str, str | None, str] | None:
    """(the notes' index page, its table's HTML in the last build, now) when the edit
    changed the table (a note's count of terms); the page is then the last one with the
    table replaced. The last table is None when more of the page changed (your template
    shows more of the notes), and None when nothing did."""
    page, markdown, table = notes_index(environment(at.options.templates), at.graph, at.documents, at.layout,
                                        at.options)
    site = at.built.site
    last = site.inserts.get(page)
    if last == table and site.pages.get(page) == markdown:
        return None
    return page, last if site.pages.get(page) == markdown else None, table
