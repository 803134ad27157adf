"""The Jinja environment: our templates, overridable by the user's own folder.

``StrictUndefined`` makes a typo in a template an error instead of a silently empty
page. Templates produce Markdown, so every value from notes passes through ``md``
(HTML-escaped, Markdown punctuation backslashed) before it reaches a page.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
from functools import lru_cache

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, PackageLoader, StrictUndefined
from jinja2.bccache import Bucket, BytecodeCache, FileSystemBytecodeCache
from markupsafe import Markup, escape

from graph.machinecache import folder as machine_folder

MD_SPECIAL = re.compile(r"([\\`*_\[\]{}<>#|!~])")
#: An element that would make the browser fetch from another site as soon as the page loads.
REMOTE_EMBED = re.compile(
    r"<(img|iframe|embed|video|audio|source)\b[^>]*?\bsrc\s*=\s*([\"'])((?:https?:)?//[^\"']+)\2[^>]*>", re.I)
ALT = re.compile(r"\balt\s*=\s*([\"'])([^\"']*)\1", re.I)
TEMPLATE_CACHE_ENV = "KGSITE_TEMPLATE_CACHE"


def md(value: object) -> Markup:
    """Text from a note, safe to put in Markdown: it renders as the same text, never as markup."""
    text = str(value).replace("\n", " ")
    text = MD_SPECIAL.sub(r"\\\1", text)
    return Markup(str(escape(text)).replace("\\&lt;", "&lt;").replace("\\&gt;", "&gt;"))


def json_for_html(value: object) -> str:
    """JSON that is safe inside a ``<script>`` element, inline or not: no ``<``, ``>`` or
    ``&`` survives literally, so note text can never close the element or open a tag."""
    text = json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


def yaml_str(value: object) -> Markup:
    """A front-matter string. HTML-escaped too: MkDocs themes print ``page.title`` unescaped
    (in ``<title>``, the header and the navigation)."""
    return Markup(json.dumps(html.escape(str(value), quote=False), ensure_ascii=False))


@lru_cache(maxsize=8)
def environment(user_templates: str = "") -> Environment:
    loaders = [FileSystemLoader(user_templates)] if user_templates else []
    env = Environment(loader=ChoiceLoader([*loaders, PackageLoader("generator", "templates")]),
                      undefined=StrictUndefined, autoescape=True, trim_blocks=True, lstrip_blocks=True,
                      keep_trailing_newline=True, bytecode_cache=template_cache())
    env.filters["md"] = md
    env.filters["yaml"] = yaml_str
    return env


def template_cache() -> BytecodeCache | None:
    """Compiled templates kept between runs, the way Python keeps ``.pyc`` files: in
    ``$XDG_CACHE_HOME/kgsite/templates`` (``~/.cache/...``), or the folder
    ``KGSITE_TEMPLATE_CACHE`` names (``off``: none); see :mod:`graph.machinecache`.

    Why: every build compiled Material's templates (0.16 s) and ours (0.06 s) again, on
    the core the build waits on. Jinja checks each entry against the template's source
    and its own version, and replaces a file atomically, so a theme update, another
    kgsite or two builds at once never read a stale or half-written entry; a cache that
    cannot be written only means compiling, as before."""
    folder = machine_folder("templates", TEMPLATE_CACHE_ENV)
    if folder is None:
        return None
    return FileSystemBytecodeCache(str(folder))


class MemoryBytecode(BytecodeCache):
    """Compiled templates kept for the life of the process, keyed by name and checked
    against the source: MkDocs makes a new theme environment on every rebuild while
    serving, and compiling Material's templates again took about half a second each
    time. A changed template (a theme override) fails the source check and is compiled.
    ``disk``: where entries not yet in memory are looked for, and new ones kept too
    (:func:`template_cache`)."""

    def __init__(self, disk: BytecodeCache | None = None) -> None:
        self.store: dict[str, bytes] = {}
        self.disk = disk

    def load_bytecode(self, bucket: Bucket) -> None:
        data = self.store.get(bucket.key)
        if data is not None:
            bucket.bytecode_from_string(data)
        elif self.disk is not None:
            with contextlib.suppress(OSError):
                self.disk.load_bytecode(bucket)

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()
        if self.disk is not None:
            with contextlib.suppress(OSError):
                self.disk.dump_bytecode(bucket)


def offline_html(page_html: str) -> str:
    """Remote images and embeds in notes become plain links: the site never makes a
    request outside itself (a reader can still open them), and works offline."""

    def repl(m: re.Match[str]) -> str:
        url = m.group(3)
        alt = ALT.search(m.group(0))
        label = alt.group(2) if alt and alt.group(2) else url.split("//", 1)[-1].split("/", 1)[0]
        icon = "🖼" if m.group(1).lower() == "img" else "▶"
        # the URL was an attribute value without quotes in it, so it stays one as is
        return (f'<a class="kg-external" href="{url}" rel="noopener noreferrer">{icon} '
                f"{escape(html.unescape(label))}</a>")

    return REMOTE_EMBED.sub(repl, page_html)


SCRIPT = re.compile(r"<script\b(?![^>]*type=[\"']application/json)[^>]*>.*?</script\s*>", re.I | re.S)
ACTIVE_TAG = re.compile(r"</?(?:script|iframe|object|embed|frame|frameset|base|meta)\b[^>]*>", re.I)
HANDLER = re.compile(r"""\s+on[a-z]+\s*=\s*(?:"[^"]*"|'[^']*'|[^\s>]+)""", re.I)
JS_URL = re.compile(r"""(\s(?:href|src|action|formaction|xlink:href)\s*=\s*["']?)\s*javascript:""", re.I)


# What every match of HANDLER, and of JS_URL, contains. Case-insensitive matching gives
# "o", "n", "p" and "t" no other variant than their capitals (unlike "s" or "k"), so these
# case-sensitive searches miss no page the patterns would change; they skip, cheaply, the
# scans of every page that cannot match (a tenth of a second at 1,000 notes, on one core).
MAY_HANDLE = re.compile(r"\s[oO][nN]")
MAY_JS_URL = re.compile(r"[pP][tT]:")


def defuse_html(page_html: str) -> str:
    """A note's own HTML stays (``<details>``, ``<br>``, ``<kbd>``), but nothing in it runs:
    scripts, frames, event handlers and ``javascript:`` links are dropped. A note copied
    from the web must not be able to act in the reader's browser.

    Repeated until nothing changes: a removal can join the pieces around it into a new tag
    (``<scr<iframe>ipt>`` is ``<script>`` once the frame is gone)."""
    while True:
        once = _defuse_once(page_html)
        if once == page_html:
            return once
        page_html = once


def _defuse_once(page_html: str) -> str:
    page_html = SCRIPT.sub("", page_html)
    page_html = ACTIVE_TAG.sub("", page_html)
    if MAY_HANDLE.search(page_html):
        page_html = HANDLER.sub("", page_html)
    return JS_URL.sub(r"\1#", page_html) if MAY_JS_URL.search(page_html) else page_html


def finished_html(page_html: str, note: bool) -> str:
    """A page's HTML as published: nothing loaded from elsewhere (:func:`offline_html`) and,
    on a note's page, nothing of the note's own HTML that runs (:func:`defuse_html`)."""
    out = offline_html(page_html)
    return defuse_html(out) if note else out
