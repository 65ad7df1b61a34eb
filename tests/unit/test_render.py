"""render_markdown: YAML front matter in the contract's order that parses back exactly."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire import render
from newswire.models import Article, FeedConfig, RelatedLink, StoredPage
from newswire.render import (
    FRONT_MATTER_KEYS,
    _string_style,
    front_matter,
    parse_markdown,
    read_page,
    render_markdown,
)

from .helpers import GOOGLE_NEWS_WORLD, fixture_articles

REFERENCE_KEYS = [
    "title", "date", "description", "summary", "slug", "image", "link", "source", "categories",
    "tags", "draft",
]  # fmt: skip
WORLD = FeedConfig(url=GOOGLE_NEWS_WORLD, name="google-news-world", section="world")


def sample(**changes: object) -> Article:
    article = Article(
        id="0123456789abcdef0123",
        guid="g",
        title="A title",
        date=datetime(2026, 1, 1, 8, 0, tzinfo=UTC),
        description="d",
        summary="s",
        slug="a-title",
        image=None,
        link="https://example.com/a",
        source="https://example.com/feed",
        categories=("example.com",),
        tags=("alpha",),
        section="news",
        feeds=("example",),
        body="Body text.",
        content_hash="h",
    )
    return dataclasses.replace(article, **changes)  # type: ignore[arg-type]


def test_reference_item_front_matter_field_by_field() -> None:
    article = fixture_articles("google-news-world.xml", WORLD)[0]
    meta, body = parse_markdown(render_markdown(article))
    assert list(meta)[: len(REFERENCE_KEYS)] == REFERENCE_KEYS
    assert meta["title"] == "Russia-Ukraine war: List of key events, day 1,407"
    assert meta["date"] == "2026-01-01T08:14:00+00:00"
    assert meta["description"] == article.description
    assert meta["summary"] == article.summary
    assert meta["slug"] == "russia-ukraine-war-list-of-key-events-day-1407"
    assert meta["image"] == ""
    assert meta["link"] == article.link
    assert meta["source"] == GOOGLE_NEWS_WORLD
    assert meta["categories"] == ["aljazeera.com"]
    assert meta["tags"] == list(article.tags)
    assert meta["draft"] is False
    assert meta["publisher"] == "Al Jazeera"
    assert meta["publisher_url"] == "https://www.aljazeera.com"
    assert meta["guid"] == article.guid
    assert meta["feed"] == ["google-news-world"]
    assert meta["related"][0] == {
        "title": "Ukraine War, Day 1,407: Zelensky — “An End to the War But Not the End of "
        "Ukraine”",
        "url": article.related[0].url,
        "publisher": "EA WorldView",
        "feed": ["google-news-world"],
    }
    # A new-style Google id cannot be decoded offline: the link stays the redirect, which
    # also has its own key.
    assert meta["google_news_link"] == meta["link"] == article.link
    assert meta["id"] == article.id
    assert "lastmod" not in meta and "url_original" not in meta
    assert body == article.body


def test_keys_follow_the_contract_order() -> None:
    article = sample(
        lastmod=datetime(2026, 1, 2, tzinfo=UTC),
        publisher="P",
        publisher_url="https://p.example",
        url_original="https://p.example/a",
        google_news_link="https://news.google.com/rss/articles/x",
        related=(RelatedLink("t", "https://u.example", "P2"),),
    )
    meta, _ = parse_markdown(render_markdown(article))
    assert tuple(meta) == FRONT_MATTER_KEYS
    assert meta["lastmod"] == "2026-01-02T00:00:00+00:00"


def test_output_starts_and_ends_like_a_hugo_page() -> None:
    data = render_markdown(sample())
    assert data.startswith(b"---\ntitle: A title\n")
    assert b"\n---\n\nBody text.\n" in data
    assert data.endswith(b"\n") and not data.endswith(b"\n\n")


TRICKY = st.sampled_from(
    [": ", "---", "#", "'", '"', "no", "yes", "~", "null", "2024-01-01", "!!python/object:x",
     "\u2028", "\u2029", "\ufeff", "\x00", "\x1b", "{{<", "- item", "|", ">", "@", "`", "%"]
)  # fmt: skip
TEXT = st.lists(st.one_of(st.text(), TRICKY), max_size=6).map("".join)


@settings(max_examples=300, deadline=None)  # speed is the benchmark's job, not a test's
@given(title=TEXT, summary=TEXT, tag=TEXT, publisher=TEXT)
def test_any_text_round_trips_through_yaml(
    title: str, summary: str, tag: str, publisher: str
) -> None:
    article = sample(title=title, summary=summary, tags=(tag,), publisher=publisher)
    meta, _ = parse_markdown(render_markdown(article))
    assert meta["title"] == title
    assert meta["summary"] == summary
    assert meta["tags"] == [tag]
    assert meta["publisher"] == publisher
    page = read_page(render_markdown(article))
    assert (page.title, page.summary, page.tags, page.publisher) == (
        title,
        summary,
        (tag,),
        publisher,
    )


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=_string_style(value))


class _FrontMatterDumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # type: ignore[misc]
    """PyYAML's own representer and serializer, strings styled as render styles them: the
    reference render's event emitter is held to."""


_FrontMatterDumper.add_representer(str, _represent_str)


def _dumped_by_pyyaml(
    article: Article, dumper: type[yaml.SafeDumper] = _FrontMatterDumper
) -> bytes:
    """What PyYAML's own representer makes of the front matter with newswire's dumper."""
    header = yaml.dump(
        front_matter(article), Dumper=dumper, sort_keys=False, allow_unicode=True,
        default_flow_style=False, width=10_000,
    )  # fmt: skip
    return f"---\n{header}---\n\n{article.body}\n".encode()


