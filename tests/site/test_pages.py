"""Rendering (pure): hostile text stays text, every page has its CSP, language, alt text,
heading order and metadata, and nothing on a page asks another host for anything."""

from __future__ import annotations

import dataclasses
import itertools
import json
import re
from html.parser import HTMLParser
from typing import Any

import pytest
import yaml

from newswire.models import StoredPage
from newswire.render import read_page
from newswire.site.article import render_article
from newswire.site.feeds import json_feed, rss_feed
from newswire.site.markup import render_body
from newswire.site.options import SiteOptions
from newswire.site.pages import (
    ListPage,
    Page,
    csp,
    render_archive,
    render_list,
    render_not_found,
)
from tests.site.helpers import BASE_URL, record

HOSTILE = '<script>alert("t")</script><img src=x onerror=alert(1)> & "quotes" \'single\''


class Outline(HTMLParser):
    """What a page is made of: tags with attributes, headings in order, text, <meta> values."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.headings: list[tuple[int, str]] = []
        self.text: list[str] = []
        self._heading: int | None = None
        self._buffer: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))
        if re.fullmatch(r"h[1-6]", tag):
            self._heading, self._buffer = int(tag[1]), []

    def handle_endtag(self, tag: str) -> None:
        if self._heading is not None and tag == f"h{self._heading}":
            self.headings.append((self._heading, "".join(self._buffer).strip()))
            self._heading = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._heading is not None:
            self._buffer.append(data)

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]

    def meta(self, key: str) -> list[str]:
        return [
            a.get("content", "")
            for a in self.all("meta")
            if a.get("property") == key or a.get("name") == key
        ]


def outline(page: Page) -> Outline:
    parser = Outline()
    parser.feed(page.body.decode("utf-8"))
    return parser


def check_common(page: Page, options: SiteOptions) -> Outline:
    """What every HTML page promises."""
    doc = outline(page)
    text = page.body.decode("utf-8")
    assert text.startswith("<!DOCTYPE html>\n")
    assert doc.all("html")[0]["lang"] == options.language
    policy = [m for m in doc.all("meta") if m.get("http-equiv") == "Content-Security-Policy"]
    assert [m["content"] for m in policy] == [csp(options)]
    assert "script-src" not in csp(options) and "default-src 'none'" in csp(options)
    assert not doc.all("script") and not doc.all("iframe") and not doc.all("form")
    assert all(name != "style" for name, _ in doc.tags), "inline styles would need 'unsafe-inline'"
    assert not any(k.startswith("on") for _, attrs in doc.tags for k in attrs)
    # Headings start at h1, once, and never skip a level on the way down.
    levels = [level for level, _ in doc.headings]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels)), doc.headings
    for img in doc.all("img"):
        assert img.get("alt"), f"an image without alt text: {img}"
    # Nothing is loaded from another host: stylesheets, icons and images are the site's own
    # (remote images only when the options allow them).
    for tag, attrs in doc.tags:
        for name in ("src", "href"):
            value = attrs.get(name, "")
            loads = tag in ("img", "script", "iframe") or (
                tag == "link" and attrs.get("rel") in ("stylesheet", "icon")
            )
            if loads and value:
                remote = value.startswith(("http:", "https:", "//"))
                assert not remote or (tag == "img" and options.remote_images), (tag, value)
    assert page.content_type == "text/html; charset=utf-8"
    return doc


def stored(meta: dict[str, Any], body: str) -> StoredPage:
    """A page as the site reads it from the store: front matter and body, through read_page."""
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return read_page(f"---\n{header}---\n\n{body}\n".encode())


def hostile_record() -> Any:
    return record(
        title=HOSTILE,
        summary=HOSTILE,
        tags=("war", HOSTILE),
        categories=(HOSTILE,),
        publisher=HOSTILE,
    )


def hostile_meta() -> dict[str, Any]:
    return {
        "title": HOSTILE,
        "date": "2026-01-05T18:00:00+00:00",
        "description": HOSTILE,
        "summary": HOSTILE,
        "slug": "harbour-wall-repaired",
        "image": "javascript:alert(1)",
        "link": "javascript:alert(1)",
        "source": "file:///etc/passwd",
        "categories": [HOSTILE],
        "tags": ["war", HOSTILE],
        "draft": False,
        "publisher": HOSTILE,
        "publisher_url": "javascript:alert(2)",
        "url_original": "data:text/html,<script>alert(3)</script>",
        "guid": HOSTILE,
        "feed": [HOSTILE],
        "related": [{"title": HOSTILE, "url": "javascript:alert(4)", "publisher": HOSTILE}],
        "id": "a1b2c3d4e5f6a7b8c9d0",
    }


@pytest.mark.parametrize("remote_images", [False, True])
def test_hostile_text_is_escaped_on_an_article_page(remote_images: bool) -> None:
    options = SiteOptions(remote_images=remote_images)
    body = f"{HOSTILE}\n\n[click](javascript:alert(5)) <a href='javascript:alert(6)'>x</a>"
    page = render_article(hostile_record(), stored(hostile_meta(), body), options, BASE_URL)

    doc = check_common(page, options)
    text = page.body.decode("utf-8")
    assert "<script" not in text and "<img src=x" not in text
    for _, attrs in doc.tags:
        for name in ("href", "src", "content"):
            value = attrs.get(name, "").strip().lower()
            assert not value.startswith(("javascript:", "data:", "file:", "vbscript:")), attrs
    assert HOSTILE in "".join(doc.text)  # shown as text, whole
    assert doc.headings[0] == (1, HOSTILE)


def test_hostile_text_is_escaped_on_a_list_page() -> None:
    options = SiteOptions()
    page = render_list(
        ListPage(path="tags/war/", heading=HOSTILE, records=[hostile_record()], intro=HOSTILE),
        options,
        BASE_URL,
    )
    doc = check_common(page, options)
    assert "<script" not in page.body.decode("utf-8")
    assert doc.headings[:2] == [(1, HOSTILE), (2, HOSTILE)]


def test_an_article_page_shows_its_metadata_canonical_link_and_social_tags() -> None:
    r = record(image="https://gazette.example.org/img/wall.jpg")
    meta = {
        "title": r.title, "date": "2026-01-05T18:00:00+00:00",
        "description": "The wall is whole.", "summary": "The wall is whole again, at last.",
        "slug": r.slug, "image": r.image, "link": r.link, "source": "https://gazette.example.org/rss",
        "categories": ["Local news"], "tags": ["harbour", "wall"], "draft": False,
        "lastmod": "2026-01-06T09:00:00+00:00", "publisher": "Harbour Gazette",
        "publisher_url": "https://gazette.example.org", "url_original": "https://gazette.example.org/wall",
        "guid": "tag:gazette,1", "feed": ["harbour-gazette"],
        "related": [
            {"title": "Wall history", "url": "https://other.example.com/h", "publisher": "Other"}
        ],
        "id": r.id,
    }  # fmt: skip
    options = SiteOptions()
    page = render_article(r, stored(meta, "Repairs took **three** months."), options, BASE_URL)
    doc = check_common(page, options)
    url = f"{BASE_URL}articles/local/2026/01/harbour-wall-repaired/"

    assert [a["href"] for a in doc.all("link") if a.get("rel") == "canonical"] == [url]
    assert doc.meta("og:url") == [url]
    assert doc.meta("og:type") == ["article"]
    assert doc.meta("og:title") == doc.meta("twitter:title") == [r.title]
    assert doc.meta("og:description") == ["The wall is whole."]
    assert doc.meta("og:image") == doc.meta("twitter:image") == [r.image]
    assert doc.meta("twitter:card") == ["summary_large_image"]
    assert doc.meta("article:published_time") == ["2026-01-05T18:00:00+00:00"]
    assert doc.meta("article:modified_time") == ["2026-01-06T09:00:00+00:00"]
    assert doc.meta("article:tag") == ["harbour", "wall"]
    text = " ".join(" ".join(doc.text).split())
    for shown in (
        "Harbour Gazette", "5 January 2026, 18:00 UTC", "6 January 2026, 09:00 UTC",
        "The wall is whole again, at last.", "Local news", "harbour", "wall", "Local",
        "Wall history", "Other", "gazette.example.org/img/wall.jpg",
    ):  # fmt: skip
        assert shown in text, shown
    # newswire's bookkeeping means nothing to a reader: not on the page.
    for plumbing in (
        "harbour-gazette", "tag:gazette,1", r.id, r.slug, "gazette.example.org/rss", "Draft",
        "Source feed", "GUID", "Slug",
    ):  # fmt: skip
        assert plumbing not in text, plumbing
    hrefs = [a.get("href") for a in doc.all("a")]
    assert "https://gazette.example.org/wall" in hrefs  # the original, url_original first
    assert "https://other.example.com/h" in hrefs
    assert "../../../../../tags/harbour/" in hrefs
    assert [h for _, h in doc.headings if _ == 2][:2] == ["From the feed", "Related coverage"]
    assert "<strong>three</strong>" in page.body.decode("utf-8")
    assert not doc.all("img"), "remote images are off by default: a link, not an <img>"
    assert page.cache_control == "public, max-age=86400"


def test_with_remote_images_the_image_is_shown_with_alt_text() -> None:
    r = record(image="https://gazette.example.org/img/wall.jpg")
    options = SiteOptions(remote_images=True)
    meta = {"title": r.title, "image": r.image, "link": r.link, "id": r.id}
    page = render_article(
        r, stored(meta, "![The new wall](https://gazette.example.org/w.jpg)"), options, BASE_URL
    )
    doc = check_common(page, options)
    images = doc.all("img")
    assert [i["src"] for i in images] == [r.image, "https://gazette.example.org/w.jpg"]
    assert [i["alt"] for i in images] == [r.title, "The new wall"]
    assert all(i["referrerpolicy"] == "no-referrer" for i in images)
    assert "img-src 'self' https:" in csp(options)

    listing = render_list(ListPage(path="", heading="Latest news", records=[r]), options, BASE_URL)
    assert [i["alt"] for i in check_common(listing, options).all("img")] == [r.title]


def test_without_remote_images_a_body_image_becomes_a_link() -> None:
    html = render_body("![A map](https://maps.example.com/m.png)", remote_images=False)
    assert "<img" not in html
    assert 'href="https://maps.example.com/m.png"' in html and "Image: A map" in html


def test_markdown_raw_html_is_text_and_headings_stay_below_the_page_outline() -> None:
    html = render_body("# Title\n\n<b>bold</b> <script>x</script>\n\n## Sub", remote_images=False)
    assert "&lt;b&gt;bold&lt;/b&gt;" in html and "&lt;script&gt;" in html
    assert "<h3>Title</h3>" in html and "<h4>Sub</h4>" in html
    assert 'rel="nofollow noopener"' in render_body("[a](https://e.org)", remote_images=False)
    assert "href" not in render_body("[a](javascript:alert(1))", remote_images=False)


def test_a_google_news_coverage_list_is_shown_once() -> None:
    r = record()
    meta = {
        "title": r.title, "link": "https://news.google.com/a", "id": r.id,
        "related": [{"title": "B", "url": "https://news.google.com/b", "publisher": "Pub B"}],
    }  # fmt: skip
    body = "- [A](https://news.google.com/a) — Pub A\n- [B](https://news.google.com/b) — Pub B"
    page = render_article(r, stored(meta, body), SiteOptions(), BASE_URL)
    doc = outline(page)
    assert "From the feed" not in [h for _, h in doc.headings]
    assert "Related coverage" in [h for _, h in doc.headings]


def test_list_home_archive_and_404_pages_keep_the_promises() -> None:
    options = SiteOptions(language="uk", title="Новини")
    records = [record(id=f"{i:020d}", slug=f"s{i}") for i in range(3)]
    home = render_list(
        ListPage(path="", heading="Latest news", records=records, page=1, pages=2,
                 page_path=lambda n: "" if n == 1 else f"page/{n}/", lead=True),
        options, BASE_URL,
    )  # fmt: skip
    doc = check_common(home, options)
    assert [a["href"] for a in doc.all("a") if a.get("rel") == "next"] == ["page/2/"]
    [stylesheet] = [a["href"] for a in doc.all("link") if a.get("rel") == "stylesheet"]
    assert stylesheet.startswith("css/site-")
    assert home.cache_control == "public, max-age=300"
    check_common(render_archive(["2026-01", "2025-12"], options, BASE_URL), options)
    missing = render_not_found(options, "https://example.org/news/")
    doc = check_common(missing, options)
    assert all(a["href"].startswith(("/news/", "#")) for a in doc.all("a"))
    assert missing.key == "404.html"


def test_feeds_escape_hostile_text_and_control_characters() -> None:
    r = dataclasses.replace(hostile_record(), title=HOSTILE + "\x01\x0b")
    rss = rss_feed([r], SiteOptions(), BASE_URL).body.decode("utf-8")
    assert "<script>" not in rss and "\x01" not in rss and "\x0b" not in rss
    feed = json.loads(json_feed([r], SiteOptions(), BASE_URL).body)
    assert feed["items"][0]["title"] == r.title  # JSON carries any text, exactly
