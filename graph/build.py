"""The pipeline: notes → documents → entities → mentions → relations → MultiDiGraph.

Each stage is a plain function; :func:`build_graph` only wires them. Parsed documents
are cached by content hash (see :class:`ParseCache`) so a rebuild after editing one
note re-parses one note.
"""

from __future__ import annotations

import posixpath
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path, PurePosixPath
from typing import Any

import networkx as nx

from graph import headstart
from graph.document import parse_document, sentences
from graph.entities import (
    HEADING_SPLIT,
    HIRAGANA,
    Resolver,
    TableCall,
    _clean,
    candidate_cues,
    candidate_terms,
    is_synonym_pair,
    replay,
    split_paren,
)
from graph.gcpolicy import fewer_collections, held
from graph.loading import ReadMemo, read_vault
from graph.matcher import Hit, Matcher
from graph.model import Diagnostic, Document, Evidence, Mention, RawNote, Relation
from graph.parallel import THRESHOLD as PARALLEL_THRESHOLD
from graph.parallel import iter_in_order, shared_map
from graph.relations import (
    Context,
    Cues,
    Located,
    cue_relations,
    flow_relations,
    listed_alternatives,
    nested_relation,
    quote,
    table_alternatives,
)
from graph.slug import slugify
from graph.textkey import fold_same_length, key
from graph.vocabulary import Vocabulary, load_vocabulary

NOTE_PREFIX = "note:"
Candidates = list[tuple[str, int, str]]
"""(surface, line, how) of each place a note presents a term (:func:`candidate_terms`)."""
# Places whose term is what the block is about (a bold word or an "Amazon X" phrase inside
# a sentence is only mentioned there).
STRUCTURAL = frozenset({"heading", "title", "table-row", "definition-bullet", "term-bullet"})
EXPLICIT_RELATIONS = ("uses", "monitors", "alternative-to", "part-of")
INLINE_FIELD = re.compile(r"^\s*[-*]?\s*(?P<rel>uses|monitors|alternative-to|part-of)::\s*(?P<val>.+)$", re.M)
PUNCTUATION = re.compile(r"[?？︖!！︕。、,]")
SLASH = re.compile(r"[/／]")
LATIN = re.compile(r"[A-Za-z]")


def note_id(path: str) -> str:
    return NOTE_PREFIX + path


def note_stem(path: str) -> str:
    """``a/b.md`` -> ``a/b``: ``PurePosixPath(path).with_suffix("")`` for a note's path
    (always ``.md``), without making a path object per note."""
    return posixpath.splitext(path)[0]


@dataclass
class ParseCache:
    """Parsed documents by content hash; lives in memory while serving."""

    docs: dict[tuple[str, str], Document] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    #: documents as the process that parsed them pickled them (a disk cache stores these
    #: bytes as they are instead of pickling the documents again)
    pickled: dict[tuple[str, str], bytes] = field(default_factory=dict)
    #: while serving: each note's inferred relations and everything they were read from
    relations: RelationMemo | None = None
    #: while serving: each note as last read, by its file's stat (see graph.loading.ReadMemo)
    reads: ReadMemo | None = None
    #: while serving: what the last build read (notes, skipped files) and what it returned;
    #: a build of the same notes returns it (see generator.pipeline.build_result)
    last: tuple[object, object] | None = None

    def parse(self, note: RawNote) -> Document:
        k = (note.path, note.digest)
        doc = self.docs.get(k)
        if doc is None:
            self.misses += 1
            doc = parse_document(note)
            self.docs[k] = doc
        else:
            self.hits += 1
        return doc

    def has(self, note: RawNote) -> bool:
        return (note.path, note.digest) in self.docs

    def put(self, note: RawNote, doc: Document) -> None:
        """A document parsed elsewhere (a worker process) counts as a parse here."""
        self.misses += 1
        self.docs[(note.path, note.digest)] = doc

    def prune(self, keep: Iterable[tuple[str, str]]) -> None:
        wanted = set(keep)
        for k in list(self.docs):
            if k not in wanted:
                del self.docs[k]


@dataclass
class RelationMemo:
    """The relations inferred from each note in the last build, with what they were read
    from: the note (the same parsed object), its mentions and heads, and the parts of the
    entity table inference reads. An edit while serving re-reads only the notes whose
    inputs changed (the edited one, and those whose mentions a new term moved)."""

    by_note: dict[str, tuple[Document, tuple[Any, ...], list[Relation]]] = field(default_factory=dict)
    reused: int = 0
    #: each note's mentions (see NoteMentions)
    mentions: dict[str, NoteMentions] = field(default_factory=dict)
    reused_mentions: int = 0
    #: each note's candidate terms (a function of the note and the vocabulary's cue lists)
    candidates: dict[str, tuple[Document, tuple[Any, ...], Candidates]] = field(default_factory=dict)
    #: each note's presented terms, in the order read, and the vocabulary they were read with
    presenting: list[Presenting] = field(default_factory=list)
    presenting_vocab: Vocabulary | None = None
    replayed_presenting: int = 0
    #: what each note's inferred relations read of its mentions and heads
    inputs: dict[str, NoteInputs] = field(default_factory=dict)
    #: each note's mentions by term (graph.build.MentionGroups) and as the terms' nodes list
    #: them, with the mentions they were made from and the terms left out (``mention_groups_passing``)
    mention_groups: dict[str, tuple[list[Mention], MentionGroups, Shown]] = field(default_factory=dict)
    mention_groups_passing: frozenset[str] = frozenset()
    #: each note's definitions, with the note and its heads they were read from
    definitions: dict[str, tuple[Document, tuple[tuple[int, str], ...], list[tuple[str, Evidence]]]] = field(
        default_factory=dict)


@dataclass(frozen=True)
class BuildResult:
    graph: nx.MultiDiGraph
    documents: tuple[Document, ...]
    diagnostics: tuple[Diagnostic, ...]
    #: the matcher that found every mention (for :func:`graph.preview.preview_graph`)
    matcher: Matcher | None = field(default=None, compare=False, repr=False)
    #: how many notes were parsed before the build asked for them (:mod:`graph.headstart`)
    parsed_ahead: int = field(default=0, compare=False)


def build_graph(notes_dir: Path, vocabulary: tuple[str, ...] = (), cache: ParseCache | None = None,
                exclude: tuple[Path, ...] = ()) -> BuildResult:
    raw = read_vault(notes_dir, exclude)
    return build_from_notes(raw, load_vocabulary(vocabulary), cache)


@dataclass(frozen=True)
class ParseWithCandidates:
    """A note's document and its candidate terms (:func:`candidate_terms`, a function of
    the note and the vocabulary's cue lists), computed together in a parse worker: this
    process has the order-dependent work (resolving each candidate against the growing
    entity table) and would otherwise do this per-note part of it too."""

    not_terms: tuple[str, ...]
    list_columns: tuple[str, ...]

    @classmethod
    def of(cls, vocab: Vocabulary) -> ParseWithCandidates:
        return cls(*candidate_cues(vocab))

    def __call__(self, note: RawNote) -> tuple[Document, Candidates]:
        doc = parse_document(note)
        return doc, candidate_terms(doc, list(self.not_terms), self.list_columns)


