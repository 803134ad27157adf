"""The edited note's page, drawn before the rest of a serve rebuild.

A save under ``kgsite serve`` rebuilds the graph, the pages the edit changed and
MkDocs' pass over them: about 3 s at 1,000 notes. The page the user is editing is
drawn first from the last build and the note's new text (:mod:`graph.preview`), shown,
and then replaced by the full rebuild's, which is the same page unless the edit
changed the terms themselves.

Only for a note whose page already exists and whose front matter (title, tags) is the
same: anything else changes other pages' navigation or listings, and waits for the
full rebuild.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.notehtml import note_html
from generator.notepage import render_note
from generator.pipeline import Built
from generator.prerender import Prerendered
from generator.site import note_lookup
from graph.document import parse_document
from graph.loading import read_note
from graph.model import RawNote
from graph.preview import preview_graph


@dataclass(frozen=True)
class NotePreview:
    page: str  # the generated page (docs-relative .md)
    prerendered: Prerendered


def note_preview(built: Built, note: Path, notes_dir: Path) -> NotePreview | None:
    """``note``'s page as the full rebuild will most likely draw it, or None when this
    edit cannot be previewed (see the module's docstring)."""
    opts = built.options
    if opts is None or note.suffix.lower() != ".md" or not note.is_file():
        return None
    try:
        raw = read_note(note, notes_dir)
    except (OSError, ValueError):
        return None
    if not isinstance(raw, RawNote):
        return None  # unreadable: the full rebuild says why
    layout = opts.layout
    page = layout.note(raw.path)
    if page == layout.index(f"{layout.notes_dir}/index.md") or page not in built.site.pages:
        return None
    doc = parse_document(raw)
    graph = preview_graph(built.result, doc)
    if graph is None:
        return None
    docs = [doc if d.path == doc.path else d for d in built.result.documents]
    drawn = render_note(doc, raw.text, graph, layout, note_lookup(docs), set(built.vault_files), [], page,
                        opts.use_directory_urls)
    if drawn.front_matter != built.site.pages[page]:
        return None
    body = note_html(drawn.body, page, opts.use_directory_urls, drawn.marks)
    return NotePreview(page, Prerendered.of(body))
