"""Each rule of relation extraction, as sentences in and triples out (tests/graph/cases)."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import networkx as nx
import pytest
import yaml

from graph.build import build_from_notes
from graph.model import RawNote
from graph.vocabulary import load_vocabulary

CASES: list[dict[str, Any]] = yaml.safe_load((Path(__file__).parent / "cases" / "relations.yml").read_text("utf-8"))


def _graph(text: str) -> nx.MultiDiGraph:
    note = RawNote("case.md", text, hashlib.sha256(text.encode()).hexdigest())
    return build_from_notes([note], load_vocabulary()).graph


def _node(g: nx.MultiDiGraph, name: str) -> str | None:
    from graph.textkey import key

    want = key(name)
    for n, d in g.nodes(data=True):
        if d.get("kind") == "note":
            continue
        if want in {key(a) for a in [d["name"], *d.get("aliases", [])]}:
            return str(n)
    return None


def _has(g: nx.MultiDiGraph, src: str, rel: str, dst: str) -> bool:
    s, t = _node(g, src), _node(g, dst)
    if s is None or t is None:
        return False
    if g.has_edge(s, t, key=rel):
        return True
    return rel == "alternative-to" and g.has_edge(t, s, key=rel)


def _edges(g: nx.MultiDiGraph) -> list[str]:
    return sorted(f"{g.nodes[s]['name']} -{k}-> {g.nodes[t]['name']}" for s, t, k in g.edges(keys=True)
                  if k not in ("mentions", "links-to"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_relation_case(case: dict[str, Any]) -> None:
    g = _graph(case["note"])
    for src, rel, dst in case.get("expect", []):
        assert _has(g, src, rel, dst), f"missing {src} -{rel}-> {dst}; got {_edges(g)}"
    for src, rel, dst in case.get("forbid", []):
        assert not _has(g, src, rel, dst), f"unexpected {src} -{rel}-> {dst}"


def test_every_edge_keeps_note_line_quote_and_rule() -> None:
    g = _graph(CASES[0]["note"])
    edges = [d for _, _, k, d in g.edges(keys=True, data=True) if k == "uses"]
    assert edges
    ev = edges[0]["evidence"][0]
    assert ev["note"] == "case.md" and ev["line"] == 2 and "CloudWatch" in ev["quote"] and ev["rule"]
