"""The collector runs less often during a build, and is put back as it was afterwards."""

from __future__ import annotations

import gc

import pytest

from graph.gcpolicy import YOUNG, fewer_collections, held


def test_fewer_collections_is_undone_even_on_error() -> None:
    before = gc.get_threshold()
    with pytest.raises(RuntimeError), fewer_collections():
        assert gc.get_threshold()[0] == max(YOUNG, before[0])
        assert gc.get_threshold()[1:] == before[1:]
        raise RuntimeError
    assert gc.get_threshold() == before


def test_a_higher_setting_is_kept() -> None:
    before = gc.get_threshold()
    try:
        gc.set_threshold(YOUNG * 2, *before[1:])
        with fewer_collections():
            assert gc.get_threshold()[0] == YOUNG * 2
        assert gc.get_threshold()[0] == YOUNG * 2
    finally:
        gc.set_threshold(*before)


def _passes_during() -> int:
    """The collector's passes while :func:`held` holds."""
    passes, inside = [0], [0]

    def count(phase: str, info: dict[str, int]) -> None:
        passes[0] += phase == "start"

    gc.callbacks.append(count)
    try:
        with held():
            # a cycle per item: what makes the collector run when it is on
            block_items = [[] for _ in range(50_000)]
            for item in block_items:
                item.append(item)
            inside[0] = passes[0]
    finally:
        gc.callbacks.remove(count)
    return inside[0]


def test_held_runs_no_pass_and_freezes_what_is_alive_when_memory_allows(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KGSITE_MEMORY_BUDGET_MB", "100000")
    before = gc.get_freeze_count()
    try:
        assert _passes_during() == 0
        assert gc.isenabled() and gc.get_freeze_count() >= before + 50_000
    finally:
        gc.unfreeze()


def test_held_freezes_nothing_beyond_the_memory_budget(monkeypatch: pytest.MonkeyPatch) -> None:
    """At 10,000 notes frozen garbage held the build above its budget: there the objects stay
    under collection, as before."""
    monkeypatch.setenv("KGSITE_MEMORY_BUDGET_MB", "1")
    before = gc.get_freeze_count()
    assert _passes_during() == 0
    assert gc.isenabled() and gc.get_freeze_count() == before
