"""``kgsite serve`` hears a save at once instead of on MkDocs' next poll.

MkDocs' development server watches files with watchdog's *polling* observer, which
lists every watched folder twice a second: a save waits 0–0.5 s before the rebuild even
starts, a quarter of a second on average, and a large vault's folders are walked all the
time. watchdog's native observer (inotify on Linux, FSEvents on macOS, ...) reports the
save within milliseconds and costs nothing while nothing changes.

The server is MkDocs' own (:class:`mkdocs.livereload.LiveReloadServer`) with only the
observer swapped, so the rebuild loop, the reload of open pages and the error pages stay
what MkDocs does. The observer reports changes only: unlike a poll, file events also
report every read, and each build reads every note. Where the native observer cannot
start (no inotify instance left, an exotic file system), serving falls back to MkDocs'
polling with a log line saying so.
"""

from __future__ import annotations

import contextlib
import gc
import logging
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import mkdocs.commands.serve as mkdocs_serve
from mkdocs.livereload import LiveReloadServer
from watchdog.events import (
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
    FileMovedEvent,
    FileSystemEvent,
    FileSystemEventHandler,
)
from watchdog.observers import Observer

log = logging.getLogger("mkdocs.kgsite")


def native_observer() -> _ChangesOnly | None:
    """The platform's event-based observer, or None when it cannot watch here."""
    probe = Observer()
    if type(probe).__name__.startswith("Polling"):  # watchdog found nothing better itself
        return None
    with tempfile.TemporaryDirectory(prefix="kgsite-watch-") as d:
        try:
            probe.schedule(FileSystemEventHandler(), d, recursive=False)
            probe.start()
        except OSError as exc:
            log.info(f"kgsite: file events unavailable ({exc}); watching by polling every 0.5 s instead")
            return None
        finally:
            with contextlib.suppress(Exception):
                probe.stop()
                probe.join(timeout=5)
    return _ChangesOnly()


#: what a save, a new note, a deletion or a rename produces; not opening or reading a
#: file (the build itself reads every note: those events would rebuild for ever)
CHANGES: list[type[FileSystemEvent]] = [FileCreatedEvent, FileModifiedEvent, FileDeletedEvent, FileMovedEvent,
                                        FileClosedEvent]


class _ChangesOnly(Observer):  # type: ignore[misc,valid-type]
    def __init__(self) -> None:
        super().__init__()
        self._changes_lock = threading.Lock()
        self._changes: set[Path] = set()

    def schedule(self, event_handler: FileSystemEventHandler, path: str | Path, *, recursive: bool = False,
                 event_filter: list[type[FileSystemEvent]] | None = None, follow_symlink: bool = False) -> Any:
        return super().schedule(_Recording(event_handler, self._record), path, recursive=recursive,
                                event_filter=event_filter or CHANGES, follow_symlink=follow_symlink)

    def _record(self, event: FileSystemEvent) -> None:
        with self._changes_lock:
            for p in (event.src_path, getattr(event, "dest_path", "")):
                if p:
                    self._changes.add(Path(os.fsdecode(p)))

    def take_changed(self) -> set[Path]:
        """The files changed since the last call."""
        with self._changes_lock:
            out, self._changes = self._changes, set()
        return out


class _Recording(FileSystemEventHandler):
    """Notes which file changed before passing the event on (to MkDocs' rebuild trigger)."""

    def __init__(self, inner: FileSystemEventHandler, record: Callable[[FileSystemEvent], None]) -> None:
        self.inner, self.record = inner, record

    def dispatch(self, event: FileSystemEvent) -> None:
        if not event.is_directory:
            self.record(event)
        self.inner.dispatch(event)


Previewer = Callable[[set[Path]], Iterable[list[str]]]
"""Draws and writes the pages of the changed files that can be shown before the full
rebuild (the edited notes' own pages, then every page the edit changed, drawn from the
new graph); yields each batch written, to be shown before the next is drawn."""


class EventDrivenServer(LiveReloadServer):
    """MkDocs' live-reload server, told of changes by file events rather than polling.

    A rebuild shows the edited notes' pages first when the plugin can draw them
    (:mod:`generator.preview`), then the other pages the edit changed (:mod:`generator.early`):
    each batch is written and the browsers reload; then the full rebuild runs, and the
    browsers reload again when it is done.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        observer = native_observer()
        self.recording: _ChangesOnly | None = None
        if observer is not None:
            self.observer = observer  # same interface, events not polls
            self.recording = observer
            self.build_delay = SETTLE
        self.previewer: Previewer | None = None
        self._full_build = self.builder
        self.builder = self._build
        self._collector: threading.Timer | None = None

    def _build(self) -> None:
        changed = self.recording.take_changed() if self.recording is not None else set()
        if self._collector is not None:
            self._collector.cancel()
        with deferred_collection():
            shown = False
            for batch in self._preview(changed):
                more = f" and {len(batch) - 3} more" if len(batch) > 4 else ""
                log.info(f"kgsite: showing {', '.join(batch[:3] if more else batch)}{more} now; rebuilding the rest")
                if shown:  # the browsers showing the first batch reload again
                    with self._epoch_cond:
                        self._wanted_epoch = max(int(time.time() * 1000), self._visible_epoch + 1)
                self._show(self._wanted_epoch)
                shown = True
            self._full_build()
            if shown:
                # a second reload for the full rebuild (MkDocs' loop shows this epoch next)
                with self._epoch_cond:
                    self._wanted_epoch = max(int(time.time() * 1000), self._visible_epoch + 1)
        # the rebuild's garbage is collected once the browsers have what they wait for
        self._collector = threading.Timer(COLLECT_AFTER, gc.collect)
        self._collector.daemon = True
        self._collector.start()

    def _preview(self, changed: set[Path]) -> Iterator[list[str]]:
        """The batches of pages the previewer wrote (empty ones left out)."""
        if self.previewer is None or not changed:
            return
        try:
            for batch in self.previewer(changed):
                if batch:
                    yield batch
        except Exception as exc:  # a preview is a shortcut: the full rebuild follows regardless
            log.warning(f"kgsite: could not preview {', '.join(sorted(map(str, changed)))} ({exc!r}); "
                        "rebuilding the whole site")

    def _show(self, epoch: int) -> None:
        with self._epoch_cond:
            self._visible_epoch = epoch
            self._epoch_cond.notify_all()


SETTLE = 0.03
"""Seconds without a new file event before a rebuild starts (MkDocs waits 0.1 s, sized for
its polls): an editor's save is a burst of events a few milliseconds apart."""

COLLECT_AFTER = 1.0
"""Seconds after a rebuild before its garbage is collected (unless the next one started)."""


@contextlib.contextmanager
def deferred_collection() -> Iterator[None]:
    """No garbage collection during a serve rebuild: the process holds the whole graph and
    site, and CPython's passes over them took 0.6-1.1 s of a 3-4 s rebuild at 1,000
    notes. The rebuild's cyclic garbage waits for :data:`COLLECT_AFTER` (one rebuild's
    worth: the previous graph and pages are freed by reference counting)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@contextlib.contextmanager
def event_driven_serve() -> Iterator[None]:
    """While inside, ``mkdocs.commands.serve.serve`` builds its server as an
    :class:`EventDrivenServer` (MkDocs offers no option to choose the observer)."""
    before = vars(mkdocs_serve)["LiveReloadServer"]
    setattr(mkdocs_serve, "LiveReloadServer", EventDrivenServer)  # noqa: B010
    try:
        yield
    finally:
        setattr(mkdocs_serve, "LiveReloadServer", before)  # noqa: B010
