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
import logging
import tempfile
from collections.abc import Iterator
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
from watchdog.observers.api import BaseObserver

log = logging.getLogger("mkdocs.kgsite")


def native_observer() -> BaseObserver | None:
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
    def schedule(self, event_handler: FileSystemEventHandler, path: str | Path, *, recursive: bool = False,
                 event_filter: list[type[FileSystemEvent]] | None = None, follow_symlink: bool = False) -> Any:
        return super().schedule(event_handler, path, recursive=recursive, event_filter=event_filter or CHANGES,
                                follow_symlink=follow_symlink)


class EventDrivenServer(LiveReloadServer):
    """MkDocs' live-reload server, told of changes by file events rather than polling."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        observer = native_observer()
        if observer is not None:
            self.observer = observer  # type: ignore[assignment]  # same interface, events not polls


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
