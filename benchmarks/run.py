"""``nox -s bench`` / ``python3 -m benchmarks.run [--full]``: kgsite against the tools people use instead.

Every figure is a median of ``--runs`` runs (one run for the 10,000-note vault; at least
three for extraction, which is cheap and noisy) next to a baseline measured in the same
run, as a ratio, so a slower or faster machine moves both:

* extraction: MB/s of ``build_from_notes`` vs markdown-it-py's raw ``MarkdownIt().parse``;
* build: ``kgsite build`` vs a plain ``mkdocs build`` of the same notes with the same
  Material settings and the same navigation (top-level pages plus one index of notes);
  peak RSS of each process tree and the size of each site. ``build`` starts from an
  empty cache (a first build); ``rebuild`` is the next build after editing one note,
  with the cache the first left beside the site (parsed notes, drawn pages, the layout);
* site growth: how the site's content grows with the number of notes (1.0 = linear);
* one-note edit: ``build_site`` again after an edit (graph + pages stage, vs a cold
  ``build_site``) and end to end under ``kgsite serve`` (HTTP polled until the page shows
  the edit, vs the plain full rebuild that ``mkdocs serve`` redoes on every edit);
* map: layout time vs ``networkx.spring_layout``; HTML size and first draw in headless
  Chromium vs pyvis's own self-contained page with the same precomputed positions.

Vaults: ``../shared/seeds`` and synthetic vaults from ``../shared/tools/make_corpus.py``
(250 and 1,000 notes, the 250 for the site-growth figure; 10,000 more with ``--full``).
Nothing outside ``--out`` is written but kgsite's own bytecode (``__pycache__`` beside its
modules, see :func:`compile_kgsite`); the user's notes are only read.
Results: ``<out>/results.json`` and ``<out>/results.md``. Where kgsite's runs alternate
with the baseline's (extraction, build), each run is also compared with the baseline run
beside it, in the figure's note: how far a single run strays.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
MAKE_CORPUS = SHARED / "tools" / "make_corpus.py"
SEEDS = SHARED / "seeds"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu"]


@dataclass(frozen=True)
class Figure:
    """One measured figure and the baseline it is compared with (``ratio = value / baseline_value``)."""

    name: str
    vault: str
    value: float
    unit: str
    runs: tuple[float, ...]
    baseline: str
    baseline_value: float
    ratio: float
    target: str = ""
    holds: bool | None = None
    note: str = ""
    baseline_runs: tuple[float, ...] = ()
    #: each run against the baseline run made beside it (figures whose runs alternate)
    pair_ratios: tuple[float, ...] = ()


@dataclass(frozen=True)
class Run:
    """One subprocess: wall-clock seconds, peak RSS of its process tree and of its largest process."""

    seconds: float
    tree_rss_mb: float
    max_rss_mb: float
    returncode: int
    log: str
    tree_pss_mb: float = 0.0


@dataclass
class Bench:
    out: Path
    runs: int
    full: bool
    browser: bool
    serve: bool
    figures: list[Figure] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    def add(self, name: str, vault: str, runs: Iterable[float], unit: str, baseline: str,
            baseline_runs: Iterable[float], target: str = "", check: Callable[[float, float], bool] | None = None,
            note: str = "", paired: bool = False) -> Figure:
        """``paired``: the runs and the baseline's alternate, so each run is also compared with
        the baseline run beside it (in the note). The verdict stays on the medians' ratio; the
        pairs show how far one run of this machine strays (its speed drifts by a fifth
        within minutes, and a build on two cores feels it more than one on a single core)."""
        values = tuple(round(v, 4) for v in runs)
        base = tuple(round(v, 4) for v in baseline_runs)
        value, base_value = statistics.median(values), statistics.median(base)
        ratio = value / base_value if base_value else math.inf
        pairs = tuple(round(v / w, 3) if w else math.inf for v, w in zip(values, base, strict=True)) if paired else ()
        if pairs:
            note = (note + "; " if note else "") + "run by run: " + ", ".join(f"{p:g}" for p in pairs)
        fig = Figure(name, vault, round(value, 4), unit, values, baseline, round(base_value, 4), round(ratio, 3),
                     target, check(value, ratio) if check else None, note, base, pairs)
        self.figures.append(fig)
        print(f"  {name:<24} {vault:<12} {value:>10.3f} {unit:<6} ({baseline} {base_value:.3f}; ratio {ratio:.2f})"
              + (f"  target {target}: {'holds' if fig.holds else 'FAILS'}" if check else ""), flush=True)
        return fig

    def skip(self, what: str) -> None:
        print(f"  skipped: {what}", flush=True)
        self.skipped.append(what)


# ---------------------------------------------------------------- processes


def _tree_rss_kb(root: int, with_pss: bool = True) -> tuple[int, int]:
    """Resident memory of ``root`` and all its descendants, from /proc (Linux): the sum of
    their RSS, and of their PSS (a page shared by forked processes counted once, split
    between them; the RSS sum counts it in every process that maps it)."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read().rsplit(b")", 1)[1].split()
            with open(f"/proc/{entry}/statm", "rb") as fh:
                pages = int(fh.read().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        parents[int(entry)] = int(stat[1])
        rss[int(entry)] = pages * (os.sysconf("SC_PAGE_SIZE") // 1024)
    total, pss, todo = 0, 0, [root]
    while todo:
        pid = todo.pop()
        total += rss.get(pid, 0)
        pss += _pss_kb(pid) if with_pss and pid in rss else 0
        todo.extend(p for p, pp in parents.items() if pp == pid)
    return total, pss


def _pss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as fh:
            for line in fh:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1])
    except (OSError, IndexError, ValueError):
        pass
    return 0