def build_from_notes(raw: list[RawNote], vocab: Vocabulary, cache: ParseCache | None = None,
                     hold: bool = False) -> BuildResult:
    """The graph of ``raw``. ``hold``: the result lives as long as the process builds (a
    plain build): it is frozen out of the garbage collector's passes (:func:`graph.gcpolicy.held`)."""
    cache = cache if cache is not None else ParseCache()
    missing = [n for n in raw if not cache.has(n)]
    # a large vault's first build parses on every core, with each note's candidate terms;
    # they are resolved here as each document arrives, while the pool parses the next ones
    # (or the workers the command started as it began: graph.headstart)
    fresh: Iterator[tuple[Document, Candidates | None]] | None = None
    head = headstart.claim()
    if len(missing) > PARALLEL_THRESHOLD:
        read = ParseWithCandidates.of(vocab)
        cues = (read.not_terms, read.list_columns)
        fresh = head.take(missing, cues) if head is not None else None
        if fresh is None:
            # workers forked now, which inherit the notes (a process pool where forking is unsafe)
            head = headstart.HeadStart.over(missing, cues)
            fresh = head.take(missing, cues) if head is not None else None
        if fresh is None:
            fresh = iter_in_order(read, missing, PARALLEL_THRESHOLD)
    elif head is not None:
        head.cancel()
    # the notes the pool parses (not looked up on disk a second time)
    pending = {(n.path, n.digest) for n in missing} if fresh is not None else set()
    ready: dict[str, tuple[Document, Candidates]] = {}

    def documents() -> Iterator[Document]:
        for note in raw:
            k = (note.path, note.digest)
            if fresh is not None and k in pending:
                pending.discard(k)
                doc, candidates = next(fresh)
                cache.put(note, doc)
                if candidates is not None:
                    ready[note.path] = (doc, candidates)
            yield cache.parse(note)
        if fresh is not None:
            for _ in fresh:  # pragma: no cover - every parsed note was taken above
                raise AssertionError("parse pool returned more documents than notes")
        if head is not None:
            cache.pickled.update(head.pickled)
            head.pickled.clear()
        cache.prune((n.path, n.digest) for n in raw)
        cache.pickled.clear()

    with held() if hold else fewer_collections():
        result = assemble(documents(), vocab, cache.relations, ready)
    return result if head is None or not head.early or not head.ahead else replace(result, parsed_ahead=head.ahead)


