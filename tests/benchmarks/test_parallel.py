"""graph.parallel: the pool and the forked children give the same results, in input order, as the plain loop."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from networkx.readwrite import node_link_data

from generator import build_site, pipeline
from graph.build import build_from_notes
from graph.document import parse_document
from graph.loading import read_vault
from graph.parallel import iter_in_order, shared_map
from graph.vocabulary import load_vocabulary


def square(x: int) -> int:
    return x * x


def test_pool_keeps_input_order() -> None:
    items = list(range(500, 0, -1))
    assert list(iter_in_order(square, items, threshold=10, workers=2)) == [x * x for x in items]


def test_short_input_and_one_worker_stay_in_process() -> None:
    assert list(iter_in_order(square, [3, 1, 2])) == [9, 1, 4]
    assert list(iter_in_order(square, list(range(300)), threshold=0, workers=1)) == [x * x for x in range(300)]
    assert list(iter_in_order(square, [], threshold=0, workers=2)) == []


def test_parsed_documents_equal_the_serial_parse(examples_dir: Path) -> None:
    notes = read_vault(examples_dir)
    assert len(notes) > 2
    assert list(iter_in_order(parse_document, notes, threshold=0, workers=2)) == [parse_document(n) for n in notes]


@pytest.fixture(autouse=True)
def roomy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A memory budget the test process always fits (it may hold a lot already)."""
    monkeypatch.setenv("KGSITE_MEMORY_BUDGET_MB", "100000")


def test_shared_map_forks_within_the_memory_budget_and_not_beyond(monkeypatch: pytest.MonkeyPatch) -> None:
    parent = os.getpid()

    def where(i: int) -> int:
        time.sleep(0.002)  # long enough for the child to start and take its share
        return os.getpid()

    assert len(set(shared_map(where, 400, threshold=10, workers=2)) - {parent}) == 1
    monkeypatch.setenv("KGSITE_MEMORY_BUDGET_MB", "1")  # no copy of this process fits
    assert set(shared_map(where, 400, threshold=10, workers=2)) == {parent}


def test_shared_map_sees_in_memory_state_and_keeps_order() -> None:
    state = {i: str(i) * 3 for i in range(2000)}  # a closure: never pickled, inherited by the fork
    assert shared_map(lambda i: state[i], 2000, threshold=10, workers=2) == [state[i] for i in range(2000)]


def test_shared_map_computes_a_failed_childs_share_itself() -> None:
    parent = os.getpid()

    def only_here(i: int) -> int:
        if os.getpid() != parent:
            raise RuntimeError("a child that fails")
        return i * 2

    assert shared_map(only_here, 500, threshold=10, workers=2) == [i * 2 for i in range(500)]


def test_shared_map_stays_in_process_when_short_or_single_core() -> None:
    pids: set[int] = set()

    def where(i: int) -> int:
        pids.add(os.getpid())
        return i

    assert shared_map(where, 50, threshold=100) == list(range(50))
    assert shared_map(where, 500, threshold=10, workers=1) == list(range(500))
    assert pids == {os.getpid()}


def _export(notes: Path) -> str:
    result = build_from_notes(read_vault(notes), load_vocabulary())
    return json.dumps(node_link_data(result.graph), ensure_ascii=False, sort_keys=True, default=str)


def test_graph_and_pages_are_the_same_on_one_core_and_on_all(seeds_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Relations are read and pages drawn on every core for a large vault; the seeds, forced
    through the same path, give the same graph and the same pages as the plain loop."""
    import generator.site
    import graph.build
    import graph.parallel

    serial_graph = _export(seeds_dir)
    serial_site = build_site(seeds_dir).site
    monkeypatch.setattr(graph.build, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(generator.site, "PARALLEL_THRESHOLD", 0)
    monkeypatch.setattr(graph.parallel, "cpu_count", lambda: 2)
    monkeypatch.setenv("KGSITE_MEMORY_BUDGET_MB", "100000")  # the test process may hold a lot already
    forked: list[bool] = []
    can_fork = graph.parallel.can_fork
    monkeypatch.setattr(graph.parallel, "can_fork", lambda: forked.append(can_fork()) or forked[-1])
    pipeline._CACHES.clear()
    assert _export(seeds_dir) == serial_graph
    parallel_site = build_site(seeds_dir).site
    assert parallel_site.digest() == serial_site.digest()
    assert parallel_site.assets == serial_site.assets
    assert forked and all(forked), "the parallel path was not taken"
