"""Under ``kgsite serve`` the edited note's page is shown before the full rebuild: that
preview must be the page the full rebuild then writes, byte for byte, and it must not
be attempted for edits that change other pages (a title, a new note, a vocabulary).

Real MkDocs serve-mode (dirty) builds of the seed notes, in this process, as the
development server runs them.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from mkdocs.commands.build import build
from mkdocs.config import load_config

from generator.cli import default_config
from tests.generator.pluginlog import plugin_messages


class Session:
    """One serve session's builds of a copy of a vault."""

    def __init__(self, vault: Path, site: Path) -> None:
        self.vault, self.site = vault, site
        config = self._config()
        config.plugins.on_startup(command="serve", dirty=True)
        build(config, dirty=True)
        self.plugin: Any = config.plugins["knowledge-graph"]

    def _config(self) -> Any:
        return load_config(config_file=str(default_config()), site_dir=str(self.site))

    def rebuild(self) -> None:
        build(self._config(), dirty=True)

    def page(self, dest: str) -> bytes:
        return (self.site / dest).read_bytes()


@pytest.fixture(scope="module")
def session(seeds_dir: Path) -> Iterator[Session]:
    yield from _session(seeds_dir)


@pytest.fixture(scope="module")
def other_session(seeds_dir: Path) -> Iterator[Session]:
    """A session of its own: the edits are made again on notes nobody edited yet."""
    yield from _session(seeds_dir)


def _session(seeds_dir: Path) -> Iterator[Session]:
    tmp = Path(tempfile.mkdtemp(prefix="kgsite-preview-"))
    vault = tmp / "notes"
    shutil.copytree(seeds_dir, vault)
    mp = pytest.MonkeyPatch()
    mp.setenv("KGSITE_NOTES", str(vault))
    mp.setenv("SOURCE_DATE_EPOCH", "0")
    try:
        yield Session(vault, tmp / "site")
    finally:
        mp.undo()
        shutil.rmtree(tmp, ignore_errors=True)


def _append(text: str) -> str:
    return text + "\n\nプレビュー確認: SageMaker は S3 を使う。CloudWatch で SageMaker Model Monitor を監視する。\n"


def _rewrite_a_line(text: str) -> str:
    lines = text.split("\n")
    first_heading = next(i for i, line in enumerate(lines) if line.startswith("#"))
    k = next(i for i, line in enumerate(lines)
             if i > first_heading + 1 and line.strip() and not line.startswith(("#", "|", "```")))
    lines[k] = "- プレビュー確認: AWS Glue で前処理し、Amazon Athena で確認する"
    return "\n".join(lines)


