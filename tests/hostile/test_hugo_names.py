"""Issue 10, classes 3 and 9: no item names a file Hugo reserves or cannot create, and no item
blows up a page.

- Slugs are never `index` or `_index` (in any case): `index.md` in a month folder is a leaf
  bundle that hides every other article of that folder.
- Tags, categories and publisher fit in 64 characters and 80 UTF-8 bytes, lower-cased too, so
  that no path segment Hugo derives from them (lower-cased, maybe percent-encoded: 3 bytes a
  byte) reaches the 255-byte file-name limit; they are never empty.
- Titles are cut at a word boundary at 250 characters; related coverage keeps at most 10 links
  with titles cut the same way.
- Hugo builds a site of such items, with every taxonomy (publisher too) turned on.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newswire.models import Article, FeedConfig
from newswire.normalize import normalize_entry
from newswire.render import render_markdown
from newswire.slugs import content_key, make_slug
from tests import programs
from tests.programs import HUGO_NAMES

from .backends import Backend
from .conftest import IngestorFactory
from .feeds import Item, rss
from .hugosite import hugo_build, ingest_served_feed
from .pages import front_matter
from .server import HostileServer

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
FEED = FeedConfig(url="https://gazette.example.org/feed.xml", name="gazette")
GOOGLE = FeedConfig(url="https://news.google.com/rss/search?q=x", name="google", section="world")
FILE_NAME_LIMIT = 255
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis" * 7  # 315 letters
CYRILLIC_WORD = "Найдовшеслово" * 25
CJK_WORD = "漢字" * 150
DOTTED_I = "İ" * 70  # 2 bytes each, 3 once lower-cased ("i̇")


def entry(title: str, **fields: Any) -> dict[str, Any]:
    base = {
        "title": title,
        "summary": fields.pop("summary", "A short summary."),
        "id": fields.pop("guid", "https://gazette.example.org/story"),
        "link": fields.pop("link", "https://gazette.example.org/story"),
        "published": "Tue, 06 Jan 2026 09:30:00 +0000",
    }
    return {**base, **fields}


def terms(article: Article) -> list[str]:
    return [*article.tags, *article.categories, *([article.publisher] if article.publisher else [])]


def assert_fits_a_file_name(term: str) -> None:
    assert term.strip(), "an empty term"
    assert len(term) <= 64, (len(term), term)
    for variant in (term, term.lower(), term.upper()):
        assert len(variant.encode("utf-8")) <= 80, (variant, len(variant.encode("utf-8")))
        # Hugo's directory for the term, percent-encoded, with room for ".html" (uglyURLs).
        assert len(quote(variant, safe="")) + len(".html") <= FILE_NAME_LIMIT


# --- reserved names -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title", ["Index", "index", "INDEX", "iNdEx", "_index", "Index!", " index ", "_INDEX_"]
)
def test_no_slug_is_a_name_hugo_reserves(title: str) -> None:
    article = normalize_entry(entry(title), FEED, now=NOW)
    assert article.slug.lower() not in ("index", "_index")
    assert not content_key("news", NOW, article.slug).endswith(("/index.md", "/_index.md"))


@pytest.mark.parametrize("slug", ["index", "_index"])
def test_a_reserved_slug_never_becomes_a_key(slug: str) -> None:
    with pytest.raises(ValueError, match="refusing"):
        content_key("news", NOW, slug)


@settings(deadline=None)
@given(st.text(), st.from_regex(r"[0-9a-f]{20}", fullmatch=True))
@example("Index", "0123456789abcdef0123")
def test_any_title_gives_a_slug_that_is_not_reserved(title: str, article_id: str) -> None:
    assert make_slug(title, article_id) not in ("index", "_index")


def test_an_index_headline_does_not_hide_its_month(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    items = [
        Item(
            title=t,
            guid=f"https://gazette.example.org/{i}",
            link=f"https://gazette.example.org/{i}",
        )
        for i, t in enumerate(["Index", "Other story", "INDEX", "_index"])
    ]
    feed = FeedConfig(url=server.feed("/index.xml", rss(items)), name="index-feed")
    [result] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert (result.new, result.failed_items) == (4, 0)
    keys = backend.object_keys()
    assert len(keys) == 4
    assert not [k for k in keys if k.rsplit("/", 1)[-1] in ("index.md", "_index.md")]


# --- terms --------------------------------------------------------------------------------------


@pytest.mark.parametrize("word", [LONG_WORD, CYRILLIC_WORD, CJK_WORD, DOTTED_I])
def test_a_huge_word_makes_a_capped_tag(word: str) -> None:
    article = normalize_entry(entry(f"{word} flood {word}", summary=word), FEED, now=NOW)
    if word == CJK_WORD:  # a script without spaces is left untagged rather than cut
        assert article.tags == ()
    else:
        assert article.tags, "the title's words should still give tags"
    for term in terms(article):
        assert_fits_a_file_name(term)
    if word not in (
        DOTTED_I,
        CJK_WORD,
    ):  # lower-cased, "i̇" has a combining mark: no word of 3 letters
        assert any(word.lower().startswith(tag) for tag in article.tags)


@pytest.mark.parametrize("name", [LONG_WORD, CYRILLIC_WORD, CJK_WORD, DOTTED_I,
                                  "The " + "Very " * 40 + "Long Gazette"])  # fmt: skip
def test_a_huge_publisher_is_capped_at_a_word(name: str) -> None:
    article = normalize_entry(
        entry(f"Story - {name}", source={"title": name, "href": "https://p.example/"},
              link="https://news.google.com/rss/articles/abc"),
        GOOGLE, now=NOW,
    )  # fmt: skip
    assert article.publisher is not None
    assert_fits_a_file_name(article.publisher)
    assert name.startswith(article.publisher)
    if " " in name:
        assert name[len(article.publisher)] == " ", "cut inside a word"
    assert article.title == "Story", "the full publisher suffix is still removed from the title"


def test_configured_terms_and_a_huge_host_are_capped() -> None:
    host = ".".join(["a" * 60] * 4) + ".example"
    feed = FeedConfig(url=FEED.url, name="gazette", tags=(LONG_WORD, " ", CJK_WORD))
    article = normalize_entry(entry("Storm", link=f"https://{host}/story"), feed, now=NOW)
    assert article.categories and article.tags
    for term in terms(article):
        assert_fits_a_file_name(term)
    configured = normalize_entry(
        entry("Storm"), FeedConfig(url=FEED.url, name="g", categories=(DOTTED_I, "")), now=NOW
    )
    assert len(configured.categories) == 1
    assert_fits_a_file_name(configured.categories[0])


pieces = st.one_of(
    st.sampled_from([LONG_WORD, CYRILLIC_WORD, CJK_WORD, DOTTED_I, " ", "-", "ß", "ﬃ", "Σ"]),
    st.text(max_size=30),
)
long_text = st.lists(pieces, max_size=6).map(" ".join)


@settings(max_examples=100, deadline=None)
@given(title=long_text, publisher=long_text, tags=st.lists(long_text, max_size=3),
       categories=st.lists(long_text, max_size=3))  # fmt: skip
def test_every_term_of_any_item_fits_a_file_name(
    title: str, publisher: str, tags: list[str], categories: list[str]
) -> None:
    feed = FeedConfig(url=FEED.url, name="g", tags=tuple(tags), categories=tuple(categories))
    article = normalize_entry(
        entry(title, source={"title": publisher, "href": "https://p.example/"}), feed, now=NOW
    )
    for term in terms(article):
        assert_fits_a_file_name(term)
    assert article.categories, "an article always has a category"
    assert len(article.title) <= 250


# --- titles and related coverage ----------------------------------------------------------------


def test_a_megabyte_title_is_cut_at_a_word() -> None:
    title = " ".join(f"word{i}" for i in range(200_000))  # ~1.3 MB
    article = normalize_entry(entry(title), FEED, now=NOW)
    assert len(article.title) <= 250
    assert article.title.endswith("…")
    kept = article.title.removesuffix("…")
    assert title.startswith(kept) and title[len(kept)] == " ", "cut inside a word"
    assert len(kept) > 200, "cut far too short"
    assert len(render_markdown(article)) < 8_000


def test_a_real_headline_is_not_cut() -> None:
    headline = (
        "45 combat engagements on the front: the enemy launched two heavy assaults in the area "
        "of the Antonivskyi Bridge, near Krynky, and shelled Kherson and nearby villages again"
    )
    assert normalize_entry(entry(headline), FEED, now=NOW).title == headline


def google_description(count: int, title_size: int) -> str:
    items = "".join(
        f'<li><a href="https://news.google.com/rss/articles/R{i}">{escape("w " * title_size)}{i}'
        f"</a>&nbsp;&nbsp;<font>{escape('Pub ' * title_size)}</font></li>"
        for i in range(count)
    )
    return f"<ol>{items}</ol>"


def test_related_coverage_is_capped_in_count_and_title() -> None:
    article = normalize_entry(
        entry("Story - Pub", link="https://news.google.com/rss/articles/OWN",
              summary=google_description(500, 5_000), source={"title": "Pub"}),
        GOOGLE, now=NOW,
    )  # fmt: skip
    assert len(article.related) == 10
    for link in article.related:
        assert len(link.title) <= 250
        assert link.publisher is not None
        assert_fits_a_file_name(link.publisher)
    assert len(render_markdown(article)) < 40_000


# --- a real Hugo build --------------------------------------------------------------------------

HUGO_CONFIG = """\
baseURL = "https://news.example.org/"
title = "names"
disableKinds = ["RSS", "sitemap", "robotsTXT", "404"]
[taxonomies]
  tag = "tags"
  category = "categories"
  publisher = "publisher"
