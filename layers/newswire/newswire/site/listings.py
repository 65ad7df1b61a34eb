"""The lists a site page is rendered from, newest first: straight from the index (incremental
builds) or from every record at once (the full build), in the same order and limits."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Protocol

from newswire.models import IndexRecord, Taxonomy, newest_first
from newswire.ports import ArticleIndex

TIE_SLACK = 25
"""Extra records asked of the index for a top-N list, so that articles with the very same
timestamp at the cut are ordered by the site's own rule (newest first, then id), whatever order
the backend returns ties in."""
MONTH_LIMIT = 1_000_000
"""A month's archive lists all of its articles."""


class Listings(Protocol):
    """The lists a page is rendered from, each newest first by `newest_first`."""

    def latest(self, limit: int) -> list[IndexRecord]: ...

    def by_term(self, taxonomy: Taxonomy, term: str, limit: int) -> list[IndexRecord]: ...

    def by_month(self, month: str) -> list[IndexRecord]: ...


@dataclass
class IndexListings:
    """Listings straight from the index (the incremental build). The latest articles are read
    once, for the home pages, and the feeds take theirs from the same read."""

    index: ArticleIndex
    _latest: list[IndexRecord] = field(default_factory=list)
    _latest_limit: int = 0

    def latest(self, limit: int) -> list[IndexRecord]:
        if limit > self._latest_limit:
            self._latest = newest_first(self.index.latest(limit=limit + TIE_SLACK))[:limit]
            self._latest_limit = limit
        return self._latest[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, limit: int) -> list[IndexRecord]:
        return newest_first(self.index.by_term(taxonomy, term, limit=limit + TIE_SLACK))[:limit]

    def by_month(self, month: str) -> list[IndexRecord]:
        return newest_first(self.index.by_month(month, limit=MONTH_LIMIT))


class MemoryListings:
    """Listings from every record at once (the full build: one read of the index instead of a
    query per tag). The same order and limits as IndexListings."""

    def __init__(self, records: Iterable[IndexRecord]) -> None:
        self.all = newest_first(records)
        self.terms: dict[tuple[Taxonomy, str], list[IndexRecord]] = {}
        self.months: dict[str, list[IndexRecord]] = {}
        for record in self.all:
            for term in record.terms:
                self.terms.setdefault(term, []).append(record)
            self.months.setdefault(record.month, []).append(record)

    def latest(self, limit: int) -> list[IndexRecord]:
        return self.all[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, limit: int) -> list[IndexRecord]:
        return self.terms.get((taxonomy, term), [])[:limit]

    def by_month(self, month: str) -> list[IndexRecord]:
        return list(self.months.get(month, []))
