"""The interactive map: a pyvis network with a precomputed, seeded layout.

pyvis builds the node and edge records (we add them directly: ``from_nx`` is quadratic
in the number of edges); we never call its ``write_html``/``show`` (they copy files into
the working directory and load CDN assets). The records go to a JS data file rendered
by our own script, with the vis-network build that the pyvis wheel ships, so the site
works offline.
"""

from __future__ import annotations

import importlib.util
import math
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import networkx as nx

from generator.adjacency import degree
from generator.pagecache import PageCache, digest
from generator.paths import Layout
from generator.render import json_for_html

if TYPE_CHECKING:
    from pyvis.network import Network

#: Fixed-size shapes with the label beneath: labels drawn inside boxes grow the boxes and
#: make hundreds of nodes overlap; these keep the overview readable.
KIND_SHAPES = {"service": "square", "concept": "dot", "note": "diamond"}
CATEGORY_COLORS = [
    "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
    "#9c755f", "#bab0ac", "#1f77b4", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#17becf",
]
RELATION_STYLES: dict[str, dict[str, Any]] = {
    "uses": {"color": "#4e79a7", "arrows": "to", "dashes": False},
    "monitors": {"color": "#e15759", "arrows": "to", "dashes": False},
    "alternative-to": {"color": "#59a14f", "arrows": "", "dashes": True},
    "part-of": {"color": "#9c755f", "arrows": "to", "dashes": [2, 4]},
    "mentions": {"color": "#bab0ac", "arrows": "", "dashes": [1, 3]},
}
MAP_RELATIONS = tuple(RELATION_STYLES)


VIS_VERSION = "9.1.2"


def _vis_file(name: str) -> bytes:
    """A file of the vis-network build shipped inside the pyvis wheel (no CDN): the
    version pyvis 0.3.2 itself uses, else the newest one the wheel carries. The package is
    found, not imported: importing it brings IPython (0.15 s of the build's one-core part)."""
    spec = importlib.util.find_spec("pyvis")
    where = list(spec.submodule_search_locations or []) if spec is not None else []
    if not where:
        raise FileNotFoundError("the pyvis package is not installed; install pyvis>=0.3.2.")
    base = Path(where[0]) / "lib"
    preferred = base / f"vis-{VIS_VERSION}" / name
    if preferred.is_file():
        return preferred.read_bytes()
    for candidate in sorted(base.glob(f"vis-*/{name}"), reverse=True):
        return candidate.read_bytes()
    raise FileNotFoundError(f"{name} not found in the pyvis package; reinstall pyvis>=0.3.2.")


def vis_network_js() -> bytes:
    return _vis_file("vis-network.min.js")


def vis_network_css() -> bytes:
    return _vis_file("vis-network.css")


def static_asset(name: str) -> bytes:
    return (resources.files("generator") / "assets" / name).read_bytes()


def compute_layout(graph: nx.MultiDiGraph, previous: dict[str, tuple[float, float]] | None = None,
                   seed: int = 7, cache: PageCache | None = None) -> dict[str, tuple[float, float]]:
    """Deterministic positions, reusing the previous build's; see :func:`generator.layout.layout`.

    ``cache``: a build without previous positions (a plain build) takes the last build's
    layout when the graph's nodes and edges are the same (the layout reads nothing else)."""
    # imported here: NumPy takes a tenth of a second to load, and a first build of a large
    # vault computes the layout in a forked child (generator.site)
    from generator.layout import layout, problem, solve

    if cache is None or previous:
        return layout(graph, previous, seed)
    nodes, edges = problem(graph)
    key = digest((seed, nodes, edges.tobytes()))
    kept = cache.load_named("layout")
    if isinstance(kept, tuple) and len(kept) == 2 and kept[0] == key and isinstance(kept[1], dict):
        return cast(dict[str, tuple[float, float]], kept[1])
    placed = solve(nodes, edges, seed)
    cache.store_named("layout", (key, placed))
    return placed


def _ring(i: int, n: int) -> tuple[float, float]:
    angle = 2 * math.pi * i / max(n, 1)
    return (math.cos(angle), math.sin(angle))


def category_colors(graph: nx.MultiDiGraph) -> dict[str, str]:
    """A colour per category, by its place among every category the vocabulary knows
    (``graph.graph["categories"]``), not only those the notes use: a note that brings the
    first term of a category, or removes the last, moves no other category's colour (the
    map, and every term page's local graph, would change colour)."""
    present = {str(d.get("category") or "") for _, d in graph.nodes(data=True)}
    cats = sorted(present | set(graph.graph.get("categories", ())))
    return {c: CATEGORY_COLORS[i % len(CATEGORY_COLORS)] for i, c in enumerate(cats)}


def _node_spec(graph: nx.MultiDiGraph, node: str, layout: Layout, positions: dict[str, tuple[float, float]],
               colors: dict[str, str]) -> tuple[str, tuple[tuple[str, Any], ...]]:
    """What the map shows of a node: pyvis ``add_node`` arguments, as a hashable value."""
    d = graph.nodes[node]
    kind = d["kind"]
    x, y = positions.get(node, (0.0, 0.0))
    page = layout.note(d["path"]) if kind == "note" else layout.entity(node, kind)
    # plain text only: the browser script sets it as text, never as HTML
    title = f"{d['name']}\n{kind} · {d.get('category', '')}"
    aliases = tuple(sorted({*map(str, d.get("aliases", [])), *map(str, d.get("vocabulary_aliases", []))}))
    return node, (("label", str(d["name"])), ("title", title), ("x", x), ("y", y), ("shape", KIND_SHAPES[kind]),
                  ("color", colors[str(d.get("category") or "")]), ("size", 10 + min(30, degree(graph, node))),
                  ("kind", kind), ("category", str(d.get("category") or "")), ("aliases", aliases),
                  ("url", page.removesuffix(".md")), ("physics", False))