def assemble(documents: Iterable[Document], vocab: Vocabulary, memo: RelationMemo | None = None,
             ready: dict[str, tuple[Document, Candidates]] | None = None) -> BuildResult:
    """The graph of ``documents``, read in order (they may still be arriving from a parse pool).

    ``ready``: candidate terms already read (by a parse worker), by note path; taken
    (removed) as each document is used."""
    cues = Cues(vocab.cues)
    resolver = Resolver(vocab)
    docs: list[Document] = []

    # 1. terms presented by the notes' structure
    heads: dict[tuple[str, int], str] = {}
    exact_heads: set[tuple[str, int]] = set()
    gate = DiscoveryGate.from_cues(vocab.cues)
    known = _vocabulary_matcher(vocab)
    presented: set[str] = set()
    # while serving: as long as every note so far read the entity table as the last build
    # did, the next unchanged note makes the same changes to it (its calls are replayed)
    same_table = memo is not None and memo.presenting_vocab is vocab
    before = memo.presenting if memo is not None else []
    now: list[Presenting] = []
    if memo is not None:
        memo.replayed_presenting = 0
    for i, doc in enumerate(documents):
        docs.append(doc)
        resolver.note_context = _lazy_context(doc, known)
        last = before[i] if same_table and i < len(before) and before[i].path == doc.path else None
        if last is not None and last.doc is doc:
            if ready is not None:
                ready.pop(doc.path, None)
            replay(resolver.table, last.calls)
            resolver.pending_ambiguity, resolver.last_vetoed = last.after
            got = last
            if memo is not None:
                memo.replayed_presenting += 1
        else:
            got = _presenting(doc, resolver, memo, ready, known, gate)
            same_table = last is not None and (got.changed, got.after) == (last.changed, last.after)
        for line, eid in got.heads:
            heads[(doc.path, line)] = eid
        exact_heads.update((doc.path, line) for line in got.exact)
        presented.update(got.presented)
        if memo is not None:
            now.append(got)

    if memo is not None:  # notes deleted since the last build
        memo.candidates = {d.path: memo.candidates[d.path] for d in docs if d.path in memo.candidates}
        memo.presenting, memo.presenting_vocab = now, vocab
    diagnostics: list[Diagnostic] = [d for doc in docs for d in doc.diagnostics]

    # 2. every mention of every known spelling
    aliases: dict[str, str] = {}
    for term in vocab.terms:
        for form in (term.name, *term.aliases):
            aliases.setdefault(form, slugify(term.name))
    aliases.update({s: e for s, e in resolver.table.surface_to_id.items() if not re.search(r"[()（）:：︓]", s)})
    matcher = _mention_matcher(tuple(aliases.items()), known)
    by_id = {slugify(t.name): t for t in vocab.terms}

    quiet = frozenset(key(w) for w in vocab.cues.get("no_relation_terms", []))
    mentions: list[Mention] = []
    spellings: dict[str, tuple[str, bool]] = {}
    quiet_name: dict[str, bool] = {}  # by entity: its name is a quiet word (an entity's name never changes)
    records, add_alias = resolver.table.records, resolver.table.add_alias
    located: dict[tuple[str, int], list[Located]] = {}
    serving = memo is not None
    note_mentions: list[list[Mention]] = []  # each note's, in the order of the notes
    for doc in docs:
        kept = memo.mentions.get(doc.path) if memo is not None else None
        if memo is not None and kept is not None and kept.doc is doc and kept.matcher is matcher and kept.replay(
                resolver, by_id):
            memo.reused_mentions += 1
            mentions.extend(kept.mentions)
            note_mentions.append(kept.mentions)
            for bi, found in kept.located:
                located[(doc.path, bi)] = found
            continue
        doc_hits = _hits_of(matcher, doc)
        start = len(mentions)
        read: dict[str, tuple[str, str] | None] = {}
        doc_located: list[tuple[int, list[Located]]] = []
        path = doc.path
        for bi, block in enumerate(doc.blocks):
            if block.kind == "code":
                continue
            found = []
            for hit in doc_hits[bi]:
                eid = hit.entity
                if eid not in records and eid in by_id:
                    resolver.ensure_term(by_id[eid])
                rec = records.get(eid)
                if serving and eid not in read:
                    read[eid] = (rec.name, rec.kind) if rec is not None else None
                if rec is None:
                    continue
                spelling = spellings.get(hit.surface)
                if spelling is None:  # one string per spelling, and whether it is a quiet word
                    spelling = spellings[hit.surface] = (hit.surface, key(hit.surface) in quiet)
                add_alias(eid, spelling[0])
                mentions.append(Mention(eid, spelling[0], path, block.line, bi, hit.start, hit.end))
                if not spelling[1] and not (quiet_name[eid] if eid in quiet_name else quiet_name.setdefault(
                        eid, key(rec.name) in quiet)):
                    found.append(Located(eid, hit.start, hit.end, rec.kind))
            located[(path, bi)] = found
            if serving:
                doc_located.append((bi, found))
        note_mentions.append(mentions[start:])
        if memo is not None:
            memo.mentions[doc.path] = NoteMentions(doc, matcher, tuple(read.items()), note_mentions[-1],
                                                   doc_located)
    if memo is not None:  # notes deleted since the last build
        memo.mentions = {d.path: memo.mentions[d.path] for d in docs if d.path in memo.mentions}
    mentioned = {m.key for m in mentions} | set(heads.values())

    # 3. relations
    # inference reads the notes and the entity table, never changes them: on every core for a
    # large vault. Explicit relations may create entities and record merges: here, in order.
    _record_maps(resolver)
    inferred = _inferred(docs, located, heads, exact_heads, resolver, cues, memo, now if memo is not None else None)
    relations: list[Relation] = []
    for doc, implied in zip(docs, inferred, strict=True):
        relations.extend(implied)
        section_lines = {b.text: b.line for b in doc.blocks if b.kind == "heading"}
        relations.extend(_explicit(doc, heads, resolver, section_lines, diagnostics))

    related = {e for r in relations for e in (r.source, r.target) if e in resolver.table.records}
    mentioned |= related
    # background knowledge (statistics, data-quality words) gets a page only where a note
    # presents it (heading, term bullet, table row, bold) or relates it, not for a passing word
    background = frozenset(vocab.cues.get("background_categories", []))
    passing = {e for e in mentioned if resolver.table.records[e].category in background
               and resolver.table.records[e].origin == "vocabulary" and e not in related and e not in presented}
    mentioned -= passing

    # 4. graph
    graph = nx.MultiDiGraph()
    records = resolver.table.records
    if memo is not None:
        groups, shown_mentions = _mention_groups(docs, note_mentions, frozenset(passing), memo)
        edges = [(doc.path, eid, by_term[eid])
                 for doc, by_term in sorted(zip(docs, groups, strict=True), key=lambda pair: pair[0].path)
                 for eid in sorted(by_term)]
    else:
        shown_mentions, edges = _mentions_once([m for m in mentions if m.key not in passing])
    mentioned_in: dict[str, set[str]] = defaultdict(set)
    for path, eid, _ in edges:
        mentioned_in[eid].add(path)
    definitions = _definitions(docs, heads, memo, now if memo is not None else None)
    head_notes: dict[str, set[str]] = defaultdict(set)
    for (path, _), head in heads.items():
        head_notes[head].add(path)
    for eid in sorted(mentioned):
        rec = records[eid]
        notes = sorted(mentioned_in.get(eid, set()) | head_notes.get(eid, set()))
        graph.add_node(eid, kind=rec.kind, name=rec.name, aliases=sorted(rec.aliases | {rec.name}),
                       category=rec.category or ("discovered" if rec.origin == "notes" else ""),
                       parent=rec.parent if rec.parent in mentioned else "", origin=rec.origin,
                       description=rec.description, notes=notes,
                       vocabulary_aliases=list(by_id[eid].aliases) if eid in by_id else [],
                       definitions=[_ev(e) for e in definitions.get(eid, [])],
                       mentions=shown_mentions.get(eid, []))
    for eid in sorted(mentioned):
        parent = graph.nodes[eid]["parent"]
        if parent and parent != eid:
            relations.append(Relation(eid, parent, "part-of", Evidence("", 0, "", "vocabulary-parent")))
    _add_relations(graph, relations)
    titles = _add_notes(graph, docs, edges)
    graph.graph["entity_keys"] = _entity_keys(graph)
    # every category a node can have, whichever the notes use (stable map colours)
    graph.graph["categories"] = sorted({t.category for t in vocab.terms if t.category} | {"", "discovered", "note"})
    _add_links(graph, docs, titles, diagnostics)
    graph.graph["merges"] = [
        {"surface": m.surface, "entity": m.entity, "reason": m.reason, "note": m.note, "line": m.line}
        for m in sorted(resolver.table.merges, key=lambda m: (m.note, m.line, m.surface))]
    for amb in sorted(resolver.table.ambiguities.values(), key=lambda a: (a.note, a.line, a.surface)):
        diagnostics.append(Diagnostic("info", "ambiguous-term",
                                      f"'{amb.surface}' could be {' or '.join(amb.candidates)}; not merged. "
                                      "Add it as an alias of the right one in your vocabulary file.",
                                      amb.note, amb.line))
    diagnostics.sort(key=lambda d: (d.note, d.line, d.code, d.message))
    graph.graph["diagnostics"] = [d.__dict__ for d in diagnostics]
    return BuildResult(graph, tuple(docs), tuple(diagnostics), matcher)


@dataclass(frozen=True)
class Presenting:
    """The terms one note's structure presents (headings, term bullets, table rows, bold
    words, service phrases), resolved against the entity table as it stood before the
    note, and what resolving them changed in it (``calls``; kept only while serving).

    Resolving is a fifth of a serve rebuild's graph at 1,000 notes. An edit leaves the
    table as the last build had it up to the edited note; when the edited note changes
    what resolving reads in it the same way (a sentence added, no new term), every later
    note resolves as before too, and every other note replays its calls."""

    path: str
    doc: Document
    calls: tuple[TableCall, ...]
    #: those of ``calls`` that changed what a resolution reads (see :func:`graph.entities.replay`)
    changed: tuple[TableCall, ...]
    #: (line, entity) of each structural place, in the order they were found
    heads: tuple[tuple[int, str], ...]
    #: lines whose heading names its entity exactly
    exact: tuple[int, ...]
    presented: tuple[str, ...]
    #: the resolver's state after the note (read by the next resolution)
    after: tuple[tuple[str, ...], bool]


def _presenting(doc: Document, resolver: Resolver, memo: RelationMemo | None,
                ready: dict[str, tuple[Document, Candidates]] | None, known: Matcher,
                gate: DiscoveryGate) -> Presenting:
    table = resolver.table
    if memo is not None:
        table.log, table.log_read = [], []
    heads: list[tuple[int, str]] = []
    exact: list[int] = []
    presented: list[str] = []
    try:
        attributes = _attribute_rows(doc, resolver)
        for surface, line, how in _candidates(doc, resolver, memo, ready):
            if how == "table-row" and line in attributes:
                continue
            eid = _resolve_candidate(resolver, surface, doc.path, line, how, known, gate)
            if eid:
                presented.append(eid)
            if eid and how in STRUCTURAL:
                heads.append((line, eid))
                if resolver.exact(surface) == eid or table.surface_to_id.get(surface) == eid:
                    exact.append(line)
        calls, changed = tuple(table.log or ()), tuple(table.log_read)
    finally:
        table.log, table.log_read = None, []
    return Presenting(doc.path, doc, calls, changed, tuple(heads), tuple(exact), tuple(presented),
                      (resolver.pending_ambiguity, resolver.last_vetoed))


