"""The ingest Lambda handler, in-process: events/scheduled.json, S3 and DynamoDB on moto, feeds
from a real HTTP server on 127.0.0.1 that honours ETag and Last-Modified."""

from __future__ import annotations

import copy
import importlib.util
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import yaml

import newswire.bootstrap
from newswire.adapters.codec import key_parts
from newswire.config import load_config
from newswire.models import FeedConfig, Fetched, utc_sort_key
from newswire.normalize import normalize_entry
from newswire.parse import parse_feed
from newswire.render import front_matter, parse_markdown
from tests.conftest import DATA, EVENTS, REPO, FeedServer, closed_port_url

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

HANDLER = REPO / "functions" / "ingest" / "app.py"
CONTRACT_KEYS = (
    # The reference item's keys in its order, then newswire's own (DESIGN.md, "Front matter").
    "title", "date", "description", "summary", "slug", "image", "link", "source", "categories",
    "tags", "draft", "lastmod", "language", "publisher", "publisher_url", "url_original",
    "google_news_link", "guid", "feed", "related", "id",
)  # fmt: skip
REFERENCE_KEYS = CONTRACT_KEYS[:11]

GAZETTE, NOTES, WORLD = "/gazette/feed.xml", "/notes/feed.atom", "/rss/topics/world"
RSS, ATOM = "application/rss+xml; charset=utf-8", "application/atom+xml"

LIFEBOAT_KEY = "content/local/2026/01/lifeboat-crew-rescues-two-kayakers.md"
SECTION_INDEXES = {f"content/{section}/_index.md" for section in ("local", "blog", "world")}
# Hand-written expectations of the contract's fields for every article of the three feeds.
EXPECTED: dict[str, dict[str, Any]] = {
    "content/local/2026/01/ferry-service-resumes-after-winter-storms.md": {
        "title": "Ferry service resumes after winter storms",
        "date": "2026-01-06T09:30:00+01:00",
        "description": (
            "The island ferry sailed again on Monday morning after three weeks of cancellations."
        ),
        "slug": "ferry-service-resumes-after-winter-storms",
        "image": "https://gazette.example.org/img/ferry.jpg",
        "link": "https://gazette.example.org/news/ferry-service-resumes",
        "categories": ["gazette.example.org"],
        "draft": False,
        "guid": "1",
        "feed": ["gazette"],
    },
    "content/local/2026/01/council-approves-new-harbour-wall-budget.md": {
        "title": "Council approves new harbour wall budget",
        "date": "2026-01-05T18:00:00+00:00",
        "description": (
            "Councillors voted 9 to 2 for the repairs. Work starts in spring & ends before the "
            "tourist season."
        ),
        "slug": "council-approves-new-harbour-wall-budget",
        "link": "https://gazette.example.org/news/harbour-wall-budget",
        "guid": "2",
        "feed": ["gazette"],
    },
    LIFEBOAT_KEY: {
        "title": "Lifeboat crew rescues two kayakers",
        "date": "2026-01-04T15:45:00+00:00",
        "description": "Both kayakers were unharmed.",
        "slug": "lifeboat-crew-rescues-two-kayakers",
        "image": "https://gazette.example.org/img/lifeboat.png",
        "link": "https://gazette.example.org/news/lifeboat-rescue",
        "feed": ["gazette"],
    },
    "content/blog/2026/01/measuring-river-levels-with-a-cheap-sensor.md": {
        "title": "Measuring river levels with a cheap sensor",
        "date": "2026-01-03T10:15:00+02:00",
        "description": "An ultrasonic sensor, a solar panel and a year of data.",
        "link": "https://notes.example.com/2026/river-sensor",
        "guid": "tag:notes.example.com,2026-01-03:/river-sensor",
        "feed": ["field-notes"],
    },
    "content/blog/2026/01/notes-on-flood-warnings-shortcode.md": {
        "date": "2026-01-01T08:00:00+00:00",
        "description": "What the three warning levels mean, and who sends them.",
        "link": "https://notes.example.com/2026/flood-warnings",
        "feed": ["field-notes"],
    },
    "content/world/2026/01/russia-ukraine-war-list-of-key-events-day-1407.md": {
        "title": "Russia-Ukraine war: List of key events, day 1,407",
        "date": "2026-01-01T08:14:00+00:00",
        "publisher": "Al Jazeera",
        "publisher_url": "https://www.aljazeera.com",
        "categories": ["aljazeera.com"],
        "image": "",
        "feed": ["google-news-world"],
    },
    "content/world/2026/01/"
    "war-update-131-clashes-on-front-line-most-attacks-take-place-in-pokrovsk-sector.md": {
        "title": (
            "War update: 131 clashes on front line, most attacks take place in Pokrovsk sector"
        ),
        "date": "2026-01-01T07:30:00+00:00",
        "publisher": "Ukrinform",
        "url_original": (
            "https://www.ukrinform.net/rubric-ato/4078123-war-update-131-clashes-on-front-line.html"
        ),
        "feed": ["google-news-world"],
    },
    "content/world/2025/12/"
    "45-combat-engagements-on-the-front-the-enemy-launched-two-heavy-assaults-in-the.md": {
        "date": "2025-12-31T22:05:00+00:00",
        "publisher": "Українські Національні Новини",
        "categories": ["unn.ua"],
        "feed": ["google-news-world"],
    },
}


