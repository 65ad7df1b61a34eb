"""Listings by term (tag, category, publisher) and by month, on both index adapters.

SqliteIndex answers from the article rows themselves; DynamoIndex from term-membership items
written in the article's own transaction and queried through the ByTerm index (the table is
created from template.yaml). The two must give the same answers, in the same order, after adds,
after updates that drop and add terms, and after a reindex; and DynamoDB must not pay for it
with more write requests or leave stale membership items behind.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from newswire.adapters.codec import LISTING_FIELDS, listing_of, record_to_dict
from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.dynamodb_items import (
    MAX_MEMBERSHIPS,
    from_item,
    memberships,
    memberships_value,
    stored_of,
    to_item,
)
from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.adapters.s3 import S3Store
from newswire.models import IndexRecord, Taxonomy, utc_sort_key
from newswire.ports import ArticleIndex, ContentStore, SlugTaken, StorageError
from newswire.reindex import reindex
from newswire.slugs import content_key
from tests.conftest import DATA

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

TAXONOMIES: tuple[Taxonomy, ...] = ("tags", "categories", "publisher")
GOLDEN = DATA / "golden"


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleIndex]:
    if request.param == "sqlite":
        local = SqliteIndex(tmp_path / "index.sqlite3")
        yield local
        local.close()
        return
    yield dynamo_index(request)


def dynamo_index(request: pytest.FixtureRequest) -> DynamoIndex:
    client: DynamoDBClient = request.getfixturevalue("dynamodb_client")
    return DynamoIndex(client, request.getfixturevalue("index_table"))


@pytest.fixture
def both(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[SqliteIndex, DynamoIndex]]:
    local = SqliteIndex(tmp_path / "index.sqlite3")
    yield local, dynamo_index(request)
    local.close()


def record(
    n: int,
    date: datetime,
    *,
    tags: tuple[str, ...] = (),
    categories: tuple[str, ...] = (),
    publisher: str | None = None,
    title: str | None = None,
) -> IndexRecord:
    slug = f"story-{n}"
    return IndexRecord(
        id=f"{n:020x}",
        key=content_key("news", date, slug),
        section="news",
        slug=slug,
        title=title or f"Story number {n}",
        date=date,
        link=f"https://example.org/stories/{n}",
        feeds=("wire",),
        content_hash=f"{n:032x}",
        publisher=publisher,
        first_seen=datetime(2026, 3, 11, 6, 0, tzinfo=UTC),
        summary=f"What happened in story {n}.",
        image=f"https://example.org/images/{n}.jpg" if n % 3 == 0 else None,
        tags=tags,
        categories=categories,
    )


MINUS_5 = timezone(timedelta(hours=-5))
PLUS_2 = timezone(timedelta(hours=2))
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
# Ties on the instant (ids decide), the same instant at another offset, month edges in UTC,
# terms that are prefixes of others, a "#" inside a term, Unicode, and a word that is a tag of
# one article and a category of another.
MARCH_1_PLUS_2 = datetime(2026, 3, 1, 0, 30, tzinfo=PLUS_2)  # 2026-02-28T22:30Z: February
FEB_END = datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC)
JAN_15 = datetime(2026, 1, 15, 8, 0, tzinfo=UTC)
NEW_YEAR_MINUS_5 = datetime(2025, 12, 31, 23, 0, tzinfo=MINUS_5)  # 2026-01-01T04:00Z: January
RECORDS = [
    record(1, NOON, tags=("harbour", "storm"), categories=("Local",), publisher="Harbour Gazette"),
    record(2, NOON, tags=("harbour",), categories=("Local", "Weather"), publisher="Wire"),
    record(3, NOON.astimezone(MINUS_5), tags=("storm", "c#"), publisher="Harbour Gazette"),
    record(4, NOON - timedelta(hours=1), tags=("harbours",), categories=("Weather",)),
    record(5, MARCH_1_PLUS_2, tags=("storm",), categories=("Local",), publisher="Wire"),
    record(6, FEB_END, tags=("київ", "storm"), categories=("Світ",), publisher="Укрінформ"),
    record(7, JAN_15, tags=("weather",), categories=("storm",), publisher="Wire"),
    record(8, NEW_YEAR_MINUS_5, tags=("storm", "harbour"), publisher="Harbour Gazette"),
    record(9, NOON + timedelta(seconds=1), tags=("storm",)),
]
MONTHS = ["2025-12", "2026-01", "2026-02", "2026-03", "2026-04"]


def terms_of(records: list[IndexRecord], taxonomy: Taxonomy) -> set[str]:
    if taxonomy == "publisher":
        return {r.publisher for r in records if r.publisher is not None}
    return {t for r in records for t in (r.tags if taxonomy == "tags" else r.categories)}


def has(r: IndexRecord, taxonomy: Taxonomy, term: str) -> bool:
    if taxonomy == "publisher":
        return r.publisher == term
    return term in (r.tags if taxonomy == "tags" else r.categories)


def newest_first(records: list[IndexRecord]) -> list[IndexRecord]:
    by_id = sorted(records, key=lambda r: r.id)
    return sorted(by_id, key=lambda r: utc_sort_key(r.date), reverse=True)


def expected_by_term(
    records: list[IndexRecord], taxonomy: Taxonomy, term: str
) -> list[IndexRecord]:
    """The reference: by_term's meaning, in plain Python (what a list holds of each)."""
    return [listing_of(r) for r in newest_first([r for r in records if has(r, taxonomy, term)])]


