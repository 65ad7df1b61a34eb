"""Ties at a list's cut: articles with the very same timestamp are listed by the site's own rule
(newest first, then id) whatever order the index returns them in, which is what TIE_SLACK buys.

SQLite happens to order ties by id as the site does; DynamoDB's index does not promise any
order among equal sort keys. The index here returns ties in the opposite order, and only as many
records as it was asked for, as a real index does.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import pytest

from newswire.models import IndexRecord, Taxonomy, newest_first
from newswire.site.listings import IndexListings, MemoryListings
from newswire.slugs import content_key

if TYPE_CHECKING:
    from newswire.ports import ArticleIndex

NOON = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)


def record(n: int, date: datetime) -> IndexRecord:
    return IndexRecord(
        id=f"{n:020x}", key=content_key("news", date, f"story-{n}"), section="news",
        slug=f"story-{n}", title=f"Story {n}", date=date, link=f"https://example.org/{n}",
        feeds=("wire",), content_hash=f"{n:032x}", tags=("harbour",),
    )  # fmt: skip


class TiesReversedIndex:
    """The listing queries of an index that returns equal timestamps in descending id order."""

    def __init__(self, records: list[IndexRecord]) -> None:
        by_id_descending = sorted(records, key=lambda r: r.id, reverse=True)
        self.records = sorted(by_id_descending, key=lambda r: r.date, reverse=True)

    def latest(self, *, limit: int, **_: object) -> list[IndexRecord]:
        return self.records[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, *, limit: int) -> list[IndexRecord]:
        return [r for r in self.records if term in getattr(r, taxonomy)][:limit]


# Two newer articles, then a run of ties that straddles every cut below, then older ones.
RECORDS = [
    record(90, NOON + timedelta(hours=2)),
    record(91, NOON + timedelta(hours=1)),
    *(record(n, NOON) for n in range(1, 21)),
    *(record(100 + n, NOON - timedelta(hours=n)) for n in range(1, 6)),
]


@pytest.mark.parametrize("limit", [3, 5, 12, 21])
def test_ties_at_the_cut_are_listed_by_id_whatever_the_index_order(limit: int) -> None:
    # The index is asked for limit + TIE_SLACK records: enough to hold all 20 ties here.
    expected = newest_first(RECORDS)[:limit]
    assert [r.id for r in expected[2:]] == [f"{n:020x}" for n in range(1, limit - 1)]
    listings = IndexListings(cast("ArticleIndex", TiesReversedIndex(RECORDS)))
    assert listings.latest(limit) == expected
    assert listings.by_term("tags", "harbour", limit) == expected
    # The full build (every record in memory) lists the same.
    assert MemoryListings(RECORDS).latest(limit) == expected
