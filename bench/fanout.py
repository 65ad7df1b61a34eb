"""Fan-out load test (issue 5): feeds dispatched to SQS, drained by concurrent worker invocations.

`python -m bench.fanout [--feeds 1000] [--workers 8]` serves N small feeds (plus one poison feed
whose URL answers HTTP 500) from a loopback HTTP server, runs the ingest function once (with
FEEDS_QUEUE_URL set it sends one SQS message per due feed), then lets W threads drain the queue
the way Lambda's SQS poller does: receive a batch of up to 10, invoke the worker function with it
as an SQS event, delete the messages it did not report in `batchItemFailures`, release the ones it
did (visibility 0, for a prompt redelivery). It prints, and `run_load_test` returns, what happened:
every good feed fetched and ingested exactly once, the poison feed received 3 times and then in
the dead-letter queue, nothing else there, and the throughput.

Real parts only: S3, DynamoDB (the table from template.yaml's IndexTable) and SQS (a queue with a
RedrivePolicy, maxReceiveCount 3, to a DLQ) on moto, feeds over real HTTP on 127.0.0.1, the two
Lambda handlers as they ship (functions/*/app.py, Powertools and all).

Why moto in-process (`mock_aws`) and not its ThreadedMotoServer: mock_aws hooks botocore for the
whole process (a `before-send` handler every client gets), so clients created in worker threads
reach the same in-memory backends with no HTTP round trip to moto: the figures measure newswire
and moto's backends, not a werkzeug server sharing the same GIL. Either way moto's backends are
plain Python objects without locks, while every SQS and DynamoDB request is atomic on AWS (a
receive never hands one message to two callers; a conditional write is checked and applied as
one step). `atomic_moto_requests` restores that by running each moto request alone; without it,
two threads could both receive one message, or both win one lease, because of moto.

Each worker thread plays one Lambda execution environment ("container"): its own copy of the
handler module (so its own Powertools BatchProcessor and metric set: those are per-process
globals that Lambda never shares between concurrent invocations) and its own Ingestor, with its
own lease owner (newswire.service caches one Ingestor per process; `one_ingestor_per_container`
makes that one per container for the duration).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import hashlib
import importlib.util
import itertools
import json
import os
import socket
import sys
import tempfile
import threading
import time
import uuid
import warnings
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from tooling.awsenv import FAKE_CREDENTIALS, REGION
from tooling.awsenv import UNSAFE_VARIABLES as AWS_UNSAFE_VARIABLES

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

    from newswire.bootstrap import Settings
    from newswire.ingest import Ingestor
    from newswire.models import FeedResult

ROOT = Path(__file__).resolve().parent.parent
INGEST_FUNCTION = ROOT / "functions" / "ingest" / "app.py"
WORKER_FUNCTION = ROOT / "functions" / "worker" / "app.py"
TEMPLATE = ROOT / "template.yaml"
SCHEDULED_EVENT = ROOT / "events" / "scheduled.json"
LOOPBACK = "127.0.0.1"
ACCOUNT = "123456789012"
MAX_RECEIVES = 3  # template.yaml's FeedsQueue RedrivePolicy (a test keeps the two equal)
SQS_BATCH = 10
POISON_PATH = "/poison/feed.xml"
# The handlers' own config variable too: the load test sets its own feeds file.
UNSAFE_VARIABLES = (*AWS_UNSAFE_VARIABLES, "FEEDS_CONFIG_KEY")


# --- the feeds' origin ---------------------------------------------------------------------


@dataclass(frozen=True)
class Page:
    status: int
    content_type: str
    body: bytes

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HTTPServer

    def do_GET(self) -> None:
        origin = self.server.origin
        path = urlsplit(self.path).path
        if origin.delay:
            time.sleep(origin.delay)
        page = origin.pages.get(path, Page(404, "text/plain", b"no such feed\n"))
        status = page.status
        if status == 200 and self.headers.get("If-None-Match") == page.etag:
            status = 304
        origin.count(path, status)
        self.send_response(status)
        if page.status == 200:
            self.send_header("ETag", page.etag)
        body = b"" if status == 304 else page.body
        if status != 304:
            self.send_header("Content-Type", page.content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the origin counts requests itself."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default backlog (5) drops SYNs when many workers connect

    def __init__(self, origin: FeedOrigin) -> None:
        self.origin = origin
        super().__init__((LOOPBACK, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):  # a client closing keep-alive
            super().handle_error(request, client_address)


class FeedOrigin:
    """Pages by path on 127.0.0.1; counts every request by path and by (path, status)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.pages: dict[str, Page] = {}
        self.delay = delay
        self.requests: Counter[str] = Counter()
        self.statuses: Counter[tuple[str, int]] = Counter()
        self._lock = threading.Lock()
        self._httpd = _HTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="feed-origin", daemon=True
        )

    def __enter__(self) -> FeedOrigin:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self._httpd.server_address[1]}{path}"

    def serve(self, path: str, page: Page) -> str:
        self.pages[path] = page
        return self.url(path)

    def count(self, path: str, status: int) -> None:
        with self._lock:
            self.requests[path] += 1
            self.statuses[(path, status)] += 1


