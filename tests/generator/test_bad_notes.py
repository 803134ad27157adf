"""Every kind of bad note from the issue: a diagnostic naming the file (and line), and the
rest of the site still builds; ``--strict`` turns the warnings into a failed build."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin

import pytest

from generator.pipeline import build_result
from graph.loading import MAX_NOTE_BYTES, decode, load_vault
from tests.conftest import kgsite
from tests.generator.badvault import make_bad_vault


def _tree_digest(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def bad(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    """The bad vault built once (not strict) through the real CLI: vault, site, console."""
    root = tmp_path_factory.mktemp("bad")
    vault = make_bad_vault(root)
    before = _tree_digest(vault)
    site = root / "site"
    proc = kgsite("build", "--notes", str(vault), "--site-dir", str(site), cwd=root)
    assert _tree_digest(vault) == before  # the notes were only read
    return vault, site, proc.stdout + proc.stderr


def _diag(console: str, where: str, code: str) -> None:
    assert re.search(rf"{re.escape(where)}\S*: (warning|info|error): .*\[{code}\]", console), (where, code)


def test_each_bad_input_is_reported_with_file_and_line(bad: tuple[Path, Path, str]) -> None:
    _, _, console = bad
    _diag(console, "invalid_utf8.md:4", "encoding-invalid")
    _diag(console, "shift_jis.md:1", "encoding-cp932")
    _diag(console, "binary.md", "binary-file")
    _diag(console, "empty.md", "empty-note")
    _diag(console, "huge.md", "note-too-large")
    _diag(console, "bad_front_matter.md:3", "front-matter-invalid")
    _diag(console, "links.md:3", "ambiguous-link")
    _diag(console, "zenn_obsidian.md:17", "dangling-link")
    # a BOM and CRLF are repaired silently
    # (the change report may list their nodes; what must not appear is a problem about them)
    assert not re.search(r"\b(?:bom|crlf)\.md(?::\d+)?: (?:info|warning|error)", console), console


def test_bad_notes_still_give_pages(bad: tuple[Path, Path, str]) -> None:
    _, site, _ = bad
    notes = site / "notes"
    sjis = (notes / "shift_jis/index.html").read_text(encoding="utf-8")
    assert "シフトJIS のノート" in sjis
    bom = (notes / "bom/index.html").read_text(encoding="utf-8")
    assert "\ufeff" not in bom and "BOM 付き</h1>" in bom
    crlf = (notes / "crlf/index.html").read_text(encoding="utf-8")
    assert "\r" not in crlf and "メモ" in crlf
    broken = (notes / "invalid_utf8/index.html").read_text(encoding="utf-8")
    assert "\ufffd" in broken and "AWS Glue" in broken
    assert (notes / "empty/index.html").is_file()
    assert not (notes / "binary").exists()  # skipped, no page
    front = (notes / "bad_front_matter/index.html").read_text(encoding="utf-8")
    assert "本文は" in front  # the body is still used
    ragged = (notes / "ragged_table/index.html").read_text(encoding="utf-8")
    assert "<table>" in ragged and "Amazon Athena" in ragged
    deep = (notes / "deep_list/index.html").read_text(encoding="utf-8")
    assert "レベル 49" in deep
    huge = (notes / "huge/index.html")
    assert huge.is_file() and huge.stat().st_size < 40 * MAX_NOTE_BYTES
    # same name in two folders: two pages
    assert "同名 A" in (notes / "a/same/index.html").read_text(encoding="utf-8")
    assert "同名 B" in (notes / "b/same/index.html").read_text(encoding="utf-8")


def test_zenn_and_obsidian_syntax_stays_readable_and_escaped(bad: tuple[Path, Path, str]) -> None:
    _, site, _ = bad
    page = (site / "notes/zenn_obsidian/index.html").read_text(encoding="utf-8")
    assert ":::" not in page
    assert 'class="admonition note"' in page and 'class="admonition warning"' in page
    assert 'id="^athena-note"' in page and "^athena-note" not in re.sub(r'id="[^"]*"', "", page)
    assert re.search(r'kg-missing[^>]*>存在しないノート<', page)  # dangling: text marked missing
    assert re.search(r'<a href="[^"]*ragged_table/#[^"]*"[^>]*>表の例</a>', page)  # |alias and #heading


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs.extend(v for k, v in attrs if k == "href" and v)


def test_links_to_odd_file_names_reach_existing_pages(bad: tuple[Path, Path, str]) -> None:
    _, site, _ = bad
    page = site / "notes/links/index.html"
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    base = "http://x/notes/links/"
    targets = set()
    for href in parser.hrefs:
        if href.startswith(("http:", "https:", "#")) or "/notes/" not in urljoin(base, href):
            continue
        path = unquote(urljoin(base, href).split("#")[0].removeprefix("http://x/"))
        targets.add(path)
        assert (site / path / "index.html").is_file() or (site / path).is_file(), href
    for expected in ("file-with-spaces", "日本語ノート", "emoji-note", "odd-chars", "a/same", "b/same"):
        assert f"notes/{expected}/" in targets, (expected, targets)


def test_strict_fails_and_keeps_the_previous_site(tmp_path: Path) -> None:
    vault = make_bad_vault(tmp_path, huge=False)
    site = tmp_path / "site"
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "ok.md").write_text("# OK\n\nAmazon S3 のメモ。\n", encoding="utf-8")
    kgsite("build", "--notes", str(tmp_path / "good"), "--site-dir", str(site), "--strict", cwd=tmp_path)
    before = _tree_digest(site)
    proc = kgsite("build", "--notes", str(vault), "--site-dir", str(site), "--strict", cwd=tmp_path, check=False)
    assert proc.returncode == 1
    assert "strict mode" in proc.stderr and "left as it was" in proc.stderr
    assert _tree_digest(site) == before
    assert not [p for p in tmp_path.iterdir() if "kgsite-build" in p.name]  # no temp folder left behind


def test_refuses_a_site_dir_that_would_delete_notes(tmp_path: Path) -> None:
    vault = make_bad_vault(tmp_path, huge=False)
    before = _tree_digest(vault)
    proc = kgsite("build", "--notes", str(vault), "--site-dir", str(vault), cwd=tmp_path, check=False)
    assert proc.returncode == 2 and "contains the notes folder" in proc.stderr
    other = tmp_path / "docs-of-mine"
    other.mkdir()
    (other / "thesis.txt").write_text("precious", encoding="utf-8")
    proc = kgsite("build", "--notes", str(vault), "--site-dir", str(other), cwd=tmp_path, check=False)
    assert proc.returncode == 2 and (other / "thesis.txt").read_text(encoding="utf-8") == "precious"
    assert _tree_digest(vault) == before


def test_check_lists_merges_ambiguity_and_dangling_links(tmp_path: Path) -> None:
    vault = make_bad_vault(tmp_path, huge=False)
    proc = kgsite("check", "--notes", str(vault), cwd=tmp_path, check=False)
    out = proc.stdout
    assert re.search(r"ambiguous \(1\)", out) and "links.md:3: warning: [[same]] matches 2 notes" in out
    assert re.search(r"zenn_obsidian\.md:17: info: \[\[存在しないノート\]\]", out)
    data = json.loads(kgsite("check", "--notes", str(vault), "--json", cwd=tmp_path, check=False).stdout)
    assert {d["note"] for d in data["dangling"]} >= {"zenn_obsidian.md"}
    assert all(d["line"] >= 1 for d in data["dangling"] + data["ambiguous"])
    assert kgsite("check", "--notes", str(vault), "--strict", cwd=tmp_path, check=False).returncode == 1


def test_decode_repairs() -> None:
    text, diags = decode(b"\xef\xbb\xbfa\r\nb\rc\nd", "x.md")
    assert text == "a\nb\nc\nd" and not diags
    text, diags = decode("一行目\n二行目\n".encode() + b"\x80\x80\n", "x.md")
    assert diags[0].code == "encoding-invalid" and diags[0].line == 3 and text.startswith("一行目")
    text, diags = decode("機械学習のノート\n".encode("cp932"), "x.md")
    assert text == "機械学習のノート\n" and diags[0].code == "encoding-cp932"


def test_huge_note_is_cut_at_a_line_break(tmp_path: Path) -> None:
    (tmp_path / "big.md").write_bytes(("あ" * 99 + "\n").encode() * (MAX_NOTE_BYTES // 200))
    vault = load_vault(tmp_path)
    note = vault.notes[0]
    assert note.text.endswith("あ\n") and len(note.text.encode()) <= MAX_NOTE_BYTES
    assert [d.code for d in note.diagnostics] == ["note-too-large"]
    result, _, _ = build_result(tmp_path)
    assert any(d.code == "note-too-large" for d in result.diagnostics)
