"""The AWS backend: Markdown objects in S3, the index in one DynamoDB table.

Table layout (the schema itself lives once, in template.yaml):
  pk = "A#<article id>"        article record; `month` + `published` feed the ByMonth index
  pk = "S#<section>/<slug>"    slug claim, written in the same transaction as its article
  pk = "F#<feed id>"           feed state (validators, last status, errors, not-before), and
                               the feed's ingest lease (lease_owner, lease_until) on the same
                               item, so a feed that is not modified costs two requests in all
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError

from newswire.adapters.codec import (
    record_from_dict,
    record_to_dict,
    state_from_dict,
    state_to_dict,
    utc_sort_key,
)
from newswire.models import FeedState, IndexRecord
from newswire.ports import SlugTaken, StorageError, Taxonomy

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

MARKDOWN_CONTENT_TYPE = "text/markdown; charset=utf-8"
BATCH_GET_LIMIT = 100
MONTH_INDEX = "ByMonth"
OLDEST_MONTH = "1995-01"
_serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def _error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip(": ")
    return str(exc)


class S3Store:
    """ContentStore on an S3 bucket."""

    def __init__(self, client: S3Client, bucket: str) -> None:
        self.client = client
        self.bucket = bucket

    def put_new(self, key: str, body: bytes) -> bool:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body,
                ContentType=MARKDOWN_CONTENT_TYPE,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code")
            if code in ("PreconditionFailed", "ConditionalRequestConflict", "412", "409"):
                return False
            raise StorageError(f"S3 put of {key} failed: {_error_text(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 put of {key} failed: {exc}") from exc
        return True

    def put(self, key: str, body: bytes) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket, Key=key, Body=body, ContentType=MARKDOWN_CONTENT_TYPE
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 put of {key} failed: {_error_text(exc)}") from exc

    def get(self, key: str) -> bytes | None:
        try:
            response = self.client.get_object(Bucket=self.bucket, Key=key)
            return response["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise StorageError(f"S3 get of {key} failed: {_error_text(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 get of {key} failed: {exc}") from exc

    def keys(self, prefix: str) -> Iterator[str]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix
            )
            for page in pages:
                for item in page.get("Contents", []):
                    yield item["Key"]
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"S3 listing of {prefix} failed: {_error_text(exc)}") from exc


def _to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: _serializer.serialize(v) for k, v in data.items()}


def _from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def _months_back(start: datetime, stop: str) -> Iterator[str]:
    year, month = start.year, start.month
    while f"{year:04d}-{month:02d}" >= stop:
        yield f"{year:04d}-{month:02d}"
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)


class DynamoIndex:
    """ArticleIndex on one DynamoDB table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table

    def _batch_get(self, pks: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Items by key, BATCH_GET_LIMIT keys a request, unprocessed keys retried with back-off."""
        unique = list(dict.fromkeys(pks))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [
                {"pk": {"S": pk}} for pk in unique[start : start + BATCH_GET_LIMIT]
            ]
            attempt = 0
            while keys:
                try:
                    response = self.client.batch_get_item(
                        RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}}
                    )
                except (ClientError, BotoCoreError) as exc:
                    raise StorageError(f"DynamoDB batch get failed: {_error_text(exc)}") from exc
                for item in response.get("Responses", {}).get(self.table, []):
                    yield _from_item(item)
                unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
                keys = list((unprocessed.get(self.table) or {}).get("Keys", []))
                if keys:
                    attempt += 1
                    if attempt > 8:
                        raise StorageError("DynamoDB kept returning unprocessed keys (throttled)")
                    time.sleep(min(0.05 * 2**attempt, 2.0))

    def get_records(self, ids: Sequence[str]) -> dict[str, IndexRecord]:
        records = (record_from_dict(item) for item in self._batch_get([f"A#{i}" for i in ids]))
        return {record.id: record for record in records}

    def get_feed_states(self, feed_ids: Sequence[str]) -> dict[str, FeedState]:
        items = self._batch_get([f"F#{f}" for f in feed_ids])
        states = (state_from_dict(item) for item in items if "url" in item)
        return {state.feed_id: state for state in states}

    def _article_item(self, record: IndexRecord) -> dict[str, Any]:
        data = record_to_dict(record)
        data["pk"] = f"A#{record.id}"
        data["month"] = record.date.astimezone(UTC).strftime("%Y-%m")
        return _to_item(data)

    def add(self, record: IndexRecord) -> bool:
        claim = f"S#{record.section}/{record.slug}"
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": self._article_item(record),
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": _to_item({"pk": claim, "owner": record.id}),
                            "ConditionExpression": "attribute_not_exists(pk) OR #o = :id",
                            "ExpressionAttributeNames": {"#o": "owner"},
                            "ExpressionAttributeValues": {":id": {"S": record.id}},
                        }
                    },
                ]
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "TransactionCanceledException":
                cancelled: list[dict[str, Any]] = exc.response.get("CancellationReasons") or []  # type: ignore[assignment]
                reasons = [r.get("Code") for r in cancelled]
                if reasons[:1] == ["ConditionalCheckFailed"]:
                    return False
                if reasons[1:2] == ["ConditionalCheckFailed"]:
                    raise SlugTaken(f"slug {claim[2:]} belongs to another article") from exc
            raise StorageError(f"DynamoDB write of {record.id} failed: {_error_text(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"DynamoDB write of {record.id} failed: {exc}") from exc
        return True

    def replace(self, record: IndexRecord) -> None:
        self._put(self._article_item(record), f"article {record.id}")

    def _put(self, item: dict[str, Any], what: str) -> None:
        try:
            self.client.put_item(TableName=self.table, Item=item)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"DynamoDB write of {what} failed: {_error_text(exc)}") from exc

    def latest(
        self, *, limit: int, feed: str | None = None, since: datetime | None = None
    ) -> list[IndexRecord]:
        since_key = utc_sort_key(since) if since else None
        stop = since_key[:7] if since_key else OLDEST_MONTH
        found: list[IndexRecord] = []
        for month in _months_back(datetime.now(UTC), stop):
            found.extend(self._query_month(month, limit - len(found), feed, since_key))
            if len(found) >= limit:
                break
        return found[:limit]

    def _query_month(
        self, month: str, limit: int, feed: str | None, since_key: str | None
    ) -> list[IndexRecord]:
        condition = "#m = :m"
        values: dict[str, Any] = {":m": {"S": month}}
        names = {"#m": "month"}
        if since_key:
            condition += " AND published >= :since"
            values[":since"] = {"S": since_key}
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": MONTH_INDEX,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ScanIndexForward": False,
        }
        if feed is not None:
            query["FilterExpression"] = "contains(feeds, :feed)"
            values[":feed"] = {"S": feed}
        out: list[IndexRecord] = []
        try:
            for page in self.client.get_paginator("query").paginate(**query):
                out.extend(record_from_dict(_from_item(i)) for i in page.get("Items", []))
                if len(out) >= limit:
                    break
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"DynamoDB query failed: {_error_text(exc)}") from exc
        return out[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, *, limit: int) -> list[IndexRecord]:
        raise StorageError("listing by term is not available on DynamoDB yet")

    def by_month(self, month: str, *, limit: int) -> list[IndexRecord]:
        return self._query_month(month, limit, None, None)

    def get_feed_state(self, feed_id: str) -> FeedState | None:
        try:
            response = self.client.get_item(
                TableName=self.table, Key={"pk": {"S": f"F#{feed_id}"}}, ConsistentRead=True
            )
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(
                f"DynamoDB read of feed {feed_id} failed: {_error_text(exc)}"
            ) from exc
        item = _from_item(dict(response.get("Item") or {}))
        return state_from_dict(item) if "url" in item else None

    def save_feed_state(self, state: FeedState, *, owner: str | None = None) -> None:
        data = state_to_dict(state)
        data["pk"] = f"F#{state.feed_id}"
        request: dict[str, Any] = {"TableName": self.table, "Item": _to_item(data)}
        if owner is not None:
            # Writing the item without lease fields releases our lease; if it expired and
            # another worker holds the feed now, its lease and its state win.
            request["ConditionExpression"] = "attribute_not_exists(lease_owner) OR lease_owner = :o"
            request["ExpressionAttributeValues"] = {":o": {"S": owner}}
        try:
            self.client.put_item(**request)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return
            raise StorageError(
                f"DynamoDB write of feed {state.feed_id} failed: {_error_text(exc)}"
            ) from exc
        except BotoCoreError as exc:
            raise StorageError(f"DynamoDB write of feed {state.feed_id} failed: {exc}") from exc

    def feed_states(self) -> list[FeedState]:
        states: list[FeedState] = []
        try:
            for page in self.client.get_paginator("scan").paginate(
                TableName=self.table,
                FilterExpression="begins_with(pk, :f)",
                ExpressionAttributeValues={":f": {"S": "F#"}},
            ):
                items = (_from_item(i) for i in page.get("Items", []))
                states.extend(state_from_dict(i) for i in items if "url" in i)
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"DynamoDB scan of feed states failed: {_error_text(exc)}") from exc
        return sorted(states, key=lambda s: s.feed_id)

    def acquire_lease(
        self, feed_id: str, owner: str, *, now: datetime, until: datetime
    ) -> tuple[bool, FeedState | None]:
        try:
            response = self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"F#{feed_id}"}},
                UpdateExpression="SET lease_owner = :o, lease_until = :u",
                ConditionExpression=(
                    "attribute_not_exists(lease_until) OR lease_until < :now OR lease_owner = :o"
                ),
                ExpressionAttributeValues={
                    ":o": {"S": owner},
                    ":u": {"S": utc_sort_key(until)},
                    ":now": {"S": utc_sort_key(now)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False, None
            raise StorageError(f"DynamoDB lease of {feed_id} failed: {_error_text(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"DynamoDB lease of {feed_id} failed: {exc}") from exc
        item = _from_item(dict(response.get("Attributes") or {}))
        # An item that holds only a lease (first fetch ever) has no state yet.
        return True, state_from_dict(item) if "url" in item else None

    def release_lease(self, feed_id: str, owner: str) -> None:
        try:
            self.client.update_item(
                TableName=self.table,
                Key={"pk": {"S": f"F#{feed_id}"}},
                UpdateExpression="REMOVE lease_owner, lease_until",
                ConditionExpression="lease_owner = :o",
                ExpressionAttributeValues={":o": {"S": owner}},
            )
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return
            raise StorageError(f"DynamoDB release of {feed_id} failed: {_error_text(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"DynamoDB release of {feed_id} failed: {exc}") from exc


SQS_BATCH = 10
SEND_ATTEMPTS = 4


class SqsFeedQueue:
    """FeedQueue on an SQS queue: SendMessageBatch, 10 at a time, failed entries retried."""

    def __init__(self, client: SQSClient, queue_url: str) -> None:
        self.client = client
        self.queue_url = queue_url

    def send(self, bodies: Sequence[str]) -> None:
        for start in range(0, len(bodies), SQS_BATCH):
            pending = {str(i): body for i, body in enumerate(bodies[start : start + SQS_BATCH])}
            for attempt in range(SEND_ATTEMPTS):
                entries: list[Any] = [{"Id": k, "MessageBody": v} for k, v in pending.items()]
                try:
                    response = self.client.send_message_batch(
                        QueueUrl=self.queue_url, Entries=entries
                    )
                except (ClientError, BotoCoreError) as exc:
                    raise StorageError(f"SQS send failed: {_error_text(exc)}") from exc
                failed = {f["Id"] for f in response.get("Failed", [])}
                pending = {k: v for k, v in pending.items() if k in failed}
                if not pending:
                    break
                time.sleep(min(0.1 * 2**attempt, 2.0))
            if pending:
                raise StorageError(f"SQS refused {len(pending)} message(s) after retries")

    def redrive(self, dead_letter_url: str, *, limit: int = 10_000) -> int:
        """Move messages from a dead-letter queue back to this queue; returns how many."""
        moved = 0
        while moved < limit:
            try:
                response = self.client.receive_message(
                    QueueUrl=dead_letter_url, MaxNumberOfMessages=SQS_BATCH, WaitTimeSeconds=1
                )
            except (ClientError, BotoCoreError) as exc:
                raise StorageError(f"SQS receive failed: {_error_text(exc)}") from exc
            messages = response.get("Messages", [])
            if not messages:
                break
            # Sent first, deleted second: a crash in between repeats a message, never loses it.
            self.send([m["Body"] for m in messages])
            try:
                self.client.delete_message_batch(
                    QueueUrl=dead_letter_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )
            except (ClientError, BotoCoreError) as exc:
                raise StorageError(f"SQS delete failed: {_error_text(exc)}") from exc
            moved += len(messages)
        return moved
