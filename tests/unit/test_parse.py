"""parse_feed hands feedparser escaped markup as CDATA (fewer callbacks): the entries must be
those of the body as sent, whatever the body holds."""

from __future__ import annotations

from typing import Any
from unittest import mock

from hypothesis import given, settings
from hypothesis import strategies as st

from newswire import parse
from newswire.models import Fetched, ParseError
from newswire.parse import escaped_markup_as_cdata, parse_feed

from .helpers import DATA

_TEXT = st.lists(
    st.sampled_from(
        ["&lt;", "&gt;", "&amp;", "&quot;", "&apos;", "&#39;", "&#x3C;", "&#13;", "&nbsp;",
         "&amp;nbsp;", "&lt;a href=&quot;https://x.org/?a=1&amp;amp;b=2&quot;&gt;", "&lt;/a&gt;",
         "&lt;ol&gt;&lt;li&gt;", "Word ", "é", "日本", " ", "\n", "\r\n", "\t", "]]", "]]&gt;", ">",
         "&", "&lt", "<b>bold</b>", "<![CDATA[raw <i>]]>", "<!-- note -->", "<?pi x?>", "]"]
    ),
    max_size=12,
).map("".join)  # fmt: skip
_DECLARATIONS = st.sampled_from(
    ['<?xml version="1.0" encoding="UTF-8"?>\n', "<?xml version='1.0'?>", "",
     '<?xml version="1.0" encoding="ISO-8859-1"?>', '<?xml version="1.0" encoding="utf8"?>']
)  # fmt: skip


def _rss(declaration: str, texts: list[str], attribute: str, title: str) -> bytes:
    items = "".join(
        f'<item><title>{title}{i}</title><guid isPermaLink="false">g{i}</guid>'
        f"<description{attribute}>{text}</description></item>"
        for i, text in enumerate(texts)
    )
    return (
        f'{declaration}<rss version="2.0"><channel><title>C</title>'
        f"<link>https://example.org/</link>{items}</channel></rss>"
    ).encode()


def _outcome(body: bytes, content_type: str | None) -> Any:
    fetched = Fetched("https://example.org/feed", body, content_type, None, None)
    try:
        parsed = parse_feed(fetched)
    except ParseError as exc:
        return str(exc)
    return parsed.title, parsed.link, parsed.language, parsed.version, parsed.entries


@settings(max_examples=300, deadline=None)
@given(
    _DECLARATIONS,
    st.lists(_TEXT, min_size=1, max_size=4),
    st.sampled_from(["", ' type="html"', " a='1'", ' a="<"']),
    st.sampled_from([None, "application/rss+xml", "text/xml; charset=iso-8859-1"]),
    st.sampled_from(["T", "T &amp; U", "T & U", "<b>T", "T</i>"]),  # the last three: no XML
)
def test_entries_are_those_of_the_body_as_sent(
    declaration: str, texts: list[str], attribute: str, content_type: str | None, title: str
) -> None:
    body = _rss(declaration, texts, attribute, title)
    with mock.patch.object(parse, "escaped_markup_as_cdata", lambda body: body):
        as_sent = _outcome(body, content_type)
    assert _outcome(body, content_type) == as_sent


def test_google_news_descriptions_are_given_as_cdata() -> None:
    body = (DATA / "google-news-world.xml").read_bytes()
    quicker = escaped_markup_as_cdata(body)
    assert b"<description><![CDATA[<ol><li><a href=" in quicker
    assert _outcome(body, "application/rss+xml") == _outcome(quicker, "application/rss+xml")
