"""Compiled templates are kept between builds (``generator.render.template_cache``), like
``.pyc`` files: reused, never trusted when damaged, and not written when switched off."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import FIXTURES, kgsite
from tests.generator.sitetree import tree


def build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str) -> dict[str, str]:
    """A first build of the small vault (its own empty kgsite cache) into ``name``."""
    monkeypatch.setenv("KGSITE_CACHE_DIR", str(tmp_path / f"{name}-cache"))
    kgsite("build", "--notes", str(FIXTURES / "mini"), "--site-dir", str(tmp_path / name), cwd=tmp_path)
    return tree(tmp_path / name)


def test_compiled_templates_are_reused_and_damaged_ones_compiled_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = tmp_path / "compiled"
    monkeypatch.setenv("KGSITE_TEMPLATE_CACHE", str(compiled))
    first = build(tmp_path, monkeypatch, "a")
    entries = sorted(compiled.iterdir())
    assert len(entries) >= 20, entries  # Material's templates and ours
    written = {p: p.stat().st_mtime_ns for p in entries}

    # the next build reads them: none is compiled and written again
    assert build(tmp_path, monkeypatch, "b") == first
    assert {p: p.stat().st_mtime_ns for p in entries} == written

    # a damaged entry is not used: the template is compiled again and the entry replaced
    for p in entries:
        p.write_bytes(b"not bytecode")
    assert build(tmp_path, monkeypatch, "c") == first
    assert all(p.read_bytes() != b"not bytecode" for p in entries)


def test_no_compiled_templates_are_kept_when_switched_off(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home_cache = tmp_path / "xdg"
    monkeypatch.setenv("XDG_CACHE_HOME", str(home_cache))
    monkeypatch.setenv("KGSITE_TEMPLATE_CACHE", "off")
    off = build(tmp_path, monkeypatch, "off")
    assert not (home_cache / "kgsite" / "templates").exists()
    monkeypatch.delenv("KGSITE_TEMPLATE_CACHE")
    assert build(tmp_path, monkeypatch, "on") == off
    assert len(list((home_cache / "kgsite" / "templates").iterdir())) >= 20
