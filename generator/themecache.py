"""Our pages as the theme wrapped them in the site being replaced, reused.

A build after editing one note reads nearly every generated page back from the page
cache (:mod:`generator.pagecache`), and then MkDocs wraps each of them in the theme
again: about 5 ms a page with Material, 1,466 pages at 1,000 notes, a large part of
such a rebuild. The wrapped page is a function of:

* the page: its HTML (after every ``on_page_content`` hook), table of contents, title,
  front matter (tags, template) and paths;
* the site: the navigation (every item's title, address and nesting), the configuration
  the templates read, the templates themselves, the build date
  (``SOURCE_DATE_EPOCH``), and the versions of MkDocs, the theme and kgsite.

Each build records, per page of ours, the hash of those inputs and of the HTML written.
``kgsite build`` builds into a new folder while the previous site is still in place
(``KGSITE_PREVIOUS_SITE``): a page whose inputs hash the same is printed from the
previous site's file, if that file still holds the recorded HTML, by a template that
does nothing else (:data:`generator.forkpages.TEMPLATE`). Every plugin's
``on_page_context`` hook still runs (the search index reads the page), and so do the
``on_post_page`` hooks. Nothing is written for this but the small record: keeping a
copy of every wrapped page cost a first build more than a second. A page whose HTML
another plugin changed after the theme (an ``on_post_page`` hook) is never reused.
A plain ``mkdocs build`` empties its site folder first, so there is nothing to reuse.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable, Iterable, Mapping
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import jinja2

from generator.forkpages import TEMPLATE, install_template, printed
from generator.pagecache import PageCache, digest

RECORD = "themed"
PREVIOUS_SITE = "KGSITE_PREVIOUS_SITE"
TEMPLATE_SUFFIXES = (".html", ".xml", ".yml", ".j2")
ICONS = ".icons"

Record = dict[str, tuple[str, str, str]]
"""page -> (the hash of its inputs, the file it was written to, the hash of that file)"""


def _nav(items: Iterable[Any]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for item in items:
        children = getattr(item, "children", None)
        file = getattr(item, "file", None)
        out.append((type(item).__name__, str(item.title), getattr(item, "url", None),
                    file.src_uri if file is not None else None, _nav(children) if children else []))
    return out


def _toc(items: Iterable[Any]) -> list[tuple[Any, ...]]:
    return [(i.id, i.title, i.level, _toc(i.children)) for i in items]


@lru_cache(maxsize=4)
def _templates(dirs: tuple[str, ...]) -> str:
    """A hash of the theme's templates. Material's folder of icons (thousands of SVG files,
    each only ever part of a page through Material's version, which the fingerprint holds)
    is not walked: listing it was 0.27 s of each build."""
    h = hashlib.sha256()
    for d in dirs:
        found: list[str] = []
        for folder, subdirs, files in os.walk(d):
            subdirs[:] = [s for s in subdirs if s != ICONS]
            found.extend(os.path.join(folder, f) for f in files if os.path.splitext(f)[1] in TEMPLATE_SUFFIXES)
        for path in sorted(Path(p) for p in found):
            h.update(path.relative_to(d).as_posix().encode() + b"\0")
            with contextlib.suppress(OSError):
                h.update(path.read_bytes())
    return h.hexdigest()


def site_fingerprint(config: Any, nav: Any) -> str:
    """Everything a page's wrapping reads besides the page itself."""
    config_text = b""
    if config.config_file_path:
        with contextlib.suppress(OSError):
            config_text = Path(config.config_file_path).read_bytes()
    versions = []
    for lib in ("mkdocs", "mkdocs-material"):
        try:
            versions.append(metadata.version(lib))
        except metadata.PackageNotFoundError:
            versions.append("none")
    settings = {k: repr(config.get(k)) for k in (
        "site_name", "site_url", "site_description", "site_author", "copyright", "repo_url", "repo_name",
        "edit_uri", "extra", "extra_css", "extra_javascript", "use_directory_urls", "remote_name")}
    theme = sorted((k, repr(v)) for k, v in config.theme.items())
    return digest((config_text, versions, settings, theme, os.environ.get("SOURCE_DATE_EPOCH", ""),
                   _templates(tuple(config.theme.dirs)), _nav(nav.items)))


def _hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=20).hexdigest()


