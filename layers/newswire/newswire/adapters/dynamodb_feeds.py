"""The feed-state items of the DynamoDB index (validators, back-off, lease): one part of
DynamoIndex, kept in its own module so that the article side stays readable."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newswire.adapters.aws_errors import CONDITION_FAILED, Declined, aws_errors
from newswire.adapters.codec import state_from_dict, state_to_dict
from newswire.adapters.dynamodb_items import from_item, to_item
from newswire.models import FeedState, utc_sort_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

MARK_THREADS = 16
"""Concurrent conditional updates of a dispatch: 2,000 due feeds are ~125 rounds, not 2,000."""


class DynamoFeedStates:
    """Feed state and leases, one item per feed (`F#<feed id>`) in the index's table.

    A dispatched feed's item also carries `queued_until` (mark_queued). save_feed_state puts
    the whole item, without it, and release_lease removes it: either way the mark goes once a
    worker has handled the feed."""

    client: DynamoDBClient
    table: str

    def save_feed_state(self, state: FeedState, *, owner: str | None = None) -> None:
        data = state_to_dict(state)
        data["pk"] = f"F#{state.feed_id}"
        request: dict[str, Any] = {"TableName": self.table, "Item": to_item(data)}
        if owner is not None:
            # Writing the item without lease fields releases our lease; if it expired and
            # another worker holds the feed now, its lease and its state win.
            request["ConditionExpression"] = "attribute_not_exists(lease_owner) OR lease_owner = :o"
            request["ExpressionAttributeValues"] = {":o": {"S": owner}}
        try:
            with aws_errors(f"DynamoDB write of feed {state.feed_id}", declined=[CONDITION_FAILED]):
                self.client.put_item(**request)
        except Declined:
            return

    def feed_states(self) -> list[FeedState]:
        states: list[FeedState] = []
        with aws_errors("DynamoDB scan of feed states"):
            for page in self.client.get_paginator("scan").paginate(
                TableName=self.table,
                FilterExpression="begins_with(pk, :f)",
                ExpressionAttributeValues={":f": {"S": "F#"}},
            ):
                items = (from_item(i) for i in page.get("Items", []))
                states.extend(state_from_dict(i) for i in items if "url" in i)
        return sorted(states, key=lambda s: s.feed_id)

    def acquire_lease(
        self, feed_id: str, owner: str, *, now: datetime, until: datetime
    ) -> tuple[bool, FeedState | None]:
        try:
            with aws_errors(f"DynamoDB lease of {feed_id}", declined=[CONDITION_FAILED]):
                response = self.client.update_item(
                    TableName=self.table,
                    Key={"pk": {"S": f"F#{feed_id}"}},
                    UpdateExpression="SET lease_owner = :o, lease_until = :u",
                    ConditionExpression=(
                        "attribute_not_exists(lease_until) OR lease_until < :now"
                        " OR lease_owner = :o"
                    ),
                    ExpressionAttributeValues={
                        ":o": {"S": owner},
                        ":u": {"S": utc_sort_key(until)},
                        ":now": {"S": utc_sort_key(now)},
                    },
                    ReturnValues="ALL_NEW",
                )
        except Declined:
            return False, None
        item = from_item(dict(response.get("Attributes") or {}))
        # An item that holds only a lease (first fetch ever) has no state yet.
        return True, state_from_dict(item) if "url" in item else None

    def release_lease(self, feed_id: str, owner: str) -> None:
        try:
            with aws_errors(f"DynamoDB release of {feed_id}", declined=[CONDITION_FAILED]):
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": {"S": f"F#{feed_id}"}},
                    UpdateExpression="REMOVE lease_owner, lease_until, queued_until",
                    ConditionExpression="lease_owner = :o",
                    ExpressionAttributeValues={":o": {"S": owner}},
                )
        except Declined:
            return

    def mark_queued(self, feed_ids: Sequence[str], *, now: datetime, until: datetime) -> list[str]:
        def mark(feed_id: str) -> bool:
            try:
                with aws_errors(f"DynamoDB queued mark of {feed_id}", declined=[CONDITION_FAILED]):
                    self.client.update_item(
                        TableName=self.table,
                        Key={"pk": {"S": f"F#{feed_id}"}},
                        UpdateExpression="SET queued_until = :u",
                        ConditionExpression=(
                            "attribute_not_exists(queued_until) OR queued_until < :now"
                        ),
                        ExpressionAttributeValues={
                            ":u": {"S": utc_sort_key(until)},
                            ":now": {"S": utc_sort_key(now)},
                        },
                    )
            except Declined:
                return False
            return True

        unique = list(dict.fromkeys(feed_ids))
        with ThreadPoolExecutor(max_workers=MARK_THREADS) as pool:
            marked = list(pool.map(mark, unique))
        return [feed_id for feed_id, ok in zip(unique, marked, strict=True) if ok]

    def clear_queued(self, feed_ids: Sequence[str]) -> None:
        for feed_id in dict.fromkeys(feed_ids):
            with aws_errors(f"DynamoDB queued mark of {feed_id}"):
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": {"S": f"F#{feed_id}"}},
                    UpdateExpression="REMOVE queued_until",
                )
