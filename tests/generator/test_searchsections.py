"""kgsite's reader of search sections (generator.searchsections) must find exactly what
Material's search parser finds, or decline."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from generator.indexing import lean, material_sections
from generator.searchsections import sections


def article(page: Path) -> str:
    doc = page.read_text(encoding="utf-8")
    return doc[doc.index("<article"):doc.index("</article>") + len("</article>")]


def same_as_material(html: str) -> bool:
    """True when the reader gave Material's sections; False when it declined."""
    try:
        expected = material_sections(html)
    except ValueError:  # Material's parser fails on some broken HTML: the reader must decline it
        assert sections(html) is None, html
        return False
    found = sections(html)
    if found is None:
        return False
    assert found == expected, html
    return True


@pytest.mark.parametrize("site", ["seeds_site", "example_site"])
def test_every_page_of_a_built_site_is_read_as_material_reads_it(site: str, request: pytest.FixtureRequest) -> None:
    root: Path = request.getfixturevalue(site)
    pages = sorted(p for p in root.rglob("*.html") if "<article" in p.read_text(encoding="utf-8"))
    assert len(pages) > 20
    for page in pages:
        full = article(page)
        # the lean form is what the indexer reads: kgsite's reader must take every page of ours
        assert same_as_material(lean(full)), page
        same_as_material(full)


@pytest.mark.parametrize("html", [
    "<h1 id=\"t\">題</h1><p>本文 <code>x &lt; y</code></p>\n\n<p>  </p><ul>\n<li>a</li>\n<li></li></ul>",
    "<div><h2 id=\"a\">A</h2><p>in</p></div><p>after the div: back to the preface</p>",
    "<p>before</p><div><div><h3 id=\"deep\">D</h3></div><p>x</p></div><h2 id=\"b\">B</h2>text",
    "<pre><code>line 1\n    line 2\n\n</code></pre><p>a\nb</p>",
    "<H2 ID=\"Up\">Upper</H2><P>case</P><BR><IMG SRC=\"x\"/>",
    "<h2 id=\"a&amp;b\">&quot;q&quot; &amp; &#39;s&#39;</h2><p>&copy; &nonsense; & raw</p>",
    '<h2>no id</h2><p>x</p><h3 id="">empty</h3><h4 id>bare</h4>',
    "<p>one<br/>two<hr />three</p><div/>tail",
    "<table><tr><td><p>cell</p></td></tr></table><sup>1</sup><sub> </sub>",
    "<script type=\"application/json\">{\"a\": \"<b>not a tag</b>\"}</script><p>shown</p><style>p{}</style>",
    "<p>unclosed <ul><li>item",
    # a section left when its parent closes is never returned to
    '<div><h2 id="a">A</h2><div><h3 id="b">B</h3></div><div><div><div><h4 id="c">C</h4></div>after</div></div></div>',
    "</p></li>stray closings<p>x</p>",
])
def test_tricky_html_is_read_as_material_reads_it(html: str) -> None:
    assert same_as_material(html)


@pytest.mark.parametrize("html", [
    "<p>a < b</p>",
    "<!-- comment --><p>x</p>",
    "<p title=unquoted>x</p>",
    "<object><h2 id=\"o\">in an object</h2></object>",
    '<p data-search-exclude>hidden</p>',
    "<script>never closed",
    '<h2 id="x">T<a class="headerlink" href="#x">¶</a></h2>',
])
def test_html_it_cannot_read_exactly_is_left_to_material(html: str) -> None:
    assert sections(html) is None


TAGS = ["p", "div", "ul", "li", "code", "pre", "h1", "h2", "h3", "span", "br", "img", "sup", "table", "td"]
TEXTS = ["x", " ", "\n", "  \n ", "a b", "&amp;", "&lt;i&gt;", "語", "'\"", "&#x41;", "\t"]


def random_html(rng: random.Random) -> str:
    out = []
    for _ in range(rng.randint(1, 40)):
        r = rng.random()
        tag = rng.choice(TAGS)
        if r < 0.35:
            attrs = f' id="{rng.choice(["a", "b", "a&amp;b", ""])}"' if rng.random() < 0.6 else ""
            out.append(f"<{tag}{attrs}{' /' if rng.random() < 0.05 else ''}>")
        elif r < 0.6:
            out.append(f"</{tag}>")
        else:
            out.append(rng.choice(TEXTS))
    return "".join(out)


def test_random_html_is_read_as_material_reads_it_or_declined() -> None:
    rng = random.Random(20261124)
    read = sum(same_as_material(random_html(rng)) for _ in range(3000))
    assert read > 2000  # the reader takes most of it (it declines only what Material fails on)
