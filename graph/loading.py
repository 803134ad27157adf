"""Read a vault of notes from disk without ever modifying it.

Notes come from many editors and machines, so reading is forgiving and every repair is
reported as a :class:`Diagnostic` naming the file (and line), never as an exception:

* a UTF-8 BOM is dropped silently; a UTF-16 BOM is honoured (with a warning);
* CRLF, lone CR and mixed endings become ``\\n`` (line numbers stay those the editor shows);
* Shift_JIS / CP932 notes are recognised and decoded (warning);
* otherwise undecodable bytes are replaced with U+FFFD (warning with the line of the first
  bad byte);
* files with NUL bytes are binaries named ``.md``: skipped (warning), no page;
* notes above :data:`MAX_NOTE_BYTES` are cut at the last line break below the limit
  (warning), so a stray 20 MB export cannot stall a build or eat the memory;
* empty notes still get a page (warning).

The files are opened read-only; nothing here writes, renames or deletes.
"""

from __future__ import annotations

import hashlib
import os
import re
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from graph.model import Diagnostic, RawNote

#: Notes above this size are cut to their first ``MAX_NOTE_BYTES`` (at a line break).
#: Dense notes parse at roughly 0.2 MB a second (graph plus page), so this bounds one note's cost
#: to a few seconds; real study notes are far below it.
MAX_NOTE_BYTES = 1024 * 1024
SKIP_DIRS = {".git", ".obsidian", ".trash", "node_modules", "__pycache__", ".kgsite-cache"}
#: How many bytes are sniffed for NUL bytes (binary files).
SNIFF_BYTES = 8192
JAPANESE = re.compile(r"[\u3041-\u3096\u30a1-\u30fa\u4e00-\u9fff\u3001\u3002]")
HALFWIDTH_KANA = re.compile(r"[\uff61-\uff9f]")


@dataclass(frozen=True)
class Vault:
    """The readable notes and the diagnostics of files that were skipped entirely."""

    notes: tuple[RawNote, ...]
    skipped: tuple[Diagnostic, ...] = ()


def excluded_inside(root: Path, exclude: tuple[Path, ...]) -> set[Path]:
    """The folders of ``exclude`` that lie inside ``root`` (a site folder built into the
    vault), resolved: only those can hide a file of the vault. The usual site folder
    beside the vault then costs no per-file path resolution (a twentieth of a serve rebuild)."""
    real = root.resolve()
    return {e for e in (p.resolve() for p in exclude) if e == real or real in e.parents}