def small_feed(number: int, items: int) -> bytes:
    """RSS 2.0 with `items` items. Every feed's first item has the same title, so that workers
    race for the same slug (`weather-update`) in the same section and month."""
    published = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    entries = []
    for item in range(items):
        title = "Weather update" if item == 0 else f"Feed {number} story {item}: harbour news"
        when = published + timedelta(minutes=number % 600, seconds=item)
        entries.append(
            f"<item><title>{escape(title)}</title>"
            f"<link>https://load.example.org/{number}/{item}</link>"
            f'<guid isPermaLink="false">load-{number}-{item}</guid>'
            f"<pubDate>{format_datetime(when)}</pubDate>"
            f"<description>Story {item} of feed {number}, told in a sentence.</description>"
            "</item>"
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        f"<title>Load feed {number}</title><link>https://load.example.org/{number}/</link>"
        f"<description>Feed {number} of the load test</description>{''.join(entries)}"
        "</channel></rss>\n"
    ).encode()


RSS = "application/rss+xml; charset=utf-8"


# --- AWS on moto ---------------------------------------------------------------------------

_moto_lock = threading.RLock()


@contextlib.contextmanager
def atomic_moto_requests() -> Iterator[None]:
    """While active, each request to in-process moto (mock_aws) runs alone, as each API call
    is atomic on AWS. Keep long polls out (WaitTimeSeconds > 0 holds the lock that long)."""
    from moto.core.botocore_stubber import BotocoreStubber

    original = BotocoreStubber.__call__

    def atomic(self: BotocoreStubber, event_name: str, request: Any, **kwargs: Any) -> Any:
        with _moto_lock:
            return original(self, event_name, request, **kwargs)

    BotocoreStubber.__call__ = atomic  # type: ignore[method-assign]
    try:
        yield
    finally:
        BotocoreStubber.__call__ = original  # type: ignore[method-assign]


