"""Entities: vocabulary terms and terms discovered from the notes' structure, with
every spelling resolved to one id.

Resolution order, most trusted first: exact alias of a vocabulary term, a generic
suffix removed ("… サービス", "… 機能"), the "name（alias）" pattern, then a guarded
fuzzy match for typos of ASCII names. Every non-exact merge is recorded as a
:class:`Merge` with its reason so ``kgsite check`` can show it and the user can veto it.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from graph.document import bold_terms
from graph.model import Ambiguity, Block, Document, Merge
from graph.slug import slugify
from graph.textkey import key
from graph.vendors import vendor_words
from graph.vocabulary import Term, Vocabulary

PAREN = re.compile(r"^(?P<a>[^（(]{1,40}?)\s*[（(](?P<b>[^）)]{1,40})[）)]\s*$")
DEF_BULLET = re.compile(r"^(?P<t>[^:：。、]{1,40}?)\s*[:：]\s*(?P<d>.*)$")
NUMBERING = re.compile(r"^(?:\d+[.)．]|[①-⑳]|第\d+章|Step\s*\d+[:.]?)\s*")
CALL_SUFFIX = re.compile(r"\s+`?[A-Za-z_][\w.]*\([^()]*\)`?$")
FOUR_DIGITS = re.compile(r"\d{4}")
LOWER = re.compile(r"[a-z]")
CODE_LIKE = re.compile(r"https?:|[=<>{}|]")
NAME_LIKE = re.compile(r"[0-9\-]|[A-Z].*[A-Z]|^[A-Z]{2,}")
VENDORS = vendor_words().vendors
"""What a service phrase starts with (「Amazon SageMaker Ground Truth」); see :mod:`graph.vendors`."""
SERVICE_PHRASE = re.compile(rf"(?<![A-Za-z0-9])(?:{vendor_words().alternation(VENDORS)})"
                            rf"(?:\s+(?:for|on|in|with|of|and|[A-Z0-9][A-Za-z0-9\-]*)){{1,5}}")
HIRAGANA = re.compile(r"[\u3041-\u3096]")
HIRAGANA_RE = HIRAGANA
HEADING_SPLIT = re.compile(r"\s+[–—\-]\s+|\s*[:：︓|｜]\s*")
SERVICE_HEAD = re.compile(rf"^(?:{vendor_words().alternation(VENDORS + vendor_words().families)})\b", re.I)
"""A name the notes coin is a service when it starts with a vendor or a service family."""


@dataclass
class EntityRecord:
    id: str
    name: str
    kind: str
    category: str = ""
    parent: str = ""
    description: str = ""
    origin: str = "vocabulary"
    aliases: set[str] = field(default_factory=set)


@dataclass
class EntityTable:
    """Mutable while resolving; frozen into graph attributes afterwards."""

    records: dict[str, EntityRecord] = field(default_factory=dict)
    surface_to_id: dict[str, str] = field(default_factory=dict)
    merges: list[Merge] = field(default_factory=list)
    ambiguities: dict[str, Ambiguity] = field(default_factory=dict)

    note_keys: dict[str, str] = field(default_factory=dict)
    # category, parent and kind by entity, as of ``maps_for`` entities (see build._record_maps)
    maps: tuple[dict[str, str], dict[str, str], dict[str, str]] = ({}, {}, {})
    maps_for: int = -1
    #: when set (while serving), every call of the methods below, as asked: the same calls
    #: on the same table make the same table (:func:`replay`)
    log: list[TableCall] | None = None
    #: with ``log``: the calls that changed what resolving reads (see :func:`replay`)
    log_read: list[TableCall] = field(default_factory=list)
    #: the keys the vocabulary answers (:meth:`Resolver.exact` looks there first)
    vocabulary_keys: Container[str] = frozenset()

    def add_surface(self, surface: str, entity: str) -> None:
        if self.log is not None:
            self.log.append((EntityTable.add_surface, (surface, entity)))
            if surface not in self.surface_to_id and key(surface) not in self.vocabulary_keys:
                self.log_read.append((EntityTable.add_surface, (surface, entity)))
        self.surface_to_id.setdefault(surface, entity)

    def add_alias(self, entity: str, surface: str) -> None:
        """Every spelling seen for an entity; those of entities found in the notes are
        indexed by key so that :meth:`Resolver.exact` stays a dictionary lookup."""
        rec = self.records[entity]
        if self.log is not None:
            self.log.append((EntityTable.add_alias, (entity, surface)))
            if rec.origin == "notes" and key(surface) not in self.note_keys:
                self.log_read.append((EntityTable.add_alias, (entity, surface)))
        rec.aliases.add(surface)
        if rec.origin == "notes":
            self.note_keys.setdefault(key(surface), entity)

    def new_record(self, id: str, name: str, kind: str, category: str = "", parent: str = "",
                   description: str = "", origin: str = "vocabulary") -> None:
        if self.log is not None:
            call: TableCall = (EntityTable.new_record, (id, name, kind, category, parent, description, origin))
            self.log.append(call)
            self.log_read.append(call)
        self.records[id] = EntityRecord(id, name, kind, category, parent, description, origin)

    def add_merge(self, merge: Merge) -> None:
        """A merge made by resolving, kept once per surface (the first reason given)."""
        if self.log is not None:
            self.log.append((EntityTable.add_merge, (merge,)))
        if all(m.surface != merge.surface for m in self.merges):
            self.merges.append(merge)

    def add_ambiguity(self, ambiguity: Ambiguity) -> None:
        if self.log is not None:
            self.log.append((EntityTable.add_ambiguity, (ambiguity,)))
        self.ambiguities.setdefault(ambiguity.surface, ambiguity)


TableCall = tuple[Callable[..., None], tuple[Any, ...]]
"""One change asked of an :class:`EntityTable`: the method and its arguments."""


def replay(table: EntityTable, calls: Iterable[TableCall]) -> None:
    """Make ``calls`` on ``table`` again (not logged a second time).

    Resolving a spelling reads the entity records, the keys of spellings of terms found in
    the notes, and the spellings seen whose key the vocabulary does not answer; the calls
    that changed those are logged in ``log_read`` too. Two notes read from tables alike in
    these, whose ``log_read`` calls are the same, leave tables alike in these: every later
    note resolves as before and can replay its calls. The rest (merges and ambiguities
    recorded, every spelling of a term) never changes what a resolution returns, and ends
    the same whatever the order of builds, as every call is replayed."""
    log, table.log = table.log, None
    try:
        for method, args in calls:
            method(table, *args)
    finally:
        table.log = log


def term_id(term: Term) -> str:
    return slugify(term.name)


def _clean(text: str) -> str:
    text = NUMBERING.sub("", text.strip())
    # 「対数変換 log()」: a function name written after the term is notation, not name
    text = CALL_SUFFIX.sub("", text.strip(" *_`#-–—:："))
    return text.strip(" *_`#-–—:：")


def looks_like_term(text: str, not_terms: Iterable[str]) -> bool:
    """A short noun phrase, not a sentence or a section label like 「まとめ」."""
    if not text or len(text) > 40 or len(text) < 2:
        return False
    if _any_of(tuple(not_terms)).search(text):
        return False
    if FOUR_DIGITS.search(text) or text.isdigit():
        return False
    if LOWER.search(text) and len(text.split()) > 6:
        return False
    return not CODE_LIKE.search(text)


@lru_cache(maxsize=8)
def _any_of(words: tuple[str, ...]) -> re.Pattern[str]:
    """One search for "contains any of these words" (asked for every candidate term)."""
    return re.compile("|".join(re.escape(w) for w in words) if words else r"(?!)")


def levenshtein(a: str, b: str, limit: int) -> int:
    """The edit distance of ``a`` and ``b`` when it is at most ``limit``, else ``limit + 1``.

    Only the diagonal band ``|i - j| <= limit`` is computed: a path that leaves it already
    costs more than ``limit``."""
    la, lb = len(a), len(b)
    over = limit + 1
    if abs(la - lb) > limit:
        return over
    prev = [j if j <= limit else over for j in range(lb + 1)]
    for i in range(1, la + 1):
        cur = [over] * (lb + 1)
        cur[0] = i if i <= limit else over
        best = cur[0]
        ca = a[i - 1]
        for j in range(max(1, i - limit), min(lb, i + limit) + 1):
            v = min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != b[j - 1]), over)
            cur[j] = v
            best = min(best, v)
        if best > limit:
            return over
        prev = cur
    return prev[lb]


def candidate_cues(vocab: Vocabulary) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The cue lists :func:`candidate_terms` reads: phrases that are never terms, and the
    words naming table columns whose cells list terms."""
    cues = vocab.cues or {}
    return tuple(cues.get("not_terms", [])), tuple(cues.get("list_columns", []))


