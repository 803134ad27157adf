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
import re
from collections.abc import Iterator
from dataclasses import dataclass
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
    excluded = excluded_inside(root, exclude)
    paths = []
    for path in root.rglob("*.md"):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if excluded and any(parent in excluded for parent in path.resolve().parents):
            continue
        if path.is_file():
            paths.append(path)
    yield from sorted(paths, key=lambda p: p.relative_to(root).as_posix())


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
    rel = path.relative_to(root).as_posix()
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


def load_vault(root: Path, exclude: tuple[Path, ...] = ()) -> Vault:
    """Every note below ``root`` plus the diagnostics of the files that were skipped."""
    notes: list[RawNote] = []
    skipped: list[Diagnostic] = []
    for path in iter_note_paths(root, exclude):
        note = read_note(path, root)
        if isinstance(note, RawNote):
            notes.append(note)
        else:
            skipped.append(note)
    return Vault(tuple(notes), tuple(skipped))


def read_vault(root: Path, exclude: tuple[Path, ...] = ()) -> list[RawNote]:
    """The readable notes (see :func:`load_vault` for the skipped files' diagnostics)."""
    return list(load_vault(root, exclude).notes)
