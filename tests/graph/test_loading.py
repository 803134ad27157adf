"""Reading notes (never writing them) and the on-disk parse cache."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

from generator.pipeline import build_result
from graph.build import build_from_notes
from graph.cache import NOTES_PACK, DiskParseCache, PackFile, cache_version
from graph.loading import load_vault
from graph.slug import slugify
from graph.vocabulary import load_vocabulary
from tests.conftest import EXAMPLES


def _digests(root: Path) -> dict[str, str]:
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()}


def test_binary_and_utf16_files(tmp_path: Path) -> None:
    (tmp_path / "bin.md").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00")
    (tmp_path / "u16.md").write_bytes("# UTF-16 のノート\n".encode("utf-16"))
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.md").write_text("# hidden", encoding="utf-8")
    vault = load_vault(tmp_path)
    assert [n.path for n in vault.notes] == ["u16.md"]
    assert vault.notes[0].text.startswith("# UTF-16 のノート")
    assert [(d.note, d.code, d.level) for d in vault.skipped] == [("bin.md", "binary-file", "warning")]


def test_symbol_names_get_distinct_slugs() -> None:
    assert slugify("🚀") != slugify("→") and slugify("🚀").startswith("x-")
    assert slugify("Amazon S3") == "amazon-s3" and slugify("過学習") == "過学習"


def test_disk_cache_reparses_only_the_edited_note(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(EXAMPLES, vault)
    notes = sorted(vault.rglob("*.md"))
    cache_dir = tmp_path / "cache"
    vocab = load_vocabulary(())
    first = DiskParseCache(root=cache_dir, version=cache_version("v"))
    build_from_notes(list(load_vault(vault).notes), vocab, first)
    assert first.misses == len(notes)
    # a new process (fresh memory) with the same cache folder parses nothing
    second = DiskParseCache(root=cache_dir, version=cache_version("v"))
    r2 = build_from_notes(list(load_vault(vault).notes), vocab, second)
    assert (second.misses, second.disk_hits) == (0, len(notes))
    notes[0].write_text(notes[0].read_text(encoding="utf-8") + "\n追記。\n", encoding="utf-8")
    third = DiskParseCache(root=cache_dir, version=cache_version("v"))
    r3 = build_from_notes(list(load_vault(vault).notes), vocab, third)
    assert third.parsed == [notes[0].relative_to(vault).as_posix()]
    assert len(r3.documents) == len(r2.documents)
    # another vocabulary or kgsite version: a fresh folder, the stale one is removed
    other = DiskParseCache(root=cache_dir, version=cache_version("other"))
    build_from_notes(list(load_vault(vault).notes), vocab, other)
    assert other.misses == len(notes)
    assert [p.name for p in cache_dir.iterdir()] == [other.folder.name]
    # a damaged entry is re-parsed, not fatal
    pack = other.folder / NOTES_PACK
    data = bytearray(pack.read_bytes())
    for offset, _, _ in PackFile(pack).index.values():
        data[offset:offset + 7] = b"garbage"
    pack.write_bytes(bytes(data))
    damaged = DiskParseCache(root=cache_dir, version=cache_version("other"))
    build_from_notes(list(load_vault(vault).notes), vocab, damaged)
    assert damaged.misses == len(notes)


def test_a_pack_whose_index_holds_other_values_reads_as_missing(tmp_path: Path) -> None:
    pack = PackFile(tmp_path / "x.pack")
    pack.write([("a", "value a"), ("b", "value b")])
    assert PackFile(tmp_path / "x.pack").load("a") == "value a"
    damaged = PackFile(tmp_path / "x.pack")
    damaged.index["a"] = ("not", "a", "position")  # type: ignore[assignment]
    damaged.index["b"] = (-5, 2**70, b"")
    assert damaged.load("a") is None and damaged.load("b") is None and damaged.damaged


def test_reading_never_modifies_the_vault(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(EXAMPLES, vault)
    (vault / "crlf.md").write_bytes(b"# CRLF\r\n\r\nAmazon S3\r\n")
    before = _digests(vault)
    mtimes = {p: p.stat().st_mtime_ns for p in vault.rglob("*")}
    build_result(vault, cache_dir=tmp_path / "cache")
    assert _digests(vault) == before
    assert {p: p.stat().st_mtime_ns for p in vault.rglob("*")} == mtimes


def test_a_site_folder_inside_the_vault_is_not_read_as_notes(tmp_path: Path) -> None:
    """``kgsite build --notes . --site-dir site``: the output lies inside the vault."""
    from graph.loading import iter_note_paths

    (tmp_path / "a.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "site" / "x").mkdir(parents=True)
    (tmp_path / "site" / "x" / "copy.md").write_text("# copy\n", encoding="utf-8")
    names = lambda exclude: [p.relative_to(tmp_path).as_posix() for p in iter_note_paths(tmp_path, exclude)]  # noqa: E731
    assert names((tmp_path / "site",)) == ["a.md"]
    assert names((tmp_path / "elsewhere",)) == ["a.md", "site/x/copy.md"]
    assert names((tmp_path / "site" / ".." / "site",)) == ["a.md"]  # written any way


def test_parsed_notes_survive_the_trip_to_and_from_a_worker_or_the_cache_whole() -> None:
    """Documents travel pickled (parse workers, the disk cache); every field of every block,
    link and diagnostic must come back."""
    import pickle
    from dataclasses import fields

    from graph.document import parse_document
    from graph.loading import read_vault

    for note in read_vault(EXAMPLES):
        doc = parse_document(note)
        back = pickle.loads(pickle.dumps(doc, protocol=pickle.HIGHEST_PROTOCOL))
        assert back == doc and back.front_matter == doc.front_matter
        for a, b in zip(doc.blocks + doc.links, back.blocks + back.links, strict=True):  # type: ignore[operator]
            assert type(a) is type(b)
            assert [getattr(a, f.name) for f in fields(a)] == [getattr(b, f.name) for f in fields(b)]


def test_serving_reads_again_only_the_notes_whose_files_changed(tmp_path: Path, monkeypatch: object) -> None:
    import graph.loading as loading

    shutil.copytree(EXAMPLES, tmp_path / "notes")
    root = tmp_path / "notes"
    monkeypatch.setattr(loading, "SETTLED_NS", 0)  # type: ignore[attr-defined]
    memo = loading.ReadMemo()
    first = load_vault(root, memo=memo)
    count = len(first.notes) + len(first.skipped)
    assert memo.reread == count
    assert load_vault(root, memo=memo) == first and memo.reread == count
    note = root / first.notes[2].path
    note.write_text(note.read_text(encoding="utf-8") + "\n追記。\n", encoding="utf-8")
    (root / "bin.md").write_bytes(b"\x00\x01")
    again = load_vault(root, memo=memo)
    assert memo.reread == count + 2  # the edited note and the new file
    assert again == load_vault(root)  # what reading every file gives
    assert [d.note for d in again.skipped] == [*(d.note for d in first.skipped), "bin.md"]
    note.unlink()
    assert load_vault(root, memo=memo) == load_vault(root)


def test_a_file_read_just_after_it_was_saved_is_read_again(tmp_path: Path) -> None:
    """A second save within the file system's time tick, of the same size, leaves the same
    stat: a note read less than two seconds after its save is not kept."""
    from graph.loading import ReadMemo

    (tmp_path / "a.md").write_text("# A\n\nversion 1\n", encoding="utf-8")
    memo = ReadMemo()
    load_vault(tmp_path, memo=memo)
    assert memo.kept == {}
    (tmp_path / "a.md").write_text("# A\n\nversion 2\n", encoding="utf-8")
    assert "version 2" in load_vault(tmp_path, memo=memo).notes[0].text
    assert memo.reread == 2
