"""The company words a product name may start with, and the families that mark a service.

People write "Amazon S3", "AWS Glue" and just as often "S3", "Glue": the vendor word is
part of the full name but not what tells two names apart. Which words are vendors is
domain knowledge, so it lives with the other cue words in ``vocab/cues.yml`` (``vendors``,
and ``service_families`` for names like "SageMaker …" that mark a service the notes coin
themselves); a vault about another cloud adds its vendor there, without code.

Read once per process: name keys (:mod:`graph.textkey`) are computed millions of times
and must not depend on which vocabulary a caller happens to hold.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from graph.cuefile import builtin_cues


@dataclass(frozen=True)
class VendorWords:
    vendors: tuple[str, ...]
    families: tuple[str, ...]

    def alternation(self, words: tuple[str, ...]) -> str:
        """``words`` as one regular-expression alternation, longest first; matches nothing
        when there are none."""
        return "|".join(re.escape(w) for w in sorted(set(words), key=lambda w: (-len(w), w))) or "(?!)"


@lru_cache(maxsize=1)
def vendor_words() -> VendorWords:
    data = builtin_cues()
    return VendorWords(tuple(str(v) for v in data.get("vendors") or []),
                       tuple(str(v) for v in data.get("service_families") or []))
