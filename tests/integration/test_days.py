"""The archive's listings by UTC day, on both index adapters: by_day (newest first, ties by id,
hidden articles never) and days_with_articles, read without reading the rest of the month."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from newswire.ports import ArticleIndex
from newswire.site.plan import sort_key
from tests.integration.test_terms import dynamo_index, newest_first, record

PLUS_2 = timezone(timedelta(hours=2))
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
DAY_RECORDS = [
    record(1, NOON, tags=("storm",)),
    record(2, NOON, tags=("storm",)),  # the same instant: ids decide
    record(3, datetime(2026, 3, 10, 0, 0, tzinfo=UTC)),  # the day's first second
    record(4, datetime(2026, 3, 10, 23, 59, 59, tzinfo=UTC)),  # and its last
    record(5, datetime(2026, 3, 11, 1, 30, tzinfo=PLUS_2)),  # 10 March 23:30 in UTC
    record(6, datetime(2026, 3, 11, 0, 0, tzinfo=UTC)),  # the next day
    record(7, datetime(2026, 3, 1, 0, 30, tzinfo=PLUS_2)),  # 28 February in UTC
    record(8, datetime(2026, 3, 31, 9, 0, tzinfo=UTC)),
]


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleIndex]:
    if request.param == "sqlite":
        from newswire.adapters.local import SqliteIndex

        local = SqliteIndex(tmp_path / "index.sqlite3")
        yield local
        local.close()
        return
    yield dynamo_index(request)


@pytest.fixture
def filled(index: ArticleIndex) -> ArticleIndex:
    for r in DAY_RECORDS:
        assert index.add(r) is True
    return index


def ids(numbers: list[int]) -> list[str]:
    return [DAY_RECORDS[n - 1].id for n in numbers]


def test_a_day_lists_its_utc_articles_newest_first(filled: ArticleIndex) -> None:
    day = filled.by_day("2026-03-10", limit=100)
    assert [r.id for r in day] == ids([4, 5, 1, 2, 3])
    assert day == newest_first([DAY_RECORDS[n - 1] for n in (1, 2, 3, 4, 5)])
    assert [r.id for r in filled.by_day("2026-03-10", limit=2)] == ids([4, 5])
    assert [r.id for r in filled.by_day("2026-03-11", limit=100)] == ids([6])
    assert [r.id for r in filled.by_day("2026-02-28", limit=100)] == ids([7])
    assert filled.by_day("2026-03-12", limit=100) == []


def test_the_days_of_a_month_are_its_utc_days_with_articles(filled: ArticleIndex) -> None:
    assert filled.days_with_articles("2026-03") == {"2026-03-10", "2026-03-11", "2026-03-31"}
    assert filled.days_with_articles("2026-02") == {"2026-02-28"}
    assert filled.days_with_articles("2026-04") == set()


def test_a_hidden_article_is_on_no_day(filled: ArticleIndex) -> None:
    only = DAY_RECORDS[7]
    assert filled.replace(dataclasses.replace(only, hidden=True)) is True
    assert filled.by_day("2026-03-31", limit=100) == []
    assert "2026-03-31" not in filled.days_with_articles("2026-03")


def test_a_day_counts_its_articles_before_a_sort_key(filled: ArticleIndex) -> None:
    day = "2026-03-10"
    ordered = sorted(filled.by_day(day, limit=100), key=sort_key)  # 3, 1, 2, 5, 4
    assert filled.count_day(day) == 5
    for position, listed in enumerate(ordered):
        assert filled.count_day(day, before=sort_key(listed)) == position
    # Ties on the second: the id decides, as in every list.
    one, two = DAY_RECORDS[0], DAY_RECORDS[1]
    assert one.published == two.published and one.id < two.id
    assert (
        filled.count_day(day, before=sort_key(two))
        == filled.count_day(day, before=sort_key(one)) + 1
    )
    assert filled.count_day(day, before=f"{day}T23:59:59Z zzzz") == 5
    assert filled.count_day(day, before=f"{day}T00:00:00Z 0") == 0
    assert filled.count_day("2026-03-12") == 0
    hidden = DAY_RECORDS[3]
    assert filled.replace(dataclasses.replace(hidden, hidden=True)) is True
    assert filled.count_day(day) == 4
