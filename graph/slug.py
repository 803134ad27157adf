"""Stable identifiers for entities: readable, unique, and safe as file names."""

from __future__ import annotations

import re
import unicodedata


def slugify(name: str) -> str:
    """"Amazon SageMaker Model Monitor" -> "amazon-sagemaker-model-monitor"; 過学習 stays 過学習.

    Only letters, digits (any script) and single hyphens survive, so a slug can never
    contain a path separator, "..", or a character a URL must escape other than the
    non-ASCII letters themselves.
    """
    text = unicodedata.normalize("NFKC", name).casefold()
    text = re.sub(r"[^\w]+", "-", text, flags=re.UNICODE).replace("_", "-")
    text = re.sub(r"-{2,}", "-", text).strip("-")
    return text[:80].strip("-") or "x"
