"""Each shortcut normalize takes for speed gives exactly what the general path gives.

The shortcuts read the common case (a plain absolute URL, Google's own related-coverage
markup, an ASCII title) without the general machinery (urlsplit, the HTML parser, the
character loop); these tests hold them to the general path's answer on generated input,
and check that the input generated does take the shortcut often enough to mean something.
"""

from __future__ import annotations

import hashlib
import json
import re
from html import escape
from urllib.parse import parse_qsl, urlsplit

from feedparser.util import FeedParserDict
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newswire import googlenews, identity, lede, markdown, normalize, plainurl, slugs
from newswire.googlenews import GOOGLE_NEWS_HOST
from newswire.identity import TRACKING_PARAMETERS
from newswire.merge import content_hash
from newswire.models import RelatedLink
from newswire.text import clean_line, feed_html

_SCHEMES = ["http://", "https://", "HTTPS://", "hTtP://", "ftp://", "http:/", "http:///", "", "//"]
_HOST_PIECES = [
    "a", "Z", "0", "9", ".", "-", "x.example", "news.google.com", "NEWS.Google.COM", "[", "]",
    "@", "user@", ":", ":8080", ":443", ":x", "%", "é", "\\", " ", "\t", "_", "::1", "[::1]",
]  # fmt: skip
_TAIL_PIECES = [
    "/", "?", "#", "a", "B", "b=1", "&", "utm_source=x", "oc=5", "\n", "\r", "\t", " ", "é",
    "/rss/articles/", "CBMi", "AU_yqL", "..", "%2F", "//", "?x=1#y?z", "#f", "\x00",
]  # fmt: skip
urls = st.builds(
    lambda scheme, host, tail: scheme + "".join(host) + "".join(tail),
    st.sampled_from(_SCHEMES),
    st.lists(st.sampled_from(_HOST_PIECES), max_size=4),
    st.lists(st.sampled_from(_TAIL_PIECES), max_size=6),
)
bases = st.one_of(st.none(), st.sampled_from(["https://gazette.example.org/news/", "ftp://x/"]))


@settings(max_examples=1500)
@given(urls, bases)
@example("https://[::1/a", None)
@example("http://news.google.com./rss/articles/X", None)
def test_a_plain_absolute_url_is_checked_as_urlsplit_checks_it(url: str, base: str | None) -> None:
    checked = markdown._checked_url(url, base)
    trimmed = markdown._URL_REMOVED.sub("", url.strip(markdown._URL_TRIM))
    assert checked == markdown._split_checked_url(trimmed, base)


def test_the_url_shortcuts_are_taken_by_common_urls() -> None:
    for url in ("https://www.npr.org/world/story-1", "HTTP://a.example?x=1", "http://a.b#c"):
        assert plainurl.PREFIX.match(url)
        assert plainurl.WHOLE.match(url)
    assert plainurl.WHOLE.match("https://news.google.com/rss/articles/CBMi?oc=5")


@settings(max_examples=1500)
@given(urls)
@example("http://a.b/x?b=2&a=1#frag?q")
@example("http://.../x")
def test_a_story_url_reads_a_plain_url_as_urlsplit_reads_it(url: str) -> None:
    plain = plainurl.WHOLE.match(url)
    if plain is not None:
        assert identity._story_parts(url) == identity._split_story_parts(url)


@settings(max_examples=1500)
@given(urls)
@example("https://news.google.com/rss/articles/\tCBMi?oc=5")
@example("HTTPS://NEWS.GOOGLE.COM/rss/articles/CBMi#x/articles/y")
@example("https://news.goo\tgle.com/rss/articles/CBMiAbc")  # urlsplit deletes the tab
@example("https://news.google\r\n.com/rss/articles/CBMiAbc")
def test_a_google_news_id_is_read_as_from_urlsplit(url: str) -> None:
    parts = urlsplit(url) if "[" not in url and "]" not in url else None
    if parts is None:
        return
    expected = None
    if parts.hostname == GOOGLE_NEWS_HOST:
        segments = [s for s in parts.path.split("/") if s]
        if len(segments) >= 2 and segments[-2] == "articles":
            expected = segments[-1]
    assert googlenews.article_id(url) == expected
    assert googlenews.is_google_news(url) == (parts.hostname == GOOGLE_NEWS_HOST)


# --- Google's related-coverage markup ----------------------------------------------------------

_TEXT_PIECES = ["a", "Z", " ", "\n", "&", "&amp;", "&nbsp;", "&lt;", ">", '"', "é", "—", "\t"]
_TEXT = st.lists(st.sampled_from(_TEXT_PIECES), max_size=8).map("".join)
_ITEM_URL = st.sampled_from(
    ["https://news.google.com/rss/articles/CBMi?oc=5", "", "x", "/a?b=1&amp;c=2", "&quot;"]
)


