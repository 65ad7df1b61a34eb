"""The embedded backend's claims (newswire.ports.Claim): rows whose primary keys make each
claim once, checked and inserted inside one write transaction."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from datetime import datetime

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
                return [self._claim(claim) for claim in claims]
        except sqlite3.Error as exc:
            raise StorageError(f"index write failed: {exc}") from exc

    def _claim(self, claim: Claim) -> ClaimResult:
        row = self._db.execute(
            "SELECT key, feed, at FROM article_claims WHERE id = ?", (claim.id,)
        ).fetchone()
        if row:
            return ClaimResult(row[0], row[1], datetime.fromisoformat(row[2]))
        for story in claim.stories:
            held = self._db.execute(
                "SELECT owner FROM story_claims WHERE story = ?", (story,)
            ).fetchone()
            if held and held[0] != claim.id:
                return ClaimResult(None, story=held[0])
        slug = f"{claim.section}/{claim.slug}"
        owner = self._db.execute(
            "SELECT owner FROM slug_claims WHERE claim = ?", (slug,)
        ).fetchone()
        if owner and owner[0] != claim.id:
            return ClaimResult(None)
        self._db.execute(
            "INSERT OR REPLACE INTO slug_claims (claim, owner) VALUES (?, ?)", (slug, claim.id)
        )
        self._db.executemany(
            "INSERT OR REPLACE INTO story_claims (story, owner) VALUES (?, ?)",
            [(story, claim.id) for story in claim.stories],
        )
        self._db.execute(
            "INSERT INTO article_claims (id, key, feed, at) VALUES (?, ?, ?, ?)",
            (claim.id, claim.key, claim.feed, claim.at.isoformat(timespec="seconds")),
        )
        return ClaimResult(claim.key, claim.feed, claim.at)

    def story_owners(self, stories: Sequence[str]) -> dict[str, str]:
        return dict(self._select("SELECT story, owner FROM story_claims WHERE story", stories))

    def claims(self, ids: Sequence[str]) -> dict[str, str]:
        return dict(self._select("SELECT id, key FROM article_claims WHERE id", ids))

    def _select(self, sql: str, values: Sequence[str]) -> list[tuple[str, str]]:
        unique = list(dict.fromkeys(values))
        found: list[tuple[str, str]] = []
        try:
            with self._lock:
                for start in range(0, len(unique), 500):
                    chunk = unique[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    found.extend(self._db.execute(f"{sql} IN ({marks})", chunk).fetchall())
        except sqlite3.Error as exc:
            raise StorageError(f"index query failed: {exc}") from exc
        return found

    def _remove_claims(self, article_id: str) -> None:
        """Inside remove's transaction: the article's claims go with its record."""
        self._db.execute("DELETE FROM article_claims WHERE id = ?", (article_id,))
        self._db.execute("DELETE FROM story_claims WHERE owner = ?", (article_id,))
