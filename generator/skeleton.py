"""The theme rendered once per kind of page, and each page of that kind filled in.

Why: MkDocs wraps every page in the theme's template, and with Material that is about
2 ms of Jinja a page (the header, the navigation, the palette, the scripts), repeated
for 1,466 pages at 1,000 notes: the largest stage of a first build after our own. Yet
two note pages in one folder differ only in a few places: the title, the HTML, the
table of contents, the tags, the skip link, the canonical and edit addresses. Every
other byte (the navigation's relative links included) is the same.

How:

* a page is rendered in full the first time its *shape* is met: its template, its
  folder (relative links), which of those parts it has (a table of contents, an ``<h1>``
  of its own, a title, tags...) and any other front matter, by value;
* at the second page of a shape, the template is rendered for a stand-in page whose
  parts are markers (:data:`SLOT`), with the table of contents and tags partials
  printing a marker instead of rendering. It is used only if all of this holds, else
  the shape is rendered in full from then on:

  - filling it with each of the two pages' own parts gives exactly their full renders
    (a template printing anything else of a page, its address say, fails here);
  - a second render with other markers (:data:`SPICY`: tags, an entity, two spaces)
    differs only by the markers (a part printed through a filter, escaped or stripped
    or quoted, fails here);
  - the template called no string method on a part (it computed with it);
* what the template asked of a part (``"<h1" in page.content``, whether the title is
  empty, its length, an equality) was answered from the real part and recorded: every
  further page of the shape that gives the same answers is the skeleton filled in (its
  own table of contents and tags rendered by the theme's own partials, its HTML and
  title put in place); one that does not is rendered in full.

Every plugin's ``on_page_context`` and ``on_post_page`` hook still runs for every page,
and MkDocs writes it as usual. Only pages of ours outside the navigation take part (a
page in the navigation marks itself active in it). ``fast_theme: false`` in the
plugin's configuration renders every page in full.
"""

from __future__ import annotations

import contextlib
import posixpath
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from typing import Any, cast

import jinja2
from markupsafe import Markup
from mkdocs.utils import normalize_url

from generator.forkpages import installed

TEMPLATE = "kgsite-skeleton-page.html"
"""What a page taking part renders: the skeleton filled in, or its own template in full."""
SLOT = "KGSITESLOT7Q3{}9Z"
SLOTS = re.compile(SLOT.format("([a-z]+)"))
PARTIALS = {"toc": "partials/toc.html", "tags": "partials/tags.html"}
"""Partials that print per-page data; in a skeleton they print a marker instead."""
THEME = "kgsite-theme"
"""Prefix reaching the theme's own templates past our overrides."""
MARKED = "kgsite_slots"
PAGE_PARTS: dict[str, Callable[[Any], str]] = {
    "title": lambda page: str(page.title or ""),
    "content": lambda page: page.content or "",
    "metatitle": lambda page: str(page.meta.get("title", "")),
    "canonical": lambda page: page.canonical_url or "",
    "edit": lambda page: page.edit_url or "",
}
SLOT_NAMES = (*PAGE_PARTS, *PARTIALS, "skip", "skiptitle")
PENDING_MAX = 256
"""Kinds of page seen once, waiting for a second page to check a skeleton against (each
holds a page's HTML: bounded for a vault of 10,000 notes where many kinds have one page)."""


SPICY = "KGSITESPICY{}<i>&amp;  \u3042Z"
"""A second marker for the parts a theme may print through a filter (escaping, stripping
tags, a URL's quoting, a change of case): a skeleton whose two renders differ by more than
the markers prints such a part through one, and is not used."""
SPICED = ("title", "metatitle", "content")

Probe = tuple[str, str, object, object]
"""(part, question, its argument, the answer the skeleton was rendered with)"""


def _sources() -> dict[str, str]:
    out = {TEMPLATE: "{{ kgsite_skeleton() }}"}
    for name, partial in PARTIALS.items():
        own = f"{THEME}/{partial}"
        out[partial] = (f"{{% if {MARKED} is defined %}}{SLOT.format(name)}"
                        f"{{% else %}}{{% include '{own}' %}}{{% endif %}}")
    return out


def install(env: jinja2.Environment) -> None:
    """Our templates in front of the theme's, which stay reachable under :data:`THEME`."""
    if installed(env, TEMPLATE):
        return
    theme = env.loader or jinja2.DictLoader({})
    env.loader = jinja2.ChoiceLoader([jinja2.DictLoader(_sources()),
                                      jinja2.PrefixLoader({THEME: theme}), theme])


