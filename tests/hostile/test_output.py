"""Output: any text from a feed survives the YAML front matter exactly (after cleaning), and
nothing active from a feed's HTML or URLs reaches the Markdown or the front matter."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newswire.models import Article, FeedConfig, RelatedLink
from newswire.normalize import normalize_entry
from newswire.render import FRONT_MATTER_KEYS, parse_markdown, render_markdown

from .backends import Backend
from .conftest import IngestorFactory
from .feeds import Item, atom, atom_entry, rss
from .pages import paragraph_text, split_page
from .server import HostileServer

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)
FEED = FeedConfig(url="https://gazette.example.org/feed.xml", name="gazette")

# Strings that mean something to YAML, Hugo or a terminal, mixed into arbitrary text.
TRICKY = [
    ": ", ":", "---", "--- ", "...", "#", " # comment", "'", '"', "''", '\\"', "\\", "no", "No",
    "NO", "yes", "off", "on", "y", "n", "~", "null", "Null", "true", "2024-01-01",
    "2024-01-01T00:00:00Z", "12:30:00", "0x1F", "0o17", "1e3", "-.inf", ".NaN", "1_000",
    "!!python/object:os.system", "!!python/object/apply:os.system ['id']", "!!binary aGk=",
    "!Ref x", "&anchor", "*alias", "<<", "|", ">", "|-", ">+", "- item", "? key", "{a: 1}",
    "[1, 2]", "@", "`", "%YAML 1.1", "%TAG ! tag:x,2000:", "=", ",", "{{< ref \"x\" >}}",
    "{{% y %}}", "\x00", "\x07", "\x08", "\x1b[31m", "\x7f", "\x85", "\xa0", "\u2028",
    "\u2029", "\ufeff", "\ufffe", "\uffff", "\u200b", "\u200e", "\u202e", "\t", "\r", "\n",
    "\r\n", "\v", "\f", "\U0001f600", "\U0010ffff", "é", "\u0301", "\ud7ff", "\U000e0001",
]  # fmt: skip
pieces = st.one_of(st.sampled_from(TRICKY), st.text(max_size=12))
any_text = st.lists(pieces, max_size=8).map("".join)
# Text with no markup: the cleaned value is then known exactly.
plain_pieces = st.one_of(
    st.sampled_from([t for t in TRICKY if "<" not in t and "&" not in t]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<&"), max_size=12),
)
plain_text = st.lists(plain_pieces, max_size=8).map("".join)


def cleaned(text: str) -> str:
    """What the issue asks of feed text, written independently of newswire.text: control,
    format, private-use and unassigned characters dropped, any whitespace or line/paragraph
    separator run folded to one space, ends trimmed."""
    kept = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zl", "Zp"):
            kept.append(" ")
        elif not category.startswith("C"):
            kept.append(char)
    return re.sub(" +", " ", "".join(kept)).strip()


def is_capped_term(term: str, full: str) -> bool:
    """A term (tag, category, publisher) is the whole text when that fits in 64 characters
    and 80 UTF-8 bytes (lower-cased too), else a non-empty beginning of it that fits."""
    fits = len(term) <= 64 and len(term.encode()) <= 80 and len(term.lower().encode()) <= 80
    if len(full) <= 64 and len(full.encode()) <= 80 and len(full.lower().encode()) <= 80:
        return term == full
    return fits and term != "" and full.startswith(term)


def entry(title: str, summary: str, guid: str, publisher: str) -> dict[str, Any]:
    return {
        "title": title,
        "summary": summary,
        "id": guid,
        "link": "https://gazette.example.org/story",
        "source": {"title": publisher, "href": "https://publisher.example/"},
        "published": "Tue, 06 Jan 2026 09:30:00 +0000",
    }


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    title=plain_text.filter(lambda t: cleaned(t) != ""),
    summary=plain_text.filter(lambda t: len(cleaned(t)) <= 300),
    guid=plain_text,
    publisher=plain_text,
    tags=st.lists(any_text.filter(lambda t: t.strip() != ""), max_size=4),
)
@example(title="no", summary="2024-01-01", guid="---", publisher="!!python/object:os.system",
         tags=["yes"])  # fmt: skip
@example(title="a: b # c", summary="\u2028\u2029\ufeff", guid="'\"", publisher="~", tags=[": "])
def test_feed_text_parses_back_to_its_cleaned_value(
    title: str, summary: str, guid: str, publisher: str, tags: list[str]
) -> None:
    feed = dataclasses.replace(FEED, tags=tuple(tags))
    article = normalize_entry(entry(title, summary, guid, publisher), feed, now=NOW)
    meta, _ = split_page(render_markdown(article))
    assert meta["title"] == cleaned(title)
    assert meta["description"] == cleaned(summary)
    # `summary` is Markdown (Hugo renders it): it shows the text, cut if escaping made it long.
    if cleaned(summary):
        shown = paragraph_text(meta["summary"])
        assert shown == cleaned(summary) or cleaned(summary).startswith(shown.removesuffix("…"))
        assert len(meta["summary"]) <= 300
    else:
        assert meta["summary"] == ""
    assert meta["guid"] == (cleaned(guid) or "https://gazette.example.org/story")
    if cleaned(publisher):
        assert is_capped_term(meta["publisher"], cleaned(publisher))
    else:
        assert "publisher" not in meta
    assert meta["tags"] == list(article.tags)
    for tag in tags:
        assert any(is_capped_term(t, tag.strip().lower()) for t in meta["tags"])
    assert re.fullmatch(r"[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?", meta["slug"])


@settings(max_examples=60, deadline=None)
@given(title=any_text, summary=any_text)
def test_feed_text_with_markup_round_trips_through_the_front_matter(
    title: str, summary: str
) -> None:
    article = normalize_entry(entry(title, summary, "g", "p"), FEED, now=NOW)
    meta, _ = split_page(render_markdown(article))
    assert (meta["title"], meta["description"], meta["summary"]) == (
        article.title, article.description, article.summary
    )  # fmt: skip
    for value in (article.title, article.description, article.summary):
        assert value == cleaned(value), "a front-matter value was left uncleaned"


def base_article() -> Article:
    return Article(
        id="0123456789abcdef0123", guid="g", title="t", date=NOW, description="d", summary="s",
        slug="t", image=None, link="https://gazette.example.org/a", source=FEED.url,
        categories=("c",), tags=("t",), section="news", feeds=("gazette",), body="Body.",
        content_hash="h",
    )  # fmt: skip


LONG = ("word " * 2100) + "--- # : no\n---\n" + ("x" * 10_050) + " - item"


@settings(max_examples=100, deadline=None)
@given(
    title=any_text, description=any_text, summary=any_text, guid=any_text, publisher=any_text,
    tags=st.lists(any_text, max_size=4), categories=st.lists(any_text, max_size=3),
    related=st.lists(st.tuples(any_text, any_text), max_size=2),
)  # fmt: skip
@example(title=LONG, description=LONG, summary="", guid="", publisher="", tags=[LONG],
         categories=[], related=[])  # fmt: skip
def test_the_renderer_round_trips_any_string_exactly(
    title: str, description: str, summary: str, guid: str, publisher: str, tags: list[str],
    categories: list[str], related: list[tuple[str, str]],
) -> None:  # fmt: skip
    """Uncleaned values too: the renderer alone must never change a string."""
    article = dataclasses.replace(
        base_article(), title=title, description=description, summary=summary, guid=guid,
        publisher=publisher, tags=tuple(tags), categories=tuple(categories),
        related=tuple(RelatedLink(t, "https://r.example/", p) for t, p in related),
    )  # fmt: skip
    data = render_markdown(article)
    meta, body = split_page(data)
    assert meta["title"] == title
    assert meta["description"] == description
    assert meta["summary"] == summary
    assert meta["guid"] == guid
    assert meta["publisher"] == publisher
    assert meta["tags"] == tags
    assert meta["categories"] == categories
    assert [(r["title"], r["publisher"]) for r in meta["related"]] == related
    assert list(meta) == [k for k in FRONT_MATTER_KEYS if k in meta]
    assert body == "\nBody.\n"
    assert parse_markdown(data)[0] == meta


# --- active content -----------------------------------------------------------------------------

ATTACK_HTML = """
<p>Lead paragraph.</p>
<script>alert('script')</script><style>body{background:url(javascript:alert('css'))}</style>
<form action="https://evil.example/steal"><input name="q"><button>Go</button></form>
<svg onload="alert('svg')"><a xlink:href="javascript:alert('xlink')"><text>svg link</text></a></svg>
<math><mi xlink:href="javascript:alert('math')">m</mi></math>
<img src="javascript:alert('img')" onerror="alert('onerror')" alt="bad image">
<img src="https://cdn.example/ok.jpg" onload="alert('onload')" alt="good image">
<video poster="javascript:alert('poster')" src="javascript:alert('video')"><source src="javascript:alert('source')"></video>
<a href="javascript:alert('a')">plain js</a> <a href="JaVaScRiPt:alert('case')">mixed case</a>
<a href="java&#x09;script:alert('tab')">tab</a> <a href=" javascript:alert('space')">space</a>
<a href="&#106;avascript:alert('entity')">entity</a> <a href="vbscript:msgbox('vb')">vb</a>
<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgnZGF0YScpPC9zY3JpcHQ+">data</a>
<a href="https://ok.example/page" onclick="alert('onclick')">fine link</a>
<a href="mailto:desk@gazette.example.org">mail us</a>
<iframe src="javascript:alert('iframe')"></iframe><object data="javascript:alert('object')"></object>
<embed src="javascript:alert('embed')"><meta http-equiv="refresh" content="0;url=javascript:alert('meta')">
<base href="javascript:alert('base')//"><link rel="stylesheet" href="javascript:alert('link')">
<p style="background:url(javascript:alert('style'))" onmouseover="alert('over')">Styled</p>
<details open ontoggle="alert('toggle')"><summary>s</summary></details>
"""  # noqa: E501
JS_MEDIA = (
    '<enclosure url="javascript:alert(\'enclosure\')" type="image/png" length="1"/>'
    '<media:content url="javascript:alert(\'media\')" medium="image" type="image/jpeg"/>'
    "<media:thumbnail url=\"javascript:alert('thumb')\"/>"
)
ACTIVE_HTML = re.compile(
    r"<\s*/?\s*(script|style|form|svg|math|iframe|object|embed|meta|base|link|video|source|"
    r"input|button|details)\b|\bon[a-z]+\s*=",
    re.IGNORECASE,
)
SAFE_URL = re.compile(r"(?i)^https?://")
URL_KEYS = ("link", "image", "publisher_url", "url_original", "source")


def _commonmark() -> MarkdownIt:
    """A CommonMark parser that reports every link destination, unsafe ones included (its
    default validator drops javascript: links, which Hugo's Goldmark renders)."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


def _destinations(tokens: list[Token]) -> list[str]:
    found: list[str] = []
    for token in tokens:
        if token.type == "link_open":
            found.append(str(token.attrGet("href") or ""))
        elif token.type == "image":
            found.append(str(token.attrGet("src") or ""))
        if token.children:
            found.extend(_destinations(token.children))
    return found


def unsafe_destinations(markdown: str) -> list[str]:
    """Every link or image destination a CommonMark renderer would make of `markdown` (inline,
    reference-style and autolinks) that is not http(s) or mailto."""
    urls = _destinations(_commonmark().parse(markdown))
    return [url for url in urls if not SAFE_URL.match(url)]


def assert_nothing_active(meta: dict[str, Any], body: str, *, skip: tuple[str, ...] = ()) -> None:
    assert not ACTIVE_HTML.search(body), f"active HTML in the Markdown: {body!r}"
    assert unsafe_destinations(body) == [], body
    # Script and style are dropped with their content, not turned into text.
    assert "alert('script')" not in body and "alert('css')" not in body
    for key in URL_KEYS:
        value = str(meta.get(key) or "")
        assert value == "" or SAFE_URL.match(value), (key, value)
    for related in meta.get("related") or []:
        assert SAFE_URL.match(related["url"])
    for key, value in meta.items():
        if key not in skip:
            assert "javascript:" not in str(value).lower(), (key, value)
            assert not ACTIVE_HTML.search(str(value)), (key, value)


def test_feed_html_is_sanitized_on_its_way_to_markdown(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    items = [
        Item(title="Content attack", guid="https://gazette.example.org/1",
             link="https://gazette.example.org/1", content_html=ATTACK_HTML,
             description=ATTACK_HTML),
        Item(title="Summary attack", guid="https://gazette.example.org/2",
             link="https://gazette.example.org/2", description=ATTACK_HTML),
        Item(title="Link and media attack", guid="https://gazette.example.org/3",
             link="javascript:alert('entry link')", description="<p>media</p>", extra=JS_MEDIA),
    ]  # fmt: skip
    feed = FeedConfig(url=server.feed("/attack", rss(items)), name="attack")
    [result] = make_ingestor(embedded.make_store(), embedded.make_index()).run([feed]).results
    assert (result.new, result.failed_items) == (3, 0)
    pages = {}
    for key in embedded.object_keys():
        meta, body = split_page(embedded.read(key))
        assert_nothing_active(meta, body)
        pages[meta["title"]] = (meta, body)
    content = pages["Content attack"][1]
    # What is harmless survives: text (escaped), the safe link, the good image; a mail link
    # keeps its words only (links are http(s) only).
    for kept in ("Lead paragraph\\.", "[fine link](https://ok.example/page)", " mail us",
                 "![good image](https://cdn.example/ok.jpg)", "Styled"):  # fmt: skip
        assert kept in content, content
    assert "mailto" not in content
    media = pages["Link and media attack"][0]
    assert (media["link"], media["image"]) == ("", "")


def test_atom_links_and_content_are_sanitized(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    entries = [
        atom_entry(title="Atom attack", link="javascript:alert('atom link')",
                   entry_id="tag:gazette.example.org,2026:1", content_html=ATTACK_HTML,
                   extra='<link rel="enclosure" type="image/png" '
                         "href=\"javascript:alert('atom enclosure')\"/>"),
    ]  # fmt: skip
    feed = FeedConfig(url=server.feed("/atom", atom(entries)), name="atom")
    [result] = make_ingestor(embedded.make_store(), embedded.make_index()).run([feed]).results
    assert result.new == 1
    [key] = embedded.object_keys()
    meta, body = split_page(embedded.read(key))
    assert_nothing_active(meta, body)
    assert (meta["link"], meta["image"]) == ("", "")


def test_an_unsafe_entry_link_does_not_come_back_as_the_guid(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    item = Item(title="No guid", link="javascript:alert('guid')", description="x")
    feed = FeedConfig(url=server.feed("/noguid", rss([item])), name="noguid")
    make_ingestor(embedded.make_store(), embedded.make_index()).run([feed])
    [key] = embedded.object_keys()
    meta, body = split_page(embedded.read(key))
    assert meta["link"] == ""
    assert_nothing_active(meta, body)


MARKDOWN_ATTACKS = [
    "Click [here](javascript:alert('md link')) now.",
    "See ![pic](javascript:alert('md image')) too.",
    "Visit &lt;javascript:alert('autolink')&gt; today.",
    "[ref]: javascript:alert('reference')",
    "[x][ref] and <a href='https://ok.example/'>[y](javascript:alert('nested'))</a>",
]


@pytest.mark.parametrize("where", ["content", "description"])
def test_markdown_syntax_in_feed_text_makes_no_unsafe_link(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, where: str
) -> None:
    html = "".join(f"<p>{attack}</p>" for attack in MARKDOWN_ATTACKS)
    item = Item(title="Markdown attack", guid="https://gazette.example.org/md",
                content_html=html if where == "content" else None,
                description=html if where == "description" else "x")  # fmt: skip
    feed = FeedConfig(url=server.feed("/md", rss([item])), name="md")
    make_ingestor(embedded.make_store(), embedded.make_index()).run([feed])
    [key] = embedded.object_keys()
    _, body = split_page(embedded.read(key))
    assert unsafe_destinations(body) == [], body