def _map_edges(graph: nx.MultiDiGraph) -> list[tuple[str, str, str]]:
    """The edges the map draws, in the order of ``sorted(graph.edges(keys=True))``: each
    node's few ends sorted instead of all 26,000 edges of 1,000 notes, read from the
    adjacency's own dicts (:mod:`generator.adjacency`)."""
    succ: dict[str, dict[str, dict[str, Any]]] = graph._succ
    out: list[tuple[str, str, str]] = []
    add = out.append
    for s in sorted(succ):
        ends = succ[s]
        for t in sorted(ends):
            keyed = ends[t]
            for k in sorted(keyed) if len(keyed) > 1 else keyed:
                if k in RELATION_STYLES:
                    add((s, t, k))
    return out


def _edge_options(net: Network, s: str, t: str, k: str) -> dict[str, Any]:
    from pyvis.edge import Edge

    style = RELATION_STYLES[k]
    return Edge(s, t, net.directed, relation=k, color=style["color"], arrows=style["arrows"],  # type: ignore[no-any-return]
                dashes=style["dashes"], title=k).options


class _EdgeJson:
    """An edge's JSON as ``json_for_html(_edge_options(net, s, t, k))`` writes it, from pyvis's
    options for the relation ``k`` with its two ends left open: edges of one relation differ
    in nothing else (a JSON object's keys are sorted, so the ends always sit in the same
    place). One ``json.dumps`` per relation and per node instead of one per edge: the map's
    data at 1,000 notes (26,000 edges) took 0.26 s, now 0.12 s."""

    OPEN = ("\0kgsite-from\0", "\0kgsite-to\0")

    def __init__(self, net: Network) -> None:
        self.net = net
        self.templates: dict[str, tuple[str, str, str]] = {}
        self.ids: dict[str, str] = {}

    def _id(self, node: str) -> str:
        done = self.ids.get(node)
        if done is None:
            done = self.ids[node] = json_for_html(node)
        return done

    def __call__(self, s: str, t: str, k: str) -> str:
        parts = self.templates.get(k)
        if parts is None:
            whole = json_for_html(_edge_options(self.net, *self.OPEN, k))
            head, _, rest = whole.partition(json_for_html(self.OPEN[0]))
            middle, _, tail = rest.partition(json_for_html(self.OPEN[1]))
            parts = self.templates[k] = (head, middle, tail)
        return f"{parts[0]}{self._id(s)}{parts[1]}{self._id(t)}{parts[2]}"


def _network() -> Network:
    # imported here: pyvis brings IPython (about 0.4 s), paid where the map is drawn (a
    # worker process, for a large vault), not by every process that imports kgsite
    from pyvis.network import Network

    return Network(directed=True, cdn_resources="remote")


#: while serving: each node's and edge's JSON in the last map, by everything it shows
MapMemo = dict[object, str]


def graph_data_js(graph: nx.MultiDiGraph, layout: Layout, positions: dict[str, tuple[float, float]],
                  memo: MapMemo | None = None) -> str:
    """The map's data script: pyvis's node and edge options as JSON.

    ``memo`` (kept while serving): an edit changes a few nodes and edges of thousands, so
    each node's and edge's JSON is taken from the last build when what it shows is
    unchanged (a list of JSON objects is its items' JSON joined: the same bytes).
    """
    net = _network()
    colors = category_colors(graph)
    kept: MapMemo = memo if memo is not None else {}
    fresh: MapMemo = {}
    node_parts = []
    for node in sorted(graph.nodes):
        spec = _node_spec(graph, node, layout, positions, colors)
        part = kept.get(spec)
        if part is None:
            n_id, args = spec
            # Network.add_node scans the node list for the id: only new and changed nodes pay it
            net.add_node(n_id, **{k: list(v) if k == "aliases" else v for k, v in args})
            part = json_for_html(net.nodes[-1])
        fresh[spec] = part
        node_parts.append(part)
    edge_parts = []
    # (edges are appended as Network.add_edge would, without its scan of the node list for
    # both ends of every edge: quadratic, seconds at a thousand notes)
    edge_json = _EdgeJson(net)
    for s, t, k in _map_edges(graph):
        part = kept.get((s, t, k))
        if part is None:
            part = edge_json(s, t, k)
        fresh[(s, t, k)] = part
        edge_parts.append(part)
    if memo is not None:
        memo.clear()
        memo.update(fresh)
    # the payload's keys in sorted order, as json_for_html writes a dict
    categories = json_for_html([{"name": c or "—", "color": col} for c, col in sorted(colors.items())])
    relations = json_for_html([{"name": r, **RELATION_STYLES[r]} for r in MAP_RELATIONS])
    # no literal "<", ">" or "&": the data can never close a script element or open a tag
    return (f'window.KGSITE_GRAPH = {{"categories":{categories},"edges":[{",".join(edge_parts)}],'
            f'"nodes":[{",".join(node_parts)}],"relations":{relations}}};\n')