class Resolver:
    """Maps a surface string to an entity id, creating or fuzzily merging as needed."""

    def __init__(self, vocab: Vocabulary) -> None:
        self.vocab = vocab
        self.table = EntityTable()
        self.index = vocab.index()
        self.table.vocabulary_keys = self.index
        self.by_name = {t.name: t for t in vocab.terms}
        cues = vocab.cues or {}
        not_terms, self.list_columns = candidate_cues(vocab)
        self.not_terms: list[str] = list(not_terms)
        self.generic_suffixes: tuple[str, ...] = tuple(cues.get("generic_suffixes", []))
        self._shorts: dict[str, list[Term]] | None = None
        self.pending_ambiguity: tuple[str, ...] = ()
        self.last_vetoed = False
        self.plain_words = frozenset(key(w) for w in cues.get("plain_words", []))
        # Known entities named in the note being read: "Canvas" in a note about SageMaker
        # is SageMaker Canvas, not Nova Canvas.
        self.note_context: Callable[[], set[str]] | None = None
        self.by_id = {term_id(t): t for t in reversed(vocab.terms)}
        self._nearest: dict[str, tuple[int, str, tuple[str, ...]] | None] = {}
        self.ascii_keys: dict[str, list[str]] = defaultdict(list)
        for k in self.index:
            if k.isascii() and len(k) >= 6:
                self.ascii_keys[k[0]].append(k)

    def ensure_term(self, term: Term) -> str:
        tid = term_id(term)
        if tid not in self.table.records:
            self.table.new_record(tid, term.name, term.kind, term.category,
                                  slugify(term.parent) if term.parent else "", term.description)
        return tid

    def kind_of(self, entity: str) -> str:
        rec = self.table.records.get(entity)
        if rec:
            return rec.kind
        term = self.by_id.get(entity)
        return term.kind if term else ""

    def ensure_known(self, entity: str) -> str | None:
        """Make sure a vocabulary entity found by the matcher has a record."""
        term = self.by_id.get(entity)
        return self.ensure_term(term) if term else (entity if entity in self.table.records else None)

    def exact(self, surface: str) -> str | None:
        term = self.index.get(key(surface))
        if term is not None:
            return self.ensure_term(term)
        known = self.table.surface_to_id.get(surface)
        if known:
            return known
        return self.table.note_keys.get(key(surface))

    def fuzzy(self, surface: str) -> tuple[str, str] | None:
        k = key(surface)
        if not k.isascii() or len(k) < 6:
            return None
        if k in self._nearest:
            near = self._nearest[k]
        else:
            near = self._nearest[k] = self._near(k)
        if near is None:
            return None
        distance, alias, rivals = near
        term = self.index[alias]
        if rivals:
            self.pending_ambiguity = (term.name, *rivals)
            return None
        return self.ensure_term(term), f"edit distance {distance} to the alias '{alias}' of {term.name}"

    def _near(self, k: str) -> tuple[int, str, tuple[str, ...]] | None:
        """The vocabulary's nearest ASCII alias to ``k`` (a typo of it): its distance, the
        alias, and the other terms as near. A function of the vocabulary alone, asked again
        for every note that writes the same words: each key is looked up once a build."""
        limit = 1 if len(k) <= 12 else 2
        found: list[tuple[int, str]] = []
        for cand in self.ascii_keys.get(k[0], ()):
            if abs(len(cand) - len(k)) > limit:
                continue
            d = levenshtein(k, cand, limit)
            if d > limit or d == 0:
                continue
            if _digits(k) != _digits(cand):
                continue
            found.append((d, cand))
        if not found:
            return None
        best = min(found)
        name = self.index[best[1]].name
        return best[0], best[1], tuple(sorted({self.index[c].name for d, c in found if d == best[0]} - {name}))

    def extra_word(self, surface: str) -> tuple[str, str] | None:
        """"SageMaker Model Clarify" is SageMaker Clarify with one word too many, when
        dropping exactly one word gives exactly one known name."""
        words = surface.split()
        if len(words) < 3 or not surface.isascii():
            return None
        found = {self.index[k] for i in range(1, len(words))
                 if (k := key(" ".join(words[:i] + words[i + 1:]))) in self.index}
        if len(found) != 1:
            return None
        term = found.pop()
        return self.ensure_term(term), f"'{surface}' is {term.name} with one extra word"

    def short_form(self, surface: str) -> tuple[str, str] | None:
        """"Canvas" under a SageMaker section is "SageMaker Canvas": a feature's name without
        its platform's name, when exactly one vocabulary term reads so."""
        k = key(surface)
        if len(k) < 3 or not surface.isascii() or k in self.plain_words:
            return None
        hits = self._short_forms().get(k, [])
        if not hits:
            return None
        if self.note_context is not None:
            # (read only now: finding every known name in the note is most of a resolution)
            # only where the note names the platform: "Pipelines" in a SageMaker note
            around = self.note_context()
            named = [t for t in hits if slugify(t.parent) in around or term_id(t) in around]
            if len(hits) > 1 and not named:
                self.pending_ambiguity = tuple(sorted(t.name for t in hits))
            hits = named
        if len(hits) > 1:
            self.pending_ambiguity = tuple(sorted(t.name for t in hits))
        if len(hits) != 1:
            return None
        term = hits[0]
        return self.ensure_term(term), f"'{surface}' is {term.name} without its platform name '{term.parent}'"

    def _short_forms(self) -> dict[str, list[Term]]:
        if self._shorts is None:
            shorts: dict[str, list[Term]] = defaultdict(list)
            for t in self.vocab.terms:
                if not t.parent:
                    continue
                full, parent = key(t.name), key(t.parent)
                if full.startswith(parent) and len(full) >= len(parent) + 3:
                    rest = full[len(parent):]
                    if rest not in self.index:
                        shorts[rest].append(t)
            self._shorts = dict(shorts)
        return self._shorts

    def resolve(self, surface: str, note: str, line: int, create: str | None = None) -> str | None:
        """The entity for ``surface``; ``create`` ("service"/"concept") makes a new one if unknown."""
        surface = surface.strip()
        if not surface:
            return None
        eid = self.exact(surface)
        if eid:
            self.table.add_surface(surface, eid)
            return eid
        for suffix in self.generic_suffixes:
            if surface.endswith(suffix) and len(surface) > len(suffix) + 1:
                base = surface[: -len(suffix)].strip()
                eid = self.exact(base)
                if eid and not self._vetoed(surface, eid):
                    self._merge(surface, eid, f"'{surface}' is '{base}' with the generic suffix '{suffix}'",
                                note, line)
                    return eid
        self.pending_ambiguity = ()
        for suffix in self.generic_suffixes:
            if not suffix.isascii() and len(surface) >= 2:
                eid = self.exact(surface + suffix)
                if eid and not self._vetoed(surface, eid):
                    self._merge(surface, eid, f"'{surface}' is '{surface + suffix}' without the generic suffix",
                                note, line)
                    return eid
        fz = self.fuzzy(surface) or self.short_form(surface) or self.extra_word(surface)
        self.last_vetoed = bool(fz and self._vetoed(surface, fz[0]))
        if self.last_vetoed:
            fz = None
        if self.pending_ambiguity and not fz:
            self.table.add_ambiguity(Ambiguity(surface, self.pending_ambiguity, note, line))
        if fz:
            self._merge(surface, fz[0], fz[1], note, line)
            return fz[0]
        if create is None:
            return None
        kind = "service" if SERVICE_HEAD.match(surface) else create
        eid = slugify(surface)
        while eid in self.table.records and key(self.table.records[eid].name) != key(surface):
            eid += "-2"
        if eid not in self.table.records:
            self.table.new_record(eid, surface, kind, origin="notes")
        self.table.add_alias(eid, surface)
        self.table.add_surface(surface, eid)
        return eid

    def _vetoed(self, surface: str, eid: str) -> bool:
        """The user's vocabulary said these two are different things (``veto:`` pairs)."""
        if not self.vocab.vetoes:
            return False
        rec = self.table.records.get(eid)
        term = self.by_id.get(eid)
        names = {key(n) for n in ((rec.name,) if rec else ()) + ((term.name, *term.aliases) if term else ())}
        k = key(surface)
        return any((k, n) in self.vocab.vetoes or (n, k) in self.vocab.vetoes for n in names)

    def _merge(self, surface: str, eid: str, reason: str, note: str, line: int) -> None:
        self.table.add_surface(surface, eid)
        self.table.add_merge(Merge(surface, eid, reason, note, line))