def _hits_of(matcher: Matcher, doc: Document) -> list[list[Hit]]:
    """Every known spelling in every block of a note (``[]`` for code), block by block.

    Found in this process, note by note as each is used: 0.1 s at 1,000 notes, since the
    matcher runs as one pattern in C. Shared with a forked child, the whole extraction
    ended no sooner (1.586 s against 1.584 s, six alternating runs each) and took 0.1 s
    more CPU in all (the child's start, its hits pickled back)."""
    return [[] if b.kind == "code" else matcher.find(b.text) for b in doc.blocks]


@dataclass(frozen=True)
class NoteMentions:
    """While serving: a note's mentions as the last build found them, with what they were
    read from: the note (the same parsed object), the matcher (the same object: the same
    spellings) and, for each entity hit, its record's name and kind (None: no record).
    Finding them again is a fifth of a serve rebuild's graph at 1,000 notes, for notes
    an edit did not touch."""

    doc: Document
    matcher: Matcher
    read: tuple[tuple[str, tuple[str, str] | None], ...]
    mentions: list[Mention]
    located: list[tuple[int, list[Located]]]

    def replay(self, resolver: Resolver, by_id: dict[str, Any]) -> bool:
        """Make the entity table as finding them again would, if they would be found the
        same; whether they are."""
        records = resolver.table.records
        for eid, was in self.read:
            if eid not in records and eid in by_id:
                resolver.ensure_term(by_id[eid])
            rec = records.get(eid)
            if (rec.name, rec.kind) != was if rec is not None else was is not None:
                return False
        for m in self.mentions:
            resolver.table.add_alias(m.key, m.surface)
        return True


def _candidates(doc: Document, resolver: Resolver, memo: RelationMemo | None,
                ready: dict[str, tuple[Document, Candidates]] | None = None) -> Candidates:
    """:func:`candidate_terms`: as a parse worker read them, or kept while serving for
    the notes an edit did not touch, or read now."""
    cues = (tuple(resolver.not_terms), resolver.list_columns)
    taken = ready.pop(doc.path, None) if ready is not None else None
    kept = memo.candidates.get(doc.path) if memo is not None else None
    if taken is not None and taken[0] is doc:
        terms = taken[1]
    elif kept is not None and kept[0] is doc and kept[1] == cues:
        return kept[2]
    else:
        terms = candidate_terms(doc, resolver.not_terms, resolver.list_columns)
    if memo is not None:
        memo.candidates[doc.path] = (doc, cues, terms)
    return terms


@lru_cache(maxsize=2)
def _mention_matcher(aliases: tuple[tuple[str, str], ...], known: Matcher) -> Matcher:
    """Compiling the matcher of a whole vocabulary takes most of a small rebuild; while
    serving, an edit rarely changes the set of spellings, so the last one is reused. The
    vocabulary's own pattern (``known``) is shared: only the spellings the notes add are
    compiled."""
    return Matcher(dict(aliases), base=known)


@lru_cache(maxsize=4)
def _vocabulary_matcher(vocab: Vocabulary) -> Matcher:
    return Matcher({form: slugify(t.name) for t in reversed(vocab.terms) for form in (t.name, *t.aliases)})


def _ev(e: Evidence) -> dict[str, Any]:
    return {"note": e.note, "line": e.line, "quote": e.quote, "rule": e.rule}


def _attribute_rows(doc: Document, resolver: Resolver) -> set[int]:
    """Lines of table rows that name attributes, not terms: when the header's columns are
    the things compared (「| 特性 | リアルタイム推論 | バッチ推論 |」), the first cell of each
    row is what they are compared on (「推論データサイズ」)."""
    compared = {b.table for b in doc.blocks if b.kind == "table_header" and len(_column_entities(b, resolver)) >= 2}
    return {b.line for b in doc.blocks if b.kind == "table_row" and b.table in compared}


def _lazy_context(doc: Document, known: Matcher) -> Callable[[], set[str]]:
    """The known entities a note names, found only if an ambiguous short name needs them."""
    cache: list[set[str]] = []

    def context() -> set[str]:
        if not cache:
            cache.append({h.entity for b in doc.blocks if b.kind != "code" for h in known.find(b.text)})
        return cache[0]
    return context


def _resolve_candidate(resolver: Resolver, surface: str, note: str, line: int, how: str,
                       known: Matcher, gate: DiscoveryGate) -> str | None:
    """The entity a structural place presents, or None when it presents no term.

    Known spellings win; a heading such as "フェーズ – SageMaker Training Job" or a phrase
    such as "CloudWatch アラート" presents the known entity inside it (its topic) without
    creating a new one; only a short noun phrase that passes :class:`DiscoveryGate`
    becomes a new entity.
    """
    create = "service" if how == "service-phrase" else "concept"
    pair = split_paren(surface)
    if pair and not is_synonym_pair(*pair):
        # 「カテゴリ値のエンコーディング（ラベルエンコーディング）」: a phrase, then the term it means
        return (_resolve_candidate(resolver, pair[0], note, line, how, known, gate)
                or _resolve_candidate(resolver, pair[1], note, line, how, known, gate))
    if pair:
        a, b = pair
        ea, eb = resolver.exact(a), resolver.exact(b)
        eid = ea or eb
        if eid and not (ea and eb) and gate.is_category(a if eb else b):
            # 「構築済みAIサービス (Amazon Bedrock)」: a kind of thing, then the thing; not two names
            return eid
        if eid:
            for s in (surface, a, b):
                if resolver.exact(s) is None:
                    resolver._merge(s, eid, f"'{surface}' writes '{a}' and '{b}' as one term", note, line)
                resolver.table.add_alias(eid, s)
            return eid
        if not (gate.allows(a, how) or gate.allows(b, how)):
            return None
        eid = resolver.resolve(a, note, line, create)
        if eid:
            resolver.table.add_surface(b, eid)
            resolver.table.add_surface(surface, eid)
            resolver.table.add_alias(eid, b)
            resolver.table.add_alias(eid, surface)
        return eid
    eid = resolver.resolve(surface, note, line, None)
    if eid or how == "title":
        return eid
    if resolver.last_vetoed:
        # the user said this name is not the known term it looks like: it is its own
        return resolver.resolve(surface, note, line, create) if gate.allows(surface, how) else None
    if how == "heading":
        parts = [p for p in HEADING_SPLIT.split(surface) if p.strip()]
        if len(parts) > 1:
            found = [e for p in parts if (e := resolver.resolve(_clean(p), note, line, None))]
            if found:
                return found[-1]
    inside = [h for h in known.find(surface) if h.end - h.start >= 2 and resolver.kind_of(h.entity) == "service"]
    if inside:
        hit = max(inside, key=lambda h: (h.end - h.start, h.start))
        return resolver.resolve(hit.surface, note, line, None) or resolver.ensure_known(hit.entity)
    if not gate.allows(surface, how):
        return None
    return resolver.resolve(surface, note, line, create)


