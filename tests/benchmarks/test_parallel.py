"""graph.parallel: the pool gives the same documents, in input order, as the plain loop."""

from __future__ import annotations

from pathlib import Path

from graph.document import parse_document
from graph.loading import read_vault
from graph.parallel import map_in_order, parse_documents


def square(x: int) -> int:
    return x * x


def test_pool_keeps_input_order() -> None:
    items = list(range(500, 0, -1))
    assert map_in_order(square, items, threshold=10, workers=2) == [x * x for x in items]


def test_short_input_and_one_worker_stay_in_process() -> None:
    assert map_in_order(square, [3, 1, 2]) == [9, 1, 4]
    assert map_in_order(square, list(range(300)), threshold=0, workers=1) == [x * x for x in range(300)]
    assert map_in_order(square, [], threshold=0, workers=2) == []


def test_parsed_documents_equal_the_serial_parse(examples_dir: Path) -> None:
    notes = read_vault(examples_dir)
    assert len(notes) > 2
    assert parse_documents(notes, threshold=0, workers=2) == [parse_document(n) for n in notes]