def _digits(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def candidate_terms(doc: Document, not_terms: list[str], list_columns: tuple[str, ...] = ()) -> list[
        tuple[str, int, str]]:
    """(surface, line, how) for every place the note's structure presents a term."""
    out: list[tuple[str, int, str]] = []
    has_children = {p for b in doc.blocks for p in b.parents[-1:]}
    headers: dict[int, tuple[str, ...]] = {}
    for b in doc.blocks:
        if b.kind == "code":
            continue
        if any(v in b.text for v in VENDORS):  # what SERVICE_PHRASE cannot match without
            for phrase in SERVICE_PHRASE.findall(b.text):
                out.append((_trim_phrase(phrase), b.line, "service-phrase"))
        if "**" in b.raw or "__" in b.raw:  # likewise for bold
            for term in bold_terms(b.raw):
                out.append((_clean(term), b.line, "bold"))
        head = _block_head(b, has_children)
        if head and looks_like_term(head[0], not_terms):
            out.append((head[0], b.line, head[1]))
        for item in _list_items(b, headers.get(b.table, ()) if b.kind == "table_row" else (), list_columns):
            out.append((item, b.line, "list-item"))
        if b.kind == "table_header":
            headers[b.table] = b.cells
    return [(s, ln, how) for s, ln, how in out if s]


BASED = re.compile(r"\s*(?:ベース|based)\b")
ITEM_SPLIT = re.compile(r"[,、，/／()（）]|\s+and\s+")
NAME_ITEM = re.compile(r"^[A-Za-z][A-Za-z0-9\-.+]*(?:\s[A-Za-z0-9][A-Za-z0-9\-.+]*){0,3}$")


def _looks_like_name(item: str) -> bool:
    """"U-Net", "DeepLab v3", "Mask R-CNN", "LightGBM": written like a proper name."""
    if not NAME_ITEM.match(item) or len(item) < 2:
        return False
    return bool(NAME_LIKE.search(item[1:] if len(item) > 2 else item))


def _list_items(b: Block, header: tuple[str, ...], list_columns: tuple[str, ...]) -> list[str]:
    """Names listed in a table cell or after "term:" ("FCN, PSP, DeepLab v3(ResNet ベース)").

    Proper-name-looking items count anywhere; Japanese items only in a column whose
    header says it lists algorithms, models, methods or services.
    """
    values: list[tuple[str, bool]] = []
    if b.kind == "table_row":
        for i, cell in enumerate(b.cells[1:], start=1):
            column = header[i] if i < len(header) else ""
            values.append((cell, any(w in column.casefold() for w in list_columns)))
    elif b.kind == "bullet":
        m = DEF_BULLET.match(_clean(b.raw.split("\n", 1)[0]))
        if m:
            values.append((m.group("d"), False))
    out: list[str] = []
    for value, listing in values:
        value = BASED.sub("", value)
        items = [i.strip(" *`") for i in ITEM_SPLIT.split(value) if i.strip(" *`")]
        for item in items:
            listed = listing and len(items) >= 2 and len(item) <= 15 and not HIRAGANA_RE.search(item)
            if _looks_like_name(item) or listed:
                out.append(item)
    return out


def _trim_phrase(phrase: str) -> str:
    words = phrase.split()
    while words and words[-1] in ("for", "on", "in", "with", "of", "and"):
        words.pop()
    return " ".join(words)


def _block_head(b: Block, has_children: set[str]) -> tuple[str, str] | None:
    if b.kind == "heading":
        return _clean(b.text), ("title" if b.level == 1 else "heading")
    if b.kind == "table_row" and b.cells:
        return _clean(b.cells[0]), "table-row"
    if b.kind == "bullet":
        first = b.raw.split("\n", 1)[0]
        text = _clean(first)
        m = DEF_BULLET.match(text)
        if m and m.group("t").strip():
            return _clean(m.group("t")), "definition-bullet"
        if b.text in has_children or "\n" in b.raw:
            return text, "term-bullet"
    return None


def split_paren(surface: str) -> tuple[str, str] | None:
    m = PAREN.match(surface)
    if not m:
        return None
    return m.group("a").strip(), m.group("b").strip()


def is_synonym_pair(a: str, b: str) -> bool:
    """"過学習（Overfitting）", "検索拡張生成 (RAG)": one name in two scripts or an abbreviation.

    Not "混同行列 (再現率：Recall)" (a colon: a sub-topic) nor "インスタンス選択（推論）"
    (both Japanese: a context note), which are two terms side by side.
    """
    if any(c in a + b for c in ":：︓,、/") or len(b) > 30:
        return False
    if a.isascii() != b.isascii():
        return True
    letters = "".join(ch for ch in a if ch.isalnum())
    initials = "".join(w[0] for w in re.split(r"[\s\-]+", a) if w).casefold()
    return b.isascii() and b.isupper() and (initials == b.casefold() or b.casefold() in letters.casefold())
