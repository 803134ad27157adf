"""What a build changed since the previous one: the note-taker's feedback loop.

After editing a note the user wants to know what kgsite made of it: which entities and
relations appeared or vanished, which spellings were merged, which new problems were
found. A :class:`Snapshot` of the graph is kept after each build (in memory while
serving, as JSON in the cache folder between builds) and compared with the next one.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

SNAPSHOT_FILE = "last-build.json"
CHANGES_FILE = "changes.json"
SHOWN = 12  # items per list printed on the console; the JSON has them all


@dataclass(frozen=True)
class Snapshot:
    nodes: tuple[str, ...]
    edges: tuple[str, ...]
    merges: tuple[str, ...]
    diagnostics: tuple[str, ...]

    @classmethod
    def of(cls, graph: nx.MultiDiGraph, diagnostics: list[str]) -> Snapshot:
        nodes = sorted(str(n) for n in graph.nodes)
        edges = sorted(f"{s} --{k}--> {t}" for s, t, k in graph.edges(keys=True))
        merges = sorted(f"{m['surface']} -> {m['entity']} ({m['reason']})" for m in graph.graph.get("merges", []))
        return cls(tuple(nodes), tuple(edges), tuple(merges), tuple(sorted(set(diagnostics))))

    def to_json(self) -> dict[str, list[str]]:
        return {"nodes": list(self.nodes), "edges": list(self.edges), "merges": list(self.merges),
                "diagnostics": list(self.diagnostics)}

    @classmethod
    def load(cls, path: Path) -> Snapshot | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            return cls(*(tuple(str(x) for x in data[k]) for k in ("nodes", "edges", "merges", "diagnostics")))
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class Changes:
    first_build: bool
    nodes_added: tuple[str, ...] = ()
    nodes_removed: tuple[str, ...] = ()
    edges_added: tuple[str, ...] = ()
    edges_removed: tuple[str, ...] = ()
    merges_added: tuple[str, ...] = ()
    diagnostics_added: tuple[str, ...] = ()
    diagnostics_fixed: tuple[str, ...] = ()
    reparsed: tuple[str, ...] = ()
    pages_written: int = 0
    pages_unchanged: int = 0

    @property
    def empty(self) -> bool:
        return not any((self.nodes_added, self.nodes_removed, self.edges_added, self.edges_removed,
                        self.merges_added, self.diagnostics_added, self.diagnostics_fixed))

    def to_json(self) -> dict[str, Any]:
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items()}

    def lines(self) -> list[str]:
        """The console report."""
        if self.first_build:
            head = [f"kgsite: first build: {len(self.nodes_added)} nodes, {len(self.edges_added)} edges, "
                    f"{len(self.merges_added)} merges, {len(self.diagnostics_added)} diagnostics"]
            return head
        if self.empty:
            return [f"kgsite: no change to the graph (re-parsed {len(self.reparsed)} note(s))"]
        out = [f"kgsite: changes since the previous build (re-parsed {len(self.reparsed)} note(s)):"]
        for label, items in (("+ node", self.nodes_added), ("- node", self.nodes_removed),
                             ("+ edge", self.edges_added), ("- edge", self.edges_removed),
                             ("+ merge", self.merges_added), ("+ problem", self.diagnostics_added),
                             ("✓ fixed", self.diagnostics_fixed)):
            for item in items[:SHOWN]:
                out.append(f"  {label}: {item}")
            if len(items) > SHOWN:
                out.append(f"  {label}: … and {len(items) - SHOWN} more")
        return out


def compare(before: Snapshot | None, after: Snapshot, reparsed: tuple[str, ...] = ()) -> Changes:
    if before is None:
        return Changes(True, after.nodes, (), after.edges, (), after.merges, after.diagnostics, (), reparsed)

    def diff(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(sorted(set(a) - set(b)))

    return Changes(False, diff(after.nodes, before.nodes), diff(before.nodes, after.nodes),
                   diff(after.edges, before.edges), diff(before.edges, after.edges),
                   diff(after.merges, before.merges), diff(after.diagnostics, before.diagnostics),
                   diff(before.diagnostics, after.diagnostics), reparsed)


def write_json(path: Path, data: object) -> None:
    """Atomically (a crash leaves the old file, never half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        json.dump(data, fh, ensure_ascii=False, indent=1, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)
