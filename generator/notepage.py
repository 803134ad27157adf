"""A note as a page: the user's Markdown, with mentions linked and line anchors added.

The text stays the user's own; we only add links and anchors, convert wikilinks to
relative links (or mark them missing), and make Zenn/Obsidian syntax readable. We work
line by line on the original text so the anchors match the lines evidence points to.
"""

from __future__ import annotations

import html
import posixpath
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

import networkx as nx

from generator.paths import Layout, href_url, rel
from generator.render import md, yaml_str
from graph.build import entity_for_link, resolve_link
from graph.document import WIKILINK
from graph.model import Document

PROTECTED = re.compile(r"`[^`]*`|!?\[\[[^\]]*\]\]|!?\[[^\]]*\]\([^)]*\)|!?\[[^\]]*\]\[[^\]]*\]|<[^>]+>|https?://\S+")
ZENN_OPEN = re.compile(r"^(\s*):::\s*(message|details|alert)?\s*(alert)?\s*(.*)$")
BLOCK_ID = re.compile(r"\s\^([A-Za-z0-9-]+)\s*$")
MARK_OPEN, MARK_MID, MARK_CLOSE = "\ue000", "\ue001", "\ue002"


def heading_slug(text: str) -> str:
    from pymdownx.slugs import slugify

    return str(slugify(case="lower")(text, "-"))


@dataclass(frozen=True)
class NotePage:
    """A note page before rendering: ``body`` is Markdown whose placeholders stand for ``marks``."""

    front_matter: str
    body: str
    marks: tuple[str, ...]
    #: what ``front_matter`` says, for MkDocs without reading YAML back
    meta: dict[str, Any]


class Marks:
    """The HTML a note page adds (mention links, line anchors), as placeholders.

    Written as ``<a href=…>`` into the Markdown, each tag is one more inline-HTML parse
    for markdown-it, and a note carries hundreds: that was most of the time spent drawing
    note pages. A placeholder of private-use characters is plain text to the parser, and
    :func:`generator.notehtml.note_html` swaps the tags in afterwards. A note that itself
    contains those characters gets the tags written out, as before.
    """

    def __init__(self, text: str) -> None:
        self.html: list[str] = []
        self.inline = any(c in text for c in (MARK_OPEN, MARK_MID, MARK_CLOSE))

    def tag(self, html_tag: str) -> str:
        if self.inline:
            return html_tag
        self.html.append(html_tag)
        return f"{MARK_OPEN}{len(self.html) - 1}{MARK_MID}"

    def link(self, url: str, text: str) -> str:
        # str(): ``text`` may be Markup, which would escape the tag added to it
        return self.tag(f'<a href="{url}">') + str(text) + ("</a>" if self.inline else MARK_CLOSE)


def _link_line(line: str, links: list[tuple[str, str]], marks: Marks,
               shown: dict[str, str] | None = None) -> str:
    """Link the first unprotected occurrence of each surface on this line (``shown``:
    each surface as Markdown text, kept across the lines of a note)."""
    if not links:
        return line
    pieces: list[tuple[bool, str]] = []
    pos = 0
    for m in PROTECTED.finditer(line):
        pieces.append((False, line[pos:m.start()]))
        pieces.append((True, m.group(0)))
        pos = m.end()
    pieces.append((False, line[pos:]))
    done: set[str] = set()
    for surface, url in sorted(links, key=lambda x: -len(x[0])):
        if url in done:
            continue
        for i, (protected, text) in enumerate(pieces):
            if protected:
                continue
            at = text.find(surface)
            if at < 0:
                continue
            text_md = shown.get(surface) if shown is not None else None
            if text_md is None:
                text_md = md(surface)
                if shown is not None:
                    shown[surface] = text_md
            pieces[i:i + 1] = [(False, text[:at]), (True, marks.link(url, text_md)),
                               (False, text[at + len(surface):])]
            done.add(url)
            break
    return "".join(t for _, t in pieces)


def _front_matter(doc: Document) -> tuple[str, dict[str, Any]]:
    # MkDocs themes print the title and tags unescaped (<title>, header, nav): escape here
    meta: dict[str, Any] = {"title": html.escape(doc.title, quote=False)}
    lines = [f"title: {yaml_str(doc.title)}"]
    if doc.tags:
        meta["tags"] = [html.escape(t, quote=False) for t in doc.tags]
        lines += ["tags:", *(f"- {yaml_str(t)}" for t in doc.tags)]
    # JSON strings are YAML strings, written without a YAML emitter (a millisecond a page)
    return "---\n" + "\n".join(lines) + "\n---\n", meta


