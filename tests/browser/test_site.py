"""The site as a reader uses it, in headless Chromium: map, filters, map search, clicks,
Material's search with Japanese queries, no network request outside the site, no
console error, and note text that cannot inject markup. Screenshots of the map and an
entity page go to ``build/screenshots/``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest

from tests.browser.conftest import SCREENSHOTS, Served, Watched, build_with_cli, expected_entity

pytestmark = pytest.mark.browser

GOLDEN = ["過学習", "オーバーフィッティング", "データドリフト", "モデルモニター", "CloudWatch", "再現率", "Recall",
          "不均衡"]
JA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff]")


def open_map(w: Watched, site: Served, fragment: str = "") -> Any:
    w.page.goto(site.url + "map/" + fragment)
    w.page.wait_for_selector(".kg-map-app[data-ready]", timeout=20_000)
    return w.page


def drawn(page: Any) -> list[dict[str, str]]:
    """The nodes vis-network has on its canvas, with their kind."""
    result: list[dict[str, str]] = page.evaluate(
        "() => kgsiteMap.network.body.nodeIndices.map(id => ({id: id, kind: kgsiteMap.nodes.get(id).kind}))")
    return result


def path_of(url: str) -> str:
    return unquote(urlsplit(url).path)


def test_map_draws_every_entity_of_the_graph(served: Served, open_page: Any) -> None:
    w = open_page()
    page = open_map(w, served)
    expected = {n["id"] for n in served.entities()}
    assert expected, "the graph has no entities"
    assert {n["id"] for n in drawn(page)} == expected
    assert page.get_attribute(".kg-map-app", "data-visible-nodes") == str(len(expected))


def test_kind_filter_hides_services_and_brings_them_back(served: Served, open_page: Any) -> None:
    w = open_page()
    page = open_map(w, served)
    services = {n["id"] for n in served.entities("service")}
    concepts = {n["id"] for n in served.entities("concept")}
    assert services and concepts
    page.locator('.kg-kind-toggle[value="service"]').uncheck()
    assert {n["id"] for n in drawn(page)} == concepts
    page.locator('.kg-kind-toggle[value="service"]').check()
    page.locator('.kg-kind-toggle[value="note"]').check()
    notes = {n["id"] for n in served.graph["nodes"] if n["kind"] == "note"}
    assert {n["id"] for n in drawn(page)} == services | concepts | notes
    # mention edges are built only when asked for, then all of them are drawn
    before = int(page.locator(".kg-map-app").get_attribute("data-visible-edges") or 0)
    page.locator('.kg-relation-toggle[value="mentions"]').check()
    after = int(page.locator(".kg-map-app").get_attribute("data-visible-edges") or 0)
    mentions = sum(1 for e in served.graph["edges"] if e["key"] == "mentions")
    assert mentions and after == before + mentions


def _alias_target(site: Served) -> tuple[str, str]:
    """An English-named entity and one of its Japanese aliases that names nothing else."""
    owners: dict[str, set[str]] = {}
    for n in site.entities():
        for f in [n["name"], *n.get("aliases", []), *n.get("vocabulary_aliases", [])]:
            owners.setdefault(str(f).casefold(), set()).add(str(n["id"]))
    for n in sorted(site.entities("service"), key=lambda n: str(n["id"])):
        if JA.search(str(n["name"])):
            continue
        for a in [*n.get("vocabulary_aliases", []), *n.get("aliases", [])]:
            if JA.search(str(a)) and owners[str(a).casefold()] == {n["id"]}:
                return str(n["id"]), str(a)
    pytest.fail("no service with a Japanese alias in this graph")


def test_map_search_by_japanese_alias_focuses_the_node_and_a_click_opens_its_page(
        served: Served, open_page: Any) -> None:
    node_id, alias = _alias_target(served)
    w = open_page()
    page = open_map(w, served)
    page.fill(".kg-map-search", alias)
    page.press(".kg-map-search", "Enter")
    page.wait_for_selector(f'.kg-map-app[data-focused="{node_id}"]', timeout=5_000)
    assert page.evaluate("() => kgsiteMap.network.getSelectedNodes()") == [node_id]
    # the focused node sits in the middle of the canvas: click it there
    box = page.locator(".kg-map canvas").bounding_box()
    point = page.evaluate("(id) => kgsiteMap.network.canvasToDOM(kgsiteMap.network.getPosition(id))", node_id)
    assert abs(point["x"] - box["width"] / 2) < 5 and abs(point["y"] - box["height"] / 2) < 5
    with page.expect_navigation(timeout=10_000):
        page.mouse.click(box["x"] + point["x"], box["y"] + point["y"])
    assert path_of(page.url) == path_of(served.entity_url(node_id))
    assert page.locator("h1").first.inner_text().rstrip("¶").strip() == next(
        str(n["name"]) for n in served.entities() if n["id"] == node_id)


def material_search(page: Any, query: str) -> list[str]:
    """Type a query into Material's search box as a Japanese IME would (characters arrive
    as text input, without key events); the first three result pages once they settle."""
    box = page.locator("input.md-search__input")
    box.click()
    box.fill("")
    page.wait_for_function("() => document.querySelectorAll('.md-search-result__item').length === 0")
    page.keyboard.type(query)

    def top() -> list[str]:
        hrefs: list[str] = page.eval_on_selector_all(
            "li.md-search-result__item", "items => items.map(i => i.querySelector('a').href)")
        pages: list[str] = []
        for h in hrefs:
            p = path_of(h.split("?")[0])
            if p not in pages:
                pages.append(p)
        return pages[:3]

    # results arrive per keystroke: wait until they stop changing
    last: list[str] = []
    for _ in range(40):
        page.wait_for_timeout(300)
        now = top()
        if now and now == last:
            return now
        last = now
    return last


def test_golden_japanese_queries_find_the_entity_page_in_material_search(served: Served, open_page: Any) -> None:
    w = open_page()
    w.page.goto(served.url)
    expectations = {q: expected_entity(served, q) for q in GOLDEN}
    known = {q: e for q, e in expectations.items() if e}
    assert len(known) >= 6, f"too few golden terms are entities here: {expectations}"
    failures = {}
    for query, entity in known.items():
        top = material_search(w.page, query)
        want = path_of(served.entity_url(entity))
        if want not in top:
            failures[query] = (want, top)
    assert not failures, failures
    assert not w.errors, w.errors


def test_no_request_leaves_the_site_and_no_console_error(served: Served, open_page: Any) -> None:
    w = open_page()
    entity = sorted(served.entities(), key=lambda n: -len(n.get("notes", [])))[0]["id"]
    note = next(n for n in served.graph["nodes"] if n["kind"] == "note")
    note_url = served.url + served.layout.note(str(note["path"])).removesuffix(".md") + "/"
    for url in (served.url, served.url + "map/", served.entity_url(entity), note_url,
                served.url + "services/", served.url + "relations/"):
        w.page.goto(url)
        w.page.wait_for_load_state("networkidle")
        assert w.page.locator("h1").count() >= 1, url
    material_search(w.page, "CloudWatch")
    origin = served.url.rstrip("/")
    assert w.requests, "no request was recorded"
    assert not w.outside(origin), w.outside(origin)
    assert not w.errors, w.errors


def test_entity_page_local_graph_and_screenshots(served: Served, open_page: Any) -> None:
    """Screenshots of the map and of the most connected service's page, light and dark."""
    hub = max(served.entities("service"),
              key=lambda n: (sum(1 for e in served.graph["edges"] if n["id"] in (e["source"], e["target"])
                                 and e["key"] != "mentions"), str(n["id"])))["id"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for scheme in ("light", "dark"):
        w = open_page(color_scheme=scheme)
        page = open_map(w, served)
        assert page.evaluate("() => document.body.getAttribute('data-md-color-scheme')") == (
            "slate" if scheme == "dark" else "default")
        page.screenshot(path=str(SCREENSHOTS / f"{served.name}-map-{scheme}.png"))
        page.goto(served.entity_url(hub))
        page.wait_for_selector(".kg-local[data-ready]", timeout=20_000)
        shown = int(page.get_attribute(".kg-local", "data-nodes") or 0)
        assert shown >= 2  # the hub and at least one neighbour
        page.screenshot(path=str(SCREENSHOTS / f"{served.name}-entity-{scheme}.png"), full_page=True)
        page.locator(".kg-local").screenshot(path=str(SCREENSHOTS / f"{served.name}-local-{scheme}.png"))
        assert not w.errors, w.errors


HOSTILE = """---
title: '<img src=x onerror="window.__kgxss=1">Evil <script>window.__kgxss=2</script>'
---

# <script>window.__kgxss=3</script> 攻撃ノート

Amazon S3 は <b onmouseover="window.__kgxss=4">太字</b> と <a href="javascript:window.__kgxss=5">link</a> を含む。
Amazon SageMaker は Amazon S3 を使う。 <script>window.__kgxss=6</script>
"""


def test_note_text_cannot_inject_markup_into_pages_or_map(browser: Any, open_page: Any, tmp_path: Path) -> None:
    from graph.build import build_graph
    from graph.export import node_link
    from tests.browser.conftest import _serve

    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "evil.md").write_text(HOSTILE, encoding="utf-8")
    site = tmp_path / "site"
    build_with_cli(vault, site)
    for served in _serve("hostile", site, node_link(build_graph(vault).graph)):
        w = open_page()
        page = open_map(w, served)
        page.locator('.kg-kind-toggle[value="note"]').check()
        note_id = "note:evil.md"
        assert note_id in {n["id"] for n in drawn(page)}
        page.evaluate("(id) => kgsiteMap.focusNode(id)", note_id)
        box = page.locator(".kg-map canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.wait_for_selector("div.vis-tooltip", state="visible", timeout=5_000)
        tip = page.locator("div.vis-tooltip")
        assert "<script>" in tip.inner_text()  # shown as text ...
        assert tip.locator("script, img, a").count() == 0  # ... never as markup
        assert page.evaluate("() => window.__kgxss") is None
        # every page kgsite writes from note text: nothing runs, nothing becomes markup
        for path in ("notes/", "services/amazon-s3/", "services/amazon-sagemaker/", "relations/", "services/"):
            url = served.url + path
            page.goto(url)
            page.wait_for_load_state("load")
            assert page.evaluate("() => window.__kgxss") is None, url
            assert page.locator("img[src='x'], b[onmouseover], a[href^='javascript:']").count() == 0, url
        # the note page shows the note as written (its own HTML included), but its title,
        # which the theme prints in <title>, the header and the navigation, is text
        page.goto(served.url + "notes/evil/")
        page.wait_for_load_state("load")
        assert page.title().startswith('<img src=x onerror="window.__kgxss=1">Evil')
        assert page.locator("[onerror]").count() == 0
        assert page.evaluate("() => window.__kgxss") != 1
        assert not w.outside(served.url.rstrip("/"))