def _drop_the_end(text: str) -> str:
    lines = text.rstrip("\n").split("\n")
    return "\n".join(lines[: max(5, len(lines) * 2 // 3)]) + "\n\nプレビュー確認\n"


def _new_term(text: str) -> str:
    return text + "\n\n## Amazon Quuxbar Analytics\n\nプレビュー確認: Amazon Quuxbar Analytics は Amazon S3 を使う。\n"


EDITS: dict[str, Callable[[str], str]] = {"append": _append, "rewrite": _rewrite_a_line, "truncate": _drop_the_end,
                                          "new-term": _new_term}


@pytest.mark.slow
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_the_preview_is_the_page_the_full_rebuild_writes(session: Session, edit: str) -> None:
    """Byte for byte, unless the edit changed which terms have a page (then the preview may
    link a term whose page the rebuild removes, or miss a new one, for the seconds until
    the rebuild replaces it)."""
    compared = []
    for note in sorted(session.vault.glob("*.md")):
        terms = set(session.plugin.built.result.graph)
        note.write_text(EDITS[edit](note.read_text(encoding="utf-8")), encoding="utf-8")
        shown = next(iter(session.plugin.preview({note})))
        assert len(shown) == 1, (note.name, shown)
        previewed = session.page(shown[0])
        assert "プレビュー確認".encode() in previewed
        session.rebuild()
        if set(session.plugin.built.result.graph) == terms:
            assert session.page(shown[0]) == previewed, f"{note.name}: the preview differs from the rebuilt page"
            compared.append(note.name)
    assert compared  # (truncating a third of a note usually removes some terms)


def _written(session: Session, changed: set[Path]) -> list[str]:
    return [page for batch in session.plugin.preview(changed) for page in batch]


@pytest.mark.slow
@pytest.mark.parametrize("edit", sorted(EDITS))
def test_pages_drawn_ahead_are_every_page_the_rebuild_changes(other_session: Session, edit: str) -> None:
    """After the note's own page, the term pages, the note's page again, index tables, map
    data and the notes' index the edit changed are drawn from the new graph and written
    before the rebuild (generator/early.py). The rebuild must then write the same bytes,
    and change nothing else but the search index and its report, whatever the edit did to
    the terms."""
    ahead: dict[str, int] = {}
    marked = []
    added: set[str] = set()
    session = other_session
    with plugin_messages(logging.INFO) as said:
        _edit_each_note(session, edit, ahead, marked, added)
    # the server says when the pages drawn ahead cover the edit: here, every time
    assert sum("every page the edit changed is shown" in m for m in said) == len(list(session.vault.glob("*.md")))
    assert len(ahead) >= 3, ahead
    assert any(dest.endswith("graph-data.js") for dest in ahead)
    if edit == "append":  # the terms the sentence names are new to some notes: their counts in the index
        assert "notes/index.html" in ahead, ahead
    if edit == "new-term":  # its page is new, written ahead too
        assert added == {"services/amazon-quuxbar-analytics/index.html"} and added <= set(ahead), (added, ahead)
    if edit == "append":  # the sentence added relates SageMaker and S3: quoted on their pages
        assert any("amazon-sagemaker/" in dest for dest in marked), marked


def _edit_each_note(session: Session, edit: str, ahead: dict[str, int], marked: list[str], added: set[str]) -> None:
    for note in sorted(session.vault.glob("*.md")):
        before = _files(session.site)
        note.write_text(EDITS[edit](note.read_text(encoding="utf-8")), encoding="utf-8")
        terms = set(session.plugin.built.result.graph)
        batches = list(session.plugin.preview({note}))
        drawn = _files(session.site)
        pages = {dest: drawn[dest] for batch in batches[1:] for dest in batch}
        assert all(pages[dest] != before.get(dest) for dest in pages), "a page drawn ahead did not change"
        marked += [dest for dest, html in pages.items() if "プレビュー確認".encode() in html]
        session.rebuild()
        # the note's page from the last graph; term pages from the new one; then the note's
        # page again, index tables, the map's data, the notes' index
        assert len(batches) == 3 and batches[0][0] in batches[2], (note.name, batches)
        added |= {f"services/{n}/index.html" for n in set(session.plugin.built.result.graph) - terms}
        rebuilt = _files(session.site)
        changed = {p for p, data in rebuilt.items() if drawn.get(p) != data} - REBUILD_ONLY
        assert not changed, f"{note.name}: the rebuild changed pages not drawn ahead: {sorted(changed)}"
        for dest in pages:
            ahead[dest] = ahead.get(dest, 0) + 1


REBUILD_ONLY = {"search/search_index.json", "kgsite-changes.json"}
"""What only the rebuild writes: the search index, the report of what the edit changed."""


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


@pytest.mark.slow
def test_no_preview_for_edits_that_change_other_pages(session: Session, tmp_path: Path) -> None:
    note = sorted(session.vault.glob("*.md"))[0]
    before = note.read_text(encoding="utf-8")
    # a new title changes the notes' index and every page that links the note
    titled = "# 新しい題名のノート\n\n" + before
    note.write_text(titled, encoding="utf-8")
    try:
        assert _written(session, {note}) == []
    finally:
        note.write_text(before, encoding="utf-8")
    # a new note has no page yet
    new = session.vault / "zz-new.md"
    new.write_text("# 追加\n\nAWS Glue のメモ。\n", encoding="utf-8")
    try:
        assert _written(session, {new}) == []
    finally:
        new.unlink()
    # anything but notes (a vocabulary, a file outside the notes) waits for the full rebuild
    other = tmp_path / "terms.yml"
    other.write_text("terms: []\n", encoding="utf-8")
    assert _written(session, {note, other}) == []
    assert _written(session, {session.vault / "gone.md"}) == []
    session.rebuild()
