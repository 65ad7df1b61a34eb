"""The lists a site page is rendered from: straight from the index (incremental builds) or from
every record at once (the full build), in the same order and limits."""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from newswire.models import IndexRecord, Taxonomy, newest_first
from newswire.ports import ArticleIndex
from newswire.site.plan import day_of, sort_key

TIE_SLACK = 25
"""Extra records asked of the index for a top-N list, so that articles with the very same
timestamp at the cut are ordered by the site's own rule (newest first, then id), whatever order
the backend returns ties in."""
DAY_LIMIT = 10_000_000
"""A day's archive lists all of its articles."""
SECTION_DEPTH = 1_000
"""A section's page lists its articles among the site's latest this many: the index keeps no
list per section (one more item per article to write), and the latest articles are read anyway
for the home pages. Older articles of a quiet section are in the archive."""


def in_section(records: Iterable[IndexRecord], section: str, limit: int) -> list[IndexRecord]:
    return [r for r in records if r.section == section][:limit]


def oldest_first(records: Iterable[IndexRecord]) -> list[IndexRecord]:
    """The archive's order: by `sort_key` (time, then id), each record once."""
    return sorted({r.id: r for r in records}.values(), key=sort_key)


class Listings(Protocol):
    """The lists a page is rendered from. latest and by_term: newest first by `newest_first`;
    by_day: oldest first by `oldest_first`."""

    def latest(self, limit: int) -> list[IndexRecord]: ...

    def by_term(self, taxonomy: Taxonomy, term: str, limit: int) -> list[IndexRecord]: ...

    def by_day(self, day: str) -> list[IndexRecord]: ...

    def count_day(self, day: str, before: str | None = None) -> int: ...

    def day_newest(self, day: str, limit: int) -> list[IndexRecord]: ...

    def by_section(self, section: str, limit: int) -> list[IndexRecord]:
        """The section's latest `limit` among the site's latest SECTION_DEPTH, newest first."""
        ...

    def days(self, month: str) -> set[str]: ...

    def months(self) -> set[str]: ...


@dataclass
class IndexListings:
    """Listings straight from the index (the incremental build). The latest articles are read
    once, for the home pages, and the feeds take theirs from the same read.

    `fresh` are the records the change brought, read again by id, and `gone` the ids it took
    off the site: an index's listings may lag behind its own writes (DynamoDB's global
    indexes), so every list drops what it says of those ids and puts the fresh versions
    where they belong."""

    index: ArticleIndex
    fresh: Mapping[str, IndexRecord] = field(default_factory=dict)
    gone: frozenset[str] = frozenset()
    _latest: list[IndexRecord] = field(default_factory=list)
    _latest_limit: int = 0

    def _overlay(
        self, listed: list[IndexRecord], belongs: Callable[[IndexRecord], bool]
    ) -> list[IndexRecord]:
        if not self.fresh and not self.gone:
            return listed
        kept = [r for r in listed if r.id not in self.fresh and r.id not in self.gone]
        return kept + [r for r in self.fresh.values() if not r.hidden and belongs(r)]

    @property
    def _slack(self) -> int:
        return TIE_SLACK + len(self.fresh) + len(self.gone)

    def latest(self, limit: int) -> list[IndexRecord]:
        if limit > self._latest_limit:
            listed = self.index.latest(limit=limit + self._slack)
            self._latest = newest_first(self._overlay(listed, lambda r: True))[:limit]
            self._latest_limit = limit
        return self._latest[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, limit: int) -> list[IndexRecord]:
        listed = self.index.by_term(taxonomy, term, limit=limit + self._slack)
        merged = self._overlay(listed, lambda r: (taxonomy, term) in r.terms)
        return newest_first(merged)[:limit]

    def by_day(self, day: str) -> list[IndexRecord]:
        listed = self.index.by_day(day, limit=DAY_LIMIT)
        return oldest_first(self._overlay(listed, lambda r: day_of(r) == day))

    def count_day(self, day: str, before: str | None = None) -> int:
        # From the index alone: a change's own articles all sort at or after its cursor, so
        # the count before it is the index's whatever its listings lag; the count of the
        # whole day only sizes a read (day_newest), which the overlay then corrects.
        return self.index.count_day(day, before=before)

    def day_newest(self, day: str, limit: int) -> list[IndexRecord]:
        """At least the day's `limit` newest articles (with this change's own), oldest first."""
        listed = self.index.by_day(day, limit=limit + len(self.fresh) + len(self.gone))
        return oldest_first(self._overlay(listed, lambda r: day_of(r) == day))

    def by_section(self, section: str, limit: int) -> list[IndexRecord]:
        return in_section(self.latest(SECTION_DEPTH), section, limit)

    def days(self, month: str) -> set[str]:
        return self.index.days_with_articles(month) | {
            day_of(r) for r in self.fresh.values() if not r.hidden and r.month == month
        }

    def months(self) -> set[str]:
        return self.index.months_with_articles() | {
            r.month for r in self.fresh.values() if not r.hidden
        }


class MemoryListings:
    """Listings from every record at once (the full build: one read of the index instead of a
    query per tag). The same order and limits as IndexListings."""

    def __init__(self, records: Iterable[IndexRecord]) -> None:
        self.all = newest_first(r for r in records if not r.hidden)
        self.terms: dict[tuple[Taxonomy, str], list[IndexRecord]] = {}
        self.by_days: dict[str, list[IndexRecord]] = {}
        for record in self.all:
            for term in record.terms:
                self.terms.setdefault(term, []).append(record)
            self.by_days.setdefault(day_of(record), []).append(record)
        for listed in self.by_days.values():
            listed.sort(key=sort_key)

    def latest(self, limit: int) -> list[IndexRecord]:
        return self.all[:limit]

    def by_term(self, taxonomy: Taxonomy, term: str, limit: int) -> list[IndexRecord]:
        return self.terms.get((taxonomy, term), [])[:limit]

    def by_day(self, day: str) -> list[IndexRecord]:
        return list(self.by_days.get(day, []))

    def count_day(self, day: str, before: str | None = None) -> int:
        listed = self.by_days.get(day, [])
        if before is None:
            return len(listed)
        return bisect.bisect_left([sort_key(r) for r in listed], before)

    def day_newest(self, day: str, limit: int) -> list[IndexRecord]:
        return self.by_days.get(day, [])[-limit:] if limit > 0 else []

    def by_section(self, section: str, limit: int) -> list[IndexRecord]:
        return in_section(self.all[:SECTION_DEPTH], section, limit)

    def days(self, month: str) -> set[str]:
        return {day for day in self.by_days if day.startswith(f"{month}-")}

    def months(self) -> set[str]:
        return {day[:7] for day in self.by_days}
