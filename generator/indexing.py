"""Material's search indexing, fed the page without the tags it throws away.

Material's search plugin reads every page's HTML with Python's ``HTMLParser`` and keeps
only text, headings and a few block tags (p, li, code, pre...). Our pages are link-dense:
every mention on a note page is a link and every block carries a line anchor, every
quote on a term page links to its source. Each such tag is a Python-level callback, and
on a 1,000-note vault indexing took 6-7 s, most of it on ``<a>`` tags whose text is all
the index keeps. Handing the parser the same HTML with inline tags removed (and the
headings' permalink symbol, which it skips anyway) gives the same entries in about half
the time. The page itself is untouched: only the indexer's view of it is lean.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

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


def feed_lean_html(config: Any) -> None:
    """Make the search plugin index each page's :func:`lean` HTML (call in ``on_pre_build``,
    after every plugin's ``on_config`` created its index)."""
    for plugin in config.plugins.values():
        index = getattr(plugin, "search_index", None)
        add = getattr(index, "add_entry_from_context", None)
        if index is None or add is None or getattr(add, "kgsite_lean", False):
            continue
        index.add_entry_from_context = _lean_adder(add)


def _lean_adder(add: Callable[[Any], None]) -> Callable[[Any], None]:
    def add_lean(page: Any) -> None:
        full = page.content
        if not isinstance(full, str):
            add(page)
            return
        page.content = lean(full)
        try:
            add(page)
        finally:
            page.content = full

    add_lean.kgsite_lean = True  # type: ignore[attr-defined]
    return add_lean
