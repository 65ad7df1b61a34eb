"""Pure: compare a freshly normalized Article with what the index holds, and say what to do.

Does not interact with any dependency; it only processes values.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from newswire.models import Article, IndexRecord, Outcome, RelatedLink


def content_hash(
    *,
    title: str,
    description: str,
    summary: str,
    link: str,
    categories: Iterable[str],
    tags: Iterable[str],
    body: str,
    publisher: str | None,
    publisher_url: str | None,
    related: Iterable[RelatedLink],
) -> str:
    """A digest of what a reader sees, from values that are all in the rendered page, so that
    `newswire reindex` can recompute it from the Markdown alone. The image and url_original are
    left out: opt-in enrichment may fill them after this is computed."""
    fields = {
        "title": title, "description": description, "summary": summary, "link": link,
        "categories": list(categories), "tags": list(tags), "body": body,
        "publisher": publisher or "", "publisher_url": publisher_url or "",
        "related": [(r.title, r.url, r.publisher or "") for r in related],
    }  # fmt: skip
    data = json.dumps(fields, sort_keys=True, ensure_ascii=False).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:32]


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    article: Article
    key: str | None = None
    """The existing storage key for an update; None for a new article (the key is chosen then)."""


def decide(article: Article, existing: IndexRecord | None, now: datetime) -> Decision:
    if existing is None:
        return Decision(Outcome.NEW, article)
    if existing.hidden:
        # Taken down by an editor (`newswire hide`): a feed that carries it again changes
        # nothing, neither its page (a draft) nor its record.
        return Decision(Outcome.UNCHANGED, article, existing.key)
    feeds = existing.feeds + tuple(f for f in article.feeds if f not in existing.feeds)
    content_changed = article.content_hash != existing.content_hash
    if not content_changed and feeds == existing.feeds:
        return Decision(Outcome.UNCHANGED, article, existing.key)
    # An article keeps its first section, slug and date: its key never changes after the first
    # write. `lastmod` moves only when the content changed, not when one more feed lists it.
    final = dataclasses.replace(
        article,
        feeds=feeds,
        section=existing.section,
        slug=existing.slug,
        date=existing.date,
        lastmod=now if content_changed else existing.lastmod,
    )
    return Decision(Outcome.UPDATED, final, existing.key)


def index_record(article: Article, key: str, first_seen: datetime) -> IndexRecord:
    return IndexRecord(
        id=article.id,
        key=key,
        section=article.section,
        slug=article.slug,
        title=article.title,
        date=article.date,
        link=article.link,
        feeds=article.feeds,
        content_hash=article.content_hash,
        publisher=article.publisher,
        lastmod=article.lastmod,
        first_seen=first_seen,
        summary=article.summary,
        image=article.image,
        tags=article.tags,
        categories=article.categories,
    )
