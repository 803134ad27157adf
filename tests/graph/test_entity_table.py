"""The entity table's log (kept while serving): replaying the calls a note made gives the
table a fresh resolution gives, and the calls that change what resolving reads are told
apart from those that cannot change any resolution."""

from __future__ import annotations

from graph.entities import EntityTable, Resolver, replay
from graph.model import Merge
from graph.vocabulary import load_vocabulary


def _resolving() -> Resolver:
    resolver = Resolver(load_vocabulary(()))
    resolver.table.log, resolver.table.log_read = [], []
    return resolver


def _state(table: EntityTable) -> tuple[object, ...]:
    return ({e: (r.name, r.kind, r.origin, sorted(r.aliases)) for e, r in table.records.items()},
            list(table.surface_to_id.items()), list(table.note_keys.items()), table.merges,
            list(table.ambiguities.items()))


def test_replaying_a_log_makes_the_same_table() -> None:
    resolver = _resolving()
    for surface in ("Amazon S3", "SageMaker Model Resistry", "フー ウィジェット", "Foo Widget", "フー ウィジェット"):
        resolver.resolve(surface, "a.md", 3, "concept")
    log = resolver.table.log
    assert log
    again = Resolver(load_vocabulary(()))
    replay(again.table, log)
    assert _state(again.table) == _state(resolver.table)
    assert again.table.log is None  # replaying logs nothing


def test_only_changes_a_resolution_can_read_are_marked() -> None:
    resolver = _resolving()
    table = resolver.table
    s3 = resolver.exact("Amazon S3")
    assert s3 is not None
    read = len(table.log_read)  # its record: read by every later resolution
    assert read == 1
    table.add_surface("amazon  s3", s3)  # the vocabulary answers this spelling first
    table.add_alias(s3, "S3 bucket store")  # a vocabulary term's spellings are not looked up
    table.add_merge(Merge("amazon  s3", s3, "test", "a.md", 1))
    assert len(table.log_read) == read
    widget = resolver.resolve("Foo Widget", "a.md", 2, "concept")
    assert widget is not None and len(table.log_read) > read
    read = len(table.log_read)
    table.add_surface("Foo Widget", widget)  # already there: changes nothing
    assert len(table.log_read) == read
    table.add_alias(widget, "FooWidget Tool")  # a new key of a term found in the notes
    assert table.log_read[-1] == (EntityTable.add_alias, (widget, "FooWidget Tool"))
    table.add_surface("Widget of Foo", widget)  # a spelling the vocabulary does not answer
    assert table.log_read[-1] == (EntityTable.add_surface, ("Widget of Foo", widget))
