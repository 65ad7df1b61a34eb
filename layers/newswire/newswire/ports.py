"""The two storage ports. Each has an AWS adapter and a local one; bootstrap picks them."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from newswire.models import FeedState, IndexRecord
from newswire.models import Taxonomy as Taxonomy  # defined in the model; the ports name it


class StorageError(Exception):
    """A store or index operation failed after its retries; the message is for the operator."""


class SlugTaken(StorageError):
    """The slug claim for a section/slug belongs to another article."""


@dataclass(frozen=True)
class IndexWrite:
    """One article's index write of a batch: a new record, or a replacement of `expected`."""

    record: IndexRecord
    new: bool
    expected: IndexRecord | None = None


@dataclass(frozen=True)
class Claim:
    """An article's claim on its key, made once, before its object is written: whoever claims
    an article first decides its key (section, month, slug) for good; later feeds join it.
    The article id claimed too: two writers of one id never write two objects. `stories`
    are the article's story keys (newswire.identity): a key another article holds makes this
    one that article's story."""

    id: str
    key: str
    section: str
    slug: str
    feed: str
    at: datetime
    stories: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClaimResult:
    """What a claim found or made. `key`: the key the article's claim names (the claim's own
    when this call made it, or when the same claim was there); None when the section/slug
    belongs to another article (nothing was claimed: try the next slug). `story`: the id of
    the article that already holds one of the claim's story keys (nothing was claimed: this
    item joins that story), else None. `feed` and `at`: who made the claim found, and when."""

    key: str | None
    feed: str = ""
    at: datetime | None = None
    story: str | None = None


class ContentStore(Protocol):
    """Where the Markdown files live (an S3 bucket or a directory), addressed by key.

    Keys are `content/<section>/<YYYY>/<MM>/<slug>.md`, built by newswire.slugs only.
    Every method raises StorageError when the backend fails; nothing else escapes.
    """

    def put_new(self, key: str, body: bytes) -> bool:
        """Create `key` only if nothing is stored there. True if written, False if it exists.

        Atomic: of two concurrent callers on the same key, exactly one gets True.
        """
        ...

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
    ) -> None:
        """Create or overwrite `key` with `body` (readers see the old or the new bytes whole).

        `content_type` (default: Markdown) and `cache_control` are the HTTP headers the object
        is served with where the backend serves objects itself (S3); a directory ignores them.
        """
        ...

    def get(self, key: str) -> bytes | None:
        """The bytes at `key`, or None if nothing is stored there."""
        ...

    def keys(self, prefix: str) -> Iterator[str]:
        """Every key that starts with `prefix`, in no particular order."""
        ...

    def delete(self, key: str) -> None:
        """Remove `key`; nothing happens if nothing is stored there (safe to repeat)."""
        ...


