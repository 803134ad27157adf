"""Read a vault of notes from disk without ever modifying it.

Decoding is forgiving because real notes come from many editors: a UTF-8 BOM is
dropped, Shift_JIS/CP932 is decoded with a warning, and undecodable bytes are replaced
(with an error naming the file) instead of stopping the build.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

from graph.model import Diagnostic, RawNote

#: Notes above this size are read but only their first part is parsed.
MAX_NOTE_BYTES = 4 * 1024 * 1024
SKIP_DIRS = {".git", ".obsidian", ".trash", "node_modules", "__pycache__", ".kgsite-cache"}


def iter_note_paths(root: Path, exclude: tuple[Path, ...] = ()) -> Iterator[Path]:
    """Markdown files below ``root`` in a stable order, skipping hidden and tool folders."""
    excluded = {p.resolve() for p in exclude}
    paths = []
    for path in root.rglob("*.md"):
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.startswith(".") for part in rel.parts[:-1]):
            continue
        if any(parent in excluded for parent in path.resolve().parents):
            continue
        if path.is_file():
            paths.append(path)
    yield from sorted(paths, key=lambda p: p.relative_to(root).as_posix())


def decode(data: bytes, rel: str) -> tuple[str, list[Diagnostic]]:
    """Bytes to text with line endings normalised to ``\\n`` (line numbers are kept)."""
    diags: list[Diagnostic] = []
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        try:
            text = data.decode("cp932")
            diags.append(Diagnostic("warning", "encoding-cp932",
                                    "not UTF-8; decoded as Shift_JIS (CP932). Save it as UTF-8 to silence this.",
                                    rel, line))
        except UnicodeDecodeError:
            text = data.decode("utf-8", errors="replace")
            diags.append(Diagnostic("error", "encoding-invalid",
                                    "invalid UTF-8; undecodable bytes were replaced with U+FFFD. "
                                    "Re-save the note as UTF-8.", rel, line))
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    return text, diags


def read_note(path: Path, root: Path) -> RawNote | None:
    """One note, or ``None`` with the reason in a diagnostic-bearing empty note for binaries."""
    rel = path.relative_to(root).as_posix()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if b"\x00" in data[:8192]:
        diag = Diagnostic("error", "binary-file", "looks like a binary file (NUL bytes); skipped.", rel, 0)
        return RawNote(rel, "", digest, (diag,))
    diags: list[Diagnostic] = []
    if len(data) > MAX_NOTE_BYTES:
        diags.append(Diagnostic("warning", "note-too-large",
                                f"{len(data) // 1024 // 1024} MB; only the first "
                                f"{MAX_NOTE_BYTES // 1024 // 1024} MB are parsed for the graph.", rel, 0))
    text, more = decode(data, rel)
    diags.extend(more)
    if not text.strip():
        diags.append(Diagnostic("warning", "empty-note", "the note is empty.", rel, 0))
    return RawNote(rel, text, digest, tuple(diags))


def read_vault(root: Path, exclude: tuple[Path, ...] = ()) -> list[RawNote]:
    notes = []
    for path in iter_note_paths(root, exclude):
        note = read_note(path, root)
        if note is not None:
            notes.append(note)
    return notes
