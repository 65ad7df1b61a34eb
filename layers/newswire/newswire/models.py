"""Values that flow through the pipeline. All frozen: a step returns new values, never mutates."""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

from newswire.filters import ItemFilter

Taxonomy = Literal["tags", "categories", "publisher"]
TAXONOMIES: tuple[Taxonomy, ...] = ("publisher", "categories", "tags")
"""The lists an article is listed under, in the order its terms are counted: where a backend
caps how many terms an article is listed under, the publisher is kept first."""
EARLIEST_PLAUSIBLE = datetime(1995, 1, 1, tzinfo=UTC)
"""No news feed dates an item before this: an earlier date is a feed's error."""
OLDEST_MONTH = EARLIEST_PLAUSIBLE.strftime("%Y-%m")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def utc_sort_key(when: datetime) -> str:
    """A string that sorts in time order whatever the original UTC offset was (the index's
    `published`)."""
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def utc_month(when: datetime) -> str:
    """The "YYYY-MM" of a moment in UTC: the month the index and the archive file it under."""
    return when.astimezone(UTC).strftime("%Y-%m")


def check_month(month: str) -> str:
    if not _MONTH.match(month):
        raise ValueError(f"not a month: {month!r}")
    return month


def months_between(newest: str, oldest: str) -> list[str]:
    """Every month from `newest` back to `oldest`, both "YYYY-MM", inclusive, newest first."""
    year, month = map(int, check_month(newest).split("-"))
    out: list[str] = []
    while f"{year:04d}-{month:02d}" >= check_month(oldest):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return out


@dataclass(frozen=True)
class FeedConfig:
    """One feed as configured in feeds.yaml (already validated)."""

    url: str
    name: str
    section: str = "news"
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    max_items: int = 100
    enabled: bool = True
    language: str | None = None
    """The feed's configured language (newswire.language's tag); None: what the feed declares."""
    default_language: str = "en"
    """The language of the feed's articles when neither the configuration nor the feed (nor a
    Google News URL's `hl`) says."""
    filters: ItemFilter = field(default_factory=ItemFilter)
    """include/exclude rules: which normalized items this feed keeps."""
    section_title: str = ""
    """The section's title for Hugo (feeds.yaml's `sections`); empty: made from its name."""

    @property
    def feed_id(self) -> str:
        """The stable name the index uses for this feed's state and in an article's `feed` list."""
        return self.name


FINGERPRINT_CHARS = 12
"""The width of one item fingerprint (newswire.prepass): the state stores them side by side."""


@dataclass(frozen=True)
class FeedState:
    """What the index remembers about a feed between runs."""

    feed_id: str
    url: str
    etag: str | None = None
    last_modified: str | None = None
    body_hash: str | None = None
    last_fetch: datetime | None = None
    last_status: str = "never fetched"
    consecutive_errors: int = 0
    not_before: datetime | None = None
    articles_total: int = 0
    failing_since: datetime | None = None
    """When the current run of consecutive errors began; None while the feed is healthy."""
    not_before_from_server: bool = False
    """`not_before` came from the server's Retry-After (always honoured), not from newswire's
    own back-off after errors (which an explicitly queued message may override)."""
    fingerprints: tuple[str, ...] = ()
    """Fingerprints (newswire.prepass) of the items this feed committed, newest first and
    bounded: an item whose fingerprint is here is skipped before parsing."""


@dataclass(frozen=True)
class Fetched:
    """A feed body downloaded in full (within the limits)."""

    url: str
    body: bytes
    content_type: str | None
    etag: str | None
    last_modified: str | None
    status: int = 200


@dataclass(frozen=True)
class NotModified:
    """The server answered 304: nothing to parse, nothing to write."""

    url: str


class FetchError(Exception):
    """A feed could not be fetched. The message is written for the operator, in plain words."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ParseError(Exception):
    """A feed body is not a usable feed. The message says why, in plain words."""


@dataclass(frozen=True)
class RelatedLink:
    """One entry of Google News' related-coverage list."""

    title: str
    url: str
    publisher: str | None = None
    feeds: tuple[str, ...] = ()
    """The feeds whose latest view lists this link (newswire.merge): not shown to readers."""


@dataclass(frozen=True)
class Article:
    """One news item, normalized: every front-matter value is final here."""

    id: str
    guid: str
    title: str
    date: datetime
    description: str
    summary: str
    slug: str
    image: str | None
    link: str
    source: str
    categories: tuple[str, ...]
    tags: tuple[str, ...]
    section: str
    feeds: tuple[str, ...]
    body: str
    content_hash: str
    publisher: str | None = None
    publisher_url: str | None = None
    url_original: str | None = None
    google_news_link: str | None = None
    """The Google News redirect the item came as (`link` is the publisher's URL when known)."""
    related: tuple[RelatedLink, ...] = ()
    lastmod: datetime | None = None
    draft: bool = False
    language: str = "en"
    """newswire.language's tag: what the article is written in (the page's lang and dir)."""


@dataclass(frozen=True)
class StoredPage:
    """A stored Markdown page read back (render.read_page): its front matter, typed, and its
    body. A value the page lacks reads as empty (None where the writer leaves a key out)."""

    title: str = ""
    date: datetime | None = None
    """As written; None if missing or unreadable, naive if written without a UTC offset."""
    description: str = ""
    summary: str = ""
    slug: str = ""
    image: str = ""
    link: str = ""
    source: str = ""
    categories: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    draft: bool = False
    lastmod: datetime | None = None
    publisher: str | None = None
    publisher_url: str | None = None
    url_original: str = ""
    google_news_link: str = ""
    guid: str = ""
    feeds: tuple[str, ...] = ()
    related: tuple[RelatedLink, ...] = ()
    id: str | None = None
    body: str = ""
    language: str = ""
    """The article's language tag (front-matter `language`); empty when the page has none."""