class ArticleIndex(Protocol):
    """Article metadata, slug claims and feed state (a DynamoDB table or a SQLite file).

    A hidden record (IndexRecord.hidden) is stored and read by id like any other, but latest,
    by_term and by_month never list it. Every method raises StorageError when the backend
    fails; nothing else escapes.
    """

    def get_records(self, ids: Sequence[str]) -> dict[str, IndexRecord]:
        """The records of those of `ids` that are indexed (batched: one call for many ids)."""
        ...

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        """Make each claim unless one is there (ClaimResult says what was found): the article
        id's claim on `key` and the claim's section/slug, and its story keys, all or nothing
        per claim: a claim is made only once its slug and story keys are its id's, and a claim
        that meets one another article holds leaves none of them (one cut short by a crash may
        leave some, held by its id, which the id's next claim completes). Of two concurrent
        claims of one id, story key or slug, one wins. In one transaction where the backend
        has one that fits (SQLite), else key by key, the id's own claim last."""
        ...

    def story_owners(self, stories: Sequence[str]) -> dict[str, str]:
        """The article id holding each of those `stories` (story keys) that is held."""
        ...

    def claims(self, ids: Sequence[str]) -> dict[str, str]:
        """The key each of those article ids' claims names (for those claimed)."""
        ...

    def add(self, record: IndexRecord) -> bool:
        """Record a new article and claim its `<section>/<slug>`, both or neither; an add
        cut short may leave the claim alone, owned by this article id, which the next add of
        the article reuses.

        False if the article id is already recorded (another run got there first: nothing is
        changed). Raises SlugTaken if the slug is claimed by another article id.
        """
        ...

    def replace(self, record: IndexRecord, *, expected: IndexRecord | None = None) -> bool:
        """Overwrite the record of an already indexed article (its key and slug unchanged),
        and its listings with it: by_term then finds it under exactly its new terms.

        With `expected` (the record as the caller read it), only if the stored record still
        has its content hash and feeds: False, and nothing written, when another writer changed
        it in between (the caller reads again and decides again). True when written."""
        ...

    def write_many(self, writes: Sequence[IndexWrite]) -> list[bool]:
        """Apply each write in order, as `add` (when `expected` is None and `new`) or `replace`
        would; in one transaction where the backend has one that fits (SQLite), else one call
        each. One result per write: True where written, False where add or replace would have
        returned False or raised SlugTaken (nothing of that write is stored: the caller reads
        again and decides again)."""
        ...

    def remove(self, record: IndexRecord) -> None:
        """Delete the article's record, its claims (key, slug, story keys) and its listings,
        all or nothing.
        Nothing happens if it is not indexed (safe to repeat)."""
        ...

    def latest(
        self, *, limit: int, feed: str | None = None, since: datetime | None = None
    ) -> list[IndexRecord]:
        """Newest articles first (by `date`), optionally of one feed and not older than `since`."""
        ...

    def by_term(self, taxonomy: Taxonomy, term: str, *, limit: int) -> list[IndexRecord]:
        """Newest first (ties by id), the articles whose `taxonomy` ("tags", "categories" or
        "publisher") includes `term` exactly, as a list shows them: the fields of
        codec.LISTING_FIELDS, the others empty (content_hash "", feeds (), first_seen None).
        A listing is for reading: get_records gives the record to write back.

        Like latest and by_month, on DynamoDB this reads an index, which is eventually
        consistent: a record written a moment ago may be missing, or listed as it was. A caller
        that lists what it has just written merges those records in itself."""
        ...

    def by_month(self, month: str, *, limit: int) -> list[IndexRecord]:
        """Newest first (ties by id), the articles dated (in UTC) in `month` ("YYYY-MM")."""
        ...

    def by_day(self, day: str, *, limit: int) -> list[IndexRecord]:
        """Newest first (ties by id), the articles dated (in UTC) on `day` ("YYYY-MM-DD"): one
        day of the site's archive, read without reading the rest of its month."""
        ...

    def count_day(self, day: str, *, before: str | None = None) -> int:
        """How many articles `by_day` lists on `day`; with `before` (a sort key,
        "<published> <id>": newswire.site.plan.sort_key), only those that sort before it. The
        site's day pages are numbered from the oldest: this says where a change falls without
        reading the day's older articles."""
        ...

    def months_with_articles(self) -> set[str]:
        """Every month ("YYYY-MM", the record's `month`) that holds at least one article."""
        ...

    def days_with_articles(self, month: str) -> set[str]:
        """Every day ("YYYY-MM-DD", UTC) of `month` that holds at least one article, in a
        number of requests bounded by the days of a month (never by its articles)."""
        ...

    def save_feed_state(self, state: FeedState, *, owner: str | None = None) -> None:
        """Store a feed's state (replacing the previous one). With `owner`, this also releases
        that owner's lease on the feed, and stores nothing if another owner holds it now."""
        ...

    def get_feed_states(self, feed_ids: Sequence[str]) -> dict[str, FeedState]:
        """The stored states of those of `feed_ids` that have one (batched)."""
        ...

    def feed_states(self) -> list[FeedState]:
        """Every stored feed state (may scan: for operators, not for every run)."""
        ...

    def acquire_lease(
        self, feed_id: str, owner: str, *, now: datetime, until: datetime
    ) -> tuple[bool, FeedState | None]:
        """Take the feed's ingest lease for `owner` until `until`, unless another owner holds an
        unexpired one; returns (taken, the feed's stored state) in one round trip. Atomic: of
        two concurrent callers, one gets True. Re-acquiring one's own lease succeeds.

        An adapter that can tell a holder is gone (the embedded backend: a process of this
        host that no longer exists, named by newswire.leases) takes its lease over at once;
        others wait for `until`."""
        ...

    def release_lease(self, feed_id: str, owner: str) -> None:
        """Give the lease back, if `owner` still holds it (else do nothing). Clears the feed's
        queued mark too: whoever held the lease has handled the feed."""
        ...

    def mark_queued(self, feed_ids: Sequence[str], *, now: datetime, until: datetime) -> list[str]:
        """Mark each feed as having a queue message waiting, until `until`, unless it carries
        a mark that has not expired by `now`; returns the ids marked (those to send). Atomic
        per feed: of two concurrent dispatchers, one marks it. The feed's next
        save_feed_state or release_lease clears the mark (its message was handled)."""
        ...

    def clear_queued(self, feed_ids: Sequence[str]) -> None:
        """Remove the feeds' queued marks (their messages were not sent after all)."""
        ...


class FeedQueue(Protocol):
    """Where the dispatcher puts one message per due feed (an SQS queue)."""

    def send(self, bodies: Sequence[str]) -> None:
        """Send every body, in batches; raises StorageError if some could not be sent after
        retries (those sent stay sent: the worker's lease makes a repeat harmless)."""
        ...