def expected_by_month(records: list[IndexRecord], month: str) -> list[IndexRecord]:
    return newest_first([r for r in records if utc_sort_key(r.date)[:7] == month])


def answers(index: ArticleIndex, records: list[IndexRecord]) -> dict[str, list[IndexRecord]]:
    """Every listing the site could ask for, at every limit that matters."""
    out: dict[str, list[IndexRecord]] = {}
    for taxonomy in TAXONOMIES:
        for term in sorted(terms_of(records, taxonomy) | {"nothing-here"}):
            for limit in (1, 2, 3, 100):
                out[f"{taxonomy}:{term}:{limit}"] = index.by_term(taxonomy, term, limit=limit)
    for month in MONTHS:
        for limit in (1, 2, 3, 100):
            out[f"month:{month}:{limit}"] = index.by_month(month, limit=limit)
    return out


def expected_answers(records: list[IndexRecord]) -> dict[str, list[IndexRecord]]:
    out: dict[str, list[IndexRecord]] = {}
    for taxonomy in TAXONOMIES:
        for term in sorted(terms_of(records, taxonomy) | {"nothing-here"}):
            for limit in (1, 2, 3, 100):
                found = expected_by_term(records, taxonomy, term)
                out[f"{taxonomy}:{term}:{limit}"] = found[:limit]
    for month in MONTHS:
        for limit in (1, 2, 3, 100):
            out[f"month:{month}:{limit}"] = expected_by_month(records, month)[:limit]
    return out


@pytest.fixture
def filled(index: ArticleIndex) -> ArticleIndex:
    for r in reversed(RECORDS):
        assert index.add(r) is True
    return index


def ids(records: list[IndexRecord]) -> list[str]:
    return [r.id for r in records]


# --- the answers ----------------------------------------------------------------------------


def test_by_term_lists_each_taxonomy_newest_first(filled: ArticleIndex) -> None:
    by = {n: RECORDS[n - 1].id for n in range(1, len(RECORDS) + 1)}
    # Ties at 12:00Z (records 1, 2, 3 at -05:00) go by id; 12:00:01Z (9) is newer.
    assert ids(filled.by_term("tags", "storm", limit=10)) == [by[9], by[1], by[3], by[6], by[5],
                                                               by[8]]  # fmt: skip
    assert ids(filled.by_term("tags", "harbour", limit=10)) == [by[1], by[2], by[8]]
    assert ids(filled.by_term("tags", "harbours", limit=10)) == [by[4]]  # matched whole
    assert ids(filled.by_term("tags", "c#", limit=10)) == [by[3]]
    assert ids(filled.by_term("tags", "київ", limit=10)) == [by[6]]
    assert ids(filled.by_term("categories", "Local", limit=10)) == [by[1], by[2], by[5]]
    assert ids(filled.by_term("categories", "local", limit=10)) == []  # case matters
    assert ids(filled.by_term("categories", "storm", limit=10)) == [by[7]]  # not the tag
    assert ids(filled.by_term("publisher", "Wire", limit=10)) == [by[2], by[5], by[7]]
    assert ids(filled.by_term("publisher", "Harbour Gazette", limit=2)) == [by[1], by[3]]
    assert ids(filled.by_term("publisher", "Укрінформ", limit=10)) == [by[6]]
    assert filled.by_term("tags", "nothing-here", limit=10) == []
    # What a list shows comes back: the record without its hash, feeds and first-seen time.
    (listed,) = filled.by_term("tags", "harbour", limit=1)
    assert listed == listing_of(RECORDS[0])
    assert (listed.content_hash, listed.feeds, listed.first_seen) == ("", (), None)
    assert filled.get_records([listed.id]) == {listed.id: RECORDS[0]}


