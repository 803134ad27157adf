"""kgsite's site generator: the graph to view models, Jinja pages, the map and the MkDocs plugin.

It imports :mod:`graph`; :mod:`graph` never imports it.
"""

from generator.pipeline import Built, build_site
from generator.site import GeneratedSite, SiteOptions, generate

__all__ = ["Built", "GeneratedSite", "SiteOptions", "build_site", "generate"]