@st.composite
def google_descriptions(draw: st.DrawFn) -> str:
    items = draw(st.lists(st.tuples(_ITEM_URL, _TEXT, _TEXT, _TEXT), max_size=4))
    parts = [
        f'<a href="{href}" target="_blank">{title}</a>{between}<font color="#6f6f6f">{pub}</font>'
        for href, title, between, pub in items
    ]
    if len(parts) == 1 and draw(st.booleans()):
        return parts[0]
    return "<ol>" + "".join(f"<li>{p}</li>" for p in parts) + "</ol>"


def _by_parser(html: str) -> tuple[RelatedLink, ...]:
    return tuple(feed_html(googlenews._RelatedParser, html).items)


@settings(max_examples=800)
@given(google_descriptions())
def test_googles_related_markup_is_read_as_the_parser_reads_it(html: str) -> None:
    assert googlenews._google_shaped_related(html) is not None
    assert googlenews.parse_related(html) == _by_parser(html)


@settings(max_examples=400)
@given(google_descriptions(), st.sampled_from(["<b>", "<LI>", "<!-- c -->", "x", "</ol>", "<"]))
def test_any_other_markup_is_left_to_the_parser(html: str, extra: str) -> None:
    for changed in (extra + html, html + extra, html.replace("</a>", f"{extra}</a>", 1)):
        assert googlenews.parse_related(changed) == _by_parser(changed)


def test_the_fixtures_related_markup_takes_the_shortcut() -> None:
    html = (
        f'<ol><li><a href="https://news.google.com/rss/articles/A?oc=5" target="_blank">'
        f'{escape("One & two")}</a>&nbsp;&nbsp;<font color="#6f6f6f">Pub</font></li></ol>'
    )
    assert googlenews._google_shaped_related(html) == (
        RelatedLink("One & two", "https://news.google.com/rss/articles/A?oc=5", "Pub"),
    )


# --- text --------------------------------------------------------------------------------------

# The pattern as first written: one alternative per rule, lookbehinds first.
_AS_WRITTEN = re.compile(
    r"""[\\`*_\[\]<>&{}|~#+=@^"']"""
    r"|^-|-(?=-)|(?<=-)-|\.(?=\.)|(?<=\.)\.|(?<=[Ww]{3})\.|:(?=//)|^:",
    re.MULTILINE,
)


@settings(max_examples=1000)
@given(st.text(st.sampled_from("-.:/wW1٣2)\n *'ab"), max_size=20) | st.text(max_size=20))
@example("www.a --- 1. x\n2) y\n:z\n-w")
def test_markdown_escapes_as_the_pattern_as_first_written(text: str) -> None:
    escaped = _AS_WRITTEN.sub(r"\\\g<0>", text)
    assert markdown.escape_markdown(text) == markdown._ORDERED_MARKER.sub(r"\1\\\2", escaped)


@settings(max_examples=1000)
@given(st.text(st.sampled_from("aé中ا한 1\u0300\ufeff・") | st.characters(), max_size=12))
def test_a_title_is_unreadable_in_latin_by_the_rule(title: str) -> None:
    letters = [c for c in title if c.isalpha()]
    unreadable = sum(1 for c in letters if slugs._UNREADABLE.match(c))
    expected = bool(letters) and unreadable * 2 > len(letters)
    assert slugs._unreadable_in_latin(title) == expected


def test_the_content_hash_is_the_sha256_of_the_sorted_json_of_what_a_reader_sees() -> None:
    """The hash is stored and compared across runs: its definition must not move."""
    related = (RelatedLink("Ré", "https://x.example/a", None),)
    fields = {
        "title": "T ü", "description": "d", "summary": "s", "link": "https://x.example/",
        "categories": ["c"], "tags": ["t"], "body": "b", "publisher": "", "publisher_url": "",
        "related": [("Ré", "https://x.example/a", "")],
    }  # fmt: skip
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False)
    assert content_hash(
        title="T ü", description="d", summary="s", link="https://x.example/",
        categories=("c",), tags=("t",), body="b", publisher=None, publisher_url=None,
        related=related,
    ) == hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]  # fmt: skip


_QUERY_PIECES = ["oc=5", "OC=5", "utm_source=x", "UTM_Medium", "fbclid=1", "id=7", "", "=x",
                 "utm%5Fsource=x", "o+c=1", "a", "&", "=", "%41=1", "gclid"]  # fmt: skip


