"""What moto cannot simulate, with botocore's Stubber and event hooks: throttling,
UnprocessedKeys, cancelled transactions and conditional-write conflicts, and the botocore
`standard` retry mode newswire's clients use."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Literal

import boto3
import botocore.endpoint
import botocore.stub
import pytest
from boto3.dynamodb.types import TypeSerializer
from botocore.awsrequest import AWSResponse
from botocore.compat import HTTPHeaders
from botocore.stub import Stubber

import newswire.adapters.dynamodb_batch
from newswire.adapters.codec import record_to_dict
from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.s3 import S3Store
from newswire.bootstrap import Settings, aws_client
from newswire.models import FeedConfig, FeedStatus, IndexRecord
from newswire.ports import SlugTaken, StorageError
from newswire.slugs import content_key

from .backends import REGION, Backend, Clock, Sleeps, aws_backend
from .conftest import AwsClients, IngestorFactory
from .feeds import numbered, rss
from .server import HostileServer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

TABLE = "stubbed-index"
BUCKET = "stubbed-content"
THROTTLED = "ProvisionedThroughputExceededException"


@pytest.fixture
def adapter_sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    sleeps = Sleeps()
    monkeypatch.setattr(newswire.adapters.dynamodb_batch, "time", sleeps)
    return sleeps


@pytest.fixture
def botocore_sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    sleeps = Sleeps()
    monkeypatch.setattr(botocore.endpoint, "time", sleeps)
    return sleeps


@pytest.fixture
def dynamodb(aws_environment: None) -> Iterator[tuple[DynamoDBClient, Stubber]]:
    client: DynamoDBClient = boto3.client("dynamodb", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def s3(aws_environment: None) -> Iterator[tuple[S3Client, Stubber]]:
    client: S3Client = boto3.client("s3", region_name=REGION)
    with Stubber(client) as stubber:
        yield client, stubber
        stubber.assert_no_pending_responses()


def record(article_id: str) -> IndexRecord:
    date = datetime(2026, 1, 6, 9, 30, tzinfo=UTC)
    return IndexRecord(
        id=article_id, key=content_key("news", date, f"story-{article_id}"), section="news",
        slug=f"story-{article_id}", title=f"Story {article_id}", date=date,
        link="https://x.example/s", feeds=("wire",), content_hash="0" * 32,
    )  # fmt: skip


def item(article_id: str) -> dict[str, Any]:
    serializer = TypeSerializer()
    data = {**record_to_dict(record(article_id)), "pk": f"A#{article_id}", "month": "2026-01"}
    return {k: serializer.serialize(v) for k, v in data.items()}


def keys(*ids: str) -> list[dict[str, Any]]:
    return [{"pk": {"S": f"A#{i}"}} for i in ids]


def batch_params(*ids: str) -> dict[str, Any]:
    return {"RequestItems": {TABLE: {"Keys": keys(*ids), "ConsistentRead": True}}}


# --- BatchGetItem --------------------------------------------------------------------------------


def test_unprocessed_keys_are_asked_again_until_resolved(
    dynamodb: tuple[DynamoDBClient, Stubber], adapter_sleeps: Sleeps
) -> None:
    client, stubber = dynamodb
    stubber.add_response(
        "batch_get_item",
        {"Responses": {TABLE: [item("a")]},
         "UnprocessedKeys": {TABLE: {"Keys": keys("b", "c"), "ConsistentRead": True}}},
        batch_params("a", "b", "c"),
    )  # fmt: skip
    stubber.add_response(
        "batch_get_item",
        {"Responses": {TABLE: [item("b")]},
         "UnprocessedKeys": {TABLE: {"Keys": keys("c"), "ConsistentRead": True}}},
        batch_params("b", "c"),
    )  # fmt: skip
    stubber.add_response(
        "batch_get_item", {"Responses": {TABLE: [item("c")]}, "UnprocessedKeys": {}},
        batch_params("c"),
    )  # fmt: skip
    found = DynamoIndex(client, TABLE).get_records(["a", "b", "c", "a"])
    assert found == {i: record(i) for i in ("a", "b", "c")}
    assert len(adapter_sleeps.delays) == 2
    assert 0 < adapter_sleeps.delays[0] < adapter_sleeps.delays[1], "no back-off between asks"


def test_unprocessed_keys_forever_is_a_storage_error(
    dynamodb: tuple[DynamoDBClient, Stubber], adapter_sleeps: Sleeps
) -> None:
    client, stubber = dynamodb
    for _ in range(9):
        stubber.add_response(
            "batch_get_item",
            {"Responses": {TABLE: []},
             "UnprocessedKeys": {TABLE: {"Keys": keys("a"), "ConsistentRead": True}}},
            batch_params("a"),
        )  # fmt: skip
    with pytest.raises(StorageError, match="unprocessed keys"):
        DynamoIndex(client, TABLE).get_records(["a"])
    assert sum(adapter_sleeps.delays) <= 30


def test_many_ids_are_asked_in_batches_of_100(
    dynamodb: tuple[DynamoDBClient, Stubber], adapter_sleeps: Sleeps
) -> None:
    client, stubber = dynamodb
    ids = [f"{n:03d}" for n in range(250)]
    for start in (0, 100, 200):
        chunk = ids[start : start + 100]
        stubber.add_response(
            "batch_get_item", {"Responses": {TABLE: [item(i) for i in chunk]}},
            batch_params(*chunk),
        )  # fmt: skip
    assert len(DynamoIndex(client, TABLE).get_records(ids)) == 250


def test_throttling_after_botocore_retries_is_a_plain_storage_error(
    dynamodb: tuple[DynamoDBClient, Stubber],
) -> None:
    client, stubber = dynamodb
    stubber.add_client_error(
        "batch_get_item", service_error_code=THROTTLED,
        service_message="The level of configured provisioned throughput for the table was "
        "exceeded.", http_status_code=400,
    )  # fmt: skip
    with pytest.raises(StorageError, match=f"^DynamoDB batch get failed: {THROTTLED}: The level"):
        DynamoIndex(client, TABLE).get_records(["a"])


# --- adding an article: claim, term items, article -------------------------------------------

ANY = botocore.stub.ANY


def stub_claim(stubber: Stubber, error: str | None = None) -> None:
    params = {"TableName": TABLE, "Item": ANY, "ConditionExpression": ANY,
              "ExpressionAttributeNames": ANY, "ExpressionAttributeValues": ANY}  # fmt: skip
    if error is None:
        stubber.add_response("put_item", {}, params)
    else:
        stubber.add_client_error("put_item", service_error_code=error, expected_params=params)


def test_a_slug_held_by_another_article_is_slug_taken(
    dynamodb: tuple[DynamoDBClient, Stubber],
) -> None:
    client, stubber = dynamodb
    stub_claim(stubber, "ConditionalCheckFailedException")
    with pytest.raises(SlugTaken):
        DynamoIndex(client, TABLE).add(record("a"))  # and nothing else was sent


@pytest.mark.parametrize("code", [THROTTLED, "ValidationException", "InternalServerError"])
def test_a_failed_claim_is_a_storage_error_and_nothing_more_is_sent(
    dynamodb: tuple[DynamoDBClient, Stubber], code: str
) -> None:
    client, stubber = dynamodb
    stub_claim(stubber, code)
    with pytest.raises(StorageError, match=f"^DynamoDB slug claim of a failed: {code}") as raised:
        DynamoIndex(client, TABLE).add(record("a"))
    assert not isinstance(raised.value, SlugTaken)


def test_unprocessed_term_items_are_written_again_until_resolved(
    dynamodb: tuple[DynamoDBClient, Stubber], adapter_sleeps: Sleeps
) -> None:
    client, stubber = dynamodb
    tagged = dataclasses.replace(record("a"), tags=("harbour", "storm"), publisher="Wire")
    stub_claim(stubber)
    first = {"RequestItems": {TABLE: ANY}}
    unprocessed = {"PutRequest": {"Item": {"pk": {"S": "T#a#tags#storm"}, "x": {"S": "y"}}}}
    stubber.add_response("batch_write_item", {"UnprocessedItems": {TABLE: [unprocessed]}}, first)
    stubber.add_response(
        "batch_write_item", {"UnprocessedItems": {}}, {"RequestItems": {TABLE: [unprocessed]}}
    )
    stubber.add_response("put_item", {}, {"TableName": TABLE, "Item": ANY,
                         "ConditionExpression": "attribute_not_exists(pk)",
                         "ReturnValuesOnConditionCheckFailure": "ALL_OLD"})  # fmt: skip
    stubber.add_response("batch_write_item", {}, first)  # the month marker
    assert DynamoIndex(client, TABLE).add(tagged) is True
    assert len(adapter_sleeps.delays) == 1


def test_unprocessed_term_items_forever_is_a_storage_error_before_the_article(
    dynamodb: tuple[DynamoDBClient, Stubber], adapter_sleeps: Sleeps
) -> None:
    client, stubber = dynamodb
    tagged = dataclasses.replace(record("a"), tags=("harbour",))
    stub_claim(stubber)
    pending = {"PutRequest": {"Item": {"pk": {"S": "T#a#tags#harbour"}}}}
    for _ in range(9):
        stubber.add_response(
            "batch_write_item", {"UnprocessedItems": {TABLE: [pending]}}, {"RequestItems": ANY}
        )
    with pytest.raises(StorageError, match="unprocessed items"):
        DynamoIndex(client, TABLE).add(tagged)  # no article put: the next run adds it whole
    assert sum(adapter_sleeps.delays) <= 30


def test_an_article_added_meanwhile_by_another_run_is_false_and_its_terms_are_settled(
    dynamodb: tuple[DynamoDBClient, Stubber],
) -> None:
    client, stubber = dynamodb
    ours = dataclasses.replace(record("a"), tags=("harbour", "ours"))
    theirs = dataclasses.replace(record("a"), tags=("harbour",), title="Their title")
    stored = {**item("a"), **{k: TypeSerializer().serialize(v) for k, v in {
        "title": theirs.title, "tags": ["harbour"],
        "memberships": '["tags#harbour"]'}.items()}}  # fmt: skip
    stub_claim(stubber)
    stubber.add_response("batch_write_item", {}, {"RequestItems": ANY})  # our term items
    stubber.add_client_error(
        "put_item", service_error_code="ConditionalCheckFailedException",
        modeled_fields={"Item": stored},
    )  # fmt: skip

    # Their term item written again over ours, and ours that they do not have deleted.
    def put_pks(*pks: str) -> dict[str, Any]:
        return {"RequestItems": {TABLE: [
            {"PutRequest": {"Item": ANY}} for _ in pks]}}  # fmt: skip

    stubber.add_response("batch_write_item", {}, put_pks("T#a#tags#harbour"))
    stubber.add_response(
        "batch_write_item", {},
        {"RequestItems": {TABLE: [{"DeleteRequest": {"Key": {"pk": {"S": "T#a#tags#ours"}}}}]}},
    )  # fmt: skip
    assert DynamoIndex(client, TABLE).add(ours) is False


# --- S3 conditional writes ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "status", "outcome"),
    [("PreconditionFailed", 412, False), ("ConditionalRequestConflict", 409, False),
     ("SlowDown", 503, StorageError), ("InternalError", 500, StorageError),
     ("AccessDenied", 403, StorageError)],
)  # fmt: skip
def test_s3_put_new_conflicts_and_failures(
    s3: tuple[S3Client, Stubber], code: str, status: int, outcome: object
) -> None:
    client, stubber = s3
    stubber.add_client_error("put_object", service_error_code=code, http_status_code=status)
    store = S3Store(client, BUCKET)
    if outcome is False:
        assert store.put_new("content/news/2026/01/a.md", b"x") is False
    else:
        with pytest.raises(StorageError, match=f"^S3 put of content/news/2026/01/a.md failed: "
                                               f"{code}"):  # fmt: skip
            store.put_new("content/news/2026/01/a.md", b"x")


# --- botocore's standard retry mode, on moto ------------------------------------------------------


def test_newswire_clients_use_the_standard_retry_mode(aws_environment: None) -> None:
    settings = Settings(bucket="b", table="t", region=REGION)
    services: tuple[Literal["s3", "dynamodb"], ...] = ("s3", "dynamodb")
    for service in services:
        retries = getattr(aws_client(service, settings).meta.config, "retries", {})
        assert retries["mode"] == "standard"
        assert retries["total_max_attempts"] >= 3


def throttle(client: Any, operation: str, times: int) -> list[str]:
    """The first `times` sends of `operation` are answered 400 ProvisionedThroughputExceeded
    before they reach moto (after botocore's retry handler, which then retries them)."""
    sent: list[str] = []

    def respond(request: Any, **kwargs: Any) -> AWSResponse | None:
        target = request.headers.get("X-Amz-Target", b"")
        target = target.decode() if isinstance(target, bytes) else target
        if not target.endswith(f".{operation}"):
            return None
        sent.append(operation)
        if len(sent) > times:
            return None
        body = json.dumps(
            {
                "__type": f"com.amazonaws.dynamodb.v20120810#{THROTTLED}",
                "message": "Rate of requests exceeds the allowed throughput.",
            }
        )
        headers = HTTPHeaders.from_dict({"Content-Type": "application/x-amz-json-1.0"})
        return AWSResponse(request.url, 400, headers, _Raw(body.encode()))

    client.meta.events.register_first("before-send.dynamodb", respond)
    return sent


class _Raw:
    def __init__(self, body: bytes) -> None:
        self.body = body

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.body


def test_throttled_requests_are_retried_by_botocore(
    aws: AwsClients, backend_for_retry: DynamoIndex, botocore_sleeps: Sleeps
) -> None:
    index = backend_for_retry
    index.client.put_item(TableName=index.table, Item=item("a"))
    sent = throttle(index.client, "BatchGetItem", times=2)
    assert index.get_records(["a"]) == {"a": record("a")}
    assert sent == ["BatchGetItem"] * 3
    assert len(botocore_sleeps.delays) == 2


@pytest.fixture
def backend_for_retry(aws: AwsClients) -> DynamoIndex:
    from .backends import TABLE as MOTO_TABLE

    client = aws_client("dynamodb", Settings(bucket="b", table=MOTO_TABLE, region=REGION))
    return DynamoIndex(client, MOTO_TABLE)


def test_a_feed_survives_a_throttled_index(
    server: HostileServer, aws: AwsClients, make_ingestor: IngestorFactory, clock: Clock,
    backend_for_retry: DynamoIndex, botocore_sleeps: Sleeps,
) -> None:  # fmt: skip
    """Throttled past botocore's retries: the feed fails in plain words, nothing is written,
    no validator is kept, and the next run ingests everything."""
    backend: Backend = aws_backend(aws.s3, aws.dynamodb)
    index = backend_for_retry
    sent = throttle(index.client, "BatchGetItem", times=10**6)
    feed = FeedConfig(url=server.feed("/feed", rss(numbered(3))), name="wire")
    [result] = make_ingestor(backend.make_store(), index).run([feed]).results
    assert result.status is FeedStatus.FAILED
    assert result.error is not None
    assert result.error.startswith(f"DynamoDB batch get failed: {THROTTLED}: Rate of requests")
    attempts = getattr(index.client.meta.config, "retries", {})["total_max_attempts"]
    assert len(sent) == attempts and len(botocore_sleeps.delays) == attempts - 1
    assert backend.object_keys() == []
    state = backend.make_index().get_feed_states(["wire"]).get("wire")
    assert state is not None and (state.etag, state.body_hash) == (None, None)

    clock.advance(hours=1)
    [result] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert (result.status, result.new) == (FeedStatus.FETCHED, 3)
