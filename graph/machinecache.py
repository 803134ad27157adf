"""What every build on a machine computes the same way, kept between runs, the way Python
keeps ``.pyc`` files: compiled templates (:func:`generator.render.template_cache`), the
compiled pattern of a vocabulary's names (:func:`kept_pattern`) and the parsed vocabulary
files (:func:`kept_data`).

Why the pattern: the term matcher is one regular expression shaped as the trie of every
spelling the vocabulary knows (about 4,500, a 43,000-character pattern). Python builds
and compiles it in about 0.1 s, the same work in every run, on the core a build waits on
before it can read the first note. Kept here, it loads in about 2 ms.

An entry is named by a hash of what it was made from and of the Python that made it
(the regular expression engine's version), holds that input again and a checksum of its
code, and is replaced atomically: a vocabulary change, another Python, a damaged file or
two builds at once only mean compiling, as before. Nothing in a project folder changes.
"""

from __future__ import annotations

import array
import contextlib
import hashlib
import importlib
import os
import pickle
import re
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PATTERN_CACHE_ENV = "KGSITE_PATTERN_CACHE"
"""Another folder for compiled patterns and parsed vocabulary files, or ``off`` for none."""
OFF = ("off", "0", "no", "false")
MIN_KEYS = 500
"""Fewer names than this compile faster than a file is read: not kept."""
CODE = "I"
"""The array type of the engine's code words (``_sre.CODESIZE`` bytes each)."""
KEEP = 32
"""Entries kept in the folder (the newest): a vocabulary edited over months, or notes that
add spellings while serving, do not fill the disk."""


def folder(kind: str, env: str) -> Path | None:
    """``$XDG_CACHE_HOME/kgsite/<kind>`` (``~/.cache/...``), or the folder ``env`` names;
    None when ``env`` is ``off`` or the folder cannot be made."""
    where = os.environ.get(env, "").strip()
    if where.lower() in OFF:
        return None
    user_cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = Path(where) if where else user_cache / "kgsite" / kind
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError:
        return None
    return path


_SRE: Any = importlib.import_module("_sre")
"""Python's regular expression engine (no type stubs): its version, and the call that
makes a pattern object of compiled code."""


def _engine() -> str:
    _sre = _SRE
    return (f"{sys.implementation.cache_tag}:{sys.version}:{_sre.MAGIC}:{_sre.CODESIZE}:{sys.byteorder}:"
            f"{array.array(CODE).itemsize}")


def kept_pattern(names: Iterable[str], make: Callable[[list[str]], str]) -> re.Pattern[str] | None:
    """``re.compile(make(names))`` (``names`` sorted, without repeats), read from the
    machine's folder when it was compiled before; None for no names. ``make`` must give
    the same pattern for the same names (the entry is named by the names alone)."""
    listed = sorted(set(names))
    if not listed:
        return None
    where = folder("patterns", PATTERN_CACHE_ENV) if len(listed) >= MIN_KEYS else None
    if where is None:
        return re.compile(make(listed))
    digest = hashlib.blake2b("\n".join([_engine(), *listed]).encode("utf-8"), digest_size=20).hexdigest()
    path = where / f"trie-{digest}.pickle"
    with contextlib.suppress(Exception):  # any damage: compiled again below
        found = _load(path.read_bytes(), listed)
        if found is not None:
            os.utime(path)  # recently used: the last to be pruned
            return found
    pattern = make(listed)
    packed = _pack(pattern, listed)
    compiled = _load(packed, listed) if packed is not None else None
    if packed is None or compiled is None:  # an engine we cannot drive: compiled as usual
        return re.compile(pattern)
    _store(where, path, packed)
    return compiled


def _pack(pattern: str, names: list[str]) -> bytes | None:
    """The pattern as the engine runs it: what ``re.compile`` makes before its last step."""
    try:
        from re import _compiler, _parser  # type: ignore[attr-defined]

        parsed = _parser.parse(pattern, 0)
        code = _compiler._code(parsed, 0)
        state = parsed.state
        groupindex = dict(state.groupdict)
        indexgroup: list[str | None] = [None] * state.groups
        for name, i in groupindex.items():
            indexgroup[i] = name
        # the engine's code as plain numbers (its opcodes are named constants)
        args = (pattern, state.flags, array.array(CODE, code).tobytes(), state.groups - 1, groupindex,
                tuple(indexgroup))
    except Exception:  # another Python's internals: not kept
        return None
    return _sealed(pickle.dumps((names, args), protocol=5))


def _load(data: bytes, names: list[str]) -> re.Pattern[str] | None:
    body = _opened(data)
    if body is None:
        return None
    kept_names, (pattern, flags, code, groups, groupindex, indexgroup) = pickle.loads(body)
    if kept_names != names:
        return None
    numbers = array.array(CODE)
    numbers.frombytes(code)
    # the engine validates the code it is given
    compiled: Any = _SRE.compile(pattern, flags, numbers.tolist(), groups, groupindex, indexgroup)
    return compiled if isinstance(compiled, re.Pattern) else None


def kept_data(source: bytes, load: Callable[[bytes], Any], version: str) -> Any:
    """``load(source)``, read from the machine's folder when these very bytes were loaded
    before. For the vocabulary's YAML files: parsing them took 0.05-0.09 s of every run,
    before the first note could be read (a tenth of a second against two for the
    extraction of 1,000 notes); unpickling the same data takes a few milliseconds.
    ``load`` must give plain data (no objects of our own classes, whose layout may change),
    the same for the same bytes; ``version`` names what else its result depends on (the
    parser's version). An error ``load`` raises is raised, never kept."""
    where = folder("patterns", PATTERN_CACHE_ENV)
    if where is None:
        return load(source)
    digest = hashlib.blake2b(b"\0".join([version.encode("utf-8"), source]), digest_size=20).hexdigest()
    path = where / f"data-{digest}.pickle"
    with contextlib.suppress(Exception):  # any damage: loaded again below
        body = _opened(path.read_bytes())
        if body is not None:
            os.utime(path)
            return pickle.loads(body)
    loaded = load(source)
    with contextlib.suppress(Exception):  # (what cannot be pickled is not kept)
        _store(where, path, _sealed(pickle.dumps(loaded, protocol=5)), "data-")
    return loaded


def _sealed(body: bytes) -> bytes:
    """``body`` behind its checksum, as an entry is written."""
    return hashlib.blake2b(body, digest_size=16).digest() + body


def _opened(data: bytes) -> bytes | None:
    """An entry's body, or None when its checksum does not match (a damaged file)."""
    body = data[16:]
    return body if hashlib.blake2b(body, digest_size=16).digest() == data[:16] else None


def _store(where: Path, path: Path, data: bytes, kind: str = "trie-") -> None:
    try:
        fd, tmp = tempfile.mkstemp(dir=where, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        return
    with contextlib.suppress(OSError):
        entries = sorted(where.glob(f"{kind}*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[KEEP:]:
            old.unlink()
