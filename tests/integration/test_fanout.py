"""Fan-out on real parts: the schedule's dispatch, the SQS worker, the dead-letter queue, the
per-feed lease under overlap, and redrive.

S3, DynamoDB (the table from template.yaml) and SQS (a queue with a RedrivePolicy, maxReceiveCount
3, to a DLQ) on moto; feeds from a real HTTP server on 127.0.0.1; both Lambda handlers as they
ship. Messages are received from moto and handed to the worker as Lambda's SQS poller would
(bench/fanout.py holds that poller, and the "one container per thread" emulation: each thread
that invokes a handler has its own handler module and its own Ingestor, hence its own lease owner).
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import pytest
import yaml

import newswire.bootstrap
import newswire.service
from bench.fanout import (
    INGEST_FUNCTION,
    MAX_RECEIVES,
    WORKER_FUNCTION,
    Container,
    FeedQueues,
    atomic_moto_requests,
    create_feed_queues,
    drain,
    drain_queue,
    one_ingestor_per_container,
    queue_depth,
    queue_properties,
    scheduled_event,
    small_feed,
    sqs_event,
)
from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.sqs import SqsFeedQueue
from newswire.config import feed_from_mapping, load_config
from newswire.dispatch import feed_message
from newswire.models import FeedConfig, FeedState
from newswire.sections import is_section_index
from newswire.site.paths import article_path, page_key
from tests.conftest import DATA, LOOPBACK, REGION, FeedRequest, FeedServer, MotoServer, run_newswire

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

RSS = "application/rss+xml; charset=utf-8"
HTML_PAGE = b"<!doctype html><html><head><title>Moved</title></head><body>Gone.</body></html>\n"


@dataclass
class Stack:
    """The deployed pieces a test needs, plus ways to look at what the functions did."""

    server: FeedServer
    s3: S3Client
    dynamodb: DynamoDBClient
    sqs: SQSClient
    bucket: str
    table: str
    queues: FeedQueues
    feeds_file: Path
    monkeypatch: pytest.MonkeyPatch

    def serve_feeds(self, count: int, *, items: int = 1) -> list[dict[str, Any]]:
        """`count` small RSS feeds, `feed-00` …, served and written to the feeds file."""
        specs = []
        for number in range(count):
            url = self.server.serve(f"/feeds/{number:02d}.xml", small_feed(number, items), RSS)
            specs.append({"name": f"feed-{number:02d}", "url": url, "section": "news"})
        self.configure(specs)
        return specs

    def configure(self, specs: list[dict[str, Any]]) -> None:
        self.feeds_file.write_text(yaml.safe_dump({"feeds": specs}), encoding="utf-8")

    def feeds(self) -> tuple[FeedConfig, ...]:
        return load_config(self.feeds_file).feeds

    def set_env(self, **values: str | None) -> None:
        for name, value in values.items():
            if value is None:
                self.monkeypatch.delenv(name, raising=False)
            else:
                self.monkeypatch.setenv(name, value)

    @property
    def index(self) -> DynamoIndex:
        return DynamoIndex(self.dynamodb, self.table)

    def states(self) -> dict[str, FeedState]:
        return {s.feed_id: s for s in self.index.feed_states()}

    def objects(self) -> list[str]:
        """The articles' objects (each section's `_index.md` aside: see section_indexes)."""
        return [key for key in self.keys() if not is_section_index(key)]

    def section_indexes(self) -> list[str]:
        return [key for key in self.keys() if is_section_index(key)]

    def keys(self) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        return sorted(o["Key"] for page in pages for o in page.get("Contents", []))

    def requests(self, path: str) -> list[FeedRequest]:
        return self.server.requests_for(path)

    def send(self, *bodies: str) -> None:
        SqsFeedQueue(self.sqs, self.queues.url).send(list(bodies))

    def receive_all(self) -> list[dict[str, Any]]:
        """Every visible message of the feed queue, received once (now in flight)."""
        found: list[dict[str, Any]] = []
        while True:
            batch = self.sqs.receive_message(
                QueueUrl=self.queues.url,
                MaxNumberOfMessages=10,
                WaitTimeSeconds=0,
                MessageSystemAttributeNames=["All"],
            ).get("Messages", [])
            if not batch:
                return found
            found.extend(dict(m) for m in batch)

    def lease_fields(self, feed_id: str) -> dict[str, Any]:
        item = self.dynamodb.get_item(TableName=self.table, Key={"pk": {"S": f"F#{feed_id}"}})
        return {k: v for k, v in item.get("Item", {}).items() if k.startswith("lease_")}


@pytest.fixture
def sqs(moto_aws: None) -> SQSClient:
    return boto3.client("sqs", region_name=REGION)


@pytest.fixture
def stack(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    feed_server: FeedServer,
    s3_client: S3Client,
    dynamodb_client: DynamoDBClient,
    sqs: SQSClient,
    bucket: str,
    index_table: str,
    restore_newswire_logger: None,
) -> Iterator[Stack]:
    queues = create_feed_queues(sqs)
    feeds_file = tmp_path / "feeds.yaml"
    for name, value in {
        "CONTENT_BUCKET": bucket,
        "INDEX_TABLE": index_table,
        "FEEDS_CONFIG": str(feeds_file),
        "FEEDS_QUEUE_URL": queues.url,
        "INLINE_FEEDS_BELOW": "20",
        "FETCH_WORKERS": "4",
        "LEASE_SECONDS": "900",
        "POWERTOOLS_SERVICE_NAME": "newswire-fanout-test",
        "POWERTOOLS_METRICS_NAMESPACE": "newswire",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_LOG_LEVEL": "WARNING",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FEEDS_CONFIG_KEY", raising=False)
    # The worker reads the feeds file for every message (allow_hosts, enrich), whatever the
    # message holds: a file must exist even where a test sends its own feeds.
    placeholder = {"name": "placeholder", "url": f"http://{LOOPBACK}:9/", "enabled": False}
    feeds_file.write_text(yaml.safe_dump({"feeds": [placeholder]}), encoding="utf-8")
    newswire.service._ingestor.cache_clear()
    # Each AWS request atomic (as on AWS; moto's backends have no locks), and each thread
    # that invokes a Container its own Ingestor (its own lease owner), as Lambda containers.
    with atomic_moto_requests(), one_ingestor_per_container():
        yield Stack(
            feed_server,
            s3_client,
            dynamodb_client,
            sqs,
            bucket,
            index_table,
            queues,
            feeds_file,
            monkeypatch,
        )
    newswire.service._ingestor.cache_clear()


def slow_origin(stack: Stack, seconds: float) -> None:
    """Every answer of the feed server takes `seconds`: overlapping runs really overlap."""
    respond = stack.server.respond

    def slow(target: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        time.sleep(seconds)
        return respond(target, headers)

    stack.monkeypatch.setattr(stack.server, "respond", slow)


def failing_path(stack: Stack, path: str, status: int = 500) -> str:
    """`path` answers `status` (and the request is logged like any other); returns its URL."""
    respond = stack.server.respond

    def failing(target: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        if urlsplit(target).path != path:
            return respond(target, headers)
        with stack.server._lock:
            stack.server.requests.append(
                FeedRequest(path, status, None, None, headers.get("User-Agent"))
            )
        return status, {"Content-Type": "text/plain"}, b"internal error\n"

    stack.monkeypatch.setattr(stack.server, "respond", failing)
    return stack.server.url(path)


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together; their results in order (or re-raise)."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int, call: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = call()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    if errors:
        raise errors[0]
    return results


def test_the_test_queues_are_the_template_s() -> None:
    queue, _ = queue_properties()
    assert int(queue["RedrivePolicy"]["maxReceiveCount"]) == MAX_RECEIVES


# --- dispatch ------------------------------------------------------------------------------


def test_below_the_threshold_the_schedule_ingests_inline(stack: Stack) -> None:
    stack.serve_feeds(3, items=2)
    stack.set_env(INLINE_FEEDS_BELOW="4")

    summary = Container(INGEST_FUNCTION).invoke(scheduled_event())

    assert summary["feeds"] == {"fetched": 3, "not_modified": 0, "failed": 0, "skipped": 0}
    assert summary["articles"]["new"] == 6
    assert queue_depth(stack.sqs, stack.queues.url) == (0, 0)
    for number in range(3):
        assert len(stack.requests(f"/feeds/{number:02d}.xml")) == 1
    assert len(stack.objects()) == 6


def test_without_a_queue_the_schedule_ingests_inline_whatever_the_count(stack: Stack) -> None:
    stack.serve_feeds(21)
    stack.set_env(FEEDS_QUEUE_URL=None)

    summary = Container(INGEST_FUNCTION).invoke(scheduled_event())

    assert summary["feeds"]["fetched"] == 21
    assert queue_depth(stack.sqs, stack.queues.url) == (0, 0)


@pytest.mark.parametrize("count", [20, 25])
def test_at_or_above_the_threshold_one_message_per_due_feed(stack: Stack, count: int) -> None:
    stack.serve_feeds(count)
    stack.set_env(INLINE_FEEDS_BELOW="20")
    batches: list[int] = []
    real_client = newswire.bootstrap.aws_client

    def recording_client(service: Any, settings: Any) -> Any:
        client = real_client(service, settings)

        def record(params: dict[str, Any], **_: Any) -> None:
            batches.append(len(params["Entries"]))

        client.meta.events.register("provide-client-params.sqs.SendMessageBatch", record)
        return client

    stack.monkeypatch.setattr(newswire.bootstrap, "aws_client", recording_client)

    summary = Container(INGEST_FUNCTION).invoke(scheduled_event())

    assert summary["mode"] == "queued"
    assert summary["feeds"] == {"dispatched": count, "waiting": 0, "already_queued": 0}
    assert batches == [10] * (count // 10) + ([count % 10] if count % 10 else [])
    messages = stack.receive_all()
    assert len(messages) == count
    sent = sorted(
        (feed_from_mapping(json.loads(m["Body"]), where="message") for m in messages),
        key=lambda f: f.name,
    )
    assert tuple(sent) == stack.feeds()  # each message is its feed's whole configuration
    assert stack.server.requests == []  # nothing fetched by the dispatcher
    assert stack.objects() == []


def test_feeds_backing_off_are_neither_dispatched_nor_counted(stack: Stack) -> None:
    stack.serve_feeds(22)
    now = datetime.now(UTC)
    for name, not_before in (
        ("feed-03", now + timedelta(hours=1)),
        ("feed-04", now - timedelta(minutes=1)),
    ):
        stack.index.save_feed_state(
            FeedState(
                feed_id=name,
                url=stack.server.url(f"/feeds/{name[-2:]}.xml"),
                last_status="error: HTTP 503",
                consecutive_errors=3,
                not_before=not_before,
            )
        )

    summary = Container(INGEST_FUNCTION).invoke(scheduled_event())

    assert summary["feeds"] == {"dispatched": 21, "waiting": 1, "already_queued": 0}
    names = {json.loads(m["Body"])["name"] for m in stack.receive_all()}
    assert names == {f"feed-{n:02d}" for n in range(22)} - {"feed-03"}


def test_the_threshold_counts_due_feeds_only(stack: Stack) -> None:
    stack.serve_feeds(20)
    stack.index.save_feed_state(
        FeedState(
            feed_id="feed-07",
            url=stack.server.url("/feeds/07.xml"),
            consecutive_errors=3,
            not_before=datetime.now(UTC) + timedelta(hours=1),
        )
    )

    summary = Container(INGEST_FUNCTION).invoke(scheduled_event())  # 19 due < 20: inline

    assert summary["feeds"] == {"fetched": 19, "not_modified": 0, "failed": 0, "skipped": 1}
    assert stack.requests("/feeds/07.xml") == []
    assert queue_depth(stack.sqs, stack.queues.url) == (0, 0)


# --- the worker ----------------------------------------------------------------------------


def serve_fixture_feeds(stack: Stack) -> list[FeedConfig]:
    urls = {
        "gazette": stack.server.serve_file("/gazette.xml", DATA / "rss-basic.xml", RSS),
        "field-notes": stack.server.serve_file(
            "/notes.atom", DATA / "atom-blog.xml", "application/atom+xml"
        ),
        "world": stack.server.serve_file("/world.xml", DATA / "google-news-world.xml", RSS),
    }
    specs = [{"name": name, "url": url, "section": "news"} for name, url in urls.items()]
    stack.configure(specs)
    return [feed_from_mapping(spec, where="test") for spec in specs]


@pytest.mark.parametrize("failure", ["http-500", "not-a-feed", "not-json"])
def test_the_worker_ingests_a_batch_and_returns_only_the_failed_message(
    stack: Stack, failure: str
) -> None:
    good = serve_fixture_feeds(stack)
    if failure == "http-500":
        bad = feed_message(
            feed_from_mapping({"name": "bad", "url": failing_path(stack, "/bad.xml")}, where="t")
        )
    elif failure == "not-a-feed":
        url = stack.server.serve("/bad.xml", HTML_PAGE, "text/html; charset=utf-8")
        bad = feed_message(feed_from_mapping({"name": "bad", "url": url}, where="t"))
    else:
        bad = "this is not JSON"
    stack.send(feed_message(good[0]), bad, *(feed_message(f) for f in good[1:]))
    messages = stack.receive_all()
    assert len(messages) == 4
    (bad_id,) = [m["MessageId"] for m in messages if m["Body"] == bad]

    response = Container(WORKER_FUNCTION).invoke(sqs_event(messages, stack.queues.arn))

    assert response == {"batchItemFailures": [{"itemIdentifier": bad_id}]}
    assert len(stack.objects()) == 8  # 3 + 2 + 3 articles
    # The workers wrote the section's Hugo `_index.md` once.
    assert stack.section_indexes() == ["content/news/_index.md"]
    states = stack.states()
    assert {states[f.feed_id].last_status for f in good} == {"ok"}
    if failure == "not-json":
        assert "bad" not in states
    else:
        assert states["bad"].consecutive_errors == 1
        assert states["bad"].last_status.startswith("error: ")
        assert len(stack.requests("/bad.xml")) == 1
    for feed in good:
        assert len(stack.requests(urlsplit(feed.url).path)) == 1


def test_a_batch_whose_every_message_fails_returns_every_message(stack: Stack) -> None:
    url = stack.server.serve("/bad.xml", HTML_PAGE, "text/html")
    bodies = [
        feed_message(feed_from_mapping({"name": f"bad-{n}", "url": url}, where="t"))
        for n in range(2)
    ]
    stack.send(*bodies)
    messages = stack.receive_all()

    # A normal return (not an error: the Errors alarm is for crashes), every message retried.
    response = Container(WORKER_FUNCTION).invoke(sqs_event(messages, stack.queues.arn))

    assert sorted(f["itemIdentifier"] for f in response["batchItemFailures"]) == sorted(
        m["MessageId"] for m in messages
    )


def test_a_poison_feed_lands_in_the_dlq_after_three_receives_and_nothing_else_does(
    stack: Stack,
) -> None:
    good = serve_fixture_feeds(stack)
    url = stack.server.serve("/poison.xml", HTML_PAGE, "text/html")
    poison = feed_message(feed_from_mapping({"name": "poison", "url": url}, where="t"))
    stack.send(*(feed_message(f) for f in good), poison)

    stats = drain(stack.sqs, stack.queues, [Container(WORKER_FUNCTION)], deadline_seconds=60)

    assert stats.receives_of("poison") == MAX_RECEIVES
    assert stats.statuses_of("poison") == ["failed"] * MAX_RECEIVES
    assert len(stack.requests("/poison.xml")) == MAX_RECEIVES
    for feed in good:
        assert stats.receives_of(feed.name) == 1
        assert stats.statuses_of(feed.name) == ["fetched"]
        assert len(stack.requests(urlsplit(feed.url).path)) == 1
    assert queue_depth(stack.sqs, stack.queues.url) == (0, 0)
    dead = drain_queue(stack.sqs, stack.queues.dlq_url)
    assert [m["Body"] for m in dead] == [poison]
    assert len(stack.objects()) == 8


def test_the_worker_reads_the_feeds_config_once_per_invocation(stack: Stack) -> None:
    good = serve_fixture_feeds(stack)
    stack.s3.put_object(
        Bucket=stack.bucket, Key="config/feeds.yaml", Body=stack.feeds_file.read_bytes()
    )
    stack.set_env(FEEDS_CONFIG_KEY="config/feeds.yaml", FEEDS_CONFIG=None)
    reads: list[str] = []
    real_client = newswire.bootstrap.aws_client

    def recording_client(service: Any, settings: Any) -> Any:
        client = real_client(service, settings)

        def record(params: dict[str, Any], **_: Any) -> None:
            reads.append(params["Key"])

        client.meta.events.register("provide-client-params.s3.GetObject", record)
        return client

    stack.monkeypatch.setattr(newswire.bootstrap, "aws_client", recording_client)
    stack.send(*(feed_message(f) for f in good))
    messages = stack.receive_all()

    response = Container(WORKER_FUNCTION).invoke(sqs_event(messages, stack.queues.arn))

    assert response == {"batchItemFailures": []}
    assert reads.count("config/feeds.yaml") <= 1


# --- the worker's site update --------------------------------------------------------------

SITE_URL = "https://d111111abcdef8.cloudfront.net/"


def site_pages(stack: Stack) -> list[str]:
    """The site's objects in the bucket: everything but the Markdown (and the feeds file)."""
    return [
        key
        for key in stack.objects()
        if not key.startswith("content/") and key != "config/feeds.yaml"
    ]