def test_every_listing_equals_the_reference(filled: ArticleIndex) -> None:
    assert answers(filled, RECORDS) == expected_answers(RECORDS)


def test_by_month_is_by_the_utc_month_newest_first(filled: ArticleIndex) -> None:
    by = {n: RECORDS[n - 1].id for n in range(1, len(RECORDS) + 1)}
    assert ids(filled.by_month("2026-03", limit=10)) == [by[9], by[1], by[2], by[3], by[4]]
    assert ids(filled.by_month("2026-02", limit=10)) == [by[6], by[5]]  # 5 is +02:00 in March
    assert ids(filled.by_month("2026-01", limit=10)) == [by[7], by[8]]  # 8 is -05:00 in 2025
    assert filled.by_month("2025-12", limit=10) == []
    assert ids(filled.by_month("2026-03", limit=2)) == [by[9], by[1]]


def test_the_two_backends_answer_alike(both: tuple[SqliteIndex, DynamoIndex]) -> None:
    local, dynamo = both
    for r in RECORDS:
        assert local.add(r) is dynamo.add(r) is True
    assert answers(dynamo, RECORDS) == answers(local, RECORDS)


def test_ties_across_query_pages_keep_the_id_order(both: tuple[SqliteIndex, DynamoIndex]) -> None:
    # 30 articles on 4 instants: DynamoDB reads pages of limit + 1 items, and must read past a
    # page that ends inside a run of equal instants to return the lowest ids of that run.
    local, dynamo = both
    records = [
        record(100 + n, NOON - timedelta(minutes=n % 4), tags=("storm",), publisher="Wire")
        for n in (17, 3, 29, 8, 0, 22, 11, 5, 26, 14, 1, 19, 9, 27, 4, 12, 24, 7, 2, 15, 21,
                  6, 28, 10, 18, 13, 25, 16, 23, 20)
    ]  # fmt: skip
    for r in records:
        local.add(r)
        dynamo.add(r)
    for limit in range(1, 32):
        reference = newest_first(records)[:limit]
        listed = [listing_of(r) for r in reference]
        assert dynamo.by_term("tags", "storm", limit=limit) == listed, limit
        assert local.by_term("tags", "storm", limit=limit) == listed, limit
        assert dynamo.by_month("2026-03", limit=limit) == reference, limit
        assert local.by_month("2026-03", limit=limit) == reference, limit
    assert dynamo.by_term("publisher", "Wire", limit=0) == []


# --- updates --------------------------------------------------------------------------------


def retitled(r: IndexRecord, **changes: Any) -> IndexRecord:
    return dataclasses.replace(r, title=f"{r.title} (updated)", content_hash="e" * 32, **changes)


def test_replace_moves_the_article_between_terms(filled: ArticleIndex) -> None:
    first = RECORDS[0]  # tags harbour, storm; category Local; publisher Harbour Gazette
    changed = retitled(first, tags=("storm", "lifeboat"), categories=("Weather",), publisher="Wire")
    filled.replace(changed)
    records = [changed, *RECORDS[1:]]
    assert answers(filled, records) == expected_answers(records)
    assert first.id not in ids(filled.by_term("tags", "harbour", limit=10))
    assert first.id not in ids(filled.by_term("categories", "Local", limit=10))
    assert first.id not in ids(filled.by_term("publisher", "Harbour Gazette", limit=10))
    assert filled.by_term("tags", "lifeboat", limit=10) == [listing_of(changed)]
    # A term it kept lists the new record, not a stale copy.
    assert listing_of(changed) in filled.by_term("tags", "storm", limit=10)
    assert filled.get_records([first.id]) == {first.id: changed}

    # And back, dropping every term: the article is listed under none.
    bare = retitled(changed, tags=(), categories=(), publisher=None)
    filled.replace(bare)
    records = [bare, *RECORDS[1:]]
    assert answers(filled, records) == expected_answers(records)
    filled.replace(bare)  # a repeated write is harmless
    assert answers(filled, records) == expected_answers(records)


