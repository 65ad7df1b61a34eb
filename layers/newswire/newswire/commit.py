"""Committing a feed's articles, one story one page (issue 12).

A new article is claimed before anything is written (ArticleIndex.claim_many: its id, its
section/slug and its story keys), so the first writer decides its key and a writer that loses
never leaves an object behind; then its object, then its record. The new articles of a feed
are claimed in one call and recorded in one write_many (one SQLite transaction each).

A story that is already stored is merged (newswire.merge) under a short per-story lease, so
that two feeds' runs never read the same page and write over each other's views: read the
record and the page, merge, write the page, replace the record (on condition that it is still
the one read). An item whose story another run is writing right now waits a little, and is
otherwise left for the next run (counted as failed: the feed is fetched whole again).

The feed's state is saved after this, by the caller. A crash anywhere redoes work, never
skips it: a claim without an object is taken up again by its feed's next run (or by anyone
once it is STALE_CLAIM old), an object without a record is overwritten under the same claim.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import ParamSpec, TypeVar

from newswire.decide import decide, index_record, needs_page
from newswire.enrich import Enricher
from newswire.identity import lookup_keys, story_keys
from newswire.leases import new_lease_owner
from newswire.merge import article_from_page
from newswire.models import Article, FeedConfig, IndexRecord, Outcome
from newswire.ports import (
    ArticleIndex,
    Claim,
    ContentStore,
    IndexWrite,
    SlugTaken,
    StorageError,
)
from newswire.render import read_page, render_markdown
from newswire.slugs import content_key, parse_content_key, slug_candidates

log = logging.getLogger("newswire.ingest")
P = ParamSpec("P")
T = TypeVar("T")

COMMIT_ATTEMPTS = 10
"""Rounds of tries of the articles whose story another run is writing (waiting WAIT_FIRST
seconds, doubling up to WAIT_MOST, between rounds: about 5.5 seconds in all)."""
WAIT_FIRST, WAIT_MOST = 0.05, 1.0
STORY_LEASE = timedelta(minutes=2)
"""How long one story's merge may hold it: a read, a merge and two writes."""
STALE_CLAIM = timedelta(minutes=30)
"""A claim this old with no record behind it was left by a run that died (a run lasts at most
its function's timeout, 15 minutes): any feed may take it up."""

Written = list[tuple[IndexRecord, IndexRecord | None]]


