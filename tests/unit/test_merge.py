"""Pure: merging feeds' views of one story (newswire.merge) and telling stories apart
(newswire.identity)."""

from __future__ import annotations

import base64
import dataclasses
import itertools
from datetime import UTC, datetime, timedelta
from html import escape

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire.decide import decide
from newswire.identity import headline_key, lookup_keys, story_keys, story_url
from newswire.merge import article_from_page, canonical_related, merge
from newswire.models import Article, FeedConfig, Outcome, RelatedLink
from newswire.normalize import normalize_entry
from newswire.render import read_page, render_markdown

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)
STORY = "https://harbour.example/2026/01/06/ferry-strike-ends"


def google_link(url: str, variant: int = 0) -> str:
    raw = url.encode()
    message = b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01" + bytes([variant])
    return "https://news.google.com/rss/articles/" + (
        base64.urlsafe_b64encode(message).decode().rstrip("=")
    )


POOL = [(f"Report {n} from the harbour", google_link(f"https://r{n}.example/a"), f"Outlet {n}")
        for n in range(6)]  # fmt: skip


def view(feed: str, related: tuple[int, ...], headline: str = "Ferry strike ends") -> Article:
    """Feed `feed`'s view of the story, as normalize makes it from a Google News item."""
    link = google_link(STORY)
    items = [(headline, link, "Harbour Times"), *(POOL[n] for n in related)]
    description = "<ol>" + "".join(
        f'<li><a href="{escape(u)}">{escape(t)}</a>&nbsp;&nbsp;<font>{escape(p)}</font></li>'
        for t, u, p in items
    ) + "</ol>"  # fmt: skip
    entry = {
        "id": link.rsplit("/", 1)[1], "title": f"{headline} - Harbour Times", "link": link,
        "summary": description, "published": "Tue, 06 Jan 2026 09:30:00 GMT",
        "source": {"title": "Harbour Times", "href": "https://harbour.example"},
    }  # fmt: skip
    config = FeedConfig(
        url=f"https://news.google.com/rss/topics/{feed}", name=feed, section="world"
    )
    return normalize_entry(entry, config, now=NOW)


def stored(article: Article) -> Article:
    """The story as the next run reads it back: rendered, read, rebuilt."""
    record_like = decide(article, None, NOW).article
    from newswire.decide import index_record

    record = index_record(record_like, "content/world/2026/01/x.md", NOW)
    return article_from_page(read_page(render_markdown(article)), record)


def without_lastmod(article: Article) -> Article:
    return dataclasses.replace(article, lastmod=None)


related_sets = st.lists(st.integers(0, len(POOL) - 1), unique=True, max_size=4).map(tuple)


@settings(max_examples=60, deadline=None)
@given(
    views=st.lists(
        st.tuples(st.sampled_from(["geo", "search", "topic"]), related_sets, st.booleans()),
        min_size=1,
        max_size=4,
        unique_by=lambda v: v[0],
    )
)
def test_merging_is_commutative_and_idempotent(
    views: list[tuple[str, tuple[int, ...], bool]],
) -> None:
    made = [view(f, r, "Ferry strike ends" + (" today" if h else "")) for f, r, h in views]
    first, rest = made[0], made[1:]
    results = set()
    for order in itertools.permutations(rest):
        story = first
        for each in order:
            story = stored(merge(story, each, LATER))
        results.add(without_lastmod(story))
        for each in made:  # idempotent: every view once more changes nothing
            again = merge(story, each, LATER)
            assert (again.content_hash, again.feeds, again.related) == (
                story.content_hash, story.feeds, story.related
            )  # fmt: skip
    assert len(results) == 1
    [story] = results
    assert story.feeds == tuple(sorted(f for f, _, _ in views))
    # What the claim decided stays the first view's; the rest comes from the first feed's view.
    assert (story.id, story.slug, story.source) == (first.id, first.slug, first.source)
    primary = min(made, key=lambda a: a.feeds[0])
    assert (story.title, story.tags) == (primary.title, primary.tags)
    listed = {POOL[n][1] for _, related, _ in views for n in related}
    assert {r.url for r in story.related} == listed
    assert [r.publisher or "" for r in story.related] == sorted(
        r.publisher or "" for r in story.related
    )


def test_a_feeds_newer_view_drops_what_only_its_older_view_listed() -> None:
    story = stored(merge(view("search", (0, 1)), view("topic", (1, 2)), LATER))
    assert [r.url for r in story.related] == [POOL[n][1] for n in (0, 1, 2)]
    newer = merge(story, view("topic", (3,)), LATER)
    assert [r.url for r in newer.related] == [POOL[n][1] for n in (0, 1, 3)]
    assert [r.feeds for r in newer.related] == [("search",), ("search",), ("topic",)]


def test_lastmod_moves_only_when_what_a_reader_sees_changes() -> None:
    first = stored(view("topic", (0,)))
    joined = merge(first, view("search", (0,)), LATER)
    assert joined.feeds == ("search", "topic") and joined.lastmod is None
    grown = merge(first, view("search", (1,)), LATER)
    assert grown.lastmod == LATER


