"""Typed relations between entities, each with the sentence it came from.

Rules are small functions over one block and the mentions found in it; each returns
:class:`Relation` values whose evidence names the rule that fired. Cue words and
particles come from ``vocab/cues.yml``; direction is read from the particle after
each mention in Japanese (X は … Y に保存) and from word order in English.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import combinations, pairwise
from typing import Any

from graph.model import Block, Evidence, Relation
from graph.textkey import fold_same_length

QUOTE_MAX = 220


@dataclass(frozen=True, slots=True)
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
    categories: dict[str, str] = field(default_factory=dict, hash=False, compare=False)


NEVER = r"(?!)()"
"""A pattern with one group that matches nowhere (no cue words)."""


def _alternation(words: list[str]) -> tuple[str, str] | None:
    """The words as one alternation, longest first, and a class of their first characters:
    put first, the class turns most positions of a sentence away in one test instead of
    trying every word there (same matches). None for no words."""
    unique = {w for w in words if w}
    if not unique:
        return None
    first = "[" + "".join(re.escape(c) for c in sorted({w[0] for w in unique})) + "]"
    return "|".join(re.escape(w) for w in sorted(unique, key=len, reverse=True)), first


def _any_at_each_position(words: list[str]) -> re.Pattern[str]:
    """Matches (zero-width) at every position where one of ``words`` starts, capturing the
    longest; overlapping occurrences are all found, as separate ``finditer`` calls would."""
    found = _alternation(words)
    if found is None:
        return re.compile(NEVER)
    alternatives, first = found
    return re.compile(f"(?={first})(?=({alternatives}))")


ASCII_LETTER = re.compile(r"[A-Za-z]")


def _english_at_each_position(words: list[str]) -> re.Pattern[str]:
    """Like :func:`_any_at_each_position` for English cues: whole words, any case."""
    found = _alternation(words)
    if found is None:
        return re.compile(NEVER)
    alternatives, first = found
    return re.compile(rf"(?={first})(?<![A-Za-z])(?=((?:{alternatives}))(?![A-Za-z]))", re.I)


def quote(text: str) -> str:
    text = text.strip()
    return text if len(text) <= QUOTE_MAX else text[: QUOTE_MAX - 1] + "…"


SENTENCE_END = re.compile(r"[。！？!?]|\.(?=\s|$)|\s{2,}")
INSTEAD = re.compile(r"instead of|rather than|than", re.I)


def _sentences_with_offsets(text: str) -> Iterator[tuple[int, int]]:
    start = 0
    for m in SENTENCE_END.finditer(text):
        yield start, m.end()
        start = m.end()
    if start < len(text):
        yield start, len(text)


class Cues:
    def __init__(self, data: dict[str, Any]) -> None:
        rel = data.get("relations", {})
        self.ja: dict[str, list[str]] = {r: list(v.get("ja", [])) for r, v in rel.items()}
        parts = data.get("particles", {})
        self.subject_particles = sorted(parts.get("subject", []), key=len, reverse=True)
        self.object_particles = sorted(parts.get("object", []), key=len, reverse=True)
        self.arrows: list[str] = list(data.get("arrows", ["→"]))
        self.arrow = re.compile("|".join(re.escape(a) for a in self.arrows))
        self.arrow_split = re.compile(f"({self.arrow.pattern})")
        self.comparison_headings: list[str] = list(data.get("comparison_headings", []))
        self.option_headers: list[str] = list(data.get("option_headers", []))
        self.descriptors: tuple[str, ...] = tuple(data.get("descriptors", []))
        self.blockers: list[str] = list(data.get("cue_blockers", []))
        neg = [re.escape(w) for w in data.get("negations", [])]
        # 「取り込みには対応していない」: the denial may come a few words after the cue
        self.negation = re.compile(rf"^[^、。,.!?！？]{{0,10}}?(?:{'|'.join(neg)})" if neg else r"(?!)")
        alt = rel.get("alternative-to", {})
        self.between_alt: list[str] = list(alt.get("between", []))
        self.positional_alt: list[str] = list(alt.get("positional", []))
        self.passive_services: frozenset[str] = frozenset(data.get("passive_categories", []))
        self.tool_categories: frozenset[str] = frozenset(data.get("tool_categories", []))
        # one scan per sentence instead of one per cue word: at each position, the longest cue
        self._ja_any = {r: _any_at_each_position(words) for r, words in self.ja.items() if words}
        self._blockers_any = _any_at_each_position(self.blockers)
        self._en_any = {r: _english_at_each_position(list(v.get("en", []))) for r, v in rel.items() if v.get("en")}
        # most sentences hold no cue word at all: one search says so for every relation
        ja_any = _alternation([w for words in self.ja.values() for w in words])
        en_any = _alternation([w for v in rel.values() for w in v.get("en", [])])
        self._some_ja = re.compile(f"(?={ja_any[1]})(?:{ja_any[0]})") if ja_any else re.compile(NEVER)
        self._some_en = re.compile(f"(?={en_any[1]})(?:{en_any[0]})", re.I) if en_any else re.compile(NEVER)
        self.option_parents: tuple[str, ...] = tuple(data.get("option_parents", []))
        self.purpose: frozenset[str] = frozenset(data.get("purpose_cues", []))
        self.destination: frozenset[str] = frozenset(data.get("destination_cues", []))
        self.instrument: frozenset[str] = frozenset(parts.get("instrument", []))

    def any_cue(self, text: str) -> bool:
        """Whether a cue word of any relation may be in ``text`` (False: :meth:`find_spans`
        finds nothing there, for every relation)."""
        return self._some_ja.search(text) is not None or (
            ASCII_LETTER.search(text) is not None and self._some_en.search(text) is not None)

    def find(self, relation: str, text: str) -> list[int]:
        """Offsets where a cue for ``relation`` starts in ``text``."""
        return sorted({st for st, _ in self.find_spans(relation, text, keep_denied=True)})

    def find_spans(self, relation: str, text: str, keep_denied: bool = False) -> list[tuple[int, int]]:
        """(offset, length) of each cue for ``relation``, longest first where they overlap;
        ``keep_denied`` keeps blocked and negated ones (to know whether a cue is there at all)."""
        ja = self._ja_any.get(relation)
        spans = [(m.start(), len(m.group(1))) for m in ja.finditer(text)] if ja is not None else []
        en = self._en_any.get(relation)
        if en is not None and not ASCII_LETTER.search(text):
            en = None
        spans += [(m.start(), len(m.group(1))) for m in en.finditer(text)] if en is not None else []
        if keep_denied or not spans:
            return sorted(spans)
        blocked = [(m.start(), m.start() + len(m.group(1))) for m in self._blockers_any.finditer(text)]
        out: list[tuple[int, int]] = []
        for st, ln in sorted(spans, key=lambda x: (x[0], -x[1])):
            if out and st < out[-1][0] + out[-1][1]:
                continue
            if any(a <= st < b for a, b in blocked):
                continue
            if self.negation.match(text[st + ln:st + ln + 16]):
                continue
            out.append((st, ln))
        return out

    def role(self, text: str, end: int) -> str:
        return self.marking(text, end)[0]

    def marking(self, text: str, end: int) -> tuple[str, str]:
        """(role, particle) that the particle after a mention gives it."""
        after = text[end:end + 8].lstrip(" 　")
        for p in self.subject_particles:
            if after.startswith(p):
                return "subject", p
        for p in self.object_particles:
            if after.startswith(p):
                return "object", p
        return "", ""


def _edge(src: str, dst: str, rel: str, note: str, block: Block, text: str, rule: str) -> Relation | None:
    if src == dst:
        return None
    return Relation(src, dst, rel, Evidence(note, block.line, quote(text), rule))


LIST_GAP = re.compile(r"^[\s]*(?:[、,，/／・&＆]|や|と|及び|および|および、|and|or|,\s*and)?[\s]*$", re.I)
# What ends the clause a mention without a particle belongs to: a comma, an opening
# parenthesis (an aside starts) or a denied verb (「NFS に対応していない（独自の…を使用）」).
CLAUSE_BREAK = re.compile(r"[、,，;；(（]|ない|ません")


@dataclass(frozen=True)
class Group:
    """Mentions written as one list ("A、B や C"), with the role its last particle gives."""

    entities: tuple[str, ...]
    start: int
    end: int
    role: str
    kind: str
    particle: str = ""


def _groups(ms: list[Located], text: str, cues: Cues) -> list[Group]:
    out: list[Group] = []
    cur: list[Located] = []
    for m in sorted(ms, key=lambda m: m.start):
        if cur and LIST_GAP.match(text[cur[-1].end:m.start]) and cur[-1].end <= m.start:
            cur.append(m)
            continue
        if cur:
            out.append(_group(cur, text, cues))
        cur = [m]
    if cur:
        out.append(_group(cur, text, cues))
    return out


def _group(ms: list[Located], text: str, cues: Cues) -> Group:
    ents = tuple(dict.fromkeys(m.entity for m in ms))
    role, particle = cues.marking(text, ms[-1].end)
    return Group(ents, ms[0].start, ms[-1].end, role, ms[0].kind, particle)


def cue_relations(block: Block, mentions: list[Located], ctx: Context, cues: Cues) -> list[Relation]:
    """Relations read from cue words inside each sentence.

    Japanese puts the verb last: the mentions before a cue, with the particle after each
    (は/が: who acts; に/へ/を: what it acts on), give its ends; a sentence with no subject
    of its own is about the block's topic (its heading, parent bullet or table row).
    English reads subject-verb-object around the cue.
    """
    if not mentions:
        return []  # every relation below joins mentions of the block's own sentences
    out: list[Relation] = []
    text = fold_same_length(block.text)
    if not cues.any_cue(text):
        # no cue word in the block, so none in any of its sentences (most blocks): one
        # search instead of cutting it into sentences (a cue's boundaries read the same)
        return []
    topic = ctx.parent_subject or ctx.section_subject
    for s, e in _sentences_with_offsets(text):
        sent = text[s:e]
        written = block.text[s:e]
        ms = [m for m in mentions if s <= m.start < e]
        if not ms:
            continue
        ms = [m for m in ms if not _described(text[m.end:m.end + 8].lstrip(), cues)]
        if not ms:
            continue
        if len(sent) < len(text) and not cues.any_cue(sent):  # (the whole block: asked above)
            continue  # no cue word: the sentence relates nothing (most sentences)
        found: list[tuple[int, int, str]] = []
        for rel in ("monitors", "uses"):
            for c, ln in cues.find_spans(rel, sent):
                if not any(m.start <= s + c < m.end for m in ms):
                    found.append((s + c, s + c + ln, rel))
        comparing = bool(cues.find_spans("alternative-to", sent, keep_denied=True))
        if not found and not comparing:
            continue
        found.sort()
        groups = _groups(ms, text, cues)
        subject: str | None = None
        prev_end = s
        used_groups: set[int] = set()
        for cue_start, cue_end, rel in found:
            if cue_start < prev_end:
                continue
            english = text[cue_start:cue_start + 1].isascii() and text[cue_start:cue_start + 1].isalpha()
            seg = [(i, g) for i, g in enumerate(groups) if prev_end <= g.start and g.end <= cue_start]
            if english:
                before = [g for g in groups if g.end <= cue_start]
                after = [g for g in groups if g.start >= cue_end]
                src = before[-1].entities[-1] if before else topic
                en_objs = list(after[0].entities) if after and after[0].start - cue_end <= 40 else []
                if after and INSTEAD.search(text[cue_end:after[0].start]):
                    en_objs = []
                out.extend(_edges([src] if src else [], en_objs, rel, ctx, block, written, "cue-en"))
                prev_end = cue_end
                continue
            word = text[cue_start:cue_end]
            destination = word in cues.destination
            passive = text[cue_end:cue_end + 2] == "され"
            subj_groups = [g for _, g in seg if g.role == "subject"]
            if destination and passive:
                # 「モデルが S3 に保存される」: what is stored is not who stores it
                subj_groups = [g for g in subj_groups if g.particle not in ("が", "は")]
            if subj_groups:
                subject = subj_groups[-1].entities[0]
            objs: list[str] = []
            for i, g in seg:
                if g.role == "subject" or i in used_groups:
                    continue
                between = text[g.end:cue_start]
                if g.role != "object" and (cue_start - g.end > 30 or CLAUSE_BREAK.search(between)):
                    continue
                if g.role != "object" and _qualifies_next(g, groups, text):
                    continue
                if g.role == "object" and SUBORDINATE.search(between):
                    continue
                if destination and g.particle == "を":
                    continue
                if word in cues.purpose and (g.particle in ("に", "へ", "にも") or between.rstrip().endswith("に")):
                    # 「次元削減に使用できる」「回帰タスクにも利用」: what it is used for
                    continue
                objs.extend(g.entities)
                used_groups.add(i)
            if not objs:
                objs = _modified_by(cue_end, groups, text, used_groups)
            if not objs and subj_groups and subj_groups[-1].particle in cues.instrument and topic:
                tool = subj_groups[-1]
                if tool.kind != "service" and PASSIVE.match(text[cue_end:cue_end + 4]):
                    # 「自然言語処理で広く使用される」: a field the topic is used in, not a tool
                    prev_end = cue_end
                    continue
                # 「Athena でクエリ可能」: the tool something is done with, by the topic
                objs, subject = list(tool.entities), None
            src = subject or _paren_owner(text, s, cue_start, ms, objs) or topic
            if src and objs:
                out.extend(_edges([src], objs, rel, ctx, block, written, f"cue-{rel}-ja"))
            prev_end = cue_end
        if comparing:
            out.extend(_alternatives(sent, written, s, ms, groups, topic, ctx, block, cues))
    return out


# A clause that ends before the cue: what it marks belongs to its own verb
# (「エンドポイントに…を設定すると、…S3 に保存」「…を比較して、…を検出」).
SUBORDINATE = re.compile(r"(?:して|って|いて|んで|すると|ると|れば|たら|ので|ため|し)[、,]")
PASSIVE = re.compile(r"^(?:され|できる|可能|でき)")
RELATIVE_END = re.compile(r"^(?:されている|されています|している|された|した|する|される|できる|可能な)?[\s　]*$")


def _modified_by(cue_end: int, groups: list[Group], text: str, used: set[int]) -> list[str]:
    """「アルゴリズムが格納されている ECR コンテナ」: a clause ending in the cue describes the
    mention right after it, which is then what the cue acts on."""
    for i, g in enumerate(groups):
        if g.start >= cue_end and i not in used:
            if g.start - cue_end <= 8 and RELATIVE_END.match(text[cue_end:g.start]):
                used.add(i)
                return list(g.entities)
            return []
    return []


def _qualifies_next(g: Group, groups: list[Group], text: str) -> bool:
    """「SageMaker のトレーニングジョブ」: a mention joined by の to the next one only qualifies it."""
    if not text[g.end:g.end + 3].lstrip(" 　").startswith("の"):
        return False
    return any(0 <= o.start - g.end <= 3 for o in groups if o is not g)


def _paren_owner(text: str, start: int, cue: int, ms: list[Located], objs: list[str]) -> str | None:
    """「SSD(VGG/ResNet ベース)」: an aside in parentheses is about the mention it follows."""
    depth = 0
    for i in range(cue - 1, start - 1, -1):
        c = text[i]
        if c in ")）":
            depth += 1
        elif c in "(（":
            if depth:
                depth -= 1
                continue
            owner = [m for m in ms if 0 <= i - m.end <= 1 and m.entity not in objs]
            return owner[-1].entity if owner else None
    return None


def _described(after: str, cues: Cues) -> bool:
    """「時系列予測サービス」 describes the topic; 「Athena ではなく」 still names Athena."""
    return after.startswith(cues.descriptors) and not after.startswith(tuple(cues.positional_alt))


def _edges(srcs: list[str], objs: list[str], rel: str, ctx: Context, block: Block, sent: str,
           rule: str) -> list[Relation]:
    out = []
    for sj in dict.fromkeys(srcs):
        for ob in dict.fromkeys(objs):
            r = _edge(sj, ob, rel, ctx.note, block, sent, rule)
            if r:
                out.append(r)
    return out


def _alternatives(sent: str, written: str, offset: int, ms: list[Located], groups: list[Group], topic: str | None,
                  ctx: Context, block: Block, cues: Cues) -> list[Relation]:
    """Two things of one kind set side by side.

    「A よりも速い」「A ではなく」「A の代わりに」 compare A with the sentence's topic;
    「A と B の違い」「A・B の使い分け」「A vs B」 compare the members of one list, or,
    without a list, the (at most three) things the sentence names.
    """
    if not cues.find("alternative-to", sent):
        return []
    kinds = {m.entity: m.kind for m in ms}
    pairs: list[tuple[str, str]] = []
    for word in cues.positional_alt:
        for hit in re.finditer(re.escape(word), sent):
            cue = offset + hit.start()
            before = [m for m in ms if m.end <= cue and cue - m.end <= 3]
            if word.isascii():
                near = [m for m in ms if m.start >= offset + hit.end() and m.start - offset - hit.end() <= 3]
            else:
                near = before[-1:]
            if near and topic and topic != near[0].entity:
                kinds.setdefault(topic, near[0].kind)
                pairs.append((topic, near[0].entity))
    for word in cues.between_alt:
        for hit in re.finditer(re.escape(word), sent):
            a, b = offset + hit.start(), offset + hit.end()
            before = [m for m in ms if m.end <= a and a - m.end <= 3]
            after = [m for m in ms if m.start >= b and m.start - b <= 3]
            if before and after:
                pairs.append((before[-1].entity, after[0].entity))
    if not pairs and any(w in sent for w in cues.between_alt) and not any(
            w in sent for w in cues.ja.get("alternative-to", []) if w not in cues.between_alt):
        return []
    if not pairs:
        lists = [g for g in groups if len(g.entities) >= 2]
        ents = list(lists[0].entities) if lists else list(dict.fromkeys(m.entity for m in ms))
        pairs = list(combinations(ents[:3], 2))
    out = []
    for one, other in pairs:
        if kinds.get(one) == kinds.get(other):
            r = _edge(one, other, "alternative-to", ctx.note, block, written, "cue-alternative")
            if r:
                out.append(r)
    return out


SOURCE_CATEGORIES = frozenset({"streaming", "storage", "database"})


def flow_relations(block: Block, mentions: list[Located], ctx: Context, cues: Cues) -> list[Relation]:
    """"A → B → C": neighbouring steps that are entities work together.

    Data moves along the arrow, so a step usually uses the next one (it sends to it);
    when the earlier step is where data sits or streams from (S3, Kinesis), the later
    step is the one that uses it (it reads from it). Short steps that name no entity
    ("parquet変換") are passed over; a long one ends the chain.
    """
    text = block.text
    if not cues.arrow.search(text):
        return []
    steps: list[str | None] = []
    pos = 0
    for part in cues.arrow_split.split(text):
        if cues.arrow.fullmatch(part):
            pos += len(part)
            continue
        inside = [m for m in mentions if pos <= m.start < pos + len(part)]
        size = len(part.strip())
        if inside and size <= 40:
            steps.append(inside[0].entity)
        elif size > 20 or not part.strip():
            steps.append(None)
        pos += len(part)
    kinds = {m.entity: m.kind for m in mentions}
    if sum(1 for st in steps if st and kinds.get(st) == "service") >= 2:
        # 「Kinesis → Glue → parquet 変換 → S3」: among services, a concept step is what
        # happens to the data on the way, not a stop of its own
        steps = [st for st in steps if st is None or kinds.get(st) == "service"]
    out = []
    for a, b in pairwise(steps):
        if not (a and b):
            continue
        src, dst = (b, a) if ctx.categories.get(a) in SOURCE_CATEGORIES and \
            ctx.categories.get(b) not in SOURCE_CATEGORIES else (a, b)
        r = _edge(src, dst, "uses", ctx.note, block, text, "flow-arrow")
        if r:
            out.append(r)
    return out


def nested_relation(block: Block, head: str | None, ctx: Context, parents: dict[str, str],
                    kinds: dict[str, str]) -> list[Relation]:
    """A term bullet under a service's heading or bullet is something that service uses.

    ("Amazon SageMaker Data Wrangler" → "- Random undersampler: …"). Not when one is
    part of the other (SageMaker → Clarify is part-of, already known).
    """
    topic = ctx.parent_subject or ctx.section_subject
    if not head or not topic or head == topic or kinds.get(topic) != "service":
        return []
    if sum(1 for p in parents.values() if p == topic) >= 3:
        return []
    if parents.get(head) == topic or parents.get(topic) == head:
        return []
    r = _edge(topic, head, "uses", ctx.note, block, block.text, "nested-bullet")
    return [r] if r else []


def table_alternatives(rows: list[tuple[Block, str]], note: str, rule: str = "table-rows") -> list[Relation]:
    """Entities one table sets side by side are alternatives to each other."""
    out = []
    seen: list[tuple[Block, str]] = []
    for block, entity in rows:
        for _, other in seen:
            if other != entity:
                out.append(Relation(other, entity, "alternative-to",
                                    Evidence(note, block.line, quote(block.text), rule)))
        if all(entity != e for _, e in seen):
            seen.append((block, entity))
    return out


def listed_alternatives(items: list[tuple[Block, str]], note: str, heading: str) -> list[Relation]:
    """Entities listed under a 「使い分け」/「違い」 heading are alternatives to each other."""
    out = []
    for (_b1, e1), (b2, e2) in combinations(items, 2):
        if e1 != e2:
            out.append(Relation(e1, e2, "alternative-to",
                                Evidence(note, b2.line, quote(f"{heading}: {b2.text}"), "comparison-section")))
    return out
