"""FeedQueue on an SQS queue."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from newswire.adapters.aws_errors import aws_errors
from newswire.ports import StorageError

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

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
                with aws_errors("SQS send"):
                    response = self.client.send_message_batch(
                        QueueUrl=self.queue_url, Entries=entries
                    )
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
            with aws_errors("SQS receive"):
                response = self.client.receive_message(
                    QueueUrl=dead_letter_url, MaxNumberOfMessages=SQS_BATCH, WaitTimeSeconds=1
                )
            messages = response.get("Messages", [])
            if not messages:
                break
            # Sent first, deleted second: a crash in between repeats a message, never loses it.
            self.send([m["Body"] for m in messages])
            with aws_errors("SQS delete"):
                self.client.delete_message_batch(
                    QueueUrl=dead_letter_url,
                    Entries=[
                        {"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]}
                        for i, m in enumerate(messages)
                    ],
                )
            moved += len(messages)
        return moved