"""
SINGLE = (
    "<html><body><h1>{{ .Title }}</h1>{{ range .Params.tags }}<i>{{ . }}</i>{{ end }}"
    "</body></html>\n"
)
LIST = "<html><body>{{ range .Pages }}<p>{{ .Title }}</p>{{ end }}</body></html>\n"


@pytest.mark.parametrize("hugo_name", HUGO_NAMES)
def test_hugo_builds_a_site_of_hostile_names(tmp_path: Path, hugo_name: str) -> None:
    hugo = programs.hugo(hugo_name).path
    root = tmp_path / "site"
    source = '<source url="https://p.example/">{}</source>'
    titles = {
        "index": "Index",
        "lower": "index",
        "word": f"{LONG_WORD} found",
        "cyrillic": f"{CYRILLIC_WORD} знайдено",
        "cjk": f"{CJK_WORD} 发现",
        "dotted": f"{DOTTED_I} bulundu",
        "huge": "Headline " * 20_000,
        "plain": "An ordinary story",
    }
    items = [
        Item(
            title=title, guid=f"https://gazette.example.org/{name}",
            link=f"https://gazette.example.org/{name}", description=f"{title} {LONG_WORD}",
            extra=source.format(escape(LONG_WORD if name != "cjk" else CJK_WORD)),
        )
        for name, title in titles.items()
    ]  # fmt: skip
    result = ingest_served_feed(
        root, "/names.xml", items,
        lambda url: FeedConfig(url=url, name="names", tags=(LONG_WORD,), categories=(CJK_WORD,)),
    )  # fmt: skip
    assert (result.new, result.failed_items) == (len(items), 0), result
    built = hugo_build(hugo, root, config=HUGO_CONFIG, single=SINGLE, list_layout=LIST)
    assert built.returncode == 0, built.stdout + built.stderr
    pages = {}
    for page in (root / "public").rglob("index.html"):
        if found := re.search(r"<h1>(.*?)</h1>", page.read_text(encoding="utf-8"), re.DOTALL):
            pages[found.group(1)] = page
    articles = [p for p in (root / "content").rglob("*.md") if p.name != "_index.md"]
    stored = {front_matter(p.read_bytes())["title"] for p in articles}
    assert len(stored) == len(titles)
    assert {t.replace("&rsquo;", "'") for t in pages} >= {escape(t) for t in stored}, sorted(pages)
    assert (root / "public" / "tags").is_dir() and (root / "public" / "publisher").is_dir()
