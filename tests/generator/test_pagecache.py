"""Pages kept between builds (``.kgsite-cache/pages``): a build that reads pages back from
the cache must give exactly the site a build with an empty cache gives, after any edit."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from generator import pipeline
from generator.pagecache import PAGES_DIRNAME, PAGES_PACK, PageCache, digest
from generator.pipeline import Built, build_site
from generator.site import SiteOptions
from graph.cache import PackFile

OPTIONS = SiteOptions(index_sections=True)


def _build(vault: Path, cache: Path, vocabulary: tuple[str, ...] = ()) -> Built:
    pipeline._CACHES.clear()  # what a new process sees: only the disk
    return build_site(vault, vocabulary, OPTIONS, cache_dir=cache)


def _everything(built: Built) -> dict[str, object]:
    s = built.site
    return {"pages": {p: s.text(p) for p in s.pages}, "assets": s.assets, "positions": s.positions,
            "missing": s.missing_links, "terms": s.search_terms, "meta": s.meta,
            "toc": {p: pre.toc for p, pre in s.prerendered.items()},
            "indexed": {p: i.sections for p, i in s.indexed.items()}}


def _append(extra: str) -> Callable[[Path], None]:
    def edit(vault: Path) -> None:
        note = sorted(vault.glob("*.md"))[2]
        note.write_text(note.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return edit


def _rename(vault: Path) -> None:
    """A note moves: its page path, and every link to it, change."""
    note = sorted(vault.glob("*.md"))[1]
    (vault / "sub").mkdir()
    note.rename(vault / "sub" / note.name)


def _new_linking_note(vault: Path) -> None:
    names = [p.stem for p in sorted(vault.glob("*.md"))]
    (vault / "新しいノート.md").write_text(
        "# 新しいノート\n\n" + "\n".join(f"- [[{n}]] を参照" for n in names) +
        "\n\nAmazon SageMaker Clarify は Amazon SageMaker Model Monitor と連携する。\n", encoding="utf-8")


def _delete(vault: Path) -> None:
    sorted(vault.glob("*.md"))[0].unlink()


EDITS: dict[str, Callable[[Path], None]] = {
    "nothing": lambda vault: None,
    "relation": _append("\n\nAmazon SageMaker Model Monitor は Amazon CloudWatch にメトリクスを送信する。\n"),
    "new term": _append("\n\n## Amazon Foobar Insight\n\nAmazon Foobar Insight は Amazon S3 にデータを保存する。\n"),
    "plain text": _append("\n\n復習メモ: 特に新しいことはない。\n"),
    "rename": _rename,
    "new note linking all": _new_linking_note,
    "delete": _delete,
}

#: edits that change a handful of pages (moving or removing a note changes the pages
#: that cite it, in a five-note vault most of them)
LOCAL = ("nothing", "relation", "new term", "plain text")


@pytest.mark.parametrize("edit", list(EDITS))
def test_a_build_from_the_cache_is_a_fresh_build(seeds_dir: Path, tmp_path: Path, edit: str) -> None:
    vault = tmp_path / "notes"
    shutil.copytree(seeds_dir, vault)
    warm = tmp_path / "warm"
    first = _build(vault, warm)
    assert first.site.drawn == len(first.site.prerendered)  # an empty cache: every page drawn
    EDITS[edit](vault)
    again = _build(vault, warm)
    fresh = _build(vault, tmp_path / "cold")
    assert _everything(again) == _everything(fresh)
    if edit in LOCAL:  # an edit inside one note: most pages are read back, not drawn
        assert again.site.drawn < len(again.site.prerendered) // 2
    if edit == "nothing":
        assert again.site.drawn == 0


def test_a_user_vocabulary_is_part_of_what_pages_are_drawn_from(seeds_dir: Path, tmp_path: Path) -> None:
    vocab = tmp_path / "terms.yml"
    vocab.write_text("kind: service\nentries:\n  - name: Amazon Foobar Insight\n    aliases: [Foobar]\n"
                     "    category: ml-platform\n", encoding="utf-8")
    vault = tmp_path / "notes"
    shutil.copytree(seeds_dir, vault)
    _append("\n\nFoobar は Amazon S3 を使う。\n")(vault)
    warm = tmp_path / "warm"
    _build(vault, warm)
    with_vocab = _build(vault, warm, (str(vocab),))
    assert _everything(with_vocab) == _everything(_build(vault, tmp_path / "cold", (str(vocab),)))
    assert any("foobar" in p.casefold() for p in with_vocab.site.pages)


def _pack(cache: Path) -> Path:
    (folder,) = (cache / PAGES_DIRNAME).glob("p-*")
    return folder / PAGES_PACK


@pytest.mark.parametrize("cores", [1, 2])
def test_a_damaged_cache_costs_a_redraw_not_the_site(seeds_dir: Path, tmp_path: Path, cores: int,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    if cores > 1:  # pages read back (and damage found) in a forked worker, the cache written here
        import generator.site
        import graph.parallel

        monkeypatch.setattr(generator.site, "PARALLEL_THRESHOLD", 0)
        monkeypatch.setattr(graph.parallel, "cpu_count", lambda: cores)
        monkeypatch.setenv("KGSITE_MEMORY_BUDGET_MB", "100000")
    warm = tmp_path / "warm"
    first = _build(seeds_dir, warm)
    pack = _pack(warm)
    entries = sorted(PackFile(pack).index.values())
    assert len(entries) == len(first.site.prerendered)  # every page
    data = bytearray(pack.read_bytes())
    for i, (offset, length, _) in enumerate(entries):
        if i % 3 == 0:
            data[offset + length // 2] ^= 0xFF  # one byte flipped
        elif i % 3 == 1:
            data[offset:offset + 12] = b"not a pickle"
    pack.write_bytes(bytes(data))
    again = _build(seeds_dir, warm)
    assert _everything(again) == _everything(first)
    assert 0 < again.site.drawn < len(first.site.prerendered)
    # the damaged pages were written afresh: the next build draws nothing
    assert _build(seeds_dir, warm).site.drawn == 0
    pack.write_bytes(pack.read_bytes()[:-100])  # the index cut off: every page is drawn again
    assert _everything(_build(seeds_dir, warm)) == _everything(first)


def test_pages_no_build_uses_are_removed(seeds_dir: Path, tmp_path: Path) -> None:
    vault = tmp_path / "notes"
    shutil.copytree(seeds_dir, vault)
    warm = tmp_path / "warm"
    built = _build(vault, warm)
    assert len(PackFile(_pack(warm)).index) == len(built.site.prerendered)
    for note in sorted(vault.glob("*.md"))[1:]:
        note.unlink()
    smaller = _build(vault, warm)
    assert len(PackFile(_pack(warm)).index) == len(smaller.site.prerendered) < len(built.site.prerendered)


def test_another_version_starts_a_new_folder(tmp_path: Path) -> None:
    one = PageCache(tmp_path, "vocabulary one")
    one.keep_only([(digest("page"), "drawn by one")], {digest("page")})
    assert one.load(digest("page")) == "drawn by one"
    two = PageCache(tmp_path, "vocabulary two")
    assert two.load(digest("page")) is None
    assert not one.folder.exists()  # the old version's pages are gone


def test_a_page_a_worker_found_damaged_is_written_afresh(tmp_path: Path) -> None:
    """Pages are read back in forked workers, which cannot tell this process what they
    found damaged: a page drawn again although the cache holds its key is written again."""
    key = digest("page")
    PageCache(tmp_path).keep_only([(key, "drawn")], {key})
    pack = _pack(tmp_path)
    (offset, length, _), = PackFile(pack).index.values()
    data = bytearray(pack.read_bytes())
    data[offset + length - 1] ^= 0xFF
    pack.write_bytes(bytes(data))
    cache = PageCache(tmp_path)  # as in the build process: it read nothing itself
    cache.keep_only([(key, "drawn")], {key})
    assert PageCache(tmp_path).load(key) == "drawn"


def test_keys_are_the_same_in_every_process(tmp_path: Path) -> None:
    """The key of a page must not depend on the process (string hash seed, shared objects)."""
    name = "Amazon SageMaker"
    value = {"name": name, "aliases": [name, "SageMaker", "".join(["Sage", "Maker"])], "n": 3, "x": (1.5, None)}
    code = ("from generator.pagecache import digest\n"
            "name = 'Amazon SageMaker'\n"
            "print(digest({'name': name, 'aliases': ['Amazon ' + 'SageMaker', 'SageMaker', 'SageMaker'],"
            " 'n': 3, 'x': (1.5, None)}))\n")
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "PYTHONHASHSEED": seed}, cwd=Path(__file__).parents[2])
        assert out.stdout.strip() == digest(value)


def test_links_follow_the_notes_they_name(seeds_dir: Path, tmp_path: Path) -> None:
    """A note's own text is unchanged, but a note it links to appears, and another moves."""
    vault = tmp_path / "notes"
    shutil.copytree(seeds_dir, vault)
    moved = sorted(vault.glob("*.md"))[0]
    (vault / "索引.md").write_text(f"# 索引\n\n- [[まだないノート]]\n- [[{moved.stem}]]\n", encoding="utf-8")
    warm = tmp_path / "warm"
    _build(vault, warm)
    (vault / "まだないノート.md").write_text("# まだないノート\n\n中身。\n", encoding="utf-8")
    (vault / "sub").mkdir()
    moved.rename(vault / "sub" / moved.name)
    again = _build(vault, warm)
    assert _everything(again) == _everything(_build(vault, tmp_path / "cold"))
    index = again.site.text(next(p for p in again.site.pages if p.endswith("索引.md")))
    assert "kg-missing" not in index


