"""The graph as networkx node-link JSON, the format ``score.py`` and the browser read."""

from __future__ import annotations

import json
from typing import Any

import networkx as nx


def node_link(graph: nx.MultiDiGraph) -> dict[str, Any]:
    data: dict[str, Any] = nx.node_link_data(graph, edges="edges")
    data["nodes"] = sorted(data["nodes"], key=lambda n: str(n["id"]))
    data["edges"] = sorted(data["edges"], key=lambda e: (str(e["source"]), str(e["target"]), str(e["key"])))
    return data


def to_json(graph: nx.MultiDiGraph) -> str:
    return json.dumps(node_link(graph), ensure_ascii=False, indent=1, sort_keys=True) + "\n"
