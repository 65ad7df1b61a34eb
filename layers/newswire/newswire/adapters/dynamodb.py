"""ArticleIndex on one DynamoDB table (its items: newswire.adapters.dynamodb_items)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from newswire.adapters.aws_errors import (
    CONDITION_FAILED,
    REASON_CONDITION_FAILED,
    TRANSACTION_CANCELLED,
    Declined,
    aws_errors,
)
from newswire.adapters.codec import listing_from_dict, state_from_dict
from newswire.adapters.dynamodb_batch import DynamoBatches, old_item
from newswire.adapters.dynamodb_claims import DynamoClaims, slug_pk
from newswire.adapters.dynamodb_feeds import DynamoFeedStates
from newswire.adapters.dynamodb_items import (
    MAX_TERM_BYTES,
    MONTH_INDEX,
    MONTHS_PARTITION,
    TERM_INDEX,
    Stored,
    article_item,
    from_item,
    memberships,
    month_marker_item,
    record_of,
    remember,
    replace_actions,
    still,
    stored_of,
    term_items,
    term_key,
    to_item,
)
from newswire.models import (
    OLDEST_MONTH,
    FeedState,
    IndexRecord,
    Taxonomy,
    months_between,
    newest_first,
    utc_month,
    utc_sort_key,
)
from newswire.ports import IndexWrite, SlugTaken, StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

REPLACE_ATTEMPTS = 5
MEMBERSHIP_HINTS = 4096


class DynamoIndex(DynamoBatches, DynamoClaims, DynamoFeedStates):
    """ArticleIndex on one DynamoDB table."""

    def __init__(self, client: DynamoDBClient, table: str) -> None:
        self.client = client
        self.table = table
        # What the articles this instance last read or wrote had stored as memberships: the
        # first guess of a replace (an ingest reads an article before it updates it). A hint
        # only: a wrong one costs a cancelled request, never a stale term item.
        self._hints: dict[str, Stored] = {}
        self._hints_lock = threading.Lock()
        # The months this instance has written a month marker for (see _month_items).
        self._marked_months: set[str] = set()
        self._sealed: dict[str, str] = {}  # see DynamoClaims
        self._sealed_lock = threading.Lock()

    def _remember(self, article_id: str, stored: Stored) -> None:
        with self._hints_lock:
            remember(self._hints, article_id, stored, MEMBERSHIP_HINTS)

    def get_records(self, ids: Sequence[str]) -> dict[str, IndexRecord]:
        found: dict[str, IndexRecord] = {}
        for item in self._batch_get([f"A#{i}" for i in ids]):
            record = record_of(item)
            found[record.id] = record
            self._remember(record.id, stored_of(item))
        return found

    def get_feed_states(self, feed_ids: Sequence[str]) -> dict[str, FeedState]:
        items = self._batch_get([f"F#{f}" for f in feed_ids])
        states = (state_from_dict(item) for item in items if "url" in item)
        return {state.feed_id: state for state in states}

    def _puts(self, items: Sequence[dict[str, Any]]) -> list[Any]:
        return [{"Put": {"TableName": self.table, "Item": item}} for item in items]

    def add(self, record: IndexRecord) -> bool:
        (result,) = self._add_many([record])
        if isinstance(result, SlugTaken):
            raise result
        return result

    def _add_many(self, records: Sequence[IndexRecord]) -> list[bool | SlugTaken]:
        """Add each record: its slug claim, its term items, then the article itself.

        No transaction: DynamoDB bills a transactional write twice, and every step is a
        conditional or repeatable put of the same item. The slug comes first, so a slug that
        another article holds stops the add before anything is written; it is not written
        again when this instance's claim_many made the article's claim (or found it whole),
        which holds that slug. The article comes last: until it exists the next run finds the
        article new and writes all three again. A crash in between leaves a claim that its own
        article id owns (the retry passes its condition) and term items that list an article
        whose index record comes with the retry. Of two concurrent adds of one article the
        article put of one fails; that one rewrites the term items from the stored article
        (see _settle_terms)."""
        results: list[bool | SlugTaken] = []
        claimed: list[IndexRecord] = []
        for record in records:
            try:
                if self._sealed_slug(record.id) != slug_pk(record.section, record.slug):
                    self._claim_slug(record)
            except SlugTaken as taken:
                results.append(taken)
                continue
            results.append(True)
            claimed.append(record)
        keys = {r.id: memberships(r) for r in claimed}
        self._put_items([item for r in claimed for item in term_items(r, keys[r.id])])
        written = {r.id: self._put_article(r, keys[r.id]) for r in claimed}
        return [
            written[r.id] if result is True else result
            for r, result in zip(records, results, strict=True)
        ]

    def _claim_slug(self, record: IndexRecord) -> None:
        claim = slug_pk(record.section, record.slug)
        try:
            with aws_errors(f"DynamoDB slug claim of {record.id}", declined=[CONDITION_FAILED]):
                self.client.put_item(
                    TableName=self.table,
                    Item=to_item({"pk": claim, "owner": record.id}),
                    ConditionExpression="attribute_not_exists(pk) OR #o = :id",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":id": {"S": record.id}},
                )
        except Declined as declined:
            raise SlugTaken(f"slug {claim[2:]} belongs to another article") from declined

    def _put_article(self, record: IndexRecord, keys: Sequence[str]) -> bool:
        """The article item, if it is not there yet (False, its term items settled, if it
        is), and its month's marker."""
        try:
            with aws_errors(f"DynamoDB write of {record.id}", declined=[CONDITION_FAILED]):
                self.client.put_item(
                    TableName=self.table,
                    Item=article_item(record, keys),
                    ConditionExpression="attribute_not_exists(pk)",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except Declined as declined:
            self._settle_terms(record.id, keys, old_item(declined))
            return False
        self._remember(record.id, Stored.of(keys))
        self._put_items(self._month_items(record))
        if not record.hidden:
            self._marked_months.add(record.month)
        return True

    def _settle_terms(
        self, article_id: str, ours: Sequence[str], item: dict[str, Any] | None
    ) -> None:
        """After losing a race to add an article: the term items we wrote may have replaced
        the winner's. Write the winner's again (from its stored article) and delete ours that
        it does not have."""
        if item is not None:
            data: dict[str, Any] | None = from_item(item)
        else:
            data = next(iter(self._batch_get([f"A#{article_id}"])), None)
        if data is None:
            return
        stored = stored_of(data)
        self._put_items(term_items(record_of(data), stored.keys))
        self._delete_items(sorted(f"T#{article_id}#{k}" for k in set(ours) - set(stored.keys)))

    def months_with_articles(self) -> set[str]:
        """From the month markers (one query); a table written before they existed has none
        and is asked month by month, from its newest article's month back to OLDEST_MONTH."""
        markers = self._month_markers()
        if markers:
            return markers
        newest = self.latest(limit=1)
        if not newest:
            return set()
        start = max(newest[0].month, OLDEST_MONTH)
        return {m for m in months_between(start, OLDEST_MONTH) if self.by_month(m, limit=1)}

    def _month_markers(self) -> set[str]:
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
        with aws_errors("DynamoDB query"):
            for page in self.client.get_paginator("query").paginate(**query):
                found.update(str(i["published"]["S"]) for i in page.get("Items", []))
        return found

    def _month_items(self, record: IndexRecord) -> list[dict[str, Any]]:
        """The article's month marker, unless this instance already wrote it: once a month per
        process, and idempotent across processes."""
        month = record.month
        if record.hidden or month in self._marked_months:
            return []  # a hidden article is listed nowhere: its month is not one with articles
        return [month_marker_item(month)]

    def write_many(self, writes: Sequence[IndexWrite]) -> list[bool]:
        # One transaction per article, as add and replace: a DynamoDB transaction holds at most
        # 100 items, and one article's is already ~12 (its terms), so a feed's do not fit.
        results: list[bool] = []
        for write in writes:
            try:
                if write.new and write.expected is None:
                    results.append(self.add(write.record))
                else:
                    results.append(self.replace(write.record, expected=write.expected))
            except SlugTaken:
                results.append(False)
        return results

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
        stored = hint or Stored.of(keys)
        for _ in range(REPLACE_ATTEMPTS):
            try:
                with aws_errors(
                    f"DynamoDB write of article {record.id}", declined=[TRANSACTION_CANCELLED]
                ):
                    # The month marker too: `newswire reindex` replaces every article, so a
                    # table that predates the markers gets them (once a month per process).
                    self.client.transact_write_items(
                        TransactItems=[
                            *replace_actions(self.table, record, keys, stored, expected),
                            *self._puts(self._month_items(record)),
                        ]
                    )
                self._remember(record.id, Stored.of(keys))
                if not record.hidden:
                    self._marked_months.add(record.month)
                return True
            except Declined as declined:
                if declined.reason_codes[:1] != [REASON_CONDITION_FAILED]:
                    raise
                item = declined.reasons[0].get("Item")
                if expected is not None and not still(expected, item):
                    return False  # another writer changed the record: the caller re-decides
                stored = self._stored(record.id, item)
        raise StorageError(f"article {record.id} kept changing under concurrent updates")

    def _stored(self, article_id: str, item: dict[str, Any] | None) -> Stored:
        """The stored article's memberships, from the item a cancelled transaction returned,
        else read (a missing article has none)."""
        if item is not None:
            return stored_of(from_item(item))
        found = list(self._batch_get([f"A#{article_id}"]))
        return stored_of(found[0] if found else {})

    def remove(self, record: IndexRecord) -> None:
        """One transaction: the article, its slug claim and its term items (the ones its
        stored `memberships` name, on condition that they are still those)."""
        claim_owned = True
        for _ in range(REPLACE_ATTEMPTS):
            found = list(self._batch_get([f"A#{record.id}"]))
            if not found:
                return
            stored, indexed = stored_of(found[0]), record_of(found[0])
            article: dict[str, Any] = {
                "TableName": self.table,
                "Key": {"pk": {"S": f"A#{record.id}"}},
            }
            if stored.value is not None:
                article["ConditionExpression"] = "#m = :m"
                article["ExpressionAttributeNames"] = {"#m": "memberships"}
                article["ExpressionAttributeValues"] = {":m": {"S": stored.value}}
            claim = {
                "TableName": self.table,
                "Key": {"pk": {"S": slug_pk(indexed.section, indexed.slug)}},
                "ConditionExpression": "attribute_not_exists(pk) OR #o = :id",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":id": {"S": record.id}},
            }
            terms = [
                {"Delete": {"TableName": self.table, "Key": {"pk": {"S": f"T#{record.id}#{k}"}}}}
                for k in stored.keys
            ]
            actions: list[Any] = [
                {"Delete": article},
                *([{"Delete": claim}] if claim_owned else []),
                *terms,
                *self._claim_deletes(record.id),
            ]
            try:
                with aws_errors(
                    f"DynamoDB removal of article {record.id}", declined=[TRANSACTION_CANCELLED]
                ):
                    self.client.transact_write_items(TransactItems=actions)
            except Declined as declined:
                if declined.reason_codes[:1] == [REASON_CONDITION_FAILED]:
                    continue  # its terms changed meanwhile: read again
                if claim_owned and declined.reason_codes[1:2] == [REASON_CONDITION_FAILED]:
                    claim_owned = False  # the slug is another article's: leave its claim
                    continue
                raise
            with self._hints_lock:
                self._hints.pop(record.id, None)
            self._sealed_slug(record.id)  # its claim is gone: an add claims its slug again
            return
        raise StorageError(f"article {record.id} kept changing while it was being removed")

    def latest(
        self, *, limit: int, feed: str | None = None, since: datetime | None = None
    ) -> list[IndexRecord]:
        since_key = utc_sort_key(since) if since else None
        stop = since_key[:7] if since_key else OLDEST_MONTH
        found: list[IndexRecord] = []
        known = self._month_markers()
        # Months with articles, newest first; a table written before month markers existed
        # has none, and is walked month by month instead (`newswire reindex` adds them).
        months = (
            sorted((m for m in known if m >= stop), reverse=True)
            if known
            else months_between(utc_month(datetime.now(UTC)), stop)
        )
        for month in months:
            found.extend(self._query_month(month, limit - len(found), feed, since_key))
            if len(found) >= limit:
                break
        return found[:limit]

    def _query_month(
        self,
        month: str,
        limit: int,
        feed: str | None,
        since_key: str | None,
        day: str | None = None,
    ) -> list[IndexRecord]:
        condition = "#m = :m"
        values: dict[str, Any] = {":m": {"S": month}}
        names = {"#m": "month"}
        if day:
            condition += " AND begins_with(published, :day)"
            values[":day"] = {"S": day}
        elif since_key:
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

    def _newest(
        self,
        query: dict[str, Any],
        limit: int,
        read: Callable[[dict[str, Any]], IndexRecord] = record_of,
    ) -> list[IndexRecord]:
        """The first `limit` records of a newest-first index query, ties broken by id: reads
        on past the limit while the next items share the last one's `published`."""
        if limit <= 0:
            return []
        out: list[IndexRecord] = []
        with aws_errors("DynamoDB query"):
            pages = self.client.get_paginator("query").paginate(
                **query, PaginationConfig={"PageSize": min(limit + 1, 1000)}
            )
            for page in pages:
                out.extend(read(from_item(i)) for i in page.get("Items", []))
                if len(out) > limit and out[-1].published < out[limit - 1].published:
                    break
        # An index query returns items with equal sort keys in no defined order.
        return newest_first(out)[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, *, limit: int) -> list[IndexRecord]:
        if len(term.encode("utf-8")) > MAX_TERM_BYTES:
            return []  # never given a term item (see MAX_TERM_BYTES)
        return self._newest(
            {
                "TableName": self.table,
                "IndexName": TERM_INDEX,
                "KeyConditionExpression": "#t = :t",
                "ExpressionAttributeNames": {"#t": "term"},
                "ExpressionAttributeValues": {":t": {"S": term_key(taxonomy, term)}},
                "ScanIndexForward": False,
            },
            limit,
            listing_from_dict,  # term items hold what a list shows, no more
        )

    def by_month(self, month: str, *, limit: int) -> list[IndexRecord]:
        return self._query_month(month, limit, None, None)

    def by_day(self, day: str, *, limit: int) -> list[IndexRecord]:
        return self._query_month(day[:7], limit, None, None, day=day)

    def count_day(self, day: str, *, before: str | None = None) -> int:
        """Select=COUNT on the day's range of the ByMonth sort key (no item comes back); ties
        on `published` are told apart by the item's id, in a filter."""
        names = {"#m": "month"}
        values: dict[str, Any] = {":m": {"S": day[:7]}, ":day": {"S": f"{day}T"}}
        query: dict[str, Any] = {"TableName": self.table, "IndexName": MONTH_INDEX}
        if before is None:
            condition = "#m = :m AND begins_with(published, :day)"
        else:
            published, _, article_id = before.partition(" ")
            condition = "#m = :m AND published BETWEEN :day AND :p"
            values |= {":p": {"S": published}, ":id": {"S": article_id}}
            query["FilterExpression"] = "published < :p OR id < :id"
        query |= {
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "Select": "COUNT",
        }
        with aws_errors("DynamoDB query"):
            pages = self.client.get_paginator("query").paginate(**query)
            return sum(int(page.get("Count", 0)) for page in pages)

    def days_with_articles(self, month: str) -> set[str]:
        """One request per day of the month, each counting at most one item."""
        found: set[str] = set()
        for number in range(1, 32):
            day = f"{month}-{number:02d}"
            query: dict[str, Any] = {
                "TableName": self.table,
                "IndexName": MONTH_INDEX,
                "KeyConditionExpression": "#m = :m AND begins_with(published, :day)",
                "ExpressionAttributeNames": {"#m": "month"},
                "ExpressionAttributeValues": {":m": {"S": month}, ":day": {"S": day}},
                "Select": "COUNT",
                "Limit": 1,
            }
            with aws_errors("DynamoDB query"):
                if self.client.query(**query).get("Count", 0):
                    found.add(day)
        return found