@settings(max_examples=300, deadline=None)
@given(
    title=TEXT, tags=st.lists(TEXT, max_size=3), related=st.lists(TEXT, max_size=2),
    image=st.one_of(st.none(), TEXT), draft=st.booleans(),
)  # fmt: skip
def test_render_writes_the_bytes_pyyaml_s_representer_writes(
    title: str, tags: list[str], related: list[str], image: str | None, draft: bool
) -> None:
    # render_markdown builds the YAML nodes itself (PyYAML's representer is slow Python):
    # the same bytes, for every value, empty lists and mappings included.
    article = sample(
        title=title, tags=tuple(tags), image=image, draft=draft, publisher=title or None,
        related=tuple(RelatedLink(t, "https://example.com/r", t or None) for t in related),
    )  # fmt: skip
    assert render_markdown(article) == _dumped_by_pyyaml(article)


def test_render_matches_pyyaml_on_the_fixtures() -> None:
    for name, url in (("google-news-world.xml", GOOGLE_NEWS_WORLD),
                      ("rss-basic.xml", "https://gazette.example.org/rss"),
                      ("atom-blog.xml", "https://notes.example.com/feed.atom")):  # fmt: skip
        for article in fixture_articles(name, FeedConfig(url=url, name="f")):
            assert render_markdown(article) == _dumped_by_pyyaml(article)


def test_render_matches_pyyaml_without_libyaml(monkeypatch: pytest.MonkeyPatch) -> None:
    # Where PyYAML was built without libyaml, both sides fall back to its Python emitter.
    monkeypatch.setattr(render, "_Emitter", yaml.emitter.Emitter)

    class PythonDumper(yaml.SafeDumper):
        pass

    PythonDumper.add_representer(str, _represent_str)
    titles = ("plain", "", "yes", "1e3", " padded", "a\u2028b", "- x", "!")
    samples = [sample(title=t, tags=(t, ""), publisher=t) for t in titles]
    for article in samples + fixture_articles("google-news-world.xml", WORLD):
        assert render_markdown(article) == _dumped_by_pyyaml(article, PythonDumper)


# Plain scalars PyYAML resolves as other types, their neighbours, and words around them.
PLAIN_LOOKING = st.from_regex(r"[-+.0-9eEoxbTtZ:_ ~<=!&*a-zA-Z]{0,12}", fullmatch=True)


def _left_plain_is_a_string(value: str) -> None:
    # render tells libyaml that every string's plain form is implicit (no resolver in the
    # way), which holds only if _string_style quotes whatever PyYAML's resolvers claim.
    if _string_style(value) is None:
        resolver = yaml.resolver.Resolver()  # SafeDumper's
        tag = resolver.resolve(yaml.ScalarNode, value, (True, False))  # type: ignore[no-untyped-call]
        assert tag == "tag:yaml.org,2002:str"


@settings(max_examples=500, deadline=None)
@given(value=st.one_of(PLAIN_LOOKING, TEXT))
def test_every_string_left_plain_resolves_as_a_string_in_pyyaml(value: str) -> None:
    _left_plain_is_a_string(value)


def test_every_word_pyyaml_resolves_is_quoted() -> None:
    words = [
        "", "~", "!", "&", "*", "=", "<<", "null", "NULL", ".inf", "-.Inf", ".NaN", "0b1", "017",
        "0x1F", "1_000", "1:20", "1.5e+3", "2001-12-14", "2001-12-14 21:59:43.10 -5",
    ]  # fmt: skip
    bools = [
        "yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
        "on", "On", "ON", "off", "Off", "OFF",
    ]  # fmt: skip
    for word in words + bools:
        assert _string_style(word) == "'", word
        _left_plain_is_a_string(word)


def test_read_page_gives_back_every_value_the_writer_wrote() -> None:
    for article in fixture_articles("google-news-world.xml", WORLD):
        article = dataclasses.replace(
            article, lastmod=datetime(2026, 1, 2, 9, 30, tzinfo=UTC), draft=True
        )
        page = read_page(render_markdown(article))
        assert page == StoredPage(
            title=article.title,
            date=article.date,
            description=article.description,
            summary=article.summary,
            slug=article.slug,
            image=article.image or "",
            link=article.link,
            source=article.source,
            categories=article.categories,
            tags=article.tags,
            draft=True,
            lastmod=article.lastmod,
            publisher=article.publisher,
            publisher_url=article.publisher_url,
            url_original=article.url_original or "",
            google_news_link=article.google_news_link or "",
            guid=article.guid,
            feeds=article.feeds,
            related=tuple(
                RelatedLink(r.title, r.url, r.publisher or None, r.feeds) for r in article.related
            ),
            id=article.id,
            body=article.body,
            language="en",
        )


def test_read_page_reads_what_is_missing_as_empty_and_refuses_what_is_not_a_page() -> None:
    assert read_page(b"---\ntitle: Only a title\n---\n\nBody\n") == StoredPage(
        title="Only a title", body="Body"
    )
    odd = read_page(b"---\ndate: 2026-01-05 18:00:00\ntags: war\nrelated: [1, {url: u}]\n---\n")
    assert odd.date == datetime(2026, 1, 5, 18, 0)  # no offset: kept naive, the reader decides
    assert odd.tags == () and odd.related == (RelatedLink("", "u", None),)
    for bad in (b"no front matter", b"---\n- a list\n---\n", b"---\n: [\n---\n", b"\xff"):
        with pytest.raises(ValueError, match=r"front matter|utf-8"):
            read_page(bad)


def test_front_matter_is_safe_yaml() -> None:
    data = render_markdown(sample(title="!!python/object/apply:os.system ['x']"))
    header = data.decode().split("---\n")[1]
    assert yaml.safe_load(header)["title"] == "!!python/object/apply:os.system ['x']"
