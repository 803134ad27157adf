"""The domain knowledge, loaded from YAML: entities, their aliases and the relation cues.

Knowledge lives in data so that adding a service, an alias or a cue word never needs
code. A user adds their own files (same schema) through the plugin's ``vocabulary``
option; later files win, and ``veto`` entries forbid merges the user disagrees with.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from graph.cuefile import YAML_LOADER
from graph.machinecache import kept_data
from graph.textkey import key


@dataclass(frozen=True)
class Term:
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    category: str = ""
    parent: str = ""
    description: str = ""


@dataclass(frozen=True)
class Vocabulary:
    terms: tuple[Term, ...]
    cues: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)
    vetoes: frozenset[tuple[str, str]] = frozenset()
    sources: tuple[str, ...] = ()

    def index(self) -> dict[str, Term]:
        """Alias key to term; the first file that names a key owns it."""
        return _index(self)


@lru_cache(maxsize=8)
def _index(vocab: Vocabulary) -> dict[str, Term]:
    out: dict[str, Term] = {}
    for term in vocab.terms:
        for form in (term.name, *term.aliases):
            k = key(form)
            if k and k not in out:
                out[k] = term
    return out


class VocabularyError(ValueError):
    """A vocabulary file that cannot be used; the message names the file and entry."""


def _terms_from(data: Any, origin: str) -> list[Term]:
    if not isinstance(data, dict) or not isinstance(data.get("entries"), list):
        raise VocabularyError(f"{origin}: expected a mapping with 'kind' and a list 'entries'.")
    kind = str(data.get("kind", "concept"))
    if kind not in ("service", "concept"):
        raise VocabularyError(f"{origin}: kind must be 'service' or 'concept', not {kind!r}.")
    terms = []
    for i, entry in enumerate(data["entries"], start=1):
        if not isinstance(entry, dict) or not entry.get("name"):
            raise VocabularyError(f"{origin}: entry {i} has no 'name'.")
        aliases = entry.get("aliases") or []
        if isinstance(aliases, str):
            aliases = [aliases]
        terms.append(Term(str(entry["name"]), str(entry.get("kind", kind)),
                          tuple(str(a) for a in aliases), str(entry.get("category", "") or ""),
                          str(entry.get("parent", "") or ""), str(entry.get("description", "") or "")))
    return terms


def _read_yaml(path: Path) -> Any:
    def parse(source: bytes) -> Any:
        return yaml.load(source.decode("utf-8"), Loader=YAML_LOADER)

    try:
        # parsed once per machine for the same bytes (graph.machinecache.kept_data)
        return kept_data(path.read_bytes(), parse, f"yaml {yaml.__version__} {YAML_LOADER.__name__}")
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise VocabularyError(f"{path}: cannot read vocabulary ({exc}).") from exc


def builtin_dir() -> Path:
    return Path(str(resources.files("graph") / "vocab"))


@lru_cache(maxsize=16)
def load_vocabulary(extra: tuple[str, ...] = ()) -> Vocabulary:
    """Built-in vocabulary plus the user's files; user entries come first so they win."""
    terms: list[Term] = []
    cues: dict[str, Any] = {}
    vetoes: set[tuple[str, str]] = set()
    sources: list[str] = []
    user: list[Term] = []
    for name in extra:
        path = Path(name)
        data = _read_yaml(path)
        sources.append(str(path))
        if isinstance(data, dict) and "veto" in data:
            for pair in data.get("veto") or []:
                if isinstance(pair, list | tuple) and len(pair) == 2:
                    vetoes.add((key(str(pair[0])), key(str(pair[1]))))
        if isinstance(data, dict) and "entries" in data:
            user.extend(_terms_from(data, str(path)))
    base = builtin_dir()
    for path in sorted(base.glob("*.yml")):
        data = _read_yaml(path)
        sources.append(path.name)
        if path.name == "cues.yml":
            cues = data or {}
        elif isinstance(data, dict) and "entries" in data:
            terms.extend(_terms_from(data, path.name))
    return Vocabulary(tuple(user + terms), cues, frozenset(vetoes), tuple(sources))