@contextlib.contextmanager
def linear_moto() -> Iterator[None]:
    """Two of moto's internals cost O(everything stored) per request, which makes a 1,000-feed
    run quadratic in moto rather than in newswire; same answers, without that cost:

    - TransactWriteItems snapshots every table it touches with copy.deepcopy (to roll back if
      a condition fails). A transaction of only Put, Delete and ConditionCheck (newswire's are
      Put + Put) replaces or removes items and never mutates one, so a copy of the table's item
      dict rolls it back exactly; a transaction with an Update keeps moto's deep copy.
    - ReceiveMessage checks each message's retention through GetQueueAttributes, which counts
      every message of the queue; the retention period is read from the queue instead.

    Use with atomic_moto_requests: the class attribute set here must not leak to other threads.
    """
    from collections import defaultdict

    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table
    from moto.sqs.models import Message, SQSBackend

    original = DynamoDBBackend.transact_write_items
    original_retention = SQSBackend.is_message_valid_based_on_retention_period

    def retained(self: SQSBackend, queue_name: str, message: Message) -> bool:
        # moto sets queue attributes with setattr: not declared on its Queue class
        period = int(getattr(self.get_queue(queue_name), "message_retention_period", 345_600))
        return bool(period + (message.sent_timestamp or 0) / 1000 > time.time())

    def snapshot(table: Table, memo: dict[int, Any]) -> Table:
        copied = copy.copy(table)
        copied.items = defaultdict(
            dict, {k: dict(v) if isinstance(v, dict) else v for k, v in table.items.items()}
        )
        return copied

    def transact(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        if any("Update" in item for item in transact_items):
            original(self, transact_items)
            return
        Table.__deepcopy__ = snapshot  # type: ignore[attr-defined]
        try:
            original(self, transact_items)
        finally:
            del Table.__deepcopy__  # type: ignore[attr-defined]

    DynamoDBBackend.transact_write_items = transact  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = retained  # type: ignore[method-assign]
    try:
        yield
    finally:
        DynamoDBBackend.transact_write_items = original  # type: ignore[method-assign]
        SQSBackend.is_message_valid_based_on_retention_period = original_retention  # type: ignore[method-assign]


@dataclass(frozen=True)
class FeedQueues:
    url: str
    arn: str
    dlq_url: str
    dlq_arn: str


def queue_properties() -> tuple[dict[str, Any], dict[str, Any]]:
    """The feed queue's and its DLQ's properties, from template.yaml."""
    from tooling.cfn import load_template

    resources = load_template(TEMPLATE)["Resources"]
    return resources["FeedsQueue"]["Properties"], resources["FeedsDeadLetterQueue"]["Properties"]


def create_feed_queues(
    sqs: SQSClient, prefix: str = "newswire-feeds", *, visibility_timeout: int = 900
) -> FeedQueues:
    """The feed queue and its dead-letter queue as template.yaml declares them (retention,
    RedrivePolicy), with a visibility timeout long enough for any invocation here."""
    queue, dead_letters = queue_properties()
    suffix = uuid.uuid4().hex[:8]
    dlq_url = sqs.create_queue(
        QueueName=f"{prefix}-dlq-{suffix}",
        Attributes={"MessageRetentionPeriod": str(dead_letters["MessageRetentionPeriod"])},
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    redrive = {
        "deadLetterTargetArn": dlq_arn,
        "maxReceiveCount": str(queue["RedrivePolicy"]["maxReceiveCount"]),
    }
    url = sqs.create_queue(
        QueueName=f"{prefix}-{suffix}",
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "MessageRetentionPeriod": str(queue["MessageRetentionPeriod"]),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    return FeedQueues(url=url, arn=arn, dlq_url=dlq_url, dlq_arn=dlq_arn)


def queue_depth(sqs: SQSClient, url: str) -> tuple[int, int]:
    """(visible, in flight) messages of a queue."""
    attributes = sqs.get_queue_attributes(
        QueueUrl=url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return (
        int(attributes["ApproximateNumberOfMessages"]),
        int(attributes["ApproximateNumberOfMessagesNotVisible"]),
    )


def drain_queue(sqs: SQSClient, url: str) -> list[dict[str, Any]]:
    """Receive (and delete) every message of a queue: for looking at a DLQ's contents."""
    found: list[dict[str, Any]] = []
    while True:
        messages = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=SQS_BATCH,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["All"],
        ).get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(dict(message))
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])


def create_index_table(client: Any, name: str) -> None:
    """The index table, from the one place its schema is declared: template.yaml."""
    from tooling.cfn import create_index_table as create_table_from_template

    create_table_from_template(client, name)


# --- Lambda, as the service runs it --------------------------------------------------------


@dataclass
class FakeLambdaContext:
    function_name: str = "newswire-WorkerFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:newswire-Worker"
    memory_limit_in_mb: int = 512
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    log_group_name: str = "/aws/lambda/newswire-WorkerFunction"
    log_stream_name: str = "2026/01/06/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 900_000


def scheduled_event(detail: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """events/scheduled.json, the EventBridge schedule's event (optionally another detail)."""
    event: dict[str, Any] = json.loads(SCHEDULED_EVENT.read_text(encoding="utf-8"))
    if detail is not None:
        event["detail"] = dict(detail)
    return event


def sqs_event(messages: Sequence[Mapping[str, Any]], queue_arn: str) -> dict[str, Any]:
    """The event Lambda's SQS poller builds from messages received with all attributes."""
    records = []
    for message in messages:
        attributes = message.get("Attributes", {})
        records.append(
            {
                "messageId": message["MessageId"],
                "receiptHandle": message["ReceiptHandle"],
                "body": message["Body"],
                "attributes": {
                    name: attributes[name]
                    for name in (
                        "ApproximateReceiveCount",
                        "SentTimestamp",
                        "SenderId",
                        "ApproximateFirstReceiveTimestamp",
                    )
                    if name in attributes
                },
                "messageAttributes": {},
                "md5OfBody": message["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": queue_arn,
                "awsRegion": REGION,
            }
        )
    return {"Records": records}


_load_lock = threading.Lock()
_container_ids = itertools.count(1)
_scope = threading.local()


def load_function(path: Path, module_name: str) -> ModuleType:
    """A fresh copy of a function's handler module, with a metric set of its own."""
    from aws_lambda_powertools.metrics import Metrics

    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with _load_lock:
        # Powertools keeps metrics in class attributes shared by every Metrics() of a process;
        # each container gets its own, as each Lambda execution environment has.
        saved = (Metrics._metrics, Metrics._dimensions, Metrics._metadata)
        Metrics._metrics, Metrics._dimensions, Metrics._metadata = {}, {}, {}
        try:
            spec.loader.exec_module(module)
        finally:
            Metrics._metrics, Metrics._dimensions, Metrics._metadata = saved
    return module


@dataclass(frozen=True)
class Delivery:
    """One message as a worker saw it: the feed and what became of it."""

    container: str
    feed: str
    status: str
    """fetched | not_modified | skipped | failed"""
    error: str | None = None


class Container:
    """One execution environment of a Lambda function, played by the thread that invokes it.

    Invocations of one container never overlap (as on Lambda); use one container per thread.
    """

    def __init__(self, function: Path) -> None:
        number = next(_container_ids)
        self.name = f"{function.parent.name}-{number}"
        module = load_function(function, f"newswire_{function.parent.name}_{number}")
        self.module: Any = cast(Any, module)
        self.context = FakeLambdaContext(function_name=f"newswire-{function.parent.name}")
        self.ingestors: dict[Settings, Ingestor] = {}
        self.deliveries: list[Delivery] = []
        ingest = getattr(self.module, "ingest_message", None)
        if ingest is not None:  # the worker: record what became of each message
            self.module.ingest_message = self._recording(ingest)

    def _recording(self, ingest: Callable[..., FeedResult]) -> Callable[..., FeedResult]:
        def ingest_message(body: str, **kwargs: Any) -> FeedResult:
            feed = feed_of(body)
            try:
                result = ingest(body, **kwargs)
            except Exception as exc:
                self.deliveries.append(Delivery(self.name, feed, "failed", str(exc)))
                raise
            self.deliveries.append(Delivery(self.name, feed, result.status.value, result.error))
            return result

        return ingest_message

    def ingestor(self, settings: Settings) -> Ingestor:
        from newswire.bootstrap import build_ingestor

        if settings not in self.ingestors:
            self.ingestors[settings] = build_ingestor(settings)
        return self.ingestors[settings]

    def warm(self) -> Container:
        """Build what a first invocation builds (the Ingestor: its clients and HTTP session),
        so that containers invoked together start their real work together."""
        import newswire.service as service

        settings, _ = service._lambda_settings(os.environ)
        self.ingestor(settings)
        return self

    def invoke(self, event: Mapping[str, Any]) -> Any:
        previous = getattr(_scope, "container", None)
        _scope.container = self
        try:
            return self.module.lambda_handler(dict(event), self.context)
        finally:
            _scope.container = previous


def feed_of(body: str) -> str:
    try:
        spec = json.loads(body)
    except ValueError:
        return "?"
    return str(spec.get("name", "?")) if isinstance(spec, dict) else "?"


@contextlib.contextmanager
def one_ingestor_per_container() -> Iterator[None]:
    """newswire.service keeps one Ingestor (one lease owner) per process, as a Lambda container
    does; while this is active, a thread invoking a Container gets that container's own."""
    import newswire.service as service

    original = service._ingestor

    def ingestor(settings: Settings) -> Ingestor:
        container: Container | None = getattr(_scope, "container", None)
        return container.ingestor(settings) if container is not None else original(settings)

    service._ingestor = ingestor  # type: ignore[assignment]
    try:
        yield
    finally:
        service._ingestor = original


# --- Lambda's SQS poller -------------------------------------------------------------------


@dataclass
class PollerStats:
    receive_calls: int = 0
    empty_receives: int = 0
    messages_received: int = 0
    invocations: int = 0
    whole_batch_failures: int = 0
    """Invocations that raised (every record failed): Lambda returns the whole batch."""
    deleted: int = 0
    released: int = 0
    receives_by_message: Counter[str] = field(default_factory=Counter)
    feed_by_message: dict[str, str] = field(default_factory=dict)
    deliveries: list[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def receives_of(self, feed: str) -> int:
        return sum(
            n for m, n in self.receives_by_message.items() if self.feed_by_message[m] == feed
        )

    def statuses_of(self, feed: str) -> list[str]:
        return [d.status for d in self.deliveries if d.feed == feed]


def poll_once(
    sqs: SQSClient,
    queues: FeedQueues,
    container: Container,
    stats: PollerStats,
    *,
    batch_size: int = SQS_BATCH,
) -> int:
    """One receive and, if it got messages, one invocation. Returns the number of messages."""
    messages = sqs.receive_message(
        QueueUrl=queues.url,
        MaxNumberOfMessages=batch_size,
        WaitTimeSeconds=0,
        MessageSystemAttributeNames=["All"],
    ).get("Messages", [])
    with stats.lock:
        stats.receive_calls += 1
        stats.empty_receives += not messages
        stats.messages_received += len(messages)
        for message in messages:
            stats.receives_by_message[message["MessageId"]] += 1
            stats.feed_by_message[message["MessageId"]] = feed_of(message["Body"])
    if not messages:
        return 0
    container.deliveries.clear()
    try:
        response = container.invoke(sqs_event(messages, queues.arn))
        failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        whole_batch = False
    except Exception:
        failed, whole_batch = {m["MessageId"] for m in messages}, True
    done = [m for m in messages if m["MessageId"] not in failed]
    again = [m for m in messages if m["MessageId"] in failed]
    if done:
        sqs.delete_message_batch(
            QueueUrl=queues.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)
            ],
        )
    if again:
        # Lambda leaves them invisible until the visibility timeout ends; 0 redelivers now.
        sqs.change_message_visibility_batch(
            QueueUrl=queues.url,
            Entries=[
                {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": 0}
                for i, m in enumerate(again)
            ],
        )
    with stats.lock:
        stats.invocations += 1
        stats.whole_batch_failures += whole_batch
        stats.deleted += len(done)
        stats.released += len(again)
        stats.deliveries.extend(container.deliveries)
    return len(messages)


def drain(
    sqs: SQSClient,
    queues: FeedQueues,
    containers: Sequence[Container],
    *,
    batch_size: int = SQS_BATCH,
    deadline_seconds: float = 900.0,
) -> PollerStats:
    """One poller thread per container, until the queue holds nothing visible or in flight."""
    stats = PollerStats()
    deadline = time.monotonic() + deadline_seconds
    errors: list[BaseException] = []
    start = threading.Barrier(len(containers))

    def poll(container: Container) -> None:
        try:
            start.wait()
            while time.monotonic() < deadline:
                if poll_once(sqs, queues, container, stats, batch_size=batch_size):
                    continue
                if queue_depth(sqs, queues.url) == (0, 0):
                    return
                time.sleep(0.02)
            raise TimeoutError(f"the queue was not drained in {deadline_seconds} s")
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=poll, args=(c,), name=f"poller-{c.name}") for c in containers
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return stats


# --- the load test -------------------------------------------------------------------------


@contextlib.contextmanager
def environment(values: Mapping[str, str]) -> Iterator[None]:
    """os.environ with `values`, moto's fake credentials, and nothing that leaves loopback."""
    saved = dict(os.environ)
    for name in UNSAFE_VARIABLES:
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.update({"NO_PROXY": f"{LOOPBACK},localhost", "no_proxy": f"{LOOPBACK},localhost"})
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.contextmanager
def preserved_logging(*names: str) -> Iterator[None]:
    """The handlers load_function's modules attach to these loggers are taken off again."""
    import logging

    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, list(lg.handlers), lg.propagate, lg.level) for lg in loggers]
    try:
        yield
    finally:
        for lg, handlers, propagate, level in saved:
            lg.handlers[:] = handlers
            lg.propagate = propagate
            lg.setLevel(level)