def run_process(cmd: list[str], cwd: Path, timeout: float = 3600.0, env: dict[str, str] | None = None) -> Run:
    """Run ``cmd`` to completion; peak RSS from ``wait4`` (largest process) and /proc sampling (tree)."""
    log = cwd / "last-run.log"
    with open(log, "wb") as fh:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, stdout=fh, stderr=subprocess.STDOUT, env=env or repo_env())
        peak = [0, 0]
        done = threading.Event()

        def sample() -> None:
            tick = 0
            while not done.wait(0.2):
                # PSS walks the page tables of every process: read it once a second only
                tree, pss = _tree_rss_kb(proc.pid, with_pss=tick % 5 == 0)
                peak[0], peak[1] = max(peak[0], tree), max(peak[1], pss)
                tick += 1

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        killer = threading.Timer(timeout, proc.kill)
        killer.start()
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
        killer.cancel()
        done.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text(encoding="utf-8", errors="replace")
    max_mb = usage.ru_maxrss / 1024
    return Run(seconds, max(peak[0] / 1024, max_mb), max_mb, proc.returncode, text[-4000:],
               max(peak[1] / 1024, max_mb))


def repo_env() -> dict[str, str]:
    """The environment for child processes: this checkout first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH", "")) if p)
    return env


def compile_kgsite() -> None:
    """kgsite's modules compiled to bytecode beside them, as pip does when it installs a
    package, so that kgsite is measured as installed.

    The checkout is installed in editable mode, which compiles nothing, and where Python
    does not write bytecode as it imports (``PYTHONDONTWRITEBYTECODE``, set on the CI
    machines) every kgsite process compiled kgsite's modules again: 0.36 s of import time
    per build against 0.08 s, measured, most of it at the start of the build's main process.
    The plain MkDocs build it is compared with imports packages pip has compiled."""
    import compileall

    for package in ("graph", "generator", "benchmarks"):
        compileall.compile_dir(REPO / package, quiet=1)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_get(port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read().decode("utf-8", errors="replace")
    except (OSError, http.client.HTTPException):  # (a page read while the server rewrote it: ask again)
        return 0, ""
    finally:
        conn.close()


FIXED_ASSETS = ("assets/javascripts/", "assets/stylesheets/", "assets/images/")
"""Theme files every site carries whatever its size (left out of the growth figure)."""


def dir_size(root: Path) -> tuple[int, int, int]:
    """(total bytes, number of HTML pages, bytes that depend on the content) of a built site.

    Content bytes leave out the theme's static files and the vis-network library, whose
    size is the same for 5 notes or 10,000, so the growth figure sees only what scales.
    """
    total = pages = content = 0
    for p in root.rglob("*"):
        if p.is_file():
            size = p.stat().st_size
            rel = p.relative_to(root).as_posix()
            total += size
            pages += p.suffix == ".html"
            if not rel.startswith(FIXED_ASSETS) and not p.name.startswith("vis-network"):
                content += size
    return total, pages, content


# ---------------------------------------------------------------- vaults


def corpus(n: int, out: Path) -> Path | None:
    """A synthetic vault of ``n`` notes (cached under ``out``), or None without make_corpus.py."""
    if not MAKE_CORPUS.is_file() or not SEEDS.is_dir():
        return None
    target = out / f"corpus-{n}"
    marker = target / ".complete"
    if not marker.is_file():
        shutil.rmtree(target, ignore_errors=True)
        subprocess.run([sys.executable, str(MAKE_CORPUS), str(n), str(target), "--seeds", str(SEEDS)], check=True)
        marker.write_text(str(n))
    return target


def note_files(vault: Path) -> list[Path]:
    return sorted(p for p in vault.rglob("*.md") if not any(s.startswith(".") for s in p.relative_to(vault).parts))


def copy_vault(vault: Path, dest: Path) -> Path:
    shutil.rmtree(dest, ignore_errors=True)
    shutil.copytree(vault, dest, ignore=shutil.ignore_patterns(".*"))
    return dest


def plain_mkdocs_project(vault: Path, dest: Path) -> Path:
    """A plain MkDocs project of the same notes with kgsite's own theme and nav settings.

    Theme, Markdown extensions, search and validation come from kgsite's built-in
    ``mkdocs.yml`` (so they stay in step); the knowledge-graph plugin is dropped. The
    navigation is the same shape as kgsite's: top-level pages and one page listing every
    note (notes themselves are not in the nav, as in kgsite).
    """
    from generator.cli import default_config

    config = _without_kgsite(default_config().read_text(encoding="utf-8"))
    shutil.rmtree(dest, ignore_errors=True)
    docs = dest / "docs"
    copy_vault(vault, docs / "notes")
    listing = "notes/index.md" if not (docs / "notes" / "index.md").exists() else "notes/all-notes.md"
    links = [f"- [{p.stem}]({p.relative_to(docs / 'notes').as_posix()})" for p in note_files(docs / "notes")]
    (docs / listing).write_text("# ノート\n\n" + "\n".join(links) + "\n", encoding="utf-8")
    (docs / "index.md").write_text("# ノート\n\n[ノート一覧](" + listing + ")\n", encoding="utf-8")
    nav = f"nav:\n  - ホーム: index.md\n  - ノート: {listing}\n"
    (dest / "mkdocs.yml").write_text(config.replace("nav:\n", nav, 1), encoding="utf-8")
    return dest / "mkdocs.yml"


def _without_kgsite(config: str) -> str:
    """kgsite's mkdocs.yml text without the knowledge-graph plugin and with an empty nav.

    Edited as text: the file holds MkDocs-only YAML tags (``!ENV``, ``!!python/...``) that
    a plain YAML round trip cannot keep.
    """
    out: list[str] = []
    skip_indent: int | None = None
    for line in config.splitlines():
        indent = len(line) - len(line.lstrip())
        if skip_indent is not None:
            if line.strip() and indent > skip_indent:
                continue
            sibling = line.strip().startswith("- ") and indent == skip_indent > 0
            if not (sibling or (indent == 0 and line.strip())):
                continue
            skip_indent = None
        if line.strip().startswith("- knowledge-graph"):
            skip_indent = indent
            continue
        if line.startswith("nav:"):
            skip_indent = 0
            out.append("nav:")
            continue
        out.append(line)
    return "\n".join(out) + "\n"


# ---------------------------------------------------------------- figures


EXTRACTION_MIN_RUNS = 3
"""Extraction takes seconds, and one pair of runs on this machine can be a third apart
(the baseline alone measured 1.28 and 1.75 MB/s on the same day): it always takes the
median of at least this many alternating pairs, even in the reduced CI run."""


def _extraction_run(which: str, vault: Path) -> float:
    """MB/s of one extraction, measured in a new process (see :mod:`benchmarks.extraction`)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.extraction", which, str(vault)], cwd=REPO,
                          env=repo_env(), capture_output=True, text=True, timeout=1800, check=True)
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    return float(figures["megabytes"]) / float(figures["seconds"])


