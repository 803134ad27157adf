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
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

from graph.build import ParseCache
from graph.model import Document, RawNote

#: Files whose code decides what a parsed Document contains.
PARSER_SOURCES = ("document.py", "model.py", "loading.py", "cache.py")
CACHE_DIRNAME = ".kgsite-cache"
NOTES_PACK = "notes.pack"


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
        self.pack = PackFile(self.folder / NOTES_PACK)

    @staticmethod
    def _key(path: str, digest: str) -> str:
        return hashlib.sha256(f"{path}\0{digest}".encode()).hexdigest()

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

    def _load(self, note: RawNote) -> Document | None:
        doc = self.pack.load(self._key(note.path, note.digest))
        if isinstance(doc, Document) and doc.path == note.path:
            return doc
        return None

    def prune(self, keep: Iterable[tuple[str, str]]) -> None:
        """Keep exactly the notes of this build, in memory and on disk (one file written
        once per build, only when the notes changed)."""
        wanted = list(keep)
        super().prune(wanted)
        entries: list[tuple[str, object]] = [
            (self._key(*k), Pickled(self.pickled[k]) if k in self.pickled else self.docs[k])
            for k in wanted if k in self.docs]
        if {key for key, _ in entries} != set(self.pack.index) or self.pack.damaged:
            self.pack.write(entries)


@dataclass(frozen=True)
class Pickled:
    """A value already pickled (by the worker that made it): a pack entry as it is."""

    data: bytes


class PackFile:
    """Many pickled values in one file, found by key through an index at its end.

    Why one file: a cache entry per file meant a file created per note and per page on a
    first build (2,464 at 1,000 notes), 0.4 s of CPU on this machine's file system, for
    values of a few kilobytes. The pack is read with ``pread`` (forked workers share the
    open file), and replaced whole by :meth:`write`, which copies the entries it already
    holds as they are and pickles only new ones; a concurrent reader keeps the file it
    opened. Each entry carries a checksum: a damaged entry reads as missing (the value is
    computed again and written afresh), a damaged index as an empty pack.
    """

    MAGIC = b"KGPACK1\n"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.index: dict[str, tuple[int, int, bytes]] = {}  # key -> (offset, length, checksum)
        self.damaged = False  # an entry failed its checksum in this process
        self._fd: int | None = None
        self._open()

    def _open(self) -> None:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
        except OSError:
            return
        try:
            size = os.fstat(fd).st_size
            start = int.from_bytes(_read_at(fd, 8, size - 8), "little") if size >= len(self.MAGIC) + 8 else -1
            if _read_at(fd, len(self.MAGIC), 0) != self.MAGIC or not len(self.MAGIC) <= start <= size - 8:
                raise ValueError("not a pack")
            index = pickle.loads(_read_at(fd, size - 8 - start, start))
            if not isinstance(index, dict):
                raise ValueError("not a pack index")
        except (OSError, ValueError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError,
                IndexError):
            os.close(fd)
            self.damaged = True
            return
        self.index, self._fd = index, fd
        self._closer = weakref.finalize(self, _close, fd)

    def close(self) -> None:
        if self._fd is not None:
            self._closer()
        self._fd = None

    def raw(self, key: str) -> bytes | None:
        """The stored bytes of ``key``, or None (absent, unreadable or damaged)."""
        where = self.index.get(key)
        if where is None or self._fd is None:
            return None
        try:
            offset, length, check = where
            data = _read_at(self._fd, length, offset)
        except (OSError, TypeError, ValueError, OverflowError):  # unreadable, or an index damaged into other values
            self.damaged = True
            return None
        if len(data) != length or _checksum(data) != check:
            self.damaged = True
            return None
        return data

    def load(self, key: str) -> Any | None:
        data = self.raw(key)
        if data is None:
            return None
        try:
            return pickle.loads(data)
        except (EOFError, pickle.UnpicklingError, AttributeError, ImportError, TypeError, ValueError, IndexError):
            return None

    def write(self, entries: Iterable[tuple[str, object]]) -> None:
        """Replace the pack by one holding exactly ``entries`` (key, value), in their order.
        Written whole or not at all; a folder that cannot be written costs speed only."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, suffix=".tmp")
        except OSError:
            return
        index: dict[str, tuple[int, int, bytes]] = {}
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(self.MAGIC)
                pos = len(self.MAGIC)
                for key, value in entries:
                    data = self.raw(key)
                    if data is None:
                        data = value.data if isinstance(value, Pickled) else pickle.dumps(
                            value, protocol=pickle.HIGHEST_PROTOCOL)
                    fh.write(data)
                    index[key] = (pos, len(data), _checksum(data))
                    pos += len(data)
                fh.write(pickle.dumps(index, protocol=pickle.HIGHEST_PROTOCOL))
                fh.write(pos.to_bytes(8, "little"))
            os.replace(tmp, self.path)
        except (OSError, pickle.PicklingError):
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            return
        self.close()
        self.damaged = False
        self._open()


def _read_at(fd: int, length: int, offset: int) -> bytes:
    """``length`` bytes at ``offset``, leaving the file's position alone where the system
    can (``pread``: forked workers share the descriptor); elsewhere (Windows, which has
    no fork) by seeking."""
    if hasattr(os, "pread"):
        return os.pread(fd, length, offset)
    os.lseek(fd, offset, os.SEEK_SET)  # pragma: no cover - not POSIX
    return os.read(fd, length)  # pragma: no cover


def _close(fd: int) -> None:
    with contextlib.suppress(OSError):
        os.close(fd)


def _checksum(data: bytes) -> bytes:
    return hashlib.blake2b(data, digest_size=8).digest()


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