@contextlib.contextmanager
def counting_config_loads(tally: dict[str, float], *, once: bool = False) -> Iterator[None]:
    """How often, and how long, the functions read the feeds config (today: per message).
    With `once`, a what-if: the first read's result is reused (as a per-container cache of
    the config would), to show what the per-message reads cost."""
    import newswire.service as service

    original = service.load_lambda_config
    cache: list[Any] = []

    def load(*args: Any, **kwargs: Any) -> Any:
        if once and cache:
            return cache[0]
        started = time.perf_counter()
        try:
            config = original(*args, **kwargs)
        finally:
            with _load_lock:
                tally["loads"] = tally.get("loads", 0) + 1
                tally["seconds"] = tally.get("seconds", 0.0) + time.perf_counter() - started
        if once:
            cache.append(config)
        return config

    service.load_lambda_config = load
    try:
        yield
    finally:
        service.load_lambda_config = original


def run_load_test(
    feeds: int = 1000,
    *,
    workers: int = 8,
    items: int = 2,
    batch_size: int = SQS_BATCH,
    fetch_workers: int = 4,
    deadline_seconds: float = 900.0,
    quiet_stdout: bool = False,
    config_once: bool = False,
) -> dict[str, Any]:
    """Dispatch `feeds` good feeds and one poison feed to SQS on moto, drain the queue with
    `workers` concurrent containers, and return what happened (see the module docstring)."""
    import boto3
    from moto import mock_aws

    import newswire.service

    started = time.perf_counter()
    tally: dict[str, float] = {}
    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="fanout-")))
        origin = stack.enter_context(FeedOrigin())
        paths = {f"feed-{n:04d}": f"/feeds/{n:04d}.xml" for n in range(feeds)}
        for number, (_, path) in enumerate(paths.items()):
            origin.serve(path, Page(200, RSS, small_feed(number, items)))
        origin.serve(POISON_PATH, Page(500, "text/plain", b"internal error\n"))
        specs = [
            {"name": name, "url": origin.url(path), "section": "news"}
            for name, path in paths.items()
        ]
        specs.append({"name": "poison", "url": origin.url(POISON_PATH), "section": "news"})
        config = workdir / "feeds.yaml"
        config.write_text(json.dumps({"feeds": specs}), encoding="utf-8")  # JSON is YAML

        stack.enter_context(environment({}))
        stack.enter_context(mock_aws())
        stack.enter_context(atomic_moto_requests())
        stack.enter_context(linear_moto())
        s3, dynamodb = boto3.client("s3", REGION), boto3.client("dynamodb", REGION)
        sqs: SQSClient = boto3.client("sqs", REGION)
        bucket, table = f"newswire-load-{uuid.uuid4().hex[:8]}", "newswire-load-index"
        s3.create_bucket(Bucket=bucket)
        create_index_table(dynamodb, table)
        queues = create_feed_queues(sqs)
        stack.enter_context(
            environment(
                {
                    "CONTENT_BUCKET": bucket,
                    "INDEX_TABLE": table,
                    "FEEDS_CONFIG": str(config),
                    "FEEDS_QUEUE_URL": queues.url,
                    "INLINE_FEEDS_BELOW": "20",
                    "FETCH_WORKERS": str(fetch_workers),
                    "LEASE_SECONDS": "900",
                    "NEWSWIRE_ALLOW_HOSTS": LOOPBACK,
                    "POWERTOOLS_SERVICE_NAME": "newswire-load",
                    "POWERTOOLS_METRICS_NAMESPACE": "newswire",
                    "POWERTOOLS_TRACE_DISABLED": "1",
                    "POWERTOOLS_LOG_LEVEL": "ERROR",
                }
            )
        )
        if quiet_stdout:  # the functions print their metrics (EMF) and logs on stdout
            sink = stack.enter_context(open(os.devnull, "w"))
            stack.enter_context(contextlib.redirect_stdout(sink))
        stack.enter_context(preserved_logging("newswire", "newswire-load"))
        newswire.service._ingestor.cache_clear()
        stack.callback(newswire.service._ingestor.cache_clear)
        stack.enter_context(one_ingestor_per_container())
        stack.enter_context(counting_config_loads(tally, once=config_once))

        dispatcher = Container(INGEST_FUNCTION)
        pollers = [Container(WORKER_FUNCTION) for _ in range(workers)]
        setup_seconds = time.perf_counter() - started

        t0, cpu0 = time.perf_counter(), time.process_time()
        dispatched = dispatcher.invoke(scheduled_event())
        dispatch_seconds = time.perf_counter() - t0
        sent = sum(queue_depth(sqs, queues.url))
        t1 = time.perf_counter()
        stats = drain(
            sqs, queues, pollers, batch_size=batch_size, deadline_seconds=deadline_seconds
        )
        drain_seconds = time.perf_counter() - t1
        cpu_seconds = time.process_time() - cpu0

        dead = drain_queue(sqs, queues.dlq_url)
        articles, objects, states = _index_contents(s3, dynamodb, bucket, table)
        good = set(paths)
        fetched = Counter(d.feed for d in stats.deliveries if d.status == "fetched")
        fetches = {name: origin.requests[path] for name, path in paths.items()}
        poison_messages = [m for m, f in stats.feed_by_message.items() if f == "poison"]
        duplicate_fetches = sum(n - 1 for n in fetches.values() if n > 1)
        duplicate_ingests = sum(n - 1 for n in fetched.values() if n > 1)
        duplicate_deliveries = sum(stats.receives_of(f) - 1 for f in good if stats.receives_of(f))
        expected_links = {
            f"https://load.example.org/{n}/{i}" for n in range(feeds) for i in range(items)
        }
        links = Counter(str(a["link"]) for a in articles)
        return {
            "feeds": feeds,
            "poison_feeds": 1,
            "items_per_feed": items,
            "workers": workers,
            "batch_size": batch_size,
            "fetch_workers": fetch_workers,
            "dispatch": dispatched,
            "messages_sent": sent,
            "receive_calls": stats.receive_calls,
            "empty_receives": stats.empty_receives,
            "messages_received": stats.messages_received,
            "invocations": stats.invocations,
            "whole_batch_failures": stats.whole_batch_failures,
            "deleted": stats.deleted,
            "released": stats.released,
            "feeds_ingested": len(set(fetched) & good),
            "feeds_not_ingested": sorted(good - set(fetched)),
            "feeds_fetched_once": sum(1 for n in fetches.values() if n == 1),
            "duplicate_fetches": duplicate_fetches,
            "duplicate_ingests": duplicate_ingests,
            "duplicate_deliveries": duplicate_deliveries,
            "duplicates": duplicate_fetches + duplicate_ingests + duplicate_deliveries,
            "poison_receives": sum(stats.receives_by_message[m] for m in poison_messages),
            "poison_fetches": origin.requests[POISON_PATH],
            "poison_statuses": stats.statuses_of("poison"),
            "dlq": sorted(feed_of(m["Body"]) for m in dead),
            "articles_indexed": len(articles),
            "articles_expected": len(expected_links),
            "articles_missing": sorted(expected_links - set(links))[:20],
            "articles_indexed_twice": sorted(k for k, n in links.items() if n > 1)[:20],
            "objects": len(objects),
            "orphan_objects": sorted(set(objects) - {a["key"] for a in articles})[:20],
            # Every feed's first item is titled "Weather update": one article wins that slug,
            # the others take suffixed ones.
            "weather_update_plain_slugs": sum(1 for a in articles if a["slug"] == "weather-update"),
            "feed_states_ok": sum(1 for s in states.values() if s.get("last_status") == "ok"),
            "poison_state": states.get("poison", {}),
            "config_once": config_once,
            "config_loads": int(tally.get("loads", 0)),
            # Wall time inside the reads, summed over the threads (they share one GIL).
            "config_load_thread_seconds": round(tally.get("seconds", 0.0), 2),
            "setup_seconds": round(setup_seconds, 2),
            "dispatch_seconds": round(dispatch_seconds, 2),
            "drain_seconds": round(drain_seconds, 2),
            "wall_seconds": round(dispatch_seconds + drain_seconds, 2),
            # This process's CPU time for dispatch + drain (the feed origin's threads included).
            "cpu_seconds": round(cpu_seconds, 2),
            "feeds_per_second": round((feeds + 1) / (dispatch_seconds + drain_seconds), 1),
        }
    raise AssertionError("unreachable")  # pragma: no cover - the ExitStack never swallows


