"""Issue 10's Markdown classes, attacked end to end (feed server → ingest → stored page → site):

1. the front matter's `summary` is Markdown to Hugo: text a feed escaped stays text;
2. link and image destinations cannot be ended early, and only http(s) links are written;
5. the site's own RSS and JSON Feed carry HTML that shows feed text as text;
7. any nesting depth converts (or falls back to text): the item is stored, the feed's
   validators are saved, and the next run is a conditional GET, not a full re-fetch.

Markdown is read with markdown-it-py's CommonMark preset, which parses raw HTML (as a Hugo
site with `unsafe = true` would pass it through): a raw-HTML token anywhere is a failure.
"""

from __future__ import annotations

import json
from html.parser import HTMLParser
from typing import Any
from xml.etree import ElementTree as ET

from markdown_it import MarkdownIt
from markdown_it.token import Token

from newswire.models import FeedConfig, FeedStatus
from newswire.site.build import build_site

from .backends import Backend
from .conftest import IngestorFactory
from .feeds import Item, rss
from .pages import paragraph_text, split_page
from .server import HostileServer

ESCAPED_MARKUP = (
    "Breaking: &lt;img src=x onerror=alert(1)&gt; &lt;svg onload=alert(2)&gt; {{&lt; ref x &gt;}}"
)
SHOWN = "Breaking: <img src=x onerror=alert(1)> <svg onload=alert(2)> {{< ref x >}}"


def tokens_of(markdown: str) -> list[Token]:
    md = MarkdownIt("commonmark")  # raw HTML on, as Goldmark with unsafe = true
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    found: list[Token] = []
    stack = list(md.parse(markdown))
    while stack:
        token = stack.pop(0)
        found.append(token)
        stack[:0] = token.children or []
    return found


def links_of(markdown: str) -> list[str]:
    kinds = [t.type for t in tokens_of(markdown)]
    assert "html_inline" not in kinds and "html_block" not in kinds, markdown
    return [
        str(t.attrGet("href") or t.attrGet("src") or "")
        for t in tokens_of(markdown)
        if t.type in ("link_open", "image")
    ]


def stored_pages(backend: Backend) -> dict[str, tuple[dict[str, Any], str]]:
    pages = {}
    for key in backend.object_keys():
        meta, body = split_page(backend.read(key))
        pages[meta["title"]] = (meta, body)
    return pages


