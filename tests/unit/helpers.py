"""Small builders shared by the unit tests."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from newswire.models import Article, FeedConfig, Fetched
from newswire.normalize import normalize_entry
from newswire.parse import parse_feed

DATA = Path(__file__).resolve().parent.parent / "data"
NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
GOOGLE_NEWS_WORLD = (
    "https://news.google.com/rss/topics/CAAqJggKIiBDQkFTRWdvSUwyMHZNRGx1YlY4U0FtVnVHZ0pWVXlnQVAB"
    "?hl=en-US&gl=US&ceid=US:en"
)


def fixture_articles(name: str, feed: FeedConfig, now: datetime = NOW) -> list[Article]:
    body = (DATA / name).read_bytes()
    parsed = parse_feed(
        Fetched(url=feed.url, body=body, content_type="application/rss+xml", etag=None,
                last_modified=None)
    )  # fmt: skip
    return [normalize_entry(entry, feed, now=now) for entry in parsed.entries]
