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
