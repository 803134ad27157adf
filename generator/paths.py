"""Where each generated page lives, and relative links between them.

All generated pages are Markdown files with POSIX paths relative to ``docs_dir``;
links between them are relative ``.md`` links, which MkDocs validates (``--strict``)
and rewrites for ``use_directory_urls``.

Page paths are derived from names the user chose (note file names, entity names), so
they are made safe here, in one place: every segment keeps letters and digits of any
script, turns everything else (spaces, ``%``, ``?``, ``#``, emoji, ``\\``) into ``-``, and
can never be ``.``/``..`` or start with a dot, so no page can land outside the site. Two
names that end up with the same path (``a b.md`` and ``a-b.md``, ``Foo.md`` and ``foo.md`` on
a case-insensitive disk) are told apart by :meth:`Layout.with_pages`: the name already in
slug form keeps the plain path, the others get a short suffix from a hash of their own
name, so the choice depends on nothing else and is the same in every build.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache
from pathlib import PurePosixPath
from urllib.parse import quote

from graph.slug import slugify

KIND_DIRS = {"service": "services", "concept": "concepts"}
#: Page names MkDocs gives a meaning to (both become the folder's index page).
RESERVED_STEMS = frozenset({"index", "readme"})
UNSAFE = re.compile(r"[^\w.\-]+")


@dataclass(frozen=True)
class Layout:
    """Page paths of a site. ``note_pages``/``entity_pages`` hold the collision-free
    assignment computed by :meth:`with_pages`; without it each path is computed alone."""

    prefix: str = ""
    notes_dir: str = "notes"
    note_pages: tuple[tuple[str, str], ...] = ()
    entity_pages: tuple[tuple[str, str], ...] = ()

    def _p(self, path: str) -> str:
        return posixpath.join(self.prefix, path) if self.prefix else path

    @cached_property
    def _notes(self) -> dict[str, str]:
        return dict(self.note_pages)

    @cached_property
    def _entities(self) -> dict[str, str]:
        return dict(self.entity_pages)

    def entity(self, node_id: str, kind: str) -> str:
        return self._p(self._entities.get(node_id) or entity_page(node_id, kind))

    def note(self, path: str) -> str:
        return self._p(self._notes.get(path) or note_page(path, self.notes_dir))

    def vault_file(self, path: str) -> str:
        """Where a non-Markdown file of the vault (an image) is published, under its own name."""
        parts = [safe_segment(s) for s in PurePosixPath(path).parts]
        return self._p(posixpath.join(self.notes_dir, *parts))

    def index(self, name: str) -> str:
        return self._p(name)

    def asset(self, name: str) -> str:
        return self._p(f"assets/kgsite/{name}")

    def with_pages(self, notes: Iterable[str], entities: Iterable[tuple[str, str]]) -> Layout:
        """This layout with unique page paths for these notes and ``(node id, kind)`` entities."""
        reserved = {f"{self.notes_dir}/index.md".casefold()} | {
            f"{d}/index.md".casefold() for d in KIND_DIRS.values()}
        note_map = unique_pages({p: note_page(p, self.notes_dir) for p in notes}, reserved)
        ent_map = unique_pages({n: entity_page(n, k) for n, k in entities}, reserved | set(note_map.values()))
        return replace(self, note_pages=tuple(sorted(note_map.items())),
                       entity_pages=tuple(sorted(ent_map.items())))


def safe_segment(segment: str) -> str:
    """A path segment that cannot climb out of the site: no '..', no separators."""
    seg = segment.replace("\\", "-").replace("/", "-").strip()
    if seg in ("", ".", ".."):
        return "_"
    return seg.lstrip(".") or "_"


def slug_segment(segment: str) -> str:
    """One readable, URL-safe path segment: ``"My note 🚀 #1"`` -> ``"My-note-1"``; 過学習 stays."""
    text = unicodedata.normalize("NFC", segment)
    text = UNSAFE.sub("-", text)
    text = re.sub(r"-{2,}", "-", text).strip("-.")
    return text[:100].strip("-.") or "_"


def note_page(path: str, notes_dir: str = "notes") -> str:
    """The page of a note at vault path ``path`` (its own name, made safe)."""
    parts = [slug_segment(s) for s in PurePosixPath(path).with_suffix("").parts] or ["_"]
    if parts[-1].casefold() in RESERVED_STEMS:
        parts[-1] += "-note"
    return posixpath.join(notes_dir, *parts) + ".md"


def entity_page(node_id: str, kind: str) -> str:
    slug = slugify(node_id)
    if slug.casefold() in RESERVED_STEMS:
        slug += "-term"
    return f"{KIND_DIRS.get(kind, 'concepts')}/{slug}.md"


def unique_pages(wanted: dict[str, str], taken: set[str]) -> dict[str, str]:
    """Resolve collisions (compared case-insensitively) deterministically.

    In each group of names wanting one page, the name whose page path spells it exactly
    keeps it (else the first in sorted order); the others get ``-`` plus a hash of their
    own name, lengthened until free.
    """
    groups: dict[str, list[str]] = defaultdict(list)
    for name, page in wanted.items():
        groups[page.casefold()].append(name)
    out: dict[str, str] = {}
    used = {t.casefold() for t in taken}
    losers: list[str] = []
    for key in sorted(groups):
        names = sorted(groups[key])
        if key in used:
            losers.extend(names)
            continue
        exact = [n for n in names if _spelled_exactly(n, wanted[n])]
        keeper = exact[0] if exact else names[0]
        out[keeper] = wanted[keeper]
        used.add(key)
        losers.extend(n for n in names if n != keeper)
    for name in sorted(losers):
        stem, ext = posixpath.splitext(wanted[name])
        digest = hashlib.sha256(name.encode("utf-8")).hexdigest()
        size = 6
        while (candidate := f"{stem}-{digest[:size]}{ext}").casefold() in used:
            size += 2
        out[name] = candidate
        used.add(candidate.casefold())
    return out


def _spelled_exactly(name: str, page: str) -> bool:
    stem = posixpath.splitext(posixpath.basename(page))[0]
    return stem == PurePosixPath(name).stem or stem == name


@lru_cache(maxsize=65536)
def _parts(path: str) -> tuple[str, ...]:
    """A site path's segments, normalised (``a/./b/../c`` -> ``("a", "c")``)."""
    return tuple(p for p in posixpath.normpath(path).split("/") if p not in ("", "."))


