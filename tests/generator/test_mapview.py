"""The map's data script holds, for every edge, exactly the options pyvis gives it."""

from __future__ import annotations

import json

import networkx as nx
from pyvis.network import Network

from generator.mapview import MAP_RELATIONS, RELATION_STYLES, graph_data_js
from generator.paths import Layout

# ids a note or a term can have: quotes, a backslash, markup characters, a line separator
IDS = ["amazon-s3", 'say-"hi"', "back\\slash", "<script>&amp;", "過学習", "line\u2028break", "note:a b.md"]


def _graph() -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for i, node in enumerate(IDS):
        kind = "note" if node.startswith("note:") else ("service" if i % 2 else "concept")
        g.add_node(node, kind=kind, name=node, category="", path="a b.md")
    for i, s in enumerate(IDS):
        for j, t in enumerate(IDS):
            if s != t:
                g.add_edge(s, t, key=MAP_RELATIONS[(i + j) % len(MAP_RELATIONS)])
    g.add_edge(IDS[0], IDS[1], key="co-occurs")  # not a relation the map draws
    return g


def test_every_edge_carries_the_options_pyvis_gives_it_whatever_its_ends() -> None:
    g = _graph()
    data = graph_data_js(g, Layout(""), {n: (0.0, 0.0) for n in g.nodes})
    edges = json.loads(data[len("window.KGSITE_GRAPH = "):].rstrip().rstrip(";"))["edges"]
    net = Network(directed=True)
    for node in IDS:
        net.add_node(node)
    for s, t, k in sorted(g.edges(keys=True)):
        if k in MAP_RELATIONS:
            style = RELATION_STYLES[k]
            net.add_edge(s, t, relation=k, color=style["color"], arrows=style["arrows"], dashes=style["dashes"],
                         title=k)
    assert len(edges) == len(IDS) * (len(IDS) - 1)
    assert edges == net.edges
    # no markup character survives literally, whatever the ids hold
    assert not {"<", ">", "&"} & set(data)
