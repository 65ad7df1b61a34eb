"""Batched requests of the DynamoDB index, unprocessed keys and items retried with back-off: one
part of DynamoIndex. Reads by key (BatchGetItem), and writes of the items that need no condition
(term items, month markers: BatchWriteItem)."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from newswire.adapters.aws_errors import Declined, aws_errors
from newswire.adapters.dynamodb_items import from_item
from newswire.ports import StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

BATCH_GET_LIMIT = 100
BATCH_WRITE_LIMIT = 25
"""Items per BatchWriteItem request (DynamoDB's limit; moto accepts more, DynamoDB does not)."""
BATCH_WRITE_ATTEMPTS = 8


class DynamoBatches:
    """Unconditional puts and deletes, BATCH_WRITE_LIMIT a request: a plain write is billed
    once, where the same item in a transaction is billed twice."""

    client: DynamoDBClient
    table: str

    def _batch_get(self, pks: Sequence[str]) -> Iterator[dict[str, Any]]:
        """Items by key, BATCH_GET_LIMIT keys a request, unprocessed keys retried with back-off."""
        unique = list(dict.fromkeys(pks))
        for start in range(0, len(unique), BATCH_GET_LIMIT):
            keys: list[dict[str, Any]] = [
                {"pk": {"S": pk}} for pk in unique[start : start + BATCH_GET_LIMIT]
            ]
            attempt = 0
            while keys:
                with aws_errors("DynamoDB batch get"):
                    response = self.client.batch_get_item(
                        RequestItems={self.table: {"Keys": keys, "ConsistentRead": True}}
                    )
                for item in response.get("Responses", {}).get(self.table, []):
                    yield from_item(item)
                unprocessed: dict[str, Any] = dict(response.get("UnprocessedKeys") or {})
                keys = list((unprocessed.get(self.table) or {}).get("Keys", []))
                if keys:
                    attempt += 1
                    if attempt > 8:
                        raise StorageError("DynamoDB kept returning unprocessed keys (throttled)")
                    time.sleep(min(0.05 * 2**attempt, 2.0))

    def _put_items(self, items: Sequence[dict[str, Any]]) -> None:
        self._batch_write([{"PutRequest": {"Item": item}} for item in items])

    def _delete_items(self, pks: Sequence[str]) -> None:
        self._batch_write([{"DeleteRequest": {"Key": {"pk": {"S": pk}}}} for pk in pks])

    def _batch_write(self, requests: Sequence[Any]) -> None:
        for start in range(0, len(requests), BATCH_WRITE_LIMIT):
            pending = list(requests[start : start + BATCH_WRITE_LIMIT])
            attempt = 0
            while pending:
                with aws_errors("DynamoDB batch write"):
                    response = self.client.batch_write_item(RequestItems={self.table: pending})
                unprocessed: dict[str, Any] = dict(response.get("UnprocessedItems") or {})
                pending = list(unprocessed.get(self.table) or [])
                if pending:
                    attempt += 1
                    if attempt > BATCH_WRITE_ATTEMPTS:
                        raise StorageError("DynamoDB kept returning unprocessed items (throttled)")
                    time.sleep(min(0.05 * 2**attempt, 2.0))


def old_item(declined: Declined) -> dict[str, Any] | None:
    """The item a declined conditional put found (ReturnValuesOnConditionCheckFailure=ALL_OLD),
    in DynamoDB's typed form; None if the error did not carry it."""
    cause = declined.__cause__
    if isinstance(cause, ClientError):
        item = cause.response.get("Item")
        return dict(item) if isinstance(item, dict) else None
    return None
