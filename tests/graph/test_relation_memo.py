"""While serving, each note's inferred relations are kept with what they were read from;
after an edit the graph must be exactly the one a fresh build of the edited notes gives."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from networkx.readwrite import node_link_data

from graph.build import ParseCache, RelationMemo, build_from_notes
from graph.loading import read_vault
from graph.vocabulary import Vocabulary, load_vocabulary


def _graph(result: object) -> str:
    return json.dumps(node_link_data(result.graph), ensure_ascii=False, sort_keys=True, default=str)  # type: ignore[attr-defined]


EDITS = [
    # a sentence with a relation between known services
    ("\n\nAmazon SageMaker Model Monitor は Amazon CloudWatch にメトリクスを送信する。\n", True, True),
    # a new term presented by a heading, then used by a sentence: a new spelling to find in every note
    ("\n\n## Amazon Foobar Insight\n\nAmazon Foobar Insight は Amazon S3 にデータを保存する。\n", False, False),
    # a table comparing two services, one of them new to the notes (a new entity record)
    ("\n\n| サービス | 用途 |\n| --- | --- |\n| Amazon Kinesis Data Streams | 取り込み |\n| Amazon SQS | キュー |\n",
     True, False),
]


def _served(seeds: Path, tmp_path: Path) -> tuple[Path, Vocabulary, ParseCache]:
    """A copy of the seeds built once with a relation memo, as ``kgsite serve`` keeps it."""
    vault = tmp_path / "notes"
    shutil.copytree(seeds, vault)
    vocab = load_vocabulary(())
    cache = ParseCache(relations=RelationMemo())
    build_from_notes(read_vault(vault), vocab, cache)
    return vault, vocab, cache


@pytest.mark.parametrize(("edit", "same_spellings", "same_table"), EDITS)
def test_an_edit_gives_the_graph_a_fresh_build_gives(seeds_dir: Path, tmp_path: Path, edit: str,
                                                     same_spellings: bool, same_table: bool) -> None:
    vault, vocab, cache = _served(seeds_dir, tmp_path)
    note = sorted(vault.glob("*.md"))[1]
    note.write_text(note.read_text(encoding="utf-8") + edit, encoding="utf-8")
    remembered = build_from_notes(read_vault(vault), vocab, cache)
    assert cache.relations is not None
    assert cache.relations.reused == len(remembered.documents) - 1  # only the edited note was read again
    # the other notes' mentions are kept while the spellings searched for are the same
    assert cache.relations.reused_mentions == (len(remembered.documents) - 1 if same_spellings else 0)
    # the terms the notes present: replayed up to the edited note; after it too when the
    # edited note changed what resolving reads in the entity table as it did before
    assert cache.relations.replayed_presenting == (len(remembered.documents) - 1 if same_table else 1)
    fresh = build_from_notes(read_vault(vault), vocab, ParseCache())
    assert _graph(remembered) == _graph(fresh)


def test_an_unchanged_rebuild_reads_no_note_again(seeds_dir: Path) -> None:
    vocab = load_vocabulary(())
    cache = ParseCache(relations=RelationMemo())
    first = build_from_notes(read_vault(seeds_dir), vocab, cache)
    again = build_from_notes(read_vault(seeds_dir), vocab, cache)
    assert cache.relations is not None and cache.relations.reused == len(first.documents)
    assert cache.relations.reused_mentions == len(first.documents)
    assert cache.relations.replayed_presenting == len(first.documents)
    assert _graph(first) == _graph(again)


def test_a_deleted_note_leaves_nothing_behind(seeds_dir: Path, tmp_path: Path) -> None:
    vault, vocab, cache = _served(seeds_dir, tmp_path)
    gone = sorted(vault.glob("*.md"))[0]
    gone.unlink()
    remembered = build_from_notes(read_vault(vault), vocab, cache)
    assert cache.relations is not None
    # each remembered reading belongs to a note of this build, parsed as it is now
    assert {p: c[0] for p, c in cache.relations.candidates.items()} == {d.path: d for d in remembered.documents}
    assert {p: m.doc for p, m in cache.relations.mentions.items()} == {d.path: d for d in remembered.documents}
    assert _graph(remembered) == _graph(build_from_notes(read_vault(vault), vocab, ParseCache()))


def _variants(text: str, later: str) -> list[str]:
    """Edits of one note, each moving what it presents against the notes after it: half its
    lines gone (spellings and terms it introduced now come first in a later note), a later
    note's lines added (its terms now come first here), the lines in reverse order, and the
    note as it was."""
    lines = text.splitlines(keepends=True)
    return ["".join(lines[::2]), text + "\n" + later, "".join(reversed(lines)) + "\n", text]


@pytest.mark.parametrize("which", [0, 1, 3])
def test_edits_in_a_row_give_the_graphs_fresh_builds_give(seeds_dir: Path, tmp_path: Path, which: int) -> None:
    vault, vocab, cache = _served(seeds_dir, tmp_path)
    notes = sorted(vault.glob("*.md"))
    note, later = notes[which], notes[-1].read_text(encoding="utf-8")
    replayed = []
    for text in _variants(note.read_text(encoding="utf-8"), later):
        note.write_text(text, encoding="utf-8")
        remembered = build_from_notes(read_vault(vault), vocab, cache)
        assert cache.relations is not None
        replayed.append(cache.relations.replayed_presenting)
        assert _graph(remembered) == _graph(build_from_notes(read_vault(vault), vocab, ParseCache()))
    # the notes before the edited one are replayed at least
    assert min(replayed) >= which
