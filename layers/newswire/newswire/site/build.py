"""The site's imperative shell: read the index and the Markdown, render, write what changed.

Both builds render every page with the same functions from the same kind of listing, so a full
rebuild writes byte for byte what the incremental builds wrote:

- `build_site(changed, ...)`: after an ingest, only the pages the changed articles appear on;
- `build_full_site(...)`: every page, from every record (`newswire site --full`).

A page is written only when its bytes differ from the stored ones.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from newswire.leases import new_lease_owner
from newswire.models import IndexRecord, Taxonomy
from newswire.ports import ArticleIndex, ContentStore, StorageError
from newswire.render import read_page
from newswire.site.article import render_article
from newswire.site.feeds import json_feed, month_sitemap, robots_txt, rss_feed, sitemap_index
from newswire.site.listings import IndexListings, Listings, MemoryListings
from newswire.site.options import SiteOptions, normalize_base_url
from newswire.site.pages import (
    ListPage,
    Page,
    asset_pages,
    month_label,
    render_archive,
    render_list,
    render_not_found,
)
from newswire.site.paths import home_path, month_path, term_path
from newswire.site.plan import SitePlan, plan_changes

log = logging.getLogger("newswire.site")

ALL_RECORDS = 100_000_000
SITE_LEASE = "newswire:site-build"
"""The lease that serializes site builds, kept where feed leases are (no feed has this name:
feed names in the index are the config's, and a colon marks this one as newswire's own)."""
LEASE_SECONDS = 900.0
"""At least the longest a build may run (a Lambda function's longest timeout)."""
LEASE_WAIT_SECONDS = 120.0
LEASE_POLL_SECONDS = 1.0
WRITE_BATCH = 64
TERM_KINDS: dict[Taxonomy, tuple[str, str]] = {
    "tags": ("Tag", "tagged"),
    "categories": ("Category", "in the category"),
    "publisher": ("Publisher", "from"),
}


@dataclass
class BuildReport:
    """What a build did. `written` lists the keys rewritten (their bytes changed)."""

    written: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "written": len(self.written),
            "unchanged": self.unchanged,
            "failed": list(self.failed),
            "seconds": round(self.seconds, 3),
        }

    def describe(self) -> str:
        failed = f", {len(self.failed)} failed" if self.failed else ""
        return f"{len(self.written)} written, {self.unchanged} unchanged{failed}"


class _Writer:
    """Writes pages whose bytes changed, a batch at a time on a few threads (S3 round trips)."""

    def __init__(self, store: ContentStore, report: BuildReport, workers: int) -> None:
        self.store = store
        self.report = report
        self.workers = max(1, workers)

    def _write(self, page: Page) -> tuple[str, bool, str | None]:
        try:
            if self.store.get(page.key) == page.body:
                return page.key, False, None
            self.store.put(
                page.key,
                page.body,
                content_type=page.content_type,
                cache_control=page.cache_control,
            )
        except StorageError as exc:
            return page.key, False, str(exc)
        return page.key, True, None

    def write(self, pages: Iterable[Page]) -> None:
        batch: list[Page] = []
        for page in pages:
            batch.append(page)
            if len(batch) >= WRITE_BATCH:
                self._flush(batch)
                batch = []
        self._flush(batch)

    def _flush(self, batch: Sequence[Page]) -> None:
        if not batch:
            return
        with ThreadPoolExecutor(max_workers=min(self.workers, len(batch))) as pool:
            for key, written, error in pool.map(self._write, batch):
                if error is not None:
                    log.error("site page not written", extra={"key": key, "error": error})
                    self.report.failed.append(f"{key}: {error}")
                elif written:
                    self.report.written.append(key)
                else:
                    self.report.unchanged += 1


@dataclass
class _Renderer:
    store: ContentStore
    listings: Listings
    options: SiteOptions
    base_url: str
    report: BuildReport
    workers: int = 8

    def articles(self, records: Sequence[IndexRecord]) -> Iterator[Page]:
        """Article pages, from each record's stored Markdown (read a batch at a time)."""
        for start in range(0, len(records), WRITE_BATCH):
            batch = records[start : start + WRITE_BATCH]
            with ThreadPoolExecutor(max_workers=max(1, min(self.workers, len(batch)))) as pool:
                pages = list(pool.map(self._article, batch))
            yield from (page for page in pages if page is not None)

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
        return render_article(record, stored, self.options, self.base_url)

    def paginated(
        self,
        base: str,
        records: Sequence[IndexRecord],
        size: int,
        make: Callable[[int, int, Sequence[IndexRecord]], ListPage],
    ) -> Iterator[Page]:
        pages = max(1, math.ceil(len(records) / size))
        for number in range(1, pages + 1):
            chunk = records[(number - 1) * size : number * size]
            yield render_list(make(number, pages, chunk), self.options, self.base_url)

    def home(self) -> Iterator[Page]:
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

        yield from self.paginated("", records, size, make)

    def term(self, taxonomy: Taxonomy, term: str) -> Page:
        limit = self.options.list_limit
        records = self.listings.by_term(taxonomy, term, limit)
        kind, phrase = TERM_KINDS[taxonomy]
        count = len(records)
        latest = "The latest " if count >= limit else ""
        stories = "story" if count == 1 else "stories"
        intro = f"{latest}{count} {stories} {phrase} “{term}”, newest first." if count else ""
        return render_list(
            ListPage(
                path=term_path(taxonomy, term),
                heading=term,
                kind=kind,
                records=records,
                intro=intro,
                note="Older stories are in the archive." if count >= limit else "",
            ),
            self.options,
            self.base_url,
        )

    def month(self, month: str, records: Sequence[IndexRecord]) -> Iterator[Page]:
        label = month_label(month)
        count = len(records)

        def make(number: int, pages: int, chunk: Sequence[IndexRecord]) -> ListPage:
            return ListPage(
                path=month_path(month, number),
                heading=label,
                kind="Archive",
                records=chunk,
                page=number,
                pages=pages,
                page_path=lambda n: month_path(month, n),
                intro=f"{count} {'story' if count == 1 else 'stories'}, newest first.",
                current="archive",
            )

        base = month_path(month)
        yield from self.paginated(base, records, self.options.month_page_size, make)

    def feeds(self) -> list[Page]:
        records = self.listings.latest(self.options.feed_size)
        return [
            rss_feed(records, self.options, self.base_url),
            json_feed(records, self.options, self.base_url),
        ]

    def fixed(self) -> list[Page]:
        """The stylesheet, icon, robots.txt and 404 page: cheap to compare, so every build
        checks them (a newer theme reaches the store before a page links to it)."""
        return [
            *asset_pages(),
            robots_txt(self.base_url),
            render_not_found(self.options, self.base_url),
        ]