def _index_contents(
    s3: Any, dynamodb: Any, bucket: str, table: str
) -> tuple[list[dict[str, Any]], list[str], dict[str, dict[str, Any]]]:
    """Article items, object keys, and feed states by feed id, as plain values."""
    from boto3.dynamodb.types import TypeDeserializer

    from newswire.adapters.codec import key_parts
    from newswire.sections import is_section_index

    plain = TypeDeserializer()
    articles: list[dict[str, Any]] = []
    states: dict[str, dict[str, Any]] = {}
    for page in dynamodb.get_paginator("scan").paginate(TableName=table):
        for raw in page["Items"]:
            item = {k: _plain(plain.deserialize(v)) for k, v in raw.items()}
            if item["pk"].startswith("A#"):
                # An article item leaves out the section and slug its key gives.
                articles.append({**key_parts(str(item["key"])), **item})
            elif item["pk"].startswith("F#"):
                states[item["pk"][2:]] = item
    # The articles' objects: each section's Hugo `_index.md` is newswire's too, not an orphan.
    objects = [
        o["Key"]
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for o in page.get("Contents", [])
        if not is_section_index(o["Key"])
    ]
    return articles, objects, states


def _plain(value: Any) -> Any:
    """DynamoDB numbers (Decimal) as ints, for figures that print as JSON."""
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    return value


