"""What the built pages say: relations with their quotes and note anchors, aliases, index
pages, the search index we rewrite, and note text that stays text.

Expectations come from the graph the same notes produce (``kgsite export``), never from
hard-coded results, so the tests follow the vocabulary as it grows.
"""

from __future__ import annotations

import html
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from generator.paths import Layout
from generator.render import defuse_html, offline_html
from generator.search import KG_FIELD, ZWSP, page_location, rewrite_index, segment, segment_html
from graph.build import build_graph
from graph.export import node_link
from tests.conftest import EXAMPLES, ROOT, kgsite

LAYOUT = Layout()


@pytest.fixture(scope="module")
def example_graph() -> dict[str, Any]:
    return node_link(build_graph(EXAMPLES).graph)


def page_html(site: Path, node: dict[str, Any]) -> str:
    path = page_location(LAYOUT.entity(str(node["id"]), str(node["kind"])), True)
    return (site / path / "index.html").read_text(encoding="utf-8")


def section(doc: str, heading_id: str) -> str:
    """The HTML from the heading with this id up to the next heading of any level."""
    start = doc.index(f'id="{heading_id}"')
    end = re.compile(r"<h[1-3][ >]").search(doc, start + 1)
    return doc[start:end.start() if end else len(doc)]


def md_text(text: str) -> str:
    """A quote as the page shows it: HTML-escaped, one line."""
    return html.escape(" ".join(text.split()), quote=False)


def test_entity_page_lists_relation_with_quote_and_link_to_the_note_line(
        example_site: Path, example_graph: dict[str, Any]) -> None:
    nodes = {n["id"]: n for n in example_graph["nodes"]}
    checked = 0
    for edge in example_graph["edges"]:
        if edge["key"] != "uses" or not edge["evidence"] or not edge["evidence"][0]["note"]:
            continue
        ev = edge["evidence"][0]
        note_page = LAYOUT.note(ev["note"]).removesuffix(".md") + "/index.html"
        note_doc = (example_site / note_page).read_text(encoding="utf-8")
        if f'id="L{ev["line"]}"' not in note_doc:
            continue  # anchors of front-matter and table-header lines are the note page's business
        source, target = nodes[edge["source"]], nodes[edge["target"]]
        uses = section(page_html(example_site, source), "使う-uses")
        assert html.escape(str(target["name"]), quote=False) in uses
        assert md_text(ev["quote"])[:20] in uses
        note_url = LAYOUT.note(ev["note"]).removesuffix(".md") + "/"
        assert re.search(rf'href="(\.\./)+{re.escape(quote(note_url, safe="/"))}#L{ev["line"]}"', uses) or \
            re.search(rf'href="(\.\./)+{re.escape(note_url)}#L{ev["line"]}"', uses), (note_url, ev["line"])
        # and the other side lists it as "used by"
        used_by = section(page_html(example_site, target), "使われる-used-by")
        assert html.escape(str(source["name"]), quote=False) in used_by
        checked += 1
    assert checked >= 3


def test_entity_page_lists_vocabulary_aliases_in_both_languages(
        example_site: Path, example_graph: dict[str, Any]) -> None:
    ja = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")
    checked = 0
    for node in example_graph["nodes"]:
        # spellings that differ only in case are one alias
        aliases = [a for a in node.get("vocabulary_aliases", []) if a.casefold() != str(node["name"]).casefold()]
        if node["kind"] not in ("service", "concept") or not aliases:
            continue
        doc = page_html(example_site, node)
        para = re.search(r'<p class="kg-aliases">(.*?)</p>', doc, re.S)
        assert para, node["id"]
        shown = {html.unescape(a).casefold() for a in re.findall(r'<span class="kg-alias">(.*?)</span>', para.group(1))}
        for alias in aliases:
            assert alias.casefold() in shown, (node["id"], alias)
        if any(ja.search(a) for a in aliases) and any(not ja.search(a) for a in aliases):
            checked += 1
    assert checked >= 3, "expected entities with both Japanese and English aliases"


