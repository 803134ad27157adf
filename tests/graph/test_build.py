"""The pipeline end to end on a small vault: entities, relations with evidence, notes, links."""

from __future__ import annotations

from pathlib import Path

import networkx as nx
import pytest

from graph import build_graph, node_link
from tests.conftest import FIXTURES

MINI = FIXTURES / "mini"


@pytest.fixture(scope="module")
def mini() -> nx.MultiDiGraph:
    return build_graph(MINI).graph


def _by_name(g: nx.MultiDiGraph, name: str) -> str:
    for n, d in g.nodes(data=True):
        if d["name"] == name or name in d.get("aliases", []):
            return str(n)
    raise AssertionError(f"no node named {name}: {sorted(d['name'] for _, d in g.nodes(data=True))}")


def test_cue_sentence_gives_uses_edge_with_evidence(mini: nx.MultiDiGraph) -> None:
    mm = _by_name(mini, "SageMaker Model Monitor")
    cw = _by_name(mini, "CloudWatch")
    assert mini.has_edge(mm, cw, key="uses")
    ev = mini.edges[mm, cw, "uses"]["evidence"][0]
    assert ev["note"] == "monitoring.md"
    assert ev["line"] == 9
    assert "CloudWatch にメトリクスを送信" in ev["quote"]


def test_table_rows_are_alternatives_and_lookalikes_stay_apart(mini: nx.MultiDiGraph) -> None:
    glue = _by_name(mini, "AWS Glue")
    brew = _by_name(mini, "AWS Glue DataBrew")
    assert glue != brew
    assert mini.has_edge(glue, brew, key="alternative-to") or mini.has_edge(brew, glue, key="alternative-to")


def test_flow_arrows_and_code_blocks(mini: nx.MultiDiGraph) -> None:
    s3, glue = _by_name(mini, "Amazon S3"), _by_name(mini, "AWS Glue")
    # "S3 → Glue": data sits in S3 and Glue reads it, so Glue is the one that uses S3
    assert mini.has_edge(glue, s3, key="uses")
    assert not mini.has_edge(s3, glue, key="uses")
    mentions = mini.nodes[s3]["mentions"]
    # the code fence in pipelines.md (lines 5-8) is not a mention
    assert not [m for m in mentions if m["note"] == "pipelines.md" and 5 <= m["line"] <= 8]


def test_notes_links_and_dangling_diagnostic(mini: nx.MultiDiGraph) -> None:
    assert mini.has_edge("note:monitoring.md", "note:pipelines.md", key="links-to")
    diags = mini.graph["diagnostics"]
    assert any(d["code"] == "dangling-link" and d["note"] == "monitoring.md" and d["line"] == 11 for d in diags)


def test_export_is_node_link_with_required_fields(mini: nx.MultiDiGraph) -> None:
    data = node_link(mini)
    kinds = {n["kind"] for n in data["nodes"]}
    assert kinds == {"service", "concept", "note"} or kinds <= {"service", "concept", "note"}
    for n in data["nodes"]:
        assert {"id", "kind", "name", "aliases", "notes"} <= n.keys()
    for e in data["edges"]:
        assert {"source", "target", "relation", "evidence"} <= e.keys()
        for ev in e["evidence"]:
            assert {"note", "line", "quote"} <= ev.keys()


def test_vault_is_not_modified(tmp_path: Path) -> None:
    before = {p: p.read_bytes() for p in MINI.rglob("*") if p.is_file()}
    build_graph(MINI)
    after = {p: p.read_bytes() for p in MINI.rglob("*") if p.is_file()}
    assert before == after


def test_wikilink_to_a_term_is_not_dangling(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# メモ\n\n[[Amazon S3]] に保存する。[[CloudWatch]] と [[どこにもない]]\n",
                                   encoding="utf-8")
    g = build_graph(tmp_path).graph
    dangling = [d for d in g.graph["diagnostics"] if d["code"] == "dangling-link"]
    assert [d["message"] for d in dangling] == ["[[どこにもない]] links to no note in the vault."]


def test_user_veto_stops_a_fuzzy_merge(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# メモ\n\n- SageMaker Model Resistry: モデルを登録する\n", encoding="utf-8")
    assert _by_name(build_graph(notes).graph, "SageMaker Model Resistry") == "amazon-sagemaker-model-registry"
    veto = tmp_path / "mine.yml"
    veto.write_text("kind: concept\nentries: []\nveto:\n  - [SageMaker Model Resistry, SageMaker Model Registry]\n",
                    encoding="utf-8")
    g = build_graph(notes, (str(veto),)).graph
    assert _by_name(g, "SageMaker Model Resistry") != "amazon-sagemaker-model-registry"
    assert not [m for m in g.graph["merges"] if m["surface"] == "SageMaker Model Resistry"]


def test_a_kind_before_the_thing_in_parentheses_is_not_an_alias(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# メモ\n\n## 構築済みAIサービス (Amazon Comprehend)\n- 文書を分析する\n",
                                   encoding="utf-8")
    g = build_graph(tmp_path).graph
    comprehend = _by_name(g, "Amazon Comprehend")
    assert "構築済みAIサービス" not in g.nodes[comprehend]["aliases"]
    assert not [m for m in g.graph["merges"] if m["surface"].startswith("構築済み")]


def test_text_in_lists_nested_forty_deep_still_counts(tmp_path: Path) -> None:
    # markdown-it's preset stops at ten list levels and drops the rest without a word
    lines = ["  " * i + f"- レベル {i}" for i in range(40)] + ["  " * 40 + "- Amazon Athena でクエリする"]
    (tmp_path / "deep.md").write_text("# 深い\n\n" + "\n".join(lines) + "\n", encoding="utf-8")
    g = build_graph(tmp_path).graph
    athena = _by_name(g, "Amazon Athena")
    assert g.has_edge("note:deep.md", athena, key="mentions")
    assert g.edges["note:deep.md", athena, "mentions"]["evidence"][0]["line"] == 43


@pytest.mark.parametrize("vault", ["seeds", "examples"])
def test_notes_are_joined_to_terms_by_mentions_and_to_notes_by_links_only(vault: str, seeds_dir: Path) -> None:
    """What the pages rely on to skip the notes' edges (generator.adjacency.term_edges):
    every typed relation starts at a term, and a note's edges are its mentions and links."""
    from tests.conftest import EXAMPLES

    graph = build_graph(seeds_dir if vault == "seeds" else EXAMPLES).graph
    kinds = dict(graph.nodes(data="kind"))
    from_notes = {k for s, _, k in graph.edges(keys=True) if kinds[s] == "note"}
    assert from_notes <= {"mentions", "links-to"} and "mentions" in from_notes
    assert {k for s, _, k in graph.edges(keys=True) if kinds[s] != "note"} >= {"uses", "alternative-to"}
