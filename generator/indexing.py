"""Material's search indexing, fed the page without the tags it throws away.

Material's search plugin reads every page's HTML with Python's ``HTMLParser`` and keeps
only text, headings and a few block tags (p, li, code, pre...). Our pages are link-dense:
every mention on a note page is a link and every block carries a line anchor, every
quote on a term page links to its source. Each such tag is a Python-level callback, and
on a 1,000-note vault indexing took 6-7 s, most of it on ``<a>`` tags whose text is all
the index keeps. Handing the parser the same HTML with inline tags removed (and the
headings' permalink symbol, which it skips anyway) gives the same entries in about half
the time. The page itself is untouched: only the indexer's view of it is lean.

For the pages we generate, the sections are even found ahead of time, on every core,
where the page is drawn (:func:`index_sections`); when Material indexes the page, a
digest shows whether its HTML is still what was parsed (another plugin may have changed
it), and only then are the sections taken instead of parsing again.
"""

from __future__ import annotations

import contextlib
import hashlib
import pickle
import re
import zlib
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, cast

from generator import searchsections

# inline tags the indexer neither keeps nor needs for structure (headings are never inside them)
INLINE = re.compile(r'<a class="headerlink"[^>]*>[^<]*</a>|</?(?:a|span|strong|em|b|i|mark|del|s|small|abbr|'
                    r'kbd|u|ins)(?:\s[^>]*)?>')
MARKER = "data-search"


def lean(html: str) -> str:
    """``html`` as Material's search parser sees it, minus the tags it would discard.

    A page that marks parts of itself ``data-search-exclude`` is left whole: the marker
    may sit on one of those tags.
    """
    if MARKER in html:
        return html
    return INLINE.sub("", html)


@dataclass(frozen=True)
class Indexed:
    """A page's search sections, found by Material's own parser before the page is built
    (held compressed until then, like :class:`generator.prerender.Prerendered`)."""

    digest: bytes
    packed: bytes  # zlib of the pickled sections: (id, title HTML, text HTML) each

    @property
    def sections(self) -> tuple[tuple[str | None, str, str], ...]:
        return cast(tuple[tuple[str | None, str, str], ...], pickle.loads(zlib.decompress(self.packed)))


def _digest(thin: str) -> bytes:
    return hashlib.blake2b(thin.encode("utf-8"), digest_size=16).digest()


def index_sections(html: str, held: bool = True) -> Indexed:
    """What Material's search parser makes of ``html`` (its :func:`lean` form): found by
    :func:`generator.searchsections.sections` when it can read the page exactly, by the
    parser itself otherwise. ``held``: compressed, to be held until MkDocs indexes the
    page; else stored as they are (zlib level 0), for results taken as soon as they arrive
    (:mod:`generator.indexer`: 0.16 s less in its child, and 0.04 s less unpacking them in
    the build, at 1,000 notes)."""
    level = 1 if held else 0
    thin = lean(html)
    found = searchsections.sections(thin)
    if found is None:
        found = material_sections(thin)
    return Indexed(_digest(thin), zlib.compress(pickle.dumps(found, protocol=5), level))


def material_sections(html: str) -> tuple[tuple[str | None, str, str], ...]:
    """The sections Material's own search parser finds in ``html``."""
    from material.plugins.search.plugin import Parser  # type: ignore[import-untyped]

    parser = Parser()
    parser.feed(html)
    parser.close()
    return tuple((s.id, "".join(s.title), "".join(s.text)) for s in parser.data if not s.is_excluded())


def uses_material_search(config: Any) -> bool:
    """Whether Material's search plugin indexes this site (the one :func:`index_sections` imitates)."""
    return any(type(p).__module__.startswith("material.plugins.search") and p.config.get("enabled", True)
               for p in config.plugins.values())


def feed_lean_html(config: Any, precomputed: Callable[[str], Indexed | None] | None = None,
                   pristine: Callable[[Any], bool] | None = None) -> Counter[str]:
    """Make the search plugin index each page's :func:`lean` HTML, or take the sections
    found ahead of time (``precomputed`` by page path) when the HTML is unchanged, or (for
    Material's plugin) read them with :func:`generator.searchsections.sections`. Call in
    ``on_pre_build``, after every plugin's ``on_config`` created its index. Returns how
    many pages were indexed each way ("ahead", "read", "parsed"), counted as the build goes.
    ``pristine``: whether a page's HTML is still the very string its sections were found in
    (then it is not digested again to be sure: 0.1-0.2 s of a 1,000-note build)."""
    counts: Counter[str] = Counter()
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        add = getattr(index, "add_entry_from_context", None)
        if index is None or add is None:
            continue
        add = getattr(add, "kgsite_wrapped", add)
        material = type(plugin).__module__.startswith("material.plugins.search")
        index.add_entry_from_context = _lean_adder(index, add, precomputed if material else None, counts, material,
                                                   pristine)
    return counts


@contextlib.contextmanager
def paused(config: Any) -> Iterator[None]:
    """Search plugins index no page: for the pages written ahead of a serve rebuild
    (:mod:`generator.early`), which the rebuild indexes with the rest (a search plugin
    makes its index anew each build; what it read now would be thrown away)."""
    indexes = [index for plugin in config.plugins.values()
               if (index := getattr(plugin, "search_index", None)) is not None
               and hasattr(index, "add_entry_from_context")]
    kept = [vars(index).get("add_entry_from_context") for index in indexes]
    for index in indexes:
        index.add_entry_from_context = lambda page: None
    try:
        yield
    finally:
        for index, add in zip(indexes, kept, strict=True):
            if add is None:
                del index.add_entry_from_context
            else:
                index.add_entry_from_context = add


def _lean_adder(index: Any, add: Callable[[Any], None], precomputed: Callable[[str], Indexed | None] | None,
                counts: Counter[str], material: bool, pristine: Callable[[Any], bool] | None) -> Callable[[Any], None]:
    def add_lean(page: Any) -> None:
        full = page.content
        if not isinstance(full, str):
            add(page)
            return
        known = precomputed(page.file.src_uri) if precomputed is not None else None
        # (asked of every page: the plugin lets go of its record as it answers)
        untouched = pristine is not None and pristine(page) and known is not None
        thin = full if untouched else lean(full)
        found: tuple[tuple[str | None, str, str], ...] | None = None
        if known is not None and (untouched or known.digest == _digest(thin)):
            counts["ahead"] += 1
            found = known.sections
        elif material:
            found = searchsections.sections(thin)
            if found is not None:
                counts["read"] += 1
        if found is not None:
            if (page.meta.get("search") or {}).get("exclude"):
                return
            for id_, title, text in found:
                section = SimpleNamespace(id=id_, title=[title] if title else [], text=[text])
                index.create_entry_for_section(section, page.toc, page.url, page)
            return
        counts["parsed"] += 1
        page.content = thin
        try:
            add(page)
        finally:
            page.content = full

    add_lean.kgsite_wrapped = add  # type: ignore[attr-defined]  # rewrapped, not nested, on the next build
    return add_lean
