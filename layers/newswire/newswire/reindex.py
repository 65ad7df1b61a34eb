"""Rebuild the index from the Markdown files: the front matter carries every indexed field."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newswire.decide import content_hash
from newswire.models import IndexRecord, RelatedLink
from newswire.ports import ArticleIndex, ContentStore, SlugTaken, StorageError
from newswire.render import parse_markdown
from newswire.slugs import SLUG_PATTERN

log = logging.getLogger("newswire.reindex")


@dataclass(frozen=True)
class ReindexSummary:
    added: int
    replaced: int
    failed: tuple[str, ...]


def record_from_markdown(key: str, data: bytes) -> IndexRecord:
    """The index record of one stored page (raises ValueError for anything that is not one)."""
    parts = key.split("/")
    if len(parts) != 5 or parts[0] != "content" or not parts[4].endswith(".md"):
        raise ValueError(f"{key}: not a content/<section>/<YYYY>/<MM>/<slug>.md key")
    meta, body = parse_markdown(data)
    slug = parts[4].removesuffix(".md")
    if not SLUG_PATTERN.match(slug) or meta.get("slug") != slug:
        raise ValueError(f"{key}: the slug in the front matter does not match the key")

    def text(name: str) -> str:
        value = meta.get(name, "")
        return value if isinstance(value, str) else ""

    def strings(name: str) -> tuple[str, ...]:
        value = meta.get(name) or []
        return tuple(str(v) for v in value) if isinstance(value, list) else ()

    related = tuple(
        RelatedLink(str(r.get("title", "")), str(r.get("url", "")), r.get("publisher") or None)
        for r in meta.get("related") or []
        if isinstance(r, dict)
    )
    digest = content_hash(
        title=text("title"), description=text("description"), summary=text("summary"),
        link=text("link"), categories=strings("categories"), tags=strings("tags"), body=body,
        publisher=meta.get("publisher"), publisher_url=meta.get("publisher_url"),
        related=related,
    )  # fmt: skip
    return IndexRecord(
        id=str(meta["id"]),
        key=key,
        section=parts[1],
        slug=slug,
        title=text("title"),
        date=_datetime(meta["date"]),
        link=text("link"),
        feeds=strings("feed"),
        content_hash=digest,
        publisher=meta.get("publisher"),
        lastmod=_datetime(meta["lastmod"]) if meta.get("lastmod") else None,
        summary=text("summary"),
        image=text("image") or None,
        tags=strings("tags"),
        categories=strings("categories"),
        hidden=meta.get("draft") is True,  # `newswire hide` made the page a draft
    )


def _datetime(value: Any) -> datetime:
    when = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    if when.tzinfo is None:
        raise ValueError(f"timestamp without a UTC offset: {value!r}")
    return when


def reindex(
    store: ContentStore,
    index: ArticleIndex,
    *,
    on_page: Callable[[str], None] | None = None,
) -> ReindexSummary:
    added = replaced = 0
    failed: list[str] = []
    for key in store.keys("content/"):
        if not key.endswith(".md"):
            continue
        try:
            data = store.get(key)
            if data is None:
                continue
            record = record_from_markdown(key, data)
            if index.add(record):
                added += 1
            else:
                index.replace(record)
                replaced += 1
        except (ValueError, KeyError, StorageError, SlugTaken) as exc:
            log.warning("page not indexed", extra={"key": key, "error": str(exc)})
            failed.append(f"{key}: {exc}")
        if on_page is not None:
            on_page(key)
    return ReindexSummary(added=added, replaced=replaced, failed=tuple(failed))
