"""The archive's day pages and sitemaps at scale (the embedded backend, articles written
directly): a newer article rewrites the day's last page and sitemap only, reading the articles
of that page and not the day's older ones; a backdated one rewrites from its own page on; the
result is always what a full build writes."""

from __future__ import annotations

import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.site_scale import make_article, write_articles
from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.models import IndexRecord
from newswire.site.build import build_full_site, build_site
from newswire.site.options import SiteOptions
from newswire.site.paths import day_path, page_key, sitemap_key
from tests.site.helpers import BASE_URL, site_files

OPTIONS = SiteOptions(archive_page_size=10)
DAY = "2026-01-05"
MORNING = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)


class CountingIndex:
    """The index, counting what its by_day reads return."""

    def __init__(self, index: SqliteIndex) -> None:
        self.index = index
        self.day_items = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.index, name)
        if name != "by_day":
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            self.day_items += len(result)
            return result

        return counted


def a_day(root: Path, count: int) -> list[IndexRecord]:
    rng = random.Random(2026)
    articles = [make_article(rng, n, MORNING + timedelta(minutes=3 * n)) for n in range(count)]
    store, index = DirectoryStore(root), SqliteIndex(root / "newswire.sqlite3")
    records = write_articles(store, index, articles)
    build_full_site(store, index, base_url=BASE_URL, options=OPTIONS)
    index.close()
    return records


def add(root: Path, numbers: range, when: datetime) -> tuple[list[IndexRecord], Any, int]:
    rng = random.Random(7)
    new = [make_article(rng, n, when + timedelta(seconds=n % 50)) for n in numbers]
    store, raw = DirectoryStore(root), SqliteIndex(root / "newswire.sqlite3")
    added = write_articles(store, raw, new)
    index = CountingIndex(raw)
    report = build_site(added, store, index, base_url=BASE_URL, options=OPTIONS)
    raw.close()
    return added, report, index.day_items


def rebuilt(root: Path, to: Path) -> dict[str, bytes]:
    shutil.copytree(root / "content", to / "content")
    shutil.copyfile(root / "newswire.sqlite3", to / "newswire.sqlite3")
    store, index = DirectoryStore(to), SqliteIndex(to / "newswire.sqlite3")
    build_full_site(store, index, base_url=BASE_URL, options=OPTIONS)
    index.close()
    return site_files(to)


def test_a_newer_article_reads_and_rewrites_only_the_days_last_page(tmp_path: Path) -> None:
    root = tmp_path / "site"
    a_day(root, 200)  # 20 full pages of 10
    before = site_files(root)

    _, report, day_items = add(root, range(1000, 1003), MORNING + timedelta(hours=12))

    # The read: the 3 new articles (counted once more for the overlay of the change's own), the
    # last full page's 10 (it gains a link) and the slack for ties; never the day's 200.
    assert day_items <= 3 + 10 + 25 + 3
    pages = {k for k in report.written if k.startswith("archive/2026/01/05/")}
    # Page 21 is new; page 20 (full) gains its link to it; pages 1 to 19 are not touched.
    assert pages == {page_key(day_path(DAY, 20)), page_key(day_path(DAY, 21))}
    assert sitemap_key(DAY) in report.written
    after = site_files(root)
    for number in range(1, 20):
        key = page_key(day_path(DAY, number))
        assert after[key] == before[key]
    assert after == rebuilt(root, tmp_path / "full")


def test_a_backdated_article_rewrites_from_its_own_page_on(tmp_path: Path) -> None:
    root = tmp_path / "site"
    a_day(root, 60)  # pages 1-6
    # Between the 35th and 36th articles: page 4 on shifts, pages 1-3 stay.
    _, report, _ = add(root, range(2000, 2001), MORNING + timedelta(minutes=3 * 35 - 1))
    pages = sorted(k for k in report.written if k.startswith("archive/2026/01/05/"))
    assert pages == [page_key(day_path(DAY, n)) for n in (4, 5, 6, 7)]
    assert site_files(root) == rebuilt(root, tmp_path / "full")


def test_a_lost_sitemap_is_made_again_from_the_index(tmp_path: Path) -> None:
    root = tmp_path / "site"
    a_day(root, 40)
    (root / sitemap_key(DAY)).unlink()
    add(root, range(3000, 3002), MORNING + timedelta(hours=12))
    assert site_files(root) == rebuilt(root, tmp_path / "full")