@given(st.lists(st.sampled_from(_QUERY_PIECES), max_size=5).map("&".join))
@example("oc=5")
def test_a_query_of_tracking_parameters_only_is_one_parse_qsl_drops_whole(query: str) -> None:
    kept = [
        name
        for name, _ in parse_qsl(query, keep_blank_values=True)
        if not name.lower().startswith("utm_") and name.lower() not in TRACKING_PARAMETERS
    ]
    if identity._only_tracking(query):
        assert kept == []
    assert identity._only_tracking("oc=5&utm_source=x")


def _sentences_as_first_written(text: str) -> list[str]:
    """The boundary pattern tried at every character, the last word found by re.split."""
    out: list[str] = []
    start = 0
    for match in lede._BOUNDARY.finditer(text):
        before = text[start : match.start()]
        if before.endswith("."):
            word = re.split(r"[^\w.]", before[:-1])[-1].lower()
            if word and (
                len(word) == 1 or "." in word or word.isdigit() or word in lede.ABBREVIATIONS
            ):
                continue
        end = match.end(1) if match.group(1) is not None else match.start()
        out.append(text[start:end].strip())
        start = match.end()
    tail = text[start:].strip()
    return [*out, tail] if tail else out


_PROSE = st.lists(
    st.sampled_from(
        [".", "!", "?", "…", "。", "！", "？", "؟", " ", "  ", "\n", "\"", "'", "»", "”", ")", "]",
         "«", "(", "A", "a", "Б", "б", "7", "_", "Dr", "U.S", "J", "etc", "word", "Wort", "é",
         "٣", "²"]
    ),
    max_size=25,
).map("".join)  # fmt: skip


@settings(max_examples=1500)
@given(_PROSE, st.none() | st.integers(min_value=1, max_value=3))
@example("Dr. Smith came. He saw. U.S. troops left! 7. Januar", 2)
@example("。。！ x", None)
@example("It was a_b. Next one", None)
def test_sentences_are_cut_as_the_pattern_tried_everywhere_cuts_them(
    text: str, limit: int | None
) -> None:
    expected = _sentences_as_first_written(text)
    assert lede.sentences(text, limit) == (expected if limit is None else expected[:limit])


@settings(max_examples=1500)
@given(urls, bases)
@example("https://x.example/a\x7f", None)
@example("https://x.example/a ", None)
@example("https://x.example/a\tb", None)
def test_a_url_safe_as_written_is_what_the_full_check_gives(url: str, base: str | None) -> None:
    # Against urlsplit's check of the URL trimmed, not _checked_url: that takes the same
    # shortcut (its regex), and the test would compare the shortcut with itself.
    if markdown._safe_as_written(url):
        trimmed = markdown._URL_REMOVED.sub("", url.strip(markdown._URL_TRIM))
        assert markdown.safe_url(url, base) == markdown._split_checked_url(trimmed, base) == url


@given(st.text(max_size=30))
def test_a_clean_line_is_clean(text: str) -> None:
    line = clean_line(text)
    assert clean_line(line) == line


@settings(max_examples=500)
@given(st.text(st.characters(max_codepoint=0x7F)) | st.text(max_size=20))
@example("a\x00b\x7f\x0bc\nd\te\x1f")
def test_ascii_html_loses_exactly_the_invisible_characters(html: str) -> None:
    assert markdown._visible(html) == markdown._INVISIBLE.sub("", html)


@settings(max_examples=300)
@given(
    st.lists(st.sampled_from(["NPR", "Al Jazeera", "a*b", "1.", "x" * 39, "y" * 41, "--"])).map(
        "".join
    )
)
def test_a_recurring_text_is_escaped_as_any_other(text: str) -> None:
    assert markdown.escape_markdown(text) == markdown._escape(text)
    assert markdown.escape_markdown(text) == markdown._escape(text)  # from the cache


@settings(max_examples=1500)
@given(urls)
@example("HTTPS://WWW.Example.COM/a")
@example("http://www.x.example\t/a")
def test_a_hosts_category_is_read_as_from_urlsplit(url: str) -> None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return
    assert normalize._host(url) == (host.removeprefix("www.") if host else None)


def test_feedparser_values_are_read_as_feedparsers_get_reads_them() -> None:
    entry = FeedParserDict(
        summary_detail=FeedParserDict(base="https://x.example/", language="de"),
        content=[FeedParserDict(value="<p>a</p>", base="https://y.example/")],
        source=FeedParserDict(title="Pub", href="https://pub.example/"),
        tags=[FeedParserDict(term="T", label=None)],
    )
    for detail, key in [
        (entry["summary_detail"], "base"), (entry["summary_detail"], "language"),
        (entry["content"][0], "value"), (entry["source"], "title"), (entry["source"], "href"),
        (entry["tags"][0], "term"), (entry["tags"][0], "label"), (entry["source"], "missing"),
    ]:  # fmt: skip
        assert normalize._field(detail, key) == detail.get(key)
    assert normalize._field({"value": 1}, "value") == 1
