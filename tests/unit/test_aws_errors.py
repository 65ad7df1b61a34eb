"""The one translation of AWS errors: what escapes an AWS adapter is a StorageError whose
message names the action and the service's code, and only the codes a caller expects come
out as Declined."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from newswire.adapters.aws_errors import Declined, aws_errors
from newswire.ports import StorageError


def client_error(code: str, message: str = "no", **extra: Any) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": message}, **extra}
    return ClientError(response, "Op")


def test_a_service_error_becomes_a_storage_error_naming_action_and_code() -> None:
    with pytest.raises(StorageError) as caught, aws_errors("S3 put of k"):
        raise client_error("InternalError", "internal error")
    assert type(caught.value) is StorageError
    assert str(caught.value) == "S3 put of k failed: InternalError: internal error"
    assert isinstance(caught.value.__cause__, ClientError)


def test_a_client_error_becomes_a_storage_error() -> None:
    with (
        pytest.raises(StorageError, match=r"^SQS send failed: Could not connect"),
        aws_errors("SQS send"),
    ):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")


def test_only_the_expected_codes_are_declined() -> None:
    with pytest.raises(Declined) as caught, aws_errors("lease", declined=["Conditional"]):
        raise client_error("Conditional")
    assert caught.value.code == "Conditional"
    assert caught.value.reasons == []
    with pytest.raises(StorageError) as other, aws_errors("lease", declined=["Conditional"]):
        raise client_error("Throttled")
    assert not isinstance(other.value, Declined)


def test_a_cancelled_transaction_carries_its_reasons_in_order() -> None:
    reasons = [{"Code": "None"}, {"Code": "ConditionalCheckFailed", "Item": {"pk": {"S": "x"}}}]
    with pytest.raises(Declined) as caught, aws_errors("write", declined=["Cancelled"]):
        raise client_error("Cancelled", CancellationReasons=reasons)
    assert caught.value.reason_codes == ["None", "ConditionalCheckFailed"]
    assert caught.value.reasons[1]["Item"] == {"pk": {"S": "x"}}
    assert str(caught.value) == "write failed: Cancelled: no"


def test_other_exceptions_pass_through_untouched() -> None:
    with pytest.raises(KeyError), aws_errors("S3 get of k"):
        raise KeyError("Body")
