"""Our pages' HTML waits between MkDocs reading and writing them, as text up to a size and
compressed past it: the site is the same either way (in-process builds of the seeds)."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import plugin
from generator.cli import main


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_pages_waiting_compressed_or_as_text_give_the_same_site(seeds_dir: Path, seeds_site: Path, tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    # every page compressed; the first few as text, then compressed (the seeds' site: all as text)
    for limit in (0, 200_000):
        monkeypatch.setattr(plugin, "PARKED_TEXT_MAX", limit)
        monkeypatch.setenv("KGSITE_CACHE_DIR", str(tmp_path / f"cache-{limit}"))
        out = tmp_path / f"site-{limit}"
        assert main(["build", "--notes", str(seeds_dir), "--site-dir", str(out), "--quiet"]) == 0
        assert _files(out) == _files(seeds_site)