def bench_extraction(b: Bench, name: str, vault: Path, runs: int) -> None:
    from graph.loading import read_vault

    raw = read_vault(vault)
    megabytes = sum(len(n.text.encode("utf-8")) for n in raw) / 1e6
    base, ours = [], []
    for _ in range(max(runs, EXTRACTION_MIN_RUNS)):
        base.append(_extraction_run("markdown-it", vault))
        ours.append(_extraction_run("kgsite", vault))
    b.add("extraction", name, ours, "MB/s", "markdown-it-py parse", base, ">= 0.5x", lambda v, r: r >= 0.5,
          note=f"{megabytes:.2f} MB, {len(raw)} notes; median of {len(ours)} alternating runs, each in a "
               f"new process, as a build is", paired=True)


def bench_build(b: Bench, name: str, vault: Path, runs: int) -> dict[str, float]:
    """kgsite build vs plain mkdocs build; returns site sizes and page counts for the growth figure."""
    work = b.out / "work" / f"build-{name}"
    work.mkdir(parents=True, exist_ok=True)
    cfg = plain_mkdocs_project(vault, work / "plain")
    kg_runs: list[Run] = []
    plain_runs: list[Run] = []
    rebuilds: list[Run] = []
    n_notes = len(note_files(vault))
    timeout = 3600.0
    # kgsite builds a copy: the rebuild figure edits a note
    notes = copy_vault(vault, work / "notes")
    files = note_files(notes)
    cache = work / ".kgsite-cache"
    kg_env = {**repo_env(), "KGSITE_CACHE_DIR": str(cache)}
    big = n_notes >= 5000
    for k in range(runs):
        site = work / "site-plain"
        shutil.rmtree(site, ignore_errors=True)
        r = run_process([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(cfg), "-d", str(site)], work,
                        timeout)
        if r.returncode != 0:
            raise RuntimeError(f"plain mkdocs build failed:\n{r.log}")
        plain_runs.append(r)
        site = work / "site-kg"
        shutil.rmtree(site, ignore_errors=True)
        shutil.rmtree(cache, ignore_errors=True)  # a first build: nothing parsed or drawn before
        kg = [sys.executable, "-m", "generator.cli", "build", "--notes", str(notes), "--site-dir", str(site)]
        r = run_process(kg, work, timeout, kg_env)
        if r.returncode != 0:
            raise RuntimeError(f"kgsite build failed:\n{r.log}")
        kg_runs.append(r)
        if big:
            continue
        # the build a user runs after editing one note: the cache beside the site is warm
        marker = _edit(files[(k * 7919) % len(files)], 100 + k)
        r = run_process(kg, work, timeout, kg_env)
        if r.returncode != 0 or not any(marker in p.read_text(encoding="utf-8", errors="replace")
                                        for p in site.rglob("index.html") if "notes" in p.parts):
            raise RuntimeError(f"kgsite rebuild failed or lost the edit {marker}:\n{r.log}")
        rebuilds.append(r)
    b.add("build", name, [r.seconds for r in kg_runs], "s", "plain mkdocs build", [r.seconds for r in plain_runs],
          "<= 1.3x" + (", <= 600 s" if big else ""),
          (lambda v, r: v <= 600) if big else (lambda v, r: r <= 1.3),
          note=f"{n_notes} notes, first build (empty cache)", paired=True)
    if rebuilds:
        b.add("rebuild", name, [r.seconds for r in rebuilds], "s", "plain mkdocs build",
              [r.seconds for r in plain_runs], "<= 1.3x", lambda v, r: r <= 1.3,
              note="kgsite build again after editing one note (cache of the last build beside the site; "
                   "MkDocs has none)")
    b.add("peak_rss", name, [r.tree_rss_mb for r in kg_runs], "MB", "plain mkdocs build",
          [r.tree_rss_mb for r in plain_runs],
          note=f"process tree, RSS summed (pages shared by forked workers counted in each); largest single "
               f"process {statistics.median(r.max_rss_mb for r in kg_runs):.0f} MB")
    b.add("peak_pss", name, [r.tree_pss_mb for r in kg_runs], "MB", "plain mkdocs build",
          [r.tree_pss_mb for r in plain_runs], "<= 1024 MB" if big else "",
          (lambda v, r: v <= 1024) if big else None,
          note="process tree, PSS summed (each shared page counted once): the memory the build takes")
    kg_bytes, kg_pages, kg_content = dir_size(work / "site-kg")
    plain_bytes, plain_pages, plain_content = dir_size(work / "site-plain")
    b.add("site_size", name, [kg_bytes / 1e6], "MB", "plain mkdocs site", [plain_bytes / 1e6],
          note=f"{kg_pages} vs {plain_pages} HTML pages")
    return {"kg_bytes": kg_content, "kg_pages": kg_pages, "plain_bytes": plain_content, "plain_pages": plain_pages,
            "notes": n_notes}