def test_index_pages_list_every_entity_and_relation(example_site: Path, example_graph: dict[str, Any]) -> None:
    entities = [n for n in example_graph["nodes"] if n["kind"] in ("service", "concept")]
    services = (example_site / "services/index.html").read_text(encoding="utf-8")
    concepts = (example_site / "concepts/index.html").read_text(encoding="utf-8")
    for n in entities:
        doc = services if n["kind"] == "service" else concepts
        assert f">{html.escape(str(n['name']), quote=False)}</a>" in doc, n["id"]
        if n.get("category"):
            assert f">{html.escape(str(n['category']), quote=False)}<" in doc
    # the glossary carries a one-line explanation for concepts the vocabulary describes
    described = [n for n in entities if n["kind"] == "concept" and n.get("description")]
    assert described and md_text(str(described[0]["description"]))[:15] in concepts
    relations = (example_site / "relations/index.html").read_text(encoding="utf-8")
    rows = relations.count("<tr>") - 1
    typed = [e for e in example_graph["edges"] if e["key"] in ("uses", "monitors", "alternative-to")]
    assert rows == len(typed)
    home = (example_site / "index.html").read_text(encoding="utf-8")
    counts = {k: sum(1 for n in example_graph["nodes"] if n["kind"] == k) for k in ("service", "concept", "note")}
    assert re.search(rf"<td[^>]*>{counts['service']}</td>\s*<td[^>]*>{counts['concept']}</td>\s*"
                     rf"<td[^>]*>{counts['note']}</td>", home)


def test_entity_page_embeds_a_small_local_graph_and_shares_one_library(
        example_site: Path, example_graph: dict[str, Any]) -> None:
    node = max((n for n in example_graph["nodes"] if n["kind"] == "service"),
               key=lambda n: (sum(1 for e in example_graph["edges"] if n["id"] in (e["source"], e["target"])),
                              str(n["id"])))
    doc = page_html(example_site, node)
    blob = re.search(r'<script type="application/json" class="kg-local-data">(.*?)</script>', doc, re.S)
    assert blob
    data = json.loads(blob.group(1))
    assert data["center"] == node["id"]
    assert 2 <= len(data["nodes"]) <= 30
    assert "vis-network.min.js" in doc and "graph-data.js" not in doc  # no whole-graph download
    libs = list(example_site.rglob("vis-network*.js"))
    assert [p.relative_to(example_site).as_posix() for p in libs] == ["assets/kgsite/vis-network.min.js"]


def test_search_index_is_segmented_and_indexes_every_alias(example_site: Path,
                                                            example_graph: dict[str, Any]) -> None:
    index = json.loads((example_site / "search/search_index.json").read_text(encoding="utf-8"))
    assert index["config"]["lang"] == ["en"] and "\\u200b" in index["config"]["separator"]
    assert index["config"]["fields"][KG_FIELD]["boost"] > 1
    by_location = {d["location"]: d for d in index["docs"]}
    node = next(n for n in example_graph["nodes"] if n["id"] == "過学習")
    loc = quote(page_location(LAYOUT.entity("過学習", "concept"), True))
    doc = by_location[loc]
    terms = doc[KG_FIELD].replace(ZWSP, "")
    for alias in node.get("vocabulary_aliases", []):
        assert alias in terms
    # one document per entity page: its sections were merged into it
    assert not [d for d in index["docs"] if d["location"].startswith(loc + "#")]


@pytest.mark.parametrize(("text", "tokens"), [
    ("過学習を防ぐ", ["過学習を", "防ぐ"]),
    ("不均衡データの処理", ["不均衡", "データの", "処理"]),
    ("再トレーニングする", ["再トレーニングする"]),
    ("SageMakerの機能", ["SageMaker", "の", "機能"]),
    ("Amazon S3 に保存", ["Amazon S3 に", "保存"]),
])
def test_segmentation_cuts_japanese_runs_where_queries_start(text: str, tokens: list[str]) -> None:
    assert segment(text).split(ZWSP) == tokens
    assert segment(text).replace(ZWSP, "") == text


def test_rewrite_index_merges_entity_sections_and_keeps_other_pages() -> None:
    data = {"config": {"lang": ["ja"], "separator": "[\\s]+", "pipeline": ["stemmer"],
                       "fields": {"title": {"boost": 1000.0}, "text": {"boost": 1.0}}},
            "docs": [{"location": "concepts/%E9%81%8E/", "title": "過学習", "text": "概念"},
                     {"location": "concepts/%E9%81%8E/#x", "title": "関係", "text": "<p>早期終了</p>"},
                     {"location": "notes/a/", "title": "ノート", "text": "<p>過学習を防ぐ</p>"}]}
    out = rewrite_index(data, {"concepts/過/": ["過学習", "Overfitting"]})
    assert [d["location"] for d in out["docs"]] == ["concepts/%E9%81%8E/", "notes/a/"]
    assert "早期終了" in out["docs"][0]["text"] and out["docs"][0][KG_FIELD] == "過学習 Overfitting"
    assert out["docs"][1]["text"] == f"<p>過学習を{ZWSP}防ぐ</p>"
    assert out["config"]["pipeline"] == [] and out["config"]["lang"] == ["en"]
    # while serving, texts cut once are remembered; the index is the same either way
    memo: dict[str, str] = {}
    assert rewrite_index(data, {"concepts/過/": ["過学習", "Overfitting"]}, memo) == out
    assert memo["<p>過学習を防ぐ</p>"] == f"<p>過学習を{ZWSP}防ぐ</p>"
    memo["<p>過学習を防ぐ</p>"] = "remembered"
    assert rewrite_index(data, {"concepts/過/": ["過学習", "Overfitting"]}, memo)["docs"][1]["text"] == "remembered"


