"""The AWS backend: Markdown objects in S3, the index in one DynamoDB table.

Table layout (the schema itself lives once, in template.yaml):
  pk = "A#<article id>"        article record; `month` + `published` feed the ByMonth index;
                               `memberships` names the article's term items (below)
  pk = "S#<section>/<slug>"    slug claim, written in the same transaction as its article
  pk = "T#<article id>#<taxonomy>#<term>"
                               term membership: a copy of the article record plus
                               `term` = "<taxonomy>#<term>", which with `published` feeds the
                               ByTerm index (lists per tag, category, publisher). Written in the
                               same transaction as the article; an update deletes the items of
                               the terms the article no longer has in that transaction too
  pk = "F#<feed id>"           feed state (validators, last status, errors, not-before), and
                               the feed's ingest lease (lease_owner, lease_until) on the same
                               item, so a feed that is not modified costs two requests in all

The article id comes first in a term item's key: ids are hex, so the key splits one way only
whatever characters a term holds.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
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
TERM_INDEX = "ByTerm"
OLDEST_MONTH = "1995-01"
MONTHS_PARTITION = "months"  # the ByMonth partition of the month-marker items
MAX_MEMBERSHIPS = 48
"""Terms an article is listed under on DynamoDB (publisher first, then categories, then tags).
A transaction holds at most 100 actions: an add is 2 + 48, a replace at most 1 + 48 puts + 48
deletes of the terms it drops."""
MAX_TERM_BYTES = 1024
"""Longer terms get no term item: DynamoDB keys are at most 2048 bytes, and no list is named so."""
REPLACE_ATTEMPTS = 5
MEMBERSHIP_HINTS = 4096
TAXONOMIES: tuple[Taxonomy, ...] = ("publisher", "categories", "tags")
log = logging.getLogger("newswire.adapters.aws")
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

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
    ) -> None:
        headers: dict[str, Any] = {"ContentType": content_type or MARKDOWN_CONTENT_TYPE}
        if cache_control is not None:
            headers["CacheControl"] = cache_control
        try:
            self.client.put_object(Bucket=self.bucket, Key=key, Body=body, **headers)
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


def _term_key(taxonomy: Taxonomy, term: str) -> str:
    return f"{taxonomy}#{term}"


def memberships(record: IndexRecord) -> list[str]:
    """The `<taxonomy>#<term>` keys the record is listed under, sorted, at most MAX_MEMBERSHIPS."""
    keys: list[str] = []
    for taxonomy in TAXONOMIES:
        if taxonomy == "publisher":
            terms: tuple[str, ...] = (record.publisher,) if record.publisher is not None else ()
        else:
            terms = record.categories if taxonomy == "categories" else record.tags
        for term in terms:
            key = _term_key(taxonomy, term)
            if len(term.encode("utf-8")) <= MAX_TERM_BYTES and key not in keys:
                keys.append(key)
    if len(keys) > MAX_MEMBERSHIPS:
        log.warning(
            "article listed under its first terms only",
            extra={"article": record.id, "terms": len(keys), "listed": MAX_MEMBERSHIPS},
        )
    return sorted(keys[:MAX_MEMBERSHIPS])


def _memberships_value(keys: Sequence[str]) -> str:
    # A string, not a list: DynamoDB conditions compare strings for equality.
    return json.dumps(sorted(keys), ensure_ascii=False, separators=(",", ":"))


def _cancellation_reasons(exc: ClientError) -> list[dict[str, Any]]:
    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons") or []  # type: ignore[assignment]
    return reasons


def _published(record: IndexRecord) -> str:
    return utc_sort_key(record.date)


def _sort_newest_first(records: list[IndexRecord]) -> list[IndexRecord]:
    """By `published` descending, then id ascending: SqliteIndex's order. An index query
    returns items with equal sort keys in no defined order."""
    records.sort(key=lambda r: r.id)
    records.sort(key=_published, reverse=True)  # a stable sort: equal ones keep id order
    return records


@dataclass(frozen=True)
class _Stored:
    """What a replace must know of the stored article: its `memberships` attribute (None when
    the item lacks it) and the term keys whose items may exist."""

    value: str | None
    keys: tuple[str, ...]


def _stored_of(data: dict[str, Any]) -> _Stored:
    """The _Stored of an article item (plain values; empty when there is no such article)."""
    value = data.get("memberships")
    if isinstance(value, str):
        return _Stored(value, tuple(str(k) for k in json.loads(value)))
    # Written before term items existed (or missing): nothing to compare with; delete what its
    # fields would have made, harmlessly if they were never written.
    return _Stored(None, tuple(memberships(record_from_dict(data))) if data else ())


def _month_of(record: IndexRecord) -> str:
    return record.date.astimezone(UTC).strftime("%Y-%m")


def _still(expected: IndexRecord, item: dict[str, Any] | None) -> bool:
    """Whether a stored article item (as a cancelled transaction returned it) still has the
    content hash and feeds the caller read."""
    if item is None:
        return False
    data = _from_item(item)
    feeds = tuple(str(f) for f in data.get("feeds", []))
    return (data.get("content_hash"), feeds) == (expected.content_hash, expected.feeds)


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
        # What the articles this instance last read or wrote had stored as memberships: the
        # first guess of a replace (an ingest reads an article before it updates it). A hint
        # only: a wrong one costs a cancelled request, never a stale term item.
        self._hints: dict[str, _Stored] = {}
        self._hints_lock = threading.Lock()
        # The months this instance has written a month marker for (see _month_marker).
        self._marked_months: set[str] = set()

    def _remember(self, article_id: str, stored: _Stored) -> None:
        with self._hints_lock:
            self._hints.pop(article_id, None)
            self._hints[article_id] = stored
            while len(self._hints) > MEMBERSHIP_HINTS:
                del self._hints[next(iter(self._hints))]  # the oldest

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
        found: dict[str, IndexRecord] = {}
        for item in self._batch_get([f"A#{i}" for i in ids]):
            record = record_from_dict(item)
            found[record.id] = record
            self._remember(record.id, _stored_of(item))
        return found

    def get_feed_states(self, feed_ids: Sequence[str]) -> dict[str, FeedState]:
        items = self._batch_get([f"F#{f}" for f in feed_ids])
        states = (state_from_dict(item) for item in items if "url" in item)
        return {state.feed_id: state for state in states}

    def _article_item(self, record: IndexRecord, keys: Sequence[str]) -> dict[str, Any]:
        data = record_to_dict(record)
        data["pk"] = f"A#{record.id}"
        data["month"] = record.date.astimezone(UTC).strftime("%Y-%m")
        data["memberships"] = _memberships_value(keys)
        return _to_item(data)

    def _term_puts(self, record: IndexRecord, keys: Sequence[str]) -> list[Any]:
        """A Put per term item: the record (no `month`: term items stay out of ByMonth)."""
        data = record_to_dict(record)
        return [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": _to_item({**data, "pk": f"T#{record.id}#{key}", "term": key}),
                }
            }
            for key in keys
        ]

    def add(self, record: IndexRecord) -> bool:
        claim = f"S#{record.section}/{record.slug}"
        keys = memberships(record)
        # One request: the article, its slug claim and its term items, all or nothing. The
        # article comes first and the claim second: the cancellation reasons say which failed.
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": self._article_item(record, keys),
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
                    *self._term_puts(record, keys),
                    *self._month_marker(record),
                ]
            )
        except ClientError as exc:
            reasons = [r.get("Code") for r in _cancellation_reasons(exc)]
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return False
            if reasons[1:2] == ["ConditionalCheckFailed"]:
                raise SlugTaken(f"slug {claim[2:]} belongs to another article") from exc
            raise StorageError(f"DynamoDB write of {record.id} failed: {_error_text(exc)}") from exc
        except BotoCoreError as exc:
            raise StorageError(f"DynamoDB write of {record.id} failed: {exc}") from exc
        self._remember(record.id, _Stored(_memberships_value(keys), tuple(keys)))
        self._marked_months.add(_month_of(record))
        return True

    def months_with_articles(self) -> set[str]:
        """Every "YYYY-MM" that holds an article, from the month-marker items: one query, so
        listing the latest articles never walks empty months back to 1995."""
        query: dict[str, Any] = {
            "TableName": self.table,
            "IndexName": MONTH_INDEX,
            "KeyConditionExpression": "#m = :m",
            "ExpressionAttributeNames": {"#m": "month"},
            "ExpressionAttributeValues": {":m": {"S": MONTHS_PARTITION}},
        }
        found: set[str] = set()
        try:
            for page in self.client.get_paginator("query").paginate(**query):
                found.update(str(i["published"]["S"]) for i in page.get("Items", []))
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"DynamoDB query failed: {_error_text(exc)}") from exc
        return found

    def _month_marker(self, record: IndexRecord) -> list[Any]:
        """A Put of the article's month marker, unless this instance already wrote it: once a
        month per process, in the article's own transaction (so no extra request), and
        idempotent across processes."""
        month = _month_of(record)
        if month in self._marked_months:
            return []
        item = {"pk": f"M#{month}", "month": MONTHS_PARTITION, "published": month}
        return [{"Put": {"TableName": self.table, "Item": _to_item(item)}}]

    def replace(self, record: IndexRecord, *, expected: IndexRecord | None = None) -> bool:
        """One transaction: the article, its term items, and the deletion of the term items it
        no longer has. The article is written only if its stored `memberships` are the ones
        this call deletes against, so two concurrent replaces cannot leave a stale term item.

        First guess: what get_records last saw stored (an ingest reads before it updates),
        else that the terms did not change; either way one request. A wrong guess is cancelled
        with the stored item in its reasons, and the second request deletes what it must."""
        keys = memberships(record)
        with self._hints_lock:
            hint = self._hints.get(record.id)
        stored = hint or _Stored(_memberships_value(keys), tuple(keys))
        for _ in range(REPLACE_ATTEMPTS):
            try:
                self.client.transact_write_items(
                    TransactItems=self._replace_actions(record, keys, stored, expected)
                )
                self._remember(record.id, _Stored(_memberships_value(keys), tuple(keys)))
                return True
            except ClientError as exc:
                reasons = _cancellation_reasons(exc)
                if not reasons or reasons[0].get("Code") != "ConditionalCheckFailed":
                    raise StorageError(
                        f"DynamoDB write of article {record.id} failed: {_error_text(exc)}"
                    ) from exc
                item = reasons[0].get("Item")
                if expected is not None and not _still(expected, item):
                    return False  # another writer changed the record: the caller re-decides
                stored = self._stored(record.id, item)
            except BotoCoreError as exc:
                raise StorageError(f"DynamoDB write of article {record.id} failed: {exc}") from exc
        raise StorageError(f"article {record.id} kept changing under concurrent updates")

    def _replace_actions(
        self,
        record: IndexRecord,
        keys: Sequence[str],
        stored: _Stored,
        expected: IndexRecord | None = None,
    ) -> list[Any]:
        article: dict[str, Any] = {
            "TableName": self.table,
            "Item": self._article_item(record, keys),
        }
        article["ReturnValuesOnConditionCheckFailure"] = "ALL_OLD"
        names = {"#m": "memberships"}
        values: dict[str, Any] = {}
        if stored.value is None:
            condition = "attribute_not_exists(#m)"
        else:
            condition = "#m = :m"
            values[":m"] = {"S": stored.value}
        if expected is not None:
            # Optimistic concurrency: the record is still the one the caller decided against.
            condition += " AND #h = :h AND #f = :f"
            names.update({"#h": "content_hash", "#f": "feeds"})
            values[":h"] = {"S": expected.content_hash}
            values[":f"] = _serializer.serialize(list(expected.feeds))
        article["ConditionExpression"] = condition
        article["ExpressionAttributeNames"] = names
        if values:
            article["ExpressionAttributeValues"] = values
        deletes = [
            {"Delete": {"TableName": self.table, "Key": {"pk": {"S": f"T#{record.id}#{key}"}}}}
            for key in sorted(set(stored.keys) - set(keys))
        ]
        return [{"Put": article}, *self._term_puts(record, keys), *deletes]

    def _stored(self, article_id: str, item: dict[str, Any] | None) -> _Stored:
        """The stored article's memberships, from the item a cancelled transaction returned,
        else read (a missing article has none)."""
        if item is not None:
            return _stored_of(_from_item(item))
        found = list(self._batch_get([f"A#{article_id}"]))
        return _stored_of(found[0] if found else {})

    def latest(
        self, *, limit: int, feed: str | None = None, since: datetime | None = None
    ) -> list[IndexRecord]:
        since_key = utc_sort_key(since) if since else None
        stop = since_key[:7] if since_key else OLDEST_MONTH
        found: list[IndexRecord] = []
        known = self.months_with_articles()
        # Months with articles, newest first; a table written before month markers existed
        # has none, and is walked month by month instead (`newswire reindex` adds them).
        months = (
            sorted((m for m in known if m >= stop), reverse=True)
            if known
            else list(_months_back(datetime.now(UTC), stop))
        )
        for month in months:
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
        return self._newest(query, limit)

    def _newest(self, query: dict[str, Any], limit: int) -> list[IndexRecord]:
        """The first `limit` records of a newest-first index query, ties broken by id: reads
        on past the limit while the next items share the last one's `published`."""
        if limit <= 0:
            return []
        out: list[IndexRecord] = []
        try:
            pages = self.client.get_paginator("query").paginate(
                **query, PaginationConfig={"PageSize": min(limit + 1, 1000)}
            )
            for page in pages:
                out.extend(record_from_dict(_from_item(i)) for i in page.get("Items", []))
                if len(out) > limit and _published(out[-1]) < _published(out[limit - 1]):
                    break
        except (ClientError, BotoCoreError) as exc:
            raise StorageError(f"DynamoDB query failed: {_error_text(exc)}") from exc
        return _sort_newest_first(out)[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, *, limit: int) -> list[IndexRecord]:
        if len(term.encode("utf-8")) > MAX_TERM_BYTES:
            return []  # never given a term item (see MAX_TERM_BYTES)
        return self._newest(
            {
                "TableName": self.table,
                "IndexName": TERM_INDEX,
                "KeyConditionExpression": "#t = :t",
                "ExpressionAttributeNames": {"#t": "term"},
                "ExpressionAttributeValues": {":t": {"S": _term_key(taxonomy, term)}},
                "ScanIndexForward": False,
            },
            limit,
        )

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