def bench_plain_build(b: Bench, vault: Path, name: str) -> float:
    """One plain mkdocs build (the serve figure's baseline when the build figure is not run)."""
    work = b.out / "work" / f"build-{name}"
    work.mkdir(parents=True, exist_ok=True)
    cfg = plain_mkdocs_project(vault, work / "plain")
    r = run_process([sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(cfg), "-d", str(work / "site-plain")],
                    work)
    if r.returncode != 0:
        raise RuntimeError(f"plain mkdocs build failed:\n{r.log}")
    return r.seconds


def bench_growth(b: Bench, sizes: dict[str, dict[str, float]]) -> None:
    """Exponent of site size in the number of notes between the smallest and largest vault (1.0 = linear).

    Measured against notes, not HTML pages: kgsite adds one page per entity, a block of
    pages that hardly grows with the vault, so a page-based exponent would mix the two.
    """
    if len(sizes) < 2:
        b.skip("site growth (needs two vaults)")
        return
    corpora = {k: v for k, v in sizes.items() if k != "seeds"}
    ordered = sorted((corpora if len(corpora) >= 2 else sizes).items(), key=lambda kv: kv[1]["notes"])
    (small_name, small), (big_name, big) = ordered[0], ordered[-1]

    def exponent(prefix: str) -> float:
        return math.log(big[f"{prefix}_bytes"] / small[f"{prefix}_bytes"]) / math.log(big["notes"] / small["notes"])

    b.add("site_growth_exponent", f"{small_name}->{big_name}", [exponent("kg")], "", "plain mkdocs",
          [exponent("plain")], "<= 1.15 (not quadratic)", lambda v, r: v <= 1.15,
          note="log(content size ratio) / log(note count ratio); theme files left out")