class _Text(str):
    """A marker standing for a page's part in a skeleton's render. What the template asks
    of it (``"<h1" in page.content``, whether the title is empty, its length, equality) is
    answered from the real part and recorded: a page is filled into the skeleton only if
    its own part gives the same answers. Anything else (a string method: the template
    computes with the part) marks the render unusable."""

    def __new__(cls, marker: str, part: str, real: str, probes: list[Probe]) -> _Text:
        self = super().__new__(cls, marker)
        self.__dict__.update(part=part, real=real, probes=probes)
        return self

    def _ask(self, question: str, argument: object, answer: object) -> object:
        object.__getattribute__(self, "probes").append(
            (object.__getattribute__(self, "part"), question, argument, answer))
        return answer

    def __getattribute__(self, name: str) -> Any:
        if not name.startswith("_"):
            object.__getattribute__(self, "probes").append(("", "method", name, None))
        return super().__getattribute__(name)

    def __contains__(self, other: object) -> bool:
        real = object.__getattribute__(self, "real")
        return bool(self._ask("in", other, isinstance(other, str) and other in real))

    def __bool__(self) -> bool:
        return bool(self._ask("bool", None, bool(object.__getattribute__(self, "real"))))

    def __len__(self) -> int:
        return int(cast(int, self._ask("len", None, len(object.__getattribute__(self, "real")))))

    def __eq__(self, other: object) -> bool:
        return bool(self._ask("eq", other, object.__getattribute__(self, "real") == other))

    def __ne__(self, other: object) -> bool:
        return not self.__eq__(other)

    __hash__ = str.__hash__


def _answer(page: Any, probe: Probe) -> object:
    part, question, argument, _ = probe
    real = PAGE_PARTS[part](page)
    if question == "in":
        return isinstance(argument, str) and argument in real
    if question == "len":
        return len(real)
    if question == "bool":
        return bool(real)
    return real == argument


class _Anchor:
    """The first table-of-contents entry, as the skip link reads it."""

    def __init__(self, level: int) -> None:
        self.url = "#" + SLOT.format("skip")
        self.id = SLOT.format("skip")
        self.title = SLOT.format("skiptitle")
        self.level = level
        self.children: list[Any] = []


class _StandIn:
    """A page whose own parts are markers; everything else is the real page's."""

    def __init__(self, page: Any, marker: str, probes: list[Probe]) -> None:
        self._page = page

        def text(part: str) -> _Text:
            return _Text((marker if part in SPICED else SLOT).format(part), part, PAGE_PARTS[part](page), probes)

        self.title = text("title")
        self.content = text("content")
        first = next(iter(page.toc), None)
        self.toc = [_Anchor(first.level)] if first is not None else []
        self.meta = dict(page.meta)
        if "title" in self.meta:
            self.meta["title"] = text("metatitle")
        if page.canonical_url is not None:
            self.canonical_url = SLOT.format("canonical")
        if page.edit_url is not None:
            self.edit_url = SLOT.format("edit")

    def __getattr__(self, name: str) -> Any:
        return getattr(self._page, name)


def shape(page: Any, own: str) -> tuple[Any, ...]:
    """What a page shares with every page its skeleton serves."""
    extra = []
    for key, value in sorted(page.meta.items()):
        if key in ("title", "tags", "template"):
            continue
        extra.append((key, repr(value)))
    content = page.content or ""
    return (own, posixpath.dirname(page.url.rstrip("/")), page.url.endswith("/"), bool(page.toc),
            "\u003ch1" in content, bool(page.title), "title" in page.meta, "tags" in page.meta,
            page.canonical_url is None, page.edit_url is None, tuple(extra))


