"""Taking articles down: hide and unhide (the page stays, as a draft), delete (gone for good,
though a feed that still carries it brings it back), and prune (delete what is older than a
cutoff). Each works on the Markdown first and the index second, as an ingest does: a crash in
between is finished by running the same command again.

The site's part (removing article pages, redrawing the lists they were on) is done by the
caller with the records returned here, as `run` does with what it changed.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime

from newswire.models import IndexRecord
from newswire.ports import ArticleIndex, ContentStore, StorageError
from newswire.reindex import record_from_markdown
from newswire.render import parse_markdown

EVERY_RECORD = 100_000_000
ARTICLE_ID = re.compile(r"[0-9a-f]{20}")


class NotFound(LookupError):
    """No article (or more than one) answers to the reference; the message says which."""


def find_article(ref: str, store: ContentStore, index: ArticleIndex) -> IndexRecord:
    """The article that `ref` names: its id, its URL (the `link`), its slug (`slug`,
    `section/slug`, a content key or a site path). Hidden articles are found too."""
    ref = ref.strip()
    if ARTICLE_ID.fullmatch(ref):
        found = index.get_records([ref]).get(ref)
        if found is None:
            raise NotFound(f"no article with id {ref}")
        return found
    if re.match(r"https?://", ref):
        return _by_link(ref, store, index)
    return _by_slug(ref, store, index)


def _by_link(url: str, store: ContentStore, index: ArticleIndex) -> IndexRecord:
    for record in index.latest(limit=EVERY_RECORD):
        if record.link == url:
            return record
    # Not listed: a hidden article, found by its page (the Markdown keeps every link).
    matches = _pages(store, lambda meta, key: url in (meta.get("link"), meta.get("url_original")))
    return _one(matches, f"no article with the link {url}", index)


def _by_slug(ref: str, store: ContentStore, index: ArticleIndex) -> IndexRecord:
    path = ref.removeprefix("content/").removeprefix("articles/").removesuffix("/")
    path = path.removesuffix(".md")
    parts = [p for p in path.split("/") if p]
    if not parts:
        raise NotFound(f"{ref!r} names no article")
    slug, section = parts[-1], parts[0] if len(parts) > 1 else None
    keys = [
        key
        for key in store.keys("content/")
        if key.endswith(f"/{slug}.md") and (section is None or key.split("/")[1] == section)
    ]
    records = []
    for key in keys:
        data = store.get(key)
        if data is not None:
            try:
                records.append(record_from_markdown(key, data))
            except (ValueError, KeyError):
                continue
    return _one(records, f"no article with the slug {path!r}", index)


def _pages(
    store: ContentStore, wanted: Callable[[dict[str, object], str], bool]
) -> list[IndexRecord]:
    found = []
    for key in store.keys("content/"):
        data = store.get(key) if key.endswith(".md") else None
        if data is None:
            continue
        try:
            meta, _ = parse_markdown(data)
            if wanted(meta, key):
                found.append(record_from_markdown(key, data))
        except (ValueError, KeyError):
            continue
    return found


def _one(records: list[IndexRecord], missing: str, index: ArticleIndex) -> IndexRecord:
    if not records:
        raise NotFound(missing)
    if len(records) > 1:
        keys = ", ".join(sorted(r.key for r in records))
        raise NotFound(f"more than one article answers to that ({keys}); give its id or key")
    # The index's own record when it has one (feeds and first-seen time are only there).
    return index.get_records([records[0].id]).get(records[0].id, records[0])


def set_draft(page: bytes, draft: bool) -> bytes:
    """The page with its front matter's `draft` set: Hugo leaves a draft out of the site, and
    `newswire reindex` reads it back as hidden. Only that one line changes."""
    meta, _ = parse_markdown(page)  # raises ValueError for anything that is not a page
    text = page.decode("utf-8")
    header_end = text.index("\n---\n", 3)
    old, new = f"\ndraft: {str(not draft).lower()}\n", f"\ndraft: {str(draft).lower()}\n"
    if meta.get("draft") is draft:
        return page
    position = text.find(old, 0, header_end + 1)
    if position < 0:
        raise ValueError("the front matter has no top-level `draft:` line")
    return (text[:position] + new + text[position + len(old) :]).encode("utf-8")


def set_hidden(
    record: IndexRecord, hidden: bool, store: ContentStore, index: ArticleIndex
) -> IndexRecord:
    """Hide or show an article: its page becomes a draft (or not), then its record leaves the
    listings (or comes back). A hidden record stays indexed, so that a feed carrying the
    article again finds it and leaves it alone."""
    page = store.get(record.key)
    if page is None:
        raise StorageError(f"{record.key}: the article's page is missing (`newswire delete` it)")
    try:
        changed = set_draft(page, hidden)
    except ValueError as exc:
        raise StorageError(f"{record.key}: {exc}") from None
    if changed != page:
        store.put(record.key, changed)
    updated = dataclasses.replace(record, hidden=hidden)
    index.replace(updated)
    return updated


def delete_article(record: IndexRecord, store: ContentStore, index: ArticleIndex) -> None:
    """Remove the page, then the record, its slug claim and its listings."""
    store.delete(record.key)
    index.remove(record)


def older_than(index: ArticleIndex, cutoff: datetime) -> list[IndexRecord]:
    """The listed articles dated before `cutoff`, oldest first: only the months up to the
    cutoff's are read (a scheduled run prunes every hour; it must not read the whole index)."""
    last = cutoff.astimezone(UTC).strftime("%Y-%m")
    found = [
        record
        for month in sorted(m for m in index.months_with_articles() if m <= last)
        for record in index.by_month(month, limit=EVERY_RECORD)
        if record.date < cutoff
    ]
    return sorted(found, key=lambda r: (r.date, r.id))


def prune(
    records: Iterable[IndexRecord], store: ContentStore, index: ArticleIndex
) -> tuple[list[IndexRecord], list[str]]:
    """Delete each record's article; returns (deleted, problems). One failure costs only its
    own article (the next prune retries it)."""
    deleted, problems = [], []
    for record in records:
        try:
            delete_article(record, store, index)
        except StorageError as exc:
            problems.append(f"{record.key}: {exc}")
            continue
        deleted.append(record)
    return deleted, problems
