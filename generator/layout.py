"""A scalable, deterministic and stable map layout (numpy + scipy, no browser physics).

Why not ``networkx.spring_layout``: it computes all n² repulsions per iteration (about 5 s
for 1,000 nodes and over a minute for 5,000 on a 2-core machine). Here repulsion is split
Barnes-Hut style into

* a near field: exact Fruchterman-Reingold repulsion for pairs closer than ``NEAR`` ideal
  edge lengths, found with a k-d tree (``scipy.spatial.cKDTree.query_pairs``), and
* a far field: every node is pushed by the centroids of a coarse ``GRID`` x ``GRID`` grid
  of cells, weighted by the number of nodes in each cell and softened by the cell size,

so one iteration costs O(n log n + n·GRID²) instead of O(n²). A weak gravity keeps
disconnected components packed around the main one instead of drifting away.

Same input, same output: the random start is seeded and sorted by node id, every sum is
a ``numpy.bincount`` in a fixed order, and coordinates are rounded to one decimal, so the
map's data file is byte-stable.

Stable across edits: nodes found in ``previous`` keep exactly their previous position
(they are pinned); only new nodes are placed, first at the mean of their placed
neighbours, then relaxed by the same forces. Removing or adding a note therefore never
reshuffles the map a reader has learnt.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from itertools import chain
from typing import Any

import numpy as np

Position = tuple[float, float]

SCALE = 100.0
"""Screen units (vis-network pixels at zoom 1) per ideal edge length, for a sparse graph."""
SPACING = 60.0
"""Wanted distance between a node and its nearest neighbour, in screen units.

Denser graphs pull nodes closer (in ideal edge lengths), so :func:`unit` grows with
the number of edges per node; otherwise a vault where every note mentions twenty
services is drawn as one overlapping blob."""
NEAR = 2.0
"""Exact repulsion radius, in ideal edge lengths (the classic grid variant of FR uses 2k)."""
NEAR_SPACINGS = 2.5
"""...but at most this many median nearest-neighbour distances: about 20 neighbours each."""
GRID = 10
"""Far-field grid resolution: GRID² cell centroids push every node."""
GRAVITY = 0.3
"""Pull towards the centre relative to one edge's spring; packs separate components."""


def layout(graph: Any, previous: Mapping[str, Position] | None = None, seed: int = 7,
           iterations: int | None = None) -> dict[str, Position]:
    """Positions ``{node id: (x, y)}`` for every node of ``graph`` (a networkx graph of any kind).

    ``previous`` is the result of an earlier call (for example the previous build while
    serving): nodes that still exist keep exactly those coordinates, so the map does not
    reshuffle after an edit; new nodes are placed near their neighbours. Edges are taken
    as undirected and parallel edges count once. Coordinates are finite floats rounded to
    one decimal, in vis-network units (see :func:`unit`). Deterministic:
    the same graph, ``previous`` and ``seed`` give the same result. Scales to thousands of
    nodes (5,000 nodes in about a second).
    """
    nodes = sorted(str(n) for n in graph.nodes)
    if previous and all(_finite(previous.get(n)) for n in nodes):
        # nothing to place (an edit that brought no new term): every node stays where it was
        return {n: (float(previous[n][0]), float(previous[n][1])) for n in nodes}
    return _positions(nodes, _graph_edges(graph, nodes), previous or {}, seed, iterations)


def problem(graph: Any) -> tuple[list[str], np.ndarray]:
    """Everything of ``graph`` that :func:`layout` reads: its sorted node ids and its edges
    as sorted index pairs. Equal problems (and ``previous``, ``seed``) give equal layouts;
    :func:`solve` lays one out."""
    nodes = sorted(str(n) for n in graph.nodes)
    return nodes, _graph_edges(graph, nodes)


def solve(nodes: list[str], edges: np.ndarray, seed: int = 7) -> dict[str, Position]:
    """:func:`layout` without previous positions, of a :func:`problem`."""
    return _positions(nodes, edges, {}, seed, None)


def _graph_edges(graph: Any, nodes: list[str]) -> np.ndarray:
    # the adjacency view lists each neighbour once however many parallel edges there are
    return _edge_pairs(nodes, ((str(s), str(t)) for s, nbrs in graph.adj.items() for t in nbrs))


def layout_edges(nodes: Iterable[Hashable], edges: Iterable[tuple[Hashable, Hashable]],
                 previous: Mapping[str, Position] | None = None, seed: int = 7,
                 iterations: int | None = None) -> dict[str, Position]:
    """:func:`layout` for a plain node list and edge list (used by the benchmarks)."""
    names = sorted({str(n) for n in nodes})
    pairs = _edge_pairs(names, ((str(s), str(t)) for s, t in edges))
    return _positions(names, pairs, previous or {}, seed, iterations)


