"""The site built from fixture feeds on the embedded backend: incremental builds equal a full
rebuild byte for byte, a new article appears on exactly the pages it belongs to, unchanged
pages are not rewritten, and an update leaves the lists it no longer belongs to."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest

from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.bootstrap import INDEX_FILE
from newswire.models import IndexRecord, RunSummary
from newswire.site.build import BuildReport, build_full_site, build_site
from newswire.site.options import SiteOptions
from newswire.site.paths import article_path, day_path, page_key, sitemap_key, term_path
from tests.site.helpers import (
    BASE_URL,
    SECOND_RUN,
    add_harbour_item,
    edit_feed,
    first_run,
    harbour,
    ingest,
    site_files,
)

# Small pages, so that the fixtures span several home and month pages.
OPTIONS = SiteOptions(page_size=4, home_pages=3, archive_page_size=2, feed_size=6, list_limit=3)


def incremental(root: Path, summary: RunSummary) -> BuildReport:
    index = SqliteIndex(root / INDEX_FILE)
    try:
        return build_site(
            summary.changed,
            DirectoryStore(root),
            index,
            base_url=BASE_URL,
            replaced=summary.replaced,
            options=OPTIONS,
        )
    finally:
        index.close()


def full(root: Path) -> BuildReport:
    index = SqliteIndex(root / INDEX_FILE)
    try:
        return build_full_site(DirectoryStore(root), index, base_url=BASE_URL, options=OPTIONS)
    finally:
        index.close()


def fresh_copy(root: Path, to: Path) -> Path:
    """The Markdown and the index of `root`, without its site. (SQLite's backup API, because
    the index runs in WAL mode: its latest writes may still be in the -wal file.)"""
    shutil.copytree(root / "content", to / "content")
    with sqlite3.connect(root / INDEX_FILE) as source, sqlite3.connect(to / INDEX_FILE) as copy:
        source.backup(copy)
    source.close()
    copy.close()
    return to


def records(root: Path) -> list[IndexRecord]:
    index = SqliteIndex(root / INDEX_FILE)
    try:
        return index.latest(limit=1000)
    finally:
        index.close()


def test_incremental_builds_equal_a_full_rebuild_byte_for_byte(tmp_path: Path) -> None:
    root = tmp_path / "site"
    first = incremental(root, ingest(root, first_run(tmp_path)))
    second = incremental(root, ingest(root, SECOND_RUN))
    third = incremental(root, ingest(root, [add_harbour_item(tmp_path)]))
    assert not first.failed and not second.failed and not third.failed
    built = site_files(root)

    rebuilt_root = fresh_copy(root, tmp_path / "rebuilt")
    report = full(rebuilt_root)

    assert not report.failed
    assert site_files(rebuilt_root) == built
    assert len(records(root)) == 13
    assert "page/3/index.html" in built and "archive/2026/01/02/page/2/index.html" in built
    # And a full rebuild over the incremental site finds nothing to rewrite.
    again = full(root)
    assert (again.written, again.failed) == ([], [])
    assert again.unchanged == len(built)


def test_a_new_article_appears_on_every_page_it_belongs_to_and_on_no_other(
    tmp_path: Path,
) -> None:
    root = tmp_path / "site"
    incremental(root, ingest(root, (*first_run(tmp_path), *SECOND_RUN)))
    before = site_files(root)

    summary = ingest(root, [add_harbour_item(tmp_path)])
    [added] = summary.changed
    report = incremental(root, summary)
    after = site_files(root)

    link = article_path(added).encode()  # relative links and absolute URLs both contain it
    assert added.title == "Harbour lights festival draws record crowds"
    mentioning = {key for key, body in after.items() if link in body}
    expected = {
        page_key(article_path(added)), "index.html", "feed.xml", "feed.json",
        *(page_key(term_path("tags", t)) for t in added.tags),
        *(f"{term_path('tags', t)}feed.xml" for t in added.tags),
        page_key(term_path("categories", "Local news")),
        "articles/local/index.html", "articles/local/feed.xml",
        day_path(added.published[:10]) + "index.html", sitemap_key(added.published[:10]),
    }  # fmt: skip
    assert mentioning == expected
    # Only what changed was written: the pages it is on, the pages a newer article pushes the
    # others along on (home page 2 onwards), the month's list of days, the archive's months and
    # the sitemap index (its day is new), the archive's and its tags' counts, and the index
    # pages of its taxonomies where a count they show changed.
    shifted = {k for k in after if k.startswith("page/")}
    above = {
        "archive/2026/01/index.html", "archive/index.html", "archive/counts.json",
        "sitemap.xml", "tags/counts.json",
    }  # fmt: skip
    indexes = {f"{d}/{f}" for d in ("tags", "categories") for f in ("index.html", "counts.json")}
    assert expected | above <= set(report.written) <= expected | shifted | above | indexes
    assert b"07/" in after["archive/2026/01/index.html"]
    assert {k for k in before if before[k] != after[k]} | (after.keys() - before.keys()) == set(
        report.written
    )
    # Newest first on the home page, and on the terms it brought.
    home = after["index.html"].decode()
    assert home.index(added.title) < home.index("Ferry service resumes after winter storms")


def test_unchanged_pages_are_not_rewritten(tmp_path: Path) -> None:
    root = tmp_path / "site"
    summary = ingest(root, first_run(tmp_path))
    incremental(root, summary)
    stamps = {p: p.stat().st_mtime_ns for p in root.rglob("*.html")}

    again = incremental(root, summary)  # the same changes again: same bytes

    assert again.written == [] and again.unchanged > 0
    assert {p: p.stat().st_mtime_ns for p in stamps} == stamps
    nothing = incremental(root, ingest(root, first_run(tmp_path)))  # a run that changed nothing
    assert (nothing.written, nothing.unchanged) == ([], 0)


def test_an_updated_article_leaves_the_lists_it_no_longer_belongs_to(tmp_path: Path) -> None:
    root = tmp_path / "site"
    incremental(root, ingest(root, [harbour(tmp_path)]))
    feed = edit_feed(
        harbour(tmp_path), "Lifeboat crew rescues two kayakers", "Coastguard praises quick rescue"
    )
    summary = ingest(root, [feed])
    [updated] = summary.changed
    [before] = summary.replaced
    assert "lifeboat" in before.tags and "lifeboat" not in updated.tags

    incremental(root, summary)

    files = site_files(root)
    link = article_path(updated).encode()
    dropped = {page_key(term_path("tags", t)) for t in set(before.tags) - set(updated.tags)}
    assert page_key(term_path("tags", "lifeboat")) in dropped
    assert link in files[page_key(term_path("tags", "coastguard"))]
    assert b"Coastguard praises quick rescue" in files[page_key(article_path(updated))]
    # A tag that no article has any more loses its page; one that still has others keeps it.
    gone = {page_key(term_path("tags", "lifeboat")), page_key(term_path("tags", "crew"))}
    assert gone <= dropped and not gone & files.keys()
    assert all(link not in files[key] for key in dropped & files.keys())
    rebuilt = fresh_copy(root, tmp_path / "rebuilt")
    full(rebuilt)
    assert site_files(rebuilt) == files


def test_a_missing_markdown_file_fails_its_page_only(tmp_path: Path) -> None:
    root = tmp_path / "site"
    summary = ingest(root, first_run(tmp_path))
    lost = summary.changed[0]
    (root / lost.key).unlink()

    report = incremental(root, summary)

    assert report.failed == [f"{lost.key}: {lost.key} is indexed but not stored"]
    assert page_key(article_path(lost)) not in site_files(root)
    assert "index.html" in report.written


def test_an_empty_index_builds_an_empty_site(tmp_path: Path) -> None:
    root = tmp_path / "site"
    SqliteIndex(root / INDEX_FILE).close()
    report = full(root)
    files = site_files(root)
    assert {"index.html", "404.html", "feed.xml", "feed.json", "sitemap.xml", "robots.txt",
            "archive/index.html", "favicon.svg"} <= set(files)  # fmt: skip
    assert b"No articles yet." in files["index.html"]
    assert not report.failed


@pytest.mark.parametrize("bad", ["ftp://example.org/", "example.org", "https://x.org/?q=1"])
def test_the_base_url_must_be_absolute_http(tmp_path: Path, bad: str) -> None:
    index = SqliteIndex(tmp_path / INDEX_FILE)
    with pytest.raises(ValueError, match="base URL"):
        build_full_site(DirectoryStore(tmp_path), index, base_url=bad)
    index.close()