@dataclass(frozen=True)
class DiscoveryGate:
    """Whether an unknown phrase in a structural place is a term worth a page.

    Gold-standard readers keep noun terms ("データ分割", "Random undersampler") and drop
    section labels and actions ("モデルの学習", "データキャプチャ機能の有効化", "良い点"):
    those carry hiragana particles, end in an action noun or are generic words.
    """

    generic: frozenset[str]
    action_suffixes: tuple[str, ...]

    def is_category(self, phrase: str) -> bool:
        """A phrase ending in a generic word (「…サービス」「ML フレームワーク」) names a kind of thing."""
        k = key(phrase)
        return any(k.endswith(g) and len(g) >= 3 for g in self.generic)

    @classmethod
    def from_cues(cls, cues: dict[str, Any]) -> DiscoveryGate:
        return cls(frozenset(key(w) for w in cues.get("generic_terms", [])),
                   tuple(cues.get("action_suffixes", [])))

    def allows(self, surface: str, how: str) -> bool:
        text = fold_same_length(surface.strip())
        if how == "service-phrase":
            # "AWS ML", "Amazon AI": a prefix before a generic word is not a product name
            rest = text.split(maxsplit=1)[1:]
            return bool(rest) and key(rest[0]) not in self.generic and len(key(rest[0])) > 2
        if len(text) < 2 or len(text) > 30 or key(text) in self.generic:
            return False
        if HIRAGANA.search(text) or text.endswith(self.action_suffixes):
            return False
        if PUNCTUATION.search(text):
            return False
        if SLASH.search(text) and not text.isascii():
            return False
        if text.isascii():
            words = text.split()
            if len(words) > 5 or len(key(text)) <= 2:
                return False
            if len(words) == 1 and text.islower():
                return False
        elif " " in text.strip() and not LATIN.search(text):
            return False
        return True


def _subject_of(doc: Document, block_index: int, heads: dict[tuple[str, int], str],
                section_lines: dict[str, int]) -> tuple[str | None, str | None]:
    block = doc.blocks[block_index]
    section_subject = None
    for title in reversed(block.section):
        line = section_lines.get(title)
        if line is not None and (doc.path, line) in heads:
            section_subject = heads[(doc.path, line)]
            break
    parent_subject = None
    if block.parents:
        for j in range(block_index - 1, -1, -1):
            b = doc.blocks[j]
            if b.kind == "bullet" and b.depth < block.depth:
                parent_subject = heads.get((doc.path, b.line))
                if parent_subject or b.depth <= 1:
                    break
    return section_subject, parent_subject


def _record_maps(resolver: Resolver) -> tuple[dict[str, str], dict[str, str], dict[str, str]]:
    """Category, parent and kind of every entity, rebuilt only when entities were added
    (an entity's category, parent and kind never change once it exists)."""
    table = resolver.table
    if table.maps_for != len(table.records):
        table.maps = ({e: r.category for e, r in table.records.items()},
                      {e: r.parent for e, r in table.records.items() if r.parent},
                      {e: r.kind for e, r in table.records.items()})
        table.maps_for = len(table.records)
    return table.maps


@dataclass(frozen=True)
class NoteInputs:
    """What a note's inferred relations read of its mentions and heads (part of their memo
    key), with the mentions and heads they came from: a note whose both were replayed has
    the same, and they are not gathered again."""

    mentions: NoteMentions | None
    presenting: Presenting
    ms: tuple[tuple[Located, ...], ...]
    own: tuple[tuple[tuple[str, int], str], ...]
    exact: tuple[tuple[str, int], ...]
    entities: frozenset[str]

    @classmethod
    def of(cls, doc: Document, located: dict[tuple[str, int], list[Located]], heads: dict[tuple[str, int], str],
           exact_heads: set[tuple[str, int]], mentions: NoteMentions | None, presenting: Presenting) -> NoteInputs:
        ms = tuple(tuple(located.get((doc.path, bi), ())) for bi in range(len(doc.blocks)))
        # (the note's heads are those its own structure presented)
        lines = {line for line, _ in presenting.heads}
        own = tuple(sorted(((doc.path, line), heads[(doc.path, line)]) for line in lines))
        ents = frozenset({m.entity for row in ms for m in row} | {e for _, e in own})
        return cls(mentions, presenting, ms, own, tuple(k for k, _ in own if k in exact_heads), ents)


def _inferred(docs: list[Document], located: dict[tuple[str, int], list[Located]],
              heads: dict[tuple[str, int], str], exact_heads: set[tuple[str, int]], resolver: Resolver,
              cues: Cues, memo: RelationMemo | None,
              presenting: list[Presenting] | None = None) -> list[list[Relation]]:
    """Each note's inferred relations: from ``memo`` where nothing they are read from
    changed, else read afresh (on every core for a large vault)."""
    keys: list[tuple[Any, ...]] = []
    if memo is not None:
        assert presenting is not None, "a memo's build gives each note's presented terms"
        records = resolver.table.records
        inputs: dict[str, NoteInputs] = {}
        for i, doc in enumerate(docs):
            # what the note's mentions and heads give: the last build's when both were replayed
            mentioned, presented = memo.mentions.get(doc.path), presenting[i]
            last = memo.inputs.get(doc.path)
            if last is None or mentioned is None or last.mentions is not mentioned or last.presenting is not presented:
                last = NoteInputs.of(doc, located, heads, exact_heads, mentioned, presented)
            inputs[doc.path] = last
            ms, own, exact = last.ms, last.own, last.exact
            # the columns a table header names are looked up in the whole entity table
            columns = tuple(tuple(_column_entities(b, resolver)) for b in doc.blocks if b.kind == "table_header")
            ents = set(last.entities).union(*columns)
            ents |= {records[e].parent for e in ents if e in records and records[e].parent}
            facts = tuple((e, records[e].kind, records[e].category, records[e].parent) if e in records else (e,)
                          for e in sorted(ents))
            keys.append((ms, own, exact, columns, facts))
        memo.inputs = inputs
    out: list[list[Relation] | None] = [None] * len(docs)
    if memo is not None:
        for i, doc in enumerate(docs):
            kept = memo.by_note.get(doc.path)
            if kept is not None and kept[0] is doc and kept[1] == keys[i]:
                out[i] = kept[2]
        memo.reused = sum(1 for r in out if r is not None)
    todo = [i for i, r in enumerate(out) if r is None]
    fresh = shared_map(lambda j: _doc_relations(docs[todo[j]], located, heads, exact_heads, resolver, cues),
                       len(todo), PARALLEL_THRESHOLD)
    for i, rels in zip(todo, fresh, strict=True):
        out[i] = rels
    done = [r if r is not None else [] for r in out]
    if memo is not None:
        memo.by_note = {doc.path: (doc, keys[i], done[i]) for i, doc in enumerate(docs)}
    return done


