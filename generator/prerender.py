"""Pages we render to HTML ourselves, which MkDocs then only wraps in the theme.

Entity pages are generated from the graph, not written by anyone: running them through
Python-Markdown re-parses text we already hold as structure. On a 1,000-note vault that
was about a third of the build (hundreds of pages, each with hundreds of evidence
links). So the page goes to MkDocs as front matter only (title, for the navigation and
``<title>``), and its HTML and table of contents are set in place of MkDocs' Markdown
step (:func:`install`). Everything after it is MkDocs as usual: ``on_page_content``
hooks, the theme, search indexing.
"""

from __future__ import annotations

import copy
import hashlib
import re
import zlib
from dataclasses import dataclass
from functools import cached_property
from html import escape
from typing import Any

TAG = re.compile(r"<[^>]+>")
ANCHOR_ID = re.compile(r"\bid=\"([^\"]+)\"")
ID_ATTR = re.compile(r"id=\"([^\"]+)\"")
WORD = re.compile(r"\w")
HEADING = re.compile(r"<h([1-6]) id=\"([^\"]*)\">(.*?)</h\1>", re.S)


@dataclass(frozen=True)
class Prerendered:
    """A generated page's body HTML (links already final) and its headings.

    The HTML is held compressed: every page of the site is drawn before MkDocs writes the
    first one, and as text a page of Japanese takes two bytes a character (at 10,000 notes
    over 250 MB for the bodies alone; compressed, about a seventh of that). A forked
    worker also sends it back smaller."""

    packed: bytes  # zlib (level 1) of the UTF-8 HTML
    toc: tuple[tuple[int, str, str], ...]  # (level, id, title HTML)
    #: every id a link may point at, NUL-separated: found where the page is drawn (on every
    #: core, and kept in the page cache), not where MkDocs reads it (0.4 s of every
    #: 1,000-note build); one string, not a set, for the memory of 10,000 notes
    anchors: str = ""
    #: the HTML is as published already (:func:`generator.render.finished_html`, applied where
    #: the page is drawn, on every core): the plugin need not read it again as MkDocs wraps it
    final: bool = False

    @property
    def html(self) -> str:
        return zlib.decompress(self.packed).decode("utf-8")

    @staticmethod
    def of(html: str, final: bool = False) -> Prerendered:
        # the contents' title is the heading's text: a line anchor or link inside it would
        # repeat an id or nest a link in the sidebar
        toc = tuple((int(m.group(1)), m.group(2), TAG.sub("", m.group(3)).strip()) for m in HEADING.finditer(html))
        return Prerendered(zlib.compress(html.encode("utf-8"), 1), toc,
                           "\0".join(sorted({id_ for _, id_, _ in toc} | set(anchor_ids(html)))), final)

    @property
    def anchor_ids(self) -> set[str]:
        return set(self.anchors.split("\0")) if self.anchors else set()

    @cached_property
    def digest(self) -> str:
        """What tells two versions of the page apart, without unpacking it (zlib gives the
        same bytes for the same HTML; while serving, an unchanged page keeps this object)."""
        return hashlib.sha256(self.packed).hexdigest()

    def toc_tokens(self) -> list[dict[str, Any]]:
        """The nested form Python-Markdown's ``toc`` extension gives MkDocs."""
        root: list[dict[str, Any]] = []
        stack: list[dict[str, Any]] = []
        for level, id_, name in self.toc:
            token: dict[str, Any] = {"level": level, "id": id_, "name": name, "children": []}
            while stack and stack[-1]["level"] >= level:
                stack.pop()
            (stack[-1]["children"] if stack else root).append(token)
            stack.append(token)
        return root


