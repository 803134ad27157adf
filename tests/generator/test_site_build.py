"""Real builds through the CLI and the MkDocs plugin, asserting on what a reader sees."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import EVAL, FIXTURES, ROOT, kgsite

MINI = FIXTURES / "mini"


def _html(site: Path, rel: str) -> str:
    return (site / rel).read_text(encoding="utf-8")


def test_cli_build_of_small_vault_renders_entity_and_note_pages(tmp_path: Path) -> None:
    site = tmp_path / "site"
    kgsite("build", "--notes", str(MINI), "--site-dir", str(site), "--strict", cwd=tmp_path)
    s3 = _html(site, "services/amazon-s3/index.html")
    assert "Amazon S3" in s3
    # the flow S3 → Glue: Glue reads from S3, so S3 lists Glue under "used by" with the
    # quote linking to the note's line anchor
    assert "使われる (used by)" in s3
    assert re.search(r'href="[^"]*notes/pipelines/#L3"', s3)
    note = _html(site, "notes/monitoring/index.html")
    assert 'id="L9"' in note
    assert re.search(r'<a href="[^"]*services/amazon-s3/">Amazon S3</a>', note)
    # wikilink to an existing note becomes a link, to a missing one a marked span
    assert re.search(r'href="[^"]*pipelines/"[^>]*>データ処理</a>', note)
    assert "kg-missing" in note
    # code blocks stay verbatim: no link inside the fence
    pipe = _html(site, "notes/pipelines/index.html")
    code = pipe[pipe.index("<code"):pipe.index("</code>")]
    assert "href" not in code


def test_map_assets_are_local(tmp_path: Path) -> None:
    site = tmp_path / "site"
    kgsite("build", "--notes", str(MINI), "--site-dir", str(site), cwd=tmp_path)
    page = _html(site, "map/index.html")
    assert "vis-network.min.js" in page
    assert (site / "assets/kgsite/vis-network.min.js").stat().st_size > 100_000
    for html_file in site.rglob("*.html"):
        text = html_file.read_text(encoding="utf-8")
        assert not re.search(r'<script[^>]+src="(https?:)?//', text), html_file
    data = _html(site, "assets/kgsite/graph-data.js")
    assert data.startswith("window.KGSITE_GRAPH = ")
    graph = json.loads(data[len("window.KGSITE_GRAPH = "):].rstrip().rstrip(";"))
    assert {n["id"] for n in graph["nodes"]} >= {"amazon-s3", "aws-glue", "note:monitoring.md"}
    assert all("x" in n and "y" in n for n in graph["nodes"])


def test_plugin_through_plain_mkdocs_build(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# Home\n\n<!-- kgsite:stats -->\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\ntheme: {name: material, language: ja}\n"
        f"plugins:\n  - search\n  - knowledge-graph:\n      notes: {MINI}\n", encoding="utf-8")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(tmp_path / "out")],
                          cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    home = _html(tmp_path / "out", "index.html")
    assert "<td" in home and "サービス" in home  # the stats table replaced the marker
    assert (tmp_path / "out/notes/monitoring/index.html").is_file()
    assert not (tmp_path / "docs" / "notes").exists()  # nothing written into docs_dir


def test_export_runs_with_score_script(seeds_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.json"
    kgsite("export", "--notes", str(seeds_dir), "--format", "json", "-o", str(out))
    score = EVAL / "score.py"
    proc = subprocess.run([sys.executable, str(score), str(out), str(EVAL / "gold-dev.yml"), "--show", "0"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert re.search(r"entity_f1=\d\.\d+ relation_f1=\d\.\d+", proc.stdout.splitlines()[-1])


def test_seeds_site_builds_strict_with_relations_and_evidence(seeds_site: Path) -> None:
    data = json.loads(kgsite("export", "--notes", str(ROOT.parent / "shared" / "seeds"), "--format", "json").stdout)
    edges = [e for e in data["edges"] if e["relation"] in ("uses", "monitors", "alternative-to")]
    assert len(edges) >= 30
    by_id = {n["id"]: n for n in data["nodes"]}
    # every typed edge is shown on its source's page with its first quote
    checked = 0
    for e in edges[:40]:
        src = by_id[e["source"]]
        kind_dir = {"service": "services", "concept": "concepts"}[src["kind"]]
        from graph.slug import slugify
        page = seeds_site / kind_dir / slugify(e["source"]) / "index.html"
        text = page.read_text(encoding="utf-8")
        assert by_id[e["target"]]["name"].replace("&", "&amp;") in text
        checked += 1
    assert checked >= 30
    for n in data["nodes"]:
        if n["kind"] == "note":
            continue
        assert n["notes"], n["id"]
