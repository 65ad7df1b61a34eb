"""The embedded backend: Markdown files in a directory (newswire.adapters.directory), the index
in a SQLite file."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from newswire.adapters.codec import (
    listing_from_dict,
    record_from_dict,
    record_to_dict,
    state_from_dict,
    state_to_dict,
)

# DirectoryStore is imported from here too: the embedded backend's two adapters, one module.
from newswire.adapters.directory import O_BINARY
from newswire.adapters.directory import DirectoryStore as DirectoryStore
from newswire.adapters.local_claims import CLAIMS_SCHEMA, SqliteClaims
from newswire.leases import holder_is_gone
from newswire.models import FeedState, IndexRecord, Taxonomy, utc_sort_key
from newswire.ports import IndexWrite, SlugTaken, StorageError

log = logging.getLogger("newswire.index")


SCHEMA = """
CREATE TABLE IF NOT EXISTS articles (
    id TEXT PRIMARY KEY,
    published TEXT NOT NULL,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS articles_published ON articles (published DESC);
CREATE TABLE IF NOT EXISTS slug_claims (claim TEXT PRIMARY KEY, owner TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS feed_state (feed_id TEXT PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS leases (
    feed_id TEXT PRIMARY KEY, owner TEXT NOT NULL, until TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS queued (feed_id TEXT PRIMARY KEY, until TEXT NOT NULL);
"""


LISTED = "json_extract(articles.data, '$.hidden') IS NULL"
"""The condition of every listing: hidden records are indexed, never listed."""


class SqliteIndex(SqliteClaims):
    """ArticleIndex on one SQLite file. One connection, serialized by a lock: the run's threads
    spend their time on the network, not here."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # SQLite creates its file 0644 whatever the umask; made here (empty is a valid
            # database) it follows the umask like every other file, and SQLite gives the WAL
            # and shared-memory files the database file's mode.
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT | O_BINARY, 0o666))
        except OSError as exc:
            raise StorageError(f"cannot create the index {self.path}: {exc.strerror}") from exc
        try:
            self._db = sqlite3.connect(self.path, check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL with NORMAL sync loses at most the last commits on power loss, never
            # consistency; the write order (object, record, validators) redoes lost work.
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA + CLAIMS_SCHEMA)
        except sqlite3.Error as exc:
            raise StorageError(f"cannot open the index {self.path}: {exc}") from exc

    def close(self) -> None:
        self._db.close()

    def _query(self, sql: str, params: Sequence[object] = ()) -> list[tuple[str, ...]]:
        try:
            with self._lock, self._db:  # the connection as context manager commits
                return list(self._db.execute(sql, params).fetchall())
        except sqlite3.Error as exc:
            raise StorageError(f"index query failed: {exc}") from exc

    def get_records(self, ids: Sequence[str]) -> dict[str, IndexRecord]:
        found: dict[str, IndexRecord] = {}
        unique = list(dict.fromkeys(ids))
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for (data,) in self._query(f"SELECT data FROM articles WHERE id IN ({marks})", chunk):  # noqa: S608
                record = record_from_dict(json.loads(data))
                found[record.id] = record
        return found

    def add(self, record: IndexRecord) -> bool:
        try:
            with self._lock, self._db:
                # IMMEDIATE takes the write lock before the checks, so another process on the
                # same file cannot slip in between check and insert.
                self._db.execute("BEGIN IMMEDIATE")
                return self._add(record)
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc

    def replace(self, record: IndexRecord, *, expected: IndexRecord | None = None) -> bool:
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                return self._replace(record, expected)
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc

    def write_many(self, writes: Sequence[IndexWrite]) -> list[bool]:
        # One transaction for a feed's articles: one commit (and one WAL sync point) instead
        # of one per article; the objects were all written before, so the order holds.
        results: list[bool] = []
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                known = self._known([w.record for w in writes if w.new and w.expected is None])
                for write in writes:
                    try:
                        if write.new and write.expected is None:
                            results.append(self._add(write.record, known))
                        else:
                            results.append(self._replace(write.record, write.expected))
                    except SlugTaken:
                        results.append(False)
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc
        return results

    def _known(self, records: Sequence[IndexRecord]) -> tuple[set[str], dict[str, str]]:
        """Which of the records' ids are recorded, and who owns their slugs: two queries for
        a feed's new articles rather than two for each (the caller holds the lock)."""
        recorded = {
            row[0]
            for row in self._rows("SELECT id FROM articles WHERE id", [r.id for r in records])
        }
        slugs = dict(
            self._rows(
                "SELECT claim, owner FROM slug_claims WHERE claim",
                [f"{r.section}/{r.slug}" for r in records],
            )
        )
        return recorded, slugs

    def _add(
        self, record: IndexRecord, known: tuple[set[str], dict[str, str]] | None = None
    ) -> bool:
        """add's work inside a write transaction the caller holds; `known`: _known's answer
        for a batch holding this record, kept up to date with what the batch adds."""
        recorded, slugs = known if known is not None else self._known([record])
        if record.id in recorded:
            return False
        claim = f"{record.section}/{record.slug}"
        owner = slugs.get(claim)
        if owner is not None and owner != record.id:
            raise SlugTaken(f"slug {claim} belongs to article {owner}")
        if owner is None:  # the article's claim usually made it already
            self._db.execute(
                "INSERT OR REPLACE INTO slug_claims (claim, owner) VALUES (?, ?)",
                (claim, record.id),
            )
            slugs[claim] = record.id
        data = record_to_dict(record)  # its "published" is record.published, made once
        self._db.execute(
            "INSERT INTO articles (id, published, data) VALUES (?, ?, ?)",
            (record.id, data["published"], json.dumps(data)),
        )
        recorded.add(record.id)
        return True

    def _replace(self, record: IndexRecord, expected: IndexRecord | None) -> bool:
        """replace's work inside a write transaction the caller holds."""
        if expected is not None:
            row = self._db.execute(
                "SELECT data FROM articles WHERE id = ?", (record.id,)
            ).fetchone()
            stored = record_from_dict(json.loads(row[0])) if row else None
            if stored is None or (stored.content_hash, stored.feeds) != (
                expected.content_hash,
                expected.feeds,
            ):
                return False
        self._db.execute(
            "UPDATE articles SET published = ?, data = ? WHERE id = ?",
            (record.published, json.dumps(record_to_dict(record)), record.id),
        )
        return True

    def remove(self, record: IndexRecord) -> None:
        try:
            with self._lock, self._db:
                self._db.execute("DELETE FROM articles WHERE id = ?", (record.id,))
                self._db.execute("DELETE FROM slug_claims WHERE owner = ?", (record.id,))
                self._remove_claims(record.id)
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc

    def latest(
        self, *, limit: int, feed: str | None = None, since: datetime | None = None
    ) -> list[IndexRecord]:
        sql = f"SELECT data FROM articles WHERE {LISTED}"  # noqa: S608 (constants only)
        params: list[object] = []
        if since is not None:
            sql += " AND published >= ?"
            params.append(utc_sort_key(since))
        if feed is not None:
            sql += " AND EXISTS (SELECT 1 FROM json_each(articles.data, '$.feeds') WHERE value = ?)"
            params.append(feed)
        sql += " ORDER BY published DESC, id LIMIT ?"
        params.append(limit)
        return [record_from_dict(json.loads(data)) for (data,) in self._query(sql, params)]

    def by_term(self, taxonomy: Taxonomy, term: str, *, limit: int) -> list[IndexRecord]:
        # `taxonomy` is one of three literals (checked here), never user text.
        where = {
            "tags": "EXISTS (SELECT 1 FROM json_each(articles.data, '$.tags') WHERE value = ?)",
            "categories": (
                "EXISTS (SELECT 1 FROM json_each(articles.data, '$.categories') WHERE value = ?)"
            ),
            "publisher": "json_extract(articles.data, '$.publisher') = ?",
        }[taxonomy]
        sql = (
            f"SELECT data FROM articles WHERE {where} AND {LISTED} "  # noqa: S608 (constants)
            "ORDER BY published DESC, id LIMIT ?"
        )
        # What a list holds (codec.LISTING_FIELDS), as DynamoDB's term items do.
        return [listing_from_dict(json.loads(d)) for (d,) in self._query(sql, (term, limit))]

    def by_month(self, month: str, *, limit: int) -> list[IndexRecord]:
        sql = (
            f"SELECT data FROM articles WHERE substr(published, 1, 7) = ? AND {LISTED} "  # noqa: S608
            "ORDER BY published DESC, id LIMIT ?"
        )
        return [record_from_dict(json.loads(d)) for (d,) in self._query(sql, (month, limit))]

    def by_day(self, day: str, *, limit: int) -> list[IndexRecord]:
        # A range of `published` (which starts with the day), so the published index serves it.
        sql = (
            f"SELECT data FROM articles WHERE published >= ? AND published < ? AND {LISTED} "  # noqa: S608
            "ORDER BY published DESC, id LIMIT ?"
        )
        rows = self._query(sql, (f"{day}T", f"{day}U", limit))
        return [record_from_dict(json.loads(d)) for (d,) in rows]

    def count_day(self, day: str, *, before: str | None = None) -> int:
        sql = (
            "SELECT COUNT(*) FROM articles "  # noqa: S608 (constants only)
            f"WHERE published >= ? AND published < ? AND {LISTED}"
        )
        params: list[object] = [f"{day}T", f"{day}U"]
        if before is not None:
            published, _, article_id = before.partition(" ")
            sql += " AND (published < ? OR (published = ? AND id < ?))"
            params += [published, published, article_id]
        ((count,),) = self._query(sql, params)
        return int(count)

    def days_with_articles(self, month: str) -> set[str]:
        sql = (
            "SELECT DISTINCT substr(published, 1, 10) FROM articles "  # noqa: S608 (constants)
            f"WHERE published >= ? AND published < ? AND {LISTED}"
        )
        return {day for (day,) in self._query(sql, (f"{month}-", f"{month}."))}

    def months_with_articles(self) -> set[str]:
        sql = f"SELECT DISTINCT substr(published, 1, 7) FROM articles WHERE {LISTED}"  # noqa: S608
        rows = self._query(sql)
        return {month for (month,) in rows}

    def save_feed_state(self, state: FeedState, *, owner: str | None = None) -> None:
        data = json.dumps(state_to_dict(state))
        try:
            with self._lock, self._db:
                if owner is not None:
                    row = self._db.execute(
                        "SELECT owner FROM leases WHERE feed_id = ?", (state.feed_id,)
                    ).fetchone()
                    if row and row[0] != owner:
                        return  # our lease expired and another run holds the feed now
                    self._db.execute("DELETE FROM leases WHERE feed_id = ?", (state.feed_id,))
                self._db.execute(
                    "INSERT OR REPLACE INTO feed_state (feed_id, data) VALUES (?, ?)",
                    (state.feed_id, data),
                )
                self._db.execute("DELETE FROM queued WHERE feed_id = ?", (state.feed_id,))
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc

    def get_feed_states(self, feed_ids: Sequence[str]) -> dict[str, FeedState]:
        wanted = set(feed_ids)
        return {s.feed_id: s for s in self.feed_states() if s.feed_id in wanted}

    def feed_states(self) -> list[FeedState]:
        rows = self._query("SELECT data FROM feed_state ORDER BY feed_id")
        return [state_from_dict(json.loads(data)) for (data,) in rows]

    def acquire_lease(
        self, feed_id: str, owner: str, *, now: datetime, until: datetime
    ) -> tuple[bool, FeedState | None]:
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                held = self._db.execute(
                    "SELECT owner FROM leases WHERE feed_id = ?", (feed_id,)
                ).fetchone()
                if held and held[0] != owner and holder_is_gone(held[0]):
                    # A killed run's lease: its process is gone, so nothing writes the feed.
                    log.warning("lease taken over from a process that is gone", extra={
                        "feed": feed_id, "previous_owner": held[0]
                    })  # fmt: skip
                    self._db.execute("DELETE FROM leases WHERE feed_id = ?", (feed_id,))
                taken = self._db.execute(
                    "INSERT INTO leases (feed_id, owner, until) VALUES (?, ?, ?) "
                    "ON CONFLICT (feed_id) DO UPDATE SET owner = excluded.owner, "
                    "until = excluded.until "
                    "WHERE leases.until < ? OR leases.owner = excluded.owner "
                    "RETURNING owner",
                    (feed_id, owner, utc_sort_key(until), utc_sort_key(now)),
                ).fetchall()
                row = self._db.execute(
                    "SELECT data FROM feed_state WHERE feed_id = ?", (feed_id,)
                ).fetchone()
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc
        return bool(taken), state_from_dict(json.loads(row[0])) if row else None

    def release_lease(self, feed_id: str, owner: str) -> None:
        try:
            with self._lock, self._db:
                released = self._db.execute(
                    "DELETE FROM leases WHERE feed_id = ? AND owner = ?", (feed_id, owner)
                ).rowcount
                if released:
                    self._db.execute("DELETE FROM queued WHERE feed_id = ?", (feed_id,))
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc

    def mark_queued(self, feed_ids: Sequence[str], *, now: datetime, until: datetime) -> list[str]:
        marked = []
        try:
            with self._lock, self._db:
                for feed_id in dict.fromkeys(feed_ids):
                    if self._db.execute(
                        "INSERT INTO queued (feed_id, until) VALUES (?, ?) "
                        "ON CONFLICT (feed_id) DO UPDATE SET until = excluded.until "
                        "WHERE queued.until < ? RETURNING feed_id",
                        (feed_id, utc_sort_key(until), utc_sort_key(now)),
                    ).fetchall():
                        marked.append(feed_id)
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc
        return marked

    def clear_queued(self, feed_ids: Sequence[str]) -> None:
        for feed_id in feed_ids:
            self._query("DELETE FROM queued WHERE feed_id = ?", (feed_id,))