def iter_note_paths(root: Path, exclude: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Markdown files below ``root`` in a stable order, skipping hidden and tool folders."""
    for _, path, _ in _note_files(root, exclude):
        yield path


def _note_files(root: Path, exclude: tuple[Path, ...]) -> list[tuple[str, Path, os.stat_result]]:
    """Every note file (``*.md``, a file or a link to one) below ``root``, hidden and tool
    folders left out, as ``root.rglob("*.md")`` finds them (symbolic links to folders are
    not followed), in the order of their paths: (path from ``root``, path, ``stat``).

    ``os.walk`` rather than ``rglob``: a third of the time at 1,000 notes, read twice per
    edit while serving."""
    excluded = excluded_inside(root, exclude)
    found: list[tuple[str, Path, os.stat_result]] = []
    for top, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.startswith(".")]
        rel_top = os.path.relpath(top, root)
        for name in files:
            if not name.endswith(".md"):
                continue
            path = Path(top, name)
            if excluded and any(parent in excluded for parent in path.resolve().parents):
                continue
            try:
                st = path.stat()
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode):
                rel = name if rel_top == "." else f"{rel_top}/{name}".replace(os.sep, "/")
                found.append((rel, path, st))
    found.sort(key=lambda f: f[0])
    return found


def _line_of(data: bytes, offset: int) -> int:
    """1-based line of a byte offset, counting CRLF, LF and lone CR as one break each."""
    head = data[:offset]
    return head.count(b"\n") + head.count(b"\r") - head.count(b"\r\n") + 1


def _looks_cp932(text: str) -> bool:
    """Text decoded as CP932 reads as Japanese rather than mojibake.

    UTF-8 bytes misread as CP932 give many half-width katakana and few kana/kanji; a real
    Shift_JIS note is the other way round.
    """
    jp = len(JAPANESE.findall(text))
    return jp > 0 and len(HALFWIDTH_KANA.findall(text)) * 4 < jp


def decode(data: bytes, rel: str) -> tuple[str, list[Diagnostic]]:
    """Bytes to text with line endings normalised to ``\\n`` (line numbers are kept)."""
    diags: list[Diagnostic] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = data.decode("utf-16", errors="replace")
        diags.append(Diagnostic("warning", "encoding-utf16",
                                "UTF-16 text; decoded. Save it as UTF-8 to silence this.", rel, 1))
        return _normalise(text), diags
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = _line_of(data, exc.start)
        lenient = data.decode("utf-8", errors="replace")
        bad = lenient.count("\ufffd")
        good = sum(1 for c in lenient if ord(c) > 0x7F and c != "\ufffd")
        sjis: str | None = None
        if good < bad:  # mostly not UTF-8: try the other encoding Japanese notes come in
            try:
                sjis = data.decode("cp932")
            except UnicodeDecodeError:
                sjis = None
        if sjis is not None and _looks_cp932(sjis):
            text = sjis
            diags.append(Diagnostic("warning", "encoding-cp932",
                                    "not UTF-8; decoded as Shift_JIS (CP932). Save it as UTF-8 to silence "
                                    "this.", rel, line))
        else:
            text = lenient
            diags.append(Diagnostic("warning", "encoding-invalid",
                                    f"invalid UTF-8 ({bad} undecodable byte sequence{'s' if bad > 1 else ''}, "
                                    "first on this line); replaced with U+FFFD. Re-save the note as UTF-8.",
                                    rel, line))
    return _normalise(text), diags


def _normalise(text: str) -> str:
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        text = text.replace("\x00", "\ufffd")
    return text


def _cut(data: bytes) -> bytes:
    """The first :data:`MAX_NOTE_BYTES`, ending at a line break (never inside a character)."""
    head = data[:MAX_NOTE_BYTES]
    nl = head.rfind(b"\n")
    return head[: nl + 1] if nl > 0 else head


def read_note(path: Path, root: Path) -> RawNote | Diagnostic:
    """One note, or the diagnostic saying why the file was skipped."""
    return _read(path, path.relative_to(root).as_posix())


def _read(path: Path, rel: str) -> RawNote | Diagnostic:
    try:
        data = path.read_bytes()
    except OSError as exc:
        return Diagnostic("warning", "unreadable", f"cannot be read ({exc.strerror}); skipped.", rel, 0)
    digest = hashlib.sha256(data).hexdigest()
    if not data.startswith((b"\xff\xfe", b"\xfe\xff")) and b"\x00" in data[:SNIFF_BYTES]:
        return Diagnostic("warning", "binary-file",
                          "looks like a binary file (NUL bytes), not a Markdown note; skipped.", rel, 0)
    diags: list[Diagnostic] = []
    if len(data) > MAX_NOTE_BYTES:
        data = _cut(data)
        diags.append(Diagnostic("warning", "note-too-large",
                                f"{path.stat().st_size / 1024 / 1024:.1f} MB; only the first "
                                f"{MAX_NOTE_BYTES // 1024 // 1024} MB (up to line {_line_of(data, len(data)) - 1}) "
                                "are used for the page and the graph.", rel, 0))
    text, more = decode(data, rel)
    diags.extend(more)
    if not text.strip():
        diags.append(Diagnostic("warning", "empty-note", "the note is empty.", rel, 0))
    return RawNote(rel, text, digest, tuple(diags))


@dataclass
class ReadMemo:
    """While serving: each note as it was last read, with its file's ``stat`` then. A file
    whose ``stat`` is the same is not read again, unless it changed less than
    :data:`SETTLED_NS` before that read: file times tick coarsely (a few milliseconds),
    and a second save within one tick, of the same size, would look unchanged (git's
    "racy" files). Reading 1,000 notes takes 0.05 s, twice per edit under ``serve``."""

    kept: dict[str, tuple[tuple[int, ...], RawNote | Diagnostic]] = field(default_factory=dict)
    reread: int = 0


SETTLED_NS = 2_000_000_000


def _stamp(st: os.stat_result) -> tuple[int, ...]:
    return (st.st_mtime_ns, st.st_ctime_ns, st.st_size, st.st_ino, st.st_dev)


def load_vault(root: Path, exclude: tuple[Path, ...] = (), memo: ReadMemo | None = None) -> Vault:
    """Every note below ``root`` plus the diagnostics of the files that were skipped.
    ``memo``: see :class:`ReadMemo`."""
    notes: list[RawNote] = []
    skipped: list[Diagnostic] = []
    kept: dict[str, tuple[tuple[int, ...], RawNote | Diagnostic]] = {}
    for rel, path, st in _note_files(root, exclude):
        stamp = _stamp(st)
        last = memo.kept.get(rel) if memo is not None else None
        if last is not None and last[0] == stamp:
            note = last[1]
            kept[rel] = last
        else:
            before = time.time_ns()
            note = _read(path, rel)
            if memo is not None:
                memo.reread += 1
                # kept only once the file had settled when it was read
                if before - max(st.st_mtime_ns, st.st_ctime_ns) >= SETTLED_NS:
                    kept[rel] = (stamp, note)
        if isinstance(note, RawNote):
            notes.append(note)
        else:
            skipped.append(note)
    if memo is not None:
        memo.kept = kept
    return Vault(tuple(notes), tuple(skipped))


def read_vault(root: Path, exclude: tuple[Path, ...] = ()) -> list[RawNote]:
    """The readable notes (see :func:`load_vault` for the skipped files' diagnostics)."""
    return list(load_vault(root, exclude).notes)