def _doc_relations(doc: Document, located: dict[tuple[str, int], list[Located]],
                   heads: dict[tuple[str, int], str], exact_heads: set[tuple[str, int]], resolver: Resolver,
                   cues: Cues) -> list[Relation]:
    """What one note's sentences, tables and lists imply (not its explicit fields)."""
    out: list[Relation] = []
    section_lines: dict[str, int] = {}
    tables: dict[int, list[tuple[Any, str]]] = defaultdict(list)
    records = resolver.table.records
    categories, parents, kinds = _record_maps(resolver)
    row_ms: dict[int, list[Located]] = {}
    comparison: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    strong: dict[tuple[str, int], str] | None = None
    comparing: dict[tuple[str, ...], str | None] = {}  # per section path: its comparison heading
    for bi, block in enumerate(doc.blocks):
        if block.kind == "heading":
            section_lines[block.text] = block.line
        ms = located.get((doc.path, bi), [])
        if block.section in comparing:
            comp = comparing[block.section]
        else:
            comp = comparing[block.section] = next((h for h in reversed(block.section)
                                                    if any(w in h for w in cues.comparison_headings)), None)
        if block.kind in ("table_row", "table_header"):
            tables[block.table].append((block, heads.get((doc.path, block.line)) or ""))
            row_ms[block.line] = ms
        if comp and (doc.path, block.line) in heads and (
                block.kind == "heading" or (block.kind == "bullet" and block.depth == 1)):
            comparison[comp].append((block, heads[(doc.path, block.line)]))
        if block.kind in ("code", "table_header"):
            continue
        if ms:  # (sentences and arrows relate the block's own mentions: none, nothing to read)
            section_subject, parent_subject = _subject_of(doc, bi, heads, section_lines)
            if block.kind in ("table_row", "bullet"):
                # a row's or a "term: definition" bullet's own term is what the rest of it talks about
                parent_subject = heads.get((doc.path, block.line)) or parent_subject
            ctx = Context(doc.path, section_subject, parent_subject, comp is not None, categories)
            out.extend(cue_relations(block, ms, ctx, cues))
            out.extend(flow_relations(block, ms, ctx, cues))
        if block.kind == "bullet" and not comp and (doc.path, block.line) in exact_heads:
            if strong is None:  # this note's exact heads only: a scan of all heads per bullet was quadratic
                strong = {k: heads[k] for b in doc.blocks if (k := (doc.path, b.line)) in exact_heads and k in heads}
            sec, par = _subject_of(doc, bi, strong, section_lines)
            nctx = Context(doc.path, sec, par, False, categories)
            out.extend(nested_relation(block, heads[(doc.path, block.line)], nctx, parents, kinds))
    for rows in tables.values():
        out.extend(_table_relations(rows, doc.path, row_ms, resolver, cues))
    for heading, items in comparison.items():
        out.extend(listed_alternatives(items, doc.path, heading))
    out.extend(_sibling_alternatives(doc, heads, exact_heads, records, cues))
    return _refine(out, parents, categories, kinds, cues)


def _sibling_alternatives(doc: Document, heads: dict[tuple[str, int], str], exact_heads: set[tuple[str, int]],
                          records: dict[str, Any], cues: Cues) -> list[Relation]:
    """Variants of one technique written as sibling bullets are options to choose from.

    Known terms listed as sibling bullets directly under a bullet or heading that
    announces options (「デプロイ戦略」「手法」「種類」). Sharing a vocabulary parent is not
    enough: the cells of a confusion matrix are parts, not options.
    """
    Key = tuple[tuple[str, ...], tuple[str, ...], int]
    runs: dict[Key, list[tuple[str, list[tuple[Any, str]]]]] = defaultdict(lambda: [("", [])])
    for block in doc.blocks:
        where = (doc.path, block.line)
        if block.kind != "bullet":
            continue
        group = (block.section, block.parents, block.depth)
        if where in exact_heads and where in heads:
            runs[group][-1][1].append((block, heads[where]))
        elif where not in heads and len(block.text) <= 20:
            # 「- モデル展開戦略まとめ」 written as a bullet before the options themselves
            runs[group].append((block.text, []))
    out: list[Relation] = []
    for (section, parents, _), found in runs.items():
        for label, items in found:
            ents = list(dict.fromkeys(e for _, e in items))
            if len(ents) < 2 or len(ents) > 8:
                continue
            owner = " ".join(parents[-2:]) if parents else (section[-1] if section else "")
            owner = fold_same_length(f"{owner} {label}")
            kinds = {records[e].kind for e in ents if e in records}
            if any(w in owner for w in cues.option_parents) and len(kinds) == 1:
                out.extend(table_alternatives(items, doc.path, "sibling-options"))
    return out


def _refine(rels: list[Relation], parents: dict[str, str], categories: dict[str, str], kinds: dict[str, str],
            cues: Cues) -> list[Relation]:
    """Inferred edges a careful reader would not sign as written.

    A platform does not "use" its own feature: that is part-of, already known from the
    vocabulary (a feature may still use its platform: Data Wrangler 「SageMaker と連携」);
    "monitoring" a place data sits or moves through means using it. Only a service
    watches something, and an idea does not use a service (「マージジョブ … S3 に保存」
    says where data goes, not what a concept is built on).
    """
    out = []
    for r in rels:
        if parents.get(r.target) == r.source or (parents.get(r.source) == r.target and r.relation != "uses"):
            continue
        source_kind, target_kind = kinds.get(r.source, "concept"), kinds.get(r.target, "concept")
        if r.relation == "monitors" and source_kind != "service":
            continue
        if r.relation == "uses" and source_kind != "service" and target_kind == "service":
            continue
        if r.relation == "monitors" and categories.get(r.target) in cues.passive_services:
            r = Relation(r.source, r.target, "uses", r.evidence)
        out.append(r)
    return out


def _column_entities(header: Any, resolver: Resolver) -> list[str]:
    """Entities named by the header cells after the first: a table comparing them column by column."""
    ents = [resolver.exact(_clean(c)) for c in header.cells[1:] if c.strip()]
    return list(dict.fromkeys(e for e in ents if e))


def _table_relations(rows: list[tuple[Any, str]], note: str, row_ms: dict[int, list[Located]],
                     resolver: Resolver, cues: Cues) -> list[Relation]:
    """Which things a table sets side by side as alternatives.

    A header naming two or more entities compares its columns; otherwise the rows are the
    options when the first header cell says so (「デプロイオプション」「サービス名」) or when
    the row heads are services; a decision table whose first column is criteria offers
    the services written in its cells.
    """
    header = next((b for b, _ in rows if b.kind == "table_header"), None)
    body = [(b, h) for b, h in rows if b.kind == "table_row"]
    return _row_tools(body, note, row_ms, resolver, cues) + _table_alternatives(header, body, note, row_ms,
                                                                                 resolver, cues)


