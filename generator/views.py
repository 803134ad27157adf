"""View models: plain dicts the templates read, built from the graph.

Everything a template shows is computed here, so templates stay logic-free and every
list has a stable order (the same notes give the same pages byte for byte).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

import networkx as nx

from generator.paths import Layout, rel

RELATION_LABELS = {
    ("uses", "out"): "使う (uses)",
    ("uses", "in"): "使われる (used by)",
    ("monitors", "out"): "監視する (monitors)",
    ("monitors", "in"): "監視される (monitored by)",
    ("alternative-to", "out"): "代替・比較 (alternative to)",
    ("alternative-to", "in"): "代替・比較 (alternative to)",
    ("part-of", "out"): "一部である (part of)",
    ("part-of", "in"): "構成要素 (has part)",
}
RELATION_ORDER = ["uses", "monitors", "alternative-to", "part-of"]
KIND_LABELS = {"service": "サービス", "concept": "概念", "note": "ノート"}
ENTITY_KINDS = ("service", "concept")


def entity_nodes(graph: nx.MultiDiGraph) -> list[str]:
    return sorted((n for n, d in graph.nodes(data=True) if d["kind"] in ENTITY_KINDS),
                  key=lambda n: (str(graph.nodes[n]["name"]).casefold(), n))


def _evidence(page: str, layout: Layout, graph: nx.MultiDiGraph, evs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for ev in evs:
        if not ev.get("note"):
            out.append({"quote": ev.get("quote", ""), "rule": ev.get("rule", ""), "href": "", "where": ""})
            continue
        nid = "note:" + ev["note"]
        title = graph.nodes[nid]["name"] if nid in graph else ev["note"]
        out.append({"quote": ev["quote"], "rule": ev.get("rule", ""),
                    "href": rel(page, layout.note(ev["note"])) + f"#L{ev['line']}",
                    "where": f"{title}:{ev['line']}"})
    return out


def entity_view(graph: nx.MultiDiGraph, node: str, layout: Layout) -> dict[str, Any]:
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
            if rel_type == "alternative-to":
                direction_key = "out"
            else:
                direction_key = direction
            groups[(rel_type, direction_key)].append({
                "name": od["name"], "href": rel(page, layout.entity(other, od["kind"])),
                "evidence": _evidence(page, layout, graph, edata["evidence"]),
            })
    relations = []
    for rel_type in RELATION_ORDER:
        for direction in ("out", "in"):
            items = groups.get((rel_type, direction))
            if items:
                relations.append({"type": rel_type, "direction": direction,
                                  "label": RELATION_LABELS[(rel_type, direction)],
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
    return {
        "id": node, "name": data["name"], "kind": data["kind"], "kind_label": KIND_LABELS[data["kind"]],
        "category": data.get("category", ""), "description": data.get("description", ""),
        "aliases": [a for a in data.get("aliases", []) if a != data["name"]],
        "parent": ({"name": graph.nodes[parent]["name"],
                    "href": rel(page, layout.entity(parent, graph.nodes[parent]["kind"]))}
                   if parent and parent in graph else None),
        "definitions": _evidence(page, layout, graph, data.get("definitions", [])),
        "relations": relations, "notes": notes,
        "map_href": rel(page, layout.index("map.md")) + "#" + node,
    }


def index_view(graph: nx.MultiDiGraph, kind: str, layout: Layout, page: str) -> dict[str, Any]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for n in entity_nodes(graph):
        d = graph.nodes[n]
        if d["kind"] != kind:
            continue
        degree = sum(1 for *_, k in graph.edges(n, keys=True) if k in RELATION_ORDER) + sum(
            1 for *_, k in graph.in_edges(n, keys=True) if k in RELATION_ORDER)
        groups[d.get("category") or "その他"].append({
            "name": d["name"], "href": rel(page, layout.entity(n, kind)),
            "aliases": [a for a in d.get("aliases", []) if a != d["name"]][:6],
            "notes": len(d.get("notes", [])), "relations": degree})
    return {"groups": [{"category": c, "items": groups[c]} for c in sorted(groups)],
            "count": sum(len(v) for v in groups.values())}


def relations_view(graph: nx.MultiDiGraph, layout: Layout, page: str) -> list[dict[str, Any]]:
    rows = []
    for s, t, k, d in graph.edges(keys=True, data=True):
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