def _edit(path: Path, k: int) -> str:
    marker = f"kgsite-bench-edit-{k}"
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(f"\n\n{marker}: SageMaker は S3 を使う。\n")
    return marker


def bench_edit_api(b: Bench, name: str, vault: Path, runs: int) -> None:
    """Time of ``build_site`` after a one-note edit (warm caches) vs a cold ``build_site``."""
    from generator import pipeline, site

    work = copy_vault(vault, b.out / "work" / f"edit-api-{name}")
    files = note_files(work)
    cold, warm = [], []
    for k in range(runs):
        pipeline._CACHES.clear()
        pipeline._POSITIONS.clear()
        site._DRAWN.clear()
        site._SHARED.clear()
        site._BEFORE.clear()
        site._MAP.clear()
        t = time.perf_counter()
        pipeline.build_site(work, keep_layout=True)  # as under serve
        cold.append(time.perf_counter() - t)
        marker = _edit(files[(k * 7919) % len(files)], k)
        t = time.perf_counter()
        built = pipeline.build_site(work, keep_layout=True)
        warm.append(time.perf_counter() - t)
        if not any(marker in built.site.text(page) for page in built.site.pages):
            raise RuntimeError(f"edited note's page does not show the edit {marker}")
    b.add("edit_graph_pages", name, warm, "s", "cold build_site", cold, note="Python API, one note edited")


AHEAD_DONE = "every page the edit changed is shown"
"""What ``kgsite serve`` logs once the pages a save changed are all written ahead of the rebuild."""


def _shows(text: str) -> Callable[[str], bool]:
    return lambda body: text in body


def _more(count: Callable[[], int], before: int) -> Callable[[str], bool]:
    return lambda _: count() > before


def _reports(before: str, note: str) -> Callable[[str], bool]:
    """The changes report of a new build that re-read ``note``."""
    return lambda body: body != before and note in body


