"""``kgsite build`` reuses the previous site's wrapping of a page in the theme only when
nothing the wrapping shows changed: the site it writes is always the site a build from
nothing writes, file for file (real CLI runs on the seed notes)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import default_config
from tests.conftest import ROOT

REUSED = re.compile(r"kgsite: (\d+) of (\d+) generated pages were unchanged in the theme too")


def _build(notes: Path, site: Path, *extra: str) -> str:
    env = {k: v for k, v in os.environ.items() if k not in ("KGSITE_CACHE_DIR", "KGSITE_PREVIOUS_SITE")}
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--notes", str(notes), "--site-dir",
                           str(site), *extra], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout + proc.stderr


def _files(site: Path) -> dict[Path, bytes]:
    return {p.relative_to(site): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _same_site(a: Path, b: Path) -> None:
    ours, theirs = _files(a), _files(b)
    assert ours.keys() == theirs.keys()
    assert [p for p in ours if ours[p] != theirs[p]] == []


def _reused(said: str) -> int:
    m = REUSED.search(said)
    return int(m.group(1)) if m else 0


@pytest.fixture
def vault(seeds_dir: Path, tmp_path: Path) -> Path:
    notes = tmp_path / "notes"
    shutil.copytree(seeds_dir, notes)
    return notes


@pytest.mark.slow
def test_a_rebuild_reuses_wrapped_pages_and_equals_a_fresh_build(vault: Path, tmp_path: Path) -> None:
    site = tmp_path / "work" / "site"
    assert _reused(_build(vault, site)) == 0  # nothing to reuse yet
    note = sorted(vault.glob("*.md"))[1]
    note.write_text(note.read_text(encoding="utf-8") + "\n\nテーマ確認: SageMaker は S3 を使う。\n", encoding="utf-8")
    said = _build(vault, site)
    total = int(REUSED.search(said).group(2)) if REUSED.search(said) else 0
    # most pages are the same; the note's own page and the terms it names are not
    assert 0 < _reused(said) < total, said[-2000:]
    _build(vault, tmp_path / "fresh" / "site")
    _same_site(site, tmp_path / "fresh" / "site")


@pytest.mark.slow
def test_a_new_site_name_wraps_every_page_again(vault: Path, tmp_path: Path) -> None:
    project = tmp_path / "project"
    shutil.copytree(default_config().parent, project)
    config = project / "mkdocs.yml"
    site = tmp_path / "work" / "site"
    _build(vault, site, "--config", str(config))
    config.write_text(config.read_text(encoding="utf-8").replace("site_name: ノートの知識グラフ",
                                                                "site_name: 新しいサイト名"), encoding="utf-8")
    said = _build(vault, site, "--config", str(config))
    assert _reused(said) == 0
    page = next(p for p in site.rglob("index.html") if "services" in p.parts and p.parent.name != "services")
    assert "新しいサイト名" in page.read_text(encoding="utf-8")
    _build(vault, tmp_path / "fresh" / "site", "--config", str(config))
    _same_site(site, tmp_path / "fresh" / "site")


@pytest.mark.slow
def test_a_page_changed_in_the_previous_site_is_not_reused(vault: Path, tmp_path: Path) -> None:
    site = tmp_path / "work" / "site"
    _build(vault, site)
    pages = sorted(p for p in site.rglob("index.html") if "notes" in p.parts and p.parent.name != "notes")
    tampered = pages[0]
    tampered.write_text(tampered.read_text(encoding="utf-8").replace("</body>", "<p>書き換え</p></body>"),
                        encoding="utf-8")
    said = _build(vault, site)
    assert _reused(said) > 0
    assert "書き換え" not in tampered.read_text(encoding="utf-8")
    _build(vault, tmp_path / "fresh" / "site")
    _same_site(site, tmp_path / "fresh" / "site")