def test_the_two_backends_answer_alike_after_updates(both: tuple[SqliteIndex, DynamoIndex]) -> None:
    local, dynamo = both
    records = list(RECORDS)
    for r in records:
        local.add(r)
        dynamo.add(r)
    updates = [
        retitled(records[0], tags=("lifeboat",)),
        retitled(records[5], categories=("Local", "Світ"), publisher=None),
        retitled(records[6], tags=("weather", "storm"), categories=()),
        retitled(records[1], publisher="Harbour Gazette"),
    ]
    for update in updates:
        local.replace(update)
        dynamo.replace(update)
        records = [update if r.id == update.id else r for r in records]
    assert answers(dynamo, records) == answers(local, records) == expected_answers(records)


# --- DynamoDB: one request per add, no stale items ------------------------------------------


class Requests:
    """The DynamoDB requests a client sends (after botocore's retries: every one on the wire)."""

    def __init__(self, index: DynamoIndex) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self._params: dict[str, Any] = {}
        events = index.client.meta.events
        events.register("provide-client-params.dynamodb.*", self._remember)
        # First: moto answers from a before-send handler, which ends the event.
        events.register_first("before-send.dynamodb", self._count)

    def _remember(self, params: dict[str, Any], **_: Any) -> None:
        self._params = dict(params)

    def _count(self, request: Any, **_: Any) -> None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else str(target)
        self.sent.append((target.rsplit(".", 1)[-1], self._params))

    def operations(self) -> list[str]:
        return [operation for operation, _ in self.sent]


def term_items(index: DynamoIndex, article_id: str | None = None) -> dict[str, dict[str, Any]]:
    """The membership items in the table (of one article), by pk."""
    prefix = f"T#{article_id}#" if article_id else "T#"
    found: dict[str, dict[str, Any]] = {}
    for page in index.client.get_paginator("scan").paginate(TableName=index.table):
        for item in page["Items"]:
            pk = item["pk"]["S"]
            if pk.startswith(prefix):
                found[pk] = item
    return found


def expected_term_pks(r: IndexRecord) -> set[str]:
    return {f"T#{r.id}#{key}" for key in memberships(r)}


def test_an_add_writes_its_claim_its_thin_term_items_then_the_article(
    request: pytest.FixtureRequest,
) -> None:
    dynamo = dynamo_index(request)
    sent = Requests(dynamo)
    first = RECORDS[0]
    assert dynamo.add(first) is True
    # No transaction (each item of one is billed twice): the slug claim, the term items in one
    # batch, the article (the commit point, so a crash before it is redone whole), then its
    # month's marker (the first article of a month a process writes).
    assert sent.operations() == ["PutItem", "BatchWriteItem", "PutItem", "BatchWriteItem"]
    claim, terms, article, marker = (params for _, params in sent.sent)
    assert claim["Item"]["pk"]["S"] == f"S#news/{first.slug}"
    assert claim["ConditionExpression"] == "attribute_not_exists(pk) OR #o = :id"
    assert article["Item"]["pk"]["S"] == f"A#{first.id}"
    assert article["ConditionExpression"] == "attribute_not_exists(pk)"
    written = [r["PutRequest"]["Item"]["pk"]["S"] for r in terms["RequestItems"][dynamo.table]]
    assert (
        set(written)
        == expected_term_pks(first)
        == {
            f"T#{first.id}#tags#harbour",
            f"T#{first.id}#tags#storm",
            f"T#{first.id}#categories#Local",
            f"T#{first.id}#publisher#Harbour Gazette",
        }
    )
    assert [r["PutRequest"]["Item"]["pk"]["S"] for r in marker["RequestItems"][dynamo.table]] == [
        "M#2026-03"
    ]
    items = term_items(dynamo, first.id)
    assert set(items) == expected_term_pks(first)
    for pk, item in items.items():
        assert item["term"]["S"] == pk.split("#", 2)[2]
        assert item["published"]["S"] == "2026-03-10T12:00:00Z"
        assert "month" not in item, "term items stay out of ByMonth"
        # Thin: what a list shows, no hash, feeds or first-seen time.
        assert set(item) == {"pk", "term", *LISTING_FIELDS} - {"lastmod", "image"}
        assert item_size(item) < 600

    # A repeated add changes nothing: its article put is refused, and the term items it wrote
    # before are settled back to the stored article's.
    sent.sent.clear()
    assert dynamo.add(retitled(first, tags=("other",))) is False
    assert set(term_items(dynamo, first.id)) == expected_term_pks(first)
    assert dynamo.by_term("tags", "other", limit=10) == []
    assert dynamo.by_term("tags", "harbour", limit=10) == [listing_of(first)]


