"""The theme's page template on both cores: a forked worker renders some of our pages.

Why: MkDocs wraps every page in the theme one after the other, and with Material that is
about 5 ms a page. We publish a page per entity on top of a page per note, so at 1,000
notes this one serial loop was 7 s of a 23 s build while the second core sat idle.

How, without changing what MkDocs writes:

* in ``on_env`` (every page read, nothing written yet) a child is forked. It renders our
  pages from the end of the list towards the front, exactly as MkDocs would: the page's
  template context, every plugin's ``on_page_context``, then the template. It sends
  back only the HTML; whatever its hooks changed dies with it;
* MkDocs' own loop in this process goes on from the front. The two meet in the middle
  through a shared pair of counters, so neither waits for a share fixed in advance
  (this machine's speed varies by a third from minute to minute);
* a page the child took is still built here by MkDocs, with every hook run in order
  (the search index, the tags), but with a template that prints the child's HTML
  instead of rendering the theme again. ``on_post_page`` hooks and the write happen here
  once, as for any page;
* if the child fails, that template renders the page's own template as usual.

Only for a plain build: ``serve`` rebuilds a few pages in a process with threads.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import multiprocessing
import os
import pickle
import tempfile
import zlib
from collections.abc import Sequence
from typing import Any

import jinja2

from graph.parallel import THRESHOLD, can_fork, cpu_count, within_budget

TEMPLATE = "kgsite-forked-page.html"
"""Prints the child's HTML; falls back to the page's own template when there is none."""
SOURCE = ("{%- if kgsite_forked is not none -%}{{ kgsite_forked | safe }}"
          "{%- else -%}{% include kgsite_template %}{%- endif -%}")
CHILD_SHARE = 1.0
"""The child is budgeted a whole copy of this process. Measured at 10,000 notes with the
usual half: it forked beside a 634 MB build and took the peak to 1,007 MB PSS, too close
to the 1 GB budget; a 1,000-note build (about 200 MB here) forks either way."""


def printed(context: Any, page: Any, own: str, html: str | None) -> Any:
    """``context`` for :data:`TEMPLATE` to print ``html`` as ``page``'s output, or, when
    ``html`` is None, to render the page's own template ``own`` (put back in its meta)."""
    page.meta["template"] = own
    context["kgsite_template"] = own
    context["kgsite_forked"] = html
    return context


def installed(env: jinja2.Environment, name: str) -> bool:
    """Whether templates of ours holding ``name`` are already in front of the theme's."""
    loader = env.loader
    return isinstance(loader, jinja2.ChoiceLoader) and any(
        isinstance(one, jinja2.DictLoader) and name in one.mapping for one in loader.loaders)


def install_template(env: jinja2.Environment) -> None:
    """Make :data:`TEMPLATE` available to the theme's environment (once)."""
    loader = env.loader
    if installed(env, TEMPLATE):
        return
    env.loader = jinja2.ChoiceLoader([jinja2.DictLoader({TEMPLATE: SOURCE}), loader or jinja2.DictLoader({})])


