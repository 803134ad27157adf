"""kgsite's knowledge-graph builder: notes in, ``networkx.MultiDiGraph`` out.

It knows nothing of HTML, Jinja, pyvis or MkDocs; :mod:`generator` builds on it.
"""

from graph.build import BuildResult, ParseCache, build_from_notes, build_graph, note_id
from graph.export import node_link, to_json
from graph.vocabulary import Vocabulary, VocabularyError, load_vocabulary

__all__ = ["BuildResult", "ParseCache", "Vocabulary", "VocabularyError", "build_from_notes", "build_graph",
           "load_vocabulary", "node_id_of", "node_link", "note_id", "to_json"]

node_id_of = note_id