def bench_edit_serve(b: Bench, name: str, vault: Path, runs: int, plain_build: float) -> None:
    """``kgsite serve``: seconds from saving a note until its page is served with the edit,
    until the page of a term the edit relates (SageMaker, which the added sentence says
    uses S3) shows it too (drawn ahead of the full rebuild: generator/early.py), and until
    the full rebuild is served (its report of what the edit changed, /kgsite-changes.json,
    names the note). Each edit waits for the last one's full rebuild."""
    from generator.paths import Layout

    work = copy_vault(vault, b.out / "work" / f"edit-serve-{name}")
    cwd = b.out / "work"
    files = note_files(work)
    port = free_port()
    log_path = cwd / f"serve-{name}.log".replace(" ", "-")
    log = log_path.open("w", encoding="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--notes", str(work), "--dev-addr",
                             f"127.0.0.1:{port}"], cwd=cwd, stdout=log, stderr=subprocess.STDOUT, env=repo_env())

    def shown_ahead() -> int:  # edits whose every changed page was shown ahead of the rebuild
        return log_path.read_text(encoding="utf-8", errors="replace").count(AHEAD_DONE)

    term = "/" + Layout().entity("amazon-sagemaker", "service").removesuffix(".md") + "/"
    times: list[float] = []
    whole: list[float] = []
    every: list[float] = []
    rebuilt: list[float] = []
    try:
        for k in range(runs):
            note = files[(k * 7919 + 13) % len(files)]
            reported = f'"{note.relative_to(work).as_posix()}"'
            page = Layout().note(note.relative_to(work).as_posix()).removesuffix(".md") + "/"
            deadline = time.monotonic() + 1800
            while http_get(port, "/" + page)[0] != 200:
                if proc.poll() is not None or time.monotonic() > deadline:
                    b.skip(f"serve edit on {name}: kgsite serve did not serve /{page}")
                    return
                time.sleep(0.2)
            time.sleep(1.0)  # let the file watcher settle after the first build
            report = http_get(port, "/kgsite-changes.json")[1]
            ahead = shown_ahead()
            marker = _edit(note, k)
            t = time.perf_counter()
            for path, out, done in (("/" + page, times, _shows(marker)), (term, whole, _shows(marker)),
                                    ("", every, _more(shown_ahead, ahead)),
                                    ("/kgsite-changes.json", rebuilt, _reports(report, reported))):
                while not done(http_get(port, path)[1] if path else ""):
                    if time.perf_counter() - t > 600 or proc.poll() is not None:
                        b.skip(f"serve edit on {name}: edit not served on {path} within 600 s")
                        return
                    time.sleep(0.02)
                out.append(time.perf_counter() - t)
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    b.add("edit_serve", name, times, "s", "plain mkdocs full rebuild", [plain_build], "< 1 s",
          lambda v, r: v < 1.0, note="save -> the note's page served with the edit (HTTP polled every 20 ms)")
    b.add("edit_serve_all", name, whole, "s", "plain mkdocs full rebuild", [plain_build], "< 1 s",
          lambda v, r: v < 1.0, note="save -> a term page the edit changed served with it (drawn ahead of the "
                                     "full rebuild: generator/early.py)")
    b.add("edit_serve_ahead", name, every, "s", "plain mkdocs full rebuild", [plain_build], "< 1 s",
          lambda v, r: v < 1.0, note="save -> every page the edit changed written and shown (the server's log says "
                                     "so), the search index aside")
    b.add("edit_serve_rebuilt", name, rebuilt, "s", "plain mkdocs full rebuild", [plain_build],
          note="save -> the full rebuild served (with the search index)")


# ---------------------------------------------------------------- map