def _refuse_off_loopback() -> None:
    """Nothing this run does may leave the machine: a connection elsewhere raises."""
    import ipaddress

    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = str(address[0]).split("%")[0]
            if not ipaddress.ip_address(host).is_loopback:
                raise ConnectionRefusedError(f"fanout: {address!r} is outside loopback")
        real_connect(self, address)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.fanout",
        description="Fan-out load test: feeds dispatched to SQS on moto, drained by workers.",
    )
    parser.add_argument("--feeds", type=int, default=1000, help="good feeds (default: 1000)")
    parser.add_argument("--workers", type=int, default=8, help="concurrent worker containers")
    parser.add_argument("--items", type=int, default=2, help="items per feed (default: 2)")
    parser.add_argument("--fetch-workers", type=int, default=4, help="FETCH_WORKERS")
    parser.add_argument(
        "--config-once",
        action="store_true",
        help="what-if: reuse the first read of the feeds config (newswire reads it per message)",
    )
    parser.add_argument("--json", action="store_true", help="print the figures as JSON only")
    args = parser.parse_args(argv)
    sys.path[:0] = [str(ROOT), str(ROOT / "layers" / "newswire")]
    _refuse_off_loopback()
    # An invocation whose every record failed publishes no metric, and Powertools says so.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    figures = run_load_test(
        args.feeds,
        workers=args.workers,
        items=args.items,
        fetch_workers=args.fetch_workers,
        config_once=args.config_once,
        quiet_stdout=True,
    )
    if args.json:
        print(json.dumps(figures, indent=2, default=str))
    else:
        for name, value in figures.items():
            print(f"{name:>22}: {value}")
    correct = (
        figures["feeds_ingested"] == figures["feeds"]
        and figures["duplicates"] == 0
        and figures["dlq"] == ["poison"]
        and figures["poison_receives"] == MAX_RECEIVES
        and figures["articles_indexed"] == figures["articles_expected"]
        and not figures["orphan_objects"]
    )
    return 0 if correct else 1


if __name__ == "__main__":
    sys.exit(main())
