"""Pure: which pages an added or changed article touches.

An article appears on its own page, on the home pages, on the page of each of its tags,
categories and its publisher, on its month's archive pages, in the feeds and in its month's
sitemap. A changed article that lost a term also leaves that term's page, so the replaced
record's terms are planned too. Nothing else mentions an article, so nothing else is rebuilt.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from newswire.models import IndexRecord
from newswire.ports import Taxonomy
from newswire.site.paths import (
    article_path,
    home_path,
    month_of,
    month_path,
    page_key,
    sitemap_key,
    term_path,
    terms_of,
)


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
        terms.update(terms_of(record))
        months.add(month_of(record))
    return SitePlan(
        articles=tuple(latest[i] for i in sorted(latest)),
        terms=tuple(sorted(terms)),
        months=tuple(sorted(months, reverse=True)),
    )


def pages_touched(record: IndexRecord) -> frozenset[str]:
    """The keys an article's addition rewrites (first page of each paginated list; the home
    pages after the first, and a month's later pages, shift with it too)."""
    keys = {page_key(article_path(record)), page_key(home_path(1)), "feed.xml", "feed.json"}
    keys.update(page_key(term_path(taxonomy, term)) for taxonomy, term in terms_of(record))
    keys.add(page_key(month_path(month_of(record))))
    keys.add(sitemap_key(month_of(record)))
    return frozenset(keys)
