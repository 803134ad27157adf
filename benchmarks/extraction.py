"""One extraction measurement in a process of its own: ``python3 -m benchmarks.extraction
{kgsite|markdown-it} VAULT`` prints ``{"megabytes": ..., "seconds": ...}``.

A new process is what ``kgsite build`` is: nothing remembered in memory from an earlier
run (the vocabulary, the term matchers), and no heap left over from the benchmark's other
figures, which slowed the extraction measured inside the benchmark process by a tenth.
What a machine keeps between runs (the vocabulary's compiled pattern and parsed files,
:mod:`graph.machinecache`) is read as by any build after a machine's first: the first
run writes it. Reading the notes is not timed, nor are imports; the markdown-it
baseline is timed the same way. Extraction runs as in a plain build (``hold``: no
collector pass over what it makes, which lives to the end of the build).
"""

from __future__ import annotations

import gc
import json
import sys
import time
from pathlib import Path


def measure(which: str, vault: Path) -> dict[str, float]:
    from graph.build import ParseCache, build_from_notes
    from graph.loading import read_vault
    from graph.vocabulary import load_vocabulary

    raw = read_vault(vault)
    megabytes = sum(len(n.text.encode("utf-8")) for n in raw) / 1e6
    if which == "markdown-it":
        from markdown_it import MarkdownIt

        md = MarkdownIt()
        start = time.perf_counter()
        for note in raw:
            md.parse(note.text)
    elif which == "kgsite":
        cache = ParseCache()
        start = time.perf_counter()
        # as a plain build extracts: what it makes is held out of the collector's passes,
        # and the parsed notes stay in the build's cache (freeing them, 0.06 s at 1,000
        # notes, was timed here while a build does it only once its pages are drawn)
        build_from_notes(raw, load_vocabulary(()), cache, hold=True)
    else:
        raise SystemExit(f"unknown extractor {which!r}: kgsite or markdown-it")
    seconds = time.perf_counter() - start
    gc.unfreeze()
    if which == "kgsite":
        del cache
    return {"megabytes": megabytes, "seconds": seconds}


if __name__ == "__main__":
    print(json.dumps(measure(sys.argv[1], Path(sys.argv[2]))))
