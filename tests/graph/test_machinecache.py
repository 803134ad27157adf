"""The vocabulary's compiled pattern is kept between runs (``graph.machinecache``), like a
``.pyc`` file: the same matches as compiling it, never trusted when damaged, bounded in
number, and not written when switched off."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from graph import machinecache
from graph.loading import read_vault
from graph.matcher import Matcher, trie_pattern
from graph.slug import slugify
from graph.vocabulary import load_vocabulary
from tests.conftest import EXAMPLES


def vocabulary_aliases() -> dict[str, str]:
    vocab = load_vocabulary(())
    return {form: slugify(t.name) for t in reversed(vocab.terms) for form in (t.name, *t.aliases)}


def hits(matcher: Matcher, texts: list[str]) -> list[list[tuple[str, int, int, str]]]:
    return [[(h.entity, h.start, h.end, h.surface) for h in matcher.find(t)] for t in texts]


def note_lines(folder: Path) -> list[str]:
    return [line for note in read_vault(folder) for line in note.text.splitlines() if line.strip()]


def entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("trie-*.pickle"))


def test_the_kept_pattern_finds_what_a_compiled_one_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = tmp_path / "patterns"
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, str(kept))
    aliases = vocabulary_aliases()
    texts = note_lines(EXAMPLES)
    assert len(texts) > 100

    first = Matcher(aliases)  # compiles, and keeps the result
    [entry] = entries(kept)
    stored = entry.read_bytes()
    second = Matcher(aliases)  # reads it
    assert entries(kept) == [entry] and entry.read_bytes() == stored

    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, "off")
    plain = Matcher(aliases)
    # the same engine code as re.compile makes (pattern objects compare their code)
    assert second.patterns == first.patterns == plain.patterns
    assert plain.patterns[0] == re.compile(trie_pattern(plain.by_key))
    assert hits(second, texts) == hits(plain, texts)
    assert any(hits(plain, texts)), "the example notes name known terms"


@pytest.mark.parametrize("damage", [b"", b"not a pattern", "truncated", "flipped"])
def test_a_damaged_entry_is_compiled_again_and_replaced(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        damage: bytes | str) -> None:
    kept = tmp_path / "patterns"
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, str(kept))
    aliases = vocabulary_aliases()
    good = Matcher(aliases).patterns
    [entry] = entries(kept)
    stored = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(stored[: len(stored) // 2])
    elif damage == "flipped":  # one byte of the engine's code changed: the checksum says so
        entry.write_bytes(stored[:-40] + bytes([stored[-40] ^ 0xFF]) + stored[-39:])
    else:
        assert isinstance(damage, bytes)
        entry.write_bytes(damage)
    assert Matcher(aliases).patterns == good
    assert entry.read_bytes() == stored


def test_nothing_is_kept_when_switched_off_or_for_a_few_names(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, "off")
    Matcher(vocabulary_aliases())
    assert not (tmp_path / "xdg").exists()

    monkeypatch.delenv(machinecache.PATTERN_CACHE_ENV)
    few = {f"term {i}": f"t{i}" for i in range(machinecache.MIN_KEYS - 1)}
    Matcher(few)  # compiling is faster than reading a file
    assert not (tmp_path / "xdg").exists()
    Matcher(vocabulary_aliases())
    assert len(entries(tmp_path / "xdg" / "kgsite" / "patterns")) == 1


def test_only_the_most_recent_entries_are_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = tmp_path / "patterns"
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, str(kept))
    monkeypatch.setattr(machinecache, "KEEP", 3)
    for n in range(5):  # five vocabularies, as edited over time
        names = {f"name{n}x{i}": f"e{i}" for i in range(machinecache.MIN_KEYS)}
        assert Matcher(names).find(f"see name{n}x7 here")[0].entity == "e7"
    assert len(entries(kept)) == 3


# ---------------------------------------------------------------- parsed vocabulary files


def test_vocabulary_files_are_parsed_once_per_machine_and_read_back_the_same(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kept = tmp_path / "kept"
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, str(kept))
    user = tmp_path / "mine.yml"
    user.write_text("kind: service\nentries:\n  - name: Amazon Foobar\n    aliases: [Foobar, フーバー]\n",
                    encoding="utf-8")
    load_vocabulary.cache_clear()
    first = load_vocabulary((str(user),))
    parsed = sorted(kept.glob("data-*.pickle"))
    assert len(parsed) == len(first.sources)  # the built-in files and the user's
    load_vocabulary.cache_clear()
    calls: list[bytes] = []

    original = yaml.load

    def counting_load(*args: object, **kwargs: object) -> object:
        calls.append(b"")
        return original(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(yaml, "load", counting_load)
    second = load_vocabulary((str(user),))
    assert calls == [] and second == first  # read back: no file parsed again
    # an edited file is parsed again; the other files are still read back
    user.write_text(user.read_text(encoding="utf-8").replace("フーバー]", "フーバー, FB]"), encoding="utf-8")
    load_vocabulary.cache_clear()
    third = load_vocabulary((str(user),))
    assert len(calls) == 1
    assert "FB" in next(t for t in third.terms if t.name == "Amazon Foobar").aliases
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, "off")
    load_vocabulary.cache_clear()
    assert load_vocabulary((str(user),)) == third
    load_vocabulary.cache_clear()


@pytest.mark.parametrize("damage", [b"", b"garbage", "truncated", "flipped"])
def test_a_damaged_parsed_file_is_parsed_again(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               damage: bytes | str) -> None:
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, str(tmp_path))
    source = b"a: [1, 2]\nb: text\n"

    def parse(data: bytes) -> object:
        return {"a": [1, 2], "b": "text"} if data == source else None

    assert machinecache.kept_data(source, parse, "v1") == {"a": [1, 2], "b": "text"}
    [entry] = tmp_path.glob("data-*.pickle")
    good = entry.read_bytes()
    if damage == "truncated":
        entry.write_bytes(good[: len(good) // 2])
    elif damage == "flipped":
        entry.write_bytes(good[:-3] + bytes([good[-3] ^ 1]) + good[-2:])
    else:
        entry.write_bytes(damage if isinstance(damage, bytes) else b"")
    assert machinecache.kept_data(source, parse, "v1") == {"a": [1, 2], "b": "text"}
    assert entry.read_bytes() == good  # replaced by a good entry
    # another parser version is another entry
    assert machinecache.kept_data(source, parse, "v2") == {"a": [1, 2], "b": "text"}
    assert len(list(tmp_path.glob("data-*.pickle"))) == 2


def test_a_vocabulary_file_that_is_not_utf8_or_yaml_is_named_and_nothing_is_kept(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from graph.vocabulary import VocabularyError

    kept = tmp_path / "kept"
    monkeypatch.setenv(machinecache.PATTERN_CACHE_ENV, str(kept))
    for name, data in (("latin1.yml", "kind: service\nentries:\n  - name: Caf\xe9\n".encode("latin-1")),
                       ("broken.yml", b"kind: [unclosed\n")):
        bad = tmp_path / name
        bad.write_bytes(data)
        load_vocabulary.cache_clear()
        with pytest.raises(VocabularyError, match=name):
            load_vocabulary((str(bad),))
    load_vocabulary.cache_clear()
    builtin = load_vocabulary(())
    assert len(list(kept.glob("data-*.pickle"))) == len(builtin.sources)  # the built-in files only
    load_vocabulary.cache_clear()