def recording_puts(stack: Stack) -> list[str]:
    """The keys of every PutObject sent by the AWS clients built from now on."""
    puts: list[str] = []
    real_client = newswire.bootstrap.aws_client

    def recording_client(service: Any, settings: Any) -> Any:
        client = real_client(service, settings)

        def record(params: dict[str, Any], **_: Any) -> None:
            puts.append(params["Key"])

        client.meta.events.register("provide-client-params.s3.PutObject", record)
        return client

    stack.monkeypatch.setattr(newswire.bootstrap, "aws_client", recording_client)
    return puts


def test_the_worker_updates_the_site_after_its_batch(stack: Stack) -> None:
    good = serve_fixture_feeds(stack)
    stack.set_env(SITE_URL=SITE_URL)
    stack.send(*(feed_message(f) for f in good))
    messages = stack.receive_all()

    response = Container(WORKER_FUNCTION).invoke(sqs_event(messages, stack.queues.arn))

    assert response == {"batchItemFailures": []}
    records = stack.index.latest(limit=50)
    assert len(records) == 8  # 3 + 2 + 3 articles
    pages = set(site_pages(stack))
    assert "index.html" in pages
    home = stack.s3.get_object(Bucket=stack.bucket, Key="index.html")["Body"].read().decode()
    assert f'<link rel="canonical" href="{SITE_URL}">' in home
    for record in records:
        path = article_path(record)
        assert page_key(path) in pages, path
        assert f'href="{path}"' in home, path