@dataclass
class FakeLambdaContext:
    function_name: str = "newswire-IngestFunction"
    function_version: str = "$LATEST"
    invoked_function_arn: str = (
        "arn:aws:lambda:us-east-1:123456789012:function:newswire-IngestFunction"
    )
    memory_limit_in_mb: int = 512
    aws_request_id: str = "6f1c1b9e-4b1a-4f3e-9d7c-2a8f5b0c9e11"
    log_group_name: str = "/aws/lambda/newswire-IngestFunction"
    log_stream_name: str = "2026/01/06/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


@dataclass(frozen=True)
class ApiCall:
    service: str
    operation: str
    params: dict[str, Any]


@dataclass
class ApiCalls:
    """Every AWS API call the code under test makes, seen through botocore's event hooks."""

    calls: list[ApiCall] = field(default_factory=list)

    def record(self, params: dict[str, Any], event_name: str, **_: Any) -> None:
        service, operation = event_name.split(".")[1:3]
        self.calls.append(ApiCall(service, operation, dict(params)))

    def of(self, operation: str) -> list[ApiCall]:
        return [c for c in self.calls if c.operation == operation]

    def article_writes(self) -> list[ApiCall]:
        """Writes that touch an article record (pk `A#…`), whatever the operation."""
        return [c for c in self.calls if any(pk.startswith("A#") for pk in written_keys(c))]


def written_keys(call: ApiCall) -> list[str]:
    """The partition keys a DynamoDB write call puts, updates or deletes."""
    p = call.params

    def pk(item: dict[str, Any]) -> str:
        return str(item["pk"]["S"])

    if call.operation == "PutItem":
        return [pk(p["Item"])]
    if call.operation in ("UpdateItem", "DeleteItem"):
        return [pk(p["Key"])]
    if call.operation == "TransactWriteItems":
        out = []
        for entry in p["TransactItems"]:
            if "Put" in entry:
                out.append(pk(entry["Put"]["Item"]))
            for kind in ("Update", "Delete"):
                if kind in entry:
                    out.append(pk(entry[kind]["Key"]))
        return out
    if call.operation == "BatchWriteItem":
        out = []
        for requests in p["RequestItems"].values():
            for request in requests:
                if "PutRequest" in request:
                    out.append(pk(request["PutRequest"]["Item"]))
                if "DeleteRequest" in request:
                    out.append(pk(request["DeleteRequest"]["Key"]))
        return out
    return []


