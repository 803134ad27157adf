"""View models: plain dicts the templates read, built from the graph.

Everything a template shows is computed here, so templates stay logic-free and every
list has a stable order (the same notes give the same pages byte for byte).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from functools import lru_cache
from typing import Any

import networkx as nx

from generator.adjacency import degree, term_edges
from generator.mapview import KIND_SHAPES, RELATION_STYLES
from generator.paths import Layout, rel
from generator.render import json_for_html
from graph.cuefile import builtin_cues

#: Most nodes a page's local graph shows: the 1-hop neighbours first, then 2-hop ones.
LOCAL_LIMIT = 30
#: Most 1-hop neighbours drawn (a hub like SageMaker has dozens; the page lists them all).
LOCAL_RING = 16

RELATION_ORDER = ["uses", "monitors", "alternative-to", "part-of"]


@lru_cache(maxsize=1)
def relation_labels() -> dict[tuple[str, str], str]:
    """(relation, "out" | "in") -> how a term's page names it: ``relation_labels`` in the
    vocabulary's cue file (words, not code); a relation it leaves out is shown by its name."""
    given = builtin_cues().get("relation_labels") or {}
    return {(rel, side): str((given.get(rel) or {}).get(side) or rel)
            for rel in RELATION_ORDER for side in ("out", "in")}
KIND_LABELS = {"service": "サービス", "concept": "概念", "note": "ノート"}
ENTITY_KINDS = ("service", "concept")


def all_aliases(data: dict[str, Any]) -> list[str]:
    """Every other name of an entity: the vocabulary's (JA and EN) first, then the spellings
    the notes used; the canonical name and exact repeats are left out."""
    seen = {str(data["name"]).casefold()}
    out = []
    for a in [*data.get("vocabulary_aliases", []), *sorted(data.get("aliases", []))]:
        a = str(a)
        if a.casefold() not in seen:
            seen.add(a.casefold())
            out.append(a)
    return out


def entity_nodes(graph: nx.MultiDiGraph) -> list[str]:
    return sorted((n for n, d in graph.nodes(data=True) if d["kind"] in ENTITY_KINDS),
                  key=lambda n: (str(graph.nodes[n]["name"]).casefold(), n))