def test_a_slug_another_article_holds_stops_the_add_before_any_write(
    request: pytest.FixtureRequest,
) -> None:
    dynamo = dynamo_index(request)
    first = RECORDS[0]
    dynamo.add(first)
    other = dataclasses.replace(RECORDS[1], slug=first.slug)
    sent = Requests(dynamo)
    with pytest.raises(SlugTaken):
        dynamo.add(other)
    assert sent.operations() == ["PutItem"]
    assert term_items(dynamo, other.id) == {}
    assert dynamo.get_records([other.id]) == {}


def test_an_add_cut_short_before_its_article_is_finished_by_the_next(
    request: pytest.FixtureRequest,
) -> None:
    dynamo = dynamo_index(request)
    first = RECORDS[0]
    real = dynamo.client.put_item

    def crash_on_the_article(**params: Any) -> Any:
        if params["Item"]["pk"]["S"].startswith("A#"):
            raise StorageError("the process died here")
        return real(**params)

    dynamo.client.put_item = crash_on_the_article  # type: ignore[method-assign]
    with pytest.raises(StorageError):
        dynamo.add(first)
    assert set(term_items(dynamo, first.id)) == expected_term_pks(first)
    assert dynamo.get_records([first.id]) == {}
    dynamo.client.put_item = real  # type: ignore[method-assign]
    # The next run finds the article new, and its claim its own.
    assert dynamo_index(request).add(first) is True
    assert dynamo.get_records([first.id]) == {first.id: first}
    assert set(term_items(dynamo, first.id)) == expected_term_pks(first)


def item_size(item: dict[str, Any]) -> int:
    """Billed bytes: names plus values (strings and lists of strings here)."""

    def value(v: dict[str, Any]) -> int:
        (kind, data), *_ = v.items()
        if kind == "L":
            return 3 + sum(1 + value(e) for e in data)
        return len(str(data).encode("utf-8"))

    return sum(len(k.encode("utf-8")) + value(v) for k, v in item.items())


def test_an_update_that_keeps_its_terms_is_one_request(request: pytest.FixtureRequest) -> None:
    dynamo = dynamo_index(request)
    dynamo.add(RECORDS[0])
    sent = Requests(dynamo)
    dynamo.replace(retitled(RECORDS[0]))
    assert sent.operations() == ["TransactWriteItems"]


def deleted_by(params: dict[str, Any]) -> set[str]:
    return {a["Delete"]["Key"]["pk"]["S"] for a in params["TransactItems"] if "Delete" in a}


def test_an_update_deletes_the_term_items_it_dropped(request: pytest.FixtureRequest) -> None:
    dynamo = dynamo_index(request)
    for r in RECORDS:
        dynamo.add(r)
    before = term_items(dynamo)
    first = RECORDS[0]
    changed = retitled(first, tags=("storm", "lifeboat"), categories=(), publisher="Wire")
    # As an ingest does: read the record, then replace it. What get_records saw stored is the
    # replace's first guess, so even a change of terms is one request.
    reader = dynamo_index(request)
    assert reader.get_records([first.id]) == {first.id: first}
    sent = Requests(reader)
    reader.replace(changed)
    assert sent.operations() == ["TransactWriteItems"]
    dropped = {
        f"T#{first.id}#tags#harbour",
        f"T#{first.id}#categories#Local",
        f"T#{first.id}#publisher#Harbour Gazette",
    }
    assert deleted_by(sent.sent[0][1]) == dropped
    after = term_items(dynamo)
    assert set(term_items(dynamo, first.id)) == expected_term_pks(changed)
    others = {pk: item for pk, item in before.items() if not pk.startswith(f"T#{first.id}#")}
    assert {pk: item for pk, item in after.items() if not pk.startswith(f"T#{first.id}#")} == (
        others
    )
    for item in term_items(dynamo, first.id).values():
        assert item["title"]["S"] == changed.title