@dataclass(frozen=True)
class IndexRecord:
    """What the article index holds for one article: enough to decide and to list."""

    id: str
    key: str
    section: str
    slug: str
    title: str
    date: datetime
    link: str
    feeds: tuple[str, ...]
    content_hash: str
    publisher: str | None = None
    lastmod: datetime | None = None
    first_seen: datetime | None = None
    summary: str = ""
    image: str | None = None
    tags: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    hidden: bool = False
    """Taken off the site by `newswire hide`: kept in the index (a feed that carries the
    article again finds it and leaves it alone) but in no listing; its page is a draft."""

    @property
    def published(self) -> str:
        """The sort key of `date` (see utc_sort_key): what the index orders articles by."""
        return utc_sort_key(self.date)

    @property
    def month(self) -> str:
        """The month ("YYYY-MM", UTC) the index and the site's archive list the article under."""
        return utc_month(self.date)

    @property
    def terms(self) -> tuple[tuple[Taxonomy, str], ...]:
        """Every (taxonomy, term) the article is listed under, once each, in TAXONOMIES order."""
        listed: dict[tuple[Taxonomy, str], None] = {}
        for taxonomy in TAXONOMIES:
            if taxonomy == "publisher":
                terms: tuple[str, ...] = (self.publisher,) if self.publisher else ()
            else:
                terms = self.categories if taxonomy == "categories" else self.tags
            listed.update(dict.fromkeys((taxonomy, term) for term in terms))
        return tuple(listed)


def newest_first(records: Iterable[IndexRecord]) -> list[IndexRecord]:
    """The one order of every list: newest first, then by id, each record once (whatever order
    a backend returns records with the same `published` in)."""
    unique = {r.id: r for r in records}
    by_id = sorted(unique.values(), key=lambda r: r.id)
    return sorted(by_id, key=lambda r: r.published, reverse=True)


class Outcome(enum.StrEnum):
    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class FeedStatus(enum.StrEnum):
    FETCHED = "fetched"
    NOT_MODIFIED = "not_modified"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class FeedResult:
    """What ingesting one feed did."""

    feed_id: str
    url: str
    status: FeedStatus
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed_items: int = 0
    """Items not stored for a passing reason (storage): the feed is fetched whole next run."""
    skipped_items: int = 0
    """Items that failed for a reason that will not change (their content): recorded and
    skipped; the feed's validators are saved all the same."""
    filtered: int = 0
    """Items the feed's include/exclude rules kept out (never written)."""
    error: str | None = None
    busy: bool = False
    """Skipped because another run holds the feed's lease: nothing failed, but this run did
    not read the feed (the CLI warns and exits non-zero)."""
    parsed: int = 0
    """Items handed to feedparser (the others were skipped by their fingerprint)."""
    changed: tuple[IndexRecord, ...] = field(default=(), repr=False)
    """The index records this feed added or replaced, as written: the site rebuilds their pages."""
    replaced: tuple[IndexRecord, ...] = field(default=(), repr=False)
    """The records that updates replaced, as they were: the site drops them from old lists."""


@dataclass(frozen=True)
class RunSummary:
    """What a whole run did: what the CLI prints and the handler returns."""

    results: tuple[FeedResult, ...]
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    failing_24h: int = 0
    """Configured feeds that have been failing for 24 hours or more (set by the scheduled run)."""

    @property
    def changed(self) -> tuple[IndexRecord, ...]:
        """Every record the run added or replaced (the site's incremental build input)."""
        return tuple(record for result in self.results for record in result.changed)

    @property
    def replaced(self) -> tuple[IndexRecord, ...]:
        """The previous versions of the records the run replaced."""
        return tuple(record for result in self.results for record in result.replaced)

    @classmethod
    def of(cls, results: tuple[FeedResult, ...], seconds: float) -> RunSummary:
        counts = {status.value: 0 for status in FeedStatus}
        for outcome in ("new", "updated", "unchanged", "failed_items", "skipped_items", "filtered"):
            counts[outcome] = 0
        for result in results:
            counts[result.status.value] += 1
            counts["new"] += result.new
            counts["updated"] += result.updated
            counts["unchanged"] += result.unchanged
            counts["failed_items"] += result.failed_items
            counts["skipped_items"] += result.skipped_items
            counts["filtered"] += result.filtered
        return cls(results=results, seconds=seconds, counts=counts)

    def as_dict(self) -> dict[str, object]:
        return {
            "feeds": {s.value: self.counts[s.value] for s in FeedStatus},
            "articles": {
                "new": self.counts["new"],
                "updated": self.counts["updated"],
                "unchanged": self.counts["unchanged"],
                "failed": self.counts["failed_items"],
                "skipped": self.counts["skipped_items"],
                "filtered": self.counts["filtered"],
            },
            "seconds": round(self.seconds, 3),
            "failing_24h": self.failing_24h,
            "errors": [
                {"feed": r.feed_id, "url": r.url, "error": r.error} for r in self.results if r.error
            ],
        }
