"""The site's page files written by a child process while MkDocs builds the next page.

Why: MkDocs writes each page as soon as the theme has wrapped it, in its one build loop:
creating the folder and the file of each of 1,470 pages took 0.59 s of the 1.57 s that loop
ran at 1,000 notes (almost all of it in the kernel), while the second core was idle.

How: in a plain build with enough pages, a small child process started in ``on_env``
receives each page's bytes (encoded as MkDocs encodes them) through a pipe and writes them
where MkDocs would have, as MkDocs' ``write_file`` does (folders and all: each folder made
once, each file written with plain system calls). It is a fresh
interpreter running :data:`WRITER` (the standard library only), not a fork: a forked copy
of the build, alive while the build goes on changing its own memory, came to hold its own
copy of every page of it the build touched (peak PSS at 1,000 notes: 316 MB -> 401 MB). Our last ``on_post_page`` hook
hands the page over and returns an empty page, which MkDocs does not write; the note it
logs for an empty page is left out for these pages (:class:`HandedOver`). Before any
other plugin's ``on_post_build`` runs, the child is waited for: every file is in place,
and a file it could not write fails the build, naming it, as MkDocs' own write would have
(only later). Sending a page costs this process a copy into the pipe, not a file's creation.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import subprocess
import sys
from typing import IO, Any

from graph.parallel import THRESHOLD, cpu_count

PIPE_BYTES = 1 << 20
"""The pipe's buffer (Linux lets a process raise it to 1 MB): a few pages' worth, so this
process rarely waits while the child creates a file."""
WRITER = r"""
import json, os, sys
r, written, failed, made = sys.stdin.buffer, 0, None, set()
FLAGS = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)
while True:
    head = r.read(12)
    if len(head) < 12:
        break
    n, m = int.from_bytes(head[:4], "little"), int.from_bytes(head[4:], "little")
    if n == 0:
        break
    path, data = os.fsdecode(r.read(n)), r.read(m)
    if failed is None:
        try:
            folder = os.path.dirname(path)
            if folder not in made:
                os.makedirs(folder, exist_ok=True)
                made.add(folder)
            fd = os.open(path, FLAGS, 0o666)
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            written += 1
        except OSError as e:
            failed = [path, e.strerror or str(e)]
sys.stdout.write(json.dumps([written, failed]))
"""
"""The child's program: frames of (path length, data length, path, data); a zero length ends."""
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
        self.child = subprocess.Popen([sys.executable, "-I", "-c", WRITER], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, close_fds=True)
        self.pipe: IO[bytes] = self.child.stdin  # type: ignore[assignment]
        with contextlib.suppress(OSError, AttributeError):  # (the default 64 KB works too, slower)
            fcntl.fcntl(self.pipe.fileno(), fcntl.F_SETPIPE_SZ, PIPE_BYTES)
        self.filter = HandedOver()
        logging.getLogger(MKDOCS_LOGGER).addFilter(self.filter)
        self.sent = 0

    @staticmethod
    def start(pages: int) -> PageWriter | None:
        """A writer for a build of ``pages`` pages, or None where it would not pay (few pages,
        one core)."""
        if pages <= THRESHOLD or cpu_count() < 2:
            return None
        return PageWriter()

    def write(self, page: Any, data: bytes) -> None:
        """Have ``data`` written as ``page``'s file (MkDocs must then write nothing for it)."""
        path = os.fsencode(page.file.abs_dest_path)
        self.filter.pages.add(page.file.src_uri)
        try:
            self.pipe.write(len(path).to_bytes(4, "little") + len(data).to_bytes(8, "little") + path)
            self.pipe.write(data)
        except OSError as e:
            raise self._stopped(e) from e
        self.sent += 1

    def _stopped(self, cause: Exception) -> OSError:
        return OSError(f"the process writing the site's pages stopped after fewer than {self.sent} pages "
                       f"({cause!r}); build again")

    def finish(self) -> None:
        """Wait until every page sent is written; raise ``OSError`` naming the first file that
        could not be."""
        try:
            self.pipe.write(bytes(12))
            self.pipe.close()
            out = self.child.stdout.read() if self.child.stdout is not None else b""
            written, failed = json.loads(out)
        except (OSError, ValueError) as e:
            raise self._stopped(e) from e
        finally:
            self.close()
        if failed is not None:
            raise OSError(f"could not write {failed[0]}: {failed[1]}")
        if written != self.sent:  # pragma: no cover - a child that lost a page would have said so
            raise OSError(f"{self.sent - written} of the site's pages were not written; build again")

    def close(self) -> None:
        """Stop the child if it still runs (a build that failed midway)."""
        logging.getLogger(MKDOCS_LOGGER).removeFilter(self.filter)
        with contextlib.suppress(OSError):
            self.pipe.close()
        try:
            self.child.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.child.kill()
            self.child.wait()
        if self.child.stdout is not None:
            self.child.stdout.close()
