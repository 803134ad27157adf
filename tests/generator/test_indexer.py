"""Our pages' search sections are found by a forked child while MkDocs reads and wraps
pages: the same search index, whichever process found each page's sections."""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from generator import indexer, indexing
from tests.generator.sitetree import built_tree

pytestmark = pytest.mark.slow


@pytest.fixture()
def taken(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """For the pages the child was given: how many came from it, how many were read here."""
    counts: Counter[str] = Counter()
    original = indexer.Indexer.take

    def take(self: indexer.Indexer, uri: str) -> Any:
        out = original(self, uri)
        counts["child" if out is not None else "here"] += 1
        return out

    monkeypatch.setattr(indexer.Indexer, "take", take)
    return counts


@pytest.fixture(scope="module")
def alone(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The seeds built with every page's sections found in this process."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(indexer.Indexer, "start", staticmethod(lambda order, html: None))
        return built_tree(seeds_dir, tmp_path_factory.mktemp("alone") / "site", mp)


def test_the_childs_sections_give_the_same_search_index(seeds_dir: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch,
                                                        alone: dict[str, str], taken: Counter[str]) -> None:
    site = built_tree(seeds_dir, tmp_path / "site", monkeypatch)
    assert site == alone
    # most of our pages' sections came from the child (the seeds: over four hundred pages)
    assert taken["child"] > indexer.THRESHOLD
    assert taken["child"] > 10 * taken["here"]
    index = json.loads((tmp_path / "site" / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert len(index["docs"]) > taken["child"]


def test_a_child_that_fails_leaves_its_pages_to_this_process(seeds_dir: Path, tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch,
                                                             alone: dict[str, str], taken: Counter[str]) -> None:
    parent = os.getpid()
    original = indexing.index_sections
    found = [0]

    def index_sections(html: str, held: bool = True) -> indexing.Indexed:
        if os.getpid() != parent:
            found[0] += 1
            if found[0] > 25:
                os._exit(3)  # the child dies after twenty-five pages
        return original(html, held)

    monkeypatch.setattr(indexer, "index_sections", index_sections)
    assert built_tree(seeds_dir, tmp_path / "site", monkeypatch) == alone
    assert taken["child"] == 25
    assert taken["here"] > indexer.THRESHOLD


def test_few_pages_are_read_in_this_process() -> None:
    assert indexer.Indexer.start(["a.md"] * indexer.THRESHOLD, lambda uri: "<p>a</p>") is None
