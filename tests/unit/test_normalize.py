"""normalize_entry on real-shaped feeds: every front-matter value as DESIGN.md's table says."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from newswire.models import FeedConfig, Fetched
from newswire.normalize import article_identity, entry_date, normalize_entry
from newswire.parse import parse_feed

from .helpers import GOOGLE_NEWS_WORLD, NOW, fixture_articles

WORLD = FeedConfig(url=GOOGLE_NEWS_WORLD, name="google-news-world", section="world")


def test_reference_item_title_loses_publisher_suffix() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[0]
    assert article.title == "Russia-Ukraine war: List of key events, day 1,407"
    assert article.publisher == "Al Jazeera"
    assert article.publisher_url == "https://www.aljazeera.com"


def test_reference_item_date_is_a_full_timestamp() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[0]
    assert article.date == datetime(2026, 1, 1, 8, 14, tzinfo=UTC)
    assert article.date.utcoffset() is not None


def test_reference_item_description_is_clean_text() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[0]
    for text in (article.description, article.summary):
        assert "&nbsp;" not in text and "<" not in text and "&" not in text
        assert "  " not in text
    # What the story is: its lead headline and publisher, not the other outlets' headlines.
    assert article.description == "Russia-Ukraine war: List of key events, day 1,407 — Al Jazeera"
    assert article.summary == article.description
    assert not any((r.publisher or "") in article.description for r in article.related)


def test_reference_item_related_coverage_excludes_the_article_itself() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[0]
    # In one order whichever feed lists them (newswire.merge): by publisher, then title.
    assert [r.publisher for r in article.related] == [
        "EA WorldView",
        "UA.NEWS",
        "Ukrinform",
        "Українські Національні Новини",
    ]
    assert all(r.feeds == ("google-news-world",) for r in article.related)
    assert all(r.url.startswith("https://news.google.com/rss/articles/") for r in article.related)
    first_line = article.body.splitlines()[0]
    assert first_line.startswith("- [Russia-Ukraine war: List of key events, day 1,407](")
    assert first_line.endswith(") — Al Jazeera")
    assert article.body.count("\n- ") == 4


def test_reference_item_categories_are_the_publishers_domain_not_google() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[0]
    assert article.categories == ("aljazeera.com",)
    configured = dataclasses.replace(WORLD, categories=("World",))
    assert fixture_articles("google-news-world.xml", configured)[0].categories == ("World",)


def test_reference_item_tags_are_keywords_in_stable_order() -> None:
    first = fixture_articles("google-news-world.xml", WORLD)[0]
    again = fixture_articles("google-news-world.xml", WORLD)[0]
    assert first.tags == again.tags
    assert first.tags[:4] == ("war", "ukraine", "pokrovsk", "russia")
    assert "jazeera" not in first.tags  # the publisher is not a keyword
    assert all(word.isalpha() for t in first.tags for word in t.split())
    assert "antonivskyi bridge" in first.tags  # a name is one tag
    assert len(first.tags) <= 6


def test_reference_item_link_source_and_slug() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[0]
    assert article.link.startswith("https://news.google.com/rss/articles/CBMijwFBVV95cUxQ")
    assert article.source == GOOGLE_NEWS_WORLD
    assert article.slug == "russia-ukraine-war-list-of-key-events-day-1407"
    assert article.url_original is None  # a new-style id: not decodable offline


def test_legacy_google_news_id_gives_the_publisher_url() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[1]
    assert article.url_original == (
        "https://www.ukrinform.net/rubric-ato/4078123-war-update-131-clashes-on-front-line.html"
    )
    assert article.categories == ("ukrinform.net",)


def test_cyrillic_publisher_is_moved_out_of_the_title() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[2]
    assert article.publisher == "Українські Національні Новини"
    assert "Українські" not in article.title
    assert article.categories == ("unn.ua",)


def test_google_news_story_in_two_feeds_is_one_article() -> None:
    other = FeedConfig(url=GOOGLE_NEWS_WORLD + "&x=1", name="google-news-other")
    a = fixture_articles("google-news-world.xml", WORLD)[0]
    b = fixture_articles("google-news-world.xml", other)[0]
    assert a.id == b.id
    assert a.feeds != b.feeds


def test_short_guids_are_scoped_by_feed() -> None:
    one = article_identity({"id": "1", "link": "https://a.example/x"}, "https://a.example/feed")
    two = article_identity({"id": "1", "link": "https://b.example/x"}, "https://b.example/feed")
    assert one[0] != two[0]
    assert one[1] == "1"


def test_identity_falls_back_to_link_then_title_and_date() -> None:
    by_link = article_identity({"link": "https://a.example/x"}, "https://a.example/feed")
    assert by_link[1] == "https://a.example/x"
    by_hash = article_identity({"title": "T", "published": "x"}, "https://a.example/feed")
    assert by_hash[0] != article_identity({"title": "T"}, "https://a.example/feed")[0]


def test_rss_item_with_media_content_and_entities() -> None:
    feed = FeedConfig(url="https://gazette.example.org/rss", name="gazette")
    ferry, council, lifeboat = fixture_articles("rss-basic.xml", feed)
    assert ferry.image == "https://gazette.example.org/img/ferry.jpg"
    assert ferry.description == (
        "The island ferry sailed again on Monday morning after three weeks of cancellations."
    )
    assert ferry.date.isoformat() == "2026-01-06T09:30:00+01:00"
    assert ferry.publisher is None
    assert ferry.categories == ("gazette.example.org",)
    assert "&" in council.description and "&amp;" not in council.description
    assert lifeboat.image == "https://gazette.example.org/img/lifeboat.png"


def test_rss_content_becomes_markdown_without_pixels() -> None:
    feed = FeedConfig(url="https://gazette.example.org/rss", name="gazette")
    council = fixture_articles("rss-basic.xml", feed)[1]
    # The converter escapes ASCII punctuation in text, so that no reader takes it for markup.
    assert "Councillors voted *9 to 2* for the repairs\\." in council.body
    assert "- Work starts in spring" in council.body
    assert '> \\"The wall protects every house on the quay\\,\\" said the mayor\\.' in council.body
    assert "(https://gazette.example.org/news/harbour-history)" in council.body
    assert "pixel.gif" not in council.body and council.image is None


def test_atom_entry_is_sanitized_and_keeps_its_offset() -> None:
    feed = FeedConfig(url="https://notes.example.com/feed.atom", name="notes")
    sensor, flood = fixture_articles("atom-blog.xml", feed)
    assert sensor.title == "Measuring river levels with a cheap sensor"
    assert sensor.date.isoformat() == "2026-01-03T10:15:00+02:00"
    assert sensor.image == "https://notes.example.com/images/sensor.jpg"
    assert "alert" not in sensor.body and "javascript" not in sensor.body
    assert "onclick" not in sensor.body and "<script" not in sensor.body
    assert "## The setup" in sensor.body
    assert sensor.description == "An ultrasonic sensor, a solar panel and a year of data."
    assert "{{<" not in flood.body


def _parsed(body: str, url: str) -> list[Any]:
    fetched = Fetched(url, body.encode(), "application/atom+xml", None, None)
    return list(parse_feed(fetched).entries)


XML_BASE_FEED = """<feed xmlns="http://www.w3.org/2005/Atom" xml:base="https://cdn.example/feed/">
<title>t</title><entry xml:base="https://notes.example.com/2026/"><title>River</title>
<id>tag:notes.example.com,2026:1</id><link href="https://notes.example.com/river"/>
<updated>2026-01-03T10:15:00Z</updated>
<content type="html">&lt;p&gt;&lt;a href="more.html"&gt;More&lt;/a&gt;
&lt;img src="../img/river.jpg" alt="River"&gt;&lt;/p&gt;</content>
<summary type="html">&lt;a href="/about"&gt;About&lt;/a&gt;</summary></entry></feed>"""


def test_relative_urls_in_html_resolve_against_xml_base_then_the_document() -> None:
    # feedparser's own relative-URI pass is off (parse.py): newswire resolves what it keeps
    # against the base feedparser records for the value (RFC 4287's xml:base), not the link.
    feed = FeedConfig(url="https://notes.example.com/feed.atom", name="notes")
    (entry,) = _parsed(XML_BASE_FEED, feed.url)
    article = normalize_entry(entry, feed, now=NOW)
    assert "(https://notes.example.com/2026/more.html)" in article.body
    assert "(https://notes.example.com/img/river.jpg)" in article.body
    assert article.image == "https://notes.example.com/img/river.jpg"
    # Without xml:base, the document's own URL is the base.
    plain = XML_BASE_FEED.replace(' xml:base="https://notes.example.com/2026/"', "")
    plain = plain.replace(' xml:base="https://cdn.example/feed/"', "")
    (entry,) = _parsed(plain, "https://other.example/feeds/notes.atom")
    article = normalize_entry(entry, feed, now=NOW)
    assert "(https://other.example/feeds/more.html)" in article.body
    assert article.image == "https://other.example/img/river.jpg"


def test_a_local_file_feed_resolves_relative_urls_against_the_entry_link() -> None:
    # A feed read from a path has no web URL: what stays relative resolves against the link.
    feed = FeedConfig(url="/srv/feeds/notes.atom", name="notes")
    plain = XML_BASE_FEED.replace(' xml:base="https://notes.example.com/2026/"', "")
    plain = plain.replace(' xml:base="https://cdn.example/feed/"', "")
    (entry,) = _parsed(plain, "/srv/feeds/notes.atom")
    article = normalize_entry(entry, feed, now=NOW)
    assert "(https://notes.example.com/srv/feeds/more.html)" in article.body
    assert "(https://notes.example.com/srv/img/river.jpg)" in article.body


@pytest.mark.parametrize(
    "published",
    ["Mon, 01 Jan 1990 00:00:00 GMT", "Fri, 01 Jan 2100 00:00:00 GMT", "not a date"],
)
def test_implausible_or_missing_dates_fall_back_to_first_seen(published: str) -> None:
    assert entry_date({"published": published}, NOW) == NOW


def test_date_within_a_day_in_the_future_is_kept() -> None:
    soon = NOW + timedelta(hours=3)
    assert entry_date({"published": soon.isoformat()}, NOW) == soon


def test_untitled_entry_gets_a_title_and_a_slug() -> None:
    feed = FeedConfig(url="https://x.example/feed", name="x")
    article = normalize_entry({"id": "7", "summary": "Only a summary here."}, feed, now=NOW)
    assert article.title == "Only a summary here."
    assert article.slug == "only-a-summary-here"
    empty = normalize_entry({"id": "8"}, feed, now=NOW)
    assert empty.title == "Untitled"
