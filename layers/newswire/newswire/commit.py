"""Committing a feed's articles: each new or changed article's object first, then the index
records of them all in one write (one SQLite transaction per feed); an article that another
run touched meanwhile is decided and committed again on its own. The feed's state is saved
after this, by the caller: a crash anywhere redoes work, never skips it."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from datetime import datetime
from typing import ParamSpec, TypeVar

from newswire.decide import decide, index_record
from newswire.enrich import Enricher
from newswire.models import Article, FeedConfig, IndexRecord, Outcome
from newswire.ports import ArticleIndex, ContentStore, IndexWrite, SlugTaken, StorageError
from newswire.render import read_page, render_markdown
from newswire.slugs import content_key, slug_candidates

log = logging.getLogger("newswire.ingest")
P = ParamSpec("P")
T = TypeVar("T")

COMMIT_ATTEMPTS = 3


@dataclasses.dataclass(frozen=True)
class Committer:
    store: ContentStore
    index: ArticleIndex
    enricher: Enricher | None = None

    def commit_all(
        self,
        feed: FeedConfig,
        articles: list[Article],
        existing: dict[str, IndexRecord],
        now: datetime,
        written: list[tuple[IndexRecord, IndexRecord | None]],
    ) -> tuple[dict[str, Outcome], int, list[str]]:
        """Every article's object first, then all their records in one write_many (one
        transaction on SQLite); an article whose record did not go in (another run touched
        it meanwhile) is committed again alone. The outcome of each committed article by id,
        how many failed (storage: retried next run), and the ids of those skipped for bad
        content (BadContent: they would fail again); appends (new record, replaced record)
        to `written`."""
        done: dict[str, Outcome] = {}
        staged: list[tuple[Article, IndexWrite]] = []
        failed = 0
        skipped: list[str] = []
        for article in articles:
            try:
                write = self._stage(article, existing.get(article.id), now)
            except BadContent as exc:
                skipped.append(article.id)
                _skipped(feed, article, exc)
                continue
            except StorageError as exc:
                failed += 1
                _not_stored(feed, article, exc)
                continue
            if write is None:
                done[article.id] = Outcome.UNCHANGED
            else:
                staged.append((article, write))
        try:
            results = self.index.write_many([write for _, write in staged]) if staged else []
        except StorageError as exc:
            for article, _ in staged:
                _not_stored(feed, article, exc)
            return done, failed + len(staged), skipped
        for (article, write), stored in zip(staged, results, strict=True):
            if stored:
                written.append((write.record, write.expected))
                done[article.id] = Outcome.NEW if write.new else Outcome.UPDATED
                continue
            try:
                latest = self.index.get_records([article.id]).get(article.id)
                done[article.id] = self._commit(article, latest, now, written)
            except BadContent as exc:
                skipped.append(article.id)
                _skipped(feed, article, exc)
            except StorageError as exc:
                failed += 1
                _not_stored(feed, article, exc)
        return done, failed, skipped

    def _stage(
        self, article: Article, existing: IndexRecord | None, now: datetime
    ) -> IndexWrite | None:
        """Decide, and write the object of a new or changed article; the index write it then
        needs (None when the article is unchanged)."""
        decision = _pure(decide, article, existing, now)
        if decision.outcome is Outcome.UNCHANGED:
            return None
        if self.enricher is not None:
            decision = dataclasses.replace(decision, article=self.enricher.enrich(decision.article))
        if decision.outcome is Outcome.UPDATED:
            assert decision.key is not None
            self.store.put(decision.key, _pure(render_markdown, decision.article))
            record = _pure(index_record, decision.article, decision.key, now)
            return IndexWrite(record, new=False, expected=existing)
        for slug in slug_candidates(article.slug, article.id):
            candidate = dataclasses.replace(decision.article, slug=slug)
            key = self._put_new_object(candidate)
            if key is not None:
                return IndexWrite(_pure(index_record, candidate, key, now), new=True)
        raise StorageError(f"no free slug for article {article.id} ({article.slug})")

    def _commit(
        self,
        article: Article,
        existing: IndexRecord | None,
        now: datetime,
        written: list[tuple[IndexRecord, IndexRecord | None]],
    ) -> Outcome:
        """Store and index one article; appends (new record, replaced record) to `written`."""
        for _ in range(COMMIT_ATTEMPTS):
            decision = _pure(decide, article, existing, now)
            if decision.outcome is Outcome.UNCHANGED:
                return Outcome.UNCHANGED
            if self.enricher is not None:
                decision = dataclasses.replace(
                    decision, article=self.enricher.enrich(decision.article)
                )
            if decision.outcome is Outcome.UPDATED:
                assert decision.key is not None
                record = _pure(index_record, decision.article, decision.key, now)
                self.store.put(decision.key, _pure(render_markdown, decision.article))
                if self.index.replace(record, expected=existing):
                    written.append((record, existing))
                    return Outcome.UPDATED
                # Another feed's run updated this article meanwhile (the same story in two
                # feeds): read it again and merge, rather than drop that feed.
                existing = self.index.get_records([article.id]).get(article.id)
                continue
            added = self._write_new(decision.article, now)
            if added is not None:
                written.append((added, None))
                return Outcome.NEW
            # Another run recorded this article meanwhile: decide again against its record.
            existing = self.index.get_records([article.id]).get(article.id)
        raise StorageError(f"article {article.id} kept changing under concurrent runs")

    def _write_new(self, article: Article, now: datetime) -> IndexRecord | None:
        """Write the object, then the index record. None if another run indexed it first."""
        for slug in slug_candidates(article.slug, article.id):
            candidate = dataclasses.replace(article, slug=slug)
            key = self._put_new_object(candidate)
            if key is None:
                continue
            record = _pure(index_record, candidate, key, now)
            try:
                return record if self.index.add(record) else None
            except SlugTaken:
                continue
        raise StorageError(f"no free slug for article {article.id} ({article.slug})")

    def _put_new_object(self, article: Article) -> str | None:
        """Write a new article's object under its slug; its key, or None if another article
        holds that key (try the next slug)."""
        key = _pure(content_key, article.section, article.date, article.slug)
        body = _pure(render_markdown, article)
        if not self.store.put_new(key, body):
            if self._owner(key) != article.id:
                return None
            self.store.put(key, body)  # our own earlier write that was never indexed
        return key

    def _owner(self, key: str) -> str | None:
        data = self.store.get(key)
        if data is None:
            raise StorageError(f"{key} was reported as existing but cannot be read; retry later")
        try:
            return read_page(data).id
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
