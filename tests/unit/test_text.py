from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

from hypothesis import given, settings
from hypothesis import strategies as st

from newswire.lede import paragraphs
from newswire.text import clean_line, feed_html, html_to_text, truncate


def test_entities_are_decoded_and_blocks_separated() -> None:
    html = (
        "<ol><li><a>Title</a>&nbsp;&nbsp;<font>Al Jazeera</font></li><li>Next &amp; more</li></ol>"
    )
    assert html_to_text(html) == "Title Al Jazeera Next & more"


def test_script_and_style_text_is_dropped() -> None:
    assert html_to_text("<p>a</p><script>var x = 1;</script><style>p{}</style><p>b</p>") == "a b"


def test_clean_line_removes_invisible_and_separator_characters() -> None:
    assert clean_line("a\u2028b\u2029c\ufeffd\x00e\x1bf\u200bg  \n h") == "a b cdefg h"


def _clean_line_by_character(text: str) -> str:
    """The rule clean_line states, one character at a time (its slow path, written out)."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zl", "Zp"):
            out.append(" ")
        elif category not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(char)
    return re.sub(r"\s+", " ", "".join(out)).strip()


WHITESPACE_AND_INVISIBLE = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\t",
        " ",
        "\x0b",
        "\x85",
        "\xa0",
        "\u2028",
        "\u3000",
        "\u200b",
        "\x00",
        "\ufeff",
    ]
)


@given(st.lists(st.one_of(st.text(), WHITESPACE_AND_INVISIBLE), max_size=8).map("".join))
def test_clean_line_folds_and_drops_as_its_rule_says(text: str) -> None:
    # clean_line folds whitespace first and skips the character loop when nothing is left to
    # drop (multi-line HTML text, the common case); the result is the rule's either way.
    assert clean_line(text) == _clean_line_by_character(text)


def test_truncate_cuts_at_a_word_with_an_ellipsis() -> None:
    assert truncate("short", 300) == "short"
    assert truncate("one two three four", 12) == "one two…"


@given(st.text(), st.integers(min_value=2, max_value=400))
def test_truncate_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…")


class _Events(HTMLParser):
    """Every event the parser reports, text joined (the handlers here join their text)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.events: list[tuple[object, ...]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start", tag, attrs))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.events.append(("start-end", tag, attrs))

    def handle_endtag(self, tag: str) -> None:
        self.events.append(("end", tag))

    def handle_data(self, data: str) -> None:
        if self.events and self.events[-1][0] == "data":
            self.events[-1] = ("data", f"{self.events[-1][1]}{data}")
        else:
            self.events.append(("data", data))

    def close(self) -> None:
        super().close()
        self.events.append(("closed",))


class _NoTokenizer(_Events):
    def feed(self, data: str) -> None:
        raise AssertionError("simple markup went to the stdlib tokenizer")


_MARKUP = st.lists(
    st.sampled_from(
        ["<p>", "</p>", "<P >", "</p >", "<br/>", "<br />", "<BR>", "<li>", "</LI>", "<h1>",
         '<a href="x?a=1&amp;b=2">', "<a href='y'>", '<a href="">', "</a>", "<input disabled>",
         '<img src="i.png" alt="a > b" width="1">', '<font color="#6f6f6f">', "</font>",
         '<div\nclass="c"\n>', '<a title="<b>">', "<a href=x>", '<a b="1"c="2">', "<x-y>",
         "</ x>", "<a\u00a0b>", "<b", ">", "<", "</", "&", "&amp;", "&amp", "&#x41;", "&#65",
         "&nbsp;", "&lt;p&gt;", "&#xD800;", "text ", "é", "\n", "\t", "\f", "\r", " ", "=", '"',
         "'", "/", "\x00", "<!-- c -->", "<!DOCTYPE html>", "<?pi?>", "<![CDATA[x]]>",
         "<script>", "</script>", "<style>", "<title>", "</title>", "<textarea>", "<iframe>",
         "<noscript>", "<plaintext>", "<xmp>"]
    ),
    max_size=30,
).map("".join)  # fmt: skip


@settings(max_examples=1000)
@given(_MARKUP)
def test_feed_html_reports_what_the_stdlib_parser_reports(html: str) -> None:
    expected = _Events()
    expected.feed(html)
    expected.close()
    got = feed_html(_Events, html)
    assert got.events == expected.events
    # Without close(), the tags the parser reports (it may hold text back until close).
    expected = _Events()
    expected.feed(html)
    got = feed_html(_Events, html, close=False)
    assert _tags(got.events) == _tags(expected.events)


def _tags(events: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    return [event for event in events if event[0] != "data"]


def test_feed_html_reads_simple_markup_without_the_stdlib_tokenizer() -> None:
    for html in (
        '<ol><li><a href="https://news.google.com/rss/articles/CBMi?oc=5" target="_blank">'
        'Ceasefire talks</a>&nbsp;&nbsp;<font color="#6f6f6f">Al Jazeera</font></li></ol>',
        '<p>Storm <a href="/x">closes</a> the <strong>port</strong>.</p><figure><img src="a.jpg"'
        ' alt="A &amp; B" width="1200" height="800"/><figcaption>Port</figcaption></figure>',
        "plain text &amp; an entity",
    ):
        parser = feed_html(_NoTokenizer, html)
        expected = _Events()
        expected.feed(html)
        expected.close()
        assert parser.events == expected.events


@settings(max_examples=500)
@given(st.lists(st.sampled_from(["Prose. ", "<h2>Head</h2>", "<br>", "</p>"]), max_size=6), _MARKUP)
def test_the_first_paragraph_is_read_as_from_all_of_them(start: list[str], html: str) -> None:
    html = "".join(start) + html
    assert paragraphs(html, 1) == paragraphs(html)[:1]
