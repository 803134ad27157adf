"""The theme renders our pages on two cores, and the site is the same byte for byte."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mkdocs.commands.build
import pytest

from generator import forkpages, skeleton
from tests.generator.sitetree import built_tree

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def no_skeletons(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every page of the seeds has a skeleton to fill (generator.skeleton), so none would
    be left for the worker: these tests are about the worker, as with ``fast_theme: false``."""
    monkeypatch.setattr(skeleton.Skeletons, "start", staticmethod(lambda *args, **kwargs: None))


@pytest.fixture()
def served_by_child(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """For each of our pages the child took: whether its HTML came back from the child."""
    seen: list[bool] = []
    original = forkpages.ForkedPages.context

    def context(self: forkpages.ForkedPages, context: Any, page: Any) -> Any:
        taken = page.file.src_uri in self.templates
        out = original(self, context, page)
        if taken:
            seen.append(out["kgsite_forked"] is not None)
        return out

    monkeypatch.setattr(forkpages.ForkedPages, "context", context)
    return seen


@pytest.fixture(scope="module")
def one_core_site(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The seeds built with no worker at all: a memory budget of 1 MB forbids every fork."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("KGSITE_MEMORY_BUDGET_MB", "1")
        return built_tree(seeds_dir, tmp_path_factory.mktemp("one-core") / "site", mp)


def test_pages_rendered_by_the_worker_are_the_pages_one_process_writes(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, one_core_site: dict[str, str],
        served_by_child: list[bool]) -> None:
    both = built_tree(seeds_dir, tmp_path / "site", monkeypatch)
    assert both == one_core_site
    # the worker really took a share, and this process kept one
    pages = sum(1 for k in both if k.endswith(".html"))
    assert served_by_child and all(served_by_child)
    assert 0 < len(served_by_child) < pages - 100


def test_a_worker_that_fails_changes_nothing(seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                             one_core_site: dict[str, str], served_by_child: list[bool]) -> None:
    parent = os.getpid()
    original = mkdocs.commands.build.get_context
    rendered = [0]

    def get_context(*args: Any, **kwargs: Any) -> Any:
        if os.getpid() != parent:
            rendered[0] += 1
            if rendered[0] > 20:  # the worker dies after twenty pages
                raise RuntimeError("planted failure in the page worker")
        return original(*args, **kwargs)

    monkeypatch.setattr(mkdocs.commands.build, "get_context", get_context)
    assert built_tree(seeds_dir, tmp_path / "site", monkeypatch) == one_core_site
    # the twenty pages it finished were used, the rest rendered here
    assert served_by_child.count(True) == 20
    assert served_by_child.count(False) > 0


def test_few_pages_stay_in_one_process(tmp_path: Path) -> None:
    assert forkpages.ForkedPages.start([], set(), None, None, None) is None  # type: ignore[arg-type]
