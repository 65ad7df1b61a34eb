from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire.googlenews import decode_publisher_url, parse_related, split_title
from newswire.models import FeedConfig
from newswire.normalize import normalize_entry
from newswire.slugs import (
    SLUG_PATTERN,
    ContentKey,
    content_key,
    make_slug,
    parse_content_key,
    slug_candidates,
)

from .helpers import GOOGLE_NEWS_WORLD, NOW

WORLD = FeedConfig(url=GOOGLE_NEWS_WORLD, name="google-news-world", section="world")


def test_cyrillic_publisher_gives_a_readable_latin_slug() -> None:
    assert make_slug("Українські Національні Новини", "abc") == "ukrainski-natsionalni-novini"


def test_slug_is_cut_at_a_word_within_80_characters() -> None:
    slug = make_slug("word " * 40, "abc")
    assert len(slug) <= 80 and not slug.endswith("-") and slug.startswith("word-word")


@given(st.text(), st.text(alphabet="0123456789abcdef", min_size=20, max_size=20))
def test_any_title_gives_a_valid_slug_and_key(title: str, article_id: str) -> None:
    slug = make_slug(title, article_id)
    assert SLUG_PATTERN.match(slug)
    for candidate in slug_candidates(slug, article_id):
        assert SLUG_PATTERN.match(candidate)
        key = content_key("news", datetime(2026, 1, 1, tzinfo=UTC), candidate)
        assert key.startswith("content/news/2026/01/") and ".." not in key
        assert parse_content_key(key) == ContentKey("news", "2026", "01", candidate)


@pytest.mark.parametrize(
    "bad",
    [
        "content/news/2026/01/a",
        "content/news/2026/1/a.md",
        "content/news/26/01/a.md",
        "content/news/2026/01/a/b.md",
        "content/News/2026/01/a.md",
        "content/news/2026/01/-a.md",
        "content/news/2026/01/.md",
        "site/news/2026/01/a.md",
        "content/../2026/01/a.md",
        "content/news/2026/01/a.md/",
        "",
    ],
)
def test_only_keys_content_key_could_build_are_parsed(bad: str) -> None:
    with pytest.raises(ValueError, match="not a content key"):
        parse_content_key(bad)


@pytest.mark.parametrize("bad", ["../../index", "..", "a/b", "a\x00b", "x" * 2000, ""])
def test_keys_refuse_anything_but_a_slug(bad: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        content_key("news", datetime(2026, 1, 1, tzinfo=UTC), bad)


def test_suffixed_candidates_are_distinct_and_stable() -> None:
    candidates = slug_candidates("a-title", "0123456789abcdef0123")
    assert candidates[:2] == ["a-title", "a-title-012345"]
    assert len(set(candidates)) == len(candidates)


def test_split_title_only_strips_the_publisher_suffix() -> None:
    assert split_title("Peace talks - Kyiv - Reuters", "Reuters") == "Peace talks - Kyiv"
    assert split_title("Peace talks - Kyiv", "Reuters") == "Peace talks - Kyiv"
    assert split_title("Peace talks - Kyiv", None) == "Peace talks - Kyiv"


@pytest.mark.parametrize("dash", ["-", "–", "—"], ids=["hyphen", "en-dash", "em-dash"])
def test_the_publisher_after_any_dash_leaves_the_title(dash: str) -> None:
    publisher = "Ukrainska Pravda"
    title = f"Kyiv – Odesa train returns {dash} {publisher}"
    assert split_title(title, publisher) == "Kyiv – Odesa train returns"
    # Only the publisher the feed names, and only as a suffix after a spaced dash.
    assert split_title(title, "Pravda") == title
    assert split_title(f"Train returns{dash}{publisher}", publisher) == (
        f"Train returns{dash}{publisher}"
    )
    assert split_title(f"{dash} {publisher}", publisher) == f"{dash} {publisher}"


@pytest.mark.parametrize("dash", ["–", "—"], ids=["en-dash", "em-dash"])
def test_a_google_news_item_with_a_dashed_publisher_is_normalized(dash: str) -> None:
    entry = {
        "id": "CBMiDashedPublisher",
        "link": "https://news.google.com/rss/articles/CBMiDashedPublisher?oc=5",
        "title": f"Grain corridor extended {dash} Kyiv Independent",
        "source": {"title": "Kyiv Independent", "href": "https://kyivindependent.com"},
        "published": "Tue, 06 Jan 2026 09:30:00 +0000",
    }
    article = normalize_entry(entry, WORLD, now=NOW)
    assert (article.title, article.publisher) == ("Grain corridor extended", "Kyiv Independent")
    assert article.slug == "grain-corridor-extended"
    assert "independent" not in [tag.lower() for tag in article.tags]


def test_parse_related_reads_titles_urls_and_publishers() -> None:
    html = (
        '<ol><li><a href="https://news.google.com/rss/articles/A">One &amp; two</a>&nbsp;&nbsp;'
        '<font color="#6f6f6f">Pub One</font></li>'
        '<li><a href="https://news.google.com/rss/articles/B">Three</a></li></ol>'
    )
    items = parse_related(html)
    assert [(i.title, i.url, i.publisher) for i in items] == [
        ("One & two", "https://news.google.com/rss/articles/A", "Pub One"),
        ("Three", "https://news.google.com/rss/articles/B", None),
    ]


def _legacy_id(url: str) -> str:
    raw = url.encode()
    return (
        base64.urlsafe_b64encode(b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01\x00")
        .decode()
        .rstrip("=")
    )


def test_legacy_article_ids_decode_offline() -> None:
    url = "https://example.com/news/2020/story.html"
    link = f"https://news.google.com/rss/articles/{_legacy_id(url)}?oc=5"
    assert decode_publisher_url(link) == url


def test_an_id_is_read_as_base64_reads_it() -> None:
    """Ids of today's kind are told by their first four characters without decoding them;
    characters that base64 decoding skips ("." here) still decode as they did."""
    url = "https://example.com/news/2020/story.html"
    token = _legacy_id(url)
    assert decode_publisher_url(f"https://news.google.com/rss/articles/C..{token[1:]}") == url


@pytest.mark.parametrize(
    "link",
    [
        "https://news.google.com/rss/articles/CBMijwFBVV95cUxQckRWN3lTazhIbDlZQnp1TjVzaEtL?oc=5",
        "https://news.google.com/rss/articles/!!!notbase64",
        "https://example.com/rss/articles/CBMi",
        "https://news.google.com/topics/abc",
    ],
)
def test_undecodable_ids_give_none(link: str) -> None:
    assert decode_publisher_url(link) is None