def test_a_worker_batch_that_changed_nothing_writes_no_page(stack: Stack) -> None:
    good = serve_fixture_feeds(stack)
    stack.set_env(SITE_URL=SITE_URL)
    stack.send(*(feed_message(f) for f in good))
    first = Container(WORKER_FUNCTION).invoke(sqs_event(stack.receive_all(), stack.queues.arn))
    assert first == {"batchItemFailures": []}
    built = site_pages(stack)
    assert "index.html" in built
    puts = recording_puts(stack)  # a new container builds its clients with the recorder

    stack.send(*(feed_message(f) for f in good))
    again = Container(WORKER_FUNCTION).invoke(sqs_event(stack.receive_all(), stack.queues.arn))

    assert again == {"batchItemFailures": []}
    for feed in good:  # each fetched again, and nothing new (a conditional GET answered 304)
        assert [r.status for r in stack.requests(urlsplit(feed.url).path)] == [200, 304]
    assert puts == []
    assert site_pages(stack) == built


# --- overlap -------------------------------------------------------------------------------


def test_two_schedules_at_once_fetch_each_feed_once(stack: Stack) -> None:
    good = serve_fixture_feeds(stack)
    stack.set_env(FEEDS_QUEUE_URL=None)  # inline: both runs ingest the same three feeds
    slow_origin(stack, 0.5)
    first, second = Container(INGEST_FUNCTION).warm(), Container(INGEST_FUNCTION).warm()

    summaries = at_once(
        lambda: first.invoke(scheduled_event()), lambda: second.invoke(scheduled_event())
    )

    for feed in good:
        (request,) = stack.requests(urlsplit(feed.url).path)
        assert request.status == 200
    fetched = [s["feeds"]["fetched"] for s in summaries]
    skipped = [s["feeds"]["skipped"] for s in summaries]
    assert sum(fetched) == 3 and sum(skipped) == 3, summaries
    assert sum(s["articles"]["new"] for s in summaries) == 8
    assert len(stack.objects()) == 8
    assert all(stack.lease_fields(f.feed_id) == {} for f in good)  # every lease released


