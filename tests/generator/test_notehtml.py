"""Pages we render ourselves: note bodies (markdown-it-py, as the parser reads them) and
entity pages (Jinja straight to HTML). What a reader sees: lists nest as written, links
land on pages and headings that exist, the contents sidebar is there, and a sentence
repeated across notes is shown once with every source."""

from __future__ import annotations

import html
import posixpath
import re
from pathlib import Path
from urllib.parse import unquote

import pytest

from generator.notehtml import note_html, note_renderer, renderer_for
from generator.paths import href_url, rel
from generator.prerender import Prerendered
from tests.conftest import kgsite


def article(page: Path) -> str:
    doc = page.read_text(encoding="utf-8")
    return doc[doc.index("<article"):doc.index("</article>")]


def test_two_space_nested_bullets_nest_as_in_the_editor() -> None:
    out = note_html("- Amazon Rekognition\n  - 顔検索\n  - 物体検出\n    - ラベル\n", "notes/a.md", True)
    assert re.search(r"<li>Amazon Rekognition\s*<ul>\s*<li>顔検索</li>", out)
    assert re.search(r"<li>物体検出\s*<ul>\s*<li>ラベル</li>", out)


NOTE_SYNTAX = [
    "本文[^1]\n\n[^1]: 脚注の中身\n",
    "インライン脚注^[すぐ読める補足]です\n",
    "- [ ] 未着手\n- [x] 済み\n- [X] 済み\n",
    "!!! note \"メモ\"\n    中身\n",
    "??? tip \"折りたたみ\"\n    中身\n",
    "???+ warning\n    開いた折りたたみ\n",
    "`[^1]` はコードの中\n\n[^1]: 定義だけ\n",
    "- 角括弧 [ ] だけの行\n- [y] 違う印\n",
    "ただの文章。感嘆符は二つまで!! 疑問符も?? 二つ\n",
    "| a | b |\n| --- | --- |\n| [x] | ^[表の中] |\n",
]


@pytest.mark.parametrize("markdown", NOTE_SYNTAX)
def test_a_note_renders_as_with_every_plugin_whichever_it_uses(markdown: str) -> None:
    """A plugin is left out for a note only when its syntax is absent: the page is the same."""
    full = note_renderer().render(markdown, {"page": "notes/a.md", "dir_urls": True})
    assert renderer_for(markdown).render(markdown, {"page": "notes/a.md", "dir_urls": True}) == full


def test_footnotes_task_lists_and_admonitions_are_drawn() -> None:
    out = note_html("".join(NOTE_SYNTAX[:5]), "notes/a.md", True)
    assert 'class="footnote-ref"' in out and "脚注の中身" in out and "すぐ読める補足" in out
    assert out.count('type="checkbox"') == 3 and out.count('checked="checked"') == 2
    assert 'class="admonition note"' in out and 'class="admonition tip is-collapsible collapsible-closed"' in out


def test_seed_notes_keep_their_nested_bullets(seeds_dir: Path, seeds_site: Path) -> None:
    checked = 0
    for note in sorted(seeds_dir.glob("*.md")):
        text = note.read_text(encoding="utf-8")
        nested = re.findall(r"^ {2,3}[-*] (\S.*)$", text, re.M)
        if not nested:
            continue
        page = article(seeds_site / "notes" / note.stem / "index.html")
        # a bullet indented by two spaces is inside the item above it, not a sibling of it
        assert re.search(r"<li>(?:(?!</li>).)*?<ul>", page, re.S), note.name
        checked += 1
    assert checked >= 1


@pytest.mark.parametrize(("href", "dir_urls", "expected"), [
    ("other.md", True, "../other/"),
    ("other.md#L3", True, "../other/#L3"),
    ("sub/index.md", True, "../sub/"),
    ("../concepts/過学習.md", True, "../../concepts/%E9%81%8E%E5%AD%A6%E7%BF%92/"),
    ("img/a b.png", True, "../img/a%20b.png"),
    ("other.md", False, "other.html"),
    ("https://example.com/x.md", True, "https://example.com/x.md"),
    ("#見出し", True, "#見出し"),
])
def test_links_between_files_become_the_urls_mkdocs_publishes(href: str, dir_urls: bool, expected: str) -> None:
    out = note_html(f"[x]({href.replace(' ', '%20')})\n", "notes/a.md", dir_urls)
    got = html.unescape(re.search(r'href="([^"]*)"', out).group(1))  # type: ignore[union-attr]
    if href.startswith(("http", "#")):
        assert got.startswith(expected.split("#")[0][:8])
    else:
        assert got == expected == href_url("notes/a.md", href, dir_urls)


