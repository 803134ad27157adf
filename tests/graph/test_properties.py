"""Arbitrary text into the parser, the extractor and the slug functions (hypothesis).

Whatever a note contains, no exception escapes, every evidence line lies inside the
note, and page paths never leave the site.
"""

from __future__ import annotations

import posixpath

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.paths import Layout, note_page, slug_segment
from graph.build import build_from_notes
from graph.document import parse_document
from graph.loading import decode
from graph.model import RawNote
from graph.slug import slugify
from graph.vocabulary import load_vocabulary

VOCAB = load_vocabulary(())
FRAGMENTS = ["# ", "## ", "- ", "  - ", "1. ", "> ", "| a | b |\n| --- | --- |\n", "```\n", ":::message\n", ":::\n",
             "[[", "]]", "|", "#^", "![[x]]", " ^id", "---\n", "title: [", "**", "`", "<b>", "</", "\r\n", "\r",
             "\t", "\x00", "\x0b", "\x1b", "\u2028", "\ufeff", "Amazon S3", "AWS Glue", "SageMaker Model Monitor",
             "を使う", "で監視する", "の代わりに", "→", "過学習", "（", "）", "🚀", "\n", "\n\n"]
note_text = st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=12)), max_size=40).map("".join)
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _lines(text: str) -> int:
    return text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1


@SETTINGS
@given(note_text)
def test_parser_never_raises_and_block_lines_stay_in_the_note(text: str) -> None:
    doc = parse_document(RawNote("n.md", text, "d"))
    n = _lines(text)
    for b in doc.blocks:
        assert 1 <= b.line <= b.end_line <= n
    for link in doc.links:
        assert 1 <= link.line <= n
    for d in doc.diagnostics:
        assert 0 <= d.line <= n


@SETTINGS
@given(st.lists(note_text, min_size=1, max_size=3))
def test_extractor_never_raises_and_evidence_lines_stay_in_their_note(texts: list[str]) -> None:
    notes = [RawNote(f"n{i}.md", t, str(i)) for i, t in enumerate(texts)]
    lengths = {n.path: _lines(n.text) for n in notes}
    result = build_from_notes(notes, VOCAB)
    g = result.graph
    for _, _, data in g.edges(data=True):
        for ev in data["evidence"]:
            if ev["note"]:
                assert 1 <= ev["line"] <= lengths[ev["note"]], ev
    for _, data in g.nodes(data=True):
        for ev in [*data.get("definitions", []), *data.get("mentions", [])]:
            assert 1 <= ev["line"] <= lengths[ev["note"]], ev
    for d in result.diagnostics:
        assert d.note in lengths and 0 <= d.line <= lengths[d.note]


@SETTINGS
@given(st.binary(max_size=300))
def test_decode_accepts_any_bytes(data: bytes) -> None:
    text, diags = decode(data, "x.md")
    assert "\r" not in text and "\x00" not in text
    for d in diags:
        assert d.line >= 1


names = st.text(min_size=0, max_size=40)


@SETTINGS
@given(names)
def test_slugs_are_safe_stable_and_idempotent(name: str) -> None:
    s = slugify(name)
    assert s and "/" not in s and "\\" not in s and ".." not in s and not s.startswith((".", "-"))
    assert slugify(s) == s == slugify(name)
    seg = slug_segment(name)
    assert seg and "/" not in seg and "\\" not in seg and seg not in (".", "..") and not seg.startswith(".")


@SETTINGS
@given(st.lists(st.lists(names, min_size=1, max_size=3).map(lambda p: "/".join(p) + ".md"), max_size=12,
                unique=True),
       st.lists(names, max_size=12, unique=True))
def test_pages_are_unique_and_never_escape_the_site(paths: list[str], ids: list[str]) -> None:
    layout = Layout().with_pages(paths, [(i, "concept") for i in ids])
    pages = [layout.note(p) for p in paths] + [layout.entity(i, "concept") for i in ids]
    folded = [p.casefold() for p in pages]
    assert len(set(folded)) == len(folded)  # unique, even on a case-insensitive disk
    reserved = {"notes/index.md", "concepts/index.md", "services/index.md"}
    for page in pages:
        norm = posixpath.normpath(page)
        assert norm == page and not norm.startswith(("/", "..")) and "\\" not in page
        assert page.casefold() not in reserved
    # the same input gives the same assignment, whatever the order
    again = Layout().with_pages(list(reversed(paths)), [(i, "concept") for i in reversed(ids)])
    assert [again.note(p) for p in paths] == [layout.note(p) for p in paths]
    assert note_page("../../etc/passwd.md").startswith("notes/")


def _edit_distance(a: str, b: str) -> int:
    """The textbook dynamic programme, whole table: what the banded one must agree with."""
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


