"""Find every alias of every known entity in a text, longest match first.

Matching runs on the folded text (see :mod:`graph.textkey`). The scan is one compiled
regular expression shaped as a trie of all folded aliases (``sage(?:maker(?:canvas)?)?``),
so the search for the next candidate runs in C instead of a Python loop over every
character; greedy optional groups make it return the longest alias first. Only when
that alias fails the word-boundary check does the old per-position lookup (an index by
the first two folded characters, longest first) decide, so the result is exactly that
of the plain scan. ASCII aliases only match at word boundaries, so "Glue" never fires
inside "GlueJob"; Japanese has no spaces and matches anywhere, longest first.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from graph.machinecache import kept_pattern
from graph.textkey import fold, folded_map, folded_with_index, is_ascii_word, key
from graph.vendors import vendor_words

MEMO_LIMIT = 60_000
"""Texts a matcher remembers the hits of: every block of a 1,000-note vault (about 35,000), and a bound on
the memory a larger one can take for it."""


@dataclass(frozen=True)
class Hit:
    entity: str
    start: int
    end: int
    surface: str


class Matcher:
    def __init__(self, aliases: dict[str, str], base: Matcher | None = None) -> None:
        """``aliases`` maps a surface form (any spelling) to an entity id.

        ``base``: a matcher whose spellings are all among ``aliases`` (the vocabulary's,
        under a vault's mention matcher). Its compiled pattern is reused and only the
        spellings it lacks are compiled: Python compiles a pattern of the whole vocabulary
        in about 0.3 s, a fixed cost of every build. The matches are those of one pattern
        of every spelling (see :meth:`_find`).
        """
        self.by_key: dict[str, str] = {}
        for form, entity in sorted(aliases.items()):
            k = key(form)
            if len(k) >= 2 or (k and not k.isascii()):
                self.by_key.setdefault(k, entity)
            full = fold(form.strip())
            if full != k and len(full) >= 2:
                self.by_key.setdefault(full, entity)
        buckets: dict[str, list[str]] = defaultdict(list)
        for k in self.by_key:
            buckets[k[:2]].append(k)
        self.buckets = {b: sorted(ks, key=lambda s: (-len(s), s)) for b, ks in buckets.items()}
        self.singles = {k for k in self.by_key if len(k) == 1}
        inherited: list[re.Pattern[str]] = []
        own: Iterable[str] = self.by_key
        if base is not None and all(k in self.by_key for k in base.by_key):
            inherited = list(base.patterns)
            own = [k for k in self.by_key if k not in base.by_key]
        # (a vocabulary's pattern is kept compiled between runs: graph.machinecache)
        own_pattern = kept_pattern(own, trie_pattern)
        self.patterns: tuple[re.Pattern[str], ...] = (*inherited, *([own_pattern] if own_pattern else []))
        self._found: dict[str, tuple[Hit, ...]] = {}

    def find(self, text: str) -> list[Hit]:
        """Every alias in ``text``, left to right.

        Remembered per text: a matcher lives across the rebuilds of a serve session (see
        ``graph.build._mention_matcher``), and an edit leaves every other block as it was.
        """
        found = self._found.get(text)
        if found is None:
            if len(self._found) >= MEMO_LIMIT:
                self._found.clear()
            found = self._found[text] = tuple(self._find(text))
        return list(found)

    def _find(self, text: str) -> list[Hit]:
        if not self.patterns:
            return []
        folded, index = _fold(text)
        hits: list[Hit] = []
        i = 0
        following = _Following(self.patterns, folded)
        while True:
            found = following.at_or_after(i)
            if found is None:
                return hits
            i, longest = found
            match: str | None = longest
            if not self._bounded(text, index, i, i + len(longest), longest):
                match = self._slow(text, folded, index, i)
            if match is None:
                i += 1
                continue
            hits.append(self._hit(text, index, i, match))
            i += len(match)

    def find_slow(self, text: str) -> list[Hit]:
        """The plain per-position scan :meth:`find` must agree with (kept for the tests)."""
        folded, index = folded_with_index(text)
        hits: list[Hit] = []
        i = 0
        while i < len(folded):
            match = self._slow(text, folded, _Index(plain=index), i)
            if match is None:
                i += 1
                continue
            hits.append(self._hit(text, index, i, match))
            i += len(match)
        return hits

    def _hit(self, text: str, index: _Index | list[int], i: int, match: str) -> Hit:
        """The alias ``match`` found at folded position ``i``, in the original text's terms."""
        start, end = index[i], index[i + len(match) - 1] + 1
        start = _with_prefix(text, start)
        return Hit(self.by_key[match], start, end, text[start:end])

    def _slow(self, text: str, folded: str, index: _Index, i: int) -> str | None:
        """The longest alias at folded position ``i`` that respects word boundaries."""
        for k in self.buckets.get(folded[i:i + 2], ()):
            if folded.startswith(k, i) and self._bounded(text, index, i, i + len(k), k):
                return k
        if folded[i] in self.singles and self._bounded(text, index, i, i + 1, folded[i]):
            return folded[i]
        return None

    @staticmethod
    def _bounded(text: str, index: _Index, i: int, j: int, k: str) -> bool:
        start, end = index[i], index[j - 1] + 1
        if is_ascii_word(k[0]) and start > 0 and is_ascii_word(text[start - 1]):
            return False
        if is_ascii_word(k[-1]) and end < len(text) and is_ascii_word(text[end]):
            return False
        return _one_phrase(text[start:end])


class _Following:
    """The next key at or after a position, over several trie patterns at once: the
    leftmost start, and there the longest key, which is what one pattern of all their
    keys finds. Each pattern's last match is kept until the scan passes its start, so a
    pattern is searched again only when its next match may have changed."""

    __slots__ = ("ahead", "folded", "searches")

    def __init__(self, patterns: tuple[re.Pattern[str], ...], folded: str) -> None:
        self.folded = folded
        self.searches = [p.search for p in patterns]
        self.ahead: list[tuple[int, str] | None] = [(-1, "")] * len(patterns)  # -1: not searched yet

    def at_or_after(self, i: int) -> tuple[int, str] | None:
        best: tuple[int, str] | None = None
        for n, search in enumerate(self.searches):
            found = self.ahead[n]
            if found is not None and found[0] < i:
                m = search(self.folded, i)
                found = self.ahead[n] = (m.start(), m.group()) if m is not None else None
            if found is not None and (best is None or found[0] < best[0]
                                      or (found[0] == best[0] and len(found[1]) > len(best[1]))):
                best = found
        return best


class _Index:
    """Folded position -> original position, without a Python loop over the text.

    ``ends[c]`` is the folded length after original char ``c``; most chars fold to one
    char and spaces to none, so a bisection finds the original char of any folded one.
    """

    __slots__ = ("ends", "plain")

    def __init__(self, parts: list[str] | None = None, plain: list[int] | None = None) -> None:
        self.plain = plain  # an explicit index (find_slow)
        self.ends: list[int] = list(accumulate(map(len, parts))) if parts is not None else []

    def __getitem__(self, i: int) -> int:
        if self.plain is not None:
            return self.plain[i]
        return bisect_right(self.ends, i)


def _fold(text: str) -> tuple[str, _Index]:
    """:func:`graph.textkey.folded_with_index`, with the per-character work done in C."""
    folded = fold(text)
    return folded, _Index(list(map(folded_map().__getitem__, map(ord, text))))


def trie_pattern(keys: Iterable[str]) -> str:
    """A regular expression matching any of ``keys``, shaped as their trie.

    At each node the longer continuations come first and are optional (greedy), so a
    match is always the longest key that starts there.
    """
    root: dict[str, Any] = {}
    for k in keys:
        node = root
        for ch in k:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict[str, Any]) -> str:
        terminal = "" in node
        branches = [re.escape(ch) + build(child) for ch, child in sorted(node.items()) if ch]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        if terminal:
            return (body if len(branches) > 1 else "(?:" + body + ")") + "?"
        return body

    return build(root)


_PREFIXES = tuple(dict.fromkeys([*(v + " " for v in vendor_words().vendors),
                                  *(v.lower() + " " for v in vendor_words().vendors)]))
_LONGEST_PREFIX = max(map(len, _PREFIXES), default=0)


def _with_prefix(text: str, start: int) -> int:
    """Include a preceding vendor word ("Amazon ", "AWS ": :mod:`graph.vendors`) in the surface string."""
    head = text[max(0, start - _LONGEST_PREFIX):start]
    for prefix in _PREFIXES:
        if head.endswith(prefix):
            return start - len(prefix)
    return start


BREAKS = re.compile(r"[、。，,；;！？!?\n]")


def _one_phrase(span: str) -> bool:
    """Folding drops punctuation, so "検証、データ" folds like 検証データ and "ベースライン（モデル"
    like ベースラインモデル; a name never runs across a comma or an unclosed parenthesis."""
    if BREAKS.search(span):
        return False
    return span.count("(") + span.count("（") == span.count(")") + span.count("）")
