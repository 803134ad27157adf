"""The CLI's safety net: publishing a finished build touches only what changed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import UsageError, check_site_dir, main, publish
from tests.conftest import ROOT

MINI = Path(__file__).resolve().parents[1] / "fixtures" / "mini"


def _write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")


def test_publish_rewrites_changed_keeps_unchanged_removes_stale(tmp_path: Path) -> None:
    site, new = tmp_path / "site", tmp_path / "new"
    _write(site, {"index.html": "home", "a/index.html": "A", "gone/index.html": "old", "x": "file"})
    _write(new, {"index.html": "home", "a/index.html": "A2", "b/index.html": "B", "x/index.html": "dir now"})
    old = site / "index.html"
    os.utime(old, ns=(1, 1))
    inode = old.stat().st_ino
    pub = publish(new, site)
    assert (pub.written, pub.unchanged, pub.removed) == (3, 1, 1)
    assert old.stat().st_ino == inode and old.stat().st_mtime_ns == 1  # not rewritten
    assert (site / "a/index.html").read_text(encoding="utf-8") == "A2"
    assert (site / "x/index.html").read_text(encoding="utf-8") == "dir now"
    assert not (site / "gone").exists() and not new.exists()


def test_publish_into_a_missing_site_moves_the_build(tmp_path: Path) -> None:
    new = tmp_path / "new"
    _write(new, {"index.html": "home"})
    pub = publish(new, tmp_path / "site")
    assert pub.written == 1 and (tmp_path / "site/index.html").is_file()


def test_site_dir_guard(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    with pytest.raises(UsageError):
        check_site_dir(tmp_path, notes)  # would contain the notes
    with pytest.raises(UsageError):
        check_site_dir(notes, notes)
    stuff = tmp_path / "stuff"
    _write(stuff, {"thesis.txt": "x"})
    with pytest.raises(UsageError):
        check_site_dir(stuff, notes)  # not a site: refuse rather than empty it
    _write(tmp_path / "site", {"index.html": "old"})
    check_site_dir(tmp_path / "site", notes)
    check_site_dir(tmp_path / "fresh", notes)


def test_a_command_run_from_python_leaves_the_environment_as_it_was(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """The CLI hands the notes folder to MkDocs through the environment; a second build in
    the same process (or a child it starts) must not inherit the first one's folder."""
    names = ("KGSITE_NOTES", "KGSITE_CACHE_DIR", "SOURCE_DATE_EPOCH")
    for name in names:
        monkeypatch.delenv(name, raising=False)
    assert main(["build", "--notes", str(MINI), "--site-dir", str(tmp_path / "site"), "--quiet"]) == 0
    assert not [name for name in names if name in os.environ]


def test_the_command_says_everything_before_it_ends(examples_dir: Path, tmp_path: Path) -> None:
    """``kgsite`` ends its process without tearing down the heap (generator.cli.run): what
    it printed, to a pipe with Python's buffering on, still arrives, and so does its exit
    status, for a build and for a mistake."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONUNBUFFERED", "KGSITE_CACHE_DIR")}
    done = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--notes", str(examples_dir),
                           "--site-dir", str(tmp_path / "site")], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=600)
    assert done.returncode == 0, done.stderr
    assert done.stdout.rstrip().endswith("0 removed)") and "site written to" in done.stdout
    assert (tmp_path / "site" / "index.html").is_file()
    missing = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--notes", str(tmp_path / "nowhere")],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=600)
    assert missing.returncode == 2 and "kgsite:" in missing.stderr


def test_a_build_run_from_python_leaves_the_garbage_collector_as_it_was(examples_dir: Path, tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A plain build keeps its graph out of the collector's passes while it runs; the
    process it ran in (a notebook, a test) gets every object back under collection."""
    import gc

    monkeypatch.setenv("KGSITE_CACHE_DIR", str(tmp_path / "cache"))
    assert gc.get_freeze_count() == 0
    before = (gc.isenabled(), gc.get_threshold())
    assert main(["build", "--notes", str(examples_dir), "--site-dir", str(tmp_path / "site"), "--quiet"]) == 0
    assert gc.get_freeze_count() == 0
    assert (gc.isenabled(), gc.get_threshold()) == before
    # also when the build fails (here: MkDocs cannot read its configuration)
    (tmp_path / "mkdocs.yml").write_text("site_name: [unclosed\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["build", "--notes", str(examples_dir), "--site-dir", str(tmp_path / "site2"), "--quiet"]) != 0
    assert gc.get_freeze_count() == 0
    assert (gc.isenabled(), gc.get_threshold()) == before


def test_each_build_run_from_python_reports_to_the_stderr_of_its_own_time(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """A caller that builds twice, with stderr redirected differently each time (a notebook
    cell, a test's capture), reads each build's messages where stderr pointed then; the
    first run's stream may be closed by the second."""
    import io

    monkeypatch.setenv("KGSITE_CACHE_DIR", str(tmp_path / "cache"))
    heard = []
    for run in ("one", "two"):
        buffer = io.BytesIO()
        stream = io.TextIOWrapper(buffer, encoding="utf-8")
        monkeypatch.setattr(sys, "stderr", stream)
        assert main(["build", "--notes", str(MINI), "--site-dir", str(tmp_path / run)]) == 0
        stream.flush()
        heard.append(buffer.getvalue().decode())
        stream.close()
    assert all("INFO    -  Building documentation" in text and "Logging error" not in text
               for text in heard), heard


def test_a_first_build_with_its_notes_parsed_ahead_is_the_site_built_without(
        examples_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``kgsite build`` starts parsing the notes before MkDocs loads (graph.headstart), and
    says how many it parsed so; the site is the one a build that parses them itself writes,
    byte for byte."""
    from graph import headstart
    from graph.parallel import THRESHOLD
    from tests.generator.sitetree import built_tree, tree

    vault = tmp_path / "notes"
    for k in range(THRESHOLD // 12 + 2):
        shutil.copytree(examples_dir, vault / f"part-{k:02d}")
    count = sum(1 for _ in vault.rglob("*.md"))
    env = {**os.environ, "KGSITE_CACHE_DIR": str(tmp_path / "cache")}
    done = subprocess.run([sys.executable, "-m", "generator.cli", "build", "--notes", str(vault), "--site-dir",
                           str(tmp_path / "ahead")], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    assert done.returncode == 0, done.stderr
    assert f"of {count} notes were parsed while MkDocs was starting" in done.stderr
    monkeypatch.setattr(headstart, "begin", lambda notes, cache=None: None)
    assert built_tree(vault, tmp_path / "itself", monkeypatch) == tree(tmp_path / "ahead")