def _row_tools(body: list[tuple[Any, str]], note: str, row_ms: dict[int, list[Located]], resolver: Resolver,
               cues: Cues) -> list[Relation]:
    """A framework named in the row of a service ("Amazon EMR | … | Hadoop, Hive, Spark") is what it runs."""
    out = []
    for block, head in body:
        if not head or resolver.kind_of(head) != "service":
            continue
        for m in row_ms.get(block.line, []):
            record = resolver.table.records.get(m.entity)
            if m.entity != head and record is not None and record.category in cues.tool_categories:
                surface = block.text[m.start:m.end]
                cell = next((c for c in block.cells if surface in c), None)
                out.append(Relation(head, m.entity, "uses", Evidence(note, block.line, quote(
                    cell or block.text), "table-row-tool")))
    return out


def _table_alternatives(header: Any, body: list[tuple[Any, str]], note: str, row_ms: dict[int, list[Located]],
                        resolver: Resolver, cues: Cues) -> list[Relation]:
    if header is not None:
        cols = _column_entities(header, resolver)
        if len(cols) >= 2:
            return table_alternatives([(header, c) for c in cols], note, "table-columns")
    first = header.cells[0] if header is not None and header.cells else ""
    option = any(w in first for w in cues.option_headers)
    heads = [(b, h) for b, h in body if h]
    services = [(b, h) for b, h in heads if resolver.kind_of(h) == "service"]
    if option and len({h for _, h in heads}) >= 2:
        return table_alternatives(heads, note, "table-rows")
    if len({h for _, h in services}) >= 2:
        return table_alternatives(services, note, "table-rows")
    if not heads:
        parents = {resolver.table.records[m.entity].parent for b, _ in body
                   for m in row_ms.get(b.line, []) if m.entity in resolver.table.records}
        cells = [(b, m.entity) for b, _ in body for m in row_ms.get(b.line, [])
                 if m.kind == "service" and m.entity not in parents]
        if len({e for _, e in cells}) >= 2:
            return table_alternatives(cells, note, "table-cells")
    return []


def _targets(value: object) -> list[str]:
    if isinstance(value, str):
        value = re.findall(r"\[\[([^\]|#]+)", value) or [v for v in re.split(r"\s*,\s*", value) if v]
    if not isinstance(value, list):
        return []
    return [str(v).strip().strip("[]") for v in value if str(v).strip()]


def _explicit(doc: Document, heads: dict[tuple[str, int], str], resolver: Resolver,
              section_lines: dict[str, int], diagnostics: list[Diagnostic]) -> list[Relation]:
    """Front matter ``relations:`` and inline ``uses:: [[X]]`` fields; they beat inference."""
    out: list[Relation] = []
    rels = doc.front_matter.get("relations")
    fields = [b for b in doc.blocks if b.kind in ("bullet", "paragraph") and "::" in b.raw]
    if not isinstance(rels, dict) and not fields:
        return out
    subject = resolver.resolve(doc.title, doc.path, 1, None)
    if isinstance(rels, dict):
        if subject is None:
            subject = resolver.resolve(doc.title, doc.path, 1, "concept")
        for rel, value in rels.items():
            if rel not in EXPLICIT_RELATIONS:
                diagnostics.append(Diagnostic("warning", "unknown-relation",
                                              f"front matter relation '{rel}' is not one of "
                                              f"{', '.join(EXPLICIT_RELATIONS)}; ignored.", doc.path, 1))
                continue
            for target in _targets(value):
                tid = resolver.resolve(target, doc.path, 1, "concept")
                if subject and tid and subject != tid:
                    out.append(Relation(subject, tid, str(rel), Evidence(doc.path, 1, quote(
                        f"relations: {rel}: {target}"), "front-matter")))
    for block in fields:
        for m in INLINE_FIELD.finditer(block.raw):
            src = None
            for title in reversed(block.section):
                line = section_lines.get(title)
                if line is not None and (doc.path, line) in heads:
                    src = heads[(doc.path, line)]
                    break
            src = src or subject or resolver.resolve(doc.title, doc.path, 1, "concept")
            for target in _targets(m.group("val")):
                tid = resolver.resolve(target, doc.path, block.line, "concept")
                if src and tid and src != tid:
                    out.append(Relation(src, tid, m.group("rel"), Evidence(doc.path, block.line,
                                                                           quote(m.group(0).strip()),
                                                                           "inline-field")))
    return out


def _definitions(docs: list[Document], heads: dict[tuple[str, int], str], memo: RelationMemo | None = None,
                 presenting: list[Presenting] | None = None) -> dict[str, list[Evidence]]:
    """What the notes say an entity is: the text right under its heading or bullet.

    A note's definitions depend on the note and its own heads alone: while serving, those
    of a note whose heads were replayed (``presenting``) are kept from the last build."""
    out: dict[str, list[Evidence]] = defaultdict(list)
    fresh: dict[str, tuple[Document, tuple[tuple[int, str], ...], list[tuple[str, Evidence]]]] = {}
    for i, doc in enumerate(docs):
        own = presenting[i].heads if presenting is not None else ()
        kept = memo.definitions.get(doc.path) if memo is not None else None
        same = kept is not None and kept[0] is doc and kept[1] == own
        found = kept[2] if kept is not None and same else _note_definitions(doc, heads)
        if memo is not None:
            fresh[doc.path] = (doc, own, found)
        for eid, ev in found:
            out[eid].append(ev)
    if memo is not None:
        memo.definitions = fresh
    return out


def _note_definitions(doc: Document, heads: dict[tuple[str, int], str]) -> list[tuple[str, Evidence]]:
    out: list[tuple[str, Evidence]] = []
    blocks = doc.blocks
    for i, b in enumerate(blocks):
        eid = heads.get((doc.path, b.line))
        if not eid:
            continue
        if b.kind == "heading":
            for nb in blocks[i + 1:i + 4]:
                if nb.kind == "heading":
                    break
                if nb.kind in ("paragraph", "bullet") and nb.text:
                    out.append((eid, Evidence(doc.path, nb.line, quote(sentences(nb.text)[0]), "heading")))
                    break
        elif b.kind == "bullet":
            parts = re.split(r"[:：]", b.text, maxsplit=1)
            rest = parts[1].strip() if len(parts) == 2 else ""
            if not rest and " " in b.text and len(b.text) > 40:
                rest = b.text
            if not rest:
                children = [nb for nb in blocks[i + 1:i + 4] if nb.kind == "bullet" and nb.depth > b.depth]
                rest = children[0].text if children else ""
            if rest:
                out.append((eid, Evidence(doc.path, b.line, quote(rest), "bullet")))
        elif b.kind == "table_row" and len(b.cells) > 1:
            out.append((eid, Evidence(doc.path, b.line, quote(" / ".join(c for c in b.cells[1:] if c)),
                                      "table-row")))
    return out


