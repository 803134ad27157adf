"""The one build function the plugin and the CLI share: notes folder to generated site."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.site import GeneratedSite, SiteOptions, generate
from graph.build import BuildResult, ParseCache, build_from_notes
from graph.loading import read_vault
from graph.vocabulary import load_vocabulary

_CACHES: dict[str, ParseCache] = {}
_POSITIONS: dict[str, dict[str, tuple[float, float]]] = {}


@dataclass(frozen=True)
class Built:
    result: BuildResult
    site: GeneratedSite
    texts: dict[str, str]


def build_site(notes_dir: Path, vocabulary: tuple[str, ...] = (), options: SiteOptions | None = None,
               exclude: tuple[Path, ...] = ()) -> Built:
    """Read the vault, build the graph, render every page; writes nothing."""
    if not notes_dir.is_dir():
        raise FileNotFoundError(f"notes folder not found: {notes_dir}. Point --notes (or the plugin's "
                                f"'notes' option) at a folder of Markdown notes.")
    key = str(notes_dir.resolve())
    cache = _CACHES.setdefault(key, ParseCache())
    raw = read_vault(notes_dir, exclude)
    result = build_from_notes(raw, load_vocabulary(vocabulary), cache)
    files = {p.relative_to(notes_dir).as_posix() for p in notes_dir.rglob("*") if p.is_file()}
    site = generate(result, {n.path: n.text for n in raw}, options, _POSITIONS.get(key), files)
    _POSITIONS[key] = site.positions
    return Built(result, site, {n.path: n.text for n in raw})