CUT_BOTH_WAYS = """
import json, os, sys
from graph import parallel
from generator.search import rewrite_index, text_key
docs = [{"location": f"notes/n{i}/", "title": f"ノート{i}",
         "text": f"<p>過学習{i}を防ぐ<b>データドリフト</b>{i % 7}</p>"} for i in range(600)]
data = {"config": {"lang": ["ja"]}, "docs": docs}
out = {}
for budget in ("100000", "1"):  # two cores, then none forked (no copy fits 1 MB)
    os.environ["KGSITE_MEMORY_BUDGET_MB"] = budget
    memo = {}
    out[budget] = [parallel.forks(len(docs)), rewrite_index(data, {}), rewrite_index(data, {}, memo, text_key), memo]
json.dump(out, sys.stdout, ensure_ascii=False)
"""


def test_a_large_index_is_cut_the_same_on_one_core_or_several() -> None:
    # in a process of its own: one with other threads alive (another test's) never forks
    done = subprocess.run([sys.executable, "-c", CUT_BOTH_WAYS], capture_output=True, text=True, timeout=300,
                          check=True, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    out = json.loads(done.stdout)
    (forked, several, several_kept, memo_several), (alone, one, one_kept, memo_one) = out["100000"], out["1"]
    assert forked and not alone
    assert one == several == several_kept == one_kept
    assert memo_one == memo_several and len(memo_one) == 2 * 600
    assert several["docs"][5]["text"] == f"<p>過学習{ZWSP}5{ZWSP}を{ZWSP}防ぐ<b>データドリフト</b>5</p>"
    # every text cut as it is alone, whichever process cut it
    assert [(d["title"], d["text"]) for d in several["docs"]] == [
        (segment_html(f"ノート{i}"), segment_html(f"<p>過学習{i}を防ぐ<b>データドリフト</b>{i % 7}</p>"))
        for i in range(600)]


def test_remote_images_become_links() -> None:
    page = '<p><img alt="a&lt;b" src="https://example.com/x.png"> <img src="../local.png"></p>'
    out = offline_html(page)
    assert 'src="https://' not in out and 'href="https://example.com/x.png"' in out
    assert "a&lt;b" in out and '<img src="../local.png">' in out


def test_seed_note_pages_load_nothing_from_elsewhere(seeds_site: Path) -> None:
    for page in seeds_site.rglob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert not re.search(r'<(img|script|iframe|link)\b[^>]*(src|href)="(https?:)?//', text), page


HOSTILE = """---
title: 'Evil <img src=x onerror=alert(1)>'
---

# 攻撃

Amazon SageMaker は Amazon S3 を使う。<script>alert("q")</script> と <a href="javascript:alert(2)">x</a>
"""


def test_note_text_is_escaped_on_generated_pages(tmp_path: Path) -> None:
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "evil.md").write_text(HOSTILE, encoding="utf-8")
    site = tmp_path / "site"
    kgsite("build", "--notes", str(vault), "--site-dir", str(site), "--strict", cwd=tmp_path)
    for rel in ("services/amazon-s3/index.html", "services/amazon-sagemaker/index.html", "relations/index.html",
                "notes/index.html"):
        doc = (site / rel).read_text(encoding="utf-8")
        article = doc[doc.index("<article"):doc.index("</article>")]
        assert "<script>alert" not in article and "javascript:alert" not in article, rel
        assert "<img" not in article, rel
    # the note's title reaches the evidence link as text
    s3 = (site / "services/amazon-s3/index.html").read_text(encoding="utf-8")
    assert "Evil &lt;img src=x onerror=alert(1)&gt;:" in section(s3, "使われる-used-by")
    data = (site / "assets/kgsite/graph-data.js").read_text(encoding="utf-8")
    assert "</script" not in data.lower() and "<img" not in data
    note = (site / "notes/evil/index.html").read_text(encoding="utf-8")
    assert "<title>Evil &lt;img src=x onerror=alert(1)&gt;" in note
    # the note's own HTML is kept as written, but nothing in it can run
    body = note[note.index("<article"):note.index("</article>")]
    assert "alert(\"q\")" not in body and "javascript:" not in body
    assert ">x</a>" in body


