"""Index records and feed states as flat dicts of strings, numbers and lists.

Both index adapters store these shapes (DynamoDB as item attributes, SQLite as JSON), so the two
backends hold the same fields under the same names.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any

from newswire.models import FINGERPRINT_CHARS, FeedState, IndexRecord


def _ts(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def _dt(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def record_to_dict(record: IndexRecord) -> dict[str, Any]:
    published = record.published
    data: dict[str, Any] = {
        "id": record.id,
        "key": record.key,
        "section": record.section,
        "slug": record.slug,
        "title": record.title,
        "date": _ts(record.date),
        "published": published,
        # The UTC day is what `published` (the UTC time, "%Y-%m-%dT...") has before its "T":
        # not converted and formatted a second time.
        "day": published.partition("T")[0],
        "link": record.link,
        "feeds": list(record.feeds),
        "content_hash": record.content_hash,
        "publisher": record.publisher,
        "lastmod": _ts(record.lastmod),
        "first_seen": _ts(record.first_seen),
        "summary": record.summary,
        "image": record.image,
        "tags": list(record.tags),
        "categories": list(record.categories),
        "hidden": True if record.hidden else None,  # absent unless hidden: shapes unchanged
    }
    return {k: v for k, v in data.items() if v is not None}


LISTING_FIELDS = (
    "id",
    "key",
    "title",
    "date",
    "published",
    "publisher",
    "lastmod",
    "summary",
    "image",
    "tags",
    "categories",
)
"""What a list shows of each article (a list page's entry, a feed of a tag), section and slug
read from the key: what ArticleIndex.by_term returns on both backends, all that DynamoDB's
term items hold, and all that its ByTerm index projects (template.yaml). Not the `link` (a
list links to the article's own page; a Google News redirect alone is 300-450 bytes)."""


def listing_of(record: IndexRecord) -> IndexRecord:
    """The record as a list holds it: the fields outside LISTING_FIELDS emptied."""
    return dataclasses.replace(record, link="", content_hash="", feeds=(), first_seen=None)


def key_parts(key: str) -> dict[str, str]:
    """The section and slug of a key, content/<section>/<YYYY>/<MM>/<slug>.md, read as a path:
    a key made under other slug rules still gives them."""
    return {"section": key.split("/")[1], "slug": key.rsplit("/", 1)[-1].removesuffix(".md")}


def listing_from_dict(data: dict[str, Any]) -> IndexRecord:
    """A listing from a term item, thin or (written by an earlier version) a whole record;
    section and slug from the key."""
    derived = key_parts(str(data["key"]))
    return listing_of(record_from_dict({**derived, "content_hash": "", **data}))


def record_from_dict(data: dict[str, Any]) -> IndexRecord:
    date = _dt(data["date"])
    assert date is not None
    return IndexRecord(
        id=str(data["id"]),
        key=str(data["key"]),
        section=str(data["section"]),
        slug=str(data["slug"]),
        title=str(data["title"]),
        date=date,
        link=str(data.get("link", "")),
        feeds=tuple(str(f) for f in data.get("feeds", [])),
        content_hash=str(data["content_hash"]),
        publisher=data.get("publisher"),
        lastmod=_dt(data.get("lastmod")),
        first_seen=_dt(data.get("first_seen")),
        summary=str(data.get("summary", "")),
        image=data.get("image"),
        tags=tuple(str(t) for t in data.get("tags", [])),
        categories=tuple(str(c) for c in data.get("categories", [])),
        hidden=bool(data.get("hidden", False)),
    )


def state_to_dict(state: FeedState) -> dict[str, Any]:
    data: dict[str, Any] = {
        "feed_id": state.feed_id,
        "url": state.url,
        "etag": state.etag,
        "last_modified": state.last_modified,
        "body_hash": state.body_hash,
        "last_fetch": _ts(state.last_fetch),
        "last_status": state.last_status,
        "consecutive_errors": state.consecutive_errors,
        "not_before": _ts(state.not_before),
        "articles_total": state.articles_total,
        "failing_since": _ts(state.failing_since),
        "not_before_from_server": state.not_before_from_server,
        # One string of fixed-width tokens: a list would cost DynamoDB bytes per element, and
        # the state is written with every run.
        "fingerprints": "".join(state.fingerprints) or None,
    }
    return {k: v for k, v in data.items() if v is not None}


def state_from_dict(data: dict[str, Any]) -> FeedState:
    return FeedState(
        feed_id=str(data["feed_id"]),
        url=str(data["url"]),
        etag=data.get("etag"),
        last_modified=data.get("last_modified"),
        body_hash=data.get("body_hash"),
        last_fetch=_dt(data.get("last_fetch")),
        last_status=str(data.get("last_status", "never fetched")),
        consecutive_errors=int(data.get("consecutive_errors", 0)),
        not_before=_dt(data.get("not_before")),
        articles_total=int(data.get("articles_total", 0)),
        failing_since=_dt(data.get("failing_since")),
        not_before_from_server=bool(data.get("not_before_from_server", False)),
        fingerprints=_tokens(str(data.get("fingerprints") or "")),
    )


def _tokens(joined: str) -> tuple[str, ...]:
    width = FINGERPRINT_CHARS
    return tuple(joined[i : i + width] for i in range(0, len(joined) - width + 1, width))
