"""The imperative shell: fetch → parse → normalize → decide → render → store → index, per feed.

Order of writes, so that a crash anywhere means the next run redoes work and never skips it:
the Markdown object first, the index record second, the feed's validators last.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from newswire import __version__
from newswire.enrich import Enricher, EnrichOptions
from newswire.fetch import Fetcher
from newswire.leases import new_lease_owner
from newswire.models import (
    Article,
    FeedConfig,
    FeedResult,
    FeedState,
    FeedStatus,
    Fetched,
    FetchError,
    IndexRecord,
    NotModified,
    Outcome,
    ParseError,
    RunSummary,
)
from newswire.ports import ArticleIndex, ContentStore, StorageError
from newswire.sections import SectionIndexes, default_section_title

if TYPE_CHECKING:
    from newswire.prepass import NewItems

log = logging.getLogger("newswire.ingest")

BACKOFF_AFTER_ERRORS = 3
MAX_BACKOFF = timedelta(hours=24)
RUN_MARGIN_SECONDS = 10.0


def utc_now() -> datetime:
    return datetime.now(UTC)


def backoff_until(now: datetime, errors: int, retry_after: float | None) -> datetime | None:
    """When a failing feed may be fetched again: the server's Retry-After if it gave one, else
    exponential back-off once it has failed BACKOFF_AFTER_ERRORS times in a row."""
    if retry_after is not None:
        return now + timedelta(seconds=retry_after)
    if errors < BACKOFF_AFTER_ERRORS:
        return None
    delay: timedelta = timedelta(minutes=30) * 2 ** (errors - BACKOFF_AFTER_ERRORS)
    return now + min(delay, MAX_BACKOFF)


@dataclasses.dataclass
class Ingestor:
    fetcher: Fetcher
    store: ContentStore
    index: ArticleIndex
    clock: Callable[[], datetime] = utc_now
    workers: int = 32
    enrich: EnrichOptions = dataclasses.field(default_factory=EnrichOptions)
    lease_seconds: float = 900.0
    """How long a feed's ingest lease lasts: at least the longest a worker may run."""
    owner: str = dataclasses.field(default_factory=new_lease_owner)
    local_writes: bool = False
    """The store and the index are on this machine (a directory, SQLite): their calls are
    short system calls, not network round trips. A feed's work after its fetch then runs one
    feed at a time (see `_processing`)."""
    _enricher: Enricher | None = dataclasses.field(default=None, init=False, repr=False)
    _slot: threading.Lock = dataclasses.field(
        default_factory=threading.Lock, init=False, repr=False
    )
    _sections: SectionIndexes = dataclasses.field(
        default_factory=SectionIndexes, init=False, repr=False
    )

    def run(
        self,
        feeds: Iterable[FeedConfig],
        *,
        on_result: Callable[[FeedResult], None] | None = None,
        seconds_left: Callable[[], float] | None = None,
    ) -> RunSummary:
        """Ingest every enabled feed, a bounded pool of them at a time. One feed's failure never
        stops the others; feeds not started before `seconds_left()` runs low are reported."""
        started = time.monotonic()
        enabled = [f for f in feeds if f.enabled]
        self._enricher = (
            Enricher(self.enrich, self.fetcher.session) if self.enrich.enabled else None
        )

        # A feed is started only if its fetch can finish (deadline) and its writes too (margin).
        needed = self.fetcher.limits.deadline + RUN_MARGIN_SECONDS

        def one(feed: FeedConfig) -> FeedResult:
            if seconds_left is not None and seconds_left() < needed:
                result = FeedResult(
                    feed.feed_id, feed.url, FeedStatus.SKIPPED, error="not reached: out of time"
                )
            else:
                result = self.ingest_feed(feed)
            if on_result is not None:
                on_result(result)
            return result

        with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
            results = tuple(pool.map(one, enabled))
        return RunSummary.of(results, time.monotonic() - started)

    def ingest_feed(self, feed: FeedConfig, *, queued: bool = False) -> FeedResult:
        """Ingest one feed under its lease, so that overlapping runs and redelivered messages
        never work on the same feed at once. Saving the feed's state releases the lease."""
        now = self.clock()
        try:
            leased, state = self.index.acquire_lease(
                feed.feed_id, self.owner, now=now, until=now + timedelta(seconds=self.lease_seconds)
            )
        except StorageError as exc:
            return FeedResult(
                feed.feed_id, feed.url, FeedStatus.FAILED, error=f"index unavailable: {exc}"
            )
        if not leased:
            log.info("feed skipped: another run is ingesting it", extra={"feed": feed.feed_id})
            return FeedResult(
                feed.feed_id, feed.url, FeedStatus.SKIPPED, busy=True,
                error="skipped: another run is ingesting it (try again when it ends)",
            )  # fmt: skip
        try:
            return self._ingest_feed(feed, state, now, queued=queued)
        except Exception as exc:  # the last guard: one feed's bug must not stop the run
            log.exception("feed failed unexpectedly", extra={"feed": feed.feed_id})
            self._release(feed)
            return FeedResult(
                feed.feed_id, feed.url, FeedStatus.FAILED, error=f"internal error: {exc!r}"
            )

    def _section_index(self, feed: FeedConfig) -> None:
        """Hugo's `_index.md` for the feed's section, once its first article is in."""
        title = feed.section_title or default_section_title(feed.section)
        self._sections.ensure(self.store, feed.section, title)

    def _release(self, feed: FeedConfig) -> None:
        try:
            self.index.release_lease(feed.feed_id, self.owner)
        except StorageError as exc:  # it expires by itself
            log.warning("lease not released", extra={"feed": feed.feed_id, "error": str(exc)})

    def _ingest_feed(
        self, feed: FeedConfig, state: FeedState | None, now: datetime, *, queued: bool = False
    ) -> FeedResult:
        """`queued`: the feed came as a queue message, which the dispatcher sent only when it
        was due (or an operator redrove): newswire's own error back-off does not hold it back
        again, though a server's Retry-After still does."""
        base = state or FeedState(feed_id=feed.feed_id, url=feed.url)
        until = state.not_before if state is not None else None
        if until and now < until and (not queued or base.not_before_from_server):
            reason = f"backing off until {until.isoformat(timespec='seconds')}"
            log.info("feed skipped", extra={"feed": feed.feed_id, "reason": reason})
            self._release(feed)
            return FeedResult(feed.feed_id, feed.url, FeedStatus.SKIPPED, error=reason)

        try:
            fetched = self.fetcher.fetch(feed.url, state)
        except FetchError as exc:
            return self._failed(feed, base, now, str(exc), retry_after=exc.retry_after)
        if isinstance(fetched, NotModified):
            self._save_state(
                _healthy(base, url=feed.url, last_fetch=now, last_status="not modified")
            )
            return FeedResult(feed.feed_id, feed.url, FeedStatus.NOT_MODIFIED)
        body_hash = hashlib.sha256(fetched.body).hexdigest()
        if state and state.body_hash == body_hash and state.url == feed.url:
            # The server ignores validators but sent the same bytes: same as a 304.
            self._save_state(_healthy(
                base, etag=fetched.etag, last_modified=fetched.last_modified, last_fetch=now,
                last_status="not modified (same body)",
            ))  # fmt: skip
            return FeedResult(feed.feed_id, feed.url, FeedStatus.NOT_MODIFIED)
        with self._processing() as pause:
            return self._process(feed, base, now, fetched, body_hash, pause)

    @contextlib.contextmanager
    def _processing(self) -> Iterator[Callable[[float], None]]:
        """Around a feed's work after its fetch (parse, normalize, render, writes); yields how
        to pause in it. With local writes and no enrichment, that work is all CPU: the GIL
        runs one thread's Python at a time anyway, and 32 threads taking turns cost CPU of
        their own (a handoff at every system call, caches refilled; figure 1 measured about
        0.3 ms per article and 50,000 context switches a run at 32 workers). So one feed at
        a time holds the slot, while the other workers' fetches still wait on the network
        outside it. A pause (a story another run is writing) lets the slot go meanwhile.
        Writes to AWS, and enrichment's page fetches, wait on the network: those feeds run
        side by side as before."""
        if not self.local_writes or self.enrich.enabled:
            yield time.sleep
            return

        def pause(seconds: float) -> None:
            self._slot.release()
            try:
                time.sleep(seconds)
            finally:
                self._slot.acquire()

        with self._slot:
            yield pause

    def _process(
        self,
        feed: FeedConfig,
        base: FeedState,
        now: datetime,
        fetched: Fetched,
        body_hash: str,
        pause: Callable[[float], None],
    ) -> FeedResult:
        """A fetched body's new items parsed, normalized and committed; the feed's state
        saved last."""
        # The item pipeline (parse, normalize, commit: stop words, stemmers, transliteration
        # tables, YAML) is imported when a feed is ingested, not with this module: the
        # scheduled function only dispatches feeds to the queue on AWS, and its cold start
        # should not pay for what only a worker uses.
        from newswire.commit import Committer
        from newswire.prepass import parse_new_items, remembered

        try:
            items = parse_new_items(
                fetched, known=frozenset(base.fingerprints),
                salt=fingerprint_salt(feed, fetched), limit=feed.max_items,
            )  # fmt: skip
        except ParseError as exc:
            return self._failed(feed, base, now, str(exc))
        for warning in items.warnings:
            log.warning(
                "feed parsed with a warning", extra={"feed": feed.feed_id, "warning": warning}
            )

        articles, prints, skipped, bad_prints = self._normalize(feed, items, now)
        # The feed's include/exclude rules, after normalize (they match clean text) and before
        # anything is decided or written: a filtered item leaves no trace but its count (and
        # no fingerprint: it is parsed and counted again on the next run, as before).
        kept = [a for a in articles if feed.filters.keeps(a)]
        filtered, articles = len(articles) - len(kept), kept
        counts = dict.fromkeys(Outcome, 0)
        counts[Outcome.UNCHANGED] = len(items.known)
        written: list[tuple[IndexRecord, IndexRecord | None]] = []
        committed: list[str] = []
        try:
            existing = self.index.get_records([a.id for a in articles]) if articles else {}
        except StorageError as exc:
            return self._failed(feed, base, now, str(exc))
        committer = Committer(self.store, self.index, self._enricher, pause)
        done, failed, bad = committer.commit_all(feed, articles, existing, now, written)
        for article_id, outcome in done.items():
            counts[outcome] += 1
            committed.extend(prints.get(article_id, ()))
        # An item with bad content would fail the same way again: it is remembered like a
        # committed one, and does not hold the validators back.
        skipped += len(bad)
        committed.extend(bad_prints)
        for article_id in bad:
            committed.extend(prints.get(article_id, ()))
        if counts[Outcome.NEW]:
            self._section_index(feed)
        # Validators are saved last, and only when every item was committed or skipped for
        # good: after a storage failure the next run must fetch the whole body again.
        complete = failed == 0
        self._save_state(_healthy(
            base, url=feed.url, last_fetch=now,
            etag=fetched.etag if complete else None,
            last_modified=fetched.last_modified if complete else None,
            body_hash=body_hash if complete else None,
            last_status=item_status(skipped=skipped, failed=failed),
            articles_total=base.articles_total + counts[Outcome.NEW],
            # Only what was committed above: an item that failed is parsed again next run.
            fingerprints=remembered(
                (*items.known, *committed), base.fingerprints, limit=_fingerprints_kept(feed)
            ),
        ))  # fmt: skip
        result = FeedResult(
            feed.feed_id, feed.url, FeedStatus.FETCHED,
            new=counts[Outcome.NEW], updated=counts[Outcome.UPDATED],
            unchanged=counts[Outcome.UNCHANGED], failed_items=failed, skipped_items=skipped,
            filtered=filtered,
            parsed=items.parsed,
            changed=tuple(new for new, _ in written),
            replaced=tuple(old for _, old in written if old is not None),
        )  # fmt: skip
        log.info("feed ingested", extra={"feed": feed.feed_id, **_counts(result)})
        return result

    def _normalize(
        self, feed: FeedConfig, items: NewItems, now: datetime
    ) -> tuple[list[Article], dict[str, list[str]], int, list[str]]:
        """The articles of the entries, the fingerprints of the items each was made from (a
        repeated guid is made once, from its first item), how many entries were skipped for
        bad content, and their fingerprints."""
        from newswire.normalize import normalize_entry  # see _process: only when used

        articles: dict[str, Article] = {}
        prints: dict[str, list[str]] = {}
        skipped, bad_prints = 0, []
        for entry, fingerprint in zip(items.entries, items.fingerprints, strict=True):
            try:
                article = normalize_entry(entry, feed, now=now)
            except Exception as exc:  # pure: the same entry would fail the same way again
                skipped += 1
                if fingerprint is not None:
                    bad_prints.append(fingerprint)
                log.warning("item skipped: bad content", extra={
                    "feed": feed.feed_id, "guid": str(dict.get(entry, "id") or "")[:200],
                    "error": repr(exc)[:500],
                })  # fmt: skip
                continue
            articles.setdefault(article.id, article)  # duplicate guids: the first one wins
            if fingerprint is not None:
                prints.setdefault(article.id, []).append(fingerprint)
        return list(articles.values()), prints, skipped, bad_prints

    def _failed(
        self,
        feed: FeedConfig,
        base: FeedState,
        now: datetime,
        error: str,
        *,
        retry_after: float | None = None,
    ) -> FeedResult:
        log.warning("feed failed", extra={"feed": feed.feed_id, "url": feed.url, "error": error})
        errors = base.consecutive_errors + 1
        self._save_state(dataclasses.replace(
            base, url=feed.url, last_fetch=now, last_status=f"error: {error}",
            consecutive_errors=errors, not_before=backoff_until(now, errors, retry_after),
            not_before_from_server=retry_after is not None,
            failing_since=base.failing_since or now,
        ))  # fmt: skip
        return FeedResult(feed.feed_id, feed.url, FeedStatus.FAILED, error=error)

    def _save_state(self, state: FeedState) -> None:
        """Save the feed's state last, releasing its lease with it."""
        try:
            self.index.save_feed_state(state, owner=self.owner)
        except StorageError as exc:
            # Not saving validators only costs a full fetch next time; nothing is lost, and
            # the lease expires by itself.
            log.error("feed state not saved", extra={"feed": state.feed_id, "error": str(exc)})


