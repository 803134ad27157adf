"""Pages filled into the theme rendered once per kind of page are the pages the theme
renders one by one, byte for byte; a theme that reads more of a page than the filled-in
parts is caught and renders in full (real CLI builds of the seeds and the example vault)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import default_config
from tests.conftest import EXAMPLES, ROOT

pytestmark = pytest.mark.slow
FILLED = re.compile(r"kgsite: (\d+) generated pages filled into the theme rendered once per kind of page, "
                    r"(\d+) rendered in full")


def _build(notes: Path, site: Path, config: Path) -> tuple[int, int]:
    """Builds; returns (pages filled in, pages rendered in full) as the build reports them."""
    env = {k: v for k, v in os.environ.items() if k not in ("KGSITE_CACHE_DIR", "KGSITE_PREVIOUS_SITE")}
    proc = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--notes", str(notes), "--site-dir",
                           str(site), "--config", str(config), "--strict"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    said = proc.stdout + proc.stderr
    assert proc.returncode == 0, said
    m = FILLED.search(said)
    return (int(m.group(1)), int(m.group(2))) if m else (0, 0)


def _project(where: Path, source: Path, fast: bool, main_html: str = "") -> Path:
    """A copy of a project's mkdocs.yml (and docs), with ``fast_theme`` set and, given
    ``main_html``, a theme override folder holding it."""
    shutil.copytree(source.parent / "docs", where / "docs", ignore=shutil.ignore_patterns("notes"))
    config = where / source.name
    text = source.read_text(encoding="utf-8")
    text = re.sub(r"(\n  - knowledge-graph:\n)", rf"\1      fast_theme: {'true' if fast else 'false'}\n", text)
    assert "fast_theme" in text
    if main_html:
        (where / "overrides").mkdir()
        (where / "overrides" / "main.html").write_text(main_html, encoding="utf-8")
        text = text.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n", 1)
        assert "custom_dir" in text
    config.write_text(text, encoding="utf-8")
    return config


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _same(a: Path, b: Path) -> None:
    ours, theirs = _files(a), _files(b)
    assert ours.keys() == theirs.keys()
    assert [p for p in ours if ours[p] != theirs[p]] == []


@pytest.mark.parametrize("vault", ["seeds", "example"])
def test_filled_pages_are_the_pages_the_theme_renders(vault: str, seeds_dir: Path, tmp_path: Path) -> None:
    notes, config = (seeds_dir, default_config()) if vault == "seeds" else (EXAMPLES, ROOT / "mkdocs.yml")
    filled, full = _build(notes, tmp_path / "fast" / "site", _project(tmp_path / "p-fast", config, True))
    assert _build(notes, tmp_path / "slow" / "site", _project(tmp_path / "p-slow", config, False)) == (0, 0)
    _same(tmp_path / "fast" / "site", tmp_path / "slow" / "site")
    # nearly every generated page (notes in several folders, with and without tags; terms)
    # was filled in; the first two of each kind were rendered in full to check the skeleton
    assert filled > 3 * full > 0, (filled, full)


@pytest.mark.parametrize(("printed", "fills"), [
    # each page's address, its title's length: not parts a skeleton fills in
    ("{{ page.url }} {{ page.title | length }}", False),
    # the title through a filter: a skeleton would print the raw title
    ("{{ page.meta.title | upper }}", False),
    # a question about the page's HTML: asked of each page, which is filled in only where
    # the answer is the one the skeleton was rendered with
    ('{% if "kg-line" in page.content %}行番号あり{% endif %}', True),
])
def test_a_theme_reading_more_of_a_page_gets_the_pages_it_renders(printed: str, fills: bool, seeds_dir: Path,
                                                                   tmp_path: Path) -> None:
    main_html = ('{% extends "base.html" %}{% block content %}{{ super() }}'
                 f'<p class="where">{printed}</p>{{% endblock %}}')
    filled, full = _build(seeds_dir, tmp_path / "fast" / "site",
                          _project(tmp_path / "p-fast", default_config(), True, main_html))
    _build(seeds_dir, tmp_path / "slow" / "site", _project(tmp_path / "p-slow", default_config(), False, main_html))
    _same(tmp_path / "fast" / "site", tmp_path / "slow" / "site")
    assert (filled > 0) == fills and full > 0, (filled, full)
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "fast" / "site").rglob("index.html")]
    assert any('class="where">' in p for p in pages)
    if "kg-line" in printed:  # both answers occur: note pages have line anchors, term pages not
        assert any('class="where">行番号あり<' in p for p in pages)
        assert any('class="where"></p>' in p for p in pages)


def test_a_theme_without_materials_partials_builds_the_same_site(seeds_dir: Path, tmp_path: Path) -> None:
    """MkDocs' own theme has no ``partials/toc.html`` nor translations: nothing breaks,
    and what its template reads of a page is checked like any other theme's."""
    sites = []
    for fast in (True, False):
        config = _project(tmp_path / f"p-{fast}", default_config(), fast)
        text = re.sub(r"theme:\n(?:  .*\n)+", "theme:\n  name: mkdocs\n", config.read_text(encoding="utf-8"))
        assert "name: mkdocs" in text and "material" not in text
        config.write_text(text.replace("  - tags\n", ""), encoding="utf-8")
        sites.append(tmp_path / f"site-{fast}")
        _build(seeds_dir, sites[-1], config)
    _same(*sites)