MD_LINK_TARGET = re.compile(r"(!?)\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def _relative_links(line: str, source: str, existing: set[str], missing: list[tuple[str, str]],
                    page: str = "", layout: Layout | None = None) -> str:
    """Relative links between vault files point at where those files are published.

    A link to another note goes to that note's page (whose path may differ from the file
    name, see :mod:`generator.paths`); a link to an image or other file goes to its copy
    under the notes folder. Links to files that are not in the vault would be broken
    (and fail ``--strict``): they are shown as text marked missing, and reported.
    """
    if "](" not in line:
        return line

    def repl(m: re.Match[str]) -> str:
        bang, text, target = m.group(1), m.group(2), m.group(3)
        if re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:|^#|^/", target):
            return m.group(0)
        bare, _, frag = target.partition("#")
        path = posixpath.normpath(posixpath.join(posixpath.dirname(source), unquote(bare)))
        if path in existing:
            if layout is None:
                return m.group(0)
            dest = layout.note(path) if path.endswith(".md") else layout.vault_file(path)
            href = quote(rel(page, dest)) + (f"#{frag}" if frag else "")
            return f"{bang}[{text}]({href})"
        missing.append((target, source))
        label = html.escape(text or target)
        icon = "🖼 " if bang else ""
        return f'<span class="kg-missing" title="{html.escape("見つからないファイル: " + target)}">{icon}{label}</span>'

    return MD_LINK_TARGET.sub(repl, line)


def render_note(doc: Document, text: str, graph: nx.MultiDiGraph, layout: Layout,
                lookup: dict[str, str], existing: set[str] | None = None,
                missing: list[tuple[str, str]] | None = None, page: str = "",
                use_directory_urls: bool = True) -> NotePage:
    """The note page's front matter (title, tags: for MkDocs) and body Markdown (for
    :func:`generator.notehtml.note_html`). ``text`` is the decoded note; ``lookup``
    resolves wikilinks.

    Mentions are linked with HTML ``<a>`` and final URLs (a note can carry hundreds, and
    a Markdown link costs the renderer several times what a tag does), written as
    :class:`Marks` placeholders.
    """
    page = page or layout.note(doc.path)
    lines = text.split("\n")
    marks = Marks(text)
    mentions: dict[int, list[tuple[str, str]]] = defaultdict(list)
    nid = "note:" + doc.path
    if nid in graph:
        for _, eid, k, data in graph.out_edges(nid, keys=True, data=True):
            if k != "mentions":
                continue
            url = html.escape(href_url(page, rel(page, layout.entity(eid, graph.nodes[eid]["kind"])),
                                       use_directory_urls))
            for ev in data["evidence"]:
                mentions[ev["line"]].append((ev["quote"], url))
    anchors: dict[int, str] = {}
    code_lines: set[int] = set()
    for b in doc.blocks:
        if b.kind == "code":
            code_lines.update(range(b.line, b.end_line + 1))
        elif b.line:
            anchors.setdefault(b.line, b.kind)
    out: list[str] = []
    block_lines = {b.line: b for b in doc.blocks if b.kind != "code"}
    # the lines a mention can be offered to (its own, and the next seven of its block)
    near = {at + k for at in mentions for k in range(MENTION_REACH)}
    shown: dict[str, str] = {}
    for lineno, line in enumerate(lines, start=1):
        if lineno <= doc.body_offset:
            continue
        if lineno in code_lines:
            out.append(line)
            continue
        line = _zenn(line)
        # Markdown links first: the wikilinks' output already points at pages, not vault files
        if existing is not None:
            line = _relative_links(line, doc.path, existing, missing if missing is not None else [], page,
                                   layout)
        line = _wikilinks(line, doc.path, page, layout, lookup, existing, graph)
        if "^" in line:
            line = BLOCK_ID.sub(lambda m: f' <a id="^{m.group(1)}"></a>', line)
        # every line of a block carries its mentions; anchors go on a block's first line
        if lineno in near:
            line = _link_line(line, _mentions_for(lineno, mentions, block_lines), marks, shown)
        if lineno in anchors:
            line = _anchor(line, lineno, anchors[lineno], marks)
        out.append(line)
    if doc.body_offset:
        # relations declared in front matter cite line 1: land them at the top of the note
        out.insert(0, marks.tag('<a id="L1" class="kg-line"></a>') + "\n")
    front, meta = _front_matter(doc)
    return NotePage(front, "\n".join(out).rstrip("\n") + "\n", tuple(marks.html), meta)


