"""The site's imperative shell: read the index and the Markdown, render, write what changed.

Both builds render every page with the same functions (newswire.site.renderers) from the same
kind of listing, so a full rebuild writes byte for byte what the incremental builds wrote:

- `build_plan(plan, ...)`: the pages a change touches (newswire.site.plan), read from the
  index: the worker's or the site function's build, and `build_site` after a CLI run;
- `build_full_site(...)`: every page, from every record (`newswire site --full`), and the
  deletion of every site page that no article is on any more.

A page is written only when its bytes differ from the stored ones.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from newswire.leases import new_lease_owner
from newswire.models import IndexRecord
from newswire.ports import ArticleIndex, ContentStore, StorageError
from newswire.site.feeds import robots_txt, sitemap_index, sitemap_keys
from newswire.site.indexes import ARCHIVE_COUNTS, counts_page, read_counts, updated_counts
from newswire.site.listings import IndexListings, Listings, MemoryListings
from newswire.site.options import SiteOptions, normalize_base_url
from newswire.site.pages import Page, asset_pages, render_archive, render_month, render_not_found
from newswire.site.paths import SITE_ROOT_PREFIXES, month_path, page_key, sitemap_key
from newswire.site.plan import ARTICLE, KIND_NAMES, SitePlan, plan_changes, plan_everything
from newswire.site.processes import ArticleChildren, article_processes
from newswire.site.renderers import Renderer
from newswire.site.writer import BuildReport, Gone, Writer

__all__ = ["BuildReport", "build_full_site", "build_plan", "build_site", "site_lease"]

log = logging.getLogger("newswire.site")

ALL_RECORDS = 100_000_000
SITE_LEASE = "newswire:site-build"
"""The lease that serializes the CLI's site builds, kept where feed leases are (no feed has this
name: feed names in the index are the config's, and a colon marks this one as newswire's own).
On AWS the site function's reserved concurrency of 1 serializes them instead."""
LEASE_SECONDS = 900.0
"""At least the longest a build may run (a Lambda function's longest timeout)."""
LEASE_WAIT_SECONDS = 120.0
LEASE_POLL_SECONDS = 1.0
STALE_PREFIXES = tuple(p for p in SITE_ROOT_PREFIXES if p != "css/")
"""Where a full build looks for pages it did not render (left by older versions or by builds
that failed), to delete them. Not css/: a page cached for minutes may still name an older
stylesheet."""


def fixed_pages(options: SiteOptions, base_url: str) -> list[Page]:
    """The stylesheet, icon, robots.txt and 404 page: cheap to compare, so every build checks
    them (a newer theme reaches the store before a page links to it)."""
    return [*asset_pages(), robots_txt(base_url), render_not_found(options, base_url)]


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


def _above_days(
    render: Renderer, listings: Listings, store: ContentStore, base_url: str, *, full: bool
) -> Iterator[Page | Gone]:
    """The pages above the days: a month's list of days and the archive's list of months when
    a day was added or emptied, and the sitemap index when a day's sitemaps were rendered."""
    options = render.options
    counts = _day_counts(render, store, full=full)
    if counts is not None:
        yield counts_page(ARCHIVE_COUNTS, counts)
        yield from _dated_pages(render, counts, base_url)
    else:
        months = render.days.months
        for month in sorted(months, reverse=True):
            days = sorted(listings.days(month), reverse=True)
            if days:
                yield render_month(month, days, options, base_url)
            else:
                yield Gone(page_key(month_path(month)))
        if months or full:
            yield render_archive(sorted(listings.months(), reverse=True), options, base_url)
    rendered = render.days.sitemaps
    if not rendered and not full:
        return
    keys: set[str] = set()
    if not full:
        keys = _listed_sitemaps(store, listings, base_url)
        keys = {k for k in keys if k[8:18] not in rendered}
    for day_keys in rendered.values():
        keys.update(day_keys)
    yield sitemap_index(keys, base_url)


def _day_counts(render: Renderer, store: ContentStore, *, full: bool) -> dict[str, int] | None:
    """Every day's number of articles: the kept counts (archive/counts.json) with the rendered
    days' new ones, or from scratch in a full build. None when no day was rendered, or when the
    counts cannot be read (a site from before they were kept: `newswire site --full` adds them);
    the archive is then drawn without counts, from the index."""
    rendered = render.days.counts
    if full:
        return {day: n for day, n in rendered.items() if n > 0}
    if not rendered:
        return None
    try:
        stored = store.get(ARCHIVE_COUNTS)
        # No archive yet: these are the site's first days, and the counts start here.
        new_site = stored is None and store.get(page_key("archive/")) is None
    except StorageError as exc:
        log.warning("archive counts not read", extra={"error": str(exc)})
        return None
    if stored is None and not new_site:
        return None
    return updated_counts(read_counts(stored), rendered)


def _dated_pages(render: Renderer, counts: dict[str, int], base_url: str) -> Iterator[Page | Gone]:
    """The months of the rendered days (their days, each with its count) and the archive's
    list of months with theirs, all from the kept counts: no query of the index."""
    options = render.options
    by_month: dict[str, dict[str, int]] = {}
    for day, count in counts.items():
        by_month.setdefault(day[:7], {})[day] = count
    touched = {day[:7] for day in render.days.counts} | render.days.months
    for month in sorted(touched, reverse=True):
        days = by_month.get(month, {})
        if days:
            yield render_month(month, sorted(days, reverse=True), options, base_url, days)
        else:
            yield Gone(page_key(month_path(month)))
    totals = {month: sum(days.values()) for month, days in by_month.items()}
    yield render_archive(sorted(totals, reverse=True), options, base_url, totals)