def _evidence(page: str, layout: Layout, graph: nx.MultiDiGraph, evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for ev in evs:
        if not ev.get("note"):
            # facts from the vocabulary files (e.g. part-of) have no sentence to quote
            out.append({"quote": ev.get("quote", ""), "rule": ev.get("rule", ""), "href": "",
                        "where": "語彙ファイル" if not ev.get("quote") else ""})
            continue
        nid = "note:" + ev["note"]
        title = graph.nodes[nid]["name"] if nid in graph else ev["note"]
        out.append({"quote": ev["quote"], "rule": ev.get("rule", ""),
                    "href": rel(page, layout.note(ev["note"])) + f"#L{ev['line']}",
                    "where": f"{title}:{ev['line']}"})
    return out


def grouped_quotes(evidence: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The same sentence cited from several notes is one quote with several sources.

    Notes copy each other (a summary note repeats a lecture note's line): listing the
    sentence once per note buries the distinct ones. Every source stays a link; the order
    is the evidence's own (first note first).
    """
    groups: dict[str, dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for ev in evidence:
        if not ev["href"]:
            continue
        key = " ".join(str(ev["quote"]).split())
        group = groups.get(key)
        if group is None:
            group = groups[key] = {"quote": key, "rule": ev.get("rule", ""), "sources": []}
            out.append(group)
        group["sources"].append({"href": ev["href"], "where": ev["where"]})
    return out


def page_url(graph: nx.MultiDiGraph, node: str, layout: Layout) -> str:
    """A node's page as a site-relative path without ``.md`` (the map's ``url`` field)."""
    d = graph.nodes[node]
    page = layout.note(d["path"]) if d["kind"] == "note" else layout.entity(node, d["kind"])
    return page.removesuffix(".md")


def typed_neighbours(graph: nx.MultiDiGraph) -> dict[str, list[str]]:
    """Every node's neighbours over typed relations, either direction: one pass over the
    edges for all the local graphs of a build, instead of two edge scans per node visited."""
    found: dict[str, set[str]] = {}
    for s, t, k in graph.edges(keys=True):
        if k in RELATION_ORDER and s != t:
            found.setdefault(s, set()).add(t)
            found.setdefault(t, set()).add(s)
    return {n: sorted(v) for n, v in found.items()}


def local_graph(graph: nx.MultiDiGraph, node: str, layout: Layout, colors: dict[str, str],
                limit: int = LOCAL_LIMIT, adjacency: dict[str, list[str]] | None = None) -> dict[str, Any]:
    """The neighbourhood (1–2 hops over typed relations) a page draws with the shared vis-network.

    Only this small blob goes into the page; the library itself is one shared asset. The
    layout is radial around the page's entity (see :func:`_radial`), not the full map's:
    a zoom into the big map puts the neighbours wherever the whole graph pushed them.
    """
    adj = adjacency if adjacency is not None else typed_neighbours(graph)

    def neighbours(n: str) -> list[str]:
        return adj.get(n, [])

    def rank(n: str) -> tuple[int, int, str]:
        # typed relations before vocabulary parts, then the better connected first
        typed = any(k != "part-of" for k in graph[node].get(n, {})) or any(
            k != "part-of" for k in graph[n].get(node, {}))
        return (0 if typed else 1, -degree(graph, n), n)

    hops = {node: 0}
    for o in sorted(neighbours(node), key=rank)[:LOCAL_RING]:
        hops[o] = 1
    for n in sorted((n for n, h in hops.items() if h == 1), key=rank):
        for o in neighbours(n):
            if o not in hops and len(hops) < limit:
                hops[o] = 2
    radial = _radial(hops, neighbours)
    nodes = []
    for n in sorted(hops):
        d = graph.nodes[n]
        x, y = radial[n]
        nodes.append({"id": n, "label": str(d["name"]), "kind": d["kind"], "category": str(d.get("category") or ""),
                      "shape": KIND_SHAPES[d["kind"]], "color": colors.get(str(d.get("category") or ""), "#888888"),
                      "x": x, "y": y, "hop": hops[n], "url": page_url(graph, n, layout),
                      "title": f"{d['name']}\n{KIND_LABELS[d['kind']]} · {d.get('category', '')}"})
    edges = []
    # the edges among the drawn nodes (what graph.subgraph(hops) holds, read straight from
    # the adjacency: a subgraph view filters every edge it visits through Python calls)
    succ = graph.succ
    among = sorted((s, t, k) for s in hops for t, keyed in succ[s].items() if t in hops for k in keyed)
    for s, t, k in among:
        if k in RELATION_ORDER:
            style = RELATION_STYLES[k]
            edges.append({"from": s, "to": t, "relation": k, "color": style["color"], "arrows": style["arrows"],
                          "dashes": style["dashes"]})
    return {"center": node, "nodes": nodes, "edges": edges, "positioned": True}


def _radial(hops: dict[str, int], neighbours: Any) -> dict[str, tuple[float, float]]:
    """Centre in the middle, 1-hop neighbours on a ring, 2-hop nodes on an outer ring in
    the order of the neighbour that reached them: readable at a glance, same every build."""
    center = next(n for n, h in hops.items() if h == 0)
    ring1 = sorted(n for n, h in hops.items() if h == 1)
    pos: dict[str, tuple[float, float]] = {center: (0.0, 0.0)}
    angle: dict[str, float] = {}
    # an ellipse as wide as the box the graph is drawn in, growing with the ring
    ry = max(130.0, 11.0 * len(ring1))
    rx = 2.3 * ry
    for i, n in enumerate(ring1):
        a = 2 * math.pi * i / max(len(ring1), 1) - math.pi / 2
        angle[n] = a
        pos[n] = (round(rx * math.cos(a), 1), round(ry * math.sin(a), 1))
    ring2 = []
    for n in sorted(n for n, h in hops.items() if h == 2):
        parent = next((p for p in neighbours(n) if p in angle), "")
        ring2.append((angle.get(parent, 0.0) % (2 * math.pi), n))
    # evenly round the outer ring, in the order of the neighbour that reached them, so a
    # hub's many neighbours spread out instead of piling up behind it
    ring2.sort()
    offset = ring2[0][0] if ring2 else 0.0
    for j, (_, n) in enumerate(ring2):
        a = offset + 2 * math.pi * j / len(ring2)
        f = 1.45 + 0.17 * (j % 2)
        pos[n] = (round(f * rx * math.cos(a), 1), round(f * ry * math.sin(a), 1))
    return pos


def entity_view(graph: nx.MultiDiGraph, node: str, layout: Layout,
                colors: dict[str, str] | None = None, adjacency: dict[str, list[str]] | None = None) -> dict[str, Any]:
    data = graph.nodes[node]
    page = layout.entity(node, data["kind"])
    groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for direction, edges in (("out", graph.out_edges(node, keys=True, data=True)),
                             ("in", graph.in_edges(node, keys=True, data=True))):
        for s, t, rel_type, edata in edges:
            if rel_type not in RELATION_ORDER:
                continue
            other = t if direction == "out" else s
            od = graph.nodes[other]
            direction_key = "out" if rel_type == "alternative-to" else direction
            groups[(rel_type, direction_key)].append({
                "name": od["name"], "href": rel(page, layout.entity(other, od["kind"])),
                "quotes": grouped_quotes(_evidence(page, layout, graph, edata["evidence"])),
            })
    relations: list[dict[str, Any]] = []
    for rel_type in RELATION_ORDER:
        for direction in ("out", "in"):
            items = groups.get((rel_type, direction))
            if items:
                relations.append({"type": rel_type, "direction": direction,
                                  "label": relation_labels()[(rel_type, direction)],
                                  "items": sorted(items, key=lambda i: (i["name"].casefold(), i["href"]))})
    mention_counts: Counter[str] = Counter(m["note"] for m in data.get("mentions", []))
    first_line: dict[str, int] = {}
    for m in data.get("mentions", []):
        first_line.setdefault(m["note"], m["line"])
    notes = []
    for note in sorted(set(data.get("notes", []))):
        nid = "note:" + note
        notes.append({"title": graph.nodes[nid]["name"] if nid in graph else note,
                      "href": rel(page, layout.note(note)) + (f"#L{first_line[note]}" if note in first_line else ""),
                      "count": mention_counts.get(note, 0)})
    parent = data.get("parent") or ""
    definitions = _evidence(page, layout, graph, data.get("definitions", []))
    return {
        "id": node, "name": data["name"], "kind": data["kind"], "kind_label": KIND_LABELS[data["kind"]],
        "category": data.get("category", ""), "description": data.get("description", ""),
        "aliases": all_aliases(data),
        "parent": ({"name": graph.nodes[parent]["name"],
                    "href": rel(page, layout.entity(parent, graph.nodes[parent]["kind"]))}
                   if parent and parent in graph else None),
        "definition_quotes": grouped_quotes(definitions),
        "vocabulary_definitions": [d for d in definitions if not d["href"] and d["quote"]],
        "relations": relations, "notes": notes,
        "map_href": rel(page, layout.index("map.md")) + "#" + node,
        "local_json": json_for_html(local_graph(graph, node, layout, colors or {}, adjacency=adjacency)),
    }


def summary(data: dict[str, Any], width: int = 80) -> str:
    """One line for the glossary: the vocabulary's description, else the first definition."""
    text = str(data.get("description") or "")
    if not text:
        defs = [d.get("quote", "") for d in data.get("definitions", []) if d.get("quote")]
        text = str(defs[0]) if defs else ""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def index_view(graph: nx.MultiDiGraph, kind: str, layout: Layout, page: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    # typed edges at both ends, in one pass over the edges: asked per term, each hub's
    # thousand incoming mentions were walked again (a tenth of a serve rebuild's pages)
    degree: Counter[str] = Counter()
    typed = frozenset(RELATION_ORDER)
    for s, t, k, _ in term_edges(graph):
        if k in typed:
            degree[s] += 1
            degree[t] += 1
    for n in entity_nodes(graph):
        d = graph.nodes[n]
        if d["kind"] != kind:
            continue
        groups[d.get("category") or "その他"].append({
            "name": d["name"], "href": rel(page, layout.entity(n, kind)),
            "aliases": all_aliases(d)[:6],
            "summary": summary(d), "notes": len(d.get("notes", [])), "relations": degree[n]})
    return {"groups": [{"category": c, "items": groups[c]} for c in sorted(groups)],
            "count": sum(len(v) for v in groups.values())}


def relations_view(graph: nx.MultiDiGraph, layout: Layout, page: str) -> list[dict[str, Any]]:
    rows = []
    for s, t, k, d in term_edges(graph):
        if k not in RELATION_ORDER or k == "part-of":
            continue
        sd, td = graph.nodes[s], graph.nodes[t]
        first = d["evidence"][0] if d["evidence"] else {}
        ev = _evidence(page, layout, graph, [first])[0] if first else {"quote": "", "href": "", "where": ""}
        rows.append({"source": sd["name"], "source_href": rel(page, layout.entity(s, sd["kind"])),
                     "relation": k, "target": td["name"], "target_href": rel(page, layout.entity(t, td["kind"])),
                     "evidence": ev, "count": len(d["evidence"])})
    return sorted(rows, key=lambda r: (r["relation"], r["source"].casefold(), r["target"].casefold()))


def stats(graph: nx.MultiDiGraph) -> dict[str, int]:
    kinds = Counter(d["kind"] for _, d in graph.nodes(data=True))
    rels = Counter(k for *_, k in graph.edges(keys=True))
    return {"services": kinds.get("service", 0), "concepts": kinds.get("concept", 0), "notes": kinds.get("note", 0),
            "uses": rels.get("uses", 0), "monitors": rels.get("monitors", 0),
            "alternatives": rels.get("alternative-to", 0)}