def _add_relations(graph: nx.MultiDiGraph, relations: list[Relation]) -> None:
    grouped: dict[tuple[str, str, str], list[Evidence]] = defaultdict(list)
    for r in relations:
        if r.source not in graph or r.target not in graph:
            continue
        s, t = r.source, r.target
        if r.relation == "alternative-to" and s > t:
            s, t = t, s
        grouped[(s, t, r.relation)].append(r.evidence)
    for (s, t, rel), evs in sorted(grouped.items()):
        unique = sorted({(e.note, e.line, e.quote, e.rule): e for e in evs if e.rule}.values(),
                        key=lambda e: (e.note, e.line, e.rule))
        graph.add_edge(s, t, key=rel, relation=rel, evidence=[_ev(e) for e in unique])


MentionGroups = dict[str, list[dict[str, Any]]]
"""One note's mentions by term, in the order written, as the evidence of the note's
"mentions" edge to the term."""
Shown = list[tuple[str, dict[str, Any]]]
"""One note's mentions as the terms' nodes list them: (term, mention), in the order written."""


def _mention_groups(docs: list[Document], note_mentions: list[list[Mention]], passing: frozenset[str],
                    memo: RelationMemo | None) -> tuple[list[MentionGroups], dict[str, list[dict[str, Any]]]]:
    """Each note's :data:`MentionGroups`, and every term's mentions as its node lists them
    (in the order of the notes); not the terms ``passing`` (no page). While serving, a note
    whose mentions were replayed (the same list) takes both from the last build: the
    dictionaries are never changed once in a graph. (A plain build keeps no note's list of
    its own: at 10,000 notes they would be tens of megabytes at the build's peak.)"""
    out: list[MentionGroups] = []
    shown: dict[str, list[dict[str, Any]]] = defaultdict(list)
    kept = memo.mention_groups if memo is not None and memo.mention_groups_passing == passing else {}
    fresh: dict[str, tuple[list[Mention], MentionGroups, Shown]] = {}
    for doc, ments in zip(docs, note_mentions, strict=True):
        last = kept.get(doc.path)
        if last is not None and last[0] is ments:
            groups, own = last[1], last[2]
            for eid, mention in own:
                shown[eid].append(mention)
        else:
            groups, own = {}, []
            for m in ments:
                if m.key in passing:
                    continue
                group = groups.get(m.key)
                if group is None:
                    group = groups[m.key] = []
                group.append({"note": m.note, "line": m.line, "quote": m.surface, "rule": "mention"})
                mention = {"note": m.note, "line": m.line, "surface": m.surface}
                shown[m.key].append(mention)
                if memo is not None:
                    own.append((m.key, mention))
        out.append(groups)
        if memo is not None:
            fresh[doc.path] = (ments, groups, own)
    if memo is not None:
        memo.mention_groups, memo.mention_groups_passing = fresh, passing
    return out, shown


def _mentions_once(mentions: list[Mention]) -> tuple[dict[str, list[dict[str, Any]]],
                                                     list[tuple[str, str, list[dict[str, Any]]]]]:
    """Every term's mentions as its node lists them, and each note's "mentions" edge to a
    term (note, term, evidence) in order, for a build that keeps nothing for the next one.

    Not :func:`_mention_groups`' note by note grouping, which serve keeps to replay: made
    here term by term, then edge by edge, a 10,000-note build peaked at 958 MB, against
    1,029 MB with the groups."""
    by_entity: dict[str, list[Mention]] = defaultdict(list)
    for m in mentions:
        by_entity[m.key].append(m)
    shown = {eid: [{"note": m.note, "line": m.line, "surface": m.surface} for m in ments]
             for eid, ments in by_entity.items()}
    del by_entity
    per_note: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for m in mentions:
        per_note[(m.note, m.key)].append({"note": m.note, "line": m.line, "quote": m.surface, "rule": "mention"})
    return shown, [(note, eid, per_note[(note, eid)]) for note, eid in sorted(per_note)]


def _add_notes(graph: nx.MultiDiGraph, docs: list[Document],
               edges: list[tuple[str, str, list[dict[str, Any]]]]) -> dict[str, str]:
    """The notes' nodes and their "mentions" edges (``edges``: note, term, evidence, in order)."""
    lookup: dict[str, str] = {}
    for doc in docs:
        nid = note_id(doc.path)
        graph.add_node(nid, kind="note", name=doc.title, aliases=[doc.title], notes=[doc.path], path=doc.path,
                       tags=list(doc.tags), category="note")
        stem = note_stem(doc.path)
        for form in (stem, stem.rpartition("/")[2], doc.title):
            lookup.setdefault(form.casefold(), doc.path)
    nids = {doc.path: note_id(doc.path) for doc in docs}  # one string per note, not one per edge
    for path, eid, evidence in edges:
        graph.add_edge(nids[path], eid, key="mentions", relation="mentions", evidence=evidence)
    return lookup


def resolve_link(target: str, source: str, lookup: dict[str, str]) -> str | None:
    t = target.strip().removesuffix(".md")
    if not t:
        return source
    hit = lookup.get(t.casefold())
    if hit:
        return hit
    if "/" in t:
        # a path names one note: [[sub/same]] must not fall back to any note called "same"
        tail = "/" + t.casefold() + ".md"
        found = sorted({p for p in lookup.values() if ("/" + p.casefold()).endswith(tail)})
        return found[0] if found else None
    return lookup.get(PurePosixPath(t).name.casefold())


def _entity_keys(graph: nx.MultiDiGraph) -> dict[str, str]:
    """Every name of every entity page, for wikilinks written to a term (「[[Amazon S3]]」)."""
    out: dict[str, str] = {}
    for n, d in sorted(graph.nodes(data=True)):
        if d.get("kind") in ("service", "concept"):
            for form in (d["name"], *d.get("aliases", []), *d.get("vocabulary_aliases", [])):
                out.setdefault(key(form), str(n))
    return out


def entity_for_link(graph: nx.MultiDiGraph, target: str) -> str | None:
    """The entity a wikilink names when no note has that name."""
    keys: dict[str, str] = graph.graph.get("entity_keys", {})
    return keys.get(key(target.split("#", 1)[0])) if target.strip() else None


def _add_links(graph: nx.MultiDiGraph, docs: list[Document], lookup: dict[str, str],
               diagnostics: list[Diagnostic]) -> None:
    for doc in docs:
        for link in doc.links:
            dest = resolve_link(link.target, doc.path, lookup)
            if dest is None and entity_for_link(graph, link.target):
                continue
            if dest is None:
                diagnostics.append(Diagnostic("info", "dangling-link",
                                              f"[[{link.target}]] links to no note in the vault.",
                                              doc.path, link.line + 0))
                continue
            if dest == doc.path:
                continue
            src, dst = note_id(doc.path), note_id(dest)
            if graph.has_edge(src, dst, key="links-to"):
                graph.edges[src, dst, "links-to"]["evidence"].append(
                    {"note": doc.path, "line": link.line, "quote": f"[[{link.target}]]", "rule": "wikilink"})
            else:
                graph.add_edge(src, dst, key="links-to", relation="links-to",
                               evidence=[{"note": doc.path, "line": link.line, "quote": f"[[{link.target}]]",
                                          "rule": "wikilink"}])