def fingerprint_salt(feed: FeedConfig, fetched: Fetched) -> bytes:
    """What an article depends on besides its item's bytes and envelope: the feed's settings
    that normalize reads, the URL and content type feedparser resolves and decodes with, and
    newswire's version (a release that changes what normalize makes of the same bytes parses
    every item once more)."""
    settings = [
        __version__, feed.url, feed.feed_id, feed.section, list(feed.categories),
        list(feed.tags), feed.language, feed.default_language, fetched.url, fetched.content_type,
    ]  # fmt: skip
    return json.dumps(settings, ensure_ascii=False).encode("utf-8")


def _fingerprints_kept(feed: FeedConfig) -> int:
    """A feed shows at most max_items items to newswire, so the current window always fits;
    as many again remember items that dropped out lately (feeds re-promote stories), and an
    older one that comes back costs one parse, never a lost item. The bound keeps the state,
    read and written with every run, small (DynamoDB bills each KB of an item written)."""
    return 2 * max(feed.max_items, 1)


def _items(count: int) -> str:
    return f"{count} item{'s' if count != 1 else ''}"


def item_status(*, skipped: int, failed: int) -> str:
    """A fetched feed's status line: what `newswire feeds` shows."""
    parts = [f"{_items(failed)} not stored (will retry)"] if failed else ["ok"]
    if skipped:
        parts.append(f"{_items(skipped)} skipped (bad content)")
    return "; ".join(parts)


def _healthy(state: FeedState, **changes: Any) -> FeedState:
    """`state` after a successful fetch: no errors, no back-off."""
    return dataclasses.replace(
        state,
        consecutive_errors=0,
        not_before=None,
        not_before_from_server=False,
        failing_since=None,
        **changes,
    )


def _counts(result: FeedResult) -> dict[str, int]:
    return {
        "new": result.new,
        "updated": result.updated,
        "unchanged": result.unchanged,
        "failed_items": result.failed_items,
        "skipped_items": result.skipped_items,
        "filtered": result.filtered,
    }
