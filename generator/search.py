"""Japanese search that works in the browser: rewrite Material's search index at build time.

Why: Material 9 builds its lunr index in the browser. With ``lang: ja`` it cuts every
Japanese run with TinySegmenter when indexing (再現率 becomes 再 | 現率) but cuts a query's
kanji run greedily by the keys already in the index, and never segments kana queries at
all. The two cuts disagree, so 再現率, 過学習 or an alias that only appears inside a longer
run find nothing, or find everything but the page about the term.

What we do instead, after MkDocs wrote ``search/search_index.json``:

* switch the index to ``lang: en`` (no TinySegmenter in the browser) and cut Japanese
  ourselves, deterministically, with zero-width spaces (U+200B, invisible in results)
  that the separator we configure splits on. A token is a run of one script: kanji,
  katakana or Latin; hiragana that follows kanji or katakana (okurigana, particles) stays
  attached, so 過学習を防ぐ gives 過学習を | 防ぐ and the query 過学習 matches the first token
  as a prefix, exactly as Material's trailing-wildcard query expects. A single kanji before
  katakana is a prefix (再トレーニング, 非エンジニア) and stays attached too: a lone 再 in the
  index would make Material cut the query 再現率 down to 再;
* drop the stemmer: a query is a prefix with a wildcard, which lunr does not stem, so
  the stemmed token "recal" could never match the query Recall;
* merge an entity page's sections into one document (a reader wants the page, not its
  "関係" heading) and add an extra, boosted field ``kg`` holding every alias of the entity
  (JA and EN), cut the same way, so an English query finds a Japanese page and the reverse.

The browser-side companion ``assets/kgsite-search.js`` makes Material read the query on
``input`` events, because Material only re-reads it on ``keyup``, which IME commits and
pastes do not always send.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from generator.paths import file_url
from graph.parallel import shared_map

ZWSP = "\u200b"
#: Whitespace, ZWSP, hyphen and the punctuation of both scripts split tokens; ``&lt;`` and
#: friends are entities Material keeps in the text.
SEPARATOR = (r"[\s\u200b\-、。，．,:;!?()\[\]{}\"'/|（）「」『』【】〈〉《》・：；！？〜～]+"
             r"|&[lg]t;|&amp;|&quot;")
KG_FIELD = "kg"
KG_BOOST = 300.0
ENTITY_BOOST = 2.0
TAG = re.compile(r"(<[^>]*>)")


KANJI = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff々〆ヵヶ"
# katakana, less ヵヶ (katakana by code point, counted as kanji)
KATAKANA = "\u30a0-\u30f4\u30f7-\u30ff\u31f0-\u31ff\uff66-\uff9f"
HIRAGANA = "\u3040-\u309f"
OTHER = f"[^{KANJI}{KATAKANA}{HIRAGANA}\\s]"  # neither Japanese nor whitespace
# every place a token ends: the class changes, no whitespace on either side, and the
# next character does not attach (hiragana after kanji or katakana; katakana after a
# single kanji)
CUT = re.compile(f"(?<=[{KANJI}])(?={OTHER})|(?<=[{KANJI}]{{2}})(?=[{KATAKANA}])"
                 f"|(?<=[{KATAKANA}])(?=[^{KATAKANA}{HIRAGANA}\\s])"
                 f"|(?<=[{HIRAGANA}])(?=[^{HIRAGANA}\\s])"
                 f"|(?<={OTHER})(?=[{KANJI}{KATAKANA}{HIRAGANA}])")


def segment(text: str) -> str:
    """``text`` with a ZWSP wherever a Japanese token ends (see the module docstring).

    One regular expression finds every cut (the index of a 1,000-note vault is tens of
    MB of text; a Python loop over runs of one script took 1.6 times as long).
    """
    if text.isascii():
        return text  # one class throughout: nothing to split
    return CUT.sub(ZWSP, text)


def segment_html(html: str) -> str:
    """:func:`segment` applied to text only, never inside a tag."""
    return "".join(part if part.startswith("<") else segment(part) for part in TAG.split(html))


def page_location(page: str, use_directory_urls: bool) -> str:
    """The unquoted URL MkDocs gives a docs-relative ``.md`` page (as in the index)."""
    return file_url(page, use_directory_urls)


@dataclass(frozen=True)
class SearchReport:
    documents: int
    entity_pages: int


def text_key(text: str) -> str:
    """A text's name in a memo kept on disk (the texts themselves would double its size)."""
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def rewrite_index(data: dict[str, Any], entities: Mapping[str, list[str]],
                  memo: dict[str, str] | None = None, key: Callable[[str], str] | None = None) -> dict[str, Any]:
    """The rewritten index. ``entities`` maps an entity page's unquoted location to its
    name and aliases. ``memo`` keeps each text's segmented form, by the text itself (while
    serving) or by ``key(text)`` (between builds, see :func:`text_key`): after an edit, all
    but a few pages' entries are the same as before. The memo is left holding only what
    this index used, so it never outgrows one index.

    The texts not in the memo are cut first, all at once, on every core for a large index
    (:func:`graph.parallel.shared_map`): a first build's index is written at the end of the
    build, when the second core has nothing left to do. At 1,000 notes the cutting took
    0.14-0.18 s of this process; a child now takes about 40 % of the texts. (Cutting them
    earlier, in the search-section child, made the page stage wait on that child.)"""
    used: set[str] = set()
    texts = list(dict.fromkeys(str(d.get(f, "")) for d in data.get("docs", []) for f in ("title", "text")))
    keys = {t: key(t) if key is not None else t for t in texts} if memo is not None else {}
    todo = [t for t in texts if memo is None or keys[t] not in memo]
    fresh = dict(zip(todo, shared_map(lambda i: segment_html(todo[i]), len(todo)), strict=True))

    def cut(html: str) -> str:
        if memo is None:
            return fresh[html]
        k = keys[html]
        used.add(k)
        done = memo.get(k)
        if done is None:
            done = memo[k] = fresh[html]
        return done

    config = dict(data.get("config", {}))
    config["lang"] = ["en"]
    config["separator"] = SEPARATOR
    config["pipeline"] = []
    fields = dict(config.get("fields") or {"title": {"boost": 1000.0}, "text": {"boost": 1.0}})
    fields[KG_FIELD] = {"boost": KG_BOOST}
    config["fields"] = fields
    docs_out: list[dict[str, Any]] = []
    main: dict[str, dict[str, Any]] = {}
    for doc in data.get("docs", []):
        loc = str(doc.get("location", ""))
        base, _, anchor = unquote(loc).partition("#")
        new = dict(doc)
        new["title"] = cut(str(doc.get("title", "")))
        new["text"] = cut(str(doc.get("text", "")))
        if base in entities:
            if not anchor:
                new[KG_FIELD] = " ".join(segment(a) for a in entities[base])
                new["boost"] = max(float(doc.get("boost", 1.0)), ENTITY_BOOST)
                main[base] = new
                docs_out.append(new)
            elif base in main:
                # one result per entity page: its sections join the page's own document
                main[base]["text"] = (main[base]["text"] + " " + new["text"]).strip()
            else:
                docs_out.append(new)
            continue
        docs_out.append(new)
    if memo is not None:
        for k in [k for k in memo if k not in used]:
            del memo[k]
    out = dict(data)
    out["config"] = config
    out["docs"] = docs_out
    return out


