"""Which term pages an edit can change, read from the graphs before and after it.

While serving, every page of the last build is kept with what it was drawn from, and a
page is drawn again only when that changed. Finding out meant building every term's
view, a third of a rebuild's page work at 1,000 notes, although an edit to one note
changes the views of a handful of terms. A term's page shows:

* its own node (names, notes, mentions with their lines, definitions) and its typed
  relations with their evidence;
* each related term's name and kind, and each cited note's title and page;
* a local graph of the terms up to two typed hops away: their names, kinds, categories,
  the typed edges among them (not their evidence), and, to choose the nearest sixteen,
  their degrees.

So a term's page can change only when its own node or typed edges (or their evidence)
changed, when a term within two typed hops changed its name, kind, category or set of
typed edges, when a direct neighbour's degree changed past another neighbour's, or when something every page
reads changed (page paths, category colours, note titles): then every page is redrawn. Edges are looked up in the
graphs both before and after the edit, so a removed relation reaches the terms it used to
connect. The rule over-approximates: a page it names may come out the same.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import networkx as nx

from generator.adjacency import degrees, term_edges
from generator.paths import Layout
from generator.views import RELATION_ORDER

#: the relations a term's page and its local graph show
TYPED = frozenset(RELATION_ORDER)


Typed = dict[str, dict[tuple[str, str, str], Any]]


def typed_edges(graph: nx.MultiDiGraph) -> Typed:
    """Every term's typed edges, both directions, with their evidence: one pass over the
    terms' own edges (a note's mentions, most of the edges, are never typed)."""
    out: Typed = {}
    for s, t, k, data in term_edges(graph):
        if k in TYPED:
            out.setdefault(s, {})[("out", t, k)] = data
            out.setdefault(t, {})[("in", s, k)] = data
    return out


def term_degrees(graph: nx.MultiDiGraph) -> dict[str, int]:
    """The degree of every term (what a page's local graph ranks its terms by)."""
    return degrees(graph, (n for n, d in graph.nodes(data="kind") if d != "note"))


@dataclass(frozen=True)
class LastBuild:
    """What the last build's term pages were drawn from."""

    graph: nx.MultiDiGraph
    layout: Layout
    colors: dict[str, str]
    typed: Typed
    degrees: dict[str, int]

    @classmethod
    def of(cls, graph: nx.MultiDiGraph, layout: Layout, colors: dict[str, str]) -> LastBuild:
        return cls(graph, layout, colors, typed_edges(graph), term_degrees(graph))


def _display(data: dict[str, Any]) -> tuple[object, object, object]:
    return data.get("name"), data.get("kind"), data.get("category")


def _within(typed: Iterable[Typed], start: set[str], hops: int) -> set[str]:
    """``start`` and every node up to ``hops`` typed edges away, in any of the graphs."""
    maps = tuple(typed)
    reached = set(start)
    frontier = set(start)
    for _ in range(hops):
        nxt = {other for m in maps for n in frontier for _, other, _ in m.get(n, ())} - reached
        reached |= nxt
        frontier = nxt
    return reached


def stale_terms(before: LastBuild | None, now: LastBuild, terms: Iterable[str]) -> set[str] | None:
    """The terms (of ``terms``) whose page may differ from the last build's; ``None``
    when every page may (no last build, or something every page reads changed)."""
    graph, layout = now.graph, now.layout
    if before is None or before.colors != now.colors:
        return None
    old = before.graph
    old_entities, new_entities = dict(before.layout.entity_pages), dict(layout.entity_pages)
    old_notes, new_notes = dict(before.layout.note_pages), dict(layout.note_pages)
    if any(old_entities[n] != p for n, p in new_entities.items() if n in old_entities) or any(
            old_notes[n] != p for n, p in new_notes.items() if n in old_notes):
        return None
    for n, data in graph.nodes(data=True):  # note titles: cited on term pages
        if data["kind"] == "note" and n in old and old.nodes[n]["name"] != data["name"]:
            return None
    changed: set[str] = set()  # own node or typed edges: the page itself
    shown: set[str] = set()  # name, kind, category or typed edges: pages two hops around
    degree: set[str] = set()  # degree: the pages of direct neighbours
    for n in terms:
        if n not in old:
            changed.add(n)
            shown.add(n)
            continue
        data, was = graph.nodes[n], old.nodes[n]
        if data != was:
            changed.add(n)
            if _display(data) != _display(was):
                shown.add(n)
        edges, were = now.typed.get(n, {}), before.typed.get(n, {})
        if edges != were:
            changed.add(n)  # (their evidence is quoted on this page only)
            if edges.keys() != were.keys():
                shown.add(n)
        if now.degrees[n] != before.degrees[n]:
            degree.add(n)
    gone = {n for n, d in old.nodes(data=True) if d["kind"] != "note" and n not in graph}
    maps = (now.typed, before.typed)
    return (changed | _within(maps, shown | gone, 2) | _reordered(before, now, degree)) - gone


def _reordered(before: LastBuild, now: LastBuild, moved: set[str]) -> set[str]:
    """The pages a change of ``moved``'s degrees can change: a page ranks its neighbours by
    degree (ties by id) only to choose and order its local graph, so a term's new degree
    matters only to a neighbouring page where another neighbour's degree, before or now,
    lies between the term's old and new degree. An edit's mentions move the degrees of
    hubs (a service with hundreds of neighbours) by one or two, which reorders nothing."""
    maps = (now.typed, before.typed)
    out = set(moved)
    for n in moved:
        lo, hi = sorted((before.degrees.get(n, 0), now.degrees.get(n, 0)))
        for page in _within(maps, {n}, 1) - {n}:
            if page in out:
                continue
            for m in _within(maps, {page}, 1) - {page, n}:
                if any(d is not None and lo <= d <= hi for d in (now.degrees.get(m), before.degrees.get(m))):
                    out.add(page)
                    break
    return out