@pytest.fixture
def aws_calls(monkeypatch: pytest.MonkeyPatch) -> ApiCalls:
    """Hooks every client the composition root creates (bootstrap.aws_client)."""
    recorded = ApiCalls()
    original = newswire.bootstrap.aws_client

    def recording_client(service: Any, settings: newswire.bootstrap.Settings) -> Any:
        client = original(service, settings)
        client.meta.events.register("provide-client-params.*.*", recorded.record)
        return client

    monkeypatch.setattr(newswire.bootstrap, "aws_client", recording_client)
    return recorded


def scheduled_event(detail: dict[str, Any] | None = None) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / "scheduled.json").read_text(encoding="utf-8"))
    assert event["detail-type"] == "Scheduled Event"
    if detail is not None:
        event = copy.deepcopy(event)
        event["detail"] = detail
    return event


@dataclass
class Lambda:
    """The ingest function as Lambda would run it, plus what a test needs to check its work."""

    handler: Callable[[dict[str, Any], FakeLambdaContext], dict[str, Any]]
    feeds_file: Path
    server: FeedServer
    s3: S3Client
    dynamodb: DynamoDBClient
    bucket: str
    table: str

    def invoke(self, detail: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.handler(scheduled_event(detail), FakeLambdaContext())

    def objects(self) -> dict[str, bytes]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
        return {
            k: self.s3.get_object(Bucket=self.bucket, Key=k)["Body"].read() for k in sorted(keys)
        }

    def items(self, prefix: str) -> dict[str, dict[str, Any]]:
        """Table items whose pk starts with `prefix`, by pk, as plain values."""
        out: dict[str, dict[str, Any]] = {}
        for page in self.dynamodb.get_paginator("scan").paginate(TableName=self.table):
            for item in page["Items"]:
                if item["pk"]["S"].startswith(prefix):
                    out[item["pk"]["S"]] = {k: _plain(v) for k, v in item.items()}
        return out


def _plain(value: Any) -> Any:
    if "S" in value:
        return value["S"]
    if "N" in value:
        return int(value["N"])
    if "L" in value:
        return [_plain(v) for v in value["L"]]
    if "BOOL" in value:
        return value["BOOL"]
    raise AssertionError(f"unexpected attribute type in {value}")


@pytest.fixture
def ingest_function(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    feed_server: FeedServer,
    s3_client: S3Client,
    dynamodb_client: DynamoDBClient,
    bucket: str,
    index_table: str,
    aws_calls: ApiCalls,
    restore_newswire_logger: None,
) -> Lambda:
    feed_server.serve_file(GAZETTE, DATA / "rss-basic.xml", RSS)
    feed_server.serve_file(NOTES, DATA / "atom-blog.xml", ATOM)
    feed_server.serve_file(WORLD, DATA / "google-news-world.xml", RSS)
    feeds_file = tmp_path / "feeds.yaml"
    write_feeds(feeds_file, feed_server)
    for name, value in {
        "CONTENT_BUCKET": bucket,
        "INDEX_TABLE": index_table,
        "FEEDS_CONFIG": str(feeds_file),
        "POWERTOOLS_SERVICE_NAME": "newswire-ingest",
        "POWERTOOLS_METRICS_NAMESPACE": "newswire",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "FETCH_WORKERS": "4",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("FEEDS_CONFIG_KEY", raising=False)
    spec = importlib.util.spec_from_file_location("ingest_app_under_test", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return Lambda(
        module.lambda_handler,
        feeds_file,
        feed_server,
        s3_client,
        dynamodb_client,
        bucket,
        index_table,
    )


def write_feeds(path: Path, server: FeedServer, extra: list[dict[str, Any]] | None = None) -> None:
    feeds: list[dict[str, Any]] = [
        {"name": "gazette", "url": server.url(GAZETTE), "section": "local"},
        {"name": "field-notes", "url": server.url(NOTES), "section": "blog"},
        {"name": "google-news-world", "url": server.url(WORLD), "section": "world"},
        *(extra or []),
    ]
    path.write_text(yaml.safe_dump({"feeds": feeds}, sort_keys=False), encoding="utf-8")


def expected_front_matter(feed: FeedConfig, body: bytes) -> dict[str, dict[str, Any]]:
    """What the pure pipeline makes of a served body, by article id, as YAML would read it."""
    parsed = parse_feed(Fetched(feed.url, body, content_type=None, etag=None, last_modified=None))
    articles = [normalize_entry(e, feed, now=datetime.now(UTC)) for e in parsed.entries]
    out = {}
    for article in articles:
        rendered = yaml.safe_load(yaml.safe_dump(front_matter(article), allow_unicode=True))
        out[article.id] = rendered
    return out


def summary_counts(summary: dict[str, Any]) -> tuple[dict[str, int], dict[str, int]]:
    return summary["feeds"], summary["articles"]


def test_first_run_writes_every_article_to_s3_and_dynamodb(
    ingest_function: Lambda, aws_calls: ApiCalls, capsys: pytest.CaptureFixture[str]
) -> None:
    summary = ingest_function.invoke()

    assert summary_counts(summary) == (
        {"fetched": 3, "not_modified": 0, "failed": 0, "skipped": 0},
        {"new": 8, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0, "filtered": 0},
    )
    assert summary["errors"] == []

    objects = ingest_function.objects()
    # Each section's Hugo `_index.md`, titled from its name (feeds.yaml gives no `sections`).
    indexes = {key: objects.pop(key) for key in SECTION_INDEXES}
    assert indexes["content/world/_index.md"] == b"---\ntitle: World\n---\n"
    assert set(objects) == set(EXPECTED)
    metas = {}
    for key, data in objects.items():
        head = ingest_function.s3.head_object(Bucket=ingest_function.bucket, Key=key)
        assert head["ContentType"] == "text/markdown; charset=utf-8"
        assert data.startswith(b"---\n")
        meta, body = parse_markdown(data)
        assert yaml.safe_load(data.decode("utf-8").split("---\n")[1]) == meta
        metas[key] = meta
        assert {k: meta.get(k) for k in EXPECTED[key]} == EXPECTED[key], key
        assert set(REFERENCE_KEYS) <= set(meta), key
        assert list(meta) == [k for k in CONTRACT_KEYS if k in meta], "contract key order"
        assert "lastmod" not in meta
        year, month, file_name = key.split("/")[2:]
        assert file_name == f"{meta['slug']}.md"
        assert meta["date"].startswith(f"{year}-{month}-")
        assert body.strip(), f"{key} has no body"

    # A relative image URL in Atom content resolves against the document's own URL (RFC 4287).
    sensor = metas["content/blog/2026/01/measuring-river-levels-with-a-cheap-sensor.md"]
    assert sensor["image"] == ingest_function.server.url("/images/sensor.jpg")

    # Every field equals what the pure steps make of the served bytes.
    config = {f.name: f for f in load_config(ingest_function.feeds_file).feeds}
    for name, path in (("gazette", GAZETTE), ("field-notes", NOTES), ("google-news-world", WORLD)):
        feed = config[name]
        expected = expected_front_matter(feed, ingest_function.server.feeds[path].body)
        stored = {m["id"]: m for m in metas.values() if m["feed"] == [name]}
        assert stored == expected
        assert all(m["source"] == ingest_function.server.url(path) for m in stored.values())

    # The index: one article item and one slug claim per object, the feeds' validators.
    articles = ingest_function.items("A#")
    claims = ingest_function.items("S#")
    states = ingest_function.items("F#")
    by_key = {item["key"]: item for item in articles.values()}
    assert set(by_key) == set(objects)
    for key, item in by_key.items():
        meta = metas[key]
        date = datetime.fromisoformat(meta["date"])
        assert item["pk"] == f"A#{meta['id']}"
        assert item["id"] == meta["id"]
        assert item["title"] == meta["title"]
        # Section and slug are read back from the key (one write unit saved on big items).
        assert "section" not in item and "slug" not in item
        assert key_parts(key)["slug"] == meta["slug"]
        item |= key_parts(key)
        assert item["feeds"] == meta["feed"]
        assert datetime.fromisoformat(item["date"]) == date
        assert item["month"] == date.astimezone(UTC).strftime("%Y-%m")
        assert item["published"] == utc_sort_key(date)
        assert claims[f"S#{item['section']}/{item['slug']}"]["owner"] == meta["id"]
    assert len(claims) == len(articles) == 8
    assert set(states) == {"F#gazette", "F#field-notes", "F#google-news-world"}
    for name, path, count in (("gazette", GAZETTE, 3), ("field-notes", NOTES, 2),
                              ("google-news-world", WORLD, 3)):  # fmt: skip
        state = states[f"F#{name}"]
        served = ingest_function.server.feeds[path]
        assert (state["etag"], state["last_modified"]) == (served.etag, served.last_modified)
        assert state["last_status"] == "ok"
        assert state["articles_total"] == count
        assert state["consecutive_errors"] == 0

    # Writes: one object per article, one `_index.md` per section (the first time), no
    # overwrite; one conditional put of each article record, after its slug claim and its
    # term items (no transaction: billed twice).
    puts = [c.params["Key"] for c in aws_calls.of("PutObject")]
    assert len(puts) == 8 + len(SECTION_INDEXES) and set(puts) >= SECTION_INDEXES
    assert all(c.params.get("IfNoneMatch") == "*" for c in aws_calls.of("PutObject"))
    assert len(aws_calls.article_writes()) == 8
    writes = [c for c in aws_calls.calls if written_keys(c)]
    for call in aws_calls.article_writes():
        assert call.operation == "PutItem"
        assert call.params["ConditionExpression"] == "attribute_not_exists(pk)"
        (article,) = written_keys(call)
        article_id = article[2:]
        before = writes[: writes.index(call)]
        claimed = [k for c in before for k in written_keys(c) if k.startswith("S#")]
        assert f"S#{articles[article]['section']}/{articles[article]['slug']}" in claimed
        # ...its term memberships (ByTerm: lists per tag, category, publisher), batched
        terms = [k for c in before for k in written_keys(c) if k.startswith(f"T#{article_id}#")]
        assert terms and all(
            c.operation == "BatchWriteItem"
            for c in before
            if any(k.startswith("T#") for k in written_keys(c))
        )
    # The first article of a month also writes that month's marker (listings skip empty
    # months).
    markers = [k for c in writes for k in written_keys(c) if k.startswith("M#")]
    assert markers and all(len(k) == len("M#2026-01") for k in markers)

    # The server saw one unconditional GET per feed, from a client that names itself.
    for path in (GAZETTE, NOTES, WORLD):
        (request,) = ingest_function.server.requests_for(path)
        assert request.status == 200
        assert request.if_none_match is None and request.if_modified_since is None
        assert request.user_agent is not None and request.user_agent.startswith("newswire/")

    # The handler published the run's metrics (CloudWatch embedded metric format on stdout).
    assert emitted_metrics(capsys.readouterr().out) == {
        "FeedsFetched": 3, "FeedsNotModified": 0, "FeedsFailed": 0, "FeedsSkipped": 0,
        "ArticlesNew": 8, "ArticlesUpdated": 0, "ArticlesUnchanged": 0, "ArticlesFailed": 0,
        "ArticlesSkipped": 0, "ArticlesFiltered": 0,
        "FeedsFailing24h": 0,
    }  # fmt: skip


def emitted_metrics(stdout: str) -> dict[str, float]:
    """The values of the last EMF document the handler printed."""
    documents = []
    for line in stdout.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            documents.append(document)
    assert documents, "no metrics were emitted"
    last = documents[-1]
    (directive,) = last["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "newswire"
    names = [m["Name"] for m in directive["Metrics"]]
    # Powertools writes each metric's values as a list (one entry per add_metric call).
    return {n: sum(last[n]) if isinstance(last[n], list) else last[n] for n in names}


def test_second_run_is_conditional_and_writes_nothing(
    ingest_function: Lambda, aws_calls: ApiCalls
) -> None:
    ingest_function.invoke()
    before = ingest_function.objects()
    heads = {
        k: ingest_function.s3.head_object(Bucket=ingest_function.bucket, Key=k)["LastModified"]
        for k in before
    }
    articles_before = ingest_function.items("A#")
    first_requests = {p: ingest_function.server.requests_for(p) for p in (GAZETTE, NOTES, WORLD)}
    aws_calls.calls.clear()
    ingest_function.server.clear_log()

    summary = ingest_function.invoke()

    assert summary_counts(summary) == (
        {"fetched": 0, "not_modified": 3, "failed": 0, "skipped": 0},
        {"new": 0, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0, "filtered": 0},
    )
    assert aws_calls.of("PutObject") == []
    assert aws_calls.article_writes() == []
    for path in (GAZETTE, NOTES, WORLD):
        (request,) = ingest_function.server.requests_for(path)
        served = ingest_function.server.feeds[path]
        assert request.if_none_match == served.etag
        assert request.if_modified_since == served.last_modified
        assert request.status == 304
        assert first_requests[path][0].status == 200
    assert ingest_function.objects() == before
    assert {
        k: ingest_function.s3.head_object(Bucket=ingest_function.bucket, Key=k)["LastModified"]
        for k in before
    } == heads
    assert ingest_function.items("A#") == articles_before
    states = ingest_function.items("F#")
    assert {s["last_status"] for s in states.values()} == {"not modified"}


def test_a_changed_item_is_rewritten_in_place(ingest_function: Lambda, aws_calls: ApiCalls) -> None:
    ingest_function.invoke()
    before = ingest_function.objects()
    meta_before, _ = parse_markdown(before[LIFEBOAT_KEY])
    record_before = ingest_function.items(f"A#{meta_before['id']}")[f"A#{meta_before['id']}"]
    old_etag = ingest_function.server.feeds[GAZETTE].etag
    ingest_function.server.replace_in_body(
        GAZETTE,
        "<description>Both kayakers were unharmed.</description>",
        "<description>Both kayakers were unharmed and back on shore by noon.</description>",
    )
    aws_calls.calls.clear()
    ingest_function.server.clear_log()
    started = datetime.now(UTC).replace(microsecond=0)

    summary = ingest_function.invoke()

    assert summary_counts(summary) == (
        {"fetched": 1, "not_modified": 2, "failed": 0, "skipped": 0},
        {"new": 0, "updated": 1, "unchanged": 2, "failed": 0, "skipped": 0, "filtered": 0},
    )
    (request,) = ingest_function.server.requests_for(GAZETTE)
    assert (request.if_none_match, request.status) == (old_etag, 200)
    # Exactly one object written, at the article's own key, and one article record replaced.
    (put,) = aws_calls.of("PutObject")
    assert put.params["Key"] == LIFEBOAT_KEY
    assert put.params["ContentType"] == "text/markdown; charset=utf-8"
    assert "IfNoneMatch" not in put.params  # an overwrite, not a new object
    # One transaction: the record, its term memberships, the deletion of dropped terms.
    (record_write,) = aws_calls.article_writes()
    assert record_write.operation == "TransactWriteItems"
    article, *terms = written_keys(record_write)
    assert article == f"A#{meta_before['id']}"
    assert all(k.startswith(f"T#{meta_before['id']}#") for k in terms)

    after = ingest_function.objects()
    assert set(after) == set(before)
    assert {k: v for k, v in after.items() if k != LIFEBOAT_KEY} == {
        k: v for k, v in before.items() if k != LIFEBOAT_KEY
    }
    meta, body = parse_markdown(after[LIFEBOAT_KEY])
    assert meta["description"] == "Both kayakers were unharmed and back on shore by noon."
    assert "back on shore by noon" in body
    lastmod = datetime.fromisoformat(meta["lastmod"])
    assert started <= lastmod <= datetime.now(UTC)
    unchanged_fields = ("title", "date", "slug", "link", "guid", "id", "feed", "source")
    assert {k: meta[k] for k in unchanged_fields} == {k: meta_before[k] for k in unchanged_fields}
    assert list(meta) == [k for k in CONTRACT_KEYS if k in meta], "lastmod in its place"

    record = ingest_function.items(f"A#{meta['id']}")[f"A#{meta['id']}"]
    assert record["key"] == LIFEBOAT_KEY
    assert record["content_hash"] != record_before["content_hash"]
    assert datetime.fromisoformat(record["lastmod"]) == lastmod
    assert ingest_function.items("F#")["F#gazette"]["etag"] == (
        ingest_function.server.feeds[GAZETTE].etag
    )

    # And the run after that is quiet again.
    aws_calls.calls.clear()
    again = ingest_function.invoke()
    assert again["feeds"]["not_modified"] == 3
    assert aws_calls.of("PutObject") == aws_calls.article_writes() == []


@pytest.mark.parametrize("form", ["url", "mapping"])
def test_event_feed_list_overrides_the_config(ingest_function: Lambda, form: str) -> None:
    url = ingest_function.server.url(NOTES)
    spec: str | dict[str, Any] = (
        url if form == "url" else {"url": url, "name": "notes-by-event", "section": "blog"}
    )

    summary = ingest_function.invoke({"feeds": [spec]})

    assert summary_counts(summary) == (
        {"fetched": 1, "not_modified": 0, "failed": 0, "skipped": 0},
        {"new": 2, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0, "filtered": 0},
    )
    assert [len(ingest_function.server.requests_for(p)) for p in (GAZETTE, NOTES, WORLD)] == [
        0,
        1,
        0,
    ]
    section = "news" if form == "url" else "blog"  # a bare URL gets the default section
    assert set(ingest_function.objects()) == {
        f"content/{section}/_index.md",
        f"content/{section}/2026/01/measuring-river-levels-with-a-cheap-sensor.md",
        f"content/{section}/2026/01/notes-on-flood-warnings-shortcode.md",
    }
    (state,) = ingest_function.items("F#").values()
    assert state["url"] == url
    if form == "mapping":
        assert state["feed_id"] == "notes-by-event"


def test_a_dead_feed_fails_alone(ingest_function: Lambda) -> None:
    dead = closed_port_url("/dead/feed.xml")
    write_feeds(
        ingest_function.feeds_file,
        ingest_function.server,
        extra=[{"name": "dead", "url": dead, "section": "local"}],
    )

    summary = ingest_function.invoke()

    assert summary_counts(summary) == (
        {"fetched": 3, "not_modified": 0, "failed": 1, "skipped": 0},
        {"new": 8, "updated": 0, "unchanged": 0, "failed": 0, "skipped": 0, "filtered": 0},
    )
    (error,) = summary["errors"]
    assert (error["feed"], error["url"]) == ("dead", dead)
    reason = error["error"]
    assert "refused" in reason.lower(), reason
    assert "\n" not in reason and "Traceback" not in reason and len(reason) < 300, reason
    assert set(ingest_function.objects()) == set(EXPECTED) | SECTION_INDEXES
    state = ingest_function.items("F#")["F#dead"]
    assert state["consecutive_errors"] == 1
    assert state["last_status"] == f"error: {reason}"
    assert json.loads(json.dumps(summary)) == summary  # the summary is plain JSON