def _edge_pairs(nodes: list[str], edges: Iterable[tuple[str, str]]) -> np.ndarray:
    index = {n: i for i, n in enumerate(nodes)}
    pairs = {(min(a, b), max(a, b)) for s, t in edges
             if (a := index.get(s)) is not None and (b := index.get(t)) is not None and a != b}
    if not pairs:
        return np.zeros((0, 2), dtype=np.int64)
    return np.array(sorted(pairs), dtype=np.int64)


def _positions(nodes: list[str], edges: np.ndarray, previous: Mapping[str, Position], seed: int,
               iterations: int | None) -> dict[str, Position]:
    n = len(nodes)
    if n == 0:
        return {}
    pinned = np.array([_finite(previous.get(name)) for name in nodes], dtype=bool)
    scale = unit(n, len(edges))
    xy = _initial(nodes, edges, previous, pinned, seed, scale)
    if not pinned.all():
        fresh = not pinned.any()
        steps = iterations if iterations is not None else _default_iterations(n) if fresh else 50
        # a fresh map starts hot; a few new nodes among pinned ones only need local moves
        start = math.sqrt(n) * 0.1 if fresh else 1.0
        _relax(xy, edges, ~pinned, steps, start)
    out: dict[str, Position] = {}
    for i, name in enumerate(nodes):
        if pinned[i]:
            px, py = previous[name]
            out[name] = (float(px), float(py))
        else:
            out[name] = (_round(xy[i, 0] * scale), _round(xy[i, 1] * scale))
    return out


def _default_iterations(n: int) -> int:
    return 200 if n <= 2000 else 100


def _finite(p: Position | None) -> bool:
    return p is not None and len(p) == 2 and all(isinstance(v, int | float) and math.isfinite(v) for v in p)


def _round(v: float) -> float:
    r = round(float(v), 1)
    return r + 0.0  # never "-0.0"


def unit(nodes: int, edges: int) -> float:
    """Screen units per ideal edge length: ``SCALE``, more for dense graphs.

    Measured on force layouts here, the median nearest-neighbour distance is about
    ``(1 + edges/nodes) ** -0.7`` ideal edge lengths (1.0 for a sparse graph, 0.15 for
    a kgsite vault of 1,000 notes), so this keeps it near ``SPACING`` screen units. A
    function of the counts only: an edit changes it a little, never reshuffles.
    """
    density = edges / max(nodes, 1)
    return max(SCALE, SPACING * float((1.0 + density) ** 0.7))


def _initial(nodes: list[str], edges: np.ndarray, previous: Mapping[str, Position], pinned: np.ndarray,
             seed: int, scale: float) -> np.ndarray:
    """Pinned nodes where they were; new nodes near their placed neighbours, else random."""
    n = len(nodes)
    rng = np.random.default_rng(seed)
    radius = math.sqrt(n) * 0.5
    angle = rng.uniform(0.0, 2 * math.pi, n)
    dist = radius * np.sqrt(rng.uniform(0.0, 1.0, n))
    xy = np.column_stack((dist * np.cos(angle), dist * np.sin(angle)))
    jitter = rng.normal(0.0, 0.3, (n, 2))
    if not pinned.any():
        return xy
    for i in np.flatnonzero(pinned).tolist():
        px, py = previous[nodes[i]]
        xy[i] = (px / scale, py / scale)
    placed = pinned.copy()
    adjacency: list[list[int]] = [[] for _ in range(n)]
    for a, b in edges.tolist():
        adjacency[a].append(b)
        adjacency[b].append(a)
    centre = xy[pinned].mean(axis=0)
    spread = float(np.sqrt(((xy[pinned] - centre) ** 2).sum(axis=1).mean())) if pinned.sum() > 1 else 1.0
    # breadth-first from the placed nodes: each new node starts by its placed neighbours
    frontier = [i for i in range(n) if not placed[i] and any(placed[j] for j in adjacency[i])]
    while frontier:
        nxt: list[int] = []
        for i in frontier:
            if placed[i]:
                continue
            near = [j for j in adjacency[i] if placed[j]]
            xy[i] = xy[near].mean(axis=0) + jitter[i]
            placed[i] = True
        for i in frontier:
            nxt.extend(j for j in adjacency[i] if not placed[j])
        frontier = sorted(set(nxt))
    lonely = np.flatnonzero(~placed).tolist()
    if len(lonely):
        # unconnected new nodes: a ring just outside the existing map
        ring = spread * 1.2 + 1.0
        for rank, i in enumerate(lonely):
            a = 2 * math.pi * rank / len(lonely)
            xy[i] = centre + ring * np.array((math.cos(a), math.sin(a)))
    return xy


