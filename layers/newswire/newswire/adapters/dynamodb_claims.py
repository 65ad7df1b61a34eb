"""The claims of the DynamoDB index (newswire.ports.Claim): one part of DynamoIndex.

Items:
  pk = "S#<section>/<slug>"  the slug, held by `owner` (an article id)
  pk = "N#<digest>"          a story key (newswire.identity) held by `owner`; the key itself is
                             hashed: a URL may be longer than a DynamoDB key may be
  pk = "K#<article id>"      the article's claim: `key`, `feed`, `at`, and `stories` (the story
                             keys it holds), written last: it exists only once the slug and
                             every story key are the article's

No transaction on the way that succeeds (DynamoDB bills each item of one twice): a claim is one
conditional put per key, the slug first, then the story keys in sorted order, then the claim
item. A key another article holds stops the claim, and the keys this call created are deleted
again. docs/design.md ("Claims on DynamoDB") argues why this keeps issue 12's guarantees.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from newswire.adapters.aws_errors import (
    CONDITION_FAILED,
    REASON_CONDITION_FAILED,
    TRANSACTION_CANCELLED,
    Declined,
    aws_errors,
)
from newswire.adapters.codec import key_parts
from newswire.adapters.dynamodb_batch import old_item
from newswire.adapters.dynamodb_items import from_item, remember, to_item
from newswire.ports import Claim, ClaimResult, StorageError

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

CLAIM_ATTEMPTS = 5
"""Tries of one claim while the items it meets keep changing under it (a claim of the same id
released meanwhile, or made and removed)."""
SEALED_MEMORY = 4096
"""Claims this instance made or found whole, remembered until their article is added."""


def story_pk(story: str) -> str:
    return "N#" + hashlib.blake2b(story.encode("utf-8"), digest_size=16).hexdigest()


def slug_pk(section: str, slug: str) -> str:
    return f"S#{section}/{slug}"


def _key_slug_pk(key: str) -> str:
    """The slug item of a claim's key."""
    parts = key_parts(key)
    return slug_pk(parts["section"], parts["slug"])


def _held_pks(item: dict[str, Any]) -> set[str]:
    """The slug and story items a claim item's claim holds."""
    stories = [str(s) for s in item.get("stories", [])]
    return {_key_slug_pk(str(item["key"])), *(story_pk(s) for s in stories)}


def _result(data: dict[str, Any]) -> ClaimResult:
    return ClaimResult(str(data["key"]), str(data.get("feed", "")), _time(data.get("at")))


