"""An article's language: configuration, then what the feed declares, then Google News' hl,
then the configured default; normalised to one BCP 47 tag."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire.config import ConfigError, feed_from_mapping, feed_to_mapping, parse_config
from newswire.language import direction, normalize_language
from newswire.models import FeedConfig, Fetched
from newswire.normalize import normalize_entry
from newswire.parse import parse_feed

from .helpers import NOW


@pytest.mark.parametrize(
    ("raw", "tag"),
    [
        ("de", "de"), ("de-DE", "de"), ("EN-us", "en"), ("en_GB", "en"), ("pt-BR", "pt-br"),
        ("pt_PT", "pt-pt"), ("zh-Hant-TW", "zh-hant"), ("ZH-cn", "zh-cn"), (" uk ", "uk"),
        ("fil", "fil"), ("english", None), ("d", None), ("", None), ("de DE", None),
        ("de-", None), (None, None), (7, None),
    ],
)  # fmt: skip
def test_language_tags_are_normalised(raw: object, tag: str | None) -> None:
    assert normalize_language(raw) == tag


@given(st.text(max_size=20))
def test_any_text_gives_a_well_formed_tag_or_none(raw: str) -> None:
    tag = normalize_language(raw)
    assert tag is None or re.fullmatch(r"[a-z]{2,3}(-[a-z0-9]{1,8})?", tag)


def test_arabic_and_hebrew_pages_are_right_to_left() -> None:
    assert [direction(x) for x in ("ar", "he", "fa", "ur", "de", "ja", "uk")] == [
        "rtl", "rtl", "rtl", "rtl", "ltr", "ltr", "ltr",
    ]  # fmt: skip


def _rss(channel_language: str = "", item_extra: str = "", item_attrs: str = "") -> bytes:
    language = f"<language>{channel_language}</language>" if channel_language else ""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel><title>t</title>
{language}<item{item_attrs}><title>Die Regierung und der Kanzler</title>
<guid>https://x.example/1</guid>{item_extra}</item></channel></rss>""".encode()


def _language(body: bytes, feed: FeedConfig) -> str:
    fetched = Fetched(feed.url, body, "application/rss+xml", None, None)
    (entry,) = parse_feed(fetched).entries
    return normalize_entry(entry, feed, now=NOW).language


PLAIN = FeedConfig(url="https://x.example/rss", name="x")
GOOGLE_JA = FeedConfig(
    url="https://news.google.com/rss/topics/CAAq?hl=ja&gl=JP&ceid=JP:ja", name="g"
)


@pytest.mark.parametrize(
    ("body", "feed", "expected"),
    [
        # The feed's <language>, dc:language, xml:lang, each read:
        (_rss("de"), PLAIN, "de"),
        (_rss("de-AT"), PLAIN, "de"),
        (_rss(item_extra="<dc:language>ar</dc:language>"), PLAIN, "ar"),
        (_rss(item_attrs=' xml:lang="ja"'), PLAIN, "ja"),
        # An item's own language beats its channel's:
        (_rss("de", item_extra="<dc:language>uk</dc:language>"), PLAIN, "uk"),
        # The configuration beats what the feed declares:
        (_rss("de"), FeedConfig(url=PLAIN.url, name="x", language="fr"), "fr"),
        # Then Google News' hl, then the configured default:
        (_rss(), GOOGLE_JA, "ja"),
        (_rss("en-US"), GOOGLE_JA, "en"),
        (_rss(), PLAIN, "en"),
        (_rss(), FeedConfig(url=PLAIN.url, name="x", default_language="uk"), "uk"),
        (_rss("nonsense value"), FeedConfig(url=PLAIN.url, name="x", default_language="it"), "it"),
    ],
)
def test_the_article_language_follows_the_precedence(
    body: bytes, feed: FeedConfig, expected: str
) -> None:
    assert _language(body, feed) == expected


def test_the_language_drives_the_stop_words() -> None:
    german = FeedConfig(url=PLAIN.url, name="x", language="de")
    assert not {"die", "und", "der"} & set(_tags(_rss(), german))
    assert not {"die", "und", "der"} & set(_tags(_rss("de"), PLAIN))
    assert {"die", "der"} <= set(_tags(_rss(), PLAIN))


def _tags(body: bytes, feed: FeedConfig) -> tuple[str, ...]:
    fetched = Fetched(feed.url, body, "application/rss+xml", None, None)
    (entry,) = parse_feed(fetched).entries
    return normalize_entry(entry, feed, now=NOW).tags


def test_the_defaults_language_is_a_fallback_not_an_override() -> None:
    config = parse_config(
        "defaults: {language: de}\nfeeds:\n  - https://a.example/rss\n"
        "  - {url: 'https://b.example/rss', language: pt-BR}\n"
    )
    first, second = config.feeds
    assert (first.language, first.default_language) == (None, "de")
    assert (second.language, second.default_language) == ("pt-br", "de")
    assert _language(_rss("uk"), first) == "uk"
    assert _language(_rss(), first) == "de"
    assert _language(_rss("uk"), second) == "pt-br"


def test_a_feed_message_keeps_both_languages() -> None:
    feed = FeedConfig(url=PLAIN.url, name="x", language="ar", default_language="fr")
    assert feed_from_mapping(feed_to_mapping(feed), where="message") == feed
    unset = FeedConfig(url=PLAIN.url, name="x")
    assert feed_from_mapping(feed_to_mapping(unset), where="message") == unset


@pytest.mark.parametrize("value", ["english", "e", 3, "de DE"])
def test_a_bad_language_is_a_clear_config_error(value: object) -> None:
    with pytest.raises(ConfigError, match="field 'language': must be a language tag"):
        feed_from_mapping({"url": PLAIN.url, "language": value}, where="feeds.yaml: feed #1")
