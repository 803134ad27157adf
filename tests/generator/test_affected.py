"""While serving, a term's page is drawn again only when :func:`stale_terms` names it:
it must name every term whose view an edit changed (naming more only costs time)."""

from __future__ import annotations

import copy
import random
from pathlib import Path

import networkx as nx
import pytest

from generator.affected import LastBuild, stale_terms
from generator.mapview import category_colors
from generator.paths import Layout
from generator.views import entity_nodes, entity_view
from graph.build import build_graph

RELATIONS = ["uses", "monitors", "alternative-to", "part-of"]


def _term(g: nx.MultiDiGraph, n: str, rng: random.Random, notes: list[str]) -> None:
    cited = sorted(rng.sample(notes, 2))
    g.add_node(n, kind=rng.choice(["service", "concept"]), name=n.upper(), aliases=[n.upper()],
               category=rng.choice(["ml", "storage", ""]), parent="", origin="notes", description="",
               notes=cited, vocabulary_aliases=[], definitions=[],
               mentions=[{"note": p, "line": rng.randint(1, 9), "surface": n.upper()} for p in cited])
    for p in cited:
        g.add_edge("note:" + p, n, key="mentions", relation="mentions",
                   evidence=[{"note": p, "line": 1, "quote": n, "rule": "mention"}])


def _relate(g: nx.MultiDiGraph, rng: random.Random, terms: list[str], notes: list[str]) -> None:
    s, t = rng.sample(terms, 2)
    k = rng.choice(RELATIONS)
    g.add_edge(s, t, key=k, relation=k, evidence=[{"note": rng.choice(notes), "line": rng.randint(1, 9),
                                                     "quote": f"{s} {k} {t}", "rule": "cue"}])


def _vault(rng: random.Random) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph()
    notes = [f"n{i}.md" for i in range(8)]
    for p in notes:
        g.add_node("note:" + p, kind="note", name=p.upper(), aliases=[], notes=[p], path=p, tags=[],
                   category="note")
    # a hub with more neighbours than a local graph draws (16), so ranks and limits matter
    terms = [f"t{i}" for i in range(40)]
    for n in terms:
        _term(g, n, rng, notes)
    for n in terms[1:25]:
        g.add_edge("t0", n, key="uses", relation="uses", evidence=[{"note": "n0.md", "line": 2, "quote": "q",
                                                                     "rule": "cue"}])
    for _ in range(50):
        _relate(g, rng, terms, notes)
    return g


def _edit(g: nx.MultiDiGraph, rng: random.Random) -> None:
    terms = [n for n, d in g.nodes(data=True) if d["kind"] != "note"]
    notes = [d["path"] for _, d in g.nodes(data=True) if d["kind"] == "note"]
    what = rng.choice(["relate", "requote", "unrelate", "rename", "recategorise", "mention", "unmention", "add",
                       "remove", "retitle", "move-line"])
    if what == "relate":
        _relate(g, rng, terms, notes)
    elif what == "requote":  # a relation read from one more sentence: quoted on its two terms' pages only
        typed = [(s, t, k) for s, t, k in g.edges(keys=True) if k in RELATIONS]
        s, t, k = rng.choice(typed)
        g.edges[s, t, k]["evidence"] = [*g.edges[s, t, k]["evidence"],
                                        {"note": rng.choice(notes), "line": 7, "quote": "again", "rule": "cue"}]
    elif what == "unrelate":
        typed = [(s, t, k) for s, t, k in g.edges(keys=True) if k in RELATIONS]
        g.remove_edge(*rng.choice(typed))
    elif what == "rename":
        g.nodes[rng.choice(terms)]["name"] += "X"
    elif what == "recategorise":
        g.nodes[rng.choice(terms)]["category"] = "new"
    elif what == "mention":  # from many notes: the term may climb into a hub's nearest sixteen
        n = rng.choice(terms)
        for p in rng.sample(notes, rng.randint(1, len(notes))):
            g.add_edge("note:" + p, n, key=f"mentions-{rng.randint(0, 9)}", relation="mentions", evidence=[])
        g.nodes[n]["mentions"] = [*g.nodes[n]["mentions"], {"note": notes[0], "line": 3, "surface": "x"}]
    elif what == "unmention":
        ms = [(s, t) for s, t, k in g.edges(keys=True) if k == "mentions"]
        g.remove_edge(*rng.choice(ms), key="mentions")
    elif what == "add":
        _term(g, f"new{rng.randint(0, 999)}", rng, notes)
        _relate(g, rng, [*terms, *[n for n in g if str(n).startswith("new")]], notes)
    elif what == "remove":
        g.remove_node(rng.choice(terms))
    elif what == "retitle":
        g.nodes["note:" + rng.choice(notes)]["name"] += "!"
    else:
        n = rng.choice(terms)
        g.nodes[n]["mentions"] = [{**m, "line": m["line"] + 1} for m in g.nodes[n]["mentions"]]


def _views(g: nx.MultiDiGraph) -> tuple[LastBuild, dict[str, object]]:
    terms = [(str(n), str(d["kind"])) for n, d in g.nodes(data=True) if d["kind"] != "note"]
    layout = Layout().with_pages([d["path"] for _, d in g.nodes(data=True) if d["kind"] == "note"], terms)
    colors = category_colors(g)
    return LastBuild.of(g, layout, colors), {n: entity_view(g, n, layout, colors) for n in entity_nodes(g)}


@pytest.mark.parametrize("seed", range(200))
def test_every_term_whose_page_an_edit_changed_is_named(seed: int) -> None:
    rng = random.Random(seed)
    g = _vault(rng)
    before, old = _views(copy.deepcopy(g))  # each build makes a new graph
    for _ in range(rng.randint(1, 3)):
        _edit(g, rng)
    now, new = _views(g)
    stale = stale_terms(before, now, entity_nodes(g))
    changed = {n for n, v in new.items() if old.get(n) != v}
    if stale is not None:
        assert changed <= stale


def test_without_a_last_build_every_page_is_drawn() -> None:
    g = _vault(random.Random(1))
    now, _ = _views(g)
    assert stale_terms(None, now, entity_nodes(g)) is None
    assert stale_terms(now, now, entity_nodes(g)) == set()


def test_a_category_coming_or_going_moves_no_other_colour(tmp_path: Path) -> None:
    """Colours follow every category the vocabulary knows, not those the notes use: the
    first term of a category (or the last one leaving) recolours nothing else on the map
    and on term pages."""
    vault = tmp_path / "notes"
    vault.mkdir()
    (vault / "a.md").write_text("# A\n\nAmazon S3 にデータを置き、AWS Glue で変換する。\n", encoding="utf-8")
    before = category_colors(build_graph(vault).graph)
    (vault / "b.md").write_text("# B\n\nAmazon SageMaker Clarify でバイアスを調べる。\n", encoding="utf-8")
    after = category_colors(build_graph(vault).graph)
    assert set(after) == set(before)  # (the same list: every category the vocabulary has)
    assert after == before
    assert before["storage"] != before["ml-platform"]
