"""The embedded backend's claims (newswire.ports.Claim): rows whose primary keys make each
claim once, checked and inserted inside one write transaction."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from newswire.ports import Claim, ClaimResult, StorageError

CLAIMS_SCHEMA = """
CREATE TABLE IF NOT EXISTS article_claims (
    id TEXT PRIMARY KEY, key TEXT NOT NULL, feed TEXT NOT NULL, at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS story_claims (story TEXT PRIMARY KEY, owner TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS story_claims_owner ON story_claims (owner);
"""


class SqliteClaims:
    """ArticleIndex's claim methods on SqliteIndex's connection (it defines both members)."""

    _db: sqlite3.Connection
    _lock: threading.Lock

    def claim_many(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        try:
            with self._lock, self._db:
                self._db.execute("BEGIN IMMEDIATE")
                return self._claim_all(claims)
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc

    def _claim_all(self, claims: Sequence[Claim]) -> list[ClaimResult]:
        """Inside claim_many's transaction. What the claims meet is read in three queries
        and what they make written in three statements, rather than six statements a claim;
        the claims are decided in order on those rows, each seeing what the ones before it
        made, as one by one they would."""
        made = {
            row[0]: (row[1], row[2], row[3])
            for row in self._rows(
                "SELECT id, key, feed, at FROM article_claims WHERE id", [c.id for c in claims]
            )
        }
        stories = dict(
            self._rows(
                "SELECT story, owner FROM story_claims WHERE story",
                [story for c in claims for story in c.stories],
            )
        )
        slugs = dict(
            self._rows(
                "SELECT claim, owner FROM slug_claims WHERE claim",
                [f"{c.section}/{c.slug}" for c in claims],
            )
        )
        new_slugs: list[tuple[str, str]] = []
        new_stories: list[tuple[str, str]] = []
        new_claims: list[tuple[str, str, str, str]] = []
        results: list[ClaimResult] = []
        for claim in claims:
            found = made.get(claim.id)
            if found is not None:
                key, feed, at = found
                results.append(ClaimResult(key, feed, datetime.fromisoformat(at)))
                continue
            holder = next(
                (stories[s] for s in claim.stories if stories.get(s, claim.id) != claim.id), None
            )
            if holder is not None:
                results.append(ClaimResult(None, story=holder))
                continue
            slug = f"{claim.section}/{claim.slug}"
            if slugs.get(slug, claim.id) != claim.id:
                results.append(ClaimResult(None))
                continue
            at = claim.at.isoformat(timespec="seconds")
            slugs[slug] = claim.id
            new_slugs.append((slug, claim.id))
            for story in claim.stories:
                stories[story] = claim.id
                new_stories.append((story, claim.id))
            made[claim.id] = (claim.key, claim.feed, at)
            new_claims.append((claim.id, claim.key, claim.feed, at))
            results.append(ClaimResult(claim.key, claim.feed, claim.at))
        self._db.executemany(
            "INSERT OR REPLACE INTO slug_claims (claim, owner) VALUES (?, ?)", new_slugs
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO story_claims (story, owner) VALUES (?, ?)", new_stories
        )
        self._db.executemany(
            "INSERT INTO article_claims (id, key, feed, at) VALUES (?, ?, ?, ?)", new_claims
        )
        return results

    def story_owners(self, stories: Sequence[str]) -> dict[str, str]:
        return dict(self._select("SELECT story, owner FROM story_claims WHERE story", stories))

    def claims(self, ids: Sequence[str]) -> dict[str, str]:
        return dict(self._select("SELECT id, key FROM article_claims WHERE id", ids))

    def _select(self, sql: str, values: Sequence[str]) -> list[tuple[str, str]]:
        try:
            with self._lock:
                return self._rows(sql, values)
        except sqlite3.Error as exc:
            raise StorageError(f"index query failed: {exc}") from exc

    def _rows(self, sql: str, values: Sequence[str]) -> list[Any]:
        """The rows of `sql` ending in "WHERE column" for `values` (IN, in chunks that stay
        under SQLite's limit on parameters); the caller holds the lock."""
        unique = list(dict.fromkeys(values))
        found: list[Any] = []
        for start in range(0, len(unique), 500):
            chunk = unique[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found.extend(self._db.execute(f"{sql} IN ({marks})", chunk).fetchall())
        return found

    def _remove_claims(self, article_id: str) -> None:
        """Inside remove's transaction: the article's claims go with its record."""
        self._db.execute("DELETE FROM article_claims WHERE id = ?", (article_id,))
        self._db.execute("DELETE FROM story_claims WHERE owner = ?", (article_id,))
