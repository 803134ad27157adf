"""Where each generated page lives, and relative links between them.

All generated pages are Markdown files with POSIX paths relative to ``docs_dir``;
links between them are relative ``.md`` links, which MkDocs validates (``--strict``)
and rewrites for ``use_directory_urls``.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from pathlib import PurePosixPath

from graph.slug import slugify

KIND_DIRS = {"service": "services", "concept": "concepts"}


@dataclass(frozen=True)
class Layout:
    prefix: str = ""
    notes_dir: str = "notes"

    def _p(self, path: str) -> str:
        return posixpath.join(self.prefix, path) if self.prefix else path

    def entity(self, node_id: str, kind: str) -> str:
        return self._p(f"{KIND_DIRS.get(kind, 'concepts')}/{slugify(node_id)}.md")

    def note(self, path: str) -> str:
        p = PurePosixPath(path)
        parts = [safe_segment(s) for s in p.with_suffix("").parts]
        return self._p(posixpath.join(self.notes_dir, *parts) + ".md")

    def index(self, name: str) -> str:
        return self._p(name)

    def asset(self, name: str) -> str:
        return self._p(f"assets/kgsite/{name}")


def safe_segment(segment: str) -> str:
    """A path segment that cannot climb out of the site: no '..', no separators."""
    seg = segment.replace("\\", "-").replace("/", "-").strip()
    if seg in ("", ".", ".."):
        return "_"
    return seg.lstrip(".") or "_"


def rel(from_page: str, to_page: str) -> str:
    """A relative link from one page's Markdown file to another file."""
    start = posixpath.dirname(from_page) or "."
    return posixpath.relpath(to_page, start)


def url_rel(from_page: str, to_file: str, use_directory_urls: bool) -> str:
    """A relative URL usable in raw HTML, which MkDocs does not rewrite."""
    if use_directory_urls and not from_page.endswith("index.md"):
        base = posixpath.splitext(from_page)[0]
    else:
        base = posixpath.dirname(from_page) or "."
    return posixpath.relpath(to_file or ".", base if base else ".")