MENTION_REACH = 8
"""A block's mentions are offered to its first line and the seven after it."""


def _mentions_for(lineno: int, mentions: dict[int, list[tuple[str, str]]], blocks: dict[int, Any]) -> list[
        tuple[str, str]]:
    found = list(mentions.get(lineno, []))
    # a multi-line block reports its mentions on its first line; offer them to every line
    for start in range(lineno - 1, max(0, lineno - MENTION_REACH), -1):
        b = blocks.get(start)
        if b is not None and b.end_line >= lineno:
            found.extend(mentions.get(start, []))
            break
    return found


ANCHOR_AT = re.compile(r"^(\s*(?:#{1,6}\s+|[-*+]\s+(?:\[[ xX]\]\s+)?|\d+[.)]\s+|>\s*|\|\s*)*)")


def _anchor(line: str, lineno: int, kind: str, marks: Marks) -> str:
    if not line.strip():
        return line
    if set(line.strip()) <= set("|-: "):
        return line
    tag = marks.tag(f'<a id="L{lineno}" class="kg-line"></a>')
    m = ANCHOR_AT.match(line)
    head = m.group(1) if m else ""
    return head + tag + line[len(head):]


def _zenn(line: str) -> str:
    """Zenn's ``:::message`` boxes become Material-styled blocks instead of stray colons."""
    stripped = line.strip()
    if stripped == ":::":
        return "</div>\n"
    m = ZENN_OPEN.match(line)
    if m and stripped.startswith(":::"):
        kind = "warning" if (m.group(2) == "alert" or m.group(3) == "alert") else "note"
        title = html.escape(m.group(4).strip() or ("メモ" if kind == "note" else "注意"))
        # the blank line ends the HTML block: what follows is Markdown again
        return (f'<div class="admonition {kind}">\n'
                f'<p class="admonition-title">{title}</p>\n')
    return line


def _vault_file(target: str, source: str, existing: set[str]) -> str | None:
    """An attachment named by a wikilink: relative to the note, from the vault root, or by name."""
    for cand in (posixpath.normpath(posixpath.join(posixpath.dirname(source), target)), target):
        if cand in existing:
            return cand
    by_name = sorted(p for p in existing if posixpath.basename(p) == posixpath.basename(target))
    return by_name[0] if by_name else None


def _wikilinks(line: str, source: str, page: str, layout: Layout, lookup: dict[str, str],
               existing: set[str] | None = None, graph: nx.MultiDiGraph | None = None) -> str:
    if "[[" not in line:
        return line

    def repl(m: re.Match[str]) -> str:
        embed, target, heading, label = m.group(1), (m.group(2) or "").strip(), m.group(3), m.group(4)
        anchor = (heading or "").lstrip("#")
        text = (label or target.split("/")[-1] or anchor.lstrip("^")).strip()
        shown = text.replace("[", "\\[").replace("]", "\\]")
        dest = resolve_link(target, source, lookup)
        if dest is None and existing and posixpath.splitext(target)[1] not in ("", ".md"):
            found = _vault_file(target, source, existing)
            if found is not None:
                href = quote(rel(page, layout.vault_file(found)))
                return f"![{shown}]({href})" if embed else f"[{shown}]({href})"
        entity = entity_for_link(graph, target) if dest is None and graph is not None else None
        if entity is not None and graph is not None:
            # [[Amazon S3]] names a term, not a note: it opens the term's page
            href = quote(rel(page, layout.entity(entity, graph.nodes[entity]["kind"])))
            return f"[{shown}]({href})"
        if dest is None:
            return (f'<span class="kg-missing" title="{html.escape("ノートがありません: " + target)}">'
                    f"{html.escape(text)}</span>")
        frag = ""
        if anchor:
            frag = "#" + (anchor if anchor.startswith("^") else heading_slug(anchor))
        href = quote(rel(page, layout.note(dest))) if dest != source else ""
        prefix = "↪ " if embed else ""
        return f"{prefix}[{shown}]({href}{frag})"

    return WIKILINK.sub(repl, line)
