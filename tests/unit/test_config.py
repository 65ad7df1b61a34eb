from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from newswire.config import ConfigError, feeds_from_urls, load_config, parse_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_shipped_feeds_file_is_valid() -> None:
    config = load_config(ROOT / "feeds.yaml")
    names = [f.name for f in config.feeds]
    assert "google-news-world" in names
    world = config.feeds[names.index("google-news-world")]
    assert world.url.startswith(
        "https://news.google.com/rss/topics/CAAqJggKIiBDQkFTRWdvSUwyMHZNRGx1YlY4U0FtVnVHZ0pWVXlnQVAB"
    )


def test_defaults_apply_and_feeds_override_them() -> None:
    config = parse_config(
        "defaults: {section: world, max_items: 5}\n"
        "feeds:\n  - url: https://a.example/feed\n  - {url: https://b.example/feed, max_items: 9}\n"
    )
    assert [(f.section, f.max_items) for f in config.feeds] == [("world", 5), ("world", 9)]
    assert config.feeds[0].name == "a-example-feed"


def test_google_news_shorthand_builds_search_and_topic_urls() -> None:
    config = parse_config(
        "feeds:\n"
        "  - {name: s, google_news: {search: 'climate change', hl: de-DE}}\n"
        "  - {name: t, google_news: {topic: CAAqJggK}}\n"
    )
    search, topic = (urlsplit(f.url) for f in config.feeds)
    assert search.path == "/rss/search"
    assert parse_qs(search.query) == {
        "q": ["climate change"], "hl": ["de-DE"], "gl": ["DE"], "ceid": ["DE:de"]
    }  # fmt: skip
    assert topic.path == "/rss/topics/CAAqJggK" and "ceid=US:en" in topic.query


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("feeds: []", "'feeds' must be a non-empty list"),
        ("feeds:\n  - {name: x}", "feed #1 (x): field 'url': give exactly one of"),
        ("feeds:\n  - {url: 'https://a', max_items: 0}", "field 'max_items': must be between"),
        ("feeds:\n  - {url: 'https://a', max_items: 'ten'}", "field 'max_items': must be a whole"),
        ("feeds:\n  - {url: 'https://a', section: '../x'}", "field 'section'"),
        ("feeds:\n  - {url: 'https://a', tags: [1]}", "field 'tags'"),
        ("feeds:\n  - {url: 'https://a', colour: red}", "field 'colour': unknown field"),
        ("feeds:\n  - {url: 'https://a', language: english}", "field 'language'"),
        ("feeds:\n  - {url: 'https://a', name: n}\n  - {url: 'https://b', name: n}", "used by two"),
        ("feeds: [", "not valid YAML"),
        ("[1, 2]", "expected a mapping"),
    ],
)
def test_errors_name_the_file_the_feed_and_the_field(text: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(text, source="my-feeds.yaml")
    assert str(caught.value).startswith("my-feeds.yaml: ")
    assert message in str(caught.value)


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read the feeds file"):
        load_config(tmp_path / "nope.yaml")


def test_command_line_feeds_get_names_from_their_urls() -> None:
    feeds = feeds_from_urls(["tests/data/google-news-world.xml", "https://x.example/rss"])
    assert [f.name for f in feeds] == ["google-news-world", "x-example-rss"]