def test_an_update_without_a_read_first_costs_one_cancelled_request(
    request: pytest.FixtureRequest,
) -> None:
    dynamo = dynamo_index(request)
    first = RECORDS[0]
    dynamo.add(first)
    changed = retitled(first, tags=("storm", "lifeboat"), categories=(), publisher="Wire")
    stranger = dynamo_index(request)  # another process: it never read the article
    sent = Requests(stranger)
    stranger.replace(changed)
    # It guessed the terms unchanged and was cancelled; the cancellation returned the stored
    # item, so the second request knew what to delete without reading it.
    assert sent.operations() == ["TransactWriteItems", "TransactWriteItems"]
    assert deleted_by(sent.sent[0][1]) == set()
    assert deleted_by(sent.sent[1][1]) == {
        f"T#{first.id}#tags#harbour",
        f"T#{first.id}#categories#Local",
        f"T#{first.id}#publisher#Harbour Gazette",
    }
    assert set(term_items(dynamo)) == expected_term_pks(changed)


def test_concurrent_updates_leave_no_stale_term_item(request: pytest.FixtureRequest) -> None:
    client: DynamoDBClient = request.getfixturevalue("dynamodb_client")
    table: str = request.getfixturevalue("index_table")
    ours, theirs = DynamoIndex(client, table), DynamoIndex(boto3_client(), table)
    first = RECORDS[0]
    ours.add(first)
    mine = retitled(first, tags=("mine",))
    other = retitled(first, tags=("theirs",), categories=("Theirs",))
    interleaved = threading.Event()

    def other_writer_first(**_: Any) -> None:
        # Between our guess and our write, another run replaces the article.
        if not interleaved.is_set():
            interleaved.set()
            theirs.replace(other)

    client.meta.events.register("before-call.dynamodb.TransactWriteItems", other_writer_first)
    ours.replace(mine)

    assert interleaved.is_set()
    assert set(term_items(ours, first.id)) == expected_term_pks(mine)
    assert ours.get_records([first.id]) == {first.id: mine}
    assert ours.by_term("tags", "theirs", limit=10) == []
    assert ours.by_term("categories", "Theirs", limit=10) == []
    assert ours.by_term("tags", "mine", limit=10) == [listing_of(mine)]


def boto3_client() -> DynamoDBClient:
    import boto3

    return boto3.client("dynamodb", region_name="us-east-1")


def strip_to_legacy(dynamo: DynamoIndex) -> None:
    """The table as the code before term items left it: no term items, no `memberships`."""
    for pk in term_items(dynamo):
        dynamo.client.delete_item(TableName=dynamo.table, Key={"pk": {"S": pk}})
    for page in dynamo.client.get_paginator("scan").paginate(TableName=dynamo.table):
        for item in page["Items"]:
            if item["pk"]["S"].startswith("A#"):
                dynamo.client.update_item(
                    TableName=dynamo.table,
                    Key={"pk": item["pk"]},
                    UpdateExpression="REMOVE memberships",
                )


def test_an_update_of_an_article_indexed_before_term_items_adds_them(
    request: pytest.FixtureRequest,
) -> None:
    dynamo = dynamo_index(request)
    for r in RECORDS:
        dynamo.add(r)
    strip_to_legacy(dynamo)
    assert dynamo.by_term("tags", "storm", limit=10) == []
    first = RECORDS[0]
    changed = retitled(first, tags=("storm", "lifeboat"))
    dynamo.replace(changed)
    assert set(term_items(dynamo)) == expected_term_pks(changed)
    assert dynamo.by_term("tags", "storm", limit=10) == [listing_of(changed)]


