"""Golden files: each fixture feed rendered end to end (parse → normalize → render) must equal
the checked-in Markdown under tests/data/golden/, which a person has read.

After an intended change: `UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_golden.py`, then
read the diff before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from newswire.models import FeedConfig
from newswire.render import render_markdown
from newswire.slugs import content_key

from .helpers import DATA, GOOGLE_NEWS_WORLD, fixture_articles

GOLDEN = DATA / "golden"
CASES = {
    "google-news-world": FeedConfig(
        url=GOOGLE_NEWS_WORLD, name="google-news-world", section="world"
    ),
    "google-news-search": FeedConfig(
        url="https://news.google.com/rss/search?q=Ukraine&hl=en-US&gl=US&ceid=US:en",
        name="google-news-ukraine",
        section="world",
        tags=("ukraine",),
    ),
    "atom-blog": FeedConfig(
        url="https://notes.example.com/feed.atom", name="field-notes", section="blog"
    ),
    "rss-basic": FeedConfig(
        url="https://gazette.example.org/rss",
        name="harbour-gazette",
        section="local",
        categories=("Local news",),
    ),
    "ukrainian-feed": FeedConfig(
        url="https://novyny.example.ua/rss",
        name="novyny-poltava",
        section="ukraine",  # no language: the feed's <language>uk</language> says it
    ),
    # No language configured for these either: <language>de</language>, and Google News'
    # <language>ar</language> / <language>ja</language> (hl=ar, hl=ja) say it.
    "german-feed": FeedConfig(
        url="https://stadtanzeiger.example.de/rss", name="stadtanzeiger", section="hamburg"
    ),
    "google-news-arabic": FeedConfig(
        url="https://news.google.com/rss/topics/CAAqJggKIiBDQkFTRWdvSUwyMHZNRGx1YlY4U0FtRnlHZ0pGUnlnQVAB"
        "?hl=ar&gl=EG&ceid=EG:ar",
        name="google-news-world-ar",
        section="alam",
    ),
    "google-news-ukrainian": FeedConfig(
        url="https://news.google.com/rss/topics/CAAqJQgKIh9DQkFTRVFvSUwyMHZNRGx6TVdZU0FtVnVHZ0pWVXlnQVAB"
        "?hl=uk&gl=UA&ceid=UA:uk",
        name="google-news-ukraine-uk",
        section="ukraina",
    ),
    "google-news-japanese": FeedConfig(
        url="https://news.google.com/rss/topics/CAAqIQgKIhtDQkFTRGdvSUwyMHZNRE5mTTJRU0FtcGhLQUFQAQ"
        "?hl=ja&gl=JP&ceid=JP:ja",
        name="google-news-japan",
        section="nihon",
    ),
}


def rendered(name: str) -> dict[str, bytes]:
    feed = CASES[name]
    return {
        content_key(a.section, a.date, a.slug): render_markdown(a)
        for a in fixture_articles(f"{name}.xml", feed)
    }


@pytest.mark.parametrize("name", sorted(CASES))
def test_rendered_markdown_equals_the_golden_files(name: str) -> None:
    output = rendered(name)
    folder = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN") == "1":
        for key, data in output.items():
            path = folder / key
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
    expected = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*.md")}
    assert sorted(output) == sorted(expected)
    for key, data in output.items():
        assert data.decode() == expected[key].decode(), key


def test_every_fixture_feed_has_golden_files() -> None:
    assert {p.name for p in GOLDEN.iterdir() if p.is_dir()} == set(CASES)
    assert all(Path(DATA / f"{name}.xml").exists() for name in CASES)