def test_two_dispatches_at_once_queue_each_feed_once(stack: Stack) -> None:
    good = serve_fixture_feeds(stack)
    stack.set_env(INLINE_FEEDS_BELOW="1")
    dispatchers = Container(INGEST_FUNCTION).warm(), Container(INGEST_FUNCTION).warm()

    summaries = at_once(*(lambda d=d: d.invoke(scheduled_event()) for d in dispatchers))

    # Each feed is marked queued by one of them (a conditional write): one message per feed.
    dispatched = [s["feeds"]["dispatched"] for s in summaries]
    assert sum(dispatched) == 3, summaries
    assert sum(s["feeds"]["already_queued"] for s in summaries) == 3, summaries
    slow_origin(stack, 0.3)
    workers = [Container(WORKER_FUNCTION), Container(WORKER_FUNCTION)]
    stats = drain(stack.sqs, stack.queues, workers, batch_size=1, deadline_seconds=60)

    for feed in good:
        assert stats.receives_of(feed.name) == 1
        assert stats.statuses_of(feed.name) == ["fetched"]
        answers = [r.status for r in stack.requests(urlsplit(feed.url).path)]
        assert answers == [200], answers
    assert stats.released == 0
    assert len(stack.objects()) == 8
    assert drain_queue(stack.sqs, stack.queues.dlq_url) == []


