"""The benchmark's own helpers: baseline project, synthetic map graphs, results files."""

from __future__ import annotations

import importlib.util
import json
import math
import sys
from pathlib import Path

import networkx as nx

from benchmarks.run import (
    REPO,
    Bench,
    _without_kgsite,
    compile_kgsite,
    dir_size,
    plain_mkdocs_project,
    scaled_graph,
    write_results,
)
from generator.cli import default_config
from graph.build import build_graph


def test_plain_project_keeps_the_theme_and_drops_the_plugin(examples_dir: Path, tmp_path: Path) -> None:
    cfg = plain_mkdocs_project(examples_dir, tmp_path / "plain")
    text = cfg.read_text(encoding="utf-8")
    assert "knowledge-graph" not in text and "KGSITE_NOTES" not in text
    original = default_config().read_text(encoding="utf-8")
    theme = original[original.index("theme:"):original.index("plugins:")]
    assert theme in text  # same Material settings, byte for byte
    assert "nav:\n  - ホーム: index.md\n  - ノート: notes/index.md\n" in text
    notes = sorted(p.relative_to(examples_dir) for p in examples_dir.rglob("*.md"))
    copied = sorted(p.relative_to(tmp_path / "plain" / "docs" / "notes")
                    for p in (tmp_path / "plain" / "docs" / "notes").rglob("*.md") if p.name != "index.md")
    assert copied == [n for n in notes if n.name != "index.md"]
    listing = (tmp_path / "plain" / "docs" / "notes" / "index.md").read_text(encoding="utf-8")
    assert listing.count("](") == len(copied)


def test_config_editing_only_removes_the_plugin_block() -> None:
    text = "a: 1\nplugins:\n  - search:\n      lang: ja\n  - knowledge-graph:\n      notes: x\n  - tags\nnav:\n" \
           "  - A: a.md\nz: 2\n"
    assert _without_kgsite(text) == "a: 1\nplugins:\n  - search:\n      lang: ja\n  - tags\nnav:\nz: 2\n"


def test_scaled_graph_has_the_size_and_shape_asked_for(examples_dir: Path) -> None:
    base = build_graph(examples_dir).graph
    g = scaled_graph(base, 400)
    assert abs(g.number_of_nodes() - 400) <= 2
    kinds = nx.get_node_attributes(g, "kind")
    assert set(kinds.values()) >= {"note", "service"}
    assert all(k in {"links-to", "mentions", "uses", "monitors", "alternative-to", "part-of"}
               for *_, k in g.edges(keys=True))
    assert scaled_graph(base, 400).edges(keys=True) == g.edges(keys=True)  # seeded


def test_results_hold_every_figure_with_its_ratio(tmp_path: Path) -> None:
    b = Bench(tmp_path, runs=3, full=False, browser=False, serve=False)
    fig = b.add("build", "x", [3.0, 1.0, 2.0], "s", "plain", [4.0, 4.0, 8.0], "<= 1.3x", lambda v, r: r <= 1.3)
    assert (fig.value, fig.baseline_value, fig.ratio, fig.holds) == (2.0, 4.0, 0.5, True)
    table = write_results(b, {"full": False})
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert data["figures"][0]["runs"] == [3.0, 1.0, 2.0]
    assert "| build | x | 2 s |" in table and (tmp_path / "results.md").read_text(encoding="utf-8") == table
    assert math.isfinite(data["figures"][0]["ratio"])


def test_alternating_runs_are_also_compared_pair_by_pair(tmp_path: Path) -> None:
    b = Bench(tmp_path, runs=3, full=False, browser=False, serve=False)
    fig = b.add("build", "x", [3.0, 1.0, 2.0], "s", "plain", [4.0, 4.0, 8.0], "<= 1.3x", lambda v, r: r <= 1.3,
                note="3 notes", paired=True)
    assert fig.pair_ratios == (0.75, 0.25, 0.25) and fig.ratio == 0.5  # the verdict is still the medians'
    assert fig.note == "3 notes; run by run: 0.75, 0.25, 0.25"
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8")) if write_results(b, {}) else {}
    assert data["figures"][0]["baseline_runs"] == [4.0, 4.0, 8.0]
    assert b.add("map", "x", [1.0], "s", "pyvis", [2.0]).pair_ratios == ()


def test_dir_size_counts_bytes_and_pages(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "index.html").write_text("12345")
    (tmp_path / "x.js").write_text("123")
    (tmp_path / "assets" / "javascripts").mkdir(parents=True)
    (tmp_path / "assets" / "javascripts" / "bundle.js").write_text("1234567")
    (tmp_path / "vis-network.min.js").write_text("12")
    assert dir_size(tmp_path) == (17, 1, 8)


def test_tree_memory_counts_pages_shared_by_a_forked_child_once(tmp_path: Path) -> None:
    from benchmarks.run import run_process

    # 200 MB touched by the parent, then a forked child that only waits: RSS counts the
    # pages in both processes, PSS splits them between the two
    code = ("import os, time\nb = bytearray(200 * 2**20)\nfor i in range(0, len(b), 4096): b[i] = 1\n"
            "pid = os.fork()\ntime.sleep(2.0)\nif pid: os.waitpid(pid, 0)\nelse: os._exit(0)\n")
    r = run_process([sys.executable, "-c", code], tmp_path)
    assert r.returncode == 0
    assert r.tree_rss_mb > 380
    assert 190 < r.tree_pss_mb < 0.75 * r.tree_rss_mb


def test_kgsite_is_measured_with_its_modules_compiled() -> None:
    """As pip leaves an installed package: each module's bytecode where the import looks for it."""
    compile_kgsite()
    sources = sorted((REPO / "graph").glob("*.py")) + sorted((REPO / "generator").glob("*.py"))
    assert len(sources) > 40
    for source in sources:
        cached = Path(importlib.util.cache_from_source(str(source)))
        assert cached.is_file() and cached.stat().st_mtime >= source.stat().st_mtime, source.name