def _time(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


class _Retry(Exception):
    """What the claim met changed under it: claim again."""


class DynamoClaims:
    """Claims: a conditional put per key, the claim item last (see the module's docstring)."""

    client: DynamoDBClient
    table: str
    _batch_get: Callable[[Sequence[str]], Iterator[dict[str, Any]]]  # DynamoBatches'
    _sealed: dict[str, str]
    """Article id → its claim's slug item, for the claims this instance made or found whole:
    the article's add need not claim that slug again (DynamoIndex._add_many)."""
    _sealed_lock: threading.Lock

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        return [self._claim(claim) for claim in claims]

    def _claim(self, claim: Claim) -> ClaimResult:
        for _ in range(CLAIM_ATTEMPTS):
            try:
                return self._try_claim(claim)
            except _Retry:
                continue
        raise StorageError(f"the claim of {claim.id} kept changing under concurrent claims")

    def _try_claim(self, claim: Claim) -> ClaimResult:
        stories = list(dict.fromkeys(claim.stories))
        # A fixed order (slug, then story keys sorted): of two claims that want the same keys,
        # the one that gets the first of them gets the others too, so they cannot keep
        # taking one key each and releasing it. The slug first: a taken slug is the loss a
        # caller cannot see coming (held story keys it looks up before claiming), and stops
        # the claim before it wrote anything.
        wanted = [slug_pk(claim.section, claim.slug), *sorted(story_pk(s) for s in stories)]
        created: list[str] = []
        shared: list[str] = []
        item = {"pk": f"K#{claim.id}", "key": claim.key, "feed": claim.feed}
        item["at"] = claim.at.isoformat(timespec="seconds")
        try:
            for pk in wanted:
                holder = self._hold(pk, claim.id)
                if holder is None:
                    created.append(pk)
                elif holder == claim.id:
                    shared.append(pk)  # this id's already: a claim of it in flight, or cut short
                else:
                    return self._lost(claim, created, on_story=pk != wanted[0])
            claimed = to_item({**item, "stories": stories} if stories else item)
            held = self._put_claim(claimed, shared)
        except StorageError:
            # A fault part way (throttling, the network): the keys this call created go, so
            # that none is left held with no claim item naming it, where a claim of the same
            # id with another slug or other stories (an edited headline) would never free it.
            # If the claim item was written after all, _release finds it and deletes nothing.
            with contextlib.suppress(StorageError):
                self._release(claim.id, created)
            raise
        if held is None:
            self._seal(claim.id, wanted[0])
            return ClaimResult(claim.key, claim.feed, claim.at)
        return self._found(claim.id, held, created)

    def _hold(self, pk: str, owner: str) -> str | None:
        """Put `pk` as `owner`'s unless another article holds it: None if this created it, else
        the article id that holds it (`owner` itself when it was already its)."""
        try:
            with aws_errors(f"DynamoDB claim of {owner}", declined=[CONDITION_FAILED]):
                response = self.client.put_item(
                    TableName=self.table,
                    Item=to_item({"pk": pk, "owner": owner}),
                    ConditionExpression="attribute_not_exists(pk) OR #o = :id",
                    ExpressionAttributeNames={"#o": "owner"},
                    ExpressionAttributeValues={":id": {"S": owner}},
                    ReturnValues="ALL_OLD",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except Declined as declined:
            found = old_item(declined)
            data = from_item(found) if found is not None else self._read(pk)
            if data is None:
                raise _Retry from declined  # released in between: try again
            return str(data.get("owner", ""))
        return owner if response.get("Attributes") else None

    def _put_claim(self, item: dict[str, Any], shared: Sequence[str]) -> dict[str, Any] | None:
        """Write the claim item unless the id is claimed: None when written, else the claim
        found. With keys it found already its id's (`shared`), in one transaction that checks
        they still are: a claim of the same id that loses a key deletes what it created, and a
        claim item must never name a key that is not its article's."""
        article_id = str(item["pk"]["S"])[2:]
        action = f"DynamoDB claim of {article_id}"
        put: dict[str, Any] = {
            "TableName": self.table,
            "Item": item,
            "ConditionExpression": "attribute_not_exists(pk)",
            "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
        }
        try:
            if not shared:
                with aws_errors(action, declined=[CONDITION_FAILED]):
                    self.client.put_item(**put)
                return None
            actions: list[Any] = [{"Put": put}]
            actions += [self._owned_by(pk, article_id, "ConditionCheck") for pk in shared]
            with aws_errors(action, declined=[TRANSACTION_CANCELLED]):
                self.client.transact_write_items(TransactItems=actions)
            return None
        except Declined as declined:
            if declined.code == TRANSACTION_CANCELLED:
                if declined.reason_codes[:1] != [REASON_CONDITION_FAILED]:
                    raise _Retry from declined  # a shared key was released meanwhile
                found = declined.reasons[0].get("Item")
            else:
                found = old_item(declined)
            data = from_item(found) if found is not None else self._read(f"K#{article_id}")
            if data is None:
                raise _Retry from declined  # claimed and removed in between
            return data

    def _owned_by(self, pk: str, owner: str, kind: str) -> dict[str, Any]:
        return {
            kind: {
                "TableName": self.table,
                "Key": {"pk": {"S": pk}},
                "ConditionExpression": "#o = :id",
                "ExpressionAttributeNames": {"#o": "owner"},
                "ExpressionAttributeValues": {":id": {"S": owner}},
            }
        }

    def _lost(self, claim: Claim, created: Sequence[str], *, on_story: bool) -> ClaimResult:
        """A key is another article's: delete the keys this call created, and say what holds
        the claim. As the transaction this replaces did: the id's claim if there is one, else
        a story key's holder, else the slug's."""
        released = self._release(claim.id, created)
        pks = [f"K#{claim.id}", *(story_pk(s) for s in claim.stories)]
        found = {str(item["pk"]): item for item in self._batch_get(pks)}
        held = found.get(pks[0])
        if held is not None:
            if not released:
                self._release_outside(claim.id, created, _held_pks(held))
            return self._found(claim.id, held, ())
        if not released:
            raise _Retry  # the claim item was there, and is no more
        for story in claim.stories:
            owner = found.get(story_pk(story), {}).get("owner")
            if owner is not None and owner != claim.id:
                return ClaimResult(None, story=str(owner))
        if on_story:
            raise _Retry  # the story key's holder let it go since: the slug may well be free
        return ClaimResult(None)

    def _found(self, article_id: str, held: dict[str, Any], created: Sequence[str]) -> ClaimResult:
        """The id was claimed (by another feed's run, or a run cut short): the keys this call
        created that the claim found does not hold are deleted; the ones it holds are its."""
        self._release_outside(article_id, created, _held_pks(held))
        self._seal(article_id, _key_slug_pk(str(held["key"])))
        return _result(held)

    def _release(self, article_id: str, created: Sequence[str]) -> bool:
        """Delete the keys this claim created, in one transaction on condition that the id is
        still unclaimed (False, nothing deleted, if it is claimed): a claim of the same id that
        found them its own may be about to write its claim item naming them, and checks them
        in the same transaction (see _put_claim), so one of the two fails, never both pass."""
        if not created:
            return True
        unclaimed: dict[str, Any] = {
            "ConditionCheck": {
                "TableName": self.table,
                "Key": {"pk": {"S": f"K#{article_id}"}},
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        pending = list(created)
        for _ in range(CLAIM_ATTEMPTS):
            actions: list[Any] = [unclaimed]
            actions += [self._owned_by(pk, article_id, "Delete") for pk in pending]
            try:
                with aws_errors(
                    f"DynamoDB release of {article_id}", declined=[TRANSACTION_CANCELLED]
                ):
                    self.client.transact_write_items(TransactItems=actions)
                return True
            except Declined as declined:
                if declined.reason_codes[:1] == [REASON_CONDITION_FAILED]:
                    return False
            # A key is no longer this id's (an article removal took it), or another request
            # was writing one of them (a transaction conflict): the ones still its, again.
            pending = [pk for pk in pending if self._read(pk, owner=article_id) is not None]
            if not pending:
                return True
        raise StorageError(f"the claim of {article_id} could not be released; next run")

    def _release_outside(self, article_id: str, created: Sequence[str], kept: set[str]) -> None:
        """Delete the keys this call created that the id's claim does not hold: no claim of
        the id can come to need them (its claim item is written, and written once)."""
        for pk in created:
            if pk in kept:
                continue
            try:
                with aws_errors(f"DynamoDB release of {article_id}", declined=[CONDITION_FAILED]):
                    self.client.delete_item(**self._owned_by(pk, article_id, "Delete")["Delete"])
            except Declined:
                continue  # not its own any more: nothing to release

    def _read(self, pk: str, *, owner: str | None = None) -> dict[str, Any] | None:
        found = next(iter(self._batch_get([pk])), None)
        if found is not None and owner is not None and found.get("owner") != owner:
            return None
        return found

    def _seal(self, article_id: str, slug_item: str) -> None:
        with self._sealed_lock:
            remember(self._sealed, article_id, slug_item, SEALED_MEMORY)

    def _sealed_slug(self, article_id: str) -> str | None:
        """The slug item of the id's claim, if this instance made it or found it whole (once:
        forgotten as it is asked)."""
        with self._sealed_lock:
            return self._sealed.pop(article_id, None)

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