def test_a_tag_that_a_removal_puts_together_is_removed_too() -> None:
    """Inside an HTML block a note's HTML reaches the page as written: dropping the frame
    in ``<scr<iframe>ipt>`` must not leave a working ``<script>`` behind."""
    out = defuse_html('<div>\n<scr<iframe>ipt>alert(5)</script>\n<img src=x o<embed>nerror=alert(2)></div>')
    assert "<script" not in out.lower() and "onerror" not in out and "<iframe" not in out
    assert out == '<div>\nalert(5)\n<img src=x></div>'


def test_notes_under_a_prefix_are_defused_too(tmp_path: Path) -> None:
    """With the plugin's ``prefix``, note pages live under it; their HTML is defused there
    as anywhere (it once was only under the default ``notes/``)."""
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "evil.md").write_text(HOSTILE + "\n<div>\n<scr<iframe>ipt>alert(5)</script>\n</div>\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# home\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\ntheme: {name: material}\nplugins:\n  - knowledge-graph:\n"
                                         "      notes: vault\n      prefix: kg\n", encoding="utf-8")
    kgsite("build", "--notes", str(vault), "--site-dir", str(tmp_path / "site"), cwd=tmp_path)
    note = (tmp_path / "site/kg/notes/evil/index.html").read_text(encoding="utf-8")
    body = note[note.index("<article"):note.index("</article>")]
    assert "alert(\"q\")" not in body and "javascript:" not in body and "<script" not in body
    assert ">x</a>" in body and "alert(5)" in body  # the text stays, the tags go


def test_html_another_plugin_adds_to_our_pages_is_made_safe_too(tmp_path: Path) -> None:
    """Our pages are drawn as published, and kept as they are; but HTML another plugin (a
    hook here) adds before ours sees the page is still made offline and defused."""
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "a.md").write_text("# A\n\nAmazon SageMaker は Amazon S3 を使う。\n", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# home\n", encoding="utf-8")
    (tmp_path / "hooks.py").write_text(
        "def on_page_content(html, page, config, files):\n"
        "    return html + '<p><img src=\"https://example.com/x.png\"><script>alert(9)</script></p>'\n",
        encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text("site_name: t\ntheme: {name: material}\nhooks: [hooks.py]\nplugins:\n"
                                         "  - knowledge-graph:\n      notes: vault\n", encoding="utf-8")
    kgsite("build", "--notes", str(vault), "--site-dir", str(tmp_path / "site"), cwd=tmp_path)
    for rel in ("notes/a/index.html", "services/amazon-s3/index.html"):
        page = (tmp_path / "site" / rel).read_text(encoding="utf-8")
        body = page[page.index("<article"):page.index("</article>")]
        assert 'href="https://example.com/x.png"' in body and 'src="https://' not in body, rel
    note = (tmp_path / "site/notes/a/index.html").read_text(encoding="utf-8")
    assert "alert(9)" not in note[note.index("<article"):note.index("</article>")]


def test_relation_labels_are_words_of_the_cue_file() -> None:
    """How pages name a relation is vocabulary data (cues.yml ``relation_labels``), for
    both sides of every relation a page lists."""
    import yaml

    from generator.views import RELATION_ORDER, relation_labels
    from graph.vocabulary import builtin_dir

    given = yaml.safe_load((builtin_dir() / "cues.yml").read_text(encoding="utf-8"))["relation_labels"]
    assert {(rel, side): given[rel][side] for rel in RELATION_ORDER for side in ("out", "in")} == relation_labels()


@pytest.mark.parametrize(("note_html", "defused"), [
    ('<img src="a.png" onerror="alert(1)">', '<img src="a.png">'),
    ("<b\tONCLICK=go()>x</b>", "<b>x</b>"),
    ("<i\u3000onmouseover='y'>z</i>", "<i>z</i>"),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', '<a href="#alert(1)">x</a>'),
    ("ページ on=1 と button", "ページ on=1 と button"),  # no handler, nothing to drop
])
def test_a_notes_html_cannot_act(note_html: str, defused: str) -> None:
    from generator.render import defuse_html

    assert defuse_html(note_html) == defused
