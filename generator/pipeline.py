"""The one build function the plugin and the CLI share: notes folder to generated site.

It writes nothing into the notes folder, ever. Parsed notes are cached by content hash
(in memory for the life of the process, and in ``cache_dir`` between builds when one is
given), so a rebuild after a one-note edit re-parses one note. Each build is compared
with the previous one (:mod:`generator.changes`).
"""

from __future__ import annotations

import gc
import hashlib
import posixpath
from collections import defaultdict
from dataclasses import dataclass, replace
from pathlib import Path
from typing import cast

from generator.changes import CHANGES_FILE, SNAPSHOT_FILE, Changes, Snapshot, compare, write_json
from generator.pagecache import PageCache
from generator.site import GeneratedSite, SiteOptions, generate
from graph.build import BuildResult, ParseCache, RelationMemo, build_from_notes, note_stem
from graph.cache import DiskParseCache, cache_version
from graph.gcpolicy import may_freeze
from graph.loading import SKIP_DIRS, ReadMemo, excluded_inside, load_vault
from graph.model import Diagnostic, Document
from graph.vocabulary import builtin_dir, load_vocabulary

_CACHES: dict[str, ParseCache] = {}
_POSITIONS: dict[str, dict[str, tuple[float, float]]] = {}
_SNAPSHOTS: dict[str, Snapshot] = {}
Result = tuple[BuildResult, dict[str, str], tuple[str, ...]]


@dataclass(frozen=True)
class Built:
    result: BuildResult
    site: GeneratedSite
    texts: dict[str, str]
    changes: Changes | None = None
    reparsed: tuple[str, ...] = ()
    #: the drawn pages kept between builds (when a cache folder was given)
    page_cache: PageCache | None = None
    #: what the pages were drawn with: the layout (every page's path), the vault's files
    options: SiteOptions | None = None
    vault_files: frozenset[str] = frozenset()


def vocabulary_digest(vocabulary: tuple[str, ...]) -> str:
    """A hash of every vocabulary file's bytes (built-in and the user's)."""
    h = hashlib.sha256()
    for path in [*(Path(v) for v in vocabulary), *sorted(builtin_dir().glob("*.yml"))]:
        h.update(str(path.name).encode() + b"\0")
        try:
            h.update(path.read_bytes())
        except OSError:
            h.update(b"missing")
    return h.hexdigest()


def _cache(notes_dir: Path, vocabulary: tuple[str, ...], cache_dir: Path | None) -> ParseCache:
    vdigest = vocabulary_digest(vocabulary)
    if cache_dir is None:
        key = f"{notes_dir.resolve()}\0{vdigest}"
        return _CACHES.setdefault(key, ParseCache())
    key = f"{notes_dir.resolve()}\0{cache_dir.resolve()}\0{vdigest}"
    cache = _CACHES.get(key)
    if cache is None:
        cache = _CACHES[key] = DiskParseCache(root=cache_dir.resolve(), version=cache_version(vdigest))
    return cache


def forget_parsed() -> None:
    """Drop the parsed notes held in memory for caches that also keep them on disk (a
    plain build, once its pages are drawn); the next build in this process reads them back."""
    for cache in _CACHES.values():
        if isinstance(cache, DiskParseCache):
            cache.docs.clear()


def link_diagnostics(docs: tuple[Document, ...]) -> list[Diagnostic]:
    """Wikilinks naming a note that exists in several folders (``[[same]]`` with
    ``a/same.md`` and ``b/same.md``): the link goes to the first; say so, and how to choose."""
    by_name: dict[str, list[str]] = defaultdict(list)
    stems = set()
    for doc in docs:
        stem = note_stem(doc.path)
        by_name[stem.rpartition("/")[2].casefold()].append(doc.path)
        stems.add(stem.casefold())
    out = []
    for doc in docs:
        for link in doc.links:
            target = link.target.strip().removesuffix(".md")
            if not target or "/" in target or target.casefold() in stems:
                continue
            paths = sorted(by_name.get(target.casefold(), []))
            if len(paths) > 1:
                out.append(Diagnostic("warning", "ambiguous-link",
                                      f"[[{link.target}]] matches {len(paths)} notes ({', '.join(paths)}); "
                                      f"linked to {paths[0]}. Write the folder, e.g. "
                                      f"[[{posixpath.splitext(paths[-1])[0]}]], to choose.",
                                      doc.path, link.line))
    return out


