"""One normalisation for every comparison of names.

NFKC folds full-width letters and the CJK compatibility forms the notes contain
("⼈" vs "人"), case is folded, and spaces and light punctuation are dropped, so
"Sagemaker Model  Monitor" and "SageMaker ModelMonitor" meet. A leading vendor word
(Amazon, AWS: see :mod:`graph.vendors`) is dropped from keys because people write both.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from graph.vendors import vendor_words

DROP = set(" \t\n\u3000-_・･‐‑–—/()（）[]「」『』:：.,、。'\"’`*")
_VENDORS = vendor_words()
PREFIX = re.compile(rf"^(?:{_VENDORS.alternation(tuple(v.casefold() for v in _VENDORS.vendors))})(?=[a-z0-9])")
VENDOR = re.compile(rf"^(?:{_VENDORS.alternation(_VENDORS.vendors)})\s", re.I)


@lru_cache(maxsize=4096)
def fold_char(c: str) -> str:
    if c in DROP:
        return ""
    n = unicodedata.normalize("NFKC", c).casefold()
    return "".join(ch for ch in n if ch not in DROP)


_FOLDED: dict[int, str] = {}
"""``str.translate`` table of :func:`fold_char`, grown with each new character."""


def fold(text: str) -> str:
    """:func:`fold_char` of every character, joined: the per-character work done in C
    (``str.translate``), with Python visiting each distinct character once."""
    table = _FOLDED
    for c in set(text):
        if ord(c) not in table:
            table[ord(c)] = fold_char(c)
    return text.translate(table)


def folded_map() -> dict[int, str]:
    """The table :func:`fold` has grown so far (every character it has seen)."""
    return _FOLDED


@lru_cache(maxsize=1 << 16)
def key(text: str) -> str:
    """The comparison key of a name (memoised: the resolver asks for the same names millions of times)."""
    folded = fold(text.strip())
    stripped = PREFIX.sub("", folded) if VENDOR.match(text.strip()) else folded
    return stripped


def folded_with_index(text: str) -> tuple[str, list[int]]:
    """The folded text and, for each folded char, the index of its original char."""
    out: list[str] = []
    index: list[int] = []
    for i, c in enumerate(text):
        f = fold_char(c)
        for ch in f:
            out.append(ch)
            index.append(i)
    return "".join(out), index


def is_ascii_word(c: str) -> bool:
    return c.isascii() and c.isalnum()


@lru_cache(maxsize=4096)
def _same_length(c: str) -> str:
    n = unicodedata.normalize("NFKC", c)
    return n if len(n) == 1 else c


class _Folded(dict[int, str]):
    """Code point -> its one-character NFKC form, filled as characters are met
    (``str.translate`` then folds a text at C speed)."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _same_length(chr(code))
        return folded


_FOLD = _Folded()


def fold_same_length(text: str) -> str:
    """NFKC char by char where that keeps one char, so offsets still point into the original.

    Cue words are matched on this ("⼗分" from a PDF copy reads as "十分") while quotes
    are cut from the text as the user wrote it.
    """
    if text.isascii():
        return text
    return text.translate(_FOLD)