def test_decide_writes_nothing_for_a_view_already_merged() -> None:
    from newswire.decide import index_record

    story = merge(stored(view("topic", (0,))), view("search", (1,)), LATER)
    record = index_record(story, "content/world/2026/01/x.md", NOW)
    current = article_from_page(read_page(render_markdown(story)), record)
    for feed, related in (("topic", (0,)), ("search", (1,))):
        decision = decide(view(feed, related), record, LATER, current)
        assert decision.outcome is Outcome.UNCHANGED, feed
    assert decide(view("geo", ()), record, LATER, current).outcome is Outcome.UPDATED


def test_related_links_to_one_story_are_one_entry() -> None:
    links = [
        RelatedLink("B", google_link("https://x.example/a", 1), "X", ("topic",)),
        RelatedLink("A", google_link("https://x.example/a", 2), "X", ("search",)),
        RelatedLink("C", "https://x.example/a/?utm_source=feed", "X", ("geo",)),
    ]
    [merged] = canonical_related(links)
    assert (merged.title, merged.feeds) == ("A", ("geo", "search", "topic"))


def test_the_link_is_the_publisher_url_and_the_redirect_has_its_own_key() -> None:
    article = view("topic", (0,))
    assert article.link == STORY and article.url_original == STORY
    assert article.google_news_link == google_link(STORY)
    assert read_page(render_markdown(article)).google_news_link == google_link(STORY)


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("https://Harbour.example/a/b/?utm_source=x&utm_medium=y", "https://harbour.example/a/b"),
        ("http://harbour.example:80/a?fbclid=1&id=7&gclid=2", "https://harbour.example/a?id=7"),
        ("https://harbour.example/a?b=2&a=1#top", "https://harbour.example/a?a=1&b=2&ocid=rss"),
        (google_link("https://harbour.example/a"), "https://harbour.example/a/"),
    ],
)
def test_one_page_under_different_urls_has_one_story_url(one: str, two: str) -> None:
    assert story_url(one) == story_url(two) is not None


@pytest.mark.parametrize(
    ("one", "two"),
    [
        ("https://harbour.example/a", "https://harbour.example/b"),
        ("https://harbour.example/a?id=1", "https://harbour.example/a?id=2"),
        ("https://harbour.example/a", "https://coast.example/a"),
    ],
)
def test_different_pages_have_different_story_urls(one: str, two: str) -> None:
    assert story_url(one) != story_url(two)


def _titled(title: str, publisher: str | None, day: int) -> Article:
    return dataclasses.replace(
        view("topic", ()), title=title, publisher=publisher, link="", url_original=None,
        date=datetime(2026, 1, day, 10, tzinfo=UTC),
    )  # fmt: skip


def test_one_headline_and_publisher_within_two_days_is_one_story() -> None:
    key = story_keys(_titled("Ferry strike ends after night of talks", "Harbour Times", 6))
    assert key and set(key) & set(lookup_keys(_titled("Ferry Strike Ends After Night Of Talks!",
                                                       "Harbour Times", 8)))  # fmt: skip
    assert not set(key) & set(lookup_keys(_titled("Ferry strike ends after night of talks",
                                                  "Harbour Times", 9)))  # fmt: skip
    assert not set(key) & set(lookup_keys(_titled("Ferry strike ends after night of talks",
                                                  "Coast News", 6)))  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=60),
    publisher=st.one_of(st.none(), st.text(max_size=12)),
    day=st.integers(min_value=1, max_value=28),
    link=st.sampled_from(["", STORY, STORY + "?utm_source=x&b=1", "https://harbour.example/"]),
)
def test_lookup_keys_given_the_story_keys_are_the_keys_it_computes(
    title: str, publisher: str | None, day: int, link: str
) -> None:
    # The committer computes an article's story keys once and hands them on.
    article = dataclasses.replace(_titled(title, publisher, day), link=link)
    own = story_keys(article)
    keys = lookup_keys(article, own)
    assert keys == lookup_keys(article)
    assert keys[: len(own)] == own
    titles = [k for k in keys if k.startswith("title:")]
    assert len(titles) == (5 if headline_key(title) and publisher else 0)


@pytest.mark.parametrize("headline", ["Live updates", "Morning briefing", "LIVE: Updates", "News"])
def test_a_generic_headline_is_no_story_key(headline: str) -> None:
    assert headline_key(headline) is None
    assert story_keys(_titled(headline, "Harbour Times", 6)) == ()


@pytest.mark.parametrize("home", ["https://harbour.example/", "https://harbour.example"])
def test_a_home_page_link_is_no_story_key(home: str) -> None:
    article = dataclasses.replace(_titled("Live updates", "Harbour Times", 6), link=home)
    assert story_keys(article) == ()
    assert story_keys(dataclasses.replace(article, link=home.rstrip("/") + "/a")) == (
        "url:harbour.example/a",
    )