def queued_until(stack: Stack, feed_id: str) -> str | None:
    item = stack.dynamodb.get_item(TableName=stack.table, Key={"pk": {"S": f"F#{feed_id}"}})
    value = item.get("Item", {}).get("queued_until")
    return None if value is None else value["S"]


def test_a_feed_whose_message_waits_is_not_queued_again_until_a_worker_handles_it(
    stack: Stack,
) -> None:
    good = serve_fixture_feeds(stack)
    stack.set_env(INLINE_FEEDS_BELOW="1")
    dispatcher = Container(INGEST_FUNCTION).warm()

    first = dispatcher.invoke(scheduled_event())
    second = dispatcher.invoke(scheduled_event())  # the workers have not run yet

    assert first["feeds"] == {"dispatched": 3, "waiting": 0, "already_queued": 0}
    assert second["feeds"] == {"dispatched": 0, "waiting": 0, "already_queued": 3}
    assert all(queued_until(stack, f.feed_id) for f in good)
    stats = drain(stack.sqs, stack.queues, [Container(WORKER_FUNCTION)], batch_size=3)
    assert sorted(stats.statuses_of(f.name)[0] for f in good) == ["fetched"] * 3
    # The worker's saved state clears the mark: the next period queues the feeds again.
    assert [queued_until(stack, f.feed_id) for f in good] == [None] * 3
    third = dispatcher.invoke(scheduled_event())
    assert third["feeds"] == {"dispatched": 3, "waiting": 0, "already_queued": 0}