def scaled_graph(base: Any, nodes: int, seed: int = 7) -> Any:
    """A kgsite-shaped graph of about ``nodes`` nodes: the entities and entity relations of
    ``base`` and synthetic notes that each copy the mentions of one real note and link to
    three other notes (as make_corpus.py does)."""
    import random

    import networkx as nx

    rng = random.Random(seed)
    g = nx.MultiDiGraph()
    entities = sorted(n for n, d in base.nodes(data=True) if d.get("kind") != "note")
    real_notes = sorted(n for n, d in base.nodes(data=True) if d.get("kind") == "note")
    keep = entities[:max(1, nodes // 3)] if len(entities) > nodes // 3 else entities
    kept = set(keep)
    for e in keep:
        g.add_node(e, **base.nodes[e])
    for s, t, k in base.edges(keys=True):
        if s in kept and t in kept:
            g.add_edge(s, t, key=k)
    count = max(0, nodes - len(keep))
    ids = [f"note:bench/n{i:05d}.md" for i in range(count)]
    for i, nid in enumerate(ids):
        g.add_node(nid, kind="note", name=f"n{i:05d}", path=nid[5:], category="", aliases=[])
    for i, nid in enumerate(ids):
        if real_notes:
            src = real_notes[i % len(real_notes)]
            for _, t, k in base.out_edges(src, keys=True):
                if t in kept:
                    g.add_edge(nid, t, key=k)
        for other in rng.sample(ids, k=min(3, len(ids))):
            if other != nid:
                g.add_edge(nid, other, key="links-to")
    return g


def bench_map(b: Bench, base: Any, sizes: list[int], runs: int) -> None:
    import networkx as nx

    from generator.layout import layout

    for n in sizes:
        g = scaled_graph(base, n)
        label = f"{g.number_of_nodes()} nodes"
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            positions = layout(g)
            times.append(time.perf_counter() - t)
        simple = nx.Graph(g.to_undirected())
        iterations, note = 50, "networkx spring_layout, 50 iterations"
        if n > 2000:
            iterations, note = 5, "networkx spring_layout: 5 iterations timed, x10 for its default 50"
        t = time.perf_counter()
        nx.spring_layout(simple, seed=7, iterations=iterations)
        base_time = (time.perf_counter() - t) * 50 / iterations
        b.add("map_layout", label, times, "s", "networkx spring_layout", [base_time], "< 5 s at 5,000 nodes",
              (lambda v, r: v < 5.0) if n >= 5000 else None, note=note)
        ours, pyvis_page = write_map_pages(b.out / "work" / f"map-{n}", g, positions)
        b.add("map_html_size", label, [dir_size_of(ours) / 1e6], "MB", "pyvis self-contained page",
              [pyvis_page.stat().st_size / 1e6], note="data + page + scripts, both self-contained")
        if not b.browser:
            continue
        try:
            ours_ms, base_ms = first_draw(ours / "index.html", pyvis_page, runs)
        except Exception as exc:  # a missing browser must not lose the other figures
            b.skip(f"first draw at {label}: {type(exc).__name__}: {exc}")
            continue
        b.add("map_first_draw", label, ours_ms, "ms", "pyvis page (positions fixed, physics off)", base_ms,
              "< 2000 ms", lambda v, r: v < 2000, note="navigation start -> vis afterDrawing, headless Chromium")


def dir_size_of(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


def write_map_pages(dest: Path, g: Any, positions: dict[str, tuple[float, float]]) -> tuple[Path, Path]:
    """Our map page (template, data file, scripts) and pyvis's own page of the same nodes and edges."""
    import jinja2.meta
    from pyvis.network import Network

    from generator import mapview
    from generator.paths import Layout
    from generator.render import environment

    shutil.rmtree(dest, ignore_errors=True)
    ours = dest / "kgsite"
    ours.mkdir(parents=True)
    data = mapview.graph_data_js(g, Layout(), positions)
    (ours / "graph-data.js").write_text(data, encoding="utf-8")
    (ours / "vis-network.min.js").write_bytes(mapview.vis_network_js())
    (ours / "kgsite.js").write_bytes(mapview.static_asset("kgsite.js"))
    (ours / "kgsite.css").write_bytes(mapview.static_asset("kgsite.css"))
    css = getattr(mapview, "vis_network_css", None)
    if css is not None:
        (ours / "vis-network.css").write_bytes(css())
    env = environment("")
    assert env.loader is not None
    source = env.loader.get_source(env, "map.md.j2")[0]
    known = {"vis_url": "vis-network.min.js", "vis_css_url": "vis-network.css", "data_url": "graph-data.js",
             "js_url": "kgsite.js", "map_url": "index.html", "root": ".", "dir_urls": "0"}
    names = jinja2.meta.find_undeclared_variables(env.parse(source))
    body = env.get_template("map.md.j2").render({n: known.get(n, "#") for n in names})
    html_part = body[body.index("<div"):]
    (ours / "index.html").write_text(
        '<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="kgsite.css">'
        '<style>.kg-map{height:800px}</style></head><body>' + html_part + "</body></html>", encoding="utf-8")
    net = Network(height="800px", width="100%", directed=True, cdn_resources="in_line")
    net.toggle_physics(False)
    for node in sorted(g.nodes):
        x, y = positions[node]
        d = g.nodes[node]
        net.add_node(node, label=str(d.get("name", node)), x=x, y=y, physics=False)
    for s, t, k in sorted(g.edges(keys=True), key=lambda e: (str(e[0]), str(e[1]), str(e[2]))):
        net.add_edge(s, t, title=k)
    pyvis_page = dest / "pyvis.html"
    pyvis_page.write_text(net.generate_html(), encoding="utf-8")
    return ours, pyvis_page


READY_HOOK = """
window.__kgReady = null;
new MutationObserver(function (list, obs) {
  if (document.querySelector('.kg-map-app[data-ready="1"]')) { window.__kgReady = performance.now(); obs.disconnect(); }
}).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-ready']});
"""
PYVIS_DRAWN = """() => new Promise(function (resolve) {
  network.once('afterDrawing', function () { resolve(performance.now()); });
  network.redraw();
})"""


def first_draw(ours: Path, pyvis_page: Path, runs: int) -> tuple[list[float], list[float]]:
    """Milliseconds from navigation start to the first vis-network draw, ours and pyvis's."""
    from playwright.sync_api import sync_playwright

    ours_ms: list[float] = []
    base_ms: list[float] = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for _ in range(runs):
                for target, sink in ((ours, ours_ms), (pyvis_page, base_ms)):
                    ctx = browser.new_context(viewport={"width": 1280, "height": 900})
                    # the site must make no network request: anything but file:// is refused
                    ctx.route("**/*", lambda route: route.continue_() if route.request.url.startswith("file:")
                              else route.abort())
                    page = ctx.new_page()
                    page.add_init_script(READY_HOOK)
                    page.goto(target.as_uri(), wait_until="load", timeout=120_000)
                    if target == ours:
                        page.wait_for_function("window.__kgReady !== null", timeout=120_000)
                        sink.append(float(page.evaluate("window.__kgReady")))
                    else:
                        sink.append(float(page.evaluate(PYVIS_DRAWN)))
                    ctx.close()
        finally:
            browser.close()
    return ours_ms, base_ms


# ---------------------------------------------------------------- report


def write_results(b: Bench, meta: dict[str, Any]) -> str:
    b.out.mkdir(parents=True, exist_ok=True)
    payload = {"meta": meta, "figures": [asdict(f) for f in b.figures], "skipped": b.skipped}
    (b.out / "results.json").write_text(json.dumps(payload, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    lines = ["| figure | vault | median | baseline | ratio | target | holds | note |",
             "| --- | --- | ---: | --- | ---: | --- | --- | --- |"]
    for f in b.figures:
        holds = "" if f.holds is None else ("yes" if f.holds else "**no**")
        lines.append(f"| {f.name} | {f.vault} | {f.value:g} {f.unit} | {f.baseline}: {f.baseline_value:g} {f.unit} "
                     f"| {f.ratio:g} | {f.target} | {holds} | {f.note} |")
    if b.skipped:
        lines += ["", "Skipped: " + "; ".join(b.skipped)]
    table = "\n".join(lines) + "\n"
    (b.out / "results.md").write_text(table, encoding="utf-8")
    return table


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python3 -m benchmarks.run", description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true", help="also the 10,000-note vault")
    ap.add_argument("--sizes", default="", help="corpus sizes, comma separated (default 250,1000; --full adds 10000)")
    ap.add_argument("--map-nodes", default="1000,5000", help="map sizes in nodes, comma separated")
    ap.add_argument("--runs", type=int, default=3, help="runs per figure (1 for vaults of 5,000+ notes)")
    ap.add_argument("--no-seeds", action="store_true", help="leave out ../shared/seeds")
    ap.add_argument("--no-browser", action="store_true")
    ap.add_argument("--no-serve", action="store_true")
    ap.add_argument("--only", default="", help="comma separated subset of: extraction,build,edit,serve,map")
    ap.add_argument("--out", type=Path, default=REPO / "build" / "bench")
    args = ap.parse_args(argv)
    compile_kgsite()
    sizes = [int(s) for s in (args.sizes or ("250,1000,10000" if args.full else "250,1000")).split(",") if s]
    b = Bench(args.out.resolve(), max(1, args.runs), args.full, not args.no_browser, not args.no_serve)
    (b.out / "work").mkdir(parents=True, exist_ok=True)
    started = time.time()
    only = {w.strip() for w in args.only.split(",") if w.strip()}

    def want(part: str) -> bool:
        return not only or part in only

    vaults: list[tuple[str, Path]] = []
    if SEEDS.is_dir() and not args.no_seeds:
        vaults.append(("seeds", SEEDS))
    elif not args.no_seeds:
        b.skip(f"seeds: {SEEDS} not found")
    for n in sizes:
        path = corpus(n, b.out)
        if path is None:
            b.skip(f"corpus of {n} notes: {MAKE_CORPUS} not found (run next to ../shared)")
        else:
            vaults.append((f"{n} notes", path))

    site_sizes: dict[str, dict[str, float]] = {}
    map_base: Any = None
    for name, vault in vaults:
        n_notes = len(note_files(vault))
        runs = 1 if n_notes >= 5000 else b.runs
        print(f"== {name} ({n_notes} notes, {runs} run(s))", flush=True)
        if want("extraction"):
            bench_extraction(b, name, vault, runs)
        plain_build = math.nan
        if want("build"):
            site_sizes[name] = bench_build(b, name, vault, runs)
            plain_build = next(f.baseline_value for f in b.figures if f.name == "build" and f.vault == name)
        if n_notes < 5000 and want("edit"):
            bench_edit_api(b, name, vault, runs)
        if n_notes < 5000 and b.serve and want("serve"):
            if math.isnan(plain_build):
                plain_build = bench_plain_build(b, vault, name)
            bench_edit_serve(b, name, vault, runs, plain_build)
        if want("map") and (n_notes <= 2000 or map_base is None):
            from graph.build import build_graph

            map_base = build_graph(vault).graph
    if want("build"):
        bench_growth(b, site_sizes)
    if not want("map"):
        pass
    elif map_base is not None:
        print("== map", flush=True)
        bench_map(b, map_base, [int(s) for s in args.map_nodes.split(",") if s], b.runs)
    else:
        b.skip("map: no vault to take a graph from")
    meta = {"python": sys.version.split()[0], "machine": platform.machine(), "cpus": os.cpu_count(),
            "full": args.full, "sizes": sizes, "runs": b.runs, "seconds": round(time.time() - started, 1)}
    table = write_results(b, meta)
    print()
    print(table)
    print(f"results: {b.out / 'results.json'}, {b.out / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
