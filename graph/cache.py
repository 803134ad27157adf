"""Parsed notes kept on disk between builds, so a one-note edit re-parses one note.

The in-memory :class:`graph.build.ParseCache` already serves ``kgsite serve``; this adds
a folder the user may delete at any time (``.kgsite-cache/`` next to the site by
default). Entries are keyed by the note's path and the SHA-256 of its bytes, and live
under a version folder named after a hash of kgsite's version, the parser's own source
and the vocabulary: upgrading kgsite, editing the parser or the vocabulary starts a
fresh folder (older version folders are removed) instead of reading stale results.
A damaged or unreadable entry is ignored and re-parsed; a cache that cannot be written
only costs speed, never the build.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import shutil
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from graph.build import ParseCache
from graph.model import Document, RawNote

#: Files whose code decides what a parsed Document contains.
PARSER_SOURCES = ("document.py", "model.py", "loading.py", "cache.py")
CACHE_DIRNAME = ".kgsite-cache"


def kgsite_version() -> str:
    try:
        return metadata.version("kgsite")
    except metadata.PackageNotFoundError:
        return "0"


def cache_version(vocabulary_digest: str = "") -> str:
    """The name of the version folder: changes whenever cached Documents could differ."""
    h = hashlib.sha256(kgsite_version().encode())
    here = Path(__file__).resolve().parent
    for name in PARSER_SOURCES:
        try:
            h.update((here / name).read_bytes())
        except OSError:
            h.update(name.encode())
    h.update(vocabulary_digest.encode())
    return "v-" + h.hexdigest()[:16]


def default_cache_dir(site_dir: Path) -> Path:
    """``.kgsite-cache`` beside the site folder (never inside it: a clean build empties that)."""
    return site_dir.resolve().parent / CACHE_DIRNAME


@dataclass
class DiskParseCache(ParseCache):
    """A :class:`ParseCache` backed by a folder; ``misses`` counts real parses."""

    root: Path = field(default_factory=Path)
    version: str = ""
    disk_hits: int = 0
    parsed: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.folder = self.root / (self.version or cache_version())
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.root.iterdir():
                if old.is_dir() and old.name.startswith("v-") and old != self.folder:
                    shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass

    def _file(self, note: RawNote) -> Path:
        name = hashlib.sha256(f"{note.path}\0{note.digest}".encode()).hexdigest()
        return self.folder / name[:2] / f"{name}.pickle"

    def parse(self, note: RawNote) -> Document:
        k = (note.path, note.digest)
        if k not in self.docs:
            doc = self._load(note)
            if doc is not None:
                self.docs[k] = doc
                self.disk_hits += 1
                self.hits += 1
                return doc
        before = self.misses
        doc = super().parse(note)
        if self.misses != before:
            self.parsed.append(note.path)
            self._store(note, doc)
        return doc

    def has(self, note: RawNote) -> bool:
        k = (note.path, note.digest)
        if k in self.docs:
            return True
        doc = self._load(note)
        if doc is None:
            return False
        self.docs[k] = doc
        self.disk_hits += 1
        return True

    def put(self, note: RawNote, doc: Document) -> None:
        super().put(note, doc)
        self.parsed.append(note.path)
        self._store(note, doc)

    def _load(self, note: RawNote) -> Document | None:
        doc = read_pickle(self._file(note))
        if isinstance(doc, Document) and doc.path == note.path:
            return doc
        return None

    def _store(self, note: RawNote, doc: Document) -> None:
        write_pickle(self._file(note), doc)

    def prune_disk(self, keep: set[tuple[str, str]]) -> None:
        """Drop entries of notes that no longer exist in this form, so the folder stays small."""
        wanted = {self._file(RawNote(p, "", d)) for p, d in keep}
        for f in self.folder.glob("*/*.pickle"):
            if f not in wanted:
                with contextlib.suppress(OSError):
                    f.unlink()


def read_pickle(path: Path) -> Any | None:
    """What ``path`` holds, or None when it is missing, damaged or unreadable (a cache
    entry only ever costs a recomputation)."""
    try:
        with path.open("rb") as fh:
            return pickle.load(fh)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError,
            IndexError):
        return None


def write_pickle(path: Path, value: object) -> None:
    """Write whole or not at all: a concurrent reader (a forked worker, another build)
    sees the old file or the new one. A folder that cannot be written costs speed only."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            pickle.dump(value, fh, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
