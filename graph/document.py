"""Markdown to a :class:`Document`: blocks that keep their source lines.

markdown-it-py gives every block token a ``map`` (start and end line); we keep it on
each block so evidence can point to the exact line in the note. Inline markup is
reduced to plain text for matching, while ``raw`` keeps the Markdown for rendering.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import PurePosixPath

import yaml
from markdown_it import MarkdownIt
from markdown_it.token import Token

from graph.cuefile import YAML_LOADER
from graph.model import Block, BlockKind, Diagnostic, Document, RawNote, WikiLink

FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.S)
WIKILINK = re.compile(r"(!?)\[\[([^\[\]|#^]*)(#\^?[^\[\]|]*)?(?:\|([^\[\]]*))?\]\]")
MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
HTML_TAG = re.compile(r"<[^>]+>")
LINE_BREAK = re.compile(r"[ \t]*\n[ \t]*")
EMPHASIS = re.compile(r"(\*\*|__|~~|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*]))")
BLOCK_ID = re.compile(r"\s\^[A-Za-z0-9-]+\s*$")
CITATION = re.compile(r"【[^】]*】")
BOLD = re.compile(r"\*\*([^*\n]{1,80}?)\*\*|__([^_\n]{1,80}?)__")


BLOCK_SYNTAX: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("table", ("|",)), ("fence", ("```", "~~~")), ("blockquote", (">",)), ("html_block", ("<",)))
"""markdown-it's block rules that need a character sequence to be in the text at all: a
table's header row holds ``|``, a fence opens with three backticks or tildes, a quote's
line starts with ``>``, an HTML block with ``<``."""


def absent_block_rules(text: str) -> tuple[str, ...]:
    """The rules of :data:`BLOCK_SYNTAX` that cannot match anywhere in ``text``.

    markdown-it tries every block rule at every line (and again, as a terminator, at each
    line of a paragraph or list). A rule that cannot match only costs that time: left out,
    the tokens are the same. Most notes have no quote, HTML or fence and many no table;
    the block parse of 1,000 notes took 0.65 s with every rule and 0.52 s without those."""
    return tuple(rule for rule, marks in BLOCK_SYNTAX if not any(m in text for m in marks))


@lru_cache(maxsize=16)
def markdown_parser(absent: tuple[str, ...] = ()) -> MarkdownIt:
    """The block structure of a note, with each block's raw inline text; the rules named
    in ``absent`` are left out (:func:`absent_block_rules`).

    The inline phase (links, emphasis, code spans as child tokens) is switched off: the
    graph reads a block's raw text (:func:`plain_text`), never its children, and that
    phase was about a third of markdown-it's time. The page renderer
    (:mod:`generator.notehtml`) keeps it."""
    # the preset's limit (20 nested tokens, ten list levels) silently drops deeper text
    md = MarkdownIt("commonmark", {"html": True, "maxNesting": 200}).enable("table").disable(
        ["inline", "text_join"])
    return md.disable(list(absent)) if absent else md


def split_front_matter(text: str, rel: str) -> tuple[dict[str, object], int, str, list[Diagnostic]]:
    """Front matter dict, the number of lines it spans, the body, diagnostics."""
    m = FRONT_MATTER.match(text)
    if not m:
        return {}, 0, text, []
    lines = text[: m.end()].count("\n")
    body = "\n" * lines + text[m.end():]
    try:
        data = yaml.load(m.group(1) or "", Loader=YAML_LOADER) or {}
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = (mark.line + 2) if mark is not None else 1
        return {}, lines, body, [Diagnostic("warning", "front-matter-invalid",
                                            f"front matter is not valid YAML ({getattr(exc, 'problem', exc)}); "
                                            "it was ignored.", rel, line)]
    if not isinstance(data, dict):
        return {}, lines, body, [Diagnostic("warning", "front-matter-invalid",
                                            "front matter is not a mapping of keys to values; it was ignored.",
                                            rel, 1)]
    return {str(k): v for k, v in data.items()}, lines, body, []


def plain_text(raw: str) -> str:
    """Inline Markdown to the words a reader sees.

    Each pattern runs only where the text holds what it cannot match without (most
    lines have no link, tag or emphasis): same result, a fraction of the scans."""
    text = raw
    if "[[" in text:
        text = WIKILINK.sub(
            lambda m: m.group(4) or (m.group(2) or "").split("/")[-1] or (m.group(3) or "").lstrip("#^"), text)
    if "](" in text:
        text = MD_LINK.sub(lambda m: m.group(1), text)
    if "<" in text:
        text = HTML_TAG.sub("", text)
    if "【" in text:
        text = CITATION.sub("", text)
    text = text.replace("`", "")
    if "*" in text or "__" in text or "~~" in text:
        text = EMPHASIS.sub("", text)
    if "^" in text:
        text = BLOCK_ID.sub("", text)
    if "\n" in text:
        text = LINE_BREAK.sub(" ", text)
    return text.strip()


def bold_terms(raw: str) -> list[str]:
    return [(a or b).strip() for a, b in BOLD.findall(raw)]


def _tags(front: dict[str, object]) -> tuple[str, ...]:
    value = front.get("tags", [])
    if isinstance(value, str):
        value = [t for t in re.split(r"[,\s]+", value) if t]
    if not isinstance(value, list):
        return ()
    return tuple(sorted({str(t).strip().lstrip("#") for t in value if str(t).strip()}))


def _title(front: dict[str, object], blocks: list[Block], rel: str) -> str:
    title = front.get("title")
    if isinstance(title, str | int | float) and str(title).strip():
        return str(title).strip()
    for b in blocks:
        if b.kind == "heading" and b.level == 1 and b.text:
            return b.text
    return PurePosixPath(rel).stem


def parse_links(body: str) -> tuple[WikiLink, ...]:
    links = []
    for lineno, line in enumerate(body.split("\n"), start=1):
        if "[[" not in line:
            continue
        for m in WIKILINK.finditer(line):
            target = (m.group(2) or "").strip()
            heading = (m.group(3) or "").lstrip("#").strip()
            links.append(WikiLink(target, heading, (m.group(4) or "").strip(), lineno, m.group(1) == "!"))
    return tuple(links)


def parse_document(note: RawNote) -> Document:
    # the loader already normalises line endings; a lone CR is a line break for
    # markdown-it too, so lines are counted the same way here whoever calls us
    text = note.text.replace("\r\n", "\n").replace("\r", "\n")
    front, offset, body, diags = split_front_matter(text, note.path)
    tokens = markdown_parser(absent_block_rules(body)).parse(body)
    blocks = _blocks(tokens)
    return Document(
        path=note.path,
        title=_title(front, blocks, note.path),
        blocks=tuple(blocks),
        front_matter=front,
        links=parse_links(body),
        tags=_tags(front),
        body_offset=offset,
        diagnostics=tuple(diags) + note.diagnostics,
    )


def _blocks(tokens: list[Token]) -> list[Block]:
    blocks: list[Block] = []
    section: list[tuple[int, str]] = []
    shared: dict[tuple[str, ...], tuple[str, ...]] = {}
    # the titles above the blocks now: one tuple for all the blocks of a section (a 10,000-note
    # vault has ~700,000 blocks), made again only when a heading changes the section
    above: tuple[str, ...] = ()

    items: list[str] = []  # texts of the open list items, outermost first
    pending_item = False
    table = -1
    row: list[str] = []
    row_line = (0, 0)
    in_head = False
    quote_depth = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        if t == "heading_open":
            inline = tokens[i + 1]
            level = int(tok.tag[1:])
            text = plain_text(inline.content)
            if section and section[-1][0] >= level:
                while section and section[-1][0] >= level:
                    section.pop()
                above = tuple(s for _, s in section)
                above = shared.setdefault(above, above)
            line, end = _lines(tok)
            blocks.append(Block("heading", text, line, end, above, (), 0, (), level,
                                -1, inline.content))
            section.append((level, text))
            above = (*above, text)
            above = shared.setdefault(above, above)
            i += 3
            continue
        if t == "list_item_open":
            items.append("")
            pending_item = True
        elif t == "list_item_close":
            items.pop()
            pending_item = False
        elif t == "blockquote_open":
            quote_depth += 1
        elif t == "blockquote_close":
            quote_depth -= 1
        elif t == "paragraph_open":
            inline = tokens[i + 1]
            text = plain_text(inline.content)
            line, end = _lines(tok)
            kind: BlockKind = "bullet" if items else ("quote" if quote_depth else "paragraph")
            parents = tuple(p for p in items[:-1] if p) if items else ()
            blocks.append(Block(kind, text, line, end, above, parents, len(items), (), 0,
                                -1, inline.content))
            if pending_item and items:
                items[-1] = text
                pending_item = False
            i += 3
            continue
        elif t in ("fence", "code_block"):
            line, end = _lines(tok)
            blocks.append(Block("code", tok.content, line, end, above, (), len(items)))
        elif t == "table_open":
            table += 1
        elif t == "thead_open":
            in_head = True
        elif t == "thead_close":
            in_head = False
        elif t == "tr_open":
            row = []
            row_line = _lines(tok)
        elif t == "inline" and tokens[i - 1].type in ("th_open", "td_open"):
            row.append(tok.content)
        elif t == "tr_close":
            cells = tuple(plain_text(c) for c in row)
            kind = "table_header" if in_head else "table_row"
            blocks.append(Block(kind, " | ".join(cells), row_line[0], row_line[1], above,
                                (), 0, cells, 0, table, " | ".join(row)))
        i += 1
    return blocks


def _lines(tok: Token) -> tuple[int, int]:
    if tok.map:
        return tok.map[0] + 1, max(tok.map[0] + 1, tok.map[1])
    return 0, 0


SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+(?=[A-Z\u3040-\u30ff\u4e00-\u9fff])")


def sentences(text: str) -> list[str]:
    """Split a block's text into sentences (Japanese 。 and English full stops)."""
    parts = [p.strip() for p in SENTENCE_END.split(text)]
    return [p for p in parts if p]