def _listed_sitemaps(store: ContentStore, listings: Listings, base_url: str) -> set[str]:
    """The days' sitemaps the stored index lists (one read), or, when it cannot be read as
    one, every day's first sitemap from the index (one query per month; a full build adds any
    further parts of days of over 50,000 articles)."""
    stored = store.get("sitemap.xml")
    if stored is not None:
        try:
            return sitemap_keys(stored, base_url)
        except ValueError as exc:
            log.warning("sitemap.xml listed again from the index", extra={"error": str(exc)})
    return {sitemap_key(day) for month in listings.months() for day in listings.days(month)}


def _build(
    plan: SitePlan,
    store: ContentStore,
    listings: Listings,
    records: dict[str, IndexRecord],
    *,
    base_url: str,
    options: SiteOptions,
    workers: int,
    full: bool,
    processes: int | None = 0,
) -> BuildReport:
    started = time.monotonic()
    report = BuildReport()
    base_url = normalize_base_url(base_url)
    articles = plan.of(ARTICLE)

    def renderer(report: BuildReport, pool: Executor) -> Renderer:
        return Renderer(
            store, listings, records, options, base_url, report, pool, plan.entered, full=full
        )

    def article_pages(units: Sequence[tuple[str, str]], writer: Writer) -> None:
        writer.write(renderer(writer.report, writer.pool).articles(units))

    children = ArticleChildren(store, article_pages, workers)
    count = article_processes(store, len(articles), processes)
    stored: list[str] | None = None
    if count:
        children.start(articles, count)  # forked before this process starts any thread
    try:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            writer = Writer(store, report, pool)
            render = renderer(report, pool)
            writer.write(fixed_pages(options, base_url))
            if count:
                # The lists are rendered while the children render the articles, and written
                # after them, as in one process: no list links to a page that is not there yet.
                lists = [
                    page
                    for kind in KIND_NAMES
                    if kind != ARTICLE
                    for page in render.render(kind, plan.of(kind))
                ]
                # What the site held before this build, listed meanwhile too: the children add
                # only pages this build renders, which are not stale.
                stored = _site_keys(store) if full else []
                children.finish(writer)
                writer.write(lists)
            else:
                for kind in KIND_NAMES:
                    writer.write(render.render(kind, plan.of(kind)))
            if full:
                render.days.months.update(listings.months())
            writer.write(_above_days(render, listings, store, base_url, full=full))
            if full:
                keys = _site_keys(store) if stored is None else stored
                writer.write(Gone(key) for key in sorted(set(keys) - writer.seen))
    finally:
        children.stop()  # children left running by an error before finish
    report.seconds = time.monotonic() - started
    return report


def _site_keys(store: ContentStore) -> list[str]:
    """The pages stored under the site's folders (a full build deletes those it did not
    render)."""
    keys: list[str] = []
    for prefix in STALE_PREFIXES:
        keys.extend(key for key in store.keys(prefix) if key.endswith((".html", ".xml", ".json")))
    return keys


def build_plan(
    plan: SitePlan,
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str,
    options: SiteOptions | None = None,
    workers: int = 8,
    lease: bool = True,
    lease_wait: float = LEASE_WAIT_SECONDS,
) -> BuildReport:
    """Render the pages `plan` touches. Nothing touched: nothing is read or written. With
    `lease`, under the site lease (the CLI; the site function needs none). Raises
    StorageError if the index fails."""
    if plan.empty:
        return BuildReport()
    with site_lease(index, wait_seconds=lease_wait) if lease else contextlib.nullcontext(True):
        wanted = {unit.partition(" ")[0] for unit, _ in plan.of(ARTICLE)} | plan.entered
        records = index.get_records(sorted(wanted))
        fresh = {i: records[i] for i in plan.entered if i in records}
        gone = plan.left | (plan.entered - records.keys())
        return _build(
            plan,
            store,
            IndexListings(index, fresh, frozenset(gone)),
            records,
            base_url=base_url,
            options=options or SiteOptions(),
            workers=workers,
            full=False,
        )


def build_site(
    changed: Iterable[IndexRecord],
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str,
    replaced: Iterable[IndexRecord] = (),
    removed: Iterable[IndexRecord] = (),
    options: SiteOptions | None = None,
    workers: int = 8,
    lease_wait: float = LEASE_WAIT_SECONDS,
) -> BuildReport:
    """Rewrite the pages that the `changed` records (added or replaced by an ingest) appear
    on; `replaced` are the records those updates replaced (the pages they left are redone),
    `removed` the articles taken off the site (their pages go). Raises StorageError if the
    index fails."""
    plan = plan_changes(changed, replaced, removed=removed)
    return build_plan(
        plan, store, index, base_url=base_url, options=options, workers=workers,
        lease_wait=lease_wait,
    )  # fmt: skip


def build_full_site(
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str,
    options: SiteOptions | None = None,
    workers: int = 8,
    lease_wait: float = LEASE_WAIT_SECONDS,
    processes: int | None = None,
) -> BuildReport:
    """Render every page of the site from every indexed record (pages whose bytes did not
    change are still not written), and delete the site's pages that no record is on. Raises
    StorageError if the index fails.

    `processes`: child processes for the article pages (newswire.site.processes); None: one
    per usable core when the site is large enough and the store can be shared, 0: none."""
    with site_lease(index, wait_seconds=lease_wait):
        listings = MemoryListings(index.latest(limit=ALL_RECORDS))
        return _build(
            plan_everything(listings.all),
            store,
            listings,
            {r.id: r for r in listings.all},
            base_url=base_url,
            options=options or SiteOptions(),
            workers=workers,
            full=True,
            processes=processes,
        )
