"""``kgsite serve`` rebuilds only the pages an edit changed.

MkDocs' full rebuild puts every page through the theme and the search indexer again,
seconds for a few hundred pages and most of a minute for a thousand notes, although an
edit to one note changes a handful of pages: the note, the entities whose mentions or
relations moved, the indexes. Serving runs MkDocs in its ``dirty`` mode, where a page
is rebuilt only when its file says it was modified; this module answers that question
for the pages we generate (their content changed since the last build of this serve
session) and mends what dirty mode leaves behind:

* the search index: MkDocs indexes only the rebuilt pages, and Material's own merge of
  the previous index keeps one page's old sections only, so we keep every page's
  entries and merge them ourselves;
* removed pages: dirty mode never cleans the site folder, so pages of deleted or
  renamed notes are deleted here.

Anything that can change every page (the navigation, the configuration, the set of
your own pages) makes the next build a full one. A plain ``kgsite build`` never uses
this module.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote


@dataclass
class ServeState:
    """What the previous build of one serve session produced."""

    shape: str = ""
    digests: dict[str, str] = field(default_factory=dict)
    dests: dict[str, str] = field(default_factory=dict)
    search_docs: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    rebuilt: set[str] = field(default_factory=set)


_STATES: dict[str, ServeState] = {}


def state(site_dir: str) -> ServeState:
    """The session's state; a serve session builds into one temporary folder throughout."""
    return _STATES.setdefault(str(Path(site_dir).resolve()), ServeState())


def digest(*parts: str) -> str:
    h = hashlib.sha256()
    for p in parts:
        h.update(p.encode("utf-8") + b"\0")
    return h.hexdigest()


def plan(st: ServeState, shape: str, pages: Mapping[str, str], dests: Mapping[str, str],
         site_dir: Path) -> dict[str, bool]:
    """For every generated page: must it be rebuilt? ``pages`` maps a page to the digest
    of its content; ``shape`` is a digest of whatever every page shows (navigation,
    configuration, your own pages). Records this build as the previous one."""
    full = shape != st.shape
    out = {}
    for page, d in pages.items():
        out[page] = full or st.digests.get(page) != d or not (site_dir / dests[page]).is_file()
    st.shape = shape
    st.digests = dict(pages)
    st.rebuilt = {p for p, changed in out.items() if changed}
    return out


def remove_stale(st: ServeState, dests: Mapping[str, str], site_dir: Path) -> list[str]:
    """Delete the output of generated pages that are gone since the previous build."""
    gone = sorted(set(st.dests.values()) - set(dests.values()))
    for dest in gone:
        path = site_dir / dest
        if path.is_file():
            path.unlink()
            with contextlib.suppress(OSError):
                path.parent.rmdir()  # the page's own folder (use_directory_urls), when now empty
    st.dests = dict(dests)
    return gone


def _page_of(location: str) -> str:
    return unquote(location).partition("#")[0]


def merge_search_index(st: ServeState, index_file: Path, live_pages: Iterable[str]) -> int:
    """Complete the index a dirty build wrote (only the rebuilt pages) with the entries of
    every other page still in the site. Returns the number of pages taken from before."""
    if not index_file.is_file():
        return 0
    data = json.loads(index_file.read_text(encoding="utf-8"))
    fresh: dict[str, list[dict[str, Any]]] = {}
    for doc in data.get("docs", []):
        fresh.setdefault(_page_of(str(doc.get("location", ""))), []).append(doc)
    live = set(live_pages)
    kept = {p: docs for p, docs in st.search_docs.items() if p in live and p not in fresh}
    st.search_docs = {**kept, **fresh}
    data["docs"] = [d for p in sorted(st.search_docs) for d in st.search_docs[p]]
    index_file.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    return len(kept)
