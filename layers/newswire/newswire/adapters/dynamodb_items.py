"""The items of newswire's DynamoDB table, as DynamoIndex writes and reads them.

Table layout (the schema itself lives once, in template.yaml):
  pk = "A#<article id>"        article record; `month` + `published` feed the ByMonth index;
                               `memberships` is a digest of the keys of its term items (below),
                               which its tags, categories and publisher give; no `section` or
                               `slug` when its key gives them (read back by record_of)
  pk = "S#<section>/<slug>"    slug claim, made with the article's claim (dynamodb_claims),
                               else by its add (DynamoIndex.add), before any other write
  pk = "T#<article id>#<taxonomy>#<term>"
                               term membership: what a list shows of the article
                               (codec.LISTING_FIELDS, well under 1 KB) plus `term` =
                               "<taxonomy>#<term>", which with `published` feeds the ByTerm
                               index (lists per tag, category, publisher). A new article's are
                               written before it; an update writes them, and deletes the items
                               of the terms the article no longer has, in its transaction.
                               Items written by earlier versions are whole copies of the
                               record: read alike (by_term keeps the listing fields)
  pk = "M#<YYYY-MM>"           month marker: `month` = "months" and `published` = the month, so
                               one ByMonth query lists the months that hold articles
  pk = "F#<feed id>"           feed state (validators, last status, errors, not-before), and
                               the feed's ingest lease (lease_owner, lease_until) on the same
                               item, so a feed that is not modified costs two requests in all

The article id comes first in a term item's key: ids are hex, so the key splits one way only
whatever characters a term holds.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from newswire.adapters.codec import LISTING_FIELDS, key_parts, record_from_dict, record_to_dict
from newswire.models import IndexRecord, Taxonomy

MONTH_INDEX = "ByMonth"
TERM_INDEX = "ByTerm"
MONTHS_PARTITION = "months"  # the ByMonth partition of the month-marker items
MAX_MEMBERSHIPS = 48
"""Terms an article is listed under on DynamoDB (its first, in IndexRecord.terms' order).
A transaction holds at most 100 actions: an add is 2 + 48, a replace at most 1 + 48 puts + 48
deletes of the terms it drops."""
DIGEST_PREFIX = "sha256:"
MAX_TERM_BYTES = 1024
"""Longer terms get no term item: DynamoDB keys are at most 2048 bytes, and no list is named so."""
log = logging.getLogger("newswire.adapters.dynamodb")
K = TypeVar("K")
V = TypeVar("V")
serializer = TypeSerializer()
_deserializer = TypeDeserializer()


def remember(memory: dict[K, V], key: K, value: V, limit: int) -> None:
    """Put `key` in `memory` as its newest entry, and forget the oldest beyond `limit` (the
    caller holds the memory's lock): what an instance remembers between calls stays bounded."""
    memory.pop(key, None)
    memory[key] = value
    while len(memory) > limit:
        del memory[next(iter(memory))]


def to_item(data: dict[str, Any]) -> dict[str, Any]:
    return {k: serializer.serialize(v) for k, v in data.items()}


def from_item(item: dict[str, Any]) -> dict[str, Any]:
    return {k: _deserializer.deserialize(v) for k, v in item.items()}


def term_key(taxonomy: Taxonomy, term: str) -> str:
    return f"{taxonomy}#{term}"


def memberships(record: IndexRecord) -> list[str]:
    """The `<taxonomy>#<term>` keys the record is listed under, sorted, at most MAX_MEMBERSHIPS.
    None for a hidden record: a replace that hides an article deletes its term items."""
    if record.hidden:
        return []
    keys = [
        term_key(taxonomy, term)
        for taxonomy, term in record.terms
        if len(term.encode("utf-8")) <= MAX_TERM_BYTES
    ]
    if len(keys) > MAX_MEMBERSHIPS:
        log.warning(
            "article listed under its first terms only",
            extra={"article": record.id, "terms": len(keys), "listed": MAX_MEMBERSHIPS},
        )
    return sorted(keys[:MAX_MEMBERSHIPS])


def memberships_value(keys: Sequence[str]) -> str:
    """The article item's `memberships`: a digest of its term keys, not the keys, which follow
    from the item's own tags, categories and publisher (stored_of derives them), so that every
    new article's item is ~200 bytes smaller. A string: DynamoDB conditions compare strings."""
    joined = json.dumps(sorted(keys), ensure_ascii=False, separators=(",", ":"))
    return DIGEST_PREFIX + hashlib.sha256(joined.encode("utf-8")).hexdigest()[:16]


def article_item(record: IndexRecord, keys: Sequence[str]) -> dict[str, Any]:
    data = record_to_dict(record)
    del data["day"]  # no reader: bytes billed on every write
    if key_parts(record.key) == {"section": record.section, "slug": record.slug}:
        # Read back from the key (record_of): ~80 bytes of every write, which keep most
        # articles' items within one write unit (1 KB).
        del data["section"], data["slug"]
    data["pk"] = f"A#{record.id}"
    if not record.hidden:  # no `month`: a hidden article stays out of the ByMonth index
        data["month"] = record.month
    data["memberships"] = memberships_value(keys)
    return to_item(data)


def record_of(data: dict[str, Any]) -> IndexRecord:
    """The record of an article item (plain values), its section and slug from its key where
    the item leaves them out (article_item)."""
    return record_from_dict({**key_parts(str(data["key"])), **data})


def term_items(record: IndexRecord, keys: Sequence[str]) -> list[dict[str, Any]]:
    """The record's term items: its listing fields only (each item is written, and billed,
    once per term), no `month` (term items stay out of ByMonth)."""
    data = record_to_dict(record)
    listing = {k: data[k] for k in LISTING_FIELDS if k in data}
    return [to_item({**listing, "pk": f"T#{record.id}#{key}", "term": key}) for key in keys]


def month_marker_item(month: str) -> dict[str, Any]:
    return to_item({"pk": f"M#{month}", "month": MONTHS_PARTITION, "published": month})


@dataclass(frozen=True)
class Stored:
    """What a replace must know of the stored article: its `memberships` attribute (None when
    the item lacks it) and the term keys whose items may exist."""

    value: str | None
    keys: tuple[str, ...]

    @classmethod
    def of(cls, keys: Sequence[str]) -> Stored:
        return cls(memberships_value(keys), tuple(keys))


def stored_of(data: dict[str, Any]) -> Stored:
    """The Stored of an article item (plain values; empty when there is no such article)."""
    value = data.get("memberships")
    if isinstance(value, str) and not value.startswith(DIGEST_PREFIX):
        # Written by an earlier version: the JSON list of the keys themselves.
        return Stored(value, tuple(str(k) for k in json.loads(value)))
    if isinstance(value, str):
        keys = tuple(memberships(record_of(data)))
        if memberships_value(keys) != value:
            # Only if the rules of `memberships` changed since the item was written: items of
            # terms the old rules made and the new ones do not are left (`newswire reindex`
            # after such a change rewrites every article).
            log.warning("term keys of a stored article changed rules", extra={"pk": data.get("pk")})
        return Stored(value, keys)
    # Written before term items existed (or missing): nothing to compare with; delete what its
    # fields would have made, harmlessly if they were never written.
    return Stored(None, tuple(memberships(record_of(data))) if data else ())


def still(expected: IndexRecord, item: dict[str, Any] | None) -> bool:
    """Whether a stored article item (as a cancelled transaction returned it) still has the
    content hash and feeds the caller read."""
    if item is None:
        return False
    data = from_item(item)
    feeds = tuple(str(f) for f in data.get("feeds", []))
    return (data.get("content_hash"), feeds) == (expected.content_hash, expected.feeds)


def replace_actions(
    table: str,
    record: IndexRecord,
    keys: Sequence[str],
    stored: Stored,
    expected: IndexRecord | None = None,
) -> list[Any]:
    """A replace's transaction: the article, written only if its stored memberships are still
    `stored` (and, with `expected`, its content hash and feeds are still those), its term
    items, and the deletion of the term items it no longer has."""
    article: dict[str, Any] = {
        "TableName": table,
        "Item": article_item(record, keys),
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
        values[":f"] = serializer.serialize(list(expected.feeds))
    article["ConditionExpression"] = condition
    article["ExpressionAttributeNames"] = names
    if values:
        article["ExpressionAttributeValues"] = values
    deletes = [
        {"Delete": {"TableName": table, "Key": {"pk": {"S": f"T#{record.id}#{key}"}}}}
        for key in sorted(set(stored.keys) - set(keys))
    ]
    puts = [{"Put": {"TableName": table, "Item": item}} for item in term_items(record, keys)]
    return [{"Put": article}, *puts, *deletes]
