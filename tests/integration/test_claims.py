"""Claims on DynamoDB without a transaction (docs/design.md, "Claims on DynamoDB"): a
conditional put per key (the slug, the story keys in sorted order, the claim item last), what a
claim that loses a later key leaves (nothing), what a crash between the puts leaves and how the
next claim completes it, and two claims of one id interleaved at the points where a release and
a claim item need the same key. moto, the table created from template.yaml.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError

from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.dynamodb_claims import story_pk
from newswire.adapters.dynamodb_items import from_item
from newswire.models import IndexRecord
from newswire.ports import Claim, ClaimResult, StorageError
from newswire.slugs import content_key
from tests.conftest import REGION

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


class Died(BaseException):
    """The process killed between two requests (not an Exception: nothing may catch it)."""


@pytest.fixture
def make_index(dynamodb_client: DynamoDBClient, index_table: str) -> Callable[[], DynamoIndex]:
    """A new DynamoIndex and client on the same table for each call: another process."""
    return lambda: DynamoIndex(boto3.client("dynamodb", region_name=REGION), index_table)


def claim(n: int, slug: str, *stories: str, feed: str = "wire", section: str = "news") -> Claim:
    key = content_key(section, WHEN, slug)
    return Claim(f"{n:020x}", key, section, slug, feed, WHEN, stories)


def claim_items(index: DynamoIndex) -> dict[str, dict[str, Any]]:
    """Every claim item in the table (slug, story key, claim), by pk, read directly."""
    found: dict[str, dict[str, Any]] = {}
    for page in index.client.get_paginator("scan").paginate(
        TableName=index.table, ConsistentRead=True
    ):
        for item in page["Items"]:
            if item["pk"]["S"][:2] in ("S#", "N#", "K#"):
                found[item["pk"]["S"]] = from_item(item)
    return found


def owners(index: DynamoIndex) -> dict[str, str]:
    """pk → owner of every slug and story item; pk → key of every claim item."""
    return {
        pk: str(item["owner"] if "owner" in item else item["key"])
        for pk, item in claim_items(index).items()
    }


def made(result: ClaimResult, c: Claim) -> bool:
    return (result.key, result.feed, result.story) == (c.key, c.feed, None)


def in_order(*stories: str) -> tuple[str, ...]:
    """The stories in the order a claim puts them (their items' keys sorted)."""
    return tuple(sorted(stories, key=story_pk))


def before_put(index: DynamoIndex, pk_prefix: str, action: Callable[[], None]) -> None:
    """Run `action` once, just before the index's first PutItem or TransactWriteItems whose
    (first) item's key starts with `pk_prefix`."""
    done = False

    def hook(params: dict[str, Any], **_: Any) -> None:
        nonlocal done
        item = params.get("Item") or params["TransactItems"][0].get("Put", {}).get("Item", {})
        if not done and str(item.get("pk", {}).get("S", "")).startswith(pk_prefix):
            done = True
            action()

    for operation in ("PutItem", "TransactWriteItems"):
        index.client.meta.events.register(f"before-parameter-build.dynamodb.{operation}", hook)


def test_a_claim_is_one_conditional_put_per_key_and_no_transaction(
    make_index: Callable[[], DynamoIndex],
) -> None:
    index = make_index()
    sent: list[tuple[str, str]] = []

    def record(event_name: str, params: dict[str, Any], **_: Any) -> None:
        sent.append((event_name.rsplit(".", 1)[-1], params.get("Item", {}).get("pk", {}).get("S")))

    index.client.meta.events.register("before-parameter-build.dynamodb.*", record)
    first, second = in_order("url:harbour.example/a", "title:ferry strike|harbour times|2026-01-05")
    c = claim(1, "ferry-strike", first, second)
    assert made(index.claim_many([c])[0], c)
    # The slug, the story keys in their sorted order, the claim item last: plain puts (a
    # transaction bills each item twice).
    assert sent == [
        ("PutItem", "S#news/ferry-strike"),
        ("PutItem", story_pk(first)),
        ("PutItem", story_pk(second)),
        ("PutItem", f"K#{c.id}"),
    ]
    assert owners(index) == {
        "S#news/ferry-strike": c.id,
        story_pk(first): c.id,
        story_pk(second): c.id,
        f"K#{c.id}": c.key,
    }


def test_the_add_after_the_claim_does_not_write_the_slug_again(
    make_index: Callable[[], DynamoIndex],
) -> None:
    index = make_index()
    c = claim(1, "ferry-strike", "url:harbour.example/a")
    index.claim_many([c])
    sent: list[str] = []
    index.client.meta.events.register(
        "before-parameter-build.dynamodb.PutItem",
        lambda params, **_: sent.append(params["Item"]["pk"]["S"]),
    )
    record = IndexRecord(
        id=c.id, key=c.key, section=c.section, slug=c.slug, title="Ferry strike ends",
        date=WHEN, link="https://harbour.example/a", feeds=(c.feed,), content_hash="0" * 32,
    )  # fmt: skip
    assert index.add(record)
    assert sent == [f"A#{c.id}"]  # the article only: its claim holds the slug
    # Another instance (no claim made there) claims the slug before anything else, as ever:
    # its own article's, so the condition holds.
    other = make_index()
    again = dataclasses.replace(record, id=f"{2:020x}", slug="strike-over")
    again = dataclasses.replace(again, key=content_key("news", WHEN, "strike-over"))
    other.client.meta.events.register(
        "before-parameter-build.dynamodb.PutItem",
        lambda params, **_: sent.append(params["Item"]["pk"]["S"]),
    )
    sent.clear()
    assert other.add(again)
    assert sent == ["S#news/strike-over", f"A#{again.id}"]


def test_a_key_lost_after_others_releases_the_ones_this_claim_created(
    make_index: Callable[[], DynamoIndex],
) -> None:
    index = make_index()
    early, late = in_order("url:harbour.example/a", "url:harbour.example/b")
    holder = claim(9, "another-story", late)
    assert made(index.claim_many([holder])[0], holder)
    before = owners(index)

    # The slug and the first story key are created, the second is the holder's: both created
    # keys are deleted again, and the claim says whose story it is.
    loser = claim(1, "ferry-strike", early, late)
    [result] = index.claim_many([loser])
    assert (result.key, result.story) == (None, holder.id)
    assert owners(index) == before
    assert index.claims([loser.id]) == {} and index.story_owners([early]) == {}

    # Released means free: another article gets that slug and that story key.
    taker = claim(2, "ferry-strike", early)
    assert made(index.claim_many([taker])[0], taker)


def test_a_slug_lost_reports_a_held_story_first_as_the_transaction_did(
    make_index: Callable[[], DynamoIndex],
) -> None:
    index = make_index()
    slug_owner, story_owner = claim(8, "ferry-strike"), claim(9, "other", "url:harbour.example/a")
    index.claim_many([slug_owner, story_owner])
    [result] = index.claim_many([claim(1, "ferry-strike", "url:harbour.example/a")])
    assert (result.key, result.story) == (None, story_owner.id)
    [result] = index.claim_many([claim(1, "ferry-strike")])
    assert (result.key, result.story) == (None, None)
    # And a claimed id is reported as claimed, whatever its keys meet.
    [result] = index.claim_many([claim(9, "ferry-strike", "url:elsewhere.example/x")])
    assert (result.key, result.feed, result.at) == (story_owner.key, "wire", WHEN)
    assert owners(index)["S#news/ferry-strike"] == slug_owner.id


def test_a_crash_between_the_puts_is_completed_by_the_next_claim(
    make_index: Callable[[], DynamoIndex],
) -> None:
    crashing = make_index()
    story = "url:harbour.example/a"
    c = claim(1, "ferry-strike", story)

    def die() -> None:
        raise Died

    before_put(crashing, "K#", die)
    with pytest.raises(Died):
        crashing.claim_many([c])
    # The slug and the story key are the id's, and there is no claim: nothing to take over,
    # and no object was written (it comes after the claim).
    assert owners(crashing) == {"S#news/ferry-strike": c.id, story_pk(story): c.id}
    assert crashing.claims([c.id]) == {}

    # Until the id comes back, its keys are not another article's to take.
    index = make_index()
    [slug_taken] = index.claim_many([claim(2, "ferry-strike")])
    assert (slug_taken.key, slug_taken.story) == (None, None)
    [story_taken] = index.claim_many([claim(3, "other-slug", story)])
    assert (story_taken.key, story_taken.story) == (None, c.id)

    # The next claim of the id (its feed's next run) finds the keys its own and completes it.
    assert made(index.claim_many([c])[0], c)
    assert owners(index) == {
        "S#news/ferry-strike": c.id,
        story_pk(story): c.id,
        f"K#{c.id}": c.key,
    }
    assert index.claims([c.id]) == {c.id: c.key}


def test_a_claim_of_the_same_id_that_loses_the_claim_item_keeps_only_the_winners_keys(
    make_index: Callable[[], DynamoIndex],
) -> None:
    # Two feeds carry one article under different headlines (two slugs) and one story URL.
    story = "url:harbour.example/a"
    mine = claim(1, "ferry-strike-ends", story, feed="topic")
    theirs = claim(1, "strike-over", story, feed="search", section="world")
    late, early = make_index(), make_index()
    results: list[ClaimResult] = []
    before_put(late, "K#", lambda: results.extend(early.claim_many([theirs])))
    [result] = late.claim_many([mine])
    # The other claim found the story key already the id's, and wrote its claim item first.
    assert made(results[0], theirs)
    assert (result.key, result.feed) == (theirs.key, "search")
    # The loser's own slug is released; the story key, which the winner names, stays.
    assert owners(late) == {
        "S#world/strike-over": mine.id,
        story_pk(story): mine.id,
        f"K#{mine.id}": theirs.key,
    }


@dataclass
class Race:
    """The same article in two feeds. The losing run's claim creates the slug and the first
    story key, then meets the second, another article's, and releases; the winning run's claim
    (another slug, the first story key only) finds that story key already the id's."""

    first: str
    second: str
    index: DynamoIndex
    other: Claim
    losing: Claim
    winning: Claim
    loser: DynamoIndex
    winner: DynamoIndex

    @classmethod
    def of(cls, make_index: Callable[[], DynamoIndex]) -> Race:
        first, second = in_order("url:harbour.example/a", "url:harbour.example/b")
        index = make_index()
        other = claim(9, "other-story", second)
        index.claim_many([other])
        losing = claim(1, "ferry-strike", first, second, feed="topic")
        winning = claim(1, "strike-over", first, feed="search", section="world")
        return cls(first, second, index, other, losing, winning, make_index(), make_index())

    def assert_the_winner_holds_every_key_it_names(self) -> None:
        assert owners(self.index) == {
            "S#news/other-story": self.other.id,
            story_pk(self.second): self.other.id,
            f"K#{self.other.id}": self.other.key,
            "S#world/strike-over": self.winning.id,
            story_pk(self.first): self.winning.id,
            f"K#{self.winning.id}": self.winning.key,
        }


def test_a_release_and_a_claim_item_needing_one_key_never_both_pass(
    make_index: Callable[[], DynamoIndex],
) -> None:
    # The winner writes its claim item right after the loser's release.
    race = Race.of(make_index)
    at_claim_item, released = threading.Event(), threading.Event()
    won: list[ClaimResult] = []
    thread = threading.Thread(target=lambda: won.extend(race.winner.claim_many([race.winning])))

    def winner_waits() -> None:
        at_claim_item.set()
        assert released.wait(10)

    def winner_starts() -> None:
        thread.start()
        assert at_claim_item.wait(10)

    before_put(race.winner, "K#", winner_waits)
    before_put(race.loser, story_pk(race.second), winner_starts)
    race.loser.client.meta.events.register(
        "after-call.dynamodb.TransactWriteItems", lambda **_: released.set()
    )
    [lost] = race.loser.claim_many([race.losing])
    thread.join(10)
    assert (lost.key, lost.story) == (None, race.other.id)
    # The winner's check of the shared key failed, and it claimed again (creating the key
    # itself): every key its claim item names is its id's.
    assert made(won[0], race.winning)
    race.assert_the_winner_holds_every_key_it_names()


def test_a_release_after_the_claim_item_leaves_the_keys_it_names(
    make_index: Callable[[], DynamoIndex],
) -> None:
    # The winner writes its claim item before the loser releases: the release is refused as a
    # whole, and only the keys that claim item does not name are deleted.
    race = Race.of(make_index)
    won: list[ClaimResult] = []
    before_put(
        race.loser,
        story_pk(race.second),
        lambda: won.extend(race.winner.claim_many([race.winning])),
    )
    [lost] = race.loser.claim_many([race.losing])
    assert made(won[0], race.winning)
    # The id is claimed: that is what the losing claim is told, as the transaction told it.
    assert (lost.key, lost.feed, lost.story) == (race.winning.key, "search", None)
    race.assert_the_winner_holds_every_key_it_names()


def test_an_add_after_the_article_was_removed_claims_its_slug_again(
    make_index: Callable[[], DynamoIndex],
) -> None:
    index = make_index()
    c = claim(1, "ferry-strike")
    index.claim_many([c])
    record = IndexRecord(
        id=c.id, key=c.key, section=c.section, slug=c.slug, title="Ferry strike ends",
        date=WHEN, link="https://harbour.example/a", feeds=(c.feed,), content_hash="0" * 32,
    )  # fmt: skip
    assert index.add(record)
    index.claim_many([c])  # found whole: remembered as this instance's
    index.remove(record)
    assert owners(index) == {}
    # The claim it remembered is gone with the article: the add claims the slug first.
    assert index.add(record)
    assert owners(index) == {"S#news/ferry-strike": c.id}


def test_a_fault_part_way_releases_the_keys_this_claim_created(
    make_index: Callable[[], DynamoIndex],
) -> None:
    index = make_index()
    c = claim(1, "ferry-strike", "url:harbour.example/a")

    def fault() -> None:
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")

    before_put(index, "K#", fault)
    with pytest.raises(StorageError):
        index.claim_many([c])
    # Nothing is left held: a claim of the same id with another slug and story (its
    # headline edited before the next run) would never free these keys.
    assert owners(index) == {}
    key = content_key("news", WHEN, "ferry-strike-ends")
    edited = dataclasses.replace(
        c, key=key, slug="ferry-strike-ends", stories=("url:harbour.example/ends",)
    )
    assert made(index.claim_many([edited])[0], edited)
    taker = claim(2, "ferry-strike", "url:harbour.example/a")
    assert made(index.claim_many([taker])[0], taker)


def test_a_story_key_let_go_while_lost_is_claimed_again_not_reported_as_a_taken_slug(
    make_index: Callable[[], DynamoIndex],
) -> None:
    index = make_index()
    story = "url:harbour.example/a"
    holder = claim(9, "another-story", story)
    assert made(index.claim_many([holder])[0], holder)
    c = claim(1, "ferry-strike", story)
    # The holder lets its story go between this claim's lost put and its read of the owner.
    released = False

    def let_go(params: dict[str, Any], **_: Any) -> None:
        nonlocal released
        if not released and params.get("TransactItems", [{}])[0].get("ConditionCheck"):
            released = True
            index.client.delete_item(TableName=index.table, Key={"pk": {"S": story_pk(story)}})

    index.client.meta.events.register("before-parameter-build.dynamodb.TransactWriteItems", let_go)
    assert made(index.claim_many([c])[0], c)
    assert released
