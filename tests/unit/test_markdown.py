"""The Markdown newswire writes, read back by CommonMark (markdown-it-py): text stays exactly
text, a link is exactly one link to its URL or none, tables stay tables, depth always finishes,
and what the converter returns is checked rather than trusted."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt
from markdown_it.token import Token

from newswire import markdown
from newswire.markdown import (
    MAX_URL_LENGTH,
    escape_markdown,
    html_to_markdown,
    markdown_destination,
    markdown_link,
    safe_url,
)
from newswire.normalize import SUMMARY_LIMIT, summary_markdown
from newswire.site import markup
from newswire.text import clean_line
from tests.hostile.pages import paragraph_text

BASE = "https://gazette.example.org/news/story"
# What means something to CommonMark, Goldmark's extensions or Hugo, mixed into any text.
TRICKY = [
    "*", "_", "**", "__", "`", "```", "~~", "~", "[", "]", "](", "![", "(", ")", "<", ">", "&",
    "&amp;", "&#60;", "&lt;script&gt;", "\\", "#", "# ", "- ", "+ ", "1. ", "1) ", "> ", "---",
    "===", "|", "| a |", ":", ": ", "://", "https://x.example/", "www.example.com", "a@b.example",
    "{{<", "{{% x %}}", "{{< ref \"x\" >}}", "'", '"', "--", "...", "<<", ">>", "^", "$", "!",
    "[^1]", "[ ]", "[x]", "<javascript:alert(1)>", "<b>", "<!-- x -->", "    ", "\t", "  \n",
    "==", "++", "@", "%", "=", "\u00a0", "é", "\U0001f600",
]  # fmt: skip
any_text = st.lists(st.one_of(st.sampled_from(TRICKY), st.text(max_size=10)), max_size=10).map(
    "".join
)


def commonmark() -> MarkdownIt:
    """CommonMark that keeps every link as written: no validation, no normalisation."""
    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    md.normalizeLink = lambda url: url  # type: ignore[method-assign]
    return md


def walk(tokens: list[Token]) -> list[Token]:
    found: list[Token] = []
    for token in tokens:
        found.append(token)
        found.extend(walk(token.children or []))
    return found


# --- text --------------------------------------------------------------------------------------


@settings(max_examples=400, deadline=None)
@given(any_text)
@example("1. not a list")
@example("- not an item")
@example("--- ")
@example('Trump\'s "plan" -- costs $5... see www.example.com or https://x.example/ a@b.example')
def test_any_text_renders_back_as_exactly_that_text_in_one_paragraph(text: str) -> None:
    line = clean_line(text)
    if line:
        assert paragraph_text(escape_markdown(line)) == line


@settings(deadline=None)
@given(any_text)
def test_escaped_text_holds_no_hugo_shortcode_opener(text: str) -> None:
    assert not markdown.SHORTCODE_OPENER.search(escape_markdown(clean_line(text)))


@pytest.mark.parametrize(
    ("text", "reader_sees"),
    [
        # Goldmark's default extensions, which CommonMark does not have: each would turn text
        # into something else on a Hugo site unless escaped.
        ("www.example.com", r"www\."),  # linkify
        ("https://x.example/", r"https\://"),  # linkify
        ("a@b.example", r"a\@b"),  # linkify (email)
        ("~~gone~~", r"\~\~gone\~\~"),  # strikethrough
        ("a | b", r"a \| b"),  # table
        ('it\'s -- "so"...', r"it\'s \-\- \"so\"\.\.\."),  # typographer
        ("{{< ref x >}}", r"\{\{\< ref x \>\}\}"),  # Hugo shortcode
    ],
)
def test_text_that_goldmark_or_hugo_would_read_as_markup_is_escaped(
    text: str, reader_sees: str
) -> None:
    assert reader_sees in escape_markdown(text)


@settings(max_examples=300, deadline=None)
@given(any_text)
@example("*" * 400)
@example("word " * 100)
@example(("a" * 299) + "*")
def test_summary_is_markdown_of_at_most_300_characters_cut_at_a_word(text: str) -> None:
    line = clean_line(text)
    summary = summary_markdown(line)
    assert len(summary) <= SUMMARY_LIMIT
    if not line:
        assert summary == ""
        return
    shown = paragraph_text(summary)  # never cut inside an escape: it still reads as text
    assert shown == line or (shown.endswith("…") and line.startswith(shown[:-1]))


# --- URLs --------------------------------------------------------------------------------------

URL_PIECES = [
    ")", "(", "\n", "<", ">", " ", "\\", '"', "'", "{{<", "&amp;", "]", "`", "|", "%20", "\t",
    "*", "_", "é", "#x", "?a=1&b=2",
]  # fmt: skip
url_tail = st.lists(
    st.one_of(
        st.sampled_from(
            [
                ")",
                "(",
                "\n",
                "<",
                ">",
                " ",
                "\\",
                '"',
                "'",
                "{{<",
                "&amp;",
                "]",
                "`",
                "|",
                "%20",
                "\t",
                "*",
                "_",
                "é",
                "#x",
                "?a=1&b=2",
            ]
        ),
        st.text(max_size=6),
    ),
    max_size=8,
).map("".join)
SCHEMES = ["https://", "http://", "HTTPS://", "hTtP://"]
REFUSED = [
    "javascript:", "JaVaScRiPt:", " javascript:", "java\tscript:", "java\nscript:", "data:",
    "vbscript:", "VBScript:", "mailto:", "file://", "ftp://", "//", "", "x:", "javascript://",
]  # fmt: skip

# Browsers percent-encode exactly these in a URL (WHATWG's C0 control, fragment and query
# percent-encode sets share them): a destination that encodes them names the same URL.
_BROWSER_ENCODED = re.compile('[\x00-\x20\x7f<>"]')


def as_browser_sends(url: str) -> str:
    return _BROWSER_ENCODED.sub(lambda m: f"%{ord(m.group()):02X}", url)


def rendered_links(source: str) -> list[Token]:
    return [t for t in walk(commonmark().parse(source)) if t.type in ("link_open", "image")]


@settings(max_examples=400, deadline=None)
@given(scheme=st.sampled_from(SCHEMES), host=st.sampled_from(["x.example", "a.b.example:8080"]),
       tail=url_tail)  # fmt: skip
@example(scheme="https://", host="x.example", tail="/a)b\n[evil](javascript:alert(1))")
@example(scheme="https://", host="x.example", tail="/a b <img src=x onerror=alert(1)>")
@example(scheme="https://", host="x.example", tail="/{{< ref x >}}")
def test_a_link_is_exactly_one_link_to_its_url(scheme: str, host: str, tail: str) -> None:
    url = f"{scheme}{host}/{tail}"
    checked = safe_url(url)
    assert checked is not None
    source = markdown_link("the text", url)
    [link] = rendered_links(source)
    assert link.attrGet("href") == as_browser_sends(checked)
    assert paragraph_text(source.replace(f"({markdown_destination(checked)})", "")) == (
        "[the text]"
    )
    assert not markdown.SHORTCODE_OPENER.search(source)
    assert "\n" not in source


@settings(max_examples=200, deadline=None)
@given(scheme=st.sampled_from(REFUSED), tail=url_tail)
def test_a_refused_scheme_makes_no_link_at_all(scheme: str, tail: str) -> None:
    url = f"{scheme}{tail}"
    source = markdown_link("the text", url)
    assert rendered_links(source) == []
    assert source == "the text"


@pytest.mark.parametrize("url", REFUSED)
def test_refused_schemes_are_refused_without_a_base(url: str) -> None:
    assert safe_url(url + "alert(1)") is None


@pytest.mark.parametrize("url", [u for u in REFUSED if u.strip() not in ("", "//")])
def test_a_scheme_other_than_http_stays_refused_with_a_base(url: str) -> None:
    assert safe_url(url + "alert(1)", BASE) is None


def test_relative_and_protocol_relative_urls_resolve_against_the_feed_or_are_refused() -> None:
    assert safe_url("/img/a.png", BASE) == "https://gazette.example.org/img/a.png"
    assert safe_url("//cdn.example/a.png", BASE) == "https://cdn.example/a.png"
    assert safe_url("//cdn.example/a.png") is None
    assert safe_url("img/a.png") is None
    assert safe_url("https://[::1") is None  # unparseable: refused, not an error


def test_a_url_longer_than_the_cap_is_refused() -> None:
    base = "https://gazette.example.org/"
    longest = base + "a" * (MAX_URL_LENGTH - len(base))
    assert safe_url(longest) == longest
    assert safe_url(longest + "a") is None
    assert safe_url("/" + "a" * MAX_URL_LENGTH, BASE) is None  # resolving cannot sneak past it
    assert markdown_link("the text", longest + "a") == "the text"


def test_the_site_and_the_markdown_share_one_url_rule() -> None:
    assert markup.safe_url is safe_url
    md = markup.markdown_renderer(remote_images=False)
    assert not md.validateLink("JaVaScRiPt:alert(1)")
    assert not md.validateLink("mailto:desk@gazette.example.org")
    assert md.validateLink("https://gazette.example.org/")


# --- HTML to Markdown --------------------------------------------------------------------------


# Visible characters and spaces: what HTML shows of text as it is (it folds only ASCII
# whitespace; other spaces are the converter's to keep).
visible = st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zl",
                                                            "Zp", "Zs"))  # fmt: skip
visible_text = st.lists(
    st.one_of(st.sampled_from([t for t in TRICKY if t.isascii()]), st.text(visible, max_size=8)),
    max_size=10,
).map("".join)


@settings(max_examples=200, deadline=None)
@given(visible_text)
@example("&lt;img src=x onerror=alert(1)&gt; and {{&lt; ref x &gt;}}")
@example("*  \n  \n*")
def test_any_feed_text_converts_to_markdown_that_shows_exactly_that_text(text: str) -> None:
    html = "<p>" + text.replace("&", "&amp;").replace("<", "&lt;") + "</p>"
    expected = " ".join(text.split())
    converted = html_to_markdown(html, BASE)
    if expected:
        assert " ".join(paragraph_text(converted, soft_breaks=True).split()) == expected


def test_invisible_and_control_characters_never_reach_the_body() -> None:
    html = "<p>a\x00b\x1b[31mc\x7fd\u202eevil\ufeff\x85e</p>"
    assert paragraph_text(html_to_markdown(html)) == "ab[31mcdevile"


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.text(alphabet=st.characters(codec="utf-8", exclude_characters="<&"),
                         min_size=1, max_size=8).map(clean_line).filter(bool),
                 min_size=2, max_size=2),
        min_size=2, max_size=4,
    )
)  # fmt: skip
def test_tables_stay_markdown_tables(rows: list[list[str]]) -> None:
    def cell(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;")

    head, *body = rows
    html = (
        "<table><thead><tr>" + "".join(f"<th>{cell(c)}</th>" for c in head) + "</tr></thead>"
        "<tbody>"
        + "".join("<tr>" + "".join(f"<td>{cell(c)}</td>" for c in row) + "</tr>" for row in body)
        + "</tbody></table>"
    )
    converted = html_to_markdown(html, BASE)
    tokens = MarkdownIt("commonmark").enable("table").parse(converted)
    cells = [t.content for t in tokens if t.type == "inline"]
    types = [t.type for t in tokens]
    assert "table_open" in types and "th_open" in types, converted
    texts = [paragraph_text(c) if c else "" for c in cells]
    assert texts == [c for row in rows for c in row]


@pytest.mark.parametrize(
    "html",
    [
        "<p>" + "<b>" * 400 + "deep</p>",
        "<div>" * 5000 + "deep",
        "<b>" * 5000 + "deep",
        "<blockquote>" * 5000 + "deep",
        "<ul><li>" * 3000 + "deep",
        "<table><tr><td>" * 2000 + "deep",
        "<a href='https://x.example/'>" * 3000 + "deep",
    ],
    ids=["400 b", "5000 div", "5000 b", "5000 blockquote", "3000 lists", "2000 tables", "3000 a"],
)
def test_any_nesting_depth_finishes_with_the_text(html: str) -> None:
    converted = html_to_markdown(html, BASE)
    assert "deep" in converted
    assert markdown.is_safe_markdown(converted)


def test_iframes_and_embeds_become_plain_links_http_only() -> None:
    html = (
        '<p>Watch:</p><iframe src="https://video.example/embed/1?a=1&amp;b=2"></iframe>'
        '<embed src="/media/clip.swf"><iframe src="javascript:alert(1)"></iframe>'
        '<embed src="data:text/html,x"><iframe></iframe>'
    )
    converted = html_to_markdown(html, BASE)
    hrefs = [t.attrGet("href") for t in rendered_links(converted)]
    assert hrefs == [
        "https://video.example/embed/1?a=1&b=2",
        "https://gazette.example.org/media/clip.swf",
    ]
    assert "javascript" not in converted and "data:" not in converted


def test_links_and_images_keep_only_http_destinations_that_nothing_can_break() -> None:
    html = (
        '<p><a href="https://x.example/a b)c<d>">one</a> '
        '<img src="https://x.example/i).png" alt="al]t *x*"> '
        '<img src="/rel.png" alt="relative"> '
        '<img src="https://x.example/pixel.gif" width="1" height="1" alt="pixel"> '
        '<a href="JaVaScRiPt:alert(1)">two</a> <a href="mailto:a@b.example">three</a></p>'
    )
    tokens = walk(commonmark().parse(html_to_markdown(html, BASE)))
    links = [(t.type, t.attrGet("href") or t.attrGet("src")) for t in tokens
             if t.type in ("link_open", "image")]  # fmt: skip
    assert links == [
        ("link_open", "https://x.example/a%20b)c%3Cd%3E"),
        ("image", "https://x.example/i).png"),
        ("image", "https://gazette.example.org/rel.png"),
    ]
    [image] = [t for t in tokens if t.type == "image" and "i)" in str(t.attrGet("src"))]
    assert "".join(c.content for c in image.children or []) == "al]t *x*"
    text = "".join(t.content for t in tokens if t.type == "text")
    assert "two" in text and "three" in text


class _LyingConverter:
    """Stands in for the converter and returns what it should never write."""

    def __init__(self, output: str) -> None:
        self.output = output

    def __call__(self, _html: str, _options: Any) -> Any:
        class Result:
            content = self.output
            warnings = ()

        return Result()


@pytest.mark.parametrize(
    "output",
    [
        "text <script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "![x](data:image/png;base64,AAAA)",
        "<javascript:alert(1)>",
        "[x][r]\n\n[r]: javascript:alert(1)",
        "{{< ref missing >}}",
        "```\n{{% x %}}\n```",
    ],
)
def test_the_converter_is_not_trusted(monkeypatch: pytest.MonkeyPatch, output: str) -> None:
    _, options, gave_up = markdown._converter()
    monkeypatch.setattr(markdown, "_converter", lambda: (_LyingConverter(output), options, gave_up))
    converted = html_to_markdown("<p>Safe words.</p>", BASE)
    assert converted == escape_markdown("Safe words.")


def test_code_is_kept_as_code_when_it_is_safe() -> None:
    converted = html_to_markdown(
        "<p>Run <code>a &lt;b&gt; c</code></p><pre><code>x = 1</code></pre>"
    )
    kinds = [t.type for t in walk(commonmark().parse(converted))]
    assert "code_inline" in kinds and ("fence" in kinds or "code_block" in kinds)
