"""Find every alias of every known entity in a text, longest match first.

Matching runs on the folded text (see :mod:`graph.textkey`) with an index by the
first two folded characters, which keeps it linear in practice with thousands of
aliases. ASCII aliases only match at word boundaries, so "Glue" never fires inside
"GlueJob"; Japanese has no spaces and matches anywhere, longest first.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from graph.textkey import folded_with_index, is_ascii_word, key


@dataclass(frozen=True)
class Hit:
    entity: str
    start: int
    end: int
    surface: str


class Matcher:
    def __init__(self, aliases: dict[str, str]) -> None:
        """``aliases`` maps a surface form (any spelling) to an entity id."""
        self.by_key: dict[str, str] = {}
        for form, entity in sorted(aliases.items()):
            k = key(form)
            if len(k) >= 2 or (k and not k.isascii()):
                self.by_key.setdefault(k, entity)
            full = folded_with_index(form.strip())[0]
            if full != k and len(full) >= 2:
                self.by_key.setdefault(full, entity)
        buckets: dict[str, list[str]] = defaultdict(list)
        for k in self.by_key:
            buckets[k[:2]].append(k)
        self.buckets = {b: sorted(ks, key=lambda s: (-len(s), s)) for b, ks in buckets.items()}
        self.singles = {k for k in self.by_key if len(k) == 1}

    def find(self, text: str) -> list[Hit]:
        folded, index = folded_with_index(text)
        hits: list[Hit] = []
        i = 0
        n = len(folded)
        while i < n:
            match = None
            for k in self.buckets.get(folded[i:i + 2], ()):
                if folded.startswith(k, i) and self._bounded(text, index, i, i + len(k), k):
                    match = k
                    break
            if match is None and folded[i] in self.singles and self._bounded(text, index, i, i + 1, folded[i]):
                match = folded[i]
            if match is None:
                i += 1
                continue
            start, end = index[i], index[i + len(match) - 1] + 1
            start = _with_prefix(text, start)
            hits.append(Hit(self.by_key[match], start, end, text[start:end]))
            i += len(match)
        return hits

    @staticmethod
    def _bounded(text: str, index: list[int], i: int, j: int, k: str) -> bool:
        start, end = index[i], index[j - 1] + 1
        if is_ascii_word(k[0]) and start > 0 and is_ascii_word(text[start - 1]):
            return False
        return not (is_ascii_word(k[-1]) and end < len(text) and is_ascii_word(text[end]))


def _with_prefix(text: str, start: int) -> int:
    """Include a preceding "Amazon " / "AWS " in the surface string."""
    head = text[max(0, start - 7):start]
    for prefix in ("Amazon ", "AWS ", "amazon ", "aws "):
        if head.endswith(prefix):
            return start - len(prefix)
    return start
