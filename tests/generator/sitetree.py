"""Building a vault in this process (so a failure can be planted in a forked helper) and
reading the site back as file -> hash, for comparing two builds byte for byte."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from generator.cli import main


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def build_here(notes: Path, site: Path, monkeypatch: pytest.MonkeyPatch, *extra: str) -> int:
    """``kgsite build`` in this process, with its own cache folder beside ``site``."""
    monkeypatch.setenv("KGSITE_CACHE_DIR", str(site.parent / f"{site.name}-cache"))
    return main(["build", "--notes", str(notes), "--site-dir", str(site), *extra])


def built_tree(notes: Path, site: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A quiet build that must succeed, as file -> hash."""
    assert build_here(notes, site, monkeypatch, "--quiet") == 0
    return tree(site)
