"""A run costs what is new: items a feed already committed are skipped before parsing (no
feedparser, no normalize, no index read), new and changed items are parsed, and the
fingerprints that make the skip are saved only after the items are committed, so a crash
anywhere loses nothing. On both backends."""

from __future__ import annotations

from typing import Any

import pytest

import newswire.prepass
from newswire.models import FeedConfig, FeedStatus, Fetched
from newswire.parse import ParsedFeed, parse_feed
from newswire.ports import StorageError

from .backends import Backend, Clock, ProcessDied, Spy
from .conftest import IngestorFactory
from .feeds import Item, numbered, rss
from .server import HostileServer
from .test_nothing_lost import assert_consistent

STORIES = 10


@pytest.fixture
def parsed_items(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many entries feedparser gave back on each call the ingest path made."""
    counts: list[int] = []

    def counting(fetched: Fetched) -> ParsedFeed:
        parsed = parse_feed(fetched)
        counts.append(len(parsed.entries))
        return parsed

    monkeypatch.setattr(newswire.prepass, "parse_feed", counting)
    return counts


def moved(items: list[Item], build: str) -> bytes:
    """The feed as Google News serves it again: a new lastBuildDate, no validators honoured."""
    return rss(items, channel_extra=f"<lastBuildDate>{build}</lastBuildDate>")


def next_round(items: list[Item]) -> list[Item]:
    """Two new stories on top, one story's text corrected, the rest as they were."""
    fresh = numbered(2, prefix="Fresh")
    corrected = Item(**{**items[3].__dict__, "description": "A correction."})
    return [*fresh, *items[:3], corrected, *items[4:]]


def test_only_new_and_changed_items_reach_feedparser(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, clock: Clock,
    parsed_items: list[int],
) -> None:  # fmt: skip
    items = numbered(STORIES)
    url = server.feed("/moving", moved(items, "1"), validators=False)
    feed = FeedConfig(url=url, name="moving")
    [first] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert (first.new, first.parsed, parsed_items) == (STORIES, STORIES, [STORIES])

    # The same items under a new lastBuildDate: nothing is parsed, read or written.
    server.feed("/moving", moved(items, "2"), validators=False)
    clock.advance(hours=1)
    store, index = Spy(backend.make_store()), Spy(backend.make_index())
    [same] = make_ingestor(store.as_store, index.as_index).run([feed]).results
    assert (same.status, same.new, same.updated, same.unchanged) == (
        FeedStatus.FETCHED, 0, 0, STORIES
    )  # fmt: skip
    assert (same.parsed, parsed_items[1:]) == (0, [])
    assert index.count("get_records") == 0 and index.writes() == [] and store.calls == []

    # Two new stories and one correction: exactly those three are parsed, read and written.
    server.feed("/moving", moved(next_round(items), "3"), validators=False)
    clock.advance(hours=1)
    store, index = Spy(backend.make_store()), Spy(backend.make_index())
    [third] = make_ingestor(store.as_store, index.as_index).run([feed]).results
    assert (third.new, third.updated, third.unchanged, third.failed_items) == (2, 1, 9, 0)
    assert (third.parsed, parsed_items[1:]) == (3, [3])
    reads = [ids for name, (ids, *_) in index.calls if name == "get_records"]
    # The three in one read; then the corrected one again, under its story's lease.
    assert len(reads[0]) == 3 and all(set(ids) <= set(reads[0]) for ids in reads[1:]), reads
    assert_consistent(backend, STORIES + 2)


def test_a_feed_whose_settings_change_is_parsed_again(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, clock: Clock,
    parsed_items: list[int],
) -> None:  # fmt: skip
    """An article depends on its feed's settings too (categories here): the same bytes under
    new settings are not "known", and the articles are updated as a full parse would."""
    url = server.feed("/f", moved(numbered(3), "1"), validators=False)
    make_ingestor(embedded.make_store(), embedded.make_index()).run([FeedConfig(url=url, name="f")])
    server.feed("/f", moved(numbered(3), "2"), validators=False)
    clock.advance(hours=1)
    again = FeedConfig(url=url, name="f", categories=("Harbour",))
    [result] = make_ingestor(embedded.make_store(), embedded.make_index()).run([again]).results
    assert (result.parsed, result.updated, parsed_items) == (3, 3, [3, 3])


# (port, method, call, error, items failed in the broken run)
FAULTS: dict[str, tuple[str, str, int, BaseException, int]] = {
    "dies after the objects, before the records": ("index", "write_many", 1, ProcessDied(), 0),
    "dies after the records, before the fingerprints": (
        "index", "save_feed_state", 1, ProcessDied(), 0
    ),
    "the records fail": ("index", "write_many", 1, StorageError("DynamoDB write failed"), 3),
    "an object fails": ("store", "put_new", 1, StorageError("S3 put failed: InternalError"), 1),
}  # fmt: skip


@pytest.mark.parametrize("fault_name", list(FAULTS))
def test_a_crash_before_the_fingerprints_are_saved_loses_nothing(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, clock: Clock,
    parsed_items: list[int], fault_name: str,
) -> None:  # fmt: skip
    port, method, call, error, failed = FAULTS[fault_name]
    items = numbered(STORIES)
    url = server.feed("/moving", moved(items, "1"), validators=False)
    feed = FeedConfig(url=url, name="moving")
    make_ingestor(backend.make_store(), backend.make_index()).run([feed])

    server.feed("/moving", moved(next_round(items), "2"), validators=False)
    clock.advance(hours=1)
    store, index = Spy(backend.make_store()), Spy(backend.make_index())
    (store if port == "store" else index).fail(method, error, on_call=call)
    broken = make_ingestor(store.as_store, index.as_index)
    if isinstance(error, ProcessDied):
        with pytest.raises(ProcessDied):
            broken.run([feed])
    else:
        [result] = broken.run([feed]).results
        assert result.failed_items == failed

    # The next run parses again whatever the broken one did not get to commit its fingerprint
    # for, and ends with every story stored once.
    clock.advance(hours=1)
    [result] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert result.failed_items == 0
    assert 1 <= result.parsed <= 3
    assert_consistent(backend, STORIES + 2)
    stored = backend.make_index().get_feed_states(["moving"]).get("moving")
    # Every current item, and the corrected story's earlier version (kept within the bound).
    assert stored is not None and len(stored.fingerprints) == STORIES + 3

    # And the run after that parses nothing.
    server.feed("/moving", moved(next_round(items), "3"), validators=False)
    clock.advance(hours=1)
    [quiet] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert (quiet.parsed, quiet.new, quiet.updated, quiet.unchanged) == (0, 0, 0, STORIES + 2)


def test_fingerprints_are_saved_after_the_items_they_stand_for(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    journal: list[tuple[str, str, tuple[Any, ...]]] = []
    store = Spy(embedded.make_store(), journal=journal, label="store")
    index = Spy(embedded.make_index(), journal=journal, label="index")
    url = server.feed("/f", moved(numbered(3), "1"), validators=False)
    make_ingestor(store.as_store, index.as_index).run([FeedConfig(url=url, name="f")])
    calls = [(label, name) for label, name, _ in journal if name != "get_records"]
    saves = [i for i, (_, name) in enumerate(calls) if name == "save_feed_state"]
    writes = [i for i, (_, name) in enumerate(calls) if name in {"put_new", "write_many"}]
    assert len(writes) == 4 and saves == [len(calls) - 1] and max(writes) < saves[0]
    [(_, _, (state,))] = [entry for entry in journal if entry[1] == "save_feed_state"]
    assert len(state.fingerprints) == 3


def test_a_feed_is_indexed_in_one_sqlite_transaction(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    index = embedded.make_index()
    statements: list[str] = []
    index._db.set_trace_callback(statements.append)  # type: ignore[attr-defined]
    url = server.feed("/f", moved(numbered(STORIES), "1"), validators=False)
    [result] = (
        make_ingestor(embedded.make_store(), index).run([FeedConfig(url=url, name="f")]).results
    )
    assert result.new == STORIES
    inserts = [i for i, s in enumerate(statements) if s.startswith("INSERT INTO articles")]
    assert len(inserts) == STORIES
    # No transaction ends or begins between the feed's first and last record: one commit.
    between = statements[inserts[0] : inserts[-1]]
    assert not [s for s in between if s.startswith(("BEGIN", "COMMIT", "ROLLBACK"))]
    assert any(s.startswith("COMMIT") for s in statements[inserts[-1] :])
    assert_consistent(embedded, STORIES)


def test_write_many_reports_each_write(backend: Backend) -> None:
    """One result per write: an article already recorded and a slug another article claimed
    come back False with nothing of theirs stored, and the others are written."""
    from datetime import UTC, datetime

    from newswire.models import IndexRecord
    from newswire.ports import IndexWrite

    def record(article_id: str, slug: str, content: str = "h1") -> IndexRecord:
        return IndexRecord(
            id=article_id, key=f"content/news/2026/01/{slug}.md", section="news", slug=slug,
            title=article_id, date=datetime(2026, 1, 6, tzinfo=UTC), link="", feeds=("f",),
            content_hash=content,
        )  # fmt: skip

    index = backend.make_index()
    assert index.add(record("a", "alpha"))
    results = index.write_many([
        IndexWrite(record("a", "alpha"), new=True),
        IndexWrite(record("b", "alpha"), new=True),
        IndexWrite(record("c", "gamma"), new=True),
        IndexWrite(record("a", "alpha", "h2"), new=False, expected=record("a", "alpha")),
        IndexWrite(record("c", "gamma", "h3"), new=False, expected=record("c", "gamma", "old")),
    ])  # fmt: skip
    assert results == [False, False, True, True, False]
    stored = backend.make_index().get_records(["a", "b", "c"])
    assert {k: v.content_hash for k, v in stored.items()} == {"a": "h2", "c": "h1"}
