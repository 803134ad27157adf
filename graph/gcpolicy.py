"""Fewer garbage-collector passes while the graph is extracted.

Why: extraction makes millions of small objects that live until the graph is built
(markdown-it tokens, blocks, mentions, attribute dicts). CPython runs its youngest
collection every 700 allocations, and the passes that promote objects move the older
generations towards a walk over everything alive. At 1,000 notes, extraction took
4.4 s with the default and 3.9-4.1 s with the youngest generation collected every
100,000 allocations.

Only there: the same setting over the whole build (pages, MkDocs) measured no clear
gain at 1,000 notes and, at 10,000 notes, left garbage waiting long enough to take the
build from 963 MB to 1,268 MB. The setting is restored afterwards: the process may be
someone else's (``mkdocs serve``, a notebook).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

YOUNG = 100_000
"""Allocations between two collections of the youngest generation (CPython's default: 700)."""


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Raise the youngest generation's threshold to :data:`YOUNG` for the ``with`` block
    (never lowers it), then put back what was there."""
    before = gc.get_threshold()
    gc.set_threshold(max(YOUNG, before[0]), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


FREEZE_SHARE = 2.0
"""Freeze only where the memory budget holds this process three times over. Frozen objects
that become garbage in cycles wait for the end of the build: at 10,000 notes that kept the
largest process at 1,171 MB instead of 1,006 MB (while saving 13 of 110 s); a 1,000-note
build (about 200 MB) freezes."""


def may_freeze() -> bool:
    """Whether this process is small enough next to the memory budget to freeze (:data:`FREEZE_SHARE`)."""
    from graph.parallel import within_budget

    return within_budget(1, FREEZE_SHARE)


@contextmanager
def held() -> Iterator[None]:
    """No collector pass at all for the ``with`` block, and what is alive at its end frozen
    (``gc.freeze``: the caller unfreezes it once done with it) where :func:`may_freeze`.

    For extraction in a plain build, whose objects live to the end of the build: with
    :func:`fewer_collections` the collector still walked them 80 times (0.14 s at 1,000
    notes), and extraction leaves next to no cyclic garbage for a pass to find (14 objects
    at 1,000 notes; everything else is freed by reference counting as usual). ``kgsite build``
    also loads MkDocs under it: modules and the configuration live as long as the process."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if may_freeze():
            gc.freeze()
        if was:
            gc.enable()