def _between(target: tuple[str, ...], start: tuple[str, ...]) -> str:
    common, most = 0, min(len(target), len(start))
    while common < most and target[common] == start[common]:
        common += 1
    return "/".join([".."] * (len(start) - common) + list(target[common:])) or "."


def relpath(target: str, start: str) -> str:
    """``posixpath.relpath`` for site paths (relative, normalised, ``/``-separated).

    The standard one makes both paths absolute against the working directory on every
    call. A 1,000-note site asks about 70,000 times, for nearly as many pairs, so a cache
    of pairs misses; the segments of each path are cached instead (a few thousand paths).
    """
    return _between(_parts(target), _parts(start))


@lru_cache(maxsize=65536)
def _dir_parts(page: str) -> tuple[str, ...]:
    return _parts(posixpath.dirname(page) or ".")


def rel(from_page: str, to_page: str) -> str:
    """A relative link from one page's Markdown file to another file."""
    return _between(_parts(to_page), _dir_parts(from_page))


def url_rel(from_page: str, to_file: str, use_directory_urls: bool) -> str:
    """A relative URL usable in raw HTML, which MkDocs does not rewrite."""
    out = relpath(to_file or ".", page_dir_url(from_page, use_directory_urls) or ".")
    # a folder URL keeps its slash: "map/" opens map/index.html also from file:// and without a redirect
    return out + "/" if to_file.endswith("/") and out != "." else out


def page_dir_url(page: str, use_directory_urls: bool) -> str:
    """The folder a page's URL lives in, relative to the site root ("" for the root)."""
    stem = posixpath.splitext(page)[0]
    if use_directory_urls and posixpath.basename(stem) != "index":
        return stem + "/"
    parent = posixpath.dirname(page)
    return parent + "/" if parent else ""


def file_url(path: str, use_directory_urls: bool) -> str:
    """Where MkDocs publishes a file of ``docs_dir``: ``a/b.md`` is ``a/b/`` (or ``a/b.html``)."""
    if not path.endswith(".md"):
        return path
    stem = path[:-3]
    if posixpath.basename(stem) == "index":
        return stem[:-5] if use_directory_urls else stem + ".html"
    return stem + "/" if use_directory_urls else stem + ".html"


def href_url(page: str, href: str, use_directory_urls: bool) -> str:
    """A link written between Markdown files (what :func:`rel` gives) as the final relative
    URL, for HTML we render ourselves: MkDocs only rewrites links in Markdown it renders."""
    path, hash_, frag = href.partition("#")
    if not path:
        return href
    return _href_path(page, path, use_directory_urls) + hash_ + frag


@lru_cache(maxsize=65536)
def _climb(path: str) -> tuple[int, tuple[str, ...]]:
    """A relative link as the number of folders it climbs and the segments it then takes."""
    ups, rest = 0, list[str]()
    for p in path.split("/"):
        if p == "..":
            if rest:
                rest.pop()
            else:
                ups += 1
        elif p not in ("", "."):
            rest.append(p)
    return ups, tuple(rest)


@lru_cache(maxsize=65536)
def _page_base(page: str, use_directory_urls: bool) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """A page's folder in ``docs_dir`` and the folder of its URL, as segments."""
    return _dir_parts(page), _parts(page_dir_url(page, use_directory_urls) or ".")


@lru_cache(maxsize=65536)
def _url_parts(target: str, use_directory_urls: bool) -> tuple[str, tuple[str, ...]]:
    url = file_url(target, use_directory_urls)
    return url, _parts(url or ".")


@lru_cache(maxsize=65536)
def _quoted(url: str) -> str:
    return quote(url, safe="/")


def _href_path(page: str, path: str, use_directory_urls: bool) -> str:
    """Per call, only the walk from one folder to the other: nearly every (page, link) pair
    is asked once, so the segments of pages, links and targets are what is cached."""
    folder, base = _page_base(page, use_directory_urls)
    ups, rest = _climb(path)
    if ups > len(folder) or path.startswith("/"):  # above the site's root, or from it
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path))
    else:
        target = "/".join(folder[:len(folder) - ups] + rest) or "."
    url, parts = _url_parts(target, use_directory_urls)
    out = _between(parts, base)
    if (url == "" or url.endswith("/")) and out != ".":
        out += "/"
    elif out == "." and url.endswith("/"):
        out = "./"
    return _quoted(out)
