"""Stable identifiers for entities: readable, unique, and safe as file names."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache

MAX_SLUG = 80
NON_WORD = re.compile(r"[^\w]+")
HYPHENS = re.compile(r"-{2,}")


@lru_cache(maxsize=1 << 16)
def slugify(name: str) -> str:
    """"Amazon SageMaker Model Monitor" -> "amazon-sagemaker-model-monitor"; 過学習 stays 過学習.

    Only letters, digits (any script) and single hyphens survive, so a slug can never
    contain a path separator, "..", or a character a URL must escape other than the
    non-ASCII letters themselves. A name with no letter or digit at all ("🚀", "→")
    gets ``x-`` plus a hash of the name, so different symbol names stay different. The
    function is idempotent: a slug is its own slug.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    # casefolding can leave text that NFKC changes again (e.g. "ǰ"); iterate to a fixed point
    while (again := unicodedata.normalize("NFKC", text).casefold()) != text:
        text = again
    text = NON_WORD.sub("-", text).replace("_", "-")
    text = HYPHENS.sub("-", text).strip("-")
    text = text[:MAX_SLUG].strip("-")
    if text:
        return text
    if not name.strip():
        return "x"
    return "x-" + hashlib.sha256(name.encode("utf-8")).hexdigest()[:8]