@contextlib.contextmanager
def site_lease(
    index: ArticleIndex,
    *,
    wait_seconds: float = LEASE_WAIT_SECONDS,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[bool]:
    """One site build at a time, through the index's lease (as one feed's ingest at a time).

    Two builds that overlap could each render a list from the index before the other's
    article was there, and the later write would drop the other's article. Under the lease,
    the second build waits, then reads the index after the first one's writes: every page it
    renders holds both. If the lease stays taken past `wait_seconds` (a build that died holds
    it until it expires), the build goes ahead without it and says so. Yields whether it holds
    the lease."""
    owner = new_lease_owner()
    deadline = time.monotonic() + wait_seconds
    while True:
        now = datetime.now(UTC)
        until = now + timedelta(seconds=LEASE_SECONDS)
        taken, _ = index.acquire_lease(SITE_LEASE, owner, now=now, until=until)
        if taken or time.monotonic() >= deadline:
            break
        sleep(LEASE_POLL_SECONDS)
    if not taken:
        log.warning("site built without its lease: another build held it", extra={
            "waited_seconds": wait_seconds
        })  # fmt: skip
    try:
        yield taken
    finally:
        if taken:
            try:
                index.release_lease(SITE_LEASE, owner)
            except StorageError as exc:  # it expires by itself
                log.warning("site lease not released", extra={"error": str(exc)})


def archive_months(index: ArticleIndex) -> list[str]:
    """Every month that has an article, newest first (run when a month is new)."""
    return sorted(index.months_with_articles(), reverse=True)


def _build(
    plan: SitePlan,
    store: ContentStore,
    listings: Listings,
    months: Callable[[], list[str]] | None,
    *,
    base_url: str,
    options: SiteOptions,
    changed_ids: frozenset[str] | None,
    workers: int,
) -> BuildReport:
    started = time.monotonic()
    report = BuildReport()
    base_url = normalize_base_url(base_url)
    writer = _Writer(store, report, workers)
    render = _Renderer(store, listings, options, base_url, report, workers)

    writer.write(render.fixed())
    writer.write(render.articles(plan.articles))
    writer.write(render.home())
    writer.write(render.term(taxonomy, term) for taxonomy, term in plan.terms)
    sitemaps: list[Page] = []
    month_is_new = False
    for month in plan.months:
        records = listings.by_month(month)
        # A month none of whose articles existed before this build is new: the archive's list
        # of months (and the sitemap index) gains it. Cheap to check, costly to list.
        if changed_ids is not None and {r.id for r in records} <= changed_ids:
            month_is_new = True
        writer.write(render.month(month, records))
        sitemaps.append(month_sitemap(month, records, base_url))
    # Feeds and sitemaps last: they never point to a page that is not there yet.
    writer.write(sitemaps)
    if months is not None and (changed_ids is None or month_is_new):
        all_months = months()
        writer.write([render_archive(all_months, options, base_url)])
        writer.write([sitemap_index(all_months, base_url)])
    writer.write(render.feeds())
    report.seconds = time.monotonic() - started
    return report


def build_site(
    changed: Iterable[IndexRecord],
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str,
    replaced: Iterable[IndexRecord] = (),
    options: SiteOptions | None = None,
    workers: int = 8,
    lease_wait: float = LEASE_WAIT_SECONDS,
) -> BuildReport:
    """Rewrite the pages that the `changed` records (added or replaced by an ingest) appear
    on; `replaced` are the records those updates replaced (their old terms' pages are redone).
    Nothing changed: nothing is read or written. Raises StorageError if the index fails."""
    changed = list(changed)
    plan = plan_changes(changed, replaced)
    if plan.empty:
        return BuildReport()
    with site_lease(index, wait_seconds=lease_wait):
        return _build(
            plan,
            store,
            IndexListings(index),
            lambda: archive_months(index),
            base_url=base_url,
            options=options or SiteOptions(),
            changed_ids=frozenset(r.id for r in changed),
            workers=workers,
        )


def build_full_site(
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str,
    options: SiteOptions | None = None,
    workers: int = 8,
    lease_wait: float = LEASE_WAIT_SECONDS,
) -> BuildReport:
    """Render every page of the site from every indexed record (pages whose bytes did not
    change are still not written). Raises StorageError if the index fails."""
    with site_lease(index, wait_seconds=lease_wait):
        listings = MemoryListings(index.latest(limit=ALL_RECORDS))
        plan = plan_changes(listings.all)
        months = sorted(listings.months, reverse=True)
        return _build(
            plan,
            store,
            listings,
            lambda: months,
            base_url=base_url,
            options=options or SiteOptions(),
            changed_ids=None,
            workers=workers,
        )
