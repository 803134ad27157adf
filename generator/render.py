"""The Jinja environment: our templates, overridable by the user's own folder.

``StrictUndefined`` makes a typo in a template an error instead of a silently empty
page. Templates produce Markdown, so every value from notes passes through ``md``
(HTML-escaped, Markdown punctuation backslashed) before it reaches a page.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|!~])")


def md(value: object) -> Markup:
    """Text from a note, safe to put in Markdown: it renders as the same text, never as markup."""
    text = str(value).replace("\n", " ")
    text = MD_SPECIAL.sub(r"\\\1", text)
    return Markup(str(escape(text)).replace("\\&lt;", "&lt;").replace("\\&gt;", "&gt;"))


def yaml_str(value: object) -> Markup:
    return Markup(json.dumps(str(value), ensure_ascii=False))


@lru_cache(maxsize=8)
def environment(user_templates: str = "") -> Environment:
    loaders = [FileSystemLoader(user_templates)] if user_templates else []
    env = Environment(loader=ChoiceLoader([*loaders, PackageLoader("generator", "templates")]),
                      undefined=StrictUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True)
    env.filters["md"] = md
    env.filters["yaml"] = yaml_str
    return env
