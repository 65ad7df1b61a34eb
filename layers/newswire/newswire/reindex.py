"""Rebuild the index from the Markdown files: the front matter carries every indexed field."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from newswire.decide import content_hash
from newswire.identity import story_keys
from newswire.merge import article_from_page
from newswire.models import IndexRecord, StoredPage
from newswire.ports import ArticleIndex, Claim, ContentStore
from newswire.render import read_page
from newswire.sections import is_section_index
from newswire.slugs import parse_content_key

log = logging.getLogger("newswire.reindex")


@dataclass(frozen=True)
class ReindexSummary:
    added: int
    replaced: int
    failed: tuple[str, ...]
    """One line per page not indexed: its key and why."""
    duplicates: tuple[str, ...] = ()
    """Pages whose article id another page's claim names: `<key>: duplicate of <key>`."""
    removed: tuple[str, ...] = ()
    """The duplicates deleted (`remove_duplicates`)."""


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
    remove_duplicates: bool = False,
    now: datetime | None = None,
) -> ReindexSummary:
    """Index every page, in key order. Each page claims its article id first, as ingest does:
    when two pages carry one id, the one the claim names (after a lost index: the first in key
    order) is indexed and the other is reported as a duplicate (and deleted with
    `remove_duplicates`). A page that cannot be read or indexed is counted as failed, and the
    others go on."""
    at = now or datetime.now(UTC)
    added = replaced = 0
    failed: list[str] = []
    duplicates: list[str] = []
    removed: list[str] = []
    for key in sorted(store.keys("content/")):
        if not key.endswith(".md") or is_section_index(key):
            continue
        try:
            data = store.get(key)
            if data is None:
                continue
            record = record_from_markdown(key, data)
            owner = _claim(index, key, record, read_page(data), at)
            if owner is None:
                raise ValueError(f"its slug belongs to another article in {record.section}")
            if owner != key:
                duplicates.append(f"{key}: duplicate of {owner} (article {record.id})")
                log.warning("duplicate page", extra={"key": key, "claimed": owner})
                if remove_duplicates:
                    store.delete(key)
                    removed.append(key)
            elif index.add(record):
                added += 1
            else:
                index.replace(record)
                replaced += 1
        except Exception as exc:  # one unreadable page must not stop the others
            log.warning("page not indexed", extra={"key": key, "error": str(exc)})
            failed.append(f"{key}: {_reason(exc)}")
        if on_page is not None:
            on_page(key)
    return ReindexSummary(
        added=added, replaced=replaced, failed=tuple(failed), duplicates=tuple(duplicates),
        removed=tuple(removed),
    )  # fmt: skip


def _claim(
    index: ArticleIndex, key: str, record: IndexRecord, page: StoredPage, at: datetime
) -> str | None:
    """The key the page's article is claimed at (claiming it for this page if unclaimed), or
    None if its slug is another article's."""
    feed = record.feeds[0] if record.feeds else ""
    stories = story_keys(article_from_page(page, record))
    claim = Claim(record.id, key, record.section, record.slug, feed, at, stories)
    [result] = index.claim_many([claim])
    if result.story is not None:
        # Its story keys are another page's (pages from before clustering): indexed all the
        # same, under its own id.
        [result] = index.claim_many([dataclasses.replace(claim, stories=())])
    return result.key


def _reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:300]