def release_search_index(config: Any) -> None:
    """Empty the search plugins' in-memory index once it is written (at 10,000 notes it
    holds every page's text), so that rewriting the file can reuse that memory. Not while
    serving: Material keeps the index of a dirty build to merge the next one into."""
    for plugin in config.plugins.values():
        index: Any = getattr(plugin, "search_index", None)
        if isinstance(getattr(index, "entries", None), list) and not getattr(plugin, "is_dirty", False):
            index.entries = []


def postprocess(site_dir: Path, entity_terms: Mapping[str, list[str]], use_directory_urls: bool,
                memo: dict[str, str] | None = None, key: Callable[[str], str] | None = None) -> SearchReport:
    """Rewrite ``search/search_index.json`` in a built site; a site without one is left alone."""
    path = site_dir / "search" / "search_index.json"
    if not path.is_file():
        return SearchReport(0, 0)
    data = json.loads(path.read_bytes())
    entities = {page_location(page, use_directory_urls): terms for page, terms in sorted(entity_terms.items())}
    new = rewrite_index(data, entities, memo, key)
    del data  # the rewritten index is all that is left to hold
    path.write_bytes(json.dumps(new, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))
    return SearchReport(len(new["docs"]), sum(1 for d in new["docs"] if KG_FIELD in d))