def _reference_url(page: str, href: str, dir_urls: bool) -> str:
    """What a link from ``page`` to ``href`` is, by the standard library's path functions."""
    from urllib.parse import quote

    from generator.paths import file_url, page_dir_url

    path, hash_, frag = href.partition("#")
    url = file_url(posixpath.normpath(posixpath.join(posixpath.dirname(page), path)), dir_urls)
    out = posixpath.relpath("/site/" + url, "/site/" + page_dir_url(page, dir_urls))
    if (url in ("", ".") or url.endswith("/")) and out != ".":
        out += "/"
    elif out == "." and url.endswith("/"):
        out = "./"
    return quote(out, safe="/") + hash_ + frag


PAGES = ["index.md", "map.md", "notes/index.md", "notes/a.md", "notes/sub/deep/b c.md", "services/amazon-s3.md",
         "concepts/過学習.md"]


def test_every_link_between_pages_is_the_url_the_standard_library_gives() -> None:
    """The URLs are computed from cached path segments (a site asks for tens of thousands);
    they must be what the plain path arithmetic says, between every pair of pages."""
    checked = 0
    for dir_urls in (True, False):
        for page in PAGES:
            for target in [*PAGES, "assets/kgsite/x.js", "notes/img/a b.png", "notes/"]:
                for frag in ("", "#L3"):
                    href = rel(page, target) + frag
                    assert href_url(page, href, dir_urls) == _reference_url(page, href, dir_urls), (page, target)
                    checked += 1
    assert checked == 2 * len(PAGES) * (len(PAGES) + 3) * 2
    # a link climbing out of the site keeps its climb
    assert href_url("a.md", "../../x.md", True) == "../../../x/"
    assert href_url("notes/a.md", "/x.md", True).endswith("x/")


def test_headings_get_the_ids_and_contents_mkdocs_would_give() -> None:
    out = note_html('# <a id="L1" class="kg-line"></a>概要\n\n## 概要\n\n## SageMaker `fit()` の使い方\n',
                    "notes/a.md", True)
    pre = Prerendered.of(out)
    assert [(level, id_) for level, id_, _ in pre.toc] == [(1, "概要"), (2, "概要_1"),
                                                          (2, "sagemaker-fit-の使い方")]
    # the sidebar shows the heading's text, never the line anchor inside it
    assert pre.toc[0][2] == "概要"
    tokens = pre.toc_tokens()
    assert [t["id"] for t in tokens] == ["概要"] and [c["id"] for c in tokens[0]["children"]] == ["概要_1",
                                                                                               "sagemaker-fit-の使い方"]


def test_lists_nested_fifty_deep_keep_their_deepest_text() -> None:
    text = "\n".join("  " * i + f"- レベル {i}" for i in range(50))
    assert "レベル 49" in note_html(text, "notes/a.md", True)


def test_a_sentence_repeated_in_several_notes_is_one_quote_with_every_source(tmp_path: Path) -> None:
    vault = tmp_path / "notes"
    vault.mkdir()
    sentence = "Amazon SageMaker Model Monitor は Amazon CloudWatch にメトリクスを送信する。"
    for i in range(9):
        (vault / f"n{i}.md").write_text(f"# ノート {i}\n\n{sentence}\n", encoding="utf-8")
    (vault / "other.md").write_text("# 別\n\nSageMaker Model Monitor は CloudWatch にアラームを送信する。\n",
                                    encoding="utf-8")
    site = tmp_path / "site"
    kgsite("build", "--notes", str(vault), "--site-dir", str(site), cwd=tmp_path)
    page = article(site / "services" / "amazon-sagemaker-model-monitor" / "index.html")
    uses = page[page.index('id="使う-uses"'):page.index('id="言及しているノート"')]
    assert uses.count(html.escape(sentence, quote=False)) == 1
    assert "アラームを送信する" in uses  # the different sentence is its own quote
    for i in range(9):
        assert re.search(rf'href="\.\./\.\./notes/n{i}/#L3">ノート {i}:3</a>', uses), i
    assert "ほか 3 件のノート" in uses  # six sources shown, the rest one click away
    # the theme's contents sidebar lists the page's sections
    doc = (site / "services" / "amazon-sagemaker-model-monitor" / "index.html").read_text(encoding="utf-8")
    toc = doc[doc.index('md-nav--secondary'):]
    assert 'href="#関係"' in toc and 'href="#使う-uses"' in toc