def build_result(notes_dir: Path, vocabulary: tuple[str, ...] = (), exclude: tuple[Path, ...] = (),
                 cache_dir: Path | None = None,
                 remember_relations: bool = False, ahead: bool = False, hold: bool = False) -> Result:
    """Notes to graph, with every diagnostic (skipped files, ambiguous links) included.

    Returns the result, the decoded texts by note path, and the notes parsed afresh.
    ``remember_relations`` (while serving): the next build re-reads relations only from
    the notes whose inputs changed, and a build of the same notes as the last one returns
    its result (the graph is never changed after it is built). ``ahead``: built before the
    rebuild that will take it (:mod:`generator.early`), which then reports the notes re-read.
    ``hold``: see :func:`graph.build.build_from_notes` (the caller unfreezes the collector).
    """
    if not notes_dir.is_dir():
        raise FileNotFoundError(f"notes folder not found: {notes_dir}. Point --notes (or the plugin's "
                                f"'notes' option) at a folder of Markdown notes.")
    cache = _cache(notes_dir, vocabulary, cache_dir)
    if remember_relations and cache.relations is None:
        cache.relations = RelationMemo()
    if remember_relations and cache.reads is None:
        cache.reads = ReadMemo()
    vault = load_vault(notes_dir, exclude, cache.reads if remember_relations else None)
    read = (exclude, tuple((n.path, n.digest) for n in vault.notes), vault.skipped)
    if remember_relations and cache.last is not None and cache.last[0] == read:
        kept = cast(Result, cache.last[1])
        if not ahead:  # the notes re-read are reported by the first build that takes it
            cache.last = (read, (*kept[:2], ()))
        return kept
    known = set(cache.docs)
    start = len(cache.parsed) if isinstance(cache, DiskParseCache) else 0
    result = build_from_notes(list(vault.notes), load_vocabulary(vocabulary), cache, hold=hold)
    if isinstance(cache, DiskParseCache):
        reparsed = tuple(cache.parsed[start:])
    else:
        reparsed = tuple(n.path for n in vault.notes if (n.path, n.digest) not in known)
    extra = [*vault.skipped, *link_diagnostics(result.documents)]
    if extra:
        diags = sorted((*result.diagnostics, *extra), key=lambda d: (d.note, d.line, d.code, d.message))
        result.graph.graph["diagnostics"] = [d.__dict__ for d in diags]
        result = replace(result, diagnostics=tuple(diags))
    out = result, {n.path: n.text for n in vault.notes}, reparsed
    if remember_relations:
        # the pages drawn ahead of a serve rebuild (generator.early) build the graph of the
        # saved notes; the rebuild that follows reads the same notes and takes it
        cache.last = (read, out if ahead else (*out[:2], ()))
    return out


def _vault_files(notes_dir: Path, exclude: tuple[Path, ...]) -> set[str]:
    excluded = excluded_inside(notes_dir, exclude)
    out = set()
    for p in notes_dir.rglob("*"):
        rel = p.relative_to(notes_dir)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if excluded and any(parent in excluded for parent in p.resolve().parents):
            continue
        if p.is_file():
            out.add(rel.as_posix())
    return out


def last_positions(notes_dir: Path) -> dict[str, tuple[float, float]] | None:
    """While serving: the map's positions in the last build of ``notes_dir`` (the next
    layout starts from them)."""
    return _POSITIONS.get(str(notes_dir.resolve()))


def build_site(notes_dir: Path, vocabulary: tuple[str, ...] = (), options: SiteOptions | None = None,
               exclude: tuple[Path, ...] = (), cache_dir: Path | None = None, keep_layout: bool = False,
               defer_map: bool = False, hold: bool = False) -> Built:
    """Read the vault, build the graph, render every page; writes only into ``cache_dir``.

    ``keep_layout`` (while serving) starts the map layout from the previous build's
    positions so the map does not jump on each edit, and keeps rendered note bodies for
    the next build; a plain build always starts from
    the seeded layout, so the same notes give the same map. ``defer_map``: see
    :func:`generator.site.generate` (then call ``site.finish_map()`` for the map's data).
    ``hold``: the graph and the pages live as long as the build (a plain build): they are kept out of the
    garbage collector's passes (``gc.freeze``; the caller calls ``gc.unfreeze``), which
    walked all of them (0.13 s at 1,000 notes) each time they ran while pages were drawn.
    Only while the process is small next to the memory budget (:func:`graph.gcpolicy.may_freeze`).
    """
    result, texts, reparsed = build_result(notes_dir, vocabulary, exclude, cache_dir, remember_relations=keep_layout,
                                           hold=hold)
    frozen = hold and may_freeze()
    if frozen:
        gc.freeze()
    key = str(notes_dir.resolve())
    opts = options or SiteOptions()
    entities = [(str(n), str(d["kind"])) for n, d in result.graph.nodes(data=True) if d["kind"] != "note"]
    opts = replace(opts, layout=opts.layout.with_pages([d.path for d in result.documents], entities))
    pages = None if cache_dir is None else PageCache(cache_dir.resolve(), vocabulary_digest(vocabulary))
    files = _vault_files(notes_dir, exclude)
    site = generate(result, texts, opts, last_positions(notes_dir) if keep_layout else None,
                    files, remember=keep_layout, page_cache=pages, defer_map=defer_map)
    if frozen:
        gc.freeze()  # the pages drawn live to the end of the build too
    if keep_layout:
        _POSITIONS[key] = site.positions
    snap = Snapshot.of(result.graph, [d.format() for d in result.diagnostics])
    skey = f"{key}\0{cache_dir}"
    before = _SNAPSHOTS.get(skey)
    if before is None and cache_dir is not None:
        before = Snapshot.load(cache_dir / SNAPSHOT_FILE)
    changes = compare(before, snap, reparsed)
    _SNAPSHOTS[skey] = snap
    if cache_dir is not None:
        try:
            write_json(cache_dir / SNAPSHOT_FILE, snap.to_json())
            write_json(cache_dir / CHANGES_FILE, changes.to_json())
        except OSError:
            pass
    return Built(result, site, texts, changes, reparsed, pages, opts, frozenset(files))