class ThemeCache:
    """One build's use of the wrapped pages of the site it replaces."""

    def __init__(self, cache: PageCache, site: str, previous: Path | None) -> None:
        self.cache = cache
        self.site = site
        self.previous = previous
        self.before: Record = {}
        self.record: Record = {}
        self.keys: dict[str, str] = {}  # page -> the hash of its inputs in this build
        self.hits: dict[str, str] = {}  # page -> its own template, for the pages printed from the previous site
        self.themed: dict[str, str] = {}  # page -> the theme's output, until the page is written
        self.reused: set[str] = set()  # pages printed from the previous site

    @staticmethod
    def start(cache: PageCache, config: Any, nav: Any, env: jinja2.Environment, pages: Iterable[Any],
              contents: Mapping[str, bytes | str]) -> ThemeCache:
        """Name each of ``pages`` (MkDocs pages of ours, read and rendered, not yet wrapped)
        and switch those the previous site holds to the printing template. ``contents``: a
        page's HTML where ``page.content`` no longer holds it (compressed, see the plugin)."""
        previous = os.environ.get(PREVIOUS_SITE, "")
        themed = ThemeCache(cache, site_fingerprint(config, nav), Path(previous) if previous else None)
        kept = cache.load_named(RECORD) if themed.previous is not None else None
        themed.before = kept if isinstance(kept, dict) else {}
        for page in pages:
            uri = page.file.src_uri
            held = contents.get(uri)
            body = held if isinstance(held, bytes) else (held if held is not None else page.content or "").encode()
            key = digest((themed.site, uri, page.file.dest_uri, page.url, str(page.title), page.meta,
                          _toc(page.toc), _hash(body)))
            themed.keys[uri] = key
            was = themed.before.get(uri)
            if was is not None and was[0] == key and was[1] == page.file.dest_uri:
                themed.hits[uri] = page.meta.get("template", "main.html")
                page.meta["template"] = TEMPLATE
        if themed.hits:
            install_template(env)
        return themed

    def context(self, context: Any, page: Any) -> Any:
        """The previous site's wrapping of ``page`` for the printing template (its own
        template renders it when that file is gone or holds something else)."""
        uri = page.file.src_uri
        own = self.hits.pop(uri, None)
        if own is None:
            return context
        html = None
        assert self.previous is not None
        with contextlib.suppress(OSError, UnicodeDecodeError):
            data = (self.previous / page.file.dest_uri).read_bytes()
            if _hash(data) == self.before[uri][2]:
                html = data.decode("utf-8")
                self.reused.add(uri)
        return printed(context, page, own, html)

    def themed_output(self, page: Any, output: str) -> None:
        """The theme's output for ``page`` (before any other plugin's ``on_post_page``)."""
        if page.file.src_uri in self.keys:
            self.themed[page.file.src_uri] = output

    def written(self, page: Any, output: str, encoded: Callable[[str], bytes] | None = None) -> None:
        """``output`` is what is written for ``page``: recorded, if the theme's output it is.
        ``encoded``: gives the bytes MkDocs writes (encoded once per page by the caller)."""
        uri = page.file.src_uri
        if uri in self.reused and self.themed.get(uri) is output:
            self.themed.pop(uri)
            self.record[uri] = self.before[uri]
        elif self.themed.pop(uri, None) is output:
            data = (encoded(output) if encoded is not None  # as MkDocs writes it
                    else output.encode("utf-8", errors="xmlcharrefreplace"))
            self.record[uri] = (self.keys[uri], page.file.dest_uri, _hash(data))

    def finish(self) -> None:
        """Keep this build's record for the next build."""
        if self.record != self.before:
            self.cache.store_named(RECORD, self.record)
