"""The map layout: every node placed, deterministic, stable across edits, and meaningful."""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx
import pytest

from generator.layout import SCALE, layout, layout_edges
from generator.mapview import compute_layout
from graph.build import build_graph


def two_cliques(size: int = 12) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    for side in "ab":
        names = [f"{side}{i:02d}" for i in range(size)]
        for i, s in enumerate(names):
            for t in names[i + 1:]:
                g.add_edge(s, t, key="uses")
    g.add_edge("a00", "b00", key="mentions")
    return g


def dist(p: tuple[float, float], q: tuple[float, float]) -> float:
    return math.hypot(p[0] - q[0], p[1] - q[1])


def test_every_node_gets_finite_rounded_coordinates(examples_dir: Path) -> None:
    graph = build_graph(examples_dir).graph
    pos = layout(graph)
    assert set(pos) == {str(n) for n in graph.nodes}
    for x, y in pos.values():
        assert math.isfinite(x) and math.isfinite(y)
        assert x == round(x, 1) and y == round(y, 1)
        assert str(x) != "-0.0" and str(y) != "-0.0"
    assert len(set(pos.values())) == len(pos), "two nodes drawn on the same spot"


def test_same_graph_same_positions_whatever_the_insertion_order() -> None:
    g = two_cliques()
    h = nx.MultiDiGraph()
    for s, t, k in reversed(list(g.edges(keys=True))):
        h.add_edge(s, t, key=k)
    assert layout(g) == layout(h)
    assert layout(g, seed=1) != layout(g, seed=2)


def test_linked_nodes_are_drawn_together() -> None:
    pos = layout(two_cliques())
    a = [p for n, p in pos.items() if n.startswith("a")]
    b = [p for n, p in pos.items() if n.startswith("b")]
    within = sum(dist(p, q) for grp in (a, b) for p in grp for q in grp) / (2 * len(a) ** 2)
    across = sum(dist(p, q) for p in a for q in b) / (len(a) * len(b))
    assert within < 0.6 * across


def test_previous_positions_are_kept_and_new_nodes_land_near_their_neighbours() -> None:
    g = two_cliques()
    before = layout(g)
    g.remove_node("a05")
    g.add_edge("new", "b03", key="uses")
    g.add_node("alone")
    after = layout(g, previous=before)
    assert set(after) == (set(before) - {"a05"}) | {"new", "alone"}
    assert all(after[n] == before[n] for n in after if n in before)
    def centre(side: str) -> tuple[float, float]:
        pts = [p for n, p in after.items() if n.startswith(side)]
        return (sum(p[0] for p in pts) / len(pts), sum(p[1] for p in pts) / len(pts))

    # the new node joins its neighbour's cluster, not the other one
    assert dist(after["new"], centre("b")) < dist(after["new"], centre("a"))
    assert all(math.isfinite(v) for p in after.values() for v in p)
    assert after == layout(g, previous=before)


def test_an_edit_that_adds_no_node_moves_nothing() -> None:
    g = two_cliques()
    before = layout(g)
    g.remove_node("a05")  # a note deleted, an edge dropped: every other node keeps its place
    g.add_edge("a01", "b01", key="uses")
    after = layout(g, previous=before)
    assert after == {n: p for n, p in before.items() if n != "a05"}
    assert all(type(v) is float for p in after.values() for v in p)


def test_unusable_previous_positions_are_ignored() -> None:
    g = two_cliques(4)
    bad = {"a00": (math.nan, 0.0), "a01": (math.inf, 1.0)}
    pos = layout(g, previous=bad)  # type: ignore[arg-type]
    assert all(math.isfinite(v) for p in pos.values() for v in p)


def test_components_stay_packed() -> None:
    g = nx.Graph()
    for c in range(30):
        g.add_edge(f"c{c}-x", f"c{c}-y")
    g.add_nodes_from(f"iso{i}" for i in range(30))
    pos = layout(g)
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    # 90 nodes spread over a disc of a few dozen edge lengths, not flung apart
    assert max(max(xs) - min(xs), max(ys) - min(ys)) < 40 * SCALE


def test_edge_list_entry_point_and_mapview_agree(examples_dir: Path) -> None:
    graph = build_graph(examples_dir).graph
    assert compute_layout(graph) == layout(graph)
    assert layout_edges(graph.nodes, graph.edges()) == layout(graph)


@pytest.mark.parametrize("n", [0, 1, 2])
def test_tiny_graphs(n: int) -> None:
    g = nx.path_graph(n)
    pos = layout(g)
    assert len(pos) == n
    assert all(math.isfinite(v) for p in pos.values() for v in p)
