"""Collect everything, then render: the graph in, a mapping of site paths to content out.

This is the one function the MkDocs plugin and the CLI share. It writes nothing to
disk, so ``serve`` can never write into ``docs_dir``; MkDocs receives the pages as
generated files.
"""

from __future__ import annotations

import hashlib
import html
import itertools
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import networkx as nx
from jinja2 import Environment, Template

from generator.affected import LastBuild, stale_terms
from generator.indexing import Indexed, index_sections
from generator.mapview import (
    MapMemo,
    category_colors,
    compute_layout,
    graph_data_js,
    static_asset,
    vis_network_css,
    vis_network_js,
)
from generator.notehtml import note_html
from generator.notepage import heading_slug, render_note
from generator.pagecache import PageCache, digest
from generator.paths import Layout, href_url, rel, url_rel
from generator.prerender import Prerendered
from generator.render import environment, finished_html, yaml_str
from generator.views import (
    all_aliases,
    entity_nodes,
    entity_view,
    index_view,
    relations_view,
    stats,
    typed_neighbours,
)
from graph.build import BuildResult, note_stem
from graph.model import Document
from graph.parallel import THRESHOLD as PARALLEL_THRESHOLD
from graph.parallel import Background, can_fork, in_background, shared_map, within_budget


@dataclass
class SiteOptions:
    layout: Layout = field(default_factory=Layout)
    use_directory_urls: bool = True
    templates: str = ""
    map: bool = True
    #: find each generated page's search sections as it is drawn (Material's search is on)
    index_sections: bool = False


NOTES_TABLE = "<!-- kgsite:notes-table -->"
"""Stands for the notes index's table in the page's Markdown (an HTML comment: Python-Markdown
passes it through as it is)."""


