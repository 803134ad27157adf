"""Typed relations between entities, each with the sentence it came from.

Rules are small functions over one block and the mentions found in it; each returns
:class:`Relation` values whose evidence names the rule that fired. Cue words and
particles come from ``vocab/cues.yml``; direction is read from the particle after
each mention in Japanese (X は … Y に保存) and from word order in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

from graph.model import Block, Evidence, Relation

QUOTE_MAX = 220


@dataclass(frozen=True)
class Located:
    """A mention inside a block's text."""

    entity: str
    start: int
    end: int
    kind: str


@dataclass(frozen=True)
class Context:
    """What a block is about when its sentences name no subject of their own."""

    note: str
    section_subject: str | None
    parent_subject: str | None
    comparison: bool


def quote(text: str) -> str:
    text = text.strip()
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


def _sentences_with_offsets(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in re.finditer(r"[。！？!?]|\.(?=\s|$)|\s{2,}", text):
        yield start, m.end()
        start = m.end()
    if start < len(text):
        yield start, len(text)


class Cues:
    def __init__(self, data: dict[str, Any]) -> None:
        rel = data.get("relations", {})
        self.ja: dict[str, list[str]] = {r: list(v.get("ja", [])) for r, v in rel.items()}
        self.en: dict[str, list[re.Pattern[str]]] = {
            r: [re.compile(rf"(?<![A-Za-z]){re.escape(w)}(?![A-Za-z])", re.I) for w in v.get("en", [])]
            for r, v in rel.items()}
        parts = data.get("particles", {})
        self.subject_particles = sorted(parts.get("subject", []), key=len, reverse=True)
        self.object_particles = sorted(parts.get("object", []), key=len, reverse=True)
        self.arrows: list[str] = list(data.get("arrows", ["→"]))
        self.comparison_headings: list[str] = list(data.get("comparison_headings", []))

    def find(self, relation: str, text: str) -> list[int]:
        """Offsets where a cue for ``relation`` starts in ``text``."""
        spots = [m.start() for w in self.ja.get(relation, []) for m in re.finditer(re.escape(w), text)]
        spots += [m.start() for p in self.en.get(relation, []) for m in p.finditer(text)]
        return sorted(set(spots))

    def role(self, text: str, end: int) -> str:
        after = text[end:end + 8].lstrip(" 　")
        for p in self.subject_particles:
            if after.startswith(p):
                return "subject"
        for p in self.object_particles:
            if after.startswith(p):
                return "object"
        return ""


def _edge(src: str, dst: str, rel: str, note: str, block: Block, text: str, rule: str) -> Relation | None:
    if src == dst:
        return None
    return Relation(src, dst, rel, Evidence(note, block.line, quote(text), rule))


def cue_relations(block: Block, mentions: list[Located], ctx: Context, cues: Cues) -> list[Relation]:
    """Relations read from cue words inside each sentence."""
    out: list[Relation] = []
    text = block.text
    for s, e in _sentences_with_offsets(text):
        sent = text[s:e]
        ms = [m for m in mentions if s <= m.start < e]
        if not ms:
            continue
        default = ctx.parent_subject or ctx.section_subject
        for rel in ("monitors", "uses"):
            spots = [s + c for c in cues.find(rel, sent)]
            if not spots:
                continue
            for cue in spots[:2]:
                out.extend(_around_cue(rel, cue, ms, text, sent, default, block, ctx, cues))
        alt = cues.find("alternative-to", sent)
        if alt and len(ms) >= 2:
            kinds = {m.entity: m.kind for m in ms}
            ents = list(dict.fromkeys(m.entity for m in ms))
            for a, b in combinations(ents[:3], 2):
                if kinds[a] == kinds[b]:
                    r = _edge(a, b, "alternative-to", ctx.note, block, sent, "cue-alternative")
                    if r:
                        out.append(r)
    return out


def _around_cue(rel: str, cue: int, ms: list[Located], text: str, sent: str, default: str | None,
                block: Block, ctx: Context, cues: Cues) -> list[Relation]:
    english = bool(re.match(r"[A-Za-z]", text[cue:cue + 1]))
    before = [m for m in ms if m.end <= cue]
    after = [m for m in ms if m.start >= cue]
    subjects: list[str] = []
    objects: list[str] = []
    if english:
        subjects = [before[-1].entity] if before else ([default] if default else [])
        objects = [after[0].entity] if after else []
    else:
        for m in before:
            role = cues.role(text, m.end)
            if role == "subject":
                subjects.append(m.entity)
            elif role == "object":
                objects.append(m.entity)
        if not subjects:
            if default and default not in objects:
                subjects = [default]
            elif len(before) >= 2 and not objects:
                subjects, objects = [before[0].entity], [before[1].entity]
        if not objects:
            leftovers = [m.entity for m in before if m.entity not in subjects]
            objects = leftovers[-1:]
    out = []
    for sj in dict.fromkeys(subjects):
        for ob in dict.fromkeys(objects):
            r = _edge(sj, ob, rel, ctx.note, block, sent, f"cue-{rel}-{'en' if english else 'ja'}")
            if r:
                out.append(r)
    return out


def flow_relations(block: Block, mentions: list[Located], ctx: Context, cues: Cues) -> list[Relation]:
    """"A → B → C": each step sends its output to the next, so A uses B."""
    text = block.text
    pattern = "|".join(re.escape(a) for a in cues.arrows)
    if not re.search(pattern, text):
        return []
    steps: list[str | None] = []
    pos = 0
    for part in re.split(f"({pattern})", text):
        if re.fullmatch(pattern, part):
            pos += len(part)
            continue
        inside = [m for m in mentions if pos <= m.start < pos + len(part)]
        short = len(part.strip()) <= 40
        steps.append(inside[0].entity if inside and short else None)
        pos += len(part)
    out = []
    for a, b in zip(steps, steps[1:], strict=False):
        if a and b:
            r = _edge(a, b, "uses", ctx.note, block, text, "flow-arrow")
            if r:
                out.append(r)
    return out


def table_alternatives(rows: list[tuple[Block, str]], note: str) -> list[Relation]:
    """Rows of one comparison table name alternatives to each other."""
    out = []
    seen: list[tuple[Block, str]] = []
    for block, entity in rows:
        for other_block, other in seen:
            if other != entity:
                out.append(Relation(other, entity, "alternative-to",
                                    Evidence(note, block.line, quote(other_block.cells[0] + " / " + block.text),
                                             "table-rows")))
        seen.append((block, entity))
    return out


def listed_alternatives(items: list[tuple[Block, str]], note: str, heading: str) -> list[Relation]:
    """Entities listed under a 「使い分け」/「違い」 heading are alternatives to each other."""
    out = []
    for (b1, e1), (b2, e2) in combinations(items, 2):
        if e1 != e2:
            out.append(Relation(e1, e2, "alternative-to",
                                Evidence(note, b2.line, quote(f"{heading}: {b2.text}"), "comparison-section")))
    return out
