"""The site's page files written by a forked child while MkDocs builds the next page.

Why: MkDocs writes each page as soon as the theme has wrapped it, in its one build loop:
creating the folder and the file of each of 1,470 pages took 0.59 s of the 1.57 s that loop
ran at 1,000 notes (almost all of it in the kernel), while the second core was idle.

How: in a plain build with enough pages, a child forked in ``on_env`` receives each page's
bytes (encoded as MkDocs encodes them) through a pipe and writes them where MkDocs would
have, with MkDocs' own ``write_file`` (folders and all). Our last ``on_post_page`` hook
hands the page over and returns an empty page, which MkDocs does not write; the note it
logs for an empty page is left out for these pages (:class:`HandedOver`). Before any
other plugin's ``on_post_build`` runs, the child is waited for: every file is in place,
and a file it could not write fails the build, naming it, as MkDocs' own write would have
(only later). Sending a page costs this process a copy into the pipe, not a file's creation.
"""

from __future__ import annotations

import contextlib
import fcntl
import gc
import logging
import multiprocessing
import os
from typing import Any

from graph.parallel import THRESHOLD, can_fork, cpu_count, within_budget

PIPE_BYTES = 1 << 20
"""The pipe's buffer (Linux lets a process raise it to 1 MB): a few pages' worth, so this
process rarely waits while the child creates a file."""
WRITER_SHARE = 0.05
"""What the child holds of its own, as a share of this process: it only reads the pipe and
writes files (its collector is off, so it never touches the heap it shares)."""
SKIPPED = "Page skipped: '"
MKDOCS_LOGGER = "mkdocs.commands.build"


class HandedOver(logging.Filter):
    """MkDocs' "Page skipped ... Generated empty output" for a page the child writes: the
    page is not skipped, and its empty output is ours."""

    def __init__(self) -> None:
        super().__init__()
        self.pages: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg
        if isinstance(msg, str) and msg.startswith(SKIPPED):
            return msg[len(SKIPPED):].partition("'")[0] not in self.pages
        return True


class PageWriter:
    """One build's page files, written by a child process in the order they are sent."""

    def __init__(self) -> None:
        ctx = multiprocessing.get_context("fork")
        reader, self.pipe = ctx.Pipe(duplex=False)
        self.results, results_end = ctx.Pipe(duplex=False)
        with contextlib.suppress(OSError, AttributeError):  # (the default 64 KB works too, slower)
            fcntl.fcntl(self.pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self.child = ctx.Process(target=_write_pages, args=(reader, self.pipe, results_end), daemon=True)
        self.child.start()
        reader.close()
        results_end.close()
        self.filter = HandedOver()
        logging.getLogger(MKDOCS_LOGGER).addFilter(self.filter)
        self.sent = 0

    @staticmethod
    def start(pages: int) -> PageWriter | None:
        """A writer for a build of ``pages`` pages, or None where it would not pay (few pages,
        one core, other threads alive, no room in the memory budget)."""
        if pages <= THRESHOLD or cpu_count() < 2 or not can_fork() or not within_budget(1, WRITER_SHARE):
            return None
        return PageWriter()

    def write(self, page: Any, data: bytes) -> None:
        """Have ``data`` written as ``page``'s file (MkDocs must then write nothing for it)."""
        path = page.file.abs_dest_path.encode("utf-8", "surrogateescape")
        self.filter.pages.add(page.file.src_uri)
        try:
            self.pipe.send_bytes(len(path).to_bytes(4, "little") + path + data)
        except OSError as e:
            raise OSError(f"the process writing the site's pages stopped after fewer than {self.sent} pages "
                          f"({e!r}); build again") from e
        self.sent += 1

    def finish(self) -> None:
        """Wait until every page sent is written; raise ``OSError`` naming the first file that
        could not be."""
        try:
            self.pipe.send_bytes(b"")
            written, failed = self.results.recv()
        except (EOFError, OSError) as e:
            raise OSError(f"the process writing the site's pages stopped after fewer than {self.sent} "
                          f"pages ({e!r}); build again") from e
        finally:
            self.close()
        if failed is not None:
            raise OSError(f"could not write {failed[0]}: {failed[1]}")
        if written != self.sent:  # pragma: no cover - a child that lost a page would have said so
            raise OSError(f"{self.sent - written} of the site's pages were not written; build again")

    def close(self) -> None:
        """Stop the child if it still runs (a build that failed midway)."""
        logging.getLogger(MKDOCS_LOGGER).removeFilter(self.filter)
        if self.child.is_alive():
            self.pipe.close()
            self.child.join(timeout=5)
            if self.child.is_alive():
                self.child.kill()
        self.child.join()
        self.pipe.close()
        self.results.close()


def _write_pages(reader: Any, sender: Any, results: Any) -> None:
    from mkdocs.utils import write_file

    gc.disable()  # a collection would walk the parent's heap and copy every page of it
    sender.close()  # (this end is the parent's: the child sees the pipe end when it dies)
    written, failed = 0, None
    while True:
        try:
            msg = reader.recv_bytes()
        except (EOFError, OSError):
            break
        if not msg:
            break
        if failed is not None:
            continue  # the build fails: the rest is not written
        size = int.from_bytes(msg[:4], "little")
        path = msg[4:4 + size].decode("utf-8", "surrogateescape")
        try:
            write_file(memoryview(msg)[4 + size:], path)  # type: ignore[arg-type]
            written += 1
        except OSError as e:
            failed = (path, e.strerror or str(e))
    with contextlib.suppress(OSError):
        results.send((written, failed))
    os._exit(0)
