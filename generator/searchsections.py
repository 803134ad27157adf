"""Material's search sections of a page, found by one regular expression instead of
Python's ``HTMLParser``.

Why: Material's indexer (``material.plugins.search.plugin.Parser``) is an
``HTMLParser`` with a Python callback per tag and per text run. On our pages, drawn by
us and full of tags, that was 1.6 s of CPU of a first build at 1,000 notes (1,462
pages), about as much as drawing them.

How it stays exact: :func:`sections` replays the parser's rules (its kept tags, its
whitespace collapsing, its heading sections and their depth) on the same stream of
start tags, end tags and text, but only for HTML in a strict form it can read without
doubt: every ``<`` opens a complete tag with quoted (or no) attribute values, and none
of the constructs it would treat specially appear (comments, declarations, object,
``data-search-exclude``, ``linenodiv``, permalinks). For anything else
it returns None and the caller runs Material's parser. A test compares both on every
page of the seed and example sites and on generated HTML.
"""

from __future__ import annotations

import re
from functools import lru_cache
from html import escape, unescape

SPACE = "[ \t\n\r\f]"
TOKEN = re.compile(
    rf"<(?:/([a-zA-Z][a-zA-Z0-9]*){SPACE}*>"
    rf"|([a-zA-Z][a-zA-Z0-9]*)((?:{SPACE}+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:{SPACE}*={SPACE}*(?:\"[^\"]*\"|'[^']*'))?)*)"
    rf"{SPACE}*(/?)>)?")
ATTR = re.compile(rf"([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:{SPACE}*={SPACE}*(\"[^\"]*\"|'[^']*'))?")
REFUSED = re.compile(r"data-search-exclude|linenodiv|headerlink|<object\b", re.IGNORECASE)
RAW_TEXT = {tag: re.compile(rf"</\s*{tag}\s*>", re.IGNORECASE) for tag in ("script", "style")}
HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

Section = tuple[str | None, str, str]


class _Section:
    __slots__ = ("depth", "id", "tag", "text", "title")

    def __init__(self, tag: str, depth: float = 0) -> None:
        self.tag = tag
        self.depth = depth
        self.id: str | None = None
        self.title: list[str] = []
        self.text: list[str] = []


class _Unreadable(Exception):
    """HTML outside the strict form: Material's parser decides."""


def sections(html: str) -> tuple[Section, ...] | None:
    """``(id, title HTML, text HTML)`` of each section Material's parser would find in
    ``html``, or None when ``html`` is not in the form this function reads exactly."""
    if REFUSED.search(html):
        return None
    try:
        return _sections(html)
    except _Unreadable:
        return None


@lru_cache(maxsize=1)
def _material_tags() -> tuple[frozenset[str], frozenset[str]]:
    """The tags Material's parser keeps in the index and those it treats as self-closing,
    taken from Material itself (imported when first needed: it is not light)."""
    from material.plugins.search.plugin import Parser, void  # type: ignore[import-untyped]

    return frozenset(Parser().keep), frozenset(void)


def _sections(html: str) -> tuple[Section, ...]:
    keep, void = _material_tags()
    data: list[_Section] = []
    context: list[str] = []
    section: _Section | None = None

    def text(chunk: str) -> None:
        nonlocal section
        if "pre" not in context:
            chunk = chunk.replace("\n", " ") if not chunk.isspace() else " "
        if section is None:
            section = _Section("hx")
            data.append(section)
        if section.tag in context:
            section.title.append(escape(chunk, quote=False))
        elif chunk.isspace():
            if not section.text or not section.text[-1].isspace() or "pre" in context:
                section.text.append(chunk)
        else:
            section.text.append(escape(chunk, quote=False))

    def start(tag: str, attrs: str) -> None:
        nonlocal section
        if tag in void:
            return
        context.append(tag)
        if tag in HEADINGS:
            found = {m.group(1).lower(): m.group(2) for m in ATTR.finditer(attrs)}
            if "id" in found:
                value = found["id"]
                depth = len(context)
                if tag != "h1" and not data:
                    section = _Section("hx", depth)
                    data.append(section)
                section = _Section(tag, depth)
                if data:
                    section.id = unescape(value[1:-1]) if value else None
                data.append(section)
        if section is None:
            section = _Section("hx")
            data.append(section)
        if tag in keep:
            (section.title if section.tag in context else section.text).append(f"<{tag}>")

    def end(tag: str) -> None:
        nonlocal section
        if not context or context[-1] != tag:
            return
        assert section is not None  # an open tag made one
        if section.depth > len(context):
            for earlier in reversed(data):
                if earlier.depth <= len(context):
                    section.depth = float("inf")
                    section = earlier
                    break
        context.pop()
        if tag in keep:
            out = section.title if section.tag in context else section.text
            opening = f"<{tag}>"
            if opening not in out:
                raise _Unreadable  # Material's parser fails here; let it
            index = out.index(opening)
            if all(piece.isspace() for piece in out[index + 1:]):
                del out[index:]
            else:
                out.append(f"</{tag}>")

    pos = 0
    while (m := TOKEN.search(html, pos)) is not None:
        if m.start() > pos:
            text(unescape(html[pos:m.start()]))
        pos = m.end()
        closing, opening = m.group(1), m.group(2)
        if closing is not None:
            end(closing.lower())
        elif opening is not None:
            tag = opening.lower()
            start(tag, m.group(3))
            if m.group(4):
                end(tag)
            elif tag in RAW_TEXT:
                # a script's or style's text is never indexed, and never read for tags
                close = RAW_TEXT[tag].search(html, pos)
                if close is None:
                    raise _Unreadable
                pos = close.end()
                end(tag)
        else:
            raise _Unreadable  # a "<" that opens no tag this function reads
    if pos < len(html):
        text(unescape(html[pos:]))
    return tuple((s.id, "".join(s.title), "".join(s.text)) for s in data)
