"""A first build's notes parsed while the command is still starting up.

Why: ``kgsite build`` spends its first half second on one core, importing MkDocs and
the theme and reading the configuration; the graph stage that follows is the first to
use both cores, and parsing the notes is most of it. Forked at the very start (before
those imports, while the process is small), a child reads the notes folder and parses
notes on the core that would otherwise idle; when the graph stage asks for the notes, it
starts a second worker beside itself, the two take the rest of the notes from one shared
counter, and the stage finds a good part of its parsing done.

The results are the same as parsing in the build's own process: the child runs the same
code (it is a fork of this process) on the same bytes, and each result is used only for
the note with the same path and content hash. What the child did not deliver (it failed,
a note changed on disk in the meantime, or the build reads other notes than the folder
holds, such as with ``exclude``) is parsed by the build as usual.

Only for a first build: where the parse cache already holds notes (a rebuild), parsing is
not what a build waits for, and the child is not started.

Measured at 1,000 notes (this machine, alternating runs): the graph stage ends about
0.3 s sooner. The build process, not parsing, is what that stage waits for (it resolves
each note's terms in order), which is why the workers also read each note's candidate
terms and pickle each document once, for the build and for the parse cache's file.

The same workers serve a build that was not started this way (a large vault read through
the Python API or ``mkdocs build``): :meth:`HeadStart.over` forks them over the notes the
build holds.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import pickle
import signal
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from graph.parallel import THRESHOLD, can_fork, cpu_count

if TYPE_CHECKING:
    from graph.model import Document, RawNote

    Cues = tuple[tuple[str, ...], tuple[str, ...]]
    Parsed = tuple[Document, list[tuple[str, int, str]] | None]

# The parser and the loader are imported where used: this module is imported before the
# child is forked, and the sooner it is forked, the more notes it parses ahead.

RECORD = struct.Struct("<iQ")
"""A result's header in a worker's file: the note's index (-1: the list of notes, -2: the
cue lists the candidate terms were read with), then the length of the pickled payload."""
NOTE_LIST = -1
CUES = -2
MAX_WORKERS = 8


class HeadStart:
    """Notes being parsed by a child forked now (see the module): the notes of a folder
    (``kgsite build`` as it starts), or ``notes`` the build holds (:meth:`over`)."""

    def __init__(self, notes: Path | list[RawNote], cues: Cues | None = None) -> None:
        ctx = multiprocessing.get_context("fork")
        self.next = ctx.Value("q", 0)  # the next note to parse, shared by the workers
        # the build has come: the other workers start (at once for notes the build holds)
        self.more = ctx.Value("b", 0 if isinstance(notes, Path) else 1)
        #: started before the build asked (the notes of a folder), not by the build itself
        self.early = isinstance(notes, Path)
        # one results file per worker, so each only appends to its own
        # (closed by cancel(): they live as long as the workers)
        workers = max(2, min(cpu_count(), MAX_WORKERS))
        self.files: list[BinaryIO] = [tempfile.TemporaryFile() for _ in range(workers)]  # noqa: SIM115
        self.offsets = [0] * workers
        self.results: dict[int, bytes] = {}
        self.keys: list[tuple[str, str]] | None = None
        #: how many notes the build took from the workers (the others it parsed itself)
        self.ahead = 0
        #: each document taken, as the worker pickled it (for the parse cache's file)
        self.pickled: dict[tuple[str, str], bytes] = {}
        signals, self.sender = os.pipe()
        self.pid = os.fork()
        if self.pid == 0:  # pragma: no cover - the child (its work is checked by its results)
            code = 1
            try:
                os.close(signals)
                _child(notes, cues, self)
                code = 0
            finally:
                os._exit(code)
        os.close(self.sender)
        self.signals: int | None = signals

    @staticmethod
    def start(notes_dir: Path, cache_dir: Path | None = None) -> HeadStart | None:
        """A child parsing the notes of ``notes_dir`` from now on, or None where that would
        not pay: one core, other threads alive (forking then is unsafe), or a parse cache
        in ``cache_dir`` that already holds notes (a rebuild)."""
        if cpu_count() < 2 or not can_fork() or not notes_dir.is_dir():
            return None
        if cache_dir is not None and any(cache_dir.glob("v-*/notes.pack")):
            return None
        try:
            return HeadStart(notes_dir)
        except OSError:  # no temporary file or no process to be had: the build parses as usual
            return None

    @staticmethod
    def over(notes: list[RawNote], cues: Cues) -> HeadStart | None:
        """``notes`` parsed (with their candidate terms read with ``cues``) by a worker per
        core from now on, or None where forking is unsafe or there is one core. Unlike a
        process pool, the workers inherit the notes instead of receiving them pickled, and
        start at once."""
        if cpu_count() < 2 or not can_fork():
            return None
        try:
            return HeadStart(notes, cues)
        except OSError:
            return None

    def take(self, notes: list[RawNote], cues: Cues) -> Iterator[Parsed] | None:
        """Each of ``notes`` parsed, in order, with its candidate terms when the workers
        read them with ``cues`` (else None: the build reads them); or None when the workers'
        notes do not fit these (the child is then stopped, and the build parses them itself)."""
        listed = self.note_list()
        if listed is None or len(notes) <= THRESHOLD:
            self.cancel()
            return None
        index = {k: i for i, k in enumerate(listed)}
        wanted = [index.get((n.path, n.digest)) for n in notes]
        if sum(i is not None for i in wanted) * 2 < len(notes):
            self.cancel()  # mostly other notes than the folder's (or other bytes): not worth waiting for
            return None
        self.more.value = 1
        return self._deliver(notes, wanted, cues)

    def _deliver(self, notes: list[RawNote], wanted: list[int | None], cues: Cues) -> Iterator[Parsed]:
        from graph.document import parse_document
        from graph.entities import candidate_terms

        own: list[Cues | None] = []  # the cue lists the workers read with, once the first note is taken
        try:
            for note, i in zip(notes, wanted, strict=True):
                payload = self._wait_for(i) if i is not None else None
                if payload is None:  # not parsed by a worker (it failed, or the note changed since)
                    doc = parse_document(note)
                    yield doc, candidate_terms(doc, list(cues[0]), cues[1])
                    continue
                self.ahead += 1
                if not own:
                    read = self._wait_for(CUES)  # (written before any note)
                    own.append(pickle.loads(read) if read is not None else None)
                pickled, candidates = pickle.loads(payload)
                self.pickled[(note.path, note.digest)] = pickled
                yield pickle.loads(pickled), (candidates if own[0] == cues else None)
        finally:
            self.cancel()

    def note_list(self) -> list[tuple[str, str]] | None:
        """The notes the workers read (path, content hash), once they have listed them."""
        payload = self._wait_for(NOTE_LIST)
        if payload is not None:
            self.keys = pickle.loads(payload)
        return self.keys

    def _wait_for(self, i: int) -> bytes | None:
        """Record ``i``'s payload, waiting for a worker to write it; None if none will."""
        while i not in self.results:
            self._read()
            if i in self.results or self.signals is None:
                break
            try:
                got = os.read(self.signals, 65536)
            except OSError:
                got = b""
            if not got:  # every worker has ended: what is in the files is all there is
                os.close(self.signals)
                self.signals = None
                self._read()
        return self.results.pop(i, None)

    def _read(self) -> None:
        for w, fh in enumerate(self.files):
            size = os.fstat(fh.fileno()).st_size
            at = self.offsets[w]
            if size <= at:
                continue
            data = os.pread(fh.fileno(), size - at, at)
            pos = 0
            while pos + RECORD.size <= len(data):
                i, length = RECORD.unpack_from(data, pos)
                end = pos + RECORD.size + length
                if end > len(data):
                    break  # a record still being written
                self.results[i] = data[pos + RECORD.size:end]
                pos = end
            self.offsets[w] = at + pos

    def cancel(self) -> None:
        """Stop the workers and let go of their results. A worker stops at its next note
        (it finds none left) or its next signal (nobody listens): never killed, as one
        holding the shared counter's lock would leave the other waiting for it forever."""
        with self.next.get_lock():
            self.next.value = 2**62
        if self.signals is not None:
            os.close(self.signals)
            self.signals = None
        if self.pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(self.pid, 0)
            self.pid = 0
        for fh in self.files:
            fh.close()
        self.results.clear()


