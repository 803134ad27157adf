"""The site's page files are written by a forked child: the same site, byte for byte, and
a file that cannot be written still fails the build, naming it."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from generator import pagewriter
from tests.generator.sitetree import build_here, tree

pytestmark = pytest.mark.slow


@pytest.fixture()
def sent(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The pages handed to the writer's child in this test."""
    pages: list[str] = []
    original = pagewriter.PageWriter.write

    def write(self: pagewriter.PageWriter, page: object, data: bytes) -> None:
        pages.append(page.file.src_uri)  # type: ignore[attr-defined]
        original(self, page, data)

    monkeypatch.setattr(pagewriter.PageWriter, "write", write)
    return pages


@pytest.fixture()
def mkdocs_log() -> Iterator[list[str]]:
    """Every message MkDocs' build logs at INFO and above."""
    messages: list[str] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = lambda record: messages.append(record.getMessage())  # type: ignore[method-assign]
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        yield messages
    finally:
        logger.removeHandler(handler)


def test_the_child_writes_every_page_as_mkdocs_would(seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     sent: list[str], mkdocs_log: list[str]) -> None:
    assert build_here(seeds_dir, tmp_path / "site", monkeypatch) == 0
    written = tree(tmp_path / "site")
    pages = [k for k in written if k.endswith(".html")]
    # every page went through the child (the seeds have more pages than the threshold)
    assert len(sent) == len(set(sent)) > pagewriter.THRESHOLD
    assert len(sent) >= len(pages) - 2  # (404.html and the like are the theme's, written by MkDocs)
    # MkDocs' note about empty pages is not said for the pages the child wrote
    assert not [m for m in mkdocs_log if m.startswith("Page skipped")]
    with monkeypatch.context() as mp:
        mp.setattr(pagewriter.PageWriter, "start", staticmethod(lambda pages: None))
        before = len(sent)
        assert build_here(seeds_dir, tmp_path / "alone", mp) == 0
        assert len(sent) == before
    assert written == tree(tmp_path / "alone")


def test_a_page_that_cannot_be_written_fails_the_build_naming_it(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: list[str],
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    site = tmp_path / "site"
    assert build_here(seeds_dir, site, monkeypatch, "--quiet") == 0
    last = tree(site)
    # the disk is full when the child writes one note's page
    failing = pagewriter.WRITER.replace(
        "        try:\n", "        try:\n            if '/002_' in path:\n"
        "                raise OSError(28, 'No space left on device')\n", 1)
    assert failing != pagewriter.WRITER
    monkeypatch.setattr(pagewriter, "WRITER", failing)
    sent.clear()
    assert build_here(seeds_dir, site, monkeypatch, "--quiet") != 0
    err = capsys.readouterr().err + caplog.text
    assert "could not write" in err and "No space left on device" in err and "002_451cb2065954ab6b" in err
    assert sent  # (the pages were the child's to write)
    # the site being replaced is left as it was
    assert tree(site) == last


def test_a_child_that_dies_fails_the_build_and_says_so(
        seeds_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, sent: list[str],
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture) -> None:
    dying = pagewriter.WRITER.replace("            written += 1\n",
                                      "            written += 1\n            if written > 30:\n"
                                      "                os._exit(3)\n", 1)
    assert dying != pagewriter.WRITER
    monkeypatch.setattr(pagewriter, "WRITER", dying)
    assert build_here(seeds_dir, tmp_path / "site", monkeypatch, "--quiet") != 0
    assert "the process writing the site's pages stopped" in capsys.readouterr().err + caplog.text
    assert not (tmp_path / "site").exists()


def test_few_pages_are_written_by_mkdocs_itself() -> None:
    assert pagewriter.PageWriter.start(pagewriter.THRESHOLD) is None


def test_only_the_note_about_handed_over_pages_is_left_out() -> None:
    kept = pagewriter.HandedOver()
    kept.pages.add("services/s3.md")

    def record(msg: str) -> logging.LogRecord:
        return logging.LogRecord("mkdocs.commands.build", logging.INFO, __file__, 1, msg, None, None)

    assert not kept.filter(record("Page skipped: 'services/s3.md'. Generated empty output."))
    assert kept.filter(record("Page skipped: 'index.md'. Generated empty output."))
    assert kept.filter(record("Documentation built in 1.00 seconds"))
