"""Pure: compare a freshly normalized Article with what the index holds, and say what to do.

Does not interact with any dependency; it only processes values.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from newswire.merge import content_hash as content_hash  # where reindex and normalize find it
from newswire.merge import merge, same_story_page
from newswire.models import Article, IndexRecord, Outcome


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    article: Article
    key: str | None = None
    """The existing storage key for an update; None for a new article (the key is chosen then)."""


def needs_page(article: Article, existing: IndexRecord) -> bool:
    """Whether deciding needs the stored page (to merge into): not when the record is this
    feed's view alone and unchanged, the common case of a rerun."""
    unchanged = (existing.feeds, existing.content_hash) == (article.feeds, article.content_hash)
    return not (unchanged or existing.hidden)


def decide(
    article: Article, existing: IndexRecord | None, now: datetime, current: Article | None = None
) -> Decision:
    """What to do with one feed's view of a story. `current`: the stored story
    (merge.article_from_page), which the view is merged into; None when needs_page says it
    is not needed, or when the page is lost (the view then stands for it)."""
    if existing is None:
        return Decision(Outcome.NEW, article)
    if existing.hidden:
        # Taken down by an editor (`newswire hide`): a feed that carries it again changes
        # nothing, neither its page (a draft) nor its record.
        return Decision(Outcome.UNCHANGED, article, existing.key)
    if current is None:
        if not needs_page(article, existing):
            return Decision(Outcome.UNCHANGED, article, existing.key)
        current = dataclasses.replace(
            article, content_hash=existing.content_hash, lastmod=existing.lastmod,
            feeds=tuple(sorted(existing.feeds)), related=(),
        )  # fmt: skip
    # The claim decided the key (section, slug, month) and the date: they never change.
    current = dataclasses.replace(
        current, id=existing.id, section=existing.section, slug=existing.slug, date=existing.date
    )
    merged = merge(current, article, now)
    # Feeds as a set: a record written before feeds were sorted is not rewritten for that.
    recorded = (existing.content_hash, set(existing.feeds)) == (
        merged.content_hash,
        set(merged.feeds),
    )
    if recorded and same_story_page(merged, current):
        return Decision(Outcome.UNCHANGED, article, existing.key)
    return Decision(Outcome.UPDATED, merged, existing.key)


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
