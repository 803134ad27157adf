"""Per-note work on every core for large vaults, results in input order.

Parsing a note (front matter, markdown-it tokens, blocks) depends on that note alone,
so it can run in worker processes: on a 2-core machine this roughly halves the parse
stage of a 1,000-note vault. Below ``threshold`` notes a pool costs more than it saves
(starting workers and pickling documents back), so small vaults and one-note rebuilds
while serving stay in-process. The output never depends on the number of workers:
results come back in input order and each call is a pure function of its note.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Generic, TypeVar, cast

T = TypeVar("T")
R = TypeVar("R")

THRESHOLD = 200
"""Below this many items the work stays in this process."""


def cpu_count() -> int:
    """Cores this process may use (the affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def iter_in_order(func: Callable[[T], R], items: Sequence[T], threshold: int = THRESHOLD,
                  workers: int | None = None) -> Iterator[R]:
    """``func(x) for x in items``, in a process pool when ``items`` is longer than ``threshold``.

    The work is handed to the pool at once, and the caller can use each result (in input
    order) while the pool computes the next; the pool is shut down when the iterator is
    exhausted or dropped. ``func`` must be a module-level function (it is pickled by name)
    and pure: the results are the same whichever process computed each. Falls back to a
    plain loop on one core, for short inputs, or when ``workers`` is 1.
    """
    n_workers = min(workers or cpu_count(), len(items))
    if len(items) <= threshold or n_workers <= 1:
        return (func(x) for x in items)
    # fork is cheapest (workers inherit the imported modules) but unsafe once other
    # threads exist (mkdocs serve's watcher); then start clean interpreters instead
    method = "fork" if can_fork() else "spawn"
    chunk = max(1, len(items) // (n_workers * 8))
    pool = ProcessPoolExecutor(max_workers=n_workers, mp_context=multiprocessing.get_context(method))
    try:
        results = pool.map(func, items, chunksize=chunk)
    except BaseException:
        pool.shutdown(wait=True, cancel_futures=True)
        raise

    def arriving() -> Iterator[R]:
        try:
            yield from results
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
    return arriving()


def can_fork() -> bool:
    """Forking is safe only while this process has one thread (``mkdocs serve`` adds a
    file watcher; a lock held by it at fork time would never be released in the child)."""
    return threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods()


BUDGET_ENV = "KGSITE_MEMORY_BUDGET_MB"
DEFAULT_BUDGET_MB = 1024.0
CHILD_SHARE = 0.5
"""What a forked child ends up holding of its own, as a share of this process's memory:
measured at 10,000 notes, drawing pages, 462 MB private against 916 MB for the parent
(reading an object writes its reference count, which copies the page it is on)."""


def rss_mb() -> float:
    """This process's resident memory now (Linux; 0 where /proc is missing)."""
    try:
        with open("/proc/self/statm", "rb") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return 0.0


def within_budget(children: int, share: float = CHILD_SHARE) -> bool:
    """Whether ``children`` forked copies fit the memory budget (``KGSITE_MEMORY_BUDGET_MB``,
    1 GB unless set) beside this process. A 1,000-note build forks with room to spare; at
    10,000 notes the graph alone takes most of a gigabyte, and the build stays on one core:
    slower (still well inside ten minutes), but within the budget. ``share``: what one
    child is expected to hold of its own, as a share of this process's memory."""
    try:
        budget = float(os.environ.get(BUDGET_ENV) or DEFAULT_BUDGET_MB)
    except ValueError:
        budget = DEFAULT_BUDGET_MB
    return rss_mb() * (1 + share * children) <= budget


def forks(n: int, threshold: int = THRESHOLD, workers: int | None = None, share: float = CHILD_SHARE) -> bool:
    """Whether :func:`shared_map` of ``n`` items shares them with forked children (else
    it is a plain loop here); ``share``: see :func:`within_budget`."""
    n_parts = min(workers or cpu_count(), n)
    return n > threshold and n_parts > 1 and can_fork() and within_budget(n_parts - 1, share)


def shared_map(func: Callable[[int], R], n: int, threshold: int = THRESHOLD, workers: int | None = None,
               share: float = CHILD_SHARE) -> list[R]:
    """``[func(i) for i in range(n)]``, this process and forked children taking chunks of
    indices from one shared counter until none are left.

    Unlike :func:`iter_in_order`, ``func`` may be a closure over large in-memory state (a
    whole vault's mentions, the graph): forked children inherit it instead of receiving
    it pickled, and only results travel back. This process works too, so one extra
    process is enough on two cores, and taking chunks as they come keeps both busy when
    items cost very different amounts (a map layout next to single pages). ``func`` must
    be pure, so the list is the same whichever process computed each element; what a
    failed child did not send back is computed here. ``share``: what a child, and this
    process's growth while the results arrive, come to, as a share of this process now
    (:func:`within_budget`).
    """
    if not forks(n, threshold, workers, share):
        return [func(i) for i in range(n)]
    n_parts = min(workers or cpu_count(), n)
    ctx = multiprocessing.get_context("fork")
    counter = ctx.Value("q", 0)
    chunk = max(1, n // (n_parts * 16))

    def work() -> list[tuple[int, R]]:
        done: list[tuple[int, R]] = []
        while True:
            with counter.get_lock():
                lo = counter.value
                counter.value = lo + chunk
            if lo >= n:
                return done
            done.extend((i, func(i)) for i in range(lo, min(n, lo + chunk)))

    children = []
    for _ in range(n_parts - 1):
        reader, writer = ctx.Pipe(duplex=False)
        proc = ctx.Process(target=_child, args=(work, writer), daemon=True)
        proc.start()
        writer.close()
        children.append((reader, proc))
    results: dict[int, R] = dict(work())
    for reader, proc in children:
        with contextlib.suppress(EOFError, OSError):  # a failed child: its share is done below
            results.update(reader.recv())
        reader.close()
        proc.join()
    return [results[i] if i in results else func(i) for i in range(n)]


class Background(Generic[R]):
    """A result a forked child computes: calling it waits for the result."""

    def __init__(self, func: Callable[[], R], reader: Any, proc: Any) -> None:
        self.func, self.reader, self.proc = func, reader, proc

    def ready(self) -> bool:
        """Whether calling would not wait (the result, or the child's end, has arrived)."""
        try:
            return bool(self.reader.poll())
        except (EOFError, OSError):
            return True

    def cancel(self) -> None:
        """The result is not wanted (a failed build): the child is stopped, not waited for."""
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join()
        self.reader.close()

    def __call__(self) -> R:
        try:
            return cast(R, self.reader.recv())
        except (EOFError, OSError):  # the child failed: do its work here
            return self.func()
        finally:
            self.reader.close()
            self.proc.join()


def in_background(func: Callable[[], R], yielding: bool = False) -> Background[R]:
    """Start ``func()`` in a forked child now; calling what is returned waits for its result.

    For work whose result is needed only later (the map's layout, written after MkDocs has
    read every page): the child computes it while this process goes on. ``func`` must be
    pure. If the child fails, the result is computed here when asked for. Call only where
    :func:`can_fork` holds and the memory budget has room for one more child.

    ``yielding``: the child runs at the lowest priority, on what the cores have spare. For
    work due well after the busiest stage: on two cores the map's layout used to take a
    third of the CPU from the page workers, and then the second core idled while MkDocs
    read and wrote pages on one.
    """
    ctx = multiprocessing.get_context("fork")
    reader, writer = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_yielding_child if yielding else _child, args=(func, writer), daemon=True)
    proc.start()
    writer.close()
    return Background(func, reader, proc)


def _yielding_child(work: Callable[[], object], conn: Any) -> None:
    with contextlib.suppress(OSError):
        os.nice(19)
    _child(work, conn)


def _child(work: Callable[[], object], conn: Any) -> None:
    conn.send(work())
    conn.close()
