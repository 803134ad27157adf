"""While serving, pages whose inputs did not change are taken from the last build; after
an edit every page must read exactly as in a fresh build of the edited notes."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import networkx as nx
import pytest

from generator import pipeline, site
from generator.mapview import graph_data_js
from generator.paths import Layout
from generator.pipeline import build_site

EDITS = [
    "\n\nAmazon SageMaker Model Monitor は Amazon CloudWatch にメトリクスを送信する。\n",
    "\n\n## Amazon Foobar Insight\n\nAmazon Foobar Insight は Amazon S3 にデータを保存する。[[MLA 学習]]\n",
    "\n\n復習メモ: 特に新しいことはない。\n",
]


def _fresh(vault: Path) -> dict[str, str]:
    pipeline._CACHES.clear()
    s = build_site(vault).site
    return {p: s.text(p) for p in s.pages}


@pytest.fixture
def watcher() -> Iterator[None]:
    """A second thread, as ``kgsite serve`` has (its file watcher): the build stays in one
    process, so a page taken from the last build is the very same object."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join()


def _retitle(text: str) -> str:
    """The note's title changes (term pages cite notes by title)."""
    lines = text.splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines) if line.startswith(("title:", "# ")))  # front matter first
    lines[at] = "title: 改題したノート\n" if lines[at].startswith("title:") else "# 改題したノート\n"
    return "".join(lines)


def _halve(text: str) -> str:
    """Half the note gone: mentions, relations and terms disappear, degrees drop."""
    lines = text.splitlines(keepends=True)
    return "".join(lines[: len(lines) // 2])


REWRITES = [_retitle, _halve, lambda text: ""]


@pytest.fixture(autouse=True)
def _fresh_state() -> Iterator[None]:
    site._DRAWN.clear()
    site._BEFORE.clear()
    site._MAP.clear()
    yield


@pytest.mark.parametrize("edit", [*EDITS, *REWRITES])
@pytest.mark.usefixtures("watcher")
def test_pages_after_an_edit_read_as_in_a_fresh_build(seeds_dir: Path, tmp_path: Path,
                                                      edit: str | Callable[[str], str]) -> None:
    vault = tmp_path / "notes"
    shutil.copytree(seeds_dir, vault)
    pipeline._CACHES.clear()
    build_site(vault, keep_layout=True)
    note = sorted(vault.glob("*.md"))[2]
    text = note.read_text(encoding="utf-8")
    note.write_text(text + edit if isinstance(edit, str) else edit(text), encoding="utf-8")
    kept_before = dict(site._DRAWN)
    built = build_site(vault, keep_layout=True)
    after = built.site
    served = {p: after.text(p) for p in after.pages}
    # many pages were taken as they were, not drawn again (a new term touches its neighbours' pages)
    same_object = sum(1 for p, (_, d) in site._DRAWN.items() if p in kept_before and kept_before[p][1] is d)
    assert same_object > len(served) // 3 or edit is _retitle  # a title is cited on many pages
    assert served == _fresh(vault)
    # the map's data, its nodes and edges partly taken from the last build, is what drawing
    # it whole at the same positions gives
    graph = built.result.graph
    layout = Layout().with_pages([d.path for d in built.result.documents],
                                 [(str(n), str(d["kind"])) for n, d in graph.nodes(data=True) if d["kind"] != "note"])
    assert len(site._MAP) > graph.number_of_nodes()
    assert after.assets[layout.asset("graph-data.js")].decode("utf-8") == graph_data_js(graph, layout, after.positions)


def test_a_serve_build_of_the_same_notes_takes_the_last_graph(seeds_dir: Path, tmp_path: Path) -> None:
    """A rebuild that reads the notes as the last build read them (mkdocs.yml or one of your
    pages was saved) takes its graph; a graph built ahead of a rebuild (generator/early.py)
    is taken by that rebuild, which reports the notes re-read, once."""
    vault = tmp_path / "notes"
    shutil.copytree(seeds_dir, vault)
    pipeline._CACHES.clear()
    first = build_site(vault, keep_layout=True)
    again = build_site(vault, keep_layout=True)
    assert again.result is first.result and again.reparsed == ()
    note = sorted(vault.glob("*.md"))[1]
    note.write_text(note.read_text(encoding="utf-8") + EDITS[0], encoding="utf-8")
    ahead = pipeline.build_result(vault, remember_relations=True, ahead=True)[0]
    assert ahead is not first.result
    rebuilt = build_site(vault, keep_layout=True)
    assert rebuilt.result is ahead and rebuilt.reparsed == (note.name,)
    assert build_site(vault, keep_layout=True).reparsed == ()
    # the same graph a fresh build of the edited notes gives
    pipeline._CACHES.clear()
    fresh = pipeline.build_result(vault)[0]
    assert json.dumps(nx.node_link_data(fresh.graph, edges="links"), sort_keys=True, ensure_ascii=False) == \
        json.dumps(nx.node_link_data(ahead.graph, edges="links"), sort_keys=True, ensure_ascii=False)
