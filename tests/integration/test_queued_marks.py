"""ArticleIndex.mark_queued on both backends: a feed is marked once until the mark expires or
its state is saved (or its lease released), and clear_queued takes marks back."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.local import SqliteIndex
from newswire.models import FeedState
from newswire.ports import ArticleIndex

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleIndex]:
    if request.param == "sqlite":
        local = SqliteIndex(tmp_path / "index.sqlite3")
        yield local
        local.close()
        return
    client = request.getfixturevalue("dynamodb_client")
    yield DynamoIndex(client, request.getfixturevalue("index_table"))


def test_a_feed_is_marked_once_until_its_mark_expires(index: ArticleIndex) -> None:
    assert index.mark_queued(["a", "b", "a"], now=NOW, until=NOW + HOUR) == ["a", "b"]
    assert index.mark_queued(["a", "b", "c"], now=NOW + HOUR / 2, until=NOW + 2 * HOUR) == ["c"]
    # Expired (the message was lost): marked again, with the new time.
    later = NOW + HOUR + timedelta(seconds=1)
    assert index.mark_queued(["a", "c"], now=later, until=later + HOUR) == ["a"]
    assert index.mark_queued(["a"], now=later + HOUR / 2, until=later + 2 * HOUR) == []


def test_saving_the_feeds_state_clears_its_mark(index: ArticleIndex) -> None:
    index.mark_queued(["a", "b"], now=NOW, until=NOW + HOUR)
    index.save_feed_state(FeedState(feed_id="a", url="https://example.org/a.xml"))
    assert index.mark_queued(["a", "b"], now=NOW, until=NOW + HOUR) == ["a"]
    # The saved state is the worker's, whole: no trace of the mark in what it reads back.
    assert index.get_feed_states(["a"])["a"] == FeedState(
        feed_id="a", url="https://example.org/a.xml"
    )


def test_releasing_the_lease_clears_the_mark_and_clear_queued_too(index: ArticleIndex) -> None:
    index.mark_queued(["a", "b"], now=NOW, until=NOW + HOUR)
    taken, _ = index.acquire_lease("a", "worker-1", now=NOW, until=NOW + HOUR)
    assert taken
    assert index.mark_queued(["a"], now=NOW, until=NOW + HOUR) == []  # a lease keeps the mark
    index.release_lease("a", "worker-1")
    index.clear_queued(["b"])
    assert index.mark_queued(["a", "b"], now=NOW, until=NOW + HOUR) == ["a", "b"]
