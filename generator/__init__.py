"""kgsite's site generator: the graph to view models, Jinja pages, the map and the MkDocs plugin.

It imports :mod:`graph`; :mod:`graph` never imports it. The names below are imported
when first used (see :mod:`graph`'s docstring for why).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from generator.pipeline import Built, build_site
    from generator.site import GeneratedSite, SiteOptions, generate

__all__ = ["Built", "GeneratedSite", "SiteOptions", "build_site", "generate"]

_FROM = {"Built": "generator.pipeline", "build_site": "generator.pipeline", "GeneratedSite": "generator.site",
         "SiteOptions": "generator.site", "generate": "generator.site"}


def __getattr__(name: str) -> Any:
    module = _FROM.get(name)
    if module is None:
        raise AttributeError(f"module 'generator' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