def test_a_missing_article_is_written_by_replace(request: pytest.FixtureRequest) -> None:
    # As put_item did before: replace is only called for indexed articles, but a record that
    # vanished meanwhile is written whole (with its term items), never half.
    dynamo = dynamo_index(request)
    dynamo.replace(RECORDS[0])
    assert dynamo.get_records([RECORDS[0].id]) == {RECORDS[0].id: RECORDS[0]}
    assert set(term_items(dynamo)) == expected_term_pks(RECORDS[0])


def test_many_terms_fit_the_transaction_limit(request: pytest.FixtureRequest) -> None:
    dynamo = dynamo_index(request)
    crowded = record(1, NOON, tags=tuple(f"tag-{n:02d}" for n in range(60)),
                     categories=("Local",), publisher="Wire")  # fmt: skip
    sent = Requests(dynamo)
    assert dynamo.add(crowded) is True
    # Its 48 term items in batches of at most 25 (DynamoDB's limit; moto accepts more).
    batches = [p for op, p in sent.sent if op == "BatchWriteItem"]
    assert [len(p["RequestItems"][dynamo.table]) for p in batches] == [25, 23, 1]  # 1: month
    listed = memberships(crowded)
    assert len(listed) == MAX_MEMBERSHIPS
    assert {"publisher#Wire", "categories#Local"} <= set(listed)
    assert set(term_items(dynamo)) == expected_term_pks(crowded)
    # Every listed term replaced by another: 1 + 48 puts + 48 deletes.
    moved = retitled(crowded, tags=tuple(f"new-{n:02d}" for n in range(60)),
                     categories=("Weather",), publisher="Gazette")  # fmt: skip
    dynamo.replace(moved)
    assert set(term_items(dynamo)) == expected_term_pks(moved)
    assert dynamo.by_term("tags", "new-00", limit=5) == [listing_of(moved)]
    assert dynamo.by_term("tags", "tag-00", limit=5) == []


def test_a_term_too_long_for_a_key_is_not_listed(request: pytest.FixtureRequest) -> None:
    dynamo = dynamo_index(request)
    long_term = "ж" * 600  # 1200 bytes
    r = record(1, NOON, tags=(long_term, "storm"))
    assert dynamo.add(r) is True
    assert dynamo.by_term("tags", long_term, limit=5) == []
    assert dynamo.by_term("tags", "storm", limit=5) == [listing_of(r)]


def test_the_article_item_names_its_memberships(request: pytest.FixtureRequest) -> None:
    dynamo = dynamo_index(request)
    dynamo.add(RECORDS[5])
    item = dynamo.client.get_item(TableName=dynamo.table, Key={"pk": {"S": f"A#{RECORDS[5].id}"}})
    stored = item["Item"]
    keys = ["categories#Світ", "publisher#Укрінформ", "tags#storm", "tags#київ"]
    assert memberships(RECORDS[5]) == keys
    # A digest of the keys (a replace's condition), the keys themselves from the item's terms.
    assert stored["memberships"]["S"] == memberships_value(keys)
    assert len(stored["memberships"]["S"]) < 30
    assert memberships_value(keys) != memberships_value(keys[:-1])
    assert stored_of(from_item(stored)).keys == tuple(keys)
    # Every field of the record but `day` (which nothing reads), and section and slug, which
    # its key gives.
    assert {k for k in stored if k not in ("pk", "month", "memberships")} == set(
        record_to_dict(RECORDS[5])
    ) - {"day", "section", "slug"}
    assert dynamo.get_records([RECORDS[5].id]) == {RECORDS[5].id: RECORDS[5]}
    assert dynamo.by_month(RECORDS[5].month, limit=5) == [RECORDS[5]]


def test_an_article_item_keeps_the_section_and_slug_its_key_does_not_give(
    request: pytest.FixtureRequest,
) -> None:
    # A page indexed from a key made under other slug rules (reindex reads the page's slug).
    dynamo = dynamo_index(request)
    odd = dataclasses.replace(RECORDS[1], key=RECORDS[1].key.replace(".md", "-2019.md"))
    assert dynamo.add(odd)
    item = from_item(
        dynamo.client.get_item(TableName=dynamo.table, Key={"pk": {"S": f"A#{odd.id}"}})["Item"]
    )
    assert (item["section"], item["slug"]) == (odd.section, odd.slug)
    assert dynamo.get_records([odd.id]) == {odd.id: odd}
    assert dynamo.by_month(odd.month, limit=5) == [odd]
    assert dynamo.latest(limit=5) == [odd]


