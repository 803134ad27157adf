"""A note's block structure is the same whichever of markdown-it's rules a note lets us skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.notehtml import note_renderer, renderer_for
from graph.document import BLOCK_SYNTAX, absent_block_rules, markdown_parser
from tests.conftest import EXAMPLES, FIXTURES

AWKWARD = [
    "- 箇条書きだけ\n  - 入れ子\n\n見出し下線\n---\n",
    "| 列 |\n| --- |\n| 一列だけの表 |\n",
    "a | b\n--|--\n1 | 2\n",
    "~~~python\nprint('チルダの囲み')\n~~~\n",
    "```\n| 表に見えるコード |\n| --- |\n```\n",
    "- 項目\n  > 入れ子の引用\n  > 続き\n",
    "> 引用の中の表\n> | a | b |\n> | - | - |\n> | 1 | 2 |\n",
    "<div>\n生の HTML\n</div>\n\n<!-- コメント -->\n",
    "比較: a < b かつ c > d (インラインだけ)\n",
    "1. 番号\n   ```\n   入れ子の囲み\n   ```\n",
    "段落の途中で\n| 表が | 始まる |\n| --- | --- |\n| 1 | 2 |\n",
    "    インデントのコード | 縦棒\n",
    ">空白のない引用\n>>二重\n",
]


def _texts() -> list[str]:
    files = sorted(EXAMPLES.rglob("*.md")) + sorted(FIXTURES.rglob("*.md"))
    return AWKWARD + [f.read_text(encoding="utf-8") for f in files]


@pytest.mark.parametrize("text", _texts())
def test_skipping_rules_a_note_cannot_use_gives_the_same_tokens(text: str) -> None:
    absent = absent_block_rules(text)
    assert markdown_parser(absent).parse(text) == markdown_parser().parse(text)
    env = {"page": "notes/a.md", "dir_urls": True}
    assert renderer_for(text).render(text, env) == note_renderer().render(text, env)


def test_the_rules_are_skipped_only_where_their_syntax_is_absent(seeds_dir: Path) -> None:
    assert absent_block_rules("- 箇条書き\n- だけ\n") == tuple(rule for rule, _ in BLOCK_SYNTAX)
    assert absent_block_rules("| a |\n| - |\n> q\n<div>\n~~~\n") == ()
    for note in sorted(seeds_dir.glob("*.md")):
        text = note.read_text(encoding="utf-8")
        assert markdown_parser(absent_block_rules(text)).parse(text) == markdown_parser().parse(text), note.name
