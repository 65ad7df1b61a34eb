"""Pure: one story's page from every feed's view of it.

A feed's view is the Article normalize made from its item. The page is a deterministic
function of the views, whatever order they arrive in and however often (commutative and
idempotent), so that overlapping feeds settle on one page and a rerun with nothing new
changes nothing:
- `feed`: every feed that brought the story, sorted;
- the reader-visible values (title, description, summary, link, publisher, tags, categories,
  body) come from the primary view: the latest view of the first feed in that order, so the
  choice never depends on which feed ran first;
- related coverage: the union of every feed's latest related links, one entry per story URL
  (newswire.identity.related_key), in one canonical order, each entry naming the feeds that
  list it (so a feed's newer view drops what only its older view listed);
- what the claim decided stays: id, guid, section, slug, date and `source` (the feed that
  first brought it);
- `lastmod` moves only when the content hash (what a reader sees) changes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Iterable
from datetime import datetime

from newswire.identity import related_key
from newswire.markdown import escape_markdown, markdown_link
from newswire.models import Article, IndexRecord, RelatedLink, StoredPage

MAX_MERGED_RELATED = 30
"""Related links on one page from all its feeds together (each feed's view has at most
normalize.MAX_RELATED)."""


# json.dumps builds a new encoder for every call with options; this one gives the same text
# for the fields below (no container in them can hold itself, so no circularity check).
_HASH_ENCODER = json.JSONEncoder(ensure_ascii=False, check_circular=False)


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
    left out: opt-in enrichment may fill them after this is computed. Which feeds list a
    related link is not shown, and left out too."""
    # The keys in sorted order: the text json.dumps(fields, sort_keys=True, ensure_ascii=False)
    # gives, without sorting them on each call.
    fields = {
        "body": body, "categories": list(categories), "description": description,
        "link": link, "publisher": publisher or "", "publisher_url": publisher_url or "",
        "related": [(r.title, r.url, r.publisher or "") for r in related], "summary": summary,
        "tags": list(tags), "title": title,
    }  # fmt: skip
    data = _HASH_ENCODER.encode(fields).encode("utf-8")
    return hashlib.sha256(data).hexdigest()[:32]


def article_hash(article: Article) -> str:
    return content_hash(
        title=article.title, description=article.description, summary=article.summary,
        link=article.link, categories=article.categories, tags=article.tags, body=article.body,
        publisher=article.publisher, publisher_url=article.publisher_url, related=article.related,
    )  # fmt: skip


def _order(link: RelatedLink) -> tuple[str, str, str]:
    return ((link.publisher or "").casefold(), link.title.casefold(), link.url)


def canonical_related(links: Iterable[RelatedLink]) -> tuple[RelatedLink, ...]:
    """One entry per story URL (the one that sorts first, listing every feed that gave any of
    them), ordered by publisher, then title: an order no feed's arrival can change."""
    by_key: dict[str, RelatedLink] = {}
    for link in links:
        key = related_key(link.url)
        held = by_key.get(key)
        if held is not None:
            first = min(held, link, key=_order)
            link = dataclasses.replace(first, feeds=tuple(sorted({*held.feeds, *link.feeds})))
        by_key[key] = link
    return tuple(sorted(by_key.values(), key=_order))[:MAX_MERGED_RELATED]


def without_own(related: Iterable[RelatedLink], *urls: str | None) -> tuple[RelatedLink, ...]:
    """The related links that are not the story itself (under any of its `urls`)."""
    own = {related_key(u) for u in urls if u}
    return tuple(r for r in related if related_key(r.url) not in own)


def related_body(
    headline: str, link: str, publisher: str | None, related: Iterable[RelatedLink]
) -> str:
    """A Google News page's body: the story's own link, then its related coverage."""
    lines = []
    for item in (RelatedLink(headline, link, publisher), *related):
        text = markdown_link(escape_markdown(item.title), item.url)
        if item.publisher:
            text += f" — {escape_markdown(item.publisher)}"
        lines.append(f"- {text}")
    return "\n".join(lines)


def article_from_page(page: StoredPage, record: IndexRecord) -> Article:
    """The stored story as an Article: the page's values, the record's claim (key parts, date,
    feeds: the record is written under a condition, the page is not)."""
    related = tuple(
        dataclasses.replace(r, feeds=r.feeds or tuple(sorted(record.feeds))) for r in page.related
    )
    article = Article(
        id=record.id, guid=page.guid, title=page.title, date=record.date,
        description=page.description, summary=page.summary, slug=record.slug,
        image=page.image or None, link=page.link, source=page.source,
        categories=page.categories, tags=page.tags, section=record.section,
        feeds=tuple(sorted({*page.feeds, *record.feeds})), body=page.body, content_hash="",
        publisher=page.publisher, publisher_url=page.publisher_url,
        url_original=page.url_original or None, google_news_link=page.google_news_link or None,
        related=related, lastmod=page.lastmod or record.lastmod, draft=page.draft,
        language=page.language or "en",
    )  # fmt: skip
    return dataclasses.replace(article, content_hash=article_hash(article))


def merge(current: Article, view: Article, now: datetime) -> Article:
    """The story after `view` (one feed's latest view) joins `current` (the stored story)."""
    feed = view.feeds[0]
    feeds = tuple(sorted({*current.feeds, *view.feeds}))
    primary, other = (view, current) if feed == feeds[0] else (current, view)
    kept = (
        dataclasses.replace(r, feeds=tuple(f for f in r.feeds if f != feed))
        for r in current.related
    )
    related = canonical_related([
        *(r for r in kept if r.feeds),
        *(dataclasses.replace(r, feeds=(feed,)) for r in view.related),
    ])  # fmt: skip
    related = without_own(related, primary.link, primary.url_original, primary.google_news_link)
    body = (
        related_body(primary.title or primary.link, primary.link, primary.publisher, related)
        if primary.google_news_link
        else primary.body
    )
    merged = dataclasses.replace(
        primary,
        id=current.id, guid=current.guid, section=current.section, slug=current.slug,
        date=current.date, source=current.source, draft=current.draft, feeds=feeds,
        related=related, body=body,
        image=primary.image or other.image,
        url_original=primary.url_original or other.url_original,
        google_news_link=primary.google_news_link or other.google_news_link,
    )  # fmt: skip
    # The primary view's own hash stands when merging changed nothing it shows.
    shown = (merged.body, _shown(merged.related)) == (primary.body, _shown(primary.related))
    digest = primary.content_hash if shown else article_hash(merged)
    return dataclasses.replace(
        merged,
        content_hash=digest,
        lastmod=now if digest != current.content_hash else current.lastmod,
    )


def _shown(related: Iterable[RelatedLink]) -> list[tuple[str, str, str | None]]:
    return [(r.title, r.url, r.publisher) for r in related]


def same_story_page(merged: Article, current: Article) -> bool:
    """Whether writing `merged` would change nothing stored for `current`."""
    return (merged.content_hash, merged.feeds, merged.related) == (
        current.content_hash,
        current.feeds,
        current.related,
    )
