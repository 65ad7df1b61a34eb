"""Builders shared by the site tests: fixture feeds ingested on the embedded backend, records,
and the site's files read back."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from newswire.bootstrap import Settings, build_ingestor
from newswire.ingest import Ingestor
from newswire.models import FeedConfig, IndexRecord, RunSummary

DATA = Path(__file__).resolve().parent.parent / "data"
BASE_URL = "https://news.example.org/"
NOT_SITE = ("content/", "newswire.sqlite3")

# The fixture feeds as a small newsroom: sections, configured categories, Google News items with
# publishers and related coverage, Cyrillic titles, an Atom blog.
WORLD = FeedConfig(url=str(DATA / "google-news-world.xml"), name="world", section="world")
SEARCH = FeedConfig(
    url=str(DATA / "google-news-search.xml"), name="ukraine-search", section="world"
)
HARBOUR = FeedConfig(
    url=str(DATA / "rss-basic.xml"), name="harbour-gazette", section="local",
    categories=("Local news",),
)  # fmt: skip
"""Its short guids ("1") are scoped by the feed's URL: a changed copy must keep one path."""
POLTAVA = FeedConfig(
    url=str(DATA / "ukrainian-feed.xml"), name="poltava", section="ukraine", language="uk"
)
BLOG = FeedConfig(url=str(DATA / "atom-blog.xml"), name="notes", section="blog")
SECOND_RUN = (SEARCH, POLTAVA)

NEW_ITEM = """\
    <item>
      <title>Harbour lights festival draws record crowds</title>
      <link>https://gazette.example.org/news/harbour-lights</link>
      <guid isPermaLink="false">4</guid>
      <pubDate>Wed, 07 Jan 2026 19:00:00 +0000</pubDate>
      <description>Lanterns lined the quay for the festival's tenth year.</description>
    </item>
  </channel>"""


def ingestor(site_dir: Path) -> Ingestor:
    return build_ingestor(Settings(site_dir=site_dir, allow_local=True, workers=2))


def ingest(site_dir: Path, feeds: Iterable[FeedConfig]) -> RunSummary:
    summary = ingestor(site_dir).run(list(feeds))
    assert summary.counts["failed"] == 0, summary.as_dict()
    return summary


def harbour(folder: Path) -> FeedConfig:
    """The harbour feed from a copy in `folder`, which a test may change between runs."""
    path = folder / "harbour.xml"
    if not path.exists():
        shutil.copyfile(DATA / "rss-basic.xml", path)
    return dataclasses.replace(HARBOUR, url=str(path))


def first_run(folder: Path) -> tuple[FeedConfig, ...]:
    return (WORLD, harbour(folder), BLOG)


def edit_feed(feed: FeedConfig, old: str, new: str) -> FeedConfig:
    path = Path(feed.url)
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")
    return feed


def add_harbour_item(folder: Path) -> FeedConfig:
    """The harbour feed, one item longer: the same feed, a newer article."""
    return edit_feed(harbour(folder), "  </channel>", NEW_ITEM)


def site_files(root: Path) -> dict[str, bytes]:
    """The site's files under `root` (not the Markdown nor the index), by key."""
    out: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        key = path.relative_to(root).as_posix()
        if path.is_file() and not key.startswith(NOT_SITE) and ".tmp-" not in path.name:
            out[key] = path.read_bytes()
    return out


def record(
    *,
    id: str = "a1b2c3d4e5f6a7b8c9d0",
    title: str = "Harbour wall repaired",
    slug: str = "harbour-wall-repaired",
    section: str = "local",
    date: datetime = datetime(2026, 1, 5, 18, 0, tzinfo=UTC),
    tags: tuple[str, ...] = ("harbour", "wall"),
    categories: tuple[str, ...] = ("Local news",),
    publisher: str | None = "Harbour Gazette",
    summary: str = "The wall is whole again.",
    image: str | None = None,
) -> IndexRecord:
    return IndexRecord(
        id=id,
        key=f"content/{section}/{date:%Y}/{date:%m}/{slug}.md",
        section=section,
        slug=slug,
        title=title,
        date=date,
        link=f"https://gazette.example.org/{slug}",
        feeds=("harbour-gazette",),
        content_hash="0" * 32,
        publisher=publisher,
        summary=summary,
        image=image,
        tags=tags,
        categories=categories,
    )
