"""The renderer of each page kind of the plan (newswire.site.plan.KINDS): a batch of touched
units in, the pages to write (and the `Gone` ones to delete) out.

Every list is read from `Listings` and rendered by the pure functions of pages and feeds, so a
full build and an incremental one write the same bytes. A unit the index no longer lists
anything for (a tag no article has any more, a day emptied by a prune) has its pages deleted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from newswire.models import IndexRecord, Taxonomy
from newswire.ports import ContentStore, StorageError
from newswire.render import read_page
from newswire.sections import MAX_TITLE, default_section_title, section_index_key
from newswire.site.article import render_article
from newswire.site.feeds import day_sitemap, json_feed, rss_feed, sitemap_entries, sitemap_entry
from newswire.site.indexes import (
    counts_key,
    counts_page,
    read_counts,
    render_term_index,
    updated_counts,
)
from newswire.site.listings import TIE_SLACK, Listings
from newswire.site.options import SiteOptions
from newswire.site.pages import ListPage, Page, day_label, render_list, stories
from newswire.site.paths import (
    article_path_of_key,
    day_path,
    home_path,
    page_key,
    section_path,
    sitemap_key,
    term_path,
)
from newswire.site.plan import ARTICLE, DAY, FEEDS, HOME, SECTION, TERM, parse_term_unit, sort_key
from newswire.site.writer import WRITE_BATCH, BuildReport, Gone

log = logging.getLogger("newswire.site")

SITEMAP_URLS = 50_000
"""The most URLs one sitemap may list (sitemaps.org): a busier day gets more parts."""
TERM_KINDS: dict[Taxonomy, tuple[str, str]] = {
    "tags": ("Tag", "tagged"),
    "categories": ("Category", "in the category"),
    "publisher": ("Publisher", "from"),
}
Units = Sequence[tuple[str, str]]
"""A kind's touched units with their cursors (SitePlan.of)."""
Output = Iterator[Page | Gone]


