"""The map's layout computed by a forked child while the build goes on: the same map."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator import pipeline
from generator.pipeline import build_site
from graph.parallel import can_fork


def test_a_deferred_map_is_the_map(seeds_dir: Path, tmp_path: Path) -> None:
    if not can_fork():
        pytest.skip("this process has other threads: nothing is forked")
    vault = tmp_path / "notes"
    shutil.copytree(seeds_dir, vault)
    pipeline._CACHES.clear()
    now = build_site(vault).site
    pipeline._CACHES.clear()
    later = build_site(vault, defer_map=True).site
    assert later.pending_map is not None  # the seeds give 478 pages: a child computes the layout
    assert later.map_asset not in later.assets
    assert later.finish_map() == now.assets[now.map_asset]
    assert later.positions == now.positions
    assert later.assets == now.assets
    assert later.finish_map() == now.assets[now.map_asset]  # asked again: the same, nothing recomputed


def test_a_deferred_map_from_the_cache_is_the_map(seeds_dir: Path, tmp_path: Path) -> None:
    """The child stores the layout in the page cache; the next build reads it back."""
    if not can_fork():
        pytest.skip("this process has other threads: nothing is forked")
    cache = tmp_path / "cache"
    pipeline._CACHES.clear()
    first = build_site(seeds_dir, cache_dir=cache, defer_map=True).site
    first.finish_map()
    pipeline._CACHES.clear()
    again = build_site(seeds_dir, cache_dir=cache, defer_map=True).site
    assert again.finish_map() == first.assets[first.map_asset]
    assert again.positions == first.positions


def test_a_layout_slower_than_the_pages_is_written_after_them(seeds_dir: Path, seeds_site: Path, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """MkDocs copies the other files before writing pages; a layout not done by then is
    written once the pages are, and the site is the site."""
    if not can_fork():
        pytest.skip("this process has other threads: nothing is forked")
    import time

    from generator import site as site_module
    from generator.cli import main

    slow_layout = site_module.compute_layout

    def slower(*args: object, **kwargs: object) -> object:
        time.sleep(3)  # (in the forked child)
        return slow_layout(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(site_module, "compute_layout", slower)
    from mkdocs.structure.files import Files

    removed: list[str] = []
    remove = Files.remove

    def noted(self: Files, file: object) -> None:
        removed.append(str(getattr(file, "src_uri", "")))
        remove(self, file)  # type: ignore[arg-type]

    monkeypatch.setattr(Files, "remove", noted)
    monkeypatch.setenv("KGSITE_CACHE_DIR", str(tmp_path / "cache"))
    out = tmp_path / "site"
    assert main(["build", "--notes", str(seeds_dir), "--site-dir", str(out), "--quiet"]) == 0
    data = "assets/kgsite/graph-data.js"
    assert removed == [data]  # left out of MkDocs' copy: the layout was not done
    assert (out / data).read_bytes() == (seeds_site / data).read_bytes()
    assert sorted(p.relative_to(out) for p in out.rglob("*")) == sorted(p.relative_to(seeds_site)
                                                                      for p in seeds_site.rglob("*"))