def test_class_1_a_summary_of_escaped_markup_stays_text(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    item = Item(title="Summary", guid="https://gazette.example.org/1",
                link="https://gazette.example.org/1", description=ESCAPED_MARKUP)  # fmt: skip
    feed = FeedConfig(url=server.feed("/summary", rss([item])), name="summary")
    make_ingestor(embedded.make_store(), embedded.make_index()).run([feed])
    meta, body = stored_pages(embedded)["Summary"]
    assert meta["description"] == SHOWN  # plain text
    assert paragraph_text(meta["summary"]) == SHOWN  # Markdown showing exactly that text
    assert paragraph_text(body) == SHOWN
    assert "{{<" not in meta["summary"] and "{{<" not in body


BROKEN_URLS = [
    "https://evil.example/a)[x](javascript:alert(1)",
    "https://evil.example/a b\n# Heading\n<script>alert(2)</script>",
    "https://evil.example/<img src=x onerror=alert(3)>",
    'https://evil.example/a" onclick="alert(4)',
    "https://evil.example/a\\)![p](https://track.example/p.gif)",
    "https://evil.example/{{< ref missing >}}",
]


def test_class_2_links_and_images_cannot_be_broken_out_of(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    def attr(url: str) -> str:
        return url.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")

    html = "".join(f'<p><a href="{attr(u)}">link {n}</a></p>' for n, u in enumerate(BROKEN_URLS))
    html += '<p><img src="https://cdn.example/a).png" alt="x](javascript:alert(5)) ![y"></p>'
    html += '<p><a href="JaVaScRiPt:alert(6)">mixed</a> <a href="vbscript:x">vb</a></p>'
    html += '<p><a href="data:text/html,x">data</a> <a href="//cdn.example/p">proto</a></p>'
    items = [
        Item(title="Links", guid="https://gazette.example.org/2",
             link="https://gazette.example.org/2", content_html=html),
        Item(title="Entry link", guid="https://gazette.example.org/3",
             link="JaVaScRiPt:alert(7)", description="<p>words</p>"),
    ]  # fmt: skip
    feed = FeedConfig(url=server.feed("/links", rss(items)), name="links")
    make_ingestor(embedded.make_store(), embedded.make_index()).run([feed])
    pages = stored_pages(embedded)
    _, body = pages["Links"]
    found = links_of(body)
    # One link per URL, each the URL itself (as a browser would send it), nothing injected;
    # the protocol-relative link resolves against the feed's own address.
    assert len(found) == len(BROKEN_URLS) + 2, body
    for url in found:
        assert url.startswith(("https://evil.example/", "https://cdn.example/", "http://cdn."))
    # Refused links keep their words only ("javascript:" may remain inside an https path).
    for gone in ("alert(6)", "alert\\(6\\)", "vbscript", "data:text", "data\\:text"):
        assert gone not in body, body
    assert pages["Entry link"][0]["link"] == ""


def test_class_2_google_news_links_and_related_coverage(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    def attr(url: str) -> str:
        return url.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")

    related = "".join(
        f'<li><a href="{attr(u)}">Story {n} [x](javascript:alert(1))</a>&nbsp;&nbsp;'
        f"<font>Pub *{n}*</font></li>"
        for n, u in enumerate([*BROKEN_URLS, "javascript:alert(8)"])
    )
    item = Item(
        title="Headline ](javascript:alert(9)) - Wire",
        link="https://news.google.com/rss/articles/CBMiAbc)def?oc=5",
        guid="google-news-guid-0123456789abcdef",
        description=f"<ol>{related}</ol>",
        extra='<source url="https://wire.example">Wire</source>',
    )
    feed = FeedConfig(url=server.feed("/rss/search", rss([item])), name="google")
    make_ingestor(embedded.make_store(), embedded.make_index()).run([feed])
    [(meta, body)] = stored_pages(embedded).values()
    found = links_of(body)
    assert found[0] == "https://news.google.com/rss/articles/CBMiAbc)def?oc=5"
    assert len(found) == 1 + len(BROKEN_URLS), body  # the javascript: one is not a link
    assert all(url.startswith("https://") for url in found)
    kinds = {t.type for t in tokens_of(body)}
    assert kinds <= {"bullet_list_open", "bullet_list_close", "list_item_open", "list_item_close",
                     "paragraph_open", "paragraph_close", "inline", "text", "text_special",
                     "link_open", "link_close"}, kinds  # fmt: skip
    for entry in meta["related"]:
        assert entry["url"].startswith("https://")


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(name for name, _ in attrs)

    def handle_data(self, data: str) -> None:
        self.text += data


def read_html(fragment: str) -> _Elements:
    parser = _Elements()
    parser.feed(fragment)
    parser.close()
    return parser


def test_class_5_the_sites_own_feeds_show_feed_text_as_text(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    item = Item(title="Feeds", guid="https://gazette.example.org/5",
                link="https://gazette.example.org/5", description=ESCAPED_MARKUP)  # fmt: skip
    feed = FeedConfig(url=server.feed("/own", rss([item])), name="own")
    summary = make_ingestor(embedded.make_store(), embedded.make_index()).run([feed])
    store, index = embedded.make_store(), embedded.make_index()
    build_site(summary.changed, store, index, base_url="https://site.example/")
    [description] = [
        e.text or ""
        for e in ET.fromstring(embedded.read("feed.xml")).iter("description")
        if e.text and "Breaking" in e.text
    ]
    [entry] = json.loads(embedded.read("feed.json"))["items"]
    for html in (description, entry["content_html"]):
        shown = read_html(html)
        assert shown.tags == [] and shown.attributes == [], html
        assert shown.text == SHOWN
    assert entry["content_text"] == entry["summary"] == SHOWN


def test_class_7_any_depth_is_stored_and_the_validators_are_saved(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    items = [
        Item(title="Unclosed", guid="https://gazette.example.org/7a",
             content_html="<p>" + "<b>" * 400 + "four hundred</p>"),
        Item(title="Nested", guid="https://gazette.example.org/7b",
             content_html="<div>" * 5000 + "five thousand"),
        Item(title="Quoted", guid="https://gazette.example.org/7c",
             content_html="<blockquote>" * 5000 + "deep quote"),
    ]  # fmt: skip
    feed = FeedConfig(url=server.feed("/deep", rss(items)), name="deep")
    ingestor = make_ingestor(embedded.make_store(), embedded.make_index())
    [result] = ingestor.run([feed]).results
    assert (result.status, result.new, result.failed_items) == (FeedStatus.FETCHED, 3, 0)
    pages = stored_pages(embedded)
    for title, words in (("Unclosed", "four hundred"), ("Nested", "five thousand"),
                         ("Quoted", "deep quote")):  # fmt: skip
        assert words in pages[title][1]
        links_of(pages[title][1])  # no raw HTML
    state = embedded.make_index().get_feed_states(["deep"]).get("deep")
    assert state is not None and state.etag is not None
    [again] = ingestor.run([feed]).results
    assert again.status is FeedStatus.NOT_MODIFIED