def _relax(xy: np.ndarray, edges: np.ndarray, movable: np.ndarray, steps: int, start: float) -> None:
    """Fruchterman-Reingold with a k-d tree near field and a grid far field, in place (k = 1).

    Positions are handled as complex numbers (x + iy) inside the loop: half the numpy
    calls of separate x and y arrays, which matters at 5,000 nodes.
    """
    n = len(xy)
    z = xy[:, 0] + 1j * xy[:, 1]
    src, dst = (edges[:, 0], edges[:, 1]) if len(edges) else (np.zeros(0, np.int64), np.zeros(0, np.int64))
    degree = np.bincount(np.concatenate((src, dst)), minlength=n).astype(float)
    gravity = GRAVITY * (1.0 + degree)
    still = ~movable
    rows = np.flatnonzero(movable)
    # a few new nodes among pinned ones (an edit while serving): forces on those rows only
    few = len(rows) * 4 < n
    if few:
        touching = movable[src] | movable[dst]
        src, dst = src[touching], dst[touching]
    from scipy.spatial import cKDTree  # here: scipy takes about 0.5 s to import

    for step in range(steps):
        temperature = start * (1.0 - step / steps) + 0.01
        # near field: exact repulsion k²/d along the pair, for pairs closer than NEAR ideal edge
        # lengths, or than a few node spacings where a dense graph packs nodes tighter
        # (else every node has hundreds of "near" neighbours and a step costs O(n²) again)
        tree = cKDTree(np.column_stack((z.real, z.imag)))
        if step == 0 or not few:  # pinned nodes dominate the spacing of a few-node relaxation
            spacing = float(np.median(tree.query(tree.data, k=2)[0][:, 1])) if n > 1 else NEAR
            radius = min(NEAR, NEAR_SPACINGS * spacing)
        if few:
            disp = np.zeros(n, dtype=complex)
            disp[rows] = _far_field(z, rows)
            near = tree.query_ball_point(tree.data[rows], radius)
            i = np.repeat(rows, [len(x) for x in near])
            j = np.fromiter(chain.from_iterable(near), dtype=np.int64, count=len(i))
            i, j = i[i != j], j[i != j]
            if len(i):
                delta = z[i] - z[j]
                disp += _scatter(i, delta / np.maximum(delta.real ** 2 + delta.imag ** 2, 1e-4), n)
            pairs = np.zeros((0, 2), dtype=np.int64)
        else:
            disp = _far_field(z)
            pairs = tree.query_pairs(radius, output_type="ndarray")
        if len(pairs):
            i, j = pairs[:, 0], pairs[:, 1]
            delta = z[i] - z[j]
            f = delta / np.maximum(delta.real ** 2 + delta.imag ** 2, 1e-4)
            disp += _scatter(i, f, n) - _scatter(j, f, n)
        # springs: d²/k along each edge
        if len(src):
            delta = z[dst] - z[src]
            f = delta * np.abs(delta)
            disp += _scatter(src, f, n) - _scatter(dst, f, n)
        disp -= gravity * (z - z.mean())
        length = np.abs(disp)
        disp *= np.minimum(length, temperature) / np.maximum(length, 1e-12)
        disp[still] = 0
        z += disp
    xy[:, 0] = z.real
    xy[:, 1] = z.imag


def _scatter(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Sum complex ``values`` per node index (a fixed-order, deterministic scatter-add)."""
    return np.bincount(index, values.real, minlength=n) + 1j * np.bincount(index, values.imag, minlength=n)


def _far_field(z: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
    """Repulsion of every node by the GRID² cell centroids, each weighted by its node count.

    Softened by the cell size so that a node's own and neighbouring cells (already
    handled exactly by the near field) add only a gentle push.
    """
    lo_x, lo_y = z.real.min(), z.imag.min()
    span_x = max(float(z.real.max() - lo_x), 1e-9)
    span_y = max(float(z.imag.max() - lo_y), 1e-9)
    cx = np.minimum(((z.real - lo_x) / span_x * GRID).astype(np.int64), GRID - 1)
    cy = np.minimum(((z.imag - lo_y) / span_y * GRID).astype(np.int64), GRID - 1)
    flat = cx * GRID + cy
    mass = np.bincount(flat, minlength=GRID * GRID).astype(float)
    full = mass > 0
    m = mass[full]
    centroid = (np.bincount(flat, z.real, minlength=GRID * GRID)[full]
                + 1j * np.bincount(flat, z.imag, minlength=GRID * GRID)[full]) / m
    soft = (max(span_x, span_y) / GRID) ** 2 + NEAR ** 2
    delta = (z if rows is None else z[rows])[:, None] - centroid[None, :]
    w = m[None, :] / (delta.real ** 2 + delta.imag ** 2 + soft)
    result: np.ndarray = (w * delta).sum(axis=1)
    return result