@pytest.mark.parametrize(("page", "target", "expected"), [
    # a page whose name merely ends in "index" is not its folder's index page
    ("services/amazon-kendra-genai-index.md", "assets/kgsite/kgsite.js", "../../assets/kgsite/kgsite.js"),
    ("services/index.md", "assets/kgsite/kgsite.js", "../assets/kgsite/kgsite.js"),
    ("concepts/過学習.md", "map/", "../../map/"),  # a folder URL keeps its slash (file:// has no redirects)
])
def test_raw_html_urls_from_generated_pages(page: str, target: str, expected: str) -> None:
    from generator.paths import url_rel

    assert url_rel(page, target, True) == expected


def _note_page(tmp_path: Path, text: str) -> str:
    """The article of one note's page, from a real build of a one-note vault."""
    from generator import build_site

    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text(text, encoding="utf-8")
    built = build_site(notes)
    return next(p.html for page, p in built.site.prerendered.items() if page.endswith("a.md"))


def test_a_bold_mention_stays_bold_as_in_the_editor(tmp_path: Path) -> None:
    # a linked mention must not change how the text around it parses: **S3**を is bold
    out = _note_page(tmp_path, "# メモ\n\n学習データは **Amazon S3**に置く。\n")
    assert re.search(r'<strong><a href="[^"]*amazon-s3/">Amazon S3</a></strong>に置く', out), out


def test_mentions_inside_alt_text_and_titles_never_put_a_tag_in_an_attribute(tmp_path: Path) -> None:
    out = _note_page(tmp_path, "# メモ\n\n![Amazon S3 の図][img] と Amazon S3\n\n[img]: s3.png \"Amazon S3\"\n")
    for attr in re.findall(r'(?:alt|title)="([^"]*)"', out):
        assert "<" not in attr and "\ue000" not in attr and "\ue002" not in attr, attr
    assert re.search(r'<a href="[^"]*amazon-s3/">Amazon S3</a>', out)
    assert not re.search("[\ue000-\ue002]", out)


def test_a_note_holding_private_use_characters_keeps_them_and_its_links(tmp_path: Path) -> None:
    out = _note_page(tmp_path, "# メモ\n\n記号 \ue000 \ue001 \ue002 と Amazon S3\n")
    assert "\ue000 \ue001 \ue002" in out
    assert re.search(r'<a href="[^"]*amazon-s3/">Amazon S3</a>', out)
    assert 'id="L3"' in out


@pytest.mark.parametrize("index", ["services/index.html", "concepts/index.html", "relations/index.html"])
def test_index_tables_link_to_pages_that_exist(seeds_site: Path, index: str) -> None:
    """The index pages are drawn by markdown-it too: every link in their tables must land."""
    page = seeds_site / index
    body = article(page)
    hrefs = re.findall(r'<td><a href="([^"#]+)(?:#[^"]*)?"', body)
    assert len(hrefs) > 20
    for href in hrefs:
        target = (page.parent / unquote(html.unescape(href))).resolve()
        assert (target / "index.html").is_file() or target.is_file(), href
    assert "<table>" in body and "<th" in body


@pytest.mark.parametrize("html_text", [
    '<h2 id="a">A</h2><p id="L3">x</p>',
    '<div data-id="no" id="yes"></div>',  # after a word character: not an id of its own
    'xid="a id="b"',  # a rejected match hides the next one from a plain scan, not from the pattern's
    '<p id="">empty</p><p id="ok">',
    'id="at-start" é_id="after-letter" 日id="after-kanji" 。id="after-punct"',
])
def test_anchor_ids_are_what_the_pattern_finds(html_text: str) -> None:
    from generator.prerender import ANCHOR_ID, anchor_ids

    assert anchor_ids(html_text) == ANCHOR_ID.findall(html_text)


def test_anchor_ids_of_real_pages_are_what_the_pattern_finds(seeds_site: Path) -> None:
    from generator.prerender import ANCHOR_ID, anchor_ids

    pages = sorted(seeds_site.rglob("*.html"))
    assert len(pages) > 100
    for page in pages:
        text = page.read_text(encoding="utf-8")
        assert anchor_ids(text) == ANCHOR_ID.findall(text), page