@dataclass
class DayOutcome:
    """What the day renderer learnt for the pages above the days (months, archive, sitemap
    index): the months whose list of days may have changed, each rendered day's sitemaps and
    its number of articles (0: emptied)."""

    months: set[str] = field(default_factory=set)
    sitemaps: dict[str, list[str]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Renderer:
    store: ContentStore
    listings: Listings
    records: Mapping[str, IndexRecord]
    """The current version of every article whose own page is planned (absent: not indexed)."""
    options: SiteOptions
    base_url: str
    report: BuildReport
    pool: Executor
    entered: frozenset[str] = frozenset()
    days: DayOutcome = field(default_factory=DayOutcome)
    full: bool = False
    """Every unit of every kind is planned (`newswire site --full`): kept counts start over."""
    _section_titles: dict[str, str] = field(default_factory=dict)

    def render(self, kind: str, units: Units) -> Output:
        return RENDERERS[kind](self, units)

    # --- articles ------------------------------------------------------------------------

    def articles(self, units: Units) -> Output:
        """Article pages from each record's stored Markdown (read a batch at a time); the page
        of an article no longer listed (hidden, deleted, pruned) is deleted."""
        shown: list[IndexRecord] = []
        for unit, _ in units:
            article_id, _, key = unit.partition(" ")
            record = self.records.get(article_id)
            if record is None or record.hidden:
                yield Gone(page_key(article_path_of_key(key)))
            else:
                shown.append(record)
        for start in range(0, len(shown), WRITE_BATCH):
            batch = shown[start : start + WRITE_BATCH]
            yield from (page for page in self.pool.map(self._article, batch) if page is not None)

    def _article(self, record: IndexRecord) -> Page | None:
        try:
            data = self.store.get(record.key)
            if data is None:
                raise StorageError(f"{record.key} is indexed but not stored")
            stored = read_page(data)
        except (StorageError, ValueError, UnicodeDecodeError) as exc:
            log.error("article page not built", extra={"key": record.key, "error": str(exc)})
            self.report.failed.append(f"{record.key}: {exc}")
            return None
        return render_article(
            record,
            stored,
            self.options,
            self.base_url,
            section_title=self.section_title(record.section),
        )

    def section_title(self, section: str) -> str:
        """The section's title from its Hugo `_index.md` (what feeds.yaml's `sections` set or
        the Hugo site's owner wrote there), else one made from its name; read once a build."""
        title = self._section_titles.get(section)
        if title is None:
            title = ""
            try:
                data = self.store.get(section_index_key(section))
                title = read_page(data).title if data is not None else ""
            except (StorageError, ValueError, UnicodeDecodeError) as exc:
                log.warning("section title not read", extra={"section": section, "error": str(exc)})
            title = " ".join(title.split())[:MAX_TITLE] or default_section_title(section)
            self._section_titles[section] = title
        return title

    # --- lists ---------------------------------------------------------------------------

    def _paginated(
        self,
        records: Sequence[IndexRecord],
        size: int,
        make: Callable[[int, int, Sequence[IndexRecord]], ListPage],
        numbers: range | None = None,
    ) -> Output:
        pages = max(1, math.ceil(len(records) / size))
        for number in numbers if numbers is not None else range(1, pages + 1):
            chunk = records[(number - 1) * size : number * size]
            yield render_list(make(number, pages, chunk), self.options, self.base_url)

    def home(self, units: Units) -> Output:
        size = self.options.page_size
        records = self.listings.latest(size * self.options.home_pages)

        def make(number: int, pages: int, chunk: Sequence[IndexRecord]) -> ListPage:
            return ListPage(
                path=home_path(number),
                heading="Latest news" if number == 1 else f"Latest news, page {number}",
                records=chunk,
                page=number,
                pages=pages,
                page_path=home_path,
                current="home",
                lead=number == 1,
                intro=self.options.description if number == 1 else "",
                note="Older stories are in the archive." if number == pages and pages > 1 else "",
            )

        yield from self._paginated(records, size, make)
        pages = max(1, math.ceil(len(records) / size))
        # Fewer articles than before (a prune): the home pages past the last go.
        last = self.options.home_pages
        yield from (Gone(page_key(home_path(n))) for n in range(pages + 1, last + 1))

    def terms(self, units: Units) -> Output:
        """Each touched term's page (and a tag's feed), then the index page of each taxonomy
        whose terms were touched, from the kept counts with the touched terms' new ones."""
        touched: dict[Taxonomy, dict[str, int]] = {}
        for unit, _ in units:
            taxonomy, term = parse_term_unit(unit)
            records = self.listings.by_term(taxonomy, term, self.options.list_limit)
            touched.setdefault(taxonomy, {})[term] = len(records)
            yield self.term(taxonomy, term, records)
            if taxonomy == "tags":
                yield self.term_feed(taxonomy, term, records)
        for taxonomy in sorted(touched):
            yield from self.term_index(taxonomy, touched[taxonomy])

    def term(self, taxonomy: Taxonomy, term: str, records: Sequence[IndexRecord]) -> Page | Gone:
        limit = self.options.list_limit
        path = term_path(taxonomy, term)
        if not records:
            return Gone(page_key(path))
        kind, phrase = TERM_KINDS[taxonomy]
        count = len(records)
        latest = "The latest " if count >= limit else ""
        stories = "story" if count == 1 else "stories"
        return render_list(
            ListPage(
                path=path,
                heading=term,
                kind=kind,
                records=records,
                intro=f"{latest}{count} {stories} {phrase} “{term}”, newest first.",
                note="Older stories are in the archive." if count >= limit else "",
                feed=f"{path}feed.xml" if taxonomy == "tags" else "",
            ),
            self.options,
            self.base_url,
        )

    def term_feed(
        self, taxonomy: Taxonomy, term: str, records: Sequence[IndexRecord]
    ) -> Page | Gone:
        folder = term_path(taxonomy, term)
        if not records:
            return Gone(f"{folder}feed.xml")
        latest = records[: self.options.feed_size]
        return rss_feed(latest, self.options, self.base_url, folder=folder, title=term)

    def term_index(self, taxonomy: Taxonomy, touched: Mapping[str, int]) -> Output:
        kept: dict[str, int] = {}
        if not self.full:
            try:
                kept = read_counts(self.store.get(counts_key(taxonomy)))
            except StorageError as exc:
                # Drawn from the touched terms alone, the index would drop the others.
                self.report.failed.append(f"{counts_key(taxonomy)}: {exc}")
                return
        counts = updated_counts(kept, touched, full=self.full)
        yield counts_page(counts_key(taxonomy), counts)
        yield render_term_index(taxonomy, counts, self.options, self.base_url)

    # --- sections ------------------------------------------------------------------------

    def sections(self, units: Units) -> Output:
        for section, _ in units:
            yield from self.section(section)

    def section(self, section: str) -> Output:
        """The section's page and its feed: its latest articles (see SECTION_DEPTH)."""
        here = section_path(section)
        records = self.listings.by_section(section, self.options.list_limit)
        if not records:
            yield Gone(page_key(here))
            yield Gone(f"{here}feed.xml")
            return
        title = self.section_title(section)
        count = len(records)
        yield render_list(
            ListPage(
                path=here,
                heading=title,
                kind="Section",
                records=records,
                intro=f"The latest {stories(count)} in {title}, newest first.",
                note="Older stories are in the archive.",
                feed=f"{here}feed.xml",
            ),
            self.options,
            self.base_url,
        )
        latest = records[: self.options.feed_size]
        yield rss_feed(latest, self.options, self.base_url, folder=here, title=title)

    def feeds(self, units: Units) -> Output:
        records = self.listings.latest(self.options.feed_size)
        yield rss_feed(records, self.options, self.base_url)
        yield json_feed(records, self.options, self.base_url)

    # --- the archive's days ----------------------------------------------------------------

    def day_units(self, units: Units) -> Output:
        for day, cursor in units:
            yield from self.day(day, cursor)

    def day(self, day: str, cursor: str) -> Output:
        """The day's pages and sitemaps from the one that holds `cursor` (the oldest touched
        position) on: those before it list the same articles as before, so they are neither
        read nor rendered. Where the change falls comes from two counts; the articles read are
        those from the cursor on and the few before it on its page; the last sitemap's entries
        before the cursor are kept from the stored sitemap. Pages and parts past the new last
        one are deleted."""
        size = self.options.archive_page_size
        position = self.listings.count_day(day, before=cursor)
        first = position // size + 1
        if position % size == 0 and first > 1:
            first -= 1  # the page before gains or loses its link to this one
        part = position // SITEMAP_URLS + 1
        kept = self._stored_entries(day, part, position - (part - 1) * SITEMAP_URLS)
        start = (
            (first - 1) * size
            if kept is not None
            else min((first - 1) * size, (part - 1) * SITEMAP_URLS)
        )
        window = self._window(day, cursor, position, position - start)
        if window is None:  # ties the counts cannot place: read the whole day
            window, start, kept = self.listings.by_day(day), 0, None
        total = start + len(window)
        pages = math.ceil(total / size)
        label = day_label(day)

        for number in range(first, pages + 1):
            chunk = window[(number - 1) * size - start : number * size - start]
            yield render_list(
                ListPage(
                    path=day_path(day, number),
                    heading=label,
                    kind="Archive",
                    records=chunk,
                    page=number,
                    pages=number + 1 if number < pages else number,
                    page_path=lambda n: day_path(day, n),
                    intro="The day's stories in the order they were published.",
                    current="archive",
                    chronological=True,
                ),
                self.options,
                self.base_url,
            )
        yield from self._past_last(lambda n: page_key(day_path(day, n)), max(pages, first - 1))

        parts = math.ceil(total / SITEMAP_URLS)
        for number in range(part, parts + 1):
            begin, end = (number - 1) * SITEMAP_URLS, min(number * SITEMAP_URLS, total)
            entries = kept if number == part and kept is not None else []
            done = begin + len(entries)
            entries = entries + [
                sitemap_entry(r, self.base_url) for r in window[done - start : end - start]
            ]
            yield day_sitemap(day, number, entries)
        yield from self._past_last(lambda n: sitemap_key(day, n), parts)
        self.days.sitemaps[day] = [sitemap_key(day, n) for n in range(1, parts + 1)]
        self.days.counts[day] = total
        if total == 0 or (position == 0 and {r.id for r in window} <= self.entered):
            self.days.months.add(day[:7])  # the day is new, or now empty

    def _window(
        self, day: str, cursor: str, position: int, before: int
    ) -> list[IndexRecord] | None:
        """The day's articles from the cursor on, after the `before` ones just before it,
        oldest first; None when the index's listing cannot be lined up with the count (more
        articles on one second at the cut than the read's slack)."""
        after = self.listings.count_day(day) - position
        listed = self.listings.day_newest(day, after + before + TIE_SLACK)
        older = [r for r in listed if sort_key(r) < cursor]
        newer = [r for r in listed if sort_key(r) >= cursor]
        if len(older) < before:
            return None
        return older[len(older) - before :] + newer if before else newer

    def _stored_entries(self, day: str, part: int, count: int) -> list[tuple[str, str]] | None:
        """The first `count` entries of the day's stored sitemap `part` (the articles before
        the change, which it does not move), or None when it cannot be read as one."""
        if count == 0:
            return []
        try:
            stored = self.store.get(sitemap_key(day, part))
            entries = sitemap_entries(stored) if stored is not None else []
        except (StorageError, ValueError):
            return None
        return entries[:count] if len(entries) >= count else None

    def _past_last(self, key: Callable[[int], str], last: int) -> Output:
        """Gone for the pages numbered after `last` that are stored (the first missing one
        ends it: pages are numbered without gaps)."""
        number = last + 1
        while True:
            try:
                found = self.store.get(key(number)) is not None
            except StorageError as exc:
                self.report.failed.append(f"{key(number)}: {exc}")
                return
            if not found:
                return
            yield Gone(key(number))
            number += 1


RENDERERS: dict[str, Callable[[Renderer, Units], Output]] = {
    ARTICLE: Renderer.articles,
    HOME: Renderer.home,
    TERM: Renderer.terms,
    SECTION: Renderer.sections,
    DAY: Renderer.day_units,
    FEEDS: Renderer.feeds,
}
"""One renderer per page kind of newswire.site.plan.KINDS, by the kind's name."""
