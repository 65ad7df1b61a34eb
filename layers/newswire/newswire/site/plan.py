"""Pure: which pages an added or changed article touches.

An article appears on its own page, on the home pages, on the page of each of its tags,
categories and its publisher, on its month's archive pages, in the feeds and in its month's
sitemap. A changed article that lost a term also leaves that term's page, so the replaced
record's terms are planned too. Nothing else mentions an article, so nothing else is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from newswire.models import IndexRecord, Taxonomy


@dataclass(frozen=True)
class SitePlan:
    articles: tuple[IndexRecord, ...] = ()
    """The articles whose own page is rendered (latest version of each, in id order)."""
    terms: tuple[tuple[Taxonomy, str], ...] = ()
    """The tag, category and publisher lists to render, sorted."""
    months: tuple[str, ...] = ()
    """The archive months ("YYYY-MM") to render, newest first."""

    @property
    def empty(self) -> bool:
        return not self.articles and not self.terms and not self.months

    @property
    def lists(self) -> bool:
        """Whether the home pages, the feeds and the sitemaps are rendered (on any change)."""
        return not self.empty


def plan_changes(changed: Iterable[IndexRecord], replaced: Iterable[IndexRecord] = ()) -> SitePlan:
    latest: dict[str, IndexRecord] = {}
    for record in changed:
        latest[record.id] = record  # a record changed twice in one run: its last version
    terms: set[tuple[Taxonomy, str]] = set()
    months: set[str] = set()
    for record in (*latest.values(), *replaced):
        terms.update(record.terms)
        months.add(record.month)
    return SitePlan(
        articles=tuple(latest[i] for i in sorted(latest)),
        terms=tuple(sorted(terms)),
        months=tuple(sorted(months, reverse=True)),
    )