class ForkedPages:
    """One build's split of our pages between this process and a forked child."""

    def __init__(self, order: Sequence[Any], pages: Sequence[Any], doc_files: Sequence[Any], nav: Any,
                 env: jinja2.Environment, config: Any) -> None:
        self.pages = list(pages)  # ours, in the order MkDocs builds them
        self.position = {p.file.src_uri: k for k, p in enumerate(self.pages)}
        self.after = {a.file.src_uri: b for a, b in itertools.pairwise(order)}  # page -> the next one built
        self.templates: dict[str, str] = {}  # page -> its own template, for the pages the child took
        self.handed_over = False  # this process reached the child's pages: no more claims
        self.html: dict[str, bytes] | None = None
        ctx = multiprocessing.get_context("fork")
        # pages [0, front) are this process's, [back, n) the child's
        self.bounds = ctx.Array("q", [0, len(self.pages)])
        fd, self.spool = tempfile.mkstemp(prefix="kgsite-pages-", suffix=".bin")
        os.close(fd)
        self.child = ctx.Process(target=self._render_from_back, args=(doc_files, nav, env, config), daemon=True)
        self.child.start()
        install_template(env)
        if order:
            self.claim(order[0])

    @staticmethod
    def start(doc_files: Sequence[Any], ours: set[str], nav: Any, env: jinja2.Environment,
              config: Any) -> ForkedPages | None:
        """A child rendering ``ours`` (page paths) from the back of the list MkDocs is about
        to build (``doc_files``), or None where that would not pay (few pages, one core,
        other threads alive, or no room in the memory budget)."""
        order = [f.page for f in doc_files if f.page is not None]
        pages = [p for p in order if p.file.src_uri in ours]
        if len(pages) <= THRESHOLD or cpu_count() < 2 or not can_fork() or not within_budget(1, CHILD_SHARE):
            return None
        return ForkedPages(order, pages, doc_files, nav, env, config)

    # ------------------------------------------------------------------ child

    def _render_from_back(self, doc_files: Sequence[Any], nav: Any, env: jinja2.Environment, config: Any) -> None:
        from mkdocs.commands.build import get_context

        # this process's hooks run again for each page when it is built for real: their
        # messages would be said twice
        logging.disable(logging.CRITICAL)
        with open(self.spool, "wb") as out:
            while True:
                with self.bounds.get_lock():
                    k = self.bounds[1] - 1
                    if k < self.bounds[0]:
                        break
                    self.bounds[1] = k
                page = self.pages[k]
                config._current_page = page
                page.active = True
                context = get_context(nav, doc_files, config, page)
                template = env.get_template(page.meta.get("template", "main.html"))
                context = config.plugins.on_page_context(context, page=page, config=config, nav=nav)
                html = template.render(context)
                page.active = False
                pickle.dump((page.file.src_uri, zlib.compress(html.encode("utf-8"), 1)), out, protocol=5)
        os._exit(0)  # nothing of MkDocs' to clean up here: the build is the parent's

    # ------------------------------------------------------------------ this process

    def written(self, page: Any) -> None:
        """MkDocs is done with ``page``: claim the one it builds next."""
        after = self.after.get(page.file.src_uri)
        if after is not None:
            self.claim(after)

    def claim(self, page: Any) -> None:
        """Called just before MkDocs builds ``page``: ours from here on if the child has not
        reached it; otherwise every page left is the child's."""
        k = self.position.get(page.file.src_uri)
        if k is None or self.handed_over:
            return
        with self.bounds.get_lock():
            if k < self.bounds[1]:
                self.bounds[0] = k + 1
                return
        self.handed_over = True
        for p in self.pages[k:]:
            self.templates[p.file.src_uri] = p.meta.get("template", "main.html")
            p.meta["template"] = TEMPLATE

    def context(self, context: Any, page: Any) -> Any:
        """The child's HTML for ``page`` (waiting for the child the first time), for the
        template that prints it."""
        own = self.templates.pop(page.file.src_uri, None)
        if own is None:
            return context
        html = self._load().pop(page.file.src_uri, None)
        return printed(context, page, own, zlib.decompress(html).decode("utf-8") if html is not None else None)

    def _load(self) -> dict[str, bytes]:
        if self.html is None:
            self.child.join()
            self.html = {}
            # a child that failed midway still sent the pages it finished; the others are
            # rendered here by their own template
            with contextlib.suppress(OSError, EOFError, pickle.UnpicklingError), open(self.spool, "rb") as fh:
                while True:
                    uri, packed = pickle.load(fh)
                    self.html[uri] = packed
            self.close()
        return self.html

    def close(self) -> None:
        """Stop the child if it still runs (a build that failed midway) and drop its spool."""
        if self.child.is_alive():
            self.child.kill()
            self.child.join()
        with contextlib.suppress(OSError):
            os.unlink(self.spool)