# --- reindex --------------------------------------------------------------------------------


def golden_pages(store: ContentStore) -> int:
    pages = 0
    for path in sorted(GOLDEN.rglob("*.md")):
        key = path.relative_to(path.parents[4]).as_posix()  # content/<section>/<YYYY>/<MM>/...
        assert key.startswith("content/"), key
        store.put(key, path.read_bytes())
        pages += 1
    return pages


def test_reindex_recreates_the_term_items(
    both: tuple[SqliteIndex, DynamoIndex], s3_client: Any, bucket: str, tmp_path: Path
) -> None:
    local, dynamo = both
    directory, s3 = DirectoryStore(tmp_path / "site"), S3Store(s3_client, bucket)
    pages = golden_pages(directory)
    assert golden_pages(s3) == pages
    assert reindex(directory, local).added == pages
    assert reindex(s3, dynamo).added == pages
    records = list(local.get_records([r.id for r in local.latest(limit=100)]).values())
    assert len(records) == pages
    assert {t for r in records for t in r.tags}, "the golden pages carry tags"
    assert answers(dynamo, records) == answers(local, records) == expected_answers(records)

    # A table from before term items: reindex (add refused, so replace) writes them.
    strip_to_legacy(dynamo)
    summary = reindex(s3, dynamo)
    assert (summary.added, summary.replaced, summary.failed) == (0, pages, ())
    assert set(term_items(dynamo)) == {pk for r in records for pk in expected_term_pks(r)}
    assert answers(dynamo, records) == expected_answers(records)
    # ...and a second reindex is harmless.
    reindex(s3, dynamo)
    assert answers(dynamo, records) == expected_answers(records)


def write_as_the_previous_version(dynamo: DynamoIndex, r: IndexRecord) -> None:
    """The items the version before thin term items wrote: the article with its term keys
    as a JSON list, and each term item a whole copy of the record."""
    keys = memberships(r)
    data = record_to_dict(r)
    listed = json.dumps(keys, ensure_ascii=False, separators=(",", ":"))
    article = {**data, "pk": f"A#{r.id}", "month": r.month, "memberships": listed}
    dynamo.client.put_item(TableName=dynamo.table, Item=to_item(article))
    for key in keys:
        item = {**data, "pk": f"T#{r.id}#{key}", "term": key}
        dynamo.client.put_item(TableName=dynamo.table, Item=to_item(item))


def test_items_of_the_previous_version_are_read_and_replaced(
    request: pytest.FixtureRequest,
) -> None:
    dynamo = dynamo_index(request)
    first = RECORDS[0]  # tags harbour, storm; category Local; publisher Harbour Gazette
    write_as_the_previous_version(dynamo, first)
    assert "link" in next(iter(term_items(dynamo, first.id).values()))  # a whole copy
    assert dynamo.by_term("tags", "harbour", limit=5) == [listing_of(first)]
    assert dynamo.get_records([first.id]) == {first.id: first}
    # A replace reads the old JSON memberships: the term items it drops are deleted, the
    # others rewritten thin.
    changed = retitled(first, tags=("storm", "lifeboat"), categories=(), publisher=None)
    fresh = dynamo_index(request)  # never read the article: its guess is cancelled first
    fresh.replace(changed)
    assert set(term_items(dynamo, first.id)) == expected_term_pks(changed)
    assert all("link" not in item for item in term_items(dynamo, first.id).values())
    assert dynamo.by_term("tags", "harbour", limit=5) == []
    assert dynamo.by_term("tags", "lifeboat", limit=5) == [listing_of(changed)]


def test_a_term_item_lists_whatever_its_key_looks_like(request: pytest.FixtureRequest) -> None:
    # Section and slug are read from the key as a path, never validated: a key made under
    # other slug rules still lists (a list page must not fail on one old article).
    dynamo = dynamo_index(request)
    odd = dataclasses.replace(RECORDS[0], key="content/news/2026/03/Story_One.md", slug="Story_One")
    write_as_the_previous_version(dynamo, odd)
    assert dynamo.by_term("tags", "harbour", limit=5) == [listing_of(odd)]
