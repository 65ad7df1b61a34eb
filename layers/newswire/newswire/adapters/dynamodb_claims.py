"""The claims of the DynamoDB index (newswire.ports.Claim): one part of DynamoIndex.

Items:
  pk = "K#<article id>"     the article's claim: `key`, `feed`, `at`, and `stories` (the
                            story keys it holds), written once, before the article's object
  pk = "N#<digest>"         a story key (newswire.identity) held by `owner`; the key itself is
                            hashed: a URL may be longer than a DynamoDB key may be
The slug claim (`S#<section>/<slug>`) is written in the same transaction as the article's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newswire.adapters.aws_errors import (
    REASON_CONDITION_FAILED,
    TRANSACTION_CANCELLED,
    Declined,
    aws_errors,
)
from newswire.adapters.dynamodb_items import from_item, to_item
from newswire.ports import Claim, ClaimResult

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def story_pk(story: str) -> str:
    return "N#" + hashlib.blake2b(story.encode("utf-8"), digest_size=16).hexdigest()


def _result(item: dict[str, Any]) -> ClaimResult:
    data = from_item(item)
    return ClaimResult(str(data["key"]), str(data.get("feed", "")), _time(data.get("at")))


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


class DynamoClaims:
    """Claims: one transaction per claim (its article, slug and story items)."""

    client: DynamoDBClient
    table: str
    _batch_get: Callable[[Sequence[str]], Iterator[dict[str, Any]]]  # DynamoBatches'

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        return [self._claim(claim) for claim in claims]

    def _claim(self, claim: Claim) -> ClaimResult:
        stories = list(dict.fromkeys(claim.stories))
        at = claim.at.isoformat(timespec="seconds")
        item = {"pk": f"K#{claim.id}", "key": claim.key, "feed": claim.feed, "at": at}
        actions: list[Any] = [
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item({**item, "stories": stories} if stories else item),
                    "ConditionExpression": "attribute_not_exists(pk)",
                    "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                }
            },
            {
                "Put": {
                    "TableName": self.table,
                    "Item": to_item({"pk": f"S#{claim.section}/{claim.slug}", "owner": claim.id}),
                    "ConditionExpression": "attribute_not_exists(pk) OR #o = :id",
                    "ExpressionAttributeNames": {"#o": "owner"},
                    "ExpressionAttributeValues": {":id": {"S": claim.id}},
                }
            },
            *(
                {
                    "Put": {
                        "TableName": self.table,
                        "Item": to_item({"pk": story_pk(story), "owner": claim.id}),
                        "ConditionExpression": "attribute_not_exists(pk) OR #o = :id",
                        "ExpressionAttributeNames": {"#o": "owner"},
                        "ExpressionAttributeValues": {":id": {"S": claim.id}},
                        "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
                    }
                }
                for story in stories
            ),
        ]
        try:
            with aws_errors(f"DynamoDB claim of {claim.id}", declined=[TRANSACTION_CANCELLED]):
                self.client.transact_write_items(TransactItems=actions)
        except Declined as declined:
            codes = declined.reason_codes
            if codes[:1] == [REASON_CONDITION_FAILED]:
                held = declined.reasons[0].get("Item")
                if held is None:
                    found = list(self._batch_get([f"K#{claim.id}"]))
                    held = to_item(found[0]) if found else None
                if held is None:  # claimed and removed in between: claim again
                    return self._claim(claim)
                return _result(held)
            for reason, code in zip(declined.reasons[2:], codes[2:], strict=False):
                if code == REASON_CONDITION_FAILED:
                    owner = from_item(reason.get("Item") or {}).get("owner")
                    return ClaimResult(None, story=str(owner) if owner else None)
            if codes[1:2] == [REASON_CONDITION_FAILED]:
                return ClaimResult(None)
            raise
        return ClaimResult(claim.key, claim.feed, claim.at)

    def story_owners(self, stories: Sequence[str]) -> dict[str, str]:
        by_pk = {story_pk(story): story for story in stories}
        return {
            by_pk[str(item["pk"])]: str(item["owner"])
            for item in self._batch_get(list(by_pk))
            if "owner" in item
        }

    def claims(self, ids: Sequence[str]) -> dict[str, str]:
        return {
            str(item["pk"])[2:]: str(item["key"])
            for item in self._batch_get([f"K#{i}" for i in ids])
            if "key" in item
        }

    def _claim_deletes(self, article_id: str) -> list[Any]:
        """The actions that delete the article's claims (inside remove's transaction)."""
        found = list(self._batch_get([f"K#{article_id}"]))
        stories = [str(s) for s in found[0].get("stories", [])] if found else []
        return [
            {"Delete": {"TableName": self.table, "Key": {"pk": {"S": pk}}}}
            for pk in (f"K#{article_id}", *(story_pk(s) for s in stories))
        ]
