"""Our pages' search sections found by a forked child while MkDocs reads and builds pages.

Why: Material's search plugin reads every page as MkDocs builds it, on the one core its
loop runs on. We find the sections of our pages ahead (:func:`generator.indexing.index_sections`,
checked against the page's HTML when it is indexed). Doing that while drawing the pages
took 0.7 s of CPU from the stage that keeps both cores busy, whereas while MkDocs reads
and wraps pages (about 1.5 s at 1,000 notes) the second core has nothing to do.

How: as the navigation is final (``on_nav``, before the first page is read), a child is
forked with every page drawn this build. It takes the pages in the order MkDocs will
index them, one at a time from a shared counter, and sends back each page's sections.
When the search plugin indexes a page, this process takes the child's result; if the
child has not reached the page yet, it claims the page (the child skips it) and the
sections are found here, as without the child. A child that fails only means the pages
it did not send are read here. The sections are the same whichever process found them.
"""

from __future__ import annotations

import contextlib
import gc
import multiprocessing
import os
from collections.abc import Callable, Sequence
from typing import Any

from generator.indexing import Indexed, index_sections
from graph.parallel import THRESHOLD, can_fork, cpu_count, within_budget

INDEXER_SHARE = 0.5
"""What forking the child costs, as a share of this process. The child's own data is small
(one page at a time, its collector off), but both processes go on allocating, and a new
object lands in a free slot of a shared page, which copies the page. Measured at 10,000
notes: forked beside an 836 MB build, the two held 1,124 MB three seconds later and
1,175 MB at the end (with 0.1 budgeted, the build went over 1 GB). Without the child that
build peaks at 887-939 MB and takes about 4 s longer (95 and 102 s against 89 and 101 s,
cold). A 1,000-note build (about 130 MB at that point) forks either way."""


class Indexer:
    """One build's search sections of our pages, found ahead by a forked child."""

    def __init__(self, order: Sequence[str], html: Callable[[str], str | None]) -> None:
        self.position = {uri: k for k, uri in enumerate(order)}
        self.pid = os.getpid()
        self.results: dict[int, Indexed | None] = {}
        self.done = False  # the child sent its last result (or failed)
        ctx = multiprocessing.get_context("fork")
        self.next = ctx.Value("q", 0)
        self.conn, sender = ctx.Pipe(duplex=False)
        self.child = ctx.Process(target=_find_sections, args=(list(order), html, self.next, sender, self.conn),
                                 daemon=True)
        self.child.start()
        sender.close()

    @staticmethod
    def start(order: Sequence[str], html: Callable[[str], str | None]) -> Indexer | None:
        """A child finding the sections of the pages ``order`` names (in the order they will
        be indexed; ``html`` gives a page's HTML as drawn), or None where that would not pay
        (few pages, one core, other threads alive, no room in the memory budget)."""
        if len(order) <= THRESHOLD or cpu_count() < 2 or not can_fork() or not within_budget(1, INDEXER_SHARE):
            return None
        return Indexer(order, html)

    def __contains__(self, uri: str) -> bool:
        return uri in self.position

    def take(self, uri: str) -> Indexed | None:
        """``uri``'s sections, or None when they are to be found here (the child had not
        reached the page, or failed)."""
        if os.getpid() != self.pid:
            return None  # (a forked page worker: the child's results are this process's to take)
        k = self.position.pop(uri, None)
        if k is None:
            return None
        if k not in self.results and not self.done:
            with self.next.get_lock():
                if self.next.value <= k:  # not reached: this process reads the page, the child skips it
                    self.next.value = k + 1
                    return None
            while k not in self.results and not self.done:
                self._receive()
        return self.results.pop(k, None)

    def _receive(self) -> None:
        try:
            got = self.conn.recv()
        except (EOFError, OSError):
            got = None
        if got is None:
            self.done = True
            return
        k, indexed = got
        self.results[k] = indexed

    def close(self) -> None:
        """Stop the child if it still runs (a page it was finding that nobody will ask for)."""
        if self.child.is_alive():
            self.child.kill()
        self.child.join()
        self.conn.close()


def _find_sections(order: list[str], html: Callable[[str], str | None], counter: Any, conn: Any,
                   receiver: Any) -> None:
    gc.disable()  # a collection would walk the parent's heap and copy every page of it
    receiver.close()
    with contextlib.suppress(OSError):
        while True:
            with counter.get_lock():
                k = counter.value
                if k >= len(order):
                    break
                counter.value = k + 1
            text = html(order[k])
            conn.send((k, index_sections(text, held=False) if text is not None else None))
        conn.send(None)
    os._exit(0)
