"""kgsite's knowledge-graph builder: notes in, ``networkx.MultiDiGraph`` out.

It knows nothing of HTML, Jinja, pyvis or MkDocs; :mod:`generator` builds on it.

The names below are imported when first used: ``kgsite build`` starts parsing notes
(:mod:`graph.headstart`) before it loads NetworkX and MkDocs, and importing this package
must not load them first.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graph.build import BuildResult, ParseCache, build_from_notes, build_graph, note_id
    from graph.export import node_link, to_json
    from graph.vocabulary import Vocabulary, VocabularyError, load_vocabulary

    node_id_of = note_id

__all__ = ["BuildResult", "ParseCache", "Vocabulary", "VocabularyError", "build_from_notes", "build_graph",
           "load_vocabulary", "node_id_of", "node_link", "note_id", "to_json"]

_FROM = {"BuildResult": "graph.build", "ParseCache": "graph.build", "build_from_notes": "graph.build",
         "build_graph": "graph.build", "note_id": "graph.build", "node_id_of": "graph.build",
         "node_link": "graph.export", "to_json": "graph.export", "Vocabulary": "graph.vocabulary",
         "VocabularyError": "graph.vocabulary", "load_vocabulary": "graph.vocabulary"}


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module 'graph' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), "note_id" if name == "node_id_of" else name)
    globals()[name] = value
    return value
