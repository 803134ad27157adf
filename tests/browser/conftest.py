"""Headless Chromium over the built sites, served by a local ``http.server``.

Debian's Chromium (``/usr/bin/chromium``) is driven by Playwright's Python API; we never
run ``playwright install``. Without Chromium these tests skip, unless
``KGSITE_REQUIRE_BROWSER`` is set (CI sets it), then they fail: a missing browser must not
pass as green. Each site is built once per session through the same entry point the
``kgsite`` command uses (:func:`generator.cli.main`).
"""

from __future__ import annotations

import functools
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from generator.paths import Layout
from generator.search import page_location
from graph.build import build_graph
from graph.export import node_link
from tests.conftest import EXAMPLES, ROOT

CHROMIUM = Path(os.environ.get("KGSITE_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
SCREENSHOTS = ROOT / "build" / "screenshots"


def _unavailable(reason: str) -> None:
    if os.environ.get("KGSITE_REQUIRE_BROWSER"):
        pytest.fail(f"browser tests are required (KGSITE_REQUIRE_BROWSER is set) but {reason}")
    pytest.skip(reason)


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Served:
    """A built site, its local URL and the graph it was built from (for expectations)."""

    name: str
    root: Path
    url: str
    graph: dict[str, Any]
    layout: Layout = field(default_factory=Layout)

    def entity_url(self, node_id: str) -> str:
        kind = next(n["kind"] for n in self.graph["nodes"] if n["id"] == node_id)
        return self.url + page_location(self.layout.entity(node_id, kind), True)

    def entities(self, *kinds: str) -> list[dict[str, Any]]:
        kinds = kinds or ("service", "concept")
        return [n for n in self.graph["nodes"] if n["kind"] in kinds]


def build_with_cli(notes: Path, site_dir: Path) -> None:
    """``kgsite build --strict`` in this process, from the repo root (its mkdocs.yml),
    leaving the environment as it found it."""
    from generator.cli import main

    saved_env = os.environ.get("KGSITE_NOTES")
    saved_cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        code = main(["build", "--notes", str(notes), "--site-dir", str(site_dir), "--strict"])
    finally:
        os.chdir(saved_cwd)
        if saved_env is None:
            os.environ.pop("KGSITE_NOTES", None)
        else:
            os.environ["KGSITE_NOTES"] = saved_env
    assert code == 0, f"kgsite build of {notes} failed"


def _serve(name: str, root: Path, graph: dict[str, Any]) -> Iterator[Served]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(root)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Served(name, root, f"http://127.0.0.1:{server.server_address[1]}/", graph)
    finally:
        server.shutdown()
        server.server_close()


def _built(notes: Path, name: str, factory: pytest.TempPathFactory) -> Iterator[Served]:
    out = factory.mktemp(f"browser-{name}") / "site"
    build_with_cli(notes, out)
    graph = node_link(build_graph(notes).graph)
    yield from _serve(name, out, graph)


@pytest.fixture(scope="session")
def examples_served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _built(EXAMPLES, "examples", tmp_path_factory)


@pytest.fixture(scope="session")
def seeds_served(seeds_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    yield from _built(seeds_dir, "seeds", tmp_path_factory)


@pytest.fixture(scope="session", params=["examples", "seeds"])
def served(request: pytest.FixtureRequest) -> Served:
    """Each test that takes ``served`` runs on the example vault and on the seeds."""
    site: Served = request.getfixturevalue(f"{request.param}_served")
    return site


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file() or shutil.which(str(CHROMIUM)) is None:
        _unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright Python package is not installed")
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


@dataclass
class Watched:
    """A page with every request and console error it produced recorded."""

    page: Any
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def outside(self, origin: str) -> list[str]:
        return [u for u in self.requests if not (u.startswith(origin) or u.startswith("data:")
                                                 or u.startswith("blob:") or u == "about:blank")]


@pytest.fixture()
def open_page(browser: Any) -> Iterator[Any]:
    """``open_page(color_scheme="light")`` -> a :class:`Watched` page in a fresh context."""
    contexts = []

    def make(color_scheme: str = "light", width: int = 1400, height: int = 1000) -> Watched:
        ctx = browser.new_context(viewport={"width": width, "height": height}, color_scheme=color_scheme,
                                  service_workers="block")
        contexts.append(ctx)
        page = ctx.new_page()
        w = Watched(page)
        ctx.on("request", lambda r: w.requests.append(r.url))
        page.on("console", lambda m: w.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: w.errors.append(str(e)))
        return w

    yield make
    for ctx in contexts:
        ctx.close()


def expected_entity(site: Served, query: str) -> str | None:
    """The entity a query is about, from the graph itself: the one with that exact name or
    alias, else the one whose shortest name or alias contains it."""
    q = query.casefold()
    best: tuple[int, str] | None = None
    for n in site.entities():
        forms = [str(n["name"]), *map(str, n.get("aliases", [])), *map(str, n.get("vocabulary_aliases", []))]
        for f in forms:
            if f.casefold() == q:
                return str(n["id"])
            if q in f.casefold() and (best is None or (len(f), str(n["id"])) < best):
                best = (len(f), str(n["id"]))
    return best[1] if best else None


def save_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
