"""The collector runs less often during a build, and is put back as it was afterwards."""

from __future__ import annotations

import gc

import pytest

from graph.gcpolicy import YOUNG, fewer_collections


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