def test_a_lost_message_holds_its_feed_back_for_queued_for_at_most(stack: Stack) -> None:
    from newswire.dispatch import QUEUED_FOR

    good = serve_fixture_feeds(stack)
    stack.set_env(INLINE_FEEDS_BELOW="1")
    dispatcher = Container(INGEST_FUNCTION).warm()
    assert dispatcher.invoke(scheduled_event())["feeds"]["dispatched"] == 3
    assert len(stack.receive_all()) == 3  # taken off the queue and never handled: lost
    marked = queued_until(stack, good[0].feed_id)
    assert marked is not None
    mark = datetime.fromisoformat(marked.replace("Z", "+00:00"))
    assert timedelta(0) < mark - datetime.now(UTC) <= QUEUED_FOR

    assert dispatcher.invoke(scheduled_event())["feeds"]["dispatched"] == 0
    past = (datetime.now(UTC) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    stack.dynamodb.update_item(
        TableName=stack.table,
        Key={"pk": {"S": f"F#{good[0].feed_id}"}},
        UpdateExpression="SET queued_until = :u",
        ExpressionAttributeValues={":u": {"S": past}},
    )
    again = dispatcher.invoke(scheduled_event())
    assert again["feeds"] == {"dispatched": 1, "waiting": 0, "already_queued": 2}
    (message,) = stack.receive_all()
    assert json.loads(message["Body"])["name"] == good[0].name


def test_a_failed_send_leaves_no_feed_marked(stack: Stack) -> None:
    good = serve_fixture_feeds(stack)
    stack.set_env(INLINE_FEEDS_BELOW="1")
    from newswire.ports import StorageError

    def refuse(self: SqsFeedQueue, bodies: Any) -> None:
        raise StorageError("SQS refused 3 message(s) after retries")

    stack.monkeypatch.setattr(SqsFeedQueue, "send", refuse)
    with pytest.raises(StorageError):
        Container(INGEST_FUNCTION).invoke(scheduled_event())
    assert [queued_until(stack, f.feed_id) for f in good] == [None] * 3


def test_the_same_message_twice_at_once_one_ingests_the_other_skips(stack: Stack) -> None:
    (feed, *_) = serve_fixture_feeds(stack)
    stack.send(feed_message(feed))
    messages = stack.receive_all()
    event = sqs_event(messages, stack.queues.arn)
    slow_origin(stack, 0.5)
    first, second = Container(WORKER_FUNCTION).warm(), Container(WORKER_FUNCTION).warm()

    responses = at_once(lambda: first.invoke(event), lambda: second.invoke(event))

    assert responses == [{"batchItemFailures": []}] * 2  # a skipped feed is not a failure
    outcomes = sorted(d.status for d in first.deliveries + second.deliveries)
    assert outcomes == ["fetched", "skipped"]
    assert len(stack.requests(urlsplit(feed.url).path)) == 1
    assert len(stack.objects()) == 3
    assert stack.lease_fields(feed.feed_id) == {}


def test_a_feed_listed_twice_in_one_event_is_fetched_once(stack: Stack) -> None:
    (feed, *_) = serve_fixture_feeds(stack)
    stack.configure([{"name": feed.name, "url": feed.url}])
    stack.set_env(FEEDS_QUEUE_URL=None)
    slow_origin(stack, 0.5)

    Container(INGEST_FUNCTION).invoke(scheduled_event({"feeds": [feed.url, feed.url]}))

    assert len(stack.requests(urlsplit(feed.url).path)) == 1


# --- redrive -------------------------------------------------------------------------------


def dead_letter(stack: Stack, name: str, path: str) -> str:
    """Send a message for a feed whose URL returns an HTML page, and drain until it is
    dead-lettered. Returns its body."""
    url = stack.server.serve(path, HTML_PAGE, "text/html")
    body = feed_message(feed_from_mapping({"name": name, "url": url}, where="t"))
    stack.send(body)
    drain(stack.sqs, stack.queues, [Container(WORKER_FUNCTION)], deadline_seconds=60)
    return body


def test_redrive_moves_every_dead_letter_back_to_the_queue(stack: Stack) -> None:
    bodies = {dead_letter(stack, f"dead-{n}", f"/dead-{n}.xml") for n in range(3)}
    assert queue_depth(stack.sqs, stack.queues.dlq_url) == (3, 0)

    moved = SqsFeedQueue(stack.sqs, stack.queues.url).redrive(stack.queues.dlq_url)

    assert moved == 3
    assert queue_depth(stack.sqs, stack.queues.dlq_url) == (0, 0)
    assert {m["Body"] for m in stack.receive_all()} == bodies


def test_after_the_operator_fixes_a_feed_redrive_gets_it_ingested(stack: Stack) -> None:
    body = dead_letter(stack, "fixed-later", "/fixed-later.xml")
    stack.server.serve_file("/fixed-later.xml", DATA / "rss-basic.xml", RSS)  # the fix

    assert SqsFeedQueue(stack.sqs, stack.queues.url).redrive(stack.queues.dlq_url) == 1
    stats = drain(stack.sqs, stack.queues, [Container(WORKER_FUNCTION)], deadline_seconds=60)

    assert list(stats.feed_by_message.values()) == [json.loads(body)["name"]]
    assert stats.statuses_of("fixed-later") == ["fetched"]
    assert len(stack.objects()) == 3


@pytest.mark.e2e
def test_newswire_redrive_against_moto_server(
    tmp_path: Path, moto_server: MotoServer, aws_env: None
) -> None:
    sqs: SQSClient = moto_server.client("sqs")
    queues = create_feed_queues(sqs, f"newswire-e2e-{uuid.uuid4().hex[:6]}")
    bodies = [json.dumps({"name": f"dead-{n}", "url": f"http://{LOOPBACK}/{n}"}) for n in range(2)]
    SqsFeedQueue(sqs, queues.url).send(bodies)
    # Three failed receives each (visibility back to 0); the fourth receive dead-letters them.
    for _ in range(MAX_RECEIVES):
        received = sqs.receive_message(QueueUrl=queues.url, MaxNumberOfMessages=10)["Messages"]
        assert len(received) == 2
        for message in received:
            sqs.change_message_visibility(
                QueueUrl=queues.url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=0
            )
    assert sqs.receive_message(QueueUrl=queues.url, MaxNumberOfMessages=10).get("Messages") is None
    assert queue_depth(sqs, queues.dlq_url) == (2, 0)

    done = run_newswire(
        "redrive",
        "--queue-url", queues.url,
        "--dlq-url", queues.dlq_url,
        "--endpoint-url", moto_server.endpoint_url,
        "--region", REGION,
        cwd=tmp_path,
    )  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == (
        "moved 2 message(s) from the dead-letter queue back to the feed queue"
    )
    assert queue_depth(sqs, queues.dlq_url) == (0, 0)
    assert sorted(m["Body"] for m in drain_queue(sqs, queues.url)) == sorted(bodies)
