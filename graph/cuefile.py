"""The built-in cue file (``vocab/cues.yml``) on its own.

Name keys need the vendor words while :mod:`graph.vocabulary` is still being imported,
and the pages need the relation labels without the term files: both read the cue file
here, once per process. :func:`graph.vocabulary.load_vocabulary` gives the same data as
``Vocabulary.cues``.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when present (the pure-Python one spends about a second on the
built-in vocabulary files), for every YAML kgsite reads: the same data either way."""


@lru_cache(maxsize=1)
def builtin_cues() -> dict[str, Any]:
    text = (resources.files("graph") / "vocab" / "cues.yml").read_text(encoding="utf-8")
    data = yaml.load(text, Loader=YAML_LOADER)
    return data if isinstance(data, dict) else {}