class Skeletons:
    """One build's skeletons."""

    def __init__(self, env: jinja2.Environment, own: dict[str, str]) -> None:
        self.env = env
        self.own = own  # page -> its own template, for the pages taking part
        self.first: dict[tuple[Any, ...], tuple[dict[str, str], str]] = {}  # shape -> first page's parts, HTML
        # shape -> skeleton and what its render asked of the parts (None: renders in full)
        self.made: dict[tuple[Any, ...], tuple[list[str], list[Probe]] | None] = {}
        self.filled = 0
        self.lang: Any = None  # the theme's translations, as base.html imports them
        self.full = 0

    @staticmethod
    def start(pages: Sequence[Any], env: jinja2.Environment) -> Skeletons | None:
        """Switch ``pages`` (ours, read, not yet written) that share a folder and template
        with another to :data:`TEMPLATE`; None when no two do."""
        def coarse(page: Any) -> tuple[str, str]:
            return page.meta.get("template", "main.html"), posixpath.dirname(page.url.rstrip("/"))

        candidates = [p for p in pages if _outside_nav(p)]
        counts = Counter(coarse(p) for p in candidates)
        taking = [p for p in candidates if counts[coarse(p)] > 1]
        if not taking:
            return None
        install(env)
        own: dict[str, str] = {}
        for page in taking:
            own[page.file.src_uri] = page.meta.get("template", "main.html")
            page.meta["template"] = TEMPLATE
        return Skeletons(env, own)

    @property
    def taken(self) -> set[str]:
        return set(self.own)

    def context(self, context: Any, page: Any) -> Any:
        """``context`` with the function :data:`TEMPLATE` prints (called at render time,
        after every plugin's ``on_page_context``)."""
        own = self.own.pop(page.file.src_uri, None)
        if own is None:
            return context
        page.meta["template"] = own

        @jinja2.pass_context
        def render(ctx: jinja2.runtime.Context) -> Markup:
            return Markup(self.render(ctx.get_all(), page, own))

        context["kgsite_skeleton"] = render
        return context

    def render(self, variables: dict[str, Any], page: Any, own: str) -> str:
        key = shape(page, own)
        made = self.made.get(key)
        if made is not None and all(_answer(page, probe) == probe[3] for probe in made[1]):
            self.filled += 1
            return _join(made[0], self._parts(variables, page, made[0][1::2]))
        html = self._full(variables, own)
        if key in self.made:
            return html
        parts = self._parts(variables, page, SLOT_NAMES)
        first = self.first.pop(key, None)
        if first is None:
            if len(self.first) >= PENDING_MAX:  # the oldest kind waits for a new first page
                self.first.pop(next(iter(self.first)))
            self.first[key] = (parts, html)
            return html
        self.made[key] = self._skeleton(variables, page, own, (first, (parts, html)))
        return html

    def _skeleton(self, variables: dict[str, Any], page: Any, own: str,
                  pages: tuple[tuple[dict[str, str], str], ...]) -> tuple[list[str], list[Probe]] | None:
        """The template rendered for stand-ins of ``page``, if filling it in gives each of
        ``pages`` (their parts, their full render) exactly."""
        template = self.env.get_template(own)
        probes: list[Probe] = []
        spicy_probes: list[Probe] = []
        plain = template.render({**variables, "page": _StandIn(page, SLOT, probes), MARKED: True})
        spicy = template.render({**variables, "page": _StandIn(page, SPICY, spicy_probes), MARKED: True})
        for part in SPICED:
            spicy = spicy.replace(SPICY.format(part), SLOT.format(part))
        if spicy != plain or any(question == "method" for _, question, _, _ in probes + spicy_probes):
            return None
        skeleton = SLOTS.split(plain)
        if any(_join(skeleton, parts) != html for parts, html in pages):
            return None
        return skeleton, probes

    def _full(self, variables: dict[str, Any], own: str) -> str:
        self.full += 1
        return self.env.get_template(own).render(variables)

    def _parts(self, variables: dict[str, Any], page: Any, names: Iterable[str]) -> dict[str, str]:
        """``page``'s own value of each slot in ``names`` (a partial the theme does not
        have is left out: its marker then stays, and no skeleton holding it fits)."""
        parts: dict[str, str] = {}
        first = next(iter(page.toc), None)
        for name in names:
            if name in PARTIALS:
                with contextlib.suppress(jinja2.TemplateNotFound):
                    partial = self.env.get_template(f"{THEME}/{PARTIALS[name]}")
                    if self.lang is None:
                        self.lang = self.env.get_template("partials/language.html").make_module(variables)
                    parts[name] = partial.render({**variables, "lang": self.lang})
            elif name == "skip" and first is not None:
                parts[name] = normalize_url(first.url, page=page, base=variables.get("base_url", ""))[1:]
            elif name == "skiptitle" and first is not None:
                parts[name] = str(first.title)
            elif name in PAGE_PARTS:
                parts[name] = PAGE_PARTS[name](page)
        return parts


def _join(skeleton: list[str], parts: dict[str, str]) -> str:
    """``re.split`` pieces: text at even positions, slot names at odd ones."""
    out = list(skeleton)
    for i in range(1, len(out), 2):
        out[i] = parts.get(out[i], SLOT.format(out[i]))
    return "".join(out)


def _outside_nav(page: Any) -> bool:
    return (page.parent is None and page.previous_page is None and page.next_page is None
            and not page.is_homepage)
