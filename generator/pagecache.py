"""Drawn pages kept on disk between builds, keyed by everything they were drawn from.

A rebuild after editing a few notes (or none) used to draw every page again: at 1,000
notes, rendering and indexing the note and term pages was most of the graph-and-pages
stage (about 6 s of CPU). The inputs that decide a page are already named for
``kgsite serve`` (:data:`generator.site._DRAWN`): the note's text, the mentions found in
it, what its links resolve against; a term's view. Their hash names a file holding the
page as drawn, so a page whose inputs did not change is read back instead of drawn.

The key covers the inputs, the page's path, the templates, and a version made of kgsite's
own code and the libraries that draw and index pages (markdown-it-py and its plugins,
Material's search parser): editing any of them starts a new folder (older ones are
removed). A missing, damaged or unreadable entry is drawn again; a cache that cannot be
written costs speed, never the build. Entries no build used any more are removed at the
end of each build, so the folder holds one site's pages.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import pickle
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

from graph.cache import PackFile, read_pickle, write_pickle

PAGES_DIRNAME = "pages"
PAGES_PACK = "pages.pack"
NAMED = "named"
#: libraries whose output is part of a drawn page
DRAWING_LIBRARIES = ("markdown-it-py", "mdit-py-plugins", "mkdocs-material", "jinja2", "kgsite")


def digest(value: object) -> str:
    """A stable hash of plain data (str, numbers, tuples, lists, dicts in insertion order).

    Pickled without its memo: with one, an equal value whose parts happen to be shared
    objects (the same string twice) gives other bytes. Sets are not stable between
    processes (their order follows the string hash seed): a value holding one may hash
    differently in another build, which costs a redraw, never a wrong page."""
    out = io.BytesIO()
    pickler = pickle.Pickler(out, protocol=5)
    pickler.fast = True  # no memo: the bytes depend on the value alone
    pickler.dump(value)
    return hashlib.blake2b(out.getbuffer(), digest_size=20).hexdigest()


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of every file of kgsite's code and templates and of the drawing libraries'
    versions: a page drawn by other code is never reused."""
    h = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in ("generator", "graph"):
        for path in sorted((root / package).rglob("*")):
            if path.is_file() and path.suffix in (".py", ".j2", ".yml", ".js", ".css"):
                h.update(path.relative_to(root).as_posix().encode() + b"\0")
                with contextlib.suppress(OSError):
                    h.update(path.read_bytes())
    for lib in DRAWING_LIBRARIES:
        try:
            h.update(f"{lib}={metadata.version(lib)}\0".encode())
        except metadata.PackageNotFoundError:
            h.update(f"{lib}=none\0".encode())
    return h.hexdigest()[:16]


@dataclass
class PageCache:
    """One folder of drawn pages (one pack file, :class:`graph.cache.PackFile`) and of
    named values. ``version`` names what else the pages depend on (the vocabulary)."""

    root: Path
    version: str = ""

    def __post_init__(self) -> None:
        self.folder = self.root / PAGES_DIRNAME / ("p-" + digest((code_version(), self.version))[:16])
        with contextlib.suppress(OSError):
            self.folder.mkdir(parents=True, exist_ok=True)
            for old in self.folder.parent.iterdir():
                if old.is_dir() and old.name.startswith("p-") and old != self.folder:
                    shutil.rmtree(old, ignore_errors=True)
        self.pack = PackFile(self.folder / PAGES_PACK)

    def load(self, key: str) -> Any | None:
        """The page stored under ``key``, or None (never stored, or unreadable). Safe in a
        forked worker."""
        return self.pack.load(key)

    def keep_only(self, pages: Iterable[tuple[str, object]], drawn: set[str]) -> None:
        """Hold exactly ``pages`` (key, page: the pages of the build just made); a page
        already held is kept as stored. Written once per build, by the process that has
        every page (not by the workers that drew them), when the pages changed or a page
        held was ``drawn`` again (its entry was damaged: a worker may have found that); named
        entries stay."""
        entries = list(pages)
        held = set(self.pack.index)
        if {k for k, _ in entries} != held or self.pack.damaged or not drawn.isdisjoint(held):
            self.pack.write(entries)

    def load_named(self, name: str) -> Any | None:
        """What :meth:`store_named` last kept under ``name``: one value per site (the map's
        layout and its pieces), replaced by each build, never removed by :meth:`keep_only`."""
        return read_pickle(self.folder / NAMED / f"{name}.pickle")

    def store_named(self, name: str, value: object) -> None:
        write_pickle(self.folder / NAMED / f"{name}.pickle", value)
