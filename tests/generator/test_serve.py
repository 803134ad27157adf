"""``kgsite serve`` follows edits, deletes and renames of notes kept outside docs_dir.

A real server in a subprocess on a free port, a copy of the small vault, and HTTP
polling with a generous deadline (no assertion on how long anything takes).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

from generator.search import ZWSP
from tests.conftest import FIXTURES, ROOT

DEADLINE = 180.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return int(r.status), r.read().decode("utf-8", "replace")
    except urllib.error.HTTPError as e:
        return int(e.code), ""
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, ""


def _until(what: str, cond: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    end = time.monotonic() + DEADLINE
    while time.monotonic() < end:
        if proc.poll() is not None:
            raise AssertionError(f"server exited while waiting for {what}: {proc.returncode}")
        if cond():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _epoch(html: str) -> int:
    """The site version a served page was taken from (MkDocs' live-reload script)."""
    m = re.search(r"livereload\((\d+), \d+\)", html)
    assert m is not None, "no live-reload script in the page"
    return int(m.group(1))


def _next_epoch(base: str, epoch: int) -> int:
    """Waits, as an open page does, for a site version newer than ``epoch``."""
    with urllib.request.urlopen(f"{base}/livereload/{epoch}/1", timeout=DEADLINE) as r:
        return int(r.read().decode())


def _index(base: str) -> dict[str, Any]:
    status, body = _get(f"{base}/search/search_index.json")
    return json.loads(body) if status == 200 and body else {"docs": []}  # type: ignore[no-any-return]


def _index_pages(base: str) -> set[str]:
    return {unquote(str(d["location"])).partition("#")[0] for d in _index(base)["docs"]}


def _index_text(base: str) -> str:
    return " ".join(str(d.get("text", "")) for d in _index(base)["docs"]).replace(ZWSP, "")


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path, subprocess.Popen[str]]]:
    vault = tmp_path / "vault"
    shutil.copytree(FIXTURES / "mini", vault)
    before = {p.relative_to(vault): p.read_bytes() for p in vault.rglob("*") if p.is_file()}
    port = _free_port()
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    log = (tmp_path / "serve.log").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "generator.cli", "serve", "--notes", str(vault),
                             "--dev-addr", f"127.0.0.1:{port}"], cwd=tmp_path, env=env, stdout=log,
                            stderr=subprocess.STDOUT, text=True)
    try:
        yield f"http://127.0.0.1:{port}", vault, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    # the server wrote nothing into the notes folder (only our own edits are there)
    assert not [p for p in vault.rglob("*") if p.name.startswith((".kgsite", "mkdocs"))]
    assert before  # the copy had notes


@pytest.mark.slow
def test_serve_follows_edit_delete_and_rename(served: tuple[str, Path, subprocess.Popen[str]],
                                              tmp_path: Path) -> None:
    base, vault, proc = served
    page = f"{base}/notes/pipelines/"
    _until("first build", lambda: _get(page)[0] == 200, proc)
    assert "Amazon Athena" in _get(page)[1]
    pages_before = _index_pages(base)
    assert "notes/pipelines/" in pages_before and len(pages_before) > 10

    note = vault / "pipelines.md"
    epoch = _epoch(_get(page)[1])
    note.write_text(note.read_text(encoding="utf-8") + "\n編集マーカー Amazon Redshift へ書き込む。\n",
                    encoding="utf-8")
    # open pages reload when the note's page is previewed (it shows the edit), when the pages
    # the edit changed are drawn ahead of the rebuild, and when the full rebuild is done
    previewed = _next_epoch(base, epoch)
    assert previewed > epoch and "編集マーカー" in _get(page)[1]
    assert _next_epoch(base, previewed) > previewed
    _until("the edit to show", lambda: "編集マーカー" in _get(page)[1], proc)
    # the note's page was shown before the full rebuild (generator/preview.py)
    _until("the preview's log line", lambda: "kgsite: showing notes/pipelines/index.html now" in (
        tmp_path / "serve.log").read_text(encoding="utf-8"), proc)
    # then the pages the edit changed, drawn from the new graph (generator/early.py): the
    # note's again, and the page of Amazon Redshift, a term the edit adds
    _until("the pages drawn ahead", lambda: len(re.findall(r"kgsite: showing .*notes/pipelines/index\.html", (
        tmp_path / "serve.log").read_text(encoding="utf-8"))) >= 2, proc)
    _until("the change report", lambda: "pipelines.md" in _get(f"{base}/kgsite-changes.json")[1], proc)
    # only the pages the edit changed were rebuilt, and search still finds every page and the edit
    _until("the search index to hold the edit", lambda: "編集マーカー" in _index_text(base), proc)
    assert pages_before <= _index_pages(base)  # (plus the page of Amazon Redshift, new with the edit)
    rebuilt = [int(n) for n in re.findall(r"rebuilt (\d+) generated pages", (tmp_path / "serve.log").read_text(
        encoding="utf-8"))]
    assert len(rebuilt) >= 2 and rebuilt[-1] < rebuilt[0], rebuilt

    note.rename(vault / "renamed pipelines.md")
    _until("the renamed page", lambda: _get(f"{base}/notes/renamed-pipelines/")[0] == 200, proc)
    _until("the old page to go", lambda: _get(page)[0] == 404, proc)
    assert "編集マーカー" in _get(f"{base}/notes/renamed-pipelines/")[1]

    (vault / "renamed pipelines.md").unlink()
    _until("the deleted page to go", lambda: _get(f"{base}/notes/renamed-pipelines/")[0] == 404, proc)
    _until("the deleted page to leave the search index",
           lambda: not {"notes/renamed-pipelines/", "notes/pipelines/"} & _index_pages(base), proc)
    (vault / "new.md").write_text("# 新しいノート\n\nAWS Glue のメモ。\n", encoding="utf-8")
    _until("the added page", lambda: "新しいノート" in _get(f"{base}/notes/new/")[1], proc)
    _until("the notes index to list it", lambda: "新しいノート" in _get(f"{base}/notes/")[1], proc)
    # monitoring.md is never touched by the server
    assert (vault / "monitoring.md").read_bytes() == (FIXTURES / "mini" / "monitoring.md").read_bytes()
    # no rebuild loop: with nothing edited, the number of builds stops growing
    log = tmp_path / "serve.log"
    count = log.read_text(encoding="utf-8").count("Building documentation")
    time.sleep(5)
    assert log.read_text(encoding="utf-8").count("Building documentation") == count