_CURRENT: list[HeadStart] = []


def begin(notes_dir: Path, cache_dir: Path | None = None) -> HeadStart | None:
    """Start parsing ``notes_dir`` for the next build in this process (see :meth:`HeadStart.start`)."""
    cancel()
    head = HeadStart.start(notes_dir, cache_dir)
    if head is not None:
        offer(head)
    return head


def offer(head: HeadStart) -> None:
    """``head``'s notes for the next build in this process."""
    cancel()
    _CURRENT.append(head)


def claim() -> HeadStart | None:
    """The notes being parsed ahead, for the build that takes them (once)."""
    return _CURRENT.pop() if _CURRENT else None


def cancel() -> None:
    """Stop a head start no build took (the command failed before its graph stage)."""
    while _CURRENT:
        _CURRENT.pop().cancel()


def _child(source: Path | list[RawNote], cues: Cues | None,
           head: HeadStart) -> None:  # pragma: no cover - runs in the forked child
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    from graph.document import parse_document
    from graph.entities import candidate_cues, candidate_terms
    from graph.loading import read_vault
    from graph.vocabulary import load_vocabulary

    notes = read_vault(source) if isinstance(source, Path) else source
    _write(head, 0, NOTE_LIST, pickle.dumps([(n.path, n.digest) for n in notes]))
    if len(notes) <= THRESHOLD:
        return
    if cues is None:
        # each note's candidate terms, read with the built-in vocabulary's cue lists (the
        # build uses them if its vocabulary has the same; the build process has the
        # order-dependent work, and would otherwise have this too)
        found = candidate_cues(load_vocabulary(()))
        cues = (tuple(found[0]), tuple(found[1]))
    _write(head, 0, CUES, pickle.dumps(cues))
    not_terms, columns = list(cues[0]), cues[1]
    worker, started = 0, list[int]()
    while True:
        if worker == 0 and not started and head.more.value:
            # the build has finished starting up: one worker for each of the other cores
            for w in range(1, len(head.files)):
                pid = os.fork()
                if pid == 0:
                    worker = w
                    break
                started.append(pid)
            else:
                started.append(0)
        with head.next.get_lock():
            i = head.next.value
            head.next.value = i + 1
        if i >= len(notes):
            break
        doc = parse_document(notes[i])
        pickled = pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL)
        _write(head, worker, i, pickle.dumps((pickled, candidate_terms(doc, not_terms, columns)),
                                             protocol=pickle.HIGHEST_PROTOCOL))
    if worker:
        os._exit(0)
    for pid in started:
        if pid:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)


def _write(head: HeadStart, worker: int, i: int, payload: bytes) -> None:  # pragma: no cover - in the child
    """Append one record to the worker's file, then signal the build (which has stopped
    listening if the write fails: the worker then ends)."""
    fh = head.files[worker]
    data = memoryview(RECORD.pack(i, len(payload)) + payload)
    while data:
        data = data[os.write(fh.fileno(), data):]
    try:
        os.write(head.sender, b"\x01")
    except BrokenPipeError:
        os._exit(0)