@dataclasses.dataclass(frozen=True)
class Committer:
    store: ContentStore
    index: ArticleIndex
    enricher: Enricher | None = None
    pause: Callable[[float], None] = time.sleep
    """How to wait between rounds (the caller's, when it holds something others need)."""

    def commit_all(
        self,
        feed: FeedConfig,
        articles: list[Article],
        existing: dict[str, IndexRecord],
        now: datetime,
        written: Written,
    ) -> tuple[dict[str, Outcome], int, list[str]]:
        """Commit every article (`existing`: the records of their ids, read in one call).
        The outcome of each committed article by id, how many failed (storage: retried next
        run), and the ids of those skipped for bad content (BadContent: they would fail
        again); appends (new record, replaced record) to `written`."""
        done: dict[str, Outcome] = {}
        failures: set[str] = set()
        skipped: list[str] = []
        one_by_one: list[Article] = []

        def bad(article: Article, exc: BadContent) -> None:
            skipped.append(article.id)
            _skipped(feed, article, exc)

        def not_stored(article: Article, exc: StorageError) -> None:
            failures.add(article.id)
            _not_stored(feed, article, exc)

        fresh: list[Article] = []
        for article in articles:
            record = existing.get(article.id)
            if record is None:
                fresh.append(article)
            elif not needs_page(article, record):
                done[article.id] = Outcome.UNCHANGED
            else:
                one_by_one.append(article)
        try:
            claimable, joining = self._unclaimed_stories(fresh, bad)
            one_by_one.extend(joining)
            staged = self._claim_and_store(feed, claimable, now, one_by_one, bad, not_stored)
            results = self.index.write_many([w for _, w in staged]) if staged else []
        except StorageError as exc:
            for article in articles:
                if article.id not in done and article.id not in skipped:
                    not_stored(article, exc)
            return done, len(failures), skipped
        for (article, write), stored in zip(staged, results, strict=True):
            if stored:
                written.append((write.record, None))
                done[article.id] = Outcome.NEW
            else:
                one_by_one.append(article)
        # Articles whose story another run is writing wait for it together: one pause per
        # round for the whole feed, not one per article.
        wait, pending = WAIT_FIRST, one_by_one
        for attempt in range(COMMIT_ATTEMPTS):
            if attempt:
                self.pause(wait)
                wait = min(wait * 2, WAIT_MOST)
            again: list[Article] = []
            for article in pending:
                try:
                    known = existing.get(article.id) if not attempt else None
                    outcome = (
                        self._update(article, known, now, written)
                        if known is not None
                        else self._commit(feed, article, now, written)
                    )
                except BadContent as exc:
                    bad(article, exc)
                    continue
                except StorageError as exc:
                    not_stored(article, exc)
                    continue
                if outcome is None:
                    again.append(article)
                else:
                    done[article.id] = outcome
            pending = again
            if not pending:
                break
        for article in pending:
            not_stored(article, StorageError("another run is writing its story; next run"))
        return done, len(failures), skipped

    def _unclaimed_stories(
        self, fresh: list[Article], bad: Callable[[Article, BadContent], None]
    ) -> tuple[list[tuple[Article, tuple[str, ...]]], list[Article]]:
        """The new articles whose story nobody holds yet (each with its story keys, for its
        claim), and those that join a held story (under another id: the same publisher URL,
        or headline and publisher)."""
        keys: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {}
        for article in fresh:
            try:
                own = _pure(story_keys, article)
                keys[article.id] = own, _pure(lookup_keys, article, own)
            except BadContent as exc:
                bad(article, exc)
        held = self.index.story_owners([k for _, ks in keys.values() for k in ks]) if keys else {}
        claimable: list[tuple[Article, tuple[str, ...]]] = []
        joining: list[Article] = []
        for article in (a for a in fresh if a.id in keys):
            own, lookup = keys[article.id]
            if any(held[k] != article.id for k in lookup if k in held):
                joining.append(article)
            else:
                claimable.append((article, own))
        return claimable, joining

    def _claim_and_store(
        self,
        feed: FeedConfig,
        articles: list[tuple[Article, tuple[str, ...]]],
        now: datetime,
        later: list[Article],
        bad: Callable[[Article, BadContent], None],
        not_stored: Callable[[Article, StorageError], None],
    ) -> list[tuple[Article, IndexWrite]]:
        """Claim the new articles in one call; write the object of each claim made here. The
        index writes to make next; an article whose claim did not go as planned (its slug or
        story is another's, another run claimed it) goes to `later`."""
        claims: list[tuple[Article, Claim]] = []
        for article, stories in articles:
            try:
                claims.append((article, self._claim_of(feed, article, article.slug, now, stories)))
            except BadContent as exc:
                bad(article, exc)
        results = self.index.claim_many([c for _, c in claims]) if claims else []
        staged: list[tuple[Article, IndexWrite]] = []
        for (article, claim), result in zip(claims, results, strict=True):
            if (result.key, result.feed, result.story) != (claim.key, claim.feed, None):
                later.append(article)
                continue
            try:
                record = self._write_object(article, claim.key, now)
            except BadContent as exc:
                bad(article, exc)
                continue
            except StorageError as exc:  # its claim stays: the next run writes it
                not_stored(article, exc)
                continue
            staged.append((article, IndexWrite(record, new=True)))
        return staged

    def _claim_of(
        self,
        feed: FeedConfig,
        article: Article,
        slug: str,
        now: datetime,
        stories: tuple[str, ...],
    ) -> Claim:
        """`stories`: the article's story_keys (its URLs and headline: neither its id nor its
        slug is in them, so one computation serves every slug candidate and a story's view)."""
        key = _pure(content_key, article.section, article.date, slug)
        return Claim(article.id, key, article.section, slug, feed.feed_id, now, stories)

    def _write_object(self, article: Article, key: str, now: datetime) -> IndexRecord:
        """Write a claimed article's object at `key`; the record to index next."""
        if self.enricher is not None:
            article = self.enricher.enrich(article)
        body = _pure(render_markdown, article)
        # Created only if absent: a page there is this article's own (a run that died before
        # its record), or, in an index lost and not rebuilt, another article's, never
        # overwritten.
        if not self.store.put_new(key, body):
            owner = self._owner(key)
            if owner != article.id:
                raise StorageError(
                    f"{key} holds the page of article {owner}, which the index does not know:"
                    " run `newswire reindex`"
                )
            self.store.put(key, body)
        return _pure(index_record, article, key, now)

    def _owner(self, key: str) -> str | None:
        data = self.store.get(key)
        if data is None:
            raise StorageError(f"{key} was reported as existing but cannot be read; retry later")
        try:
            return read_page(data).id
        except ValueError:
            return None

    def _commit(
        self, feed: FeedConfig, article: Article, now: datetime, written: Written
    ) -> Outcome | None:
        """Commit one article on its own: join its story, or claim it; None when another run
        holds it right now (try again a little later)."""
        own = _pure(story_keys, article)
        story = self._story_of(article, own)
        view = article if story == article.id else dataclasses.replace(article, id=story)
        existing = self.index.get_records([story]).get(story)
        if existing is not None:
            return self._update(view, existing, now, written)
        return self._create(feed, view, now, written, own)

    def _story_of(self, article: Article, own: tuple[str, ...]) -> str:
        """The id of the story the article belongs to: its own once recorded or claimed,
        else the holder of one of its story keys, else its own."""
        if self.index.get_records([article.id]) or self.index.claims([article.id]):
            return article.id
        keys = _pure(lookup_keys, article, own)
        held = self.index.story_owners(keys) if keys else {}
        return next((held[k] for k in keys if k in held), article.id)

    def _create(
        self,
        feed: FeedConfig,
        article: Article,
        now: datetime,
        written: Written,
        stories: tuple[str, ...],
    ) -> Outcome | None:
        """Claim a new article and write it (`stories`: its story_keys); None when another
        run holds it (try again)."""
        for slug in slug_candidates(article.slug, article.id):
            claim = self._claim_of(feed, article, slug, now, stories)
            [result] = self.index.claim_many([claim])
            if result.story is not None:
                return None  # its story is another article's now: join it
            if result.key is None:
                continue  # the slug is another article's
            ours = result.feed == claim.feed
            stale = result.at is None or result.at < now - STALE_CLAIM
            if not (ours or stale):
                return None  # another run claimed it and will record it
            # Mine, or a claim left by a run that died (this feed's, or an old one): take it up.
            parts = parse_content_key(result.key)
            candidate = dataclasses.replace(article, slug=parts.slug, section=parts.section)
            record = self._write_object(candidate, result.key, now)
            try:
                added = self.index.add(record)
            except SlugTaken as exc:
                raise StorageError(f"the claim of {article.id} lost its slug: {exc}") from exc
            if not added:
                return None  # recorded meanwhile: merge into it
            written.append((record, None))
            return Outcome.NEW
        raise StorageError(f"no free slug for article {article.id} ({article.slug})")

    def _update(
        self, view: Article, existing: IndexRecord, now: datetime, written: Written
    ) -> Outcome | None:
        """Merge a feed's view into its stored story under the story's lease; None when
        another run holds the story (try again)."""
        if not needs_page(view, existing):
            return Outcome.UNCHANGED
        # Decided first without the lease, so that a view already merged costs reads only.
        if _pure(decide, view, existing, now, self._current(existing)).outcome is Outcome.UNCHANGED:
            return Outcome.UNCHANGED
        owner, lease = new_lease_owner(), f"story/{existing.id}"
        taken, _ = self.index.acquire_lease(lease, owner, now=now, until=now + STORY_LEASE)
        if not taken:
            return None
        try:
            latest = self.index.get_records([existing.id]).get(existing.id)
            if latest is None:
                return None  # removed meanwhile: claim it again
            current = self._current(latest)
            decision = _pure(decide, view, latest, now, current)
            if decision.outcome is Outcome.UNCHANGED:
                return Outcome.UNCHANGED
            article = decision.article
            if self.enricher is not None:
                article = self.enricher.enrich(article)
            self.store.put(latest.key, _pure(render_markdown, article))
            record = _pure(index_record, article, latest.key, latest.first_seen or now)
            if not self.index.replace(record, expected=latest):
                return None
            written.append((record, latest))
            return Outcome.UPDATED
        finally:
            self.index.release_lease(lease, owner)

    def _current(self, record: IndexRecord) -> Article | None:
        """The stored story (its page read back); None when the page is missing or not
        readable (the view then stands for it)."""
        data = self.store.get(record.key)
        if data is None:
            return None
        try:
            return article_from_page(read_page(data), record)
        except ValueError:
            return None


class BadContent(Exception):
    """An item failed in a pure step (normalize, decide, render): its content is the cause,
    so it would fail the same way on every run. It is skipped and counted, and tried again
    only when newswire or the feed's settings change (its fingerprint is remembered)."""


def _pure(step: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """`step(*args, **kwargs)`, with any exception it raises (a recursion limit in a converter,
    a value a renderer refuses) as BadContent. Only for steps that touch no storage."""
    try:
        return step(*args, **kwargs)
    except Exception as exc:
        name = getattr(step, "__name__", "step")
        raise BadContent(f"{name} failed: {exc!r}"[:500]) from exc


def _skipped(feed: FeedConfig, article: Article, exc: BadContent) -> None:
    log.warning("item skipped: bad content", extra={
        "feed": feed.feed_id, "article": article.id, "guid": article.guid, "error": str(exc)
    })  # fmt: skip


def _not_stored(feed: FeedConfig, article: Article, exc: StorageError) -> None:
    log.error("article not stored", extra={
        "feed": feed.feed_id, "article": article.id, "error": str(exc)
    })  # fmt: skip
