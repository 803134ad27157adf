"""graph.headstart: notes parsed by workers started before the build are the notes the
build would have parsed, whatever happens to the workers or the notes in between."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from networkx.readwrite import node_link_data

from graph import headstart
from graph.build import ParseCache, ParseWithCandidates, build_from_notes
from graph.document import parse_document
from graph.headstart import HeadStart
from graph.loading import read_vault
from graph.model import Document, RawNote
from graph.parallel import THRESHOLD
from graph.vocabulary import load_vocabulary

# The tests make their HeadStart directly: ``HeadStart.start`` declines where other threads
# are alive (a browser test's server in this test process), and the child runs only code
# that takes no lock another thread could hold.


@pytest.fixture(scope="module")
def vault(examples_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """More notes than the build parses on one core: the example vault, copied into folders."""
    root = tmp_path_factory.mktemp("many") / "notes"
    copies = THRESHOLD // len(read_vault(examples_dir)) + 2
    for k in range(copies):
        shutil.copytree(examples_dir, root / f"part-{k:02d}")
    assert len(read_vault(root)) > THRESHOLD
    return root


def _started(vault: Path) -> HeadStart:
    return HeadStart(vault)


def _cues() -> tuple[tuple[str, ...], tuple[str, ...]]:
    read = ParseWithCandidates.of(load_vocabulary(()))
    return read.not_terms, read.list_columns


def _parsed(notes: list[RawNote]) -> list[tuple[Document, list[tuple[str, int, str]]]]:
    """What the build itself makes of ``notes`` (the document, the candidate terms)."""
    read = ParseWithCandidates.of(load_vocabulary(()))
    return [read(n) for n in notes]


def test_notes_parsed_ahead_are_the_notes_the_build_parses(vault: Path) -> None:
    notes = read_vault(vault)
    head = _started(vault)
    ahead = head.take(notes, _cues())
    assert ahead is not None
    assert list(ahead) == _parsed(notes)
    assert head.ahead == len(notes)


def test_notes_the_build_holds_are_parsed_by_workers_forked_then(vault: Path) -> None:
    """Without a head start the build forks the same workers over the notes it read (they
    inherit the notes instead of receiving them pickled, as a process pool's would)."""
    notes = read_vault(vault)
    head = HeadStart(notes, _cues())
    ahead = head.take(notes, _cues())
    assert ahead is not None
    assert list(ahead) == _parsed(notes)
    assert head.ahead == len(notes) and not head.early


def test_candidate_terms_read_with_other_cues_are_left_to_the_build(vault: Path) -> None:
    notes = read_vault(vault)
    head = _started(vault)
    not_terms, columns = _cues()
    ahead = head.take(notes, (not_terms, (*columns, "用途")))
    assert ahead is not None
    assert list(ahead) == [(doc, None) for doc, _ in _parsed(notes)]


def test_a_note_changed_after_the_workers_read_it_is_parsed_as_it_is_now(vault: Path, tmp_path: Path) -> None:
    mine = tmp_path / "notes"
    shutil.copytree(vault, mine)
    head = _started(mine)
    assert head.note_list()  # the workers have read the folder: the edit comes after
    before = read_vault(mine)
    edited = mine / before[7].path
    edited.write_text(edited.read_text(encoding="utf-8") + "\n## 追記\n\nAmazon S3 に保存する。\n", encoding="utf-8")
    notes = read_vault(mine)
    ahead = head.take(notes, _cues())
    assert ahead is not None
    assert list(ahead) == _parsed(notes)
    docs = [parse_document(n) for n in notes]
    assert docs[7] != parse_document(before[7]) and "追記" in [b.text for b in docs[7].blocks]
    assert head.ahead == len(notes) - 1


def test_workers_that_stop_halfway_leave_their_notes_to_the_build(vault: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    real = headstart._write

    def dying(head: HeadStart, worker: int, i: int, payload: bytes) -> None:
        if i >= 60:
            os._exit(1)
        real(head, worker, i, payload)

    monkeypatch.setattr(headstart, "_write", dying)  # the workers are forked after this
    notes = read_vault(vault)
    head = _started(vault)
    ahead = head.take(notes, _cues())
    assert ahead is not None
    assert list(ahead) == _parsed(notes)
    assert 0 < head.ahead <= 60


def test_the_build_takes_the_head_start_once_and_gives_the_same_graph(vault: Path) -> None:
    vocab = load_vocabulary(())
    head = _started(vault)
    headstart.offer(head)
    first = build_from_notes(read_vault(vault), vocab, ParseCache())
    assert head.ahead == first.parsed_ahead == len(read_vault(vault))
    assert headstart.claim() is None  # taken by that build
    again = build_from_notes(read_vault(vault), vocab, ParseCache())
    assert again.parsed_ahead == 0  # (parsed by workers the build started itself)

    def graph(result: object) -> str:
        return json.dumps(node_link_data(result.graph), ensure_ascii=False, sort_keys=True,  # type: ignore[attr-defined]
                          default=str)

    assert graph(first) == graph(again)


def test_no_head_start_for_a_rebuild_and_none_used_for_a_small_vault(vault: Path, examples_dir: Path,
                                                                      tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    (cache / "v-0123").mkdir(parents=True)
    (cache / "v-0123" / "notes.pack").write_bytes(b"")
    assert HeadStart.start(vault, cache) is None
    assert not headstart.begin(vault, cache)
    small = _started(examples_dir)
    assert small.take(read_vault(examples_dir), _cues()) is None  # parsed by the build itself, as without it
    assert small.pid == 0  # its worker has ended and was waited for


def test_notes_other_than_the_folder_s_are_parsed_by_the_build(vault: Path, examples_dir: Path) -> None:
    head = _started(vault)
    others = read_vault(examples_dir) * (THRESHOLD // 10)
    assert head.take(others, _cues()) is None
    assert head.pid == 0
