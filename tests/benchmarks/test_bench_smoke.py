"""The reduced benchmark end to end on a small synthetic vault (no timing is asserted)."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.run import CHROMIUM, MAKE_CORPUS, REPO

FIGURES = {"extraction", "build", "peak_rss", "peak_pss", "site_size", "site_growth_exponent", "edit_graph_pages",
           "edit_serve", "edit_serve_all", "edit_serve_ahead", "edit_serve_rebuilt", "map_layout", "map_html_size",
           "map_first_draw"}


@pytest.mark.slow
def test_reduced_benchmark_reports_every_figure_with_a_ratio(tmp_path: Path) -> None:
    if not MAKE_CORPUS.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{MAKE_CORPUS} not found")
        pytest.skip(f"{MAKE_CORPUS} not found")
    # two corpus sizes, so that the site-growth figure has two points
    args = ["--sizes", "20,40", "--map-nodes", "150,300", "--runs", "1", "--no-seeds", "--out", str(tmp_path / "bench")]
    wanted = set(FIGURES)
    if not Path(CHROMIUM).exists():
        args.append("--no-browser")
        wanted.discard("map_first_draw")
    proc = subprocess.run([sys.executable, "-m", "benchmarks.run", *args], cwd=REPO, capture_output=True, text=True,
                          timeout=1800)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    data = json.loads((tmp_path / "bench" / "results.json").read_text(encoding="utf-8"))
    assert data["skipped"] == []
    names = {f["name"] for f in data["figures"]}
    assert names >= wanted, wanted - names
    for f in data["figures"]:
        assert isinstance(f["ratio"], float) and math.isfinite(f["ratio"]), f
        assert isinstance(f["value"], float | int) and f["runs"], f
    vaults = {f["vault"] for f in data["figures"] if f["name"] == "build"}
    assert vaults == {"20 notes", "40 notes"}
    assert len({f["vault"] for f in data["figures"] if f["name"] == "map_layout"}) == 2
    table = (tmp_path / "bench" / "results.md").read_text(encoding="utf-8")
    assert all(name in table for name in wanted)
