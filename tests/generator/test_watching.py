"""``kgsite serve`` hears saves through file events, and still serves where it cannot."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

import mkdocs.commands.serve as mkdocs_serve
import pytest
from mkdocs.livereload import LiveReloadServer
from watchdog.observers import Observer
from watchdog.observers.polling import PollingObserver

from generator import watching


def _server(tmp_path: Path) -> LiveReloadServer:
    server: LiveReloadServer = vars(mkdocs_serve)["LiveReloadServer"](
        builder=lambda: None, host="127.0.0.1", port=0, root=str(tmp_path))
    return server


def test_serve_builds_an_event_driven_server_and_restores_mkdocs(tmp_path: Path) -> None:
    with watching.event_driven_serve():
        server = _server(tmp_path)
    assert not isinstance(server.observer, PollingObserver)
    assert vars(mkdocs_serve)["LiveReloadServer"] is LiveReloadServer
    polling = _server(tmp_path)
    assert isinstance(polling.observer, PollingObserver)
    # events arrive as the save happens: the rebuild waits less for the burst to end than after a poll
    assert server.build_delay < polling.build_delay


def _woken(server: LiveReloadServer, timeout: float) -> bool:
    with server._rebuild_cond:
        woke = server._rebuild_cond.wait_for(lambda: server._want_rebuild, timeout=timeout)
        server._want_rebuild = False
        return bool(woke)


def test_a_save_wakes_the_rebuild_loop_and_a_read_does_not(tmp_path: Path) -> None:
    notes = tmp_path / "notes"
    notes.mkdir()
    note = notes / "a.md"
    note.write_text("# A\n", encoding="utf-8")
    with watching.event_driven_serve():
        server = _server(tmp_path)
    server.watch(str(notes))
    server.observer.start()
    try:
        # a build reads every note: reading must not ask for another build (an endless loop)
        for _ in range(3):
            assert note.read_text(encoding="utf-8") == "# A\n"
        assert not _woken(server, timeout=2)
        saved = threading.Timer(0.2, lambda: note.write_text("# A\n\nedited\n", encoding="utf-8"))
        saved.start()
        assert _woken(server, timeout=60)
        (notes / "b.md").write_text("# B\n", encoding="utf-8")
        assert _woken(server, timeout=60)
        (notes / "b.md").rename(notes / "c.md")
        assert _woken(server, timeout=60)
        (notes / "c.md").unlink()
        assert _woken(server, timeout=60)
    finally:
        server.observer.stop()
        server.observer.join(timeout=10)


def test_the_server_knows_which_files_changed(tmp_path: Path) -> None:
    """What the preview of a rebuild is drawn from: the saved files, a rename's both ends."""
    notes = tmp_path / "notes"
    notes.mkdir()
    (notes / "a.md").write_text("# A\n", encoding="utf-8")
    with watching.event_driven_serve():
        server = _server(tmp_path)
    assert isinstance(server, watching.EventDrivenServer) and server.recording is not None
    server.watch(str(notes))
    server.observer.start()
    try:
        (notes / "a.md").write_text("# A\n\nedited\n", encoding="utf-8")
        assert _woken(server, timeout=60)
        time.sleep(0.3)  # the save's later events (closed)
        assert server.recording.take_changed() == {notes / "a.md"}
        assert server.recording.take_changed() == set()
        (notes / "a.md").rename(notes / "b.md")
        assert _woken(server, timeout=60)
        time.sleep(0.3)
        assert server.recording.take_changed() == {notes / "a.md", notes / "b.md"}
    finally:
        server.observer.stop()
        server.observer.join(timeout=10)


def test_without_file_events_serving_falls_back_to_polling(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           caplog: pytest.LogCaptureFixture) -> None:
    def refuse(self: object) -> None:
        raise OSError(24, "inotify instance limit reached")

    monkeypatch.setattr(type(Observer()), "start", refuse)
    # MkDocs' logging setup (another test may have run kgsite in this process) stops
    # "mkdocs" records from reaching the root logger: listen on the logger itself
    logger = logging.getLogger("mkdocs.kgsite")
    logger.addHandler(caplog.handler)
    try:
        with watching.event_driven_serve(), caplog.at_level("INFO", logger="mkdocs.kgsite"):
            server = _server(tmp_path)
    finally:
        logger.removeHandler(caplog.handler)
    assert isinstance(server.observer, PollingObserver)
    assert "inotify instance limit reached" in caplog.text and "polling" in caplog.text
