"""Both adapters of each port keep the contracts documented in newswire/ports.py.

Every test runs against the local adapter (a directory, a SQLite file) and the AWS adapter
(S3, DynamoDB on moto, the table created from template.yaml): the two must be interchangeable.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.dynamodb_batch import BATCH_GET_LIMIT
from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.adapters.s3 import MARKDOWN_CONTENT_TYPE, SITE_TAG, S3Store
from newswire.models import FeedState, IndexRecord
from newswire.ports import ArticleIndex, Claim, ContentStore, SlugTaken, StorageError
from newswire.slugs import content_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client


@pytest.fixture(params=["directory", "s3"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> ContentStore:
    if request.param == "directory":
        return DirectoryStore(tmp_path / "site")
    s3_client: S3Client = request.getfixturevalue("s3_client")
    return S3Store(s3_client, request.getfixturevalue("bucket"))


@pytest.fixture(params=["sqlite", "dynamodb"])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ArticleIndex]:
    if request.param == "sqlite":
        local = SqliteIndex(tmp_path / "index.sqlite3")
        yield local
        local.close()
        return
    dynamodb_client: DynamoDBClient = request.getfixturevalue("dynamodb_client")
    yield DynamoIndex(dynamodb_client, request.getfixturevalue("index_table"))


def record(
    n: int,
    date: datetime,
    *,
    feeds: tuple[str, ...] = ("wire",),
    section: str = "news",
    slug: str | None = None,
    title: str | None = None,
) -> IndexRecord:
    slug = slug or f"story-{n}"
    return IndexRecord(
        id=f"{n:020x}",
        key=content_key(section, date, slug),
        section=section,
        slug=slug,
        title=title or f"Story number {n}",
        date=date,
        link=f"https://example.org/stories/{n}",
        feeds=feeds,
        content_hash=f"{n:032x}",
        publisher="Example Times" if n % 2 else None,
        lastmod=None,
        first_seen=datetime(2026, 3, 11, 6, 0, tzinfo=UTC),
    )


# --- ContentStore --------------------------------------------------------------------------

KEY = "content/news/2026/01/ferry-service-resumes.md"


def test_put_new_writes_once_then_reports_the_key_exists(store: ContentStore) -> None:
    assert store.put_new(KEY, b"first") is True
    assert store.put_new(KEY, b"second") is False
    assert store.get(KEY) == b"first"


def test_put_overwrites_and_creates(store: ContentStore) -> None:
    store.put_new(KEY, b"old bytes")
    store.put(KEY, b"new bytes")
    assert store.get(KEY) == b"new bytes"
    other = "content/news/2026/01/created-by-put.md"
    store.put(other, "ünïcode\n".encode())
    assert store.get(other) == "ünïcode\n".encode()


def test_get_of_a_missing_key_is_none(store: ContentStore) -> None:
    assert store.get("content/news/2026/01/never-written.md") is None


def test_keys_lists_exactly_the_keys_under_a_prefix(store: ContentStore) -> None:
    written = {
        "content/news/2026/01/a.md",
        "content/news/2025/12/b.md",
        "content/world/2026/01/c.md",
    }
    for key in written:
        store.put(key, b"x")
    assert set(store.keys("content/news/")) == {
        "content/news/2026/01/a.md",
        "content/news/2025/12/b.md",
    }
    assert set(store.keys("content/")) == written
    assert set(store.keys("content/sport/")) == set()


def test_put_new_is_atomic_between_concurrent_writers(store: ContentStore) -> None:
    start = threading.Barrier(8)

    def write(n: int) -> bool:
        start.wait()
        return store.put_new(KEY, f"writer {n}".encode())

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(write, range(8)))
    assert results.count(True) == 1
    assert store.get(KEY) == f"writer {results.index(True)}".encode()


def test_s3_objects_are_markdown(s3_client: S3Client, bucket: str) -> None:
    s3 = S3Store(s3_client, bucket)
    s3.put_new("content/news/2026/01/a.md", b"---\ntitle: a\n---\n")
    s3.put("content/news/2026/01/b.md", b"---\ntitle: b\n---\n")
    for key in ("content/news/2026/01/a.md", "content/news/2026/01/b.md"):
        head = s3_client.head_object(Bucket=bucket, Key=key)
        assert head["ContentType"] == MARKDOWN_CONTENT_TYPE == "text/markdown; charset=utf-8"


def test_s3_objects_outside_content_carry_the_lifecycle_tag(
    s3_client: S3Client, bucket: str
) -> None:
    s3 = S3Store(s3_client, bucket)
    s3.put_new("content/news/2026/01/a.md", b"---\ntitle: a\n---\n")
    s3.put("content/news/2026/01/b.md", b"---\ntitle: b\n---\n")
    s3.put("index.html", b"<!doctype html>", content_type="text/html; charset=utf-8")
    s3.put("tags/harbour/index.html", b"<!doctype html>", content_type="text/html")
    s3.put("contents/index.html", b"<!doctype html>", content_type="text/html")

    def tags(key: str) -> dict[str, str]:
        found = s3_client.get_object_tagging(Bucket=bucket, Key=key)["TagSet"]
        return {t["Key"]: t["Value"] for t in found}

    # The bucket's 3-day rule for old versions selects this tag (template.yaml).
    name, value = SITE_TAG.split("=")
    for key in ("index.html", "tags/harbour/index.html", "contents/index.html"):
        assert tags(key) == {name: value}, key
    for key in ("content/news/2026/01/a.md", "content/news/2026/01/b.md"):
        assert tags(key) == {}, key


def test_s3_store_failures_are_storage_errors(s3_client: S3Client) -> None:
    missing_bucket = S3Store(s3_client, "no-such-bucket")
    with pytest.raises(StorageError, match="NoSuchBucket"):
        missing_bucket.put(KEY, b"x")
    with pytest.raises(StorageError, match="NoSuchBucket"):
        list(missing_bucket.keys("content/"))


@pytest.mark.parametrize(
    "key",
    [
        "../escape.md",
        "content/../../escape.md",
        "content/news/../../../escape.md",
        "/tmp/escape.md",  # an absolute path
        "",
        "content/news/\x00.md",
    ],
)
def test_directory_store_refuses_keys_outside_its_directory(tmp_path: Path, key: str) -> None:
    root = tmp_path / "site"
    directory = DirectoryStore(root)
    with pytest.raises(StorageError):
        directory.put(key, b"x")
    with pytest.raises(StorageError):
        directory.put_new(key, b"x")
    with pytest.raises(StorageError):
        directory.get(key)
    assert not (tmp_path / "escape.md").exists()
    assert [p for p in tmp_path.rglob("*") if p.is_file()] == []


# --- ArticleIndex --------------------------------------------------------------------------


def test_add_records_once(index: ArticleIndex) -> None:
    first = record(1, datetime(2026, 1, 6, 9, 30, tzinfo=timezone(timedelta(hours=1))))
    assert index.add(first) is True
    assert index.add(first) is False
    # A second add of the same id changes nothing, whatever it carries.
    assert index.add(record(1, first.date, title="Another title", slug="other-slug")) is False
    assert index.get_records([first.id]) == {first.id: first}


def test_a_record_round_trips_unchanged(index: ArticleIndex) -> None:
    full = IndexRecord(
        id="0bb4a97a462fb232d74f",
        key="content/local/2026/01/ferry-service-resumes-after-winter-storms.md",
        section="local",
        slug="ferry-service-resumes-after-winter-storms",
        title="Ferry service resumes: “after” winter storms — Ωmega",
        date=datetime(2026, 1, 6, 9, 30, tzinfo=timezone(timedelta(hours=1))),
        link="https://gazette.example.org/news/ferry-service-resumes",
        feeds=("gazette", "google-news-world"),
        content_hash="5f2b" * 8,
        publisher="Harbour Gazette",
        lastmod=datetime(2026, 1, 7, 10, 0, 5, tzinfo=UTC),
        first_seen=datetime(2026, 1, 6, 12, 0, tzinfo=UTC),
    )
    index.add(full)
    assert index.get_records([full.id]) == {full.id: full}


def test_get_records_of_unknown_ids_is_empty(index: ArticleIndex) -> None:
    assert index.get_records([]) == {}
    assert index.get_records(["0" * 20, "f" * 20]) == {}


def test_another_article_cannot_take_a_claimed_slug(index: ArticleIndex) -> None:
    when = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)
    owner = record(1, when, slug="harbour-wall-budget")
    rival = record(2, when, slug="harbour-wall-budget")
    assert index.add(owner) is True
    with pytest.raises(SlugTaken):
        index.add(rival)
    # Both or neither: the rival's article record was not written either.
    assert index.get_records([owner.id, rival.id]) == {owner.id: owner}
    assert [r.id for r in index.latest(limit=10)] == [owner.id]
    # The claim is per section: the same slug elsewhere is free.
    elsewhere = record(3, when, slug="harbour-wall-budget", section="world")
    assert index.add(elsewhere) is True


def test_replace_overwrites_the_record(index: ArticleIndex) -> None:
    original = record(1, datetime(2026, 1, 4, 15, 45, tzinfo=UTC))
    index.add(original)
    changed = IndexRecord(
        **{
            **original.__dict__,
            "title": "Lifeboat crew rescues two kayakers (updated)",
            "content_hash": "e" * 32,
            "feeds": ("wire", "gazette"),
            "lastmod": datetime(2026, 1, 5, 8, 0, tzinfo=UTC),
        }
    )
    index.replace(changed)
    assert index.get_records([original.id]) == {original.id: changed}
    assert index.latest(limit=5) == [changed]


def changed(base: IndexRecord, **fields: Any) -> IndexRecord:
    return IndexRecord(**{**base.__dict__, **fields})


@pytest.mark.parametrize(
    "between",
    [{"content_hash": "a" * 32}, {"feeds": ("wire", "gazette")},
     {"content_hash": "b" * 32, "feeds": ("gazette",)}],
    ids=["content", "feeds", "both"],
)  # fmt: skip
def test_replace_with_a_stale_expected_record_is_refused(
    index: ArticleIndex, between: dict[str, Any]
) -> None:
    """Optimistic concurrency: two writers read the same record; the first replace wins, the
    second (whose `expected` is now stale) is refused and writes nothing, listings included."""
    original = record(1, datetime(2026, 1, 4, 15, 45, tzinfo=UTC), feeds=("wire",))
    assert index.add(original) is True
    first = changed(original, title="First writer's title", lastmod=original.date, **between)
    assert index.replace(first, expected=original) is True

    second = changed(original, title="Second writer's title", content_hash="c" * 32,
                     feeds=("wire", "herald"), tags=("second",))  # fmt: skip
    assert index.replace(second, expected=original) is False
    assert index.get_records([original.id]) == {original.id: first}
    assert index.latest(limit=5) == [first]
    assert index.by_term("tags", "second", limit=5) == []

    # Read again, decide again: with the current record as `expected`, it goes through.
    assert index.replace(second, expected=first) is True
    assert index.get_records([original.id]) == {original.id: second}
    assert [r.id for r in index.by_term("tags", "second", limit=5)] == [original.id]


# Across months and UTC offsets: the order is by the instant, not by the local clock time.
R_MAR_1200Z = record(1, datetime(2026, 3, 10, 12, 0, tzinfo=UTC), feeds=("alpha",))
R_MAR_0800_M5 = record(2, datetime(2026, 3, 10, 8, 0, tzinfo=timezone(timedelta(hours=-5))),
                       feeds=("beta",))  # fmt: skip
R_FEB = record(3, datetime(2026, 2, 28, 23, 30, tzinfo=UTC), feeds=("alpha",))
R_JAN_P2 = record(4, datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2))),
                  feeds=("alpha", "beta"))  # fmt: skip  # 2025-12-31T22:30Z
R_2025 = record(5, datetime(2025, 6, 15, 10, 0, tzinfo=UTC), feeds=("alpha",))
NEWEST_FIRST = [R_MAR_0800_M5, R_MAR_1200Z, R_FEB, R_JAN_P2, R_2025]


@pytest.fixture
def filled(index: ArticleIndex) -> ArticleIndex:
    for r in (R_FEB, R_2025, R_MAR_1200Z, R_JAN_P2, R_MAR_0800_M5):
        assert index.add(r) is True
    return index


def ids(records: list[IndexRecord]) -> list[str]:
    return [r.id for r in records]


def test_months_with_articles_are_the_utc_months_of_the_records(filled: ArticleIndex) -> None:
    # R_JAN_P2 is dated 1 January in its own offset: 31 December in UTC.
    assert filled.months_with_articles() == {"2026-03", "2026-02", "2025-12", "2025-06"}


def test_an_empty_index_has_no_months(index: ArticleIndex) -> None:
    assert index.months_with_articles() == set()


def test_latest_is_newest_first(filled: ArticleIndex) -> None:
    assert filled.latest(limit=10) == NEWEST_FIRST
    assert ids(filled.latest(limit=3)) == ids(NEWEST_FIRST[:3])
    assert ids(filled.latest(limit=1)) == [R_MAR_0800_M5.id]


def test_latest_of_one_feed(filled: ArticleIndex) -> None:
    assert ids(filled.latest(limit=10, feed="beta")) == [R_MAR_0800_M5.id, R_JAN_P2.id]
    assert ids(filled.latest(limit=2, feed="alpha")) == [R_MAR_1200Z.id, R_FEB.id]
    assert filled.latest(limit=10, feed="gamma") == []
    # A feed name is matched whole, not as a substring of another one.
    assert filled.latest(limit=10, feed="alph") == []


def test_latest_since(filled: ArticleIndex) -> None:
    new_year = datetime(2026, 1, 1, tzinfo=UTC)
    # R_JAN_P2 is 00:30 on New Year's day at +02:00, i.e. still 2025 in UTC: excluded.
    assert ids(filled.latest(limit=10, since=new_year)) == ids(NEWEST_FIRST[:3])
    # `since` is inclusive, and may carry any offset.
    exactly = datetime(2026, 1, 1, 0, 30, tzinfo=timezone(timedelta(hours=2)))
    assert ids(filled.latest(limit=10, since=exactly)) == ids(NEWEST_FIRST[:4])
    assert ids(filled.latest(limit=10, feed="alpha", since=datetime(2026, 2, 1, tzinfo=UTC))) == [
        R_MAR_1200Z.id,
        R_FEB.id,
    ]
    assert filled.latest(limit=10, since=datetime(2026, 3, 11, tzinfo=UTC)) == []


def test_feed_state_round_trip(index: ArticleIndex) -> None:
    assert index.get_feed_states(["gazette"]) == {}
    assert index.feed_states() == []
    state = FeedState(
        feed_id="gazette",
        url="https://gazette.example.org/feed.xml",
        etag='W/"5f2b-1"',
        last_modified="Tue, 06 Jan 2026 12:00:00 GMT",
        body_hash="ab" * 32,
        last_fetch=datetime(2026, 1, 6, 12, 0, 1, tzinfo=UTC),
        last_status="ok",
        consecutive_errors=0,
        not_before=None,
        articles_total=3,
    )
    bare = FeedState(feed_id="field-notes", url="https://notes.example.com/feed.atom")
    index.save_feed_state(state)
    index.save_feed_state(bare)
    assert index.get_feed_states(["gazette", "field-notes", "other"]) == {
        "gazette": state,
        "field-notes": bare,
    }
    failing = FeedState(
        **{
            **state.__dict__,
            "etag": None,
            "last_status": "error: HTTP 503 Service Unavailable",
            "consecutive_errors": 4,
            "not_before": datetime(2026, 1, 6, 14, 0, tzinfo=timezone(timedelta(hours=2))),
        }
    )
    index.save_feed_state(failing)  # replaces the previous state
    assert index.get_feed_states(["gazette"]) == {"gazette": failing}
    assert index.feed_states() == [bare, failing]


def test_get_records_batches_many_ids(index: ArticleIndex) -> None:
    base = datetime(2026, 2, 1, tzinfo=UTC)
    records = [record(n, base + timedelta(minutes=n)) for n in range(1, 151)]
    for r in records:
        index.add(r)
    unknown = [f"{n:020x}" for n in range(1000, 1060)]
    wanted = [r.id for r in records] + unknown + [records[0].id]  # and a duplicate

    batch_sizes: list[int] = []
    if isinstance(index, DynamoIndex):

        def count(params: dict[str, Any], **_: Any) -> None:
            for request in params["RequestItems"].values():
                batch_sizes.append(len(request["Keys"]))

        index.client.meta.events.register("provide-client-params.dynamodb.BatchGetItem", count)

    found = index.get_records(wanted)
    assert found == {r.id: r for r in records}
    if isinstance(index, DynamoIndex):
        assert len(batch_sizes) == 3  # 210 distinct ids
        assert max(batch_sizes) <= BATCH_GET_LIMIT == 100
        assert sum(batch_sizes) == 210


def test_dynamo_index_failures_are_storage_errors(dynamodb_client: DynamoDBClient) -> None:
    missing = DynamoIndex(dynamodb_client, "no-such-table")
    with pytest.raises(StorageError):
        missing.get_feed_states(["gazette"])
    with pytest.raises(StorageError):
        missing.add(record(1, datetime(2026, 1, 1, tzinfo=UTC)))


def test_a_table_without_month_markers_still_lists_its_months(
    dynamodb_client: DynamoDBClient, index_table: str
) -> None:
    # Tables written before month markers existed hold articles only: the months are found by
    # asking each month, from the newest article's back.
    index = DynamoIndex(dynamodb_client, index_table)
    for r in (R_FEB, R_2025, R_JAN_P2):
        assert index.add(r) is True
    markers = dynamodb_client.scan(
        TableName=index_table,
        FilterExpression="begins_with(pk, :m)",
        ExpressionAttributeValues={":m": {"S": "M#"}},
    )["Items"]
    assert len(markers) == 3
    for marker in markers:
        dynamodb_client.delete_item(TableName=index_table, Key={"pk": marker["pk"]})
    assert DynamoIndex(dynamodb_client, index_table).months_with_articles() == {
        "2026-02",
        "2025-12",
        "2025-06",
    }


def _claim(n: int, slug: str, *, feed: str = "wire", stories: tuple[str, ...] = ()) -> Claim:
    key = content_key("news", datetime(2026, 1, 5, tzinfo=UTC), slug)
    return Claim(f"{n:020x}", key, "news", slug, feed, datetime(2026, 1, 5, tzinfo=UTC), stories)


def test_an_article_is_claimed_once_and_the_claim_names_its_key(index: ArticleIndex) -> None:
    first = _claim(1, "first-slug", stories=("url:harbour.example/a",))
    [made] = index.claim_many([first])
    assert (made.key, made.feed, made.story) == (first.key, "wire", None)
    # Another feed, another title: the claim found names the first key, nothing is claimed.
    again = _claim(1, "other-slug", feed="other")
    [found] = index.claim_many([again])
    assert (found.key, found.feed) == (first.key, "wire")
    assert index.claims([first.id, "missing"]) == {first.id: first.key}
    assert index.story_owners(["url:harbour.example/a", "url:x"]) == {
        "url:harbour.example/a": first.id
    }
    # The slug is first's, and so is the story key: another article gets neither.
    [slug_taken] = index.claim_many([_claim(2, "first-slug")])
    assert (slug_taken.key, slug_taken.story) == (None, None)
    [story_taken] = index.claim_many([_claim(3, "third", stories=("url:harbour.example/a",))])
    assert (story_taken.key, story_taken.story) == (None, first.id)
    assert index.claims([f"{2:020x}", f"{3:020x}"]) == {}


def test_removing_an_article_removes_its_claims(index: ArticleIndex) -> None:
    claim = _claim(1, "story-1", stories=("url:harbour.example/a",))
    index.claim_many([claim])
    r = record(1, datetime(2026, 1, 5, tzinfo=UTC))
    assert r.key == claim.key and index.add(r)
    index.remove(r)
    assert index.claims([claim.id]) == {} and index.story_owners(claim.stories) == {}
    [again] = index.claim_many([_claim(2, "story-1", stories=claim.stories)])
    assert again.key is not None


def test_concurrent_claims_of_one_story_have_one_winner(index: ArticleIndex) -> None:
    claims = [_claim(n, f"slug-{n}", stories=("url:harbour.example/same",)) for n in range(8)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda c: index.claim_many([c])[0], claims))
    winners = [c for c, r in zip(claims, results, strict=True) if r.key == c.key]
    assert len(winners) == 1
    assert all(r.story == winners[0].id for r in results if r.key is None)
