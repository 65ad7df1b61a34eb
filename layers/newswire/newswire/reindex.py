"""Rebuild the index from the Markdown files: the front matter carries every indexed field."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from newswire.decide import content_hash
from newswire.models import IndexRecord
from newswire.ports import ArticleIndex, ContentStore, SlugTaken, StorageError
from newswire.render import read_page
from newswire.sections import is_section_index
from newswire.slugs import parse_content_key

log = logging.getLogger("newswire.reindex")


@dataclass(frozen=True)
class ReindexSummary:
    added: int
    replaced: int
    failed: tuple[str, ...]


def record_from_markdown(key: str, data: bytes) -> IndexRecord:
    """The index record of one stored page (raises ValueError for anything that is not one)."""
    parts = parse_content_key(key)
    page = read_page(data)
    if page.slug != parts.slug:
        raise ValueError(f"{key}: the slug in the front matter does not match the key")
    if page.id is None:
        raise ValueError(f"{key}: the front matter has no id")
    digest = content_hash(
        title=page.title, description=page.description, summary=page.summary, link=page.link,
        categories=page.categories, tags=page.tags, body=page.body, publisher=page.publisher,
        publisher_url=page.publisher_url, related=page.related,
    )  # fmt: skip
    return IndexRecord(
        id=page.id,
        key=key,
        section=parts.section,
        slug=parts.slug,
        title=page.title,
        date=_with_offset(key, "date", page.date),
        link=page.link,
        feeds=page.feeds,
        content_hash=digest,
        publisher=page.publisher,
        lastmod=_with_offset(key, "lastmod", page.lastmod) if page.lastmod else None,
        summary=page.summary,
        image=page.image or None,
        tags=page.tags,
        categories=page.categories,
        hidden=page.draft,  # `newswire hide` made the page a draft
    )


def _with_offset(key: str, name: str, value: datetime | None) -> datetime:
    if value is None or value.tzinfo is None:
        raise ValueError(f"{key}: {name} is not a timestamp with a UTC offset")
    return value


def reindex(
    store: ContentStore,
    index: ArticleIndex,
    *,
    on_page: Callable[[str], None] | None = None,
) -> ReindexSummary:
    added = replaced = 0
    failed: list[str] = []
    for key in store.keys("content/"):
        if not key.endswith(".md") or is_section_index(key):
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
