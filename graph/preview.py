"""One edited note's mentions, found before the whole graph is built again.

Why: under ``kgsite serve`` a save rebuilds the graph of every note (about a second at
1,000 notes), then every page the edit changed, then MkDocs' pass over them: seconds
before the page being edited shows the edit. That one page needs far less: the note's
new text and the mentions in it. Those are the hits of the last build's matcher on the
entities the last graph has, which is what the full build finds too, unless the edit
changes the entities themselves (a new term, a new spelling, a term that now gets a
page). The full build follows at once and replaces the preview in every case.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import networkx as nx

from graph.build import BuildResult, note_id
from graph.model import Document


def preview_graph(result: BuildResult, doc: Document) -> nx.MultiDiGraph | None:
    """The last build's terms, with ``doc``'s mentions found in its new text (the only
    edges this graph has). None when ``result`` kept no matcher."""
    if result.matcher is None:
        return None
    last = result.graph
    graph = nx.MultiDiGraph()
    graph.graph.update(last.graph)  # read only: the values are the last build's
    graph.add_nodes_from(last.nodes(data=True))
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for block in doc.blocks:
        if block.kind == "code":
            continue
        for hit in result.matcher.find(block.text):
            if hit.entity in last and last.nodes[hit.entity].get("kind") != "note":
                found[hit.entity].append({"note": doc.path, "line": block.line, "quote": hit.surface,
                                          "rule": "mention"})
    nid = note_id(doc.path)
    for eid in sorted(found):
        graph.add_edge(nid, eid, key="mentions", relation="mentions", evidence=found[eid])
    return graph