@dataclass
class GeneratedSite:
    pages: dict[str, str]
    assets: dict[str, bytes]
    positions: dict[str, tuple[float, float]]
    missing_links: list[tuple[str, str]] = field(default_factory=list)
    #: entity page (docs-relative .md) -> its name and aliases, for the search index
    search_terms: dict[str, list[str]] = field(default_factory=dict)
    #: pages whose HTML we rendered ourselves (their ``pages`` entry is front matter only)
    prerendered: dict[str, Prerendered] = field(default_factory=dict)
    #: their search sections, when :attr:`SiteOptions.index_sections`
    indexed: dict[str, Indexed] = field(default_factory=dict)
    #: what the front matter of entity and note pages says (MkDocs need not parse it back)
    meta: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: how many generated pages were drawn by this build (the others were taken from an
    #: earlier one: the page cache, or while serving, memory)
    drawn: int = 0
    #: the map's layout and data file while a forked child still computes them
    #: (``generate(defer_map=True)``); :meth:`finish_map` waits for them
    pending_map: Background[tuple[dict[str, tuple[float, float]], str]] | None = None
    map_asset: str = ""
    #: page -> HTML to put in place of :data:`NOTES_TABLE` in its HTML (see :func:`insert`)
    inserts: dict[str, str] = field(default_factory=dict)

    def finish_map(self) -> bytes:
        """The map's data file, once its layout is done (and ``positions`` filled in)."""
        if self.pending_map is not None:
            positions, data = self.pending_map()
            self.pending_map = None
            self.positions.update(positions)
            self.assets[self.map_asset] = data.encode("utf-8")
        return self.assets[self.map_asset]

    def digest(self) -> str:
        h = hashlib.sha256()
        for k in sorted(self.pages):
            h.update(k.encode() + b"\0" + self.pages[k].encode() + b"\0")
            if k in self.prerendered:
                h.update(self.prerendered[k].html.encode() + b"\0")
            if k in self.inserts:
                h.update(self.inserts[k].encode() + b"\0")
        return h.hexdigest()

    def text(self, page: str) -> str:
        """What a page says, whichever way it is rendered (Markdown, or our HTML)."""
        pre = self.prerendered.get(page)
        return self.insert(page, self.pages[page]) + (pre.html if pre else "")

    def insert(self, page: str, text: str) -> str:
        """``text`` (the page's Markdown or HTML) with the HTML held aside for it in place."""
        held = self.inserts.get(page)
        return text.replace(NOTES_TABLE, held, 1) if held is not None else text


@dataclass(frozen=True)
class Drawn:
    """One page drawn (possibly in another process): where it goes and what it says."""

    page: str
    front_matter: str
    prerendered: Prerendered
    missing: tuple[tuple[str, str], ...] = ()
    indexed: Indexed | None = None
    #: everything the page was drawn from (kept while serving, see _DRAWN)
    inputs: object = None
    #: what ``front_matter`` says
    meta: dict[str, Any] | None = None
    #: its name in the page cache (:mod:`generator.pagecache`), when one is used
    key: str = ""
    #: the build that drew it (:data:`_BUILDS`; 0 when read back from the page cache)
    drawn_in: int = 0


def _shared_parts(inputs: tuple[Any, ...], shared: tuple[object, ...]) -> tuple[Any, ...]:
    """``inputs`` holding this build's objects for the parts every page shares. A page drawn
    in a forked helper comes back with copies of them, and the next rebuild would compare
    those copies by value (the links part is a dict of every note) or, for a term page,
    fail the identity test that skips its view altogether: 418 of 459 term views at 1,000
    notes were computed again on every serve rebuild."""
    if not any(part is not s and part == s for part in inputs for s in shared if s is not None):
        return inputs
    return tuple(next((s for s in shared if s is not None and part is not s and part == s), part)
                 for part in inputs)


_DRAWN: dict[str, tuple[object, Drawn]] = {}
_BEFORE: dict[int, LastBuild] = {}  # while serving: what the last build's term pages were drawn from
_MAP: MapMemo = {}  # while serving: the last map's JSON, node by node and edge by edge
_SHARED: dict[int, object] = {}
_BUILDS = itertools.count(1)
T = TypeVar("T")


def _same_as_before(slot: int, value: object) -> object:
    """``value``, or the equal one of the last build: the same object, so that comparing
    each page's inputs stops at it instead of comparing it whole again."""
    before = _SHARED.get(slot)
    if before is not None and before == value:
        return before
    _SHARED[slot] = value
    return value
"""While serving: each page drawn in the last build, with its inputs. An edit changes a
few notes and the terms they mention; every other page is taken from here instead of
being drawn again (comparing a view costs a fraction of rendering it)."""


class PerGraph:
    """Values computed from one graph, kept while it is the newest. While serving, the pages
    drawn ahead of a rebuild (:mod:`generator.early`) and the rebuild itself read the same
    graph: what one computed (what the term pages are drawn from, their drawings, the index
    tables, the map) the other takes instead of computing it again."""

    def __init__(self) -> None:
        self.graph: nx.MultiDiGraph | None = None
        self.values: dict[Hashable, Any] = {}

    def get(self, graph: nx.MultiDiGraph, key: Hashable, compute: Callable[[], T]) -> T:
        if graph is not self.graph:
            self.graph, self.values = graph, {}
        if key not in self.values:
            self.values[key] = compute()
        return cast(T, self.values[key])

    def peek(self, graph: nx.MultiDiGraph, key: Hashable) -> Any:
        return self.values.get(key) if graph is self.graph else None


_PER_GRAPH = PerGraph()

DRAWING_SHARE = 1.0
"""What drawing the pages on two cores adds to the build, as a share of the build process's
memory when it starts: the forked helper's own pages and the drawn pages arriving here.
Measured at 10,000 notes, forked at 676 MB: the process tree's peak was 1,236 MB, 0.83 of
it more (the budget's default share, 0.5, let it fork there). A build that large draws on
one core; 1,000 notes (about 200 MB then) still draw on two."""


def drawing_inputs(graph: nx.MultiDiGraph, layout: Layout, colors: dict[str, str]) -> LastBuild:
    """What this graph's term pages are drawn from (compared with the last build's to find
    the pages an edit changed); once per graph."""
    return _PER_GRAPH.get(graph, ("inputs", layout, tuple(colors.items())),
                          lambda: LastBuild.of(graph, layout, colors))


def serve_map(graph: nx.MultiDiGraph, layout: Layout, previous: dict[str, tuple[float, float]] | None,
              shown: bool) -> tuple[dict[str, tuple[float, float]], str]:
    """While serving: the map's positions (starting from the last build's, ``previous``) and
    data file; once per graph."""
    def compute() -> tuple[object, tuple[dict[str, tuple[float, float]], str]]:
        placed = compute_layout(graph, previous) if shown else {}
        return previous, (placed, graph_data_js(graph, layout, placed, _MAP))

    # (the previous positions held with the map: an id names no other object while it lives)
    kept, out = _PER_GRAPH.get(graph, ("map", layout, id(previous), shown), compute)
    return out if kept is previous else compute()[1]


def draw_entity_ahead(template: Template, graph: nx.MultiDiGraph, view: dict[str, Any], page: str, layout: Layout,
                      opts: SiteOptions) -> Drawn:
    """:func:`draw_entity` for a page drawn ahead of a serve rebuild (:mod:`generator.early`):
    the rebuild takes it when its view of the page is the same."""
    drawn = draw_entity(template, view, page, layout, opts)
    _PER_GRAPH.get(graph, ("entity", page), lambda: (view, drawn))
    return drawn


def last_drawn(page: str) -> Drawn | None:
    """``page`` as the last serve build drew it."""
    kept = _DRAWN.get(page)
    return kept[1] if kept is not None else None


def last_inputs() -> LastBuild | None:
    """What the last serve build's term pages were drawn from."""
    return _BEFORE.get(0)


def note_lookup(docs: Iterable[Document]) -> dict[str, str]:
    """What a wikilink may name a note by (its path without ``.md``, its file name, its
    title, case-folded) -> the note; the first note wins."""
    lookup: dict[str, str] = {}
    for doc in docs:
        stem = note_stem(doc.path)
        for form in (stem, stem.rpartition("/")[2], doc.title):
            lookup.setdefault(form.casefold(), doc.path)
    return lookup


def page_urls(page: str, layout: Layout, use_directory_urls: bool) -> dict[str, str]:
    """Where the shared assets and the map are, seen from ``page``."""
    u = use_directory_urls
    return {"vis_url": url_rel(page, layout.asset("vis-network.min.js"), u),
            "vis_css_url": url_rel(page, layout.asset("vis-network.css"), u),
            "data_url": url_rel(page, layout.asset("graph-data.js"), u),
            "js_url": url_rel(page, layout.asset("kgsite.js"), u),
            "map_url": url_rel(page, layout.index("map.md").removesuffix(".md") + ("/" if u else ".html"), u),
            "root": url_rel(page, "", u).rstrip("/") or ".", "dir_urls": "1" if u else "0"}


def draw_entity(template: Template, view: dict[str, Any], page: str, layout: Layout, opts: SiteOptions) -> Drawn:
    """A term's page from its view (:func:`generator.views.entity_view`): by every build, and
    under ``serve`` by the pages drawn ahead of MkDocs' pass (:mod:`generator.early`)."""

    def u(href: str) -> str:
        return href_url(page, href, opts.use_directory_urls)

    body = finished_html(template.render(e=view, u=u, slug=heading_slug,
                                         **page_urls(page, layout, opts.use_directory_urls)), note=False)
    return Drawn(page, f"---\ntitle: {yaml_str(view['name'])}\n---\n", Prerendered.of(body, final=True),
                 indexed=index_sections(body) if opts.index_sections else None,
                 meta={"title": html.escape(str(view["name"]), quote=False)})


TABLES = (("service", "services/index.md", "サービス", "カテゴリ別のサービス一覧です。"),
          ("concept", "concepts/index.md", "概念", "カテゴリ別の用語集です。説明は語彙ファイルかノートの定義文から。"),
          ("relation", "relations.md", "関係一覧", ""))
"""The index pages drawn from the graph: (kind, page, title, introduction)."""


def table_markdown(env: Environment, graph: nx.MultiDiGraph, layout: Layout, opts: SiteOptions,
                   table: tuple[str, str, str, str], serving: bool = False) -> str:
    """An index page's Markdown (one of :data:`TABLES`). ``serving``: once per graph."""
    kind, name, title, intro = table
    page = layout.index(name)

    def u(href: str) -> str:
        return href_url(page, href, opts.use_directory_urls)

    def compute() -> str:
        if kind == "relation":
            return env.get_template("relations.md.j2").render(rows=relations_view(graph, layout, page), u=u)
        return env.get_template("entity_index.md.j2").render(view=index_view(graph, kind, layout, page), title=title,
                                                             intro=intro, u=u)

    if not serving:
        return compute()
    return _PER_GRAPH.get(graph, ("table", layout, opts.use_directory_urls, opts.templates, table), compute)


def draw_table(markdown: str, page: str, opts: SiteOptions) -> Drawn:
    front, pre = _table_page(markdown, page, opts.use_directory_urls)
    return Drawn(page, front, pre, indexed=index_sections(pre.html) if opts.index_sections else None)


def mentions_shown(graph: nx.MultiDiGraph, layout: Layout, path: str) -> tuple[tuple[str, int, str], ...]:
    """What a note's page shows of the graph: each mention's term page, line and words."""
    nid = "note:" + path
    edges = graph.out_edges(nid, keys=True, data=True) if nid in graph else ()
    return tuple((layout.entity(eid, graph.nodes[eid]["kind"]), ev["line"], ev["quote"])
                 for _, eid, k, data in edges if k == "mentions" for ev in data["evidence"])


def links_in(text: str) -> bool:
    """Whether a note's page depends on what its links resolve against (notes, files, terms)."""
    return "[[" in text or "](" in text


def last_note_inputs(page: str) -> tuple[str, object, bool] | None:
    """What a note's page was drawn from in the last serve build: its text, its mentions,
    whether it has links."""
    kept = _DRAWN.get(page)
    if kept is None:
        return None
    inputs = cast(tuple[Any, ...], kept[0])
    return inputs[1], inputs[2], inputs[3] is not None


def note_page_of(layout: Layout, path: str) -> str:
    """The page of the note at ``path`` (a note the notes' index would overwrite moves aside)."""
    page = layout.note(path)
    return layout.index(f"{layout.notes_dir}/index-note.md") if page == layout.index(
        f"{layout.notes_dir}/index.md") else page


def draw_note(doc: Document, text: str, graph: nx.MultiDiGraph, page: str, lookup: dict[str, str],
              existing: set[str], opts: SiteOptions) -> Drawn:
    """A note's page: its text, with the terms it mentions linked to their pages."""
    missing: list[tuple[str, str]] = []
    note = render_note(doc, text, graph, opts.layout, lookup, existing, missing, page, opts.use_directory_urls)
    body = finished_html(note_html(note.body, page, opts.use_directory_urls, note.marks), note=True)
    return Drawn(page, note.front_matter, Prerendered.of(body, final=True), tuple(missing),
                 index_sections(body) if opts.index_sections else None, meta=note.meta)


def notes_index(env: Environment, graph: nx.MultiDiGraph, docs: Iterable[Document], layout: Layout,
                opts: SiteOptions) -> tuple[str, str, str]:
    """The notes' index: its page, its Markdown (:data:`NOTES_TABLE` standing for the table)
    and the table's HTML, put in place once MkDocs has made the page HTML
    (:meth:`GeneratedSite.insert`)."""
    index_page = layout.index(f"{layout.notes_dir}/index.md")
    notes = []
    # the terms a note mentions: one "mentions" edge to each, read from the adjacency's own
    # dicts (through NetworkX's read-only views, each test raised and caught a KeyError: 0.13 s
    # at 1,000 notes)
    succ: dict[str, dict[str, dict[str, Any]]] = graph._succ
    for doc in docs:
        page = note_page_of(layout, doc.path)
        out = succ.get("note:" + doc.path)
        mentioned = sum(1 for keyed in out.values() if "mentions" in keyed) if out is not None else 0
        notes.append({"title": doc.title, "href": rel(index_page, page), "tags": list(doc.tags),
                      "mentions": mentioned})
    notes.sort(key=lambda n: (str(n["title"]).casefold(), str(n["href"])))
    # drawn as HTML inside the page's Markdown: the page stays Markdown for the tags listing it
    # ends with, and Python-Markdown no longer reads a table of every note (a twentieth of a
    # serve rebuild at 1,000 notes; markdown-it would hold a token per cell at the build's peak)
    table = env.get_template("notes_table.html.j2").render(
        notes=notes, u=lambda href: href_url(index_page, href, opts.use_directory_urls))
    # held aside: Python-Markdown read the table's thousand rows as raw HTML (a quarter of a
    # second, on one core)
    markdown = env.get_template("notes_index.md.j2").render(notes=notes, notes_table=NOTES_TABLE)
    return index_page, markdown, table.rstrip("\n")  # as Python-Markdown ended the block


def generate(result: BuildResult, texts: dict[str, str], options: SiteOptions | None = None,
             previous_positions: dict[str, tuple[float, float]] | None = None,
             vault_files: set[str] | None = None, remember: bool = False,
             page_cache: PageCache | None = None, defer_map: bool = False) -> GeneratedSite:
    """All generated pages (Markdown) and assets (bytes), keyed by path under docs_dir.

    ``page_cache``: pages whose inputs are unchanged since a build that used the same
    cache are read back from it instead of drawn (see :mod:`generator.pagecache`).
    ``defer_map``: for a large vault, the map's layout (a second or two at 1,000 notes,
    most of a rebuild's page stage once the pages come from the cache) is computed by a
    forked child while the build goes on; the map's data file is then not in ``assets``
    until :meth:`GeneratedSite.finish_map`. MkDocs needs it only after reading every page."""
    opts = options or SiteOptions()
    layout = opts.layout
    graph = result.graph
    this_build = next(_BUILDS)
    env = environment(opts.templates)
    pages: dict[str, str] = {}
    assets: dict[str, bytes] = {}

    def urls(page: str) -> dict[str, str]:
        return page_urls(page, layout, opts.use_directory_urls)

    colors = category_colors(graph)
    adjacency = typed_neighbours(graph)
    search_terms: dict[str, list[str]] = {}
    prerendered: dict[str, Prerendered] = {}
    entity_tpl = env.get_template("entity.html.j2")
    lookup = note_lookup(result.documents)
    index_page = layout.index(f"{layout.notes_dir}/index.md")
    existing = vault_files if vault_files is not None else set(texts)

    nodes = entity_nodes(graph)
    docs = result.documents
    # while serving, a page whose inputs are all unchanged is not drawn again (see _DRAWN)
    base: object = None
    links: object = None
    if remember:
        template = env.loader.get_source(env, "entity.html.j2")[0] if env.loader is not None else ""
        # the template, and where the shared assets and the map are (the plugin's prefix)
        base = _same_as_before(0, (template, opts.use_directory_urls, opts.index_sections,
                                   tuple(sorted(urls("index.md").items()))))
        # what wikilinks and links between files resolve against
        # (compared as dicts and sets: equal whatever their order, and no sorting of thousands of keys)
        links = _same_as_before(1, (dict(lookup), frozenset(existing), dict(graph.graph.get("entity_keys", {})),
                                    {n: graph.nodes[n]["kind"] for n in nodes}))

    # the same, as hashes naming pages in the page cache
    cache_base = cache_links = ""
    if page_cache is not None:
        template = env.loader.get_source(env, "entity.html.j2")[0] if env.loader is not None else ""
        cache_base = digest((template, opts.use_directory_urls, opts.index_sections, sorted(urls("index.md").items())))
        cache_links = digest((sorted(lookup.items()), sorted(existing),
                              sorted(graph.graph.get("entity_keys", {}).items()),
                              [(n, graph.nodes[n]["kind"]) for n in sorted(nodes)],
                              (layout.prefix, layout.notes_dir, layout.note_pages, layout.entity_pages)))

    def cached(key: str, page: str, inputs: object) -> Drawn | None:
        hit = page_cache.load(key) if page_cache is not None and key else None
        return replace(hit, inputs=inputs, key=key, drawn_in=0) if isinstance(hit, Drawn) and hit.page == page else None

    # while serving, the terms whose page an edit cannot have changed are not even viewed
    drawn_from = drawing_inputs(graph, layout, colors) if remember else None
    stale = stale_terms(_BEFORE.get(0), drawn_from, nodes) if drawn_from is not None else None

    def entity_page(node: str) -> Drawn:
        page = layout.entity(node, graph.nodes[node]["kind"])
        kept = _DRAWN.get(page)
        if stale is not None and node not in stale and kept is not None and cast(tuple[Any, ...], kept[0])[0] is base:
            return kept[1]
        view = entity_view(graph, node, layout, colors, adjacency)
        inputs = (base, view) if remember else None  # compared as values: the view is plain data
        if inputs is not None and kept is not None and kept[0] == inputs:
            return kept[1]
        ahead = cast(tuple[dict[str, Any], Drawn] | None,
                     _PER_GRAPH.peek(graph, ("entity", page)) if remember else None)
        if ahead is not None and ahead[0] == view:
            return replace(ahead[1], inputs=inputs, drawn_in=this_build)
        key = digest((cache_base, page, view)) if page_cache is not None else ""
        hit = cached(key, page, inputs)
        if hit is not None:
            return hit
        return replace(draw_entity(entity_tpl, view, page, layout, opts), inputs=inputs, key=key,
                       drawn_in=this_build)

    def note_page(doc: Document) -> Drawn:
        page = note_page_of(layout, doc.path)
        text = texts.get(doc.path, "")
        inputs = None
        key = ""
        if remember or page_cache is not None:
            said = mentions_shown(graph, layout, doc.path)
            linked = links_in(text)
            if remember:
                inputs = (base, text, said, links if linked else None)
                kept = _DRAWN.get(page)
                if kept is not None and kept[0] == inputs:
                    return kept[1]
            if page_cache is not None:
                key = digest((cache_base, page, doc.path, text, said, cache_links if linked else None))
                hit = cached(key, page, inputs)
                if hit is not None:
                    return hit
        return replace(draw_note(doc, text, graph, page, lookup, existing, opts), inputs=inputs, key=key,
                       drawn_in=this_build)

    tables = TABLES

    def table_page(kind: str, name: str, title: str, intro: str) -> Drawn:
        page = layout.index(name)
        table = table_markdown(env, graph, layout, opts, (kind, name, title, intro), remember)
        inputs = (base, table) if remember else None
        kept = _DRAWN.get(page)
        if inputs is not None and kept is not None and kept[0] == inputs:
            return kept[1]
        key = digest((cache_base, page, table)) if page_cache is not None else ""
        hit = cached(key, page, inputs)
        if hit is not None:
            return hit
        return replace(draw_table(table, page, opts), inputs=inputs, key=key, drawn_in=this_build)

    def map_data() -> tuple[dict[str, tuple[float, float]], str]:
        if remember and page_cache is None:
            return serve_map(graph, layout, previous_positions, opts.map)
        placed = compute_layout(graph, previous_positions, cache=page_cache) if opts.map else {}
        memo = _MAP if remember else None
        if page_cache is None or memo:
            return placed, graph_data_js(graph, layout, placed, memo)
        # the map's pieces from the last build that used the cache
        kept = page_cache.load_named("map")
        memo = memo if memo is not None else {}
        memo.update(kept if isinstance(kept, dict) else {})
        before = dict(memo)
        data = graph_data_js(graph, layout, placed, memo)
        if memo != before:
            page_cache.store_named("map", memo)
        return placed, data

    n_jobs = 1 + len(tables) + len(nodes) + len(docs)
    pending = None
    if defer_map and not remember and n_jobs > PARALLEL_THRESHOLD and can_fork() and within_budget(2):
        pending = in_background(map_data, yielding=True)

    # the map's layout and every page drawn from the graph, on every core for a large vault
    def job(i: int) -> Drawn | tuple[dict[str, tuple[float, float]], str]:
        if i == 0:
            return ({}, "") if pending is not None else map_data()
        if i <= len(tables):
            return table_page(*tables[i - 1])
        i -= 1 + len(tables)
        return entity_page(nodes[i]) if i < len(nodes) else note_page(docs[i - len(nodes)])

    # a serve rebuild takes nearly every page from the last one: a forked helper's start and
    # sending its pages back cost more than it saves (0.65 s against 0.45 s at 1,000 notes)
    done = shared_map(job, n_jobs, n_jobs if remember and _DRAWN else PARALLEL_THRESHOLD, share=DRAWING_SHARE)
    positions, data_js = cast(tuple[dict[str, tuple[float, float]], str], done[0])
    table_drawn = cast(list[Drawn], done[1:1 + len(tables)])
    entity_drawn = cast(list[Drawn], done[1 + len(tables):1 + len(tables) + len(nodes)])
    note_drawn = cast(list[Drawn], done[1 + len(tables) + len(nodes):])
    indexed = {d.page: d.indexed for d in (*table_drawn, *entity_drawn, *note_drawn) if d.indexed is not None}
    if page_cache is not None:
        every = (*table_drawn, *entity_drawn, *note_drawn)
        page_cache.keep_only(((d.key, replace(d, inputs=None)) for d in every if d.key),
                             {d.key for d in every if d.key and d.drawn_in == this_build})
    if remember:
        assert drawn_from is not None
        _BEFORE[0] = drawn_from
        _DRAWN.clear()
        for d in (*table_drawn, *entity_drawn, *note_drawn):
            if d.inputs is not None:
                inputs = _shared_parts(cast(tuple[Any, ...], d.inputs), (base, links))
                _DRAWN[d.page] = (inputs, replace(d, inputs=inputs) if inputs is not d.inputs else d)
    for node, d in zip(nodes, entity_drawn, strict=True):
        prerendered[d.page] = d.prerendered
        pages[d.page] = d.front_matter
        search_terms[d.page] = [str(graph.nodes[node]["name"]), *all_aliases(graph.nodes[node])]
    for d in table_drawn:
        pages[d.page], prerendered[d.page] = d.front_matter, d.prerendered

    missing: list[tuple[str, str]] = []
    for d in note_drawn:
        pages[d.page] = d.front_matter
        prerendered[d.page] = d.prerendered
        missing.extend(d.missing)
    index_page, pages[index_page], table = notes_index(env, graph, docs, layout, opts)
    inserts = {index_page: table}

    page = layout.index("map.md")
    pages[page] = env.get_template("map.md.j2").render(**urls(page))
    if pending is None:
        assets[layout.asset("graph-data.js")] = data_js.encode("utf-8")
    assets[layout.asset("vis-network.min.js")] = vis_network_js()
    assets[layout.asset("vis-network.css")] = vis_network_css()
    assets[layout.asset("kgsite.js")] = static_asset("kgsite.js")
    assets[layout.asset("kgsite.css")] = static_asset("kgsite.css")
    assets[layout.asset("kgsite-search.js")] = static_asset("kgsite-search.js")
    meta = {d.page: d.meta for d in (*entity_drawn, *note_drawn) if d.meta is not None}
    drawn = sum(1 for d in (*table_drawn, *entity_drawn, *note_drawn) if d.drawn_in == this_build)
    return GeneratedSite(pages, assets, positions, sorted(set(missing)), search_terms, prerendered, indexed, meta,
                         drawn, pending, layout.asset("graph-data.js"), inserts)


def _table_page(markdown: str, page: str, use_directory_urls: bool) -> tuple[str, Prerendered]:
    """An index page (one long table per category) drawn by markdown-it like the notes:
    Python-Markdown took about a second for the three of them on a 1,000-note vault, on
    every build and every rebuild while serving."""
    end = markdown.index("\n---\n", 4) + len("\n---\n") if markdown.startswith("---\n") else 0
    return markdown[:end], Prerendered.of(note_html(markdown[end:], page, use_directory_urls))


def stats_markdown(graph: nx.MultiDiGraph) -> str:
    s = stats(graph)
    return (f"| サービス | 概念 | ノート | uses | monitors | alternative-to |\n"
            f"| ---: | ---: | ---: | ---: | ---: | ---: |\n"
            f"| {s['services']} | {s['concepts']} | {s['notes']} | {s['uses']} | {s['monitors']} | "
            f"{s['alternatives']} |\n")
