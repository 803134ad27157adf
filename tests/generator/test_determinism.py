"""The same notes give the same site byte for byte, and a rebuild rewrites only what changed."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, kgsite


def _tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _assert_same_trees(a: Path, b: Path) -> None:
    ta, tb = _tree(a), _tree(b)
    assert sorted(ta) == sorted(tb)
    differ = [k for k in ta if ta[k] != tb[k]]
    assert not differ, differ[:10]


@pytest.mark.slow
@pytest.mark.parametrize("which", ["examples", "seeds"])
def test_two_builds_into_two_folders_are_byte_identical(which: str, tmp_path: Path, request: pytest.FixtureRequest
                                                        ) -> None:
    notes = EXAMPLES if which == "examples" else request.getfixturevalue("seeds_dir")
    for name in ("one", "two"):
        # separate working folders: separate caches, nothing shared but the notes
        (tmp_path / name).mkdir()
        kgsite("build", "--notes", str(notes), "--site-dir", str(tmp_path / name / "site"), "--strict",
               cwd=tmp_path / name)
    _assert_same_trees(tmp_path / "one" / "site", tmp_path / "two" / "site")
    assert (tmp_path / "one" / "site" / "sitemap.xml.gz").is_file()


def test_rebuild_after_one_edit_reparses_one_note_and_rewrites_only_changed_pages(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(EXAMPLES, vault)
    site = tmp_path / "site"
    first = kgsite("build", "--notes", str(vault), "--site-dir", str(site), cwd=tmp_path)
    assert "first build" in first.stderr
    cache = tmp_path / ".kgsite-cache"
    assert json.loads((cache / "changes.json").read_text(encoding="utf-8"))["first_build"] is True
    stats = {p: p.stat() for p in site.rglob("*.html")}
    # a no-op rebuild parses nothing (disk cache) and writes nothing
    again = kgsite("build", "--notes", str(vault), "--site-dir", str(site), cwd=tmp_path)
    assert "no change to the graph (re-parsed 0 note(s))" in again.stderr
    assert "0 files written" in again.stdout
    # edit one note: one parse, its page rewritten, unrelated pages untouched
    note = sorted(vault.rglob("*.md"))[0]
    extra = "\n\n## 追記\n\nAmazon Kinesis Data Firehose と新しい用語 Zyxwv.\n"
    note.write_text(note.read_text(encoding="utf-8") + extra, encoding="utf-8")
    edited = kgsite("build", "--notes", str(vault), "--site-dir", str(site), cwd=tmp_path)
    changes = json.loads((cache / "changes.json").read_text(encoding="utf-8"))
    assert changes["reparsed"] == [note.relative_to(vault).as_posix()]
    assert changes["first_build"] is False
    assert changes["edges_added"], changes
    assert "re-parsed 1 note(s)" in edited.stderr
    rewritten = [p for p, st in stats.items() if p.stat().st_mtime_ns != st.st_mtime_ns]
    untouched = [p for p, st in stats.items()
                 if p.stat().st_ino == st.st_ino and p.stat().st_mtime_ns == st.st_mtime_ns]
    assert rewritten and len(untouched) > len(rewritten)
    # deleting the cache is allowed: the next build parses everything again, same output
    before = _tree(site)
    shutil.rmtree(cache)
    kgsite("build", "--notes", str(vault), "--site-dir", str(site), cwd=tmp_path)
    assert _tree(site) == before
    assert len(json.loads((cache / "changes.json").read_text(encoding="utf-8"))["reparsed"]) == len(
        list(vault.rglob("*.md")))
