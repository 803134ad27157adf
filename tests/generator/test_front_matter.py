"""Generated pages hand MkDocs their front matter as values (generator.prerender.install_meta):
they must be exactly what MkDocs would read back from the YAML we wrote."""

from __future__ import annotations

from pathlib import Path

import pytest
from mkdocs.utils.meta import get_data

from generator.pipeline import build_site

TRICKY = {
    "yes.md": "---\ntags: [yes, 'null', 1.5, \"a: b\", '#x']\n---\n# no\n\nAmazon S3 に置く。\n",
    "quotes.md": "# \"引用\" と 'single' & <b>タグ</b> 🎉\n\nSageMaker を使う。\n",
    "plain.md": "Amazon Kinesis のメモ。先頭に見出しがない。\n",
    "colon.md": "---\ntitle: 'SageMaker: 概要 --- 続き'\ntags:\n  - ML\n  - 'true'\n---\n本文\n",
}


def _check(notes: Path) -> int:
    site = build_site(notes).site
    assert site.meta
    for page, said in site.meta.items():
        markdown, meta = get_data(site.pages[page])
        assert meta == said, page
        assert markdown == site.pages[page].split("\n---\n", 1)[1].lstrip("\n"), page
    return len(site.meta)


def test_front_matter_values_equal_their_yaml_on_awkward_titles_and_tags(tmp_path: Path) -> None:
    for name, text in TRICKY.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    # every note page and every entity page comes with its values
    assert _check(tmp_path) >= len(TRICKY) + 3


def test_front_matter_values_equal_their_yaml_on_the_seeds(seeds_dir: Path) -> None:
    assert _check(seeds_dir) > 400


@pytest.mark.parametrize("title", ["null", "123", "- item", "a #b", "x\\y", "{ braces }", "…"])
def test_entity_and_note_titles_that_look_like_yaml_stay_strings(tmp_path: Path, title: str) -> None:
    (tmp_path / "n.md").write_text(f"# {title}\n\nAmazon S3 と SageMaker。\n", encoding="utf-8")
    _check(tmp_path)
