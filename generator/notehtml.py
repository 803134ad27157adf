"""A note page's Markdown to HTML with markdown-it-py: the parser that read the note for
the graph also draws its page.

Why not MkDocs' Python-Markdown: it reads notes differently from the editors they are
written in (and from our own parser). Two-space nested bullets, the way Obsidian, Zenn
and VS Code write them, come out as one flat list; the user's notes are full of them.
CommonMark (plus GFM tables, strikethrough, task lists, footnotes and ``!!!``
admonitions) shows them as written. It is also about three times faster on link-heavy
pages, which matters at a thousand notes.

Links between Markdown files become final relative URLs here (MkDocs only rewrites
links in Markdown it renders itself); headings get the ids MkDocs' ``toc`` would give
them (the same slugify, the same ``_1`` suffixes), so ``[[note#見出し]]`` links and the
table of contents land where they did.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any
from urllib.parse import unquote

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.admon import admon_plugin
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.tasklists import tasklists_plugin

from generator.notepage import MARK_CLOSE, MARK_MID, MARK_OPEN, heading_slug
from generator.paths import href_url
from graph.document import absent_block_rules

EXTERNAL = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|#|/)")
ID_COUNT = re.compile(r"^(.*)_([0-9]+)$")
MARK = re.compile(f"{MARK_OPEN}[0-9]+{MARK_MID}|{MARK_CLOSE}")
TAG_OR_MARK = re.compile(f"<[^>]*>|{MARK_OPEN}([0-9]+){MARK_MID}|{MARK_CLOSE}")


def _unique(slug: str, taken: set[str]) -> str:
    """``markdown.extensions.toc.unique``: the second "概要" is ``概要_1``."""
    while slug in taken or not slug:
        m = ID_COUNT.match(slug)
        slug = f"{m.group(1)}_{int(m.group(2)) + 1}" if m else f"{slug}_1"
    taken.add(slug)
    return slug


def _heading_ids(state: Any) -> None:
    taken: set[str] = set(state.env.get("taken_ids", ()))
    tokens: list[Token] = state.tokens
    for i, token in enumerate(tokens):
        if token.type != "heading_open" or i + 1 >= len(tokens):
            continue
        text = MARK.sub("", "".join(c.content for c in tokens[i + 1].children or []
                                    if c.type in ("text", "code_inline")))
        token.attrSet("id", _unique(heading_slug(text), taken))


def _final_url(token: Token, attr: str, env: dict[str, Any]) -> None:
    value = token.attrGet(attr)
    if isinstance(value, str) and value and not EXTERNAL.match(value):
        token.attrSet(attr, href_url(env["page"], unquote(value), env["dir_urls"]))


def _link_open(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    _final_url(tokens[idx], "href", env)
    return str(self.renderToken(tokens, idx, options, env))


def _image(self: Any, tokens: Sequence[Token], idx: int, options: Any, env: dict[str, Any]) -> str:
    _final_url(tokens[idx], "src", env)
    return str(self.image(tokens, idx, options, env))


TASK = re.compile(r"\[[ xX]\]")


@lru_cache(maxsize=128)
def note_renderer(footnotes: bool = True, tasks: bool = True, admonitions: bool = True,
                  absent: tuple[str, ...] = ()) -> MarkdownIt:
    """The renderer of note pages; a plugin left out (False) or a block rule named in
    ``absent`` is one the note gives nothing to do (:func:`renderer_for`)."""
    # the preset stops at 20 nested tokens (ten list levels) and drops what is deeper
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": 200}).enable(["table", "strikethrough"])
    if absent:
        md.disable(list(absent))
    if footnotes:
        md.use(footnote_plugin)
    if tasks:
        md.use(tasklists_plugin)
    if admonitions:
        md.use(admon_plugin)
    md.core.ruler.push("kgsite_heading_ids", _heading_ids)
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _image)
    return md


def renderer_for(markdown: str) -> MarkdownIt:
    """The note renderer without the plugins and block rules whose syntax ``markdown`` does
    not contain.

    Each plugin's rules are tried at every line or every inline position, and most notes
    use none of them: the footnotes, task lists and admonitions plugins were 0.17 s of
    the 1.3 s that markdown-it took over the note pages of 1,000 notes. A rule that cannot
    match changes nothing, so the page is the same with or without it: a footnote needs
    ``[^`` or ``^[``, a task item ``[ ]`` or ``[x]``, an admonition ``!!!`` or ``???``.
    The block rules are those of :func:`graph.document.absent_block_rules`.
    """
    return note_renderer("[^" in markdown or "^[" in markdown, TASK.search(markdown) is not None,
                         "!!!" in markdown or "???" in markdown, absent_block_rules(markdown))


def put_marks(html: str, marks: tuple[str, ...]) -> str:
    """The tags :class:`generator.notepage.Marks` stood for, put back. Inside a tag (an
    image's alt text, a link title) a placeholder is dropped, never a tag nested in an
    attribute."""
    if not marks:
        # no placeholders were written (a note holding these characters keeps them)
        return html

    def repl(m: re.Match[str]) -> str:
        whole = m.group(0)
        if whole.startswith("<"):
            return MARK.sub("", whole) if (MARK_OPEN in whole or MARK_CLOSE in whole) else whole
        if whole == MARK_CLOSE:
            return "</a>"
        return marks[int(m.group(1))]

    return TAG_OR_MARK.sub(repl, html)


def note_html(markdown: str, page: str, use_directory_urls: bool, marks: tuple[str, ...] = ()) -> str:
    """The body of a note page (front matter already taken off) as HTML; ``marks`` are the
    tags the body's placeholders stand for (:class:`generator.notepage.Marks`). While
    serving, unchanged pages are not rendered again at all (``generator.site._DRAWN``)."""
    env = {"page": page, "dir_urls": use_directory_urls}
    return put_marks(str(renderer_for(markdown).render(markdown, env)), marks)
