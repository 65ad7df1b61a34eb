"""The one translation of AWS errors into the ports' StorageError, for every AWS adapter.

A request fails in two ways that callers treat alike (botocore's ClientError from the service,
BotoCoreError from the client: connection, timeout, retries spent), and is declined in one way
that some callers expect: a conditional request whose condition did not hold.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from contextlib import contextmanager
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from newswire.ports import StorageError

TRANSACTION_CANCELLED = "TransactionCanceledException"
CONDITION_FAILED = "ConditionalCheckFailedException"
REASON_CONDITION_FAILED = "ConditionalCheckFailed"
"""The code a cancelled transaction gives each action whose condition did not hold."""


class Declined(StorageError):
    """A request the service refused with one of the codes its caller expects (a condition that
    did not hold, a cancelled transaction). Caught where expected; left uncaught it is the
    StorageError its message says."""

    def __init__(self, message: str, code: str, reasons: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.code = code
        self.reasons = reasons
        """A cancelled transaction's reasons, one per action in order (else empty)."""

    @property
    def reason_codes(self) -> list[str | None]:
        return [reason.get("Code") for reason in self.reasons]


def error_code(exc: ClientError) -> str | None:
    return exc.response.get("Error", {}).get("Code")


def error_text(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'Error')}: {error.get('Message', '')}".strip(": ")
    return str(exc)


@contextmanager
def aws_errors(action: str, *, declined: Collection[str] = ()) -> Iterator[None]:
    """Raise what fails inside as StorageError("<action> failed: <code>: <message>"), or as
    Declined when the service's error code is one of `declined`."""
    try:
        yield
    except ClientError as exc:
        message = f"{action} failed: {error_text(exc)}"
        code = error_code(exc)
        if code is not None and code in declined:
            reasons: list[dict[str, Any]] = exc.response.get("CancellationReasons") or []  # type: ignore[assignment]
            raise Declined(message, code, reasons) from exc
        raise StorageError(message) from exc
    except BotoCoreError as exc:
        raise StorageError(f"{action} failed: {error_text(exc)}") from exc