def anchor_ids(html: str) -> list[str]:
    """``ANCHOR_ID.findall(html)``, in a twentieth of the time: the search for the literal
    ``id="`` is fast where a pattern starting with ``\\b`` tries every position (0.2 s of
    every 1,000-note build). A match after a word character (``data-id="``) is not one, and
    the search goes on from the next character, as the pattern's own scan does."""
    out = []
    m = ID_ATTR.search(html)
    while m is not None:
        at = m.start()
        if at and WORD.match(html, at - 1):
            m = ID_ATTR.search(html, at + 1)
            continue
        out.append(m.group(1))
        m = ID_ATTR.search(html, m.end())
    return out


Rendered = dict[str, tuple[Prerendered, tuple[object, str], str]]
"""While serving: page -> the :class:`Prerendered` it was drawn from, the permalink
settings, and the HTML ``render`` gave it."""


def install(page: Any, pre: Prerendered, rendered: Rendered | None = None, final: dict[str, str] | None = None) -> None:
    """Make ``page.render`` set our HTML instead of converting Markdown.

    Done per page object in ``on_pre_page``: MkDocs calls ``page.render(config, files)``
    right after ``on_page_markdown``; nothing else about the page changes. ``rendered``
    (while serving): a rebuild reads every page again, and a page drawn from the same
    :class:`Prerendered` as last time gets the same HTML without unpacking it again.
    ``final``: where the HTML set is recorded, when it is already as published
    (:attr:`Prerendered.final`); the very string, so that a plugin that changes it is seen.
    """
    from mkdocs.structure.toc import get_toc

    def render(config: Any, files: Any) -> None:
        toc_config = (config.get("mdx_configs") or {}).get("toc") or {}
        links = (toc_config.get("permalink"), str(toc_config.get("permalink_title", "Permanent link")))
        kept = rendered.get(page.file.src_uri) if rendered is not None else None
        if kept is not None and kept[0] is pre and kept[1] == links:
            page.content = kept[2]
        else:
            page.content = with_permalinks(pre.html, *links)
            if rendered is not None:
                rendered[page.file.src_uri] = (pre, links, page.content)
        if final is not None and pre.final:
            final[page.file.src_uri] = page.content
        page.toc = get_toc(pre.toc_tokens())  # type: ignore[arg-type]
        page.present_anchor_ids = pre.anchor_ids

    page.render = render


def install_meta(page: Any, said: dict[str, Any]) -> None:
    """Make ``page.read_source`` take the front matter's values as we wrote them instead of
    parsing the YAML back (about 0.4 ms a page: a second at 2,500 generated pages, on every
    build and every rebuild while serving). A source from a plugin (``on_page_read_source``)
    or without our front matter is read as MkDocs reads it."""
    from mkdocs.utils import meta

    def read_source(config: Any) -> None:
        source = config.plugins.on_page_read_source(page=page, config=config)
        if source is None:
            source = page.file.content_string
            m = meta.YAML_RE.match(source)
            if m is not None:
                page.markdown, page.meta = source[m.end():].lstrip("\n"), plain_copy(said)
                return
        page.markdown, page.meta = meta.get_data(source)

    page.read_source = read_source


def plain_copy(value: Any) -> Any:
    """A deep copy of front-matter values (dicts, lists, strings, numbers): each page gets
    its own to change, as from MkDocs' YAML parse, at a fraction of ``copy.deepcopy``'s cost
    (it was a third of reading the pages of a serve rebuild)."""
    if isinstance(value, dict):
        return {k: plain_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain_copy(v) for v in value]
    return copy.deepcopy(value) if not isinstance(value, (str, int, float, bool, type(None))) else value


def with_permalinks(html: str, permalink: object, title: str) -> str:
    """The ``toc`` extension's ``permalink`` option, as the site's Markdown pages get it."""
    if not permalink:
        return html
    symbol = "&para;" if permalink is True else escape(str(permalink))

    def add(m: re.Match[str]) -> str:
        return (f'<h{m.group(1)} id="{m.group(2)}">{m.group(3)}<a class="headerlink" href="#{m.group(2)}" '
                f'title="{escape(title)}">{symbol}</a></h{m.group(1)}>')

    return HEADING.sub(add, html)
