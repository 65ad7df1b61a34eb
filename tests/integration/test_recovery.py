"""Recovery: a lost index is rebuilt from the Markdown pages, and nothing notices.

The fixture feeds (tests/data/*.xml) are served from 127.0.0.1 and ingested; the index's
listing (`newswire list`) is recorded; the index is destroyed (the DynamoDB table deleted and
created again from template.yaml, or the SQLite file deleted); `reindex` rebuilds it from the
pages alone; the listing is the same (first_seen aside: only the index knew it), and the next
ingest finds every article unchanged and writes nothing. On both backends, through the package
and through the `newswire` command (against moto's server for the AWS backend).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from newswire.adapters.codec import record_to_dict
from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.adapters.s3 import S3Store
from newswire.bootstrap import INDEX_FILE, Settings, build_index, build_ingestor, build_store
from newswire.config import load_config
from newswire.ingest import Ingestor
from newswire.models import FeedConfig, IndexRecord, RunSummary
from newswire.ports import ArticleIndex
from newswire.reindex import reindex
from newswire.sections import SECTION_INDEX, is_section_index
from tests.conftest import (
    DATA,
    LOOPBACK,
    REGION,
    FeedServer,
    MotoServer,
    create_index_table,
    run_newswire,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

RSS, ATOM = "application/rss+xml; charset=utf-8", "application/atom+xml"
FIXTURES = (
    # name, file, section, language
    ("gazette", "rss-basic.xml", "local", "en"),
    ("field-notes", "atom-blog.xml", "blog", "en"),
    ("google-news-world", "google-news-world.xml", "world", "en"),
    ("google-news-search", "google-news-search.xml", "world", "en"),
    ("ukrainian", "ukrainian-feed.xml", "ukraine", "uk"),
)
LISTING_LIMIT = 1000


def serve_fixtures(server: FeedServer, feeds_file: Path) -> tuple[FeedConfig, ...]:
    specs = []
    for name, file, section, language in FIXTURES:
        kind = ATOM if file.startswith("atom") else RSS
        url = server.serve_file(f"/{name}/feed.xml", DATA / file, kind)
        specs.append({"name": name, "url": url, "section": section, "language": language})
    feeds_file.write_text(yaml.safe_dump({"feeds": specs}, sort_keys=False), encoding="utf-8")
    return load_config(feeds_file).feeds


def listing(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """`newswire list --json` without first_seen, which only the lost index knew."""
    return [{k: v for k, v in r.items() if k != "first_seen"} for r in records]


def latest(index: ArticleIndex) -> list[dict[str, Any]]:
    return listing([record_to_dict(r) for r in index.latest(limit=LISTING_LIMIT)])


def assert_first_run(summary: RunSummary) -> int:
    assert summary.counts["failed"] == 0, summary.as_dict()
    assert summary.counts["fetched"] == len(FIXTURES)
    assert summary.counts["failed_items"] == 0
    assert summary.counts["new"] > 0
    return summary.counts["new"]


def assert_all_unchanged(summary: RunSummary, articles: int) -> None:
    assert summary.counts["failed"] == 0, summary.as_dict()
    # Unconditional GETs (the feeds' validators were in the lost index), every item unchanged.
    assert summary.counts["fetched"] == len(FIXTURES)
    assert (summary.counts["new"], summary.counts["updated"]) == (0, 0), summary.as_dict()
    assert summary.counts["unchanged"] == articles


@dataclass
class WriteLog:
    """Every write call a boto3 client makes, by operation, with the keys it touches."""

    writes: list[tuple[str, str]] = field(default_factory=list)

    def watch(self, client: Any) -> None:
        client.meta.events.register("provide-client-params.*.*", self._record)

    def _record(self, params: dict[str, Any], event_name: str, **_: Any) -> None:
        operation = event_name.split(".")[2]
        if operation in ("PutObject", "CopyObject", "DeleteObject", "DeleteObjects"):
            self.writes.append((operation, str(params.get("Key"))))
        elif operation in ("PutItem", "UpdateItem", "DeleteItem"):
            item = params.get("Item") or params.get("Key") or {}
            self.writes.append((operation, str(item.get("pk", {}).get("S"))))
        elif operation in ("TransactWriteItems", "BatchWriteItem"):
            self.writes.append((operation, json.dumps(params, default=str)[:200]))

    def content_writes(self) -> list[tuple[str, str]]:
        """Writes of pages, article records or slug claims (feed states are expected)."""
        return [(op, key) for op, key in self.writes if not key.startswith("F#")]


# --- through the package -------------------------------------------------------------------


@pytest.fixture
def feeds(feed_server: FeedServer, tmp_path: Path) -> tuple[FeedConfig, ...]:
    return serve_fixtures(feed_server, tmp_path / "feeds.yaml")


def aws_ingestor(settings: Settings, log: WriteLog | None = None) -> Ingestor:
    ingestor = build_ingestor(settings)
    assert isinstance(ingestor.store, S3Store) and isinstance(ingestor.index, DynamoIndex)
    if log is not None:
        log.watch(ingestor.store.client)
        log.watch(ingestor.index.client)
    return ingestor


def test_a_lost_table_is_rebuilt_from_the_bucket(
    feeds: tuple[FeedConfig, ...],
    s3_client: S3Client,
    dynamodb_client: DynamoDBClient,
    bucket: str,
    index_table: str,
) -> None:
    settings = Settings(bucket=bucket, table=index_table, region=REGION, allow_hosts=(LOOPBACK,))
    articles = assert_first_run(aws_ingestor(settings).run(feeds))
    index = DynamoIndex(dynamodb_client, index_table)
    before = latest(index)
    assert len(before) == articles
    pages = {k: S3Store(s3_client, bucket).get(k) for k in S3Store(s3_client, bucket).keys("")}
    # Besides the articles, each section's `_index.md` (which reindex leaves alone).
    assert len([k for k in pages if not is_section_index(k)]) == articles

    dynamodb_client.delete_table(TableName=index_table)
    dynamodb_client.get_waiter("table_not_exists").wait(TableName=index_table)
    create_index_table(dynamodb_client, index_table)
    assert latest(index) == []

    summary = reindex(S3Store(s3_client, bucket), index)

    assert (summary.added, summary.replaced, summary.failed) == (articles, 0, ())
    assert latest(index) == before
    claims = dynamodb_client.scan(
        TableName=index_table,
        FilterExpression="begins_with(pk, :s)",
        ExpressionAttributeValues={":s": {"S": "S#"}},
    )["Items"]
    assert len(claims) == articles  # every slug claimed again by its own article

    log = WriteLog()
    assert_all_unchanged(aws_ingestor(settings, log).run(feeds), articles)
    assert log.content_writes() == []
    assert {k: S3Store(s3_client, bucket).get(k) for k in pages} == pages
    assert latest(index) == before


def month_markers(dynamodb_client: DynamoDBClient, table: str) -> list[dict[str, Any]]:
    return dynamodb_client.scan(
        TableName=table,
        FilterExpression="begins_with(pk, :m)",
        ExpressionAttributeValues={":m": {"S": "M#"}},
    )["Items"]


def test_reindex_adds_month_markers_to_a_table_that_predates_them(
    feeds: tuple[FeedConfig, ...],
    s3_client: S3Client,
    dynamodb_client: DynamoDBClient,
    bucket: str,
    index_table: str,
) -> None:
    """Every article is already indexed, so reindex only replaces; the markers come back."""
    settings = Settings(bucket=bucket, table=index_table, region=REGION, allow_hosts=(LOOPBACK,))
    articles = assert_first_run(aws_ingestor(settings).run(feeds))
    markers = month_markers(dynamodb_client, index_table)
    assert markers
    for marker in markers:  # as a table written before the markers existed
        dynamodb_client.delete_item(TableName=index_table, Key={"pk": marker["pk"]})

    summary = reindex(S3Store(s3_client, bucket), DynamoIndex(dynamodb_client, index_table))

    assert (summary.added, summary.replaced, summary.failed) == (0, articles, ())
    restored = month_markers(dynamodb_client, index_table)
    assert sorted(m["pk"]["S"] for m in restored) == sorted(m["pk"]["S"] for m in markers)


def test_a_lost_sqlite_file_is_rebuilt_from_the_directory(
    feeds: tuple[FeedConfig, ...], tmp_path: Path
) -> None:
    site = tmp_path / "site"
    settings = Settings(site_dir=site, allow_hosts=(LOOPBACK,))
    first = build_ingestor(settings)
    articles = assert_first_run(first.run(feeds))
    assert isinstance(first.index, SqliteIndex)
    before = latest(first.index)
    assert len(before) == articles
    first.index.close()
    pages = {p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (site / "content").rglob("*.md")}
    assert len([p for p in pages if p.name != SECTION_INDEX]) == articles

    for suffix in ("", "-wal", "-shm"):
        Path(f"{site / INDEX_FILE}{suffix}").unlink(missing_ok=True)
    index = build_index(settings)
    assert isinstance(index, SqliteIndex)
    assert latest(index) == []

    summary = reindex(build_store(settings), index)

    assert (summary.added, summary.replaced, summary.failed) == (articles, 0, ())
    assert latest(index) == before
    index.close()

    again = build_ingestor(settings)
    assert isinstance(again.store, DirectoryStore) and isinstance(again.index, SqliteIndex)
    assert_all_unchanged(again.run(feeds), articles)
    assert latest(again.index) == before
    again.index.close()
    assert {
        p: (p.read_bytes(), p.stat().st_mtime_ns) for p in (site / "content").rglob("*.md")
    } == pages


# --- through the command -------------------------------------------------------------------


@dataclass
class Backend:
    """How `newswire` is pointed at a backend, and how its index is destroyed."""

    args: tuple[str, ...]
    lose_index: Callable[[], None]
    run_args: tuple[str, ...] = ()


@pytest.fixture(params=["embedded", "aws"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "embedded":
        site = tmp_path / "site"

        def delete_sqlite() -> None:
            for suffix in ("", "-wal", "-shm"):
                Path(f"{site / INDEX_FILE}{suffix}").unlink(missing_ok=True)

        yield Backend(("--site-dir", str(site)), delete_sqlite)
        return
    server: MotoServer = request.getfixturevalue("moto_server")
    name = f"newswire-recovery-{os.urandom(4).hex()}"
    server.client("s3").create_bucket(Bucket=name)
    dynamodb = server.client("dynamodb")
    create_index_table(dynamodb, name)

    def recreate_table() -> None:
        dynamodb.delete_table(TableName=name)
        dynamodb.get_waiter("table_not_exists").wait(TableName=name)
        create_index_table(dynamodb, name)

    yield Backend(
        ("--bucket", name, "--table", name, "--endpoint-url", server.endpoint_url),
        recreate_table,
        # One feed at a time: moto's server handles requests on threads over backends without
        # locks (concurrent TransactWriteItems fail inside moto with "dictionary changed size").
        run_args=("--workers", "1"),
    )


@pytest.mark.e2e
def test_newswire_list_answers_the_same_after_reindex(
    backend: Backend, feed_server: FeedServer, tmp_path: Path
) -> None:
    feeds_file = tmp_path / "feeds.yaml"
    serve_fixtures(feed_server, feeds_file)

    def newswire(*args: str) -> str:
        done = run_newswire(*args, *backend.args, cwd=tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    run = ("run", "-c", str(feeds_file), "-q", "--json", *backend.run_args)
    first = json.loads(newswire(*run))
    articles = first["articles"]["new"]
    assert first["feeds"]["fetched"] == len(FIXTURES) and articles > 0
    assert first["articles"]["failed"] == 0, first
    limit = ("--limit", str(LISTING_LIMIT))
    before = listing(json.loads(newswire("list", "--json", *limit)))
    assert len(before) == articles

    backend.lose_index()
    assert json.loads(newswire("list", "--json", *limit)) == []

    assert newswire("reindex").splitlines()[0] == (
        f"reindexed {articles} page(s): {articles} added, 0 already indexed (refreshed), 0 failed"
    )
    assert listing(json.loads(newswire("list", "--json", *limit))) == before

    again = json.loads(newswire(*run))
    assert again["articles"] == {
        "new": 0,
        "updated": 0,
        "unchanged": articles,
        "failed": 0,
        "skipped": 0,
        "filtered": 0,
    }
    assert listing(json.loads(newswire("list", "--json", *limit))) == before


# --- the listing's cost ----------------------------------------------------------------------


def test_listing_a_small_table_queries_no_month_older_than_its_oldest_article(
    dynamodb_client: DynamoDBClient, index_table: str
) -> None:
    index = DynamoIndex(dynamodb_client, index_table)
    for number, date in enumerate(
        (datetime(2025, 12, 31, 22, 5, tzinfo=UTC), datetime(2026, 1, 6, 9, 30, tzinfo=UTC))
    ):
        assert index.add(
            IndexRecord(
                id=f"article-{number}",
                key=f"content/news/{date:%Y/%m}/story-{number}.md",
                section="news",
                slug=f"story-{number}",
                title=f"Story {number}",
                date=date,
                link=f"https://example.org/{number}",
                feeds=("gazette",),
                content_hash="0" * 32,
            )
        )
    months: list[str] = []

    def record(params: dict[str, Any], **_: Any) -> None:
        months.append(params["ExpressionAttributeValues"][":m"]["S"])

    dynamodb_client.meta.events.register("provide-client-params.dynamodb.Query", record)

    listed = index.latest(limit=20)

    assert [r.id for r in listed] == ["article-1", "article-0"]
    assert [m for m in months if m < "2025-12"] == []
