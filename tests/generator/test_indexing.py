"""Material's search indexer is fed lean HTML (generator.indexing): the entries a reader
can find must be exactly those of the full page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from material.plugins.search.plugin import Parser

from generator.indexing import lean
from tests.generator.pluginlog import plugin_messages


def sections(html: str) -> list[tuple[str | None, str, str]]:
    parser = Parser()
    parser.feed(html)
    parser.close()
    # whitespace runs are all the same to lunr
    return [(s.id, "".join(s.title).strip(), " ".join("".join(s.text).split())) for s in parser.data
            if not s.is_excluded()]


def article(page: Path) -> str:
    doc = page.read_text(encoding="utf-8")
    return doc[doc.index("<article"):doc.index("</article>") + len("</article>")]


def test_lean_html_gives_the_same_search_entries_on_every_seed_page(seeds_site: Path) -> None:
    pages = sorted(seeds_site.rglob("index.html"))
    assert len(pages) > 100
    saved = 0
    for page in pages:
        full = article(page)
        thin = lean(full)
        assert sections(thin) == sections(full), page
        saved += len(full) - len(thin)
    assert saved > 0


@pytest.mark.parametrize("html", [
    '<h2 id="a">見出し<a class="headerlink" href="#a" title="Permanent link">&para;</a></h2>'
    '<p><a id="L3" class="kg-line"></a><strong><a href="../s3/">Amazon S3</a></strong>に置く</p>',
    '<ul><li><a href="x/">SageMaker</a> <span class="kg-rel">uses</span>\n  <em>S3</em></li></ul>',
    '<pre><code><span class="k">def</span> <span class="n">f</span>():\n    <b>pass</b></code></pre>',
])
def test_lean_html_keeps_text_and_structure(html: str) -> None:
    assert sections(lean(html)) == sections(html)
    assert "<a" not in lean(html)


def test_a_page_that_excludes_parts_from_search_is_indexed_whole() -> None:
    html = '<p>見える <span data-search-exclude>隠す</span></p>'
    assert lean(html) == html
    assert "隠す" not in sections(lean(html))[0][2]


def _search_index(notes: Path, site: Path) -> tuple[bytes, str]:
    from generator.cli import main

    with plugin_messages() as messages:
        assert main(["build", "--notes", str(notes), "--site-dir", str(site), "--quiet"]) == 0
    counts = next((m for m in messages if "search sections of" in m), "")
    return (site / "search" / "search_index.json").read_bytes(), counts


def test_sections_found_ahead_give_the_index_parsing_gives(seeds_dir: Path, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Generated pages' search sections are found where the page is drawn, and the other
    pages' by kgsite's reader (generator.searchsections); the index must be byte for byte
    the one Material's indexer makes by parsing every page itself."""
    from generator import indexing, searchsections

    # the CLI sets both for the MkDocs it runs: undone after this test, for the next ones in this process
    monkeypatch.setenv("KGSITE_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("KGSITE_NOTES", str(seeds_dir))
    ahead, counts = _search_index(seeds_dir, tmp_path / "a")
    found = re.search(r"of (\d+) pages found as they were drawn, (\d+) read by kgsite, (\d+) parsed", counts)
    assert found and int(found.group(1)) > 400 and int(found.group(2)) > 0, counts
    monkeypatch.setattr(indexing, "uses_material_search", lambda config: False)
    read, counts = _search_index(seeds_dir, tmp_path / "b")
    found = re.search(r"of 0 pages found as they were drawn, (\d+) read by kgsite, 0 parsed", counts)
    assert found and int(found.group(1)) > 400, counts
    monkeypatch.setattr(searchsections, "sections", lambda html: None)
    parsed, counts = _search_index(seeds_dir, tmp_path / "c")
    assert re.search(r"of 0 pages found as they were drawn, 0 read by kgsite, \d+ parsed", counts), counts
    assert ahead == parsed
    assert read == parsed


def test_a_page_another_plugin_changes_before_indexing_is_indexed_as_changed(seeds_dir: Path,
                                                                             tmp_path: Path) -> None:
    """Sections found ahead are taken as they are only while the page's HTML is the very
    string we published; a plugin that changes it between our hooks and the search
    plugin's (a hook here) has its text indexed, on our pages as on the others."""
    import json

    from tests.conftest import kgsite

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "index.md").write_text("# home\n", encoding="utf-8")
    (tmp_path / "hooks.py").write_text(
        "from mkdocs.plugins import event_priority\n\n\n"
        "@event_priority(50)  # after kgsite's, before the search plugin's\n"
        "def on_page_context(context, page, config, nav):\n"
        "    page.content = page.content + '<p>hookaddedword</p>'\n"
        "    return context\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: t\ntheme: {name: material}\nhooks: [hooks.py]\nplugins:\n  - search\n"
        f"  - knowledge-graph:\n      notes: {json.dumps(str(seeds_dir))}\n", encoding="utf-8")
    kgsite("build", "--notes", str(seeds_dir), "--site-dir", str(tmp_path / "site"), cwd=tmp_path)
    index = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    pages = {d["location"].split("#")[0] for d in index["docs"]}
    marked = {d["location"].split("#")[0] for d in index["docs"] if "hookaddedword" in d["text"]}
    assert len(pages) > 300 and any(p.startswith("services/") for p in pages), len(pages)
    assert marked == pages, sorted(pages - marked)[:5]