def test_the_next_kgsite_build_reads_its_pages_back(tmp_path: Path) -> None:
    """The user's flow, one process per build: build, edit nothing, build again."""
    notes = tmp_path / "notes"
    shutil.copytree(Path(__file__).resolve().parents[1] / "fixtures" / "mini", notes)
    env = {k: v for k, v in os.environ.items() if k != "KGSITE_CACHE_DIR"}
    cmd = [sys.executable, "-m", "generator.cli", "build", "--notes", str(notes), "--site-dir", str(tmp_path / "site")]
    first = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=Path(__file__).parents[2])
    assert "read back" not in first.stdout + first.stderr
    again = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=Path(__file__).parents[2])
    said = again.stdout + again.stderr
    assert "kgsite: drew 0 of" in said
    assert "(0 files written" in said  # the very same site
    assert (tmp_path / ".kgsite-cache" / PAGES_DIRNAME).is_dir()
    # an edit, then the site from the cache is the site from nothing, file for file
    note = sorted(notes.rglob("*.md"))[0]
    note.write_text(note.read_text(encoding="utf-8") + "\n\nAmazon SageMaker は Amazon S3 を使う。検索用の新しい文。\n",
                    encoding="utf-8")
    subprocess.run(cmd, capture_output=True, text=True, env=env, check=True, cwd=Path(__file__).parents[2])
    fresh = tmp_path / "fresh"
    subprocess.run([*cmd[:-1], str(fresh / "site")], capture_output=True, text=True, env=env, check=True,
                   cwd=Path(__file__).parents[2])
    ours = {p.relative_to(tmp_path / "site"): p.read_bytes() for p in (tmp_path / "site").rglob("*") if p.is_file()}
    theirs = {p.relative_to(fresh / "site"): p.read_bytes() for p in (fresh / "site").rglob("*") if p.is_file()}
    assert ours.keys() == theirs.keys()
    assert [p for p in ours if ours[p] != theirs[p]] == []
    assert "検索用の新しい文".encode() in ours[Path("search/search_index.json")].replace("\u200b".encode(), b"")