@given(st.text(alphabet="abcxyz-", max_size=14), st.text(alphabet="abcxyz-", max_size=14), st.integers(0, 3))
def test_banded_edit_distance_is_exact_up_to_its_limit(a: str, b: str, limit: int) -> None:
    from graph.entities import levenshtein

    assert levenshtein(a, b, limit) == min(_edit_distance(a, b), limit + 1)


@given(st.text(max_size=30), st.lists(st.text(max_size=4), max_size=6))
def test_not_term_words_are_found_as_substrings(text: str, words: list[str]) -> None:
    from graph.entities import _any_of

    assert bool(_any_of(tuple(words)).search(text)) == any(w in text for w in words)


def _plain_text_every_pattern(raw: str) -> str:
    """plain_text with every pattern run on every line: what the filtered one must agree with."""
    from graph import document as d

    text = d.WIKILINK.sub(
        lambda m: m.group(4) or (m.group(2) or "").split("/")[-1] or (m.group(3) or "").lstrip("#^"), raw)
    text = d.MD_LINK.sub(lambda m: m.group(1), text)
    text = d.HTML_TAG.sub("", text)
    text = d.CITATION.sub("", text)
    text = text.replace("`", "")
    text = d.EMPHASIS.sub("", text)
    text = d.BLOCK_ID.sub("", text)
    return d.LINE_BREAK.sub(" ", text).strip()


@settings(max_examples=2000)
@given(st.text(alphabet="ab 過学習[]()|#^!<>/*_~`【】\n\t-1", max_size=40) | st.text(max_size=40))
def test_plain_text_runs_a_pattern_only_where_it_can_match(raw: str) -> None:
    from graph.document import plain_text

    assert plain_text(raw) == _plain_text_every_pattern(raw)


@settings(max_examples=1000)
@given(st.lists(st.text(alphabet="abAB使う監視 -", min_size=1, max_size=5), min_size=1, max_size=5),
       st.text(alphabet="abAB使う監視する x-.", max_size=30))
def test_cue_patterns_find_what_the_plain_alternation_finds(words: list[str], text: str) -> None:
    import re

    from graph.relations import _any_at_each_position, _english_at_each_position

    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    plain = re.compile(f"(?=({alternatives}))")
    plain_en = re.compile(rf"(?<![A-Za-z])(?=((?:{alternatives}))(?![A-Za-z]))", re.I)
    spans = [(m.start(), m.group(1)) for m in _any_at_each_position(words).finditer(text)]
    assert spans == [(m.start(), m.group(1)) for m in plain.finditer(text)]
    spans = [(m.start(), m.group(1)) for m in _english_at_each_position(words).finditer(text)]
    assert spans == [(m.start(), m.group(1)) for m in plain_en.finditer(text)]


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.text(alphabet="abAB過学習 -（）", min_size=1, max_size=5), min_size=1, max_size=8),
       st.lists(st.text(alphabet="abAB過学習 -（）", min_size=1, max_size=5), max_size=6), st.data())
def test_a_matcher_built_on_another_finds_what_one_pattern_of_all_spellings_finds(
        shared: list[str], added: list[str], data: st.DataObject) -> None:
    """The vault's mention matcher reuses the vocabulary's compiled pattern and compiles
    only the spellings the notes add; what it finds must not depend on that split."""
    from graph.matcher import Matcher

    pieces = st.sampled_from([*shared, *added, " ", "x", "、", "a", "（"])
    text = "".join(data.draw(st.lists(pieces, max_size=12)))
    entities = ["e1", "e2", "e3"]
    base_aliases = {w: entities[len(w) % 3] for w in shared}
    all_aliases = {**base_aliases, **{w: entities[(len(w) + 1) % 3] for w in added}}
    whole = Matcher(all_aliases)
    split = Matcher(all_aliases, base=Matcher(base_aliases))
    assert split.find(text) == whole.find(text) == whole.find_slow(text)


CUES_DATA = VOCAB.cues
CUE_WORDS = sorted({w for v in CUES_DATA.get("relations", {}).values()
                    for lang in ("ja", "en") for w in v.get(lang, [])})


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(CUE_WORDS) | st.text(max_size=3) | st.sampled_from(["S3 ", "を", "X", " "]), max_size=8)
       .map("".join))
def test_a_sentence_without_any_cue_has_no_cue_of_any_relation(sentence: str) -> None:
    """The one-search pre-check lets relation reading skip most sentences; it may say
    "maybe" wrongly, never "no"."""
    from graph.relations import Cues

    cues = Cues(CUES_DATA)
    spans = [cues.find_spans(rel, sentence, keep_denied=True) for rel in CUES_DATA.get("relations", {})]
    assert cues.any_cue(sentence) or not any(spans)
