"""parse_feed hands on no lone surrogate, by any route a body or its URL can carry one in.

parse_feed does not walk feedparser's values for surrogates (see the note in newswire.parse):
these tests are what keeps that true, feedparser upgrades included.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newswire.models import Fetched, ParseError
from newswire.parse import parse_feed, replace_impossible_references

# Ways to spell a lone surrogate (or what a codec may turn into one), and markup around them.
PIECES = [
    "&#xD800;", "&#55296;", "&#xdfff;", "&#x110000;", "&amp;#xD800;", "\ud800", "\udfff",
    "+2AA-", "\\ud800", "\\udfff", "&e;", "&lt;b&gt;", "<![CDATA[&#xD800; \ud800]]>", "<b>",
    "&", "<", "é", "\u2028", " ",
]  # fmt: skip
TEXT = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=3)), max_size=5).map("".join)
# Codecs a declaration or a charset can name, those that decode to surrogates among them.
ENCODINGS = [
    "utf-8", "utf-7", "unicode-escape", "raw-unicode-escape", "utf-16", "utf-16-le", "utf-32",
    "cp037", "latin-1", "shift_jis", "punycode", "bogus",
]  # fmt: skip


def _body(kind: str, title: str, text: str, link: str, loose: bool, entity: str) -> str:
    doctype = f'<!DOCTYPE rss [<!ENTITY e "{entity}">]>' if entity else ""
    unclosed = "<broken>" if loose else ""  # not well-formed: feedparser's loose parser
    if kind == "atom":
        return (
            f'{doctype}<feed xmlns="http://www.w3.org/2005/Atom" xml:base="{link}">'
            f"<title>{title}</title><entry><title type='html'>{title}</title>"
            f'<link href="{link}"/><id>{link}</id><content type="html">{text}</content>'
            f"<summary type='xhtml'><div xmlns='http://www.w3.org/1999/xhtml'>{text}</div>"
            f"</summary>{unclosed}</entry></feed>"
        )
    return (
        f'{doctype}<rss version="2.0"><channel><title>{title}</title><language>{text}</language>'
        f"<item><title>{title}</title><link>{link}</link><guid>{link}</guid>"
        f"<description>{text}</description><category domain='{link}'>{title}</category>"
        f"{unclosed}</item></channel></rss>"
    )


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _no_surrogate(parsed_values: object) -> None:
    for value in _strings(parsed_values):
        assert not any(0xD800 <= ord(c) <= 0xDFFF for c in value), repr(value)


# The unicode-escape codec warns about the backslashes of random text it decodes.
@pytest.mark.filterwarnings("ignore:invalid escape sequence:DeprecationWarning")
@settings(max_examples=400, deadline=None)
@given(
    kind=st.sampled_from(["rss", "atom"]), title=TEXT, text=TEXT, link=TEXT,
    loose=st.booleans(), entity=st.sampled_from(["", "&#xD800;", "\ud800", "x"]),
    declared=st.one_of(st.none(), st.sampled_from(ENCODINGS)),
    charset=st.one_of(st.none(), st.sampled_from(ENCODINGS)),
    written=st.sampled_from(ENCODINGS[:-1]), bom=st.booleans(),
    url=st.sampled_from(["https://f.example/feed", "https://f.example/\ud800/", "\udfff"]),
)  # fmt: skip
@example(
    kind="rss", title="+2AA-", text="", link="", loose=False, entity="", declared="utf-7",
    charset=None, written="utf-8", bom=False, url="https://f.example/",
)  # fmt: skip
@example(
    kind="atom", title="t", text="x", link="rel/", loose=False, entity="", declared=None,
    charset=None, written="utf-8", bom=False, url="https://f.example/\ud800/",
)  # fmt: skip
def test_no_lone_surrogate_reaches_the_entries(
    kind: str, title: str, text: str, link: str, loose: bool, entity: str,
    declared: str | None, charset: str | None, written: str, bom: bool, url: str,
) -> None:  # fmt: skip
    declaration = f'<?xml version="1.0" encoding="{declared}"?>' if declared else ""
    xml = declaration + _body(kind, title, text, link, loose, entity)
    body = xml.encode(written, "surrogatepass" if written.startswith("utf") else "ignore")
    if bom and written == "utf-8":
        body = b"\xef\xbb\xbf" + body
    content_type = f"application/rss+xml; charset={charset}" if charset else None
    try:
        parsed = parse_feed(Fetched(url, body, content_type, None, None))
    except ParseError:
        return  # a clear error for the feed is an allowed outcome; a surrogate handed on is not
    _no_surrogate([parsed.title, parsed.link, parsed.language, parsed.entries])


@pytest.mark.parametrize("declared", ["utf-7", "unicode-escape"])
def test_a_codec_that_decodes_to_a_surrogate_costs_only_its_feed(declared: str) -> None:
    title = {"utf-7": "+2AA-", "unicode-escape": "\\ud800"}[declared]
    body = f'<?xml version="1.0" encoding="{declared}"?><rss version="2.0"><channel><title>T'
    body += f"</title><item><title>{title}</title><guid>g</guid></item></channel></rss>"
    with pytest.raises(ParseError, match="cannot be read"):
        parse_feed(Fetched("https://f.example/feed", body.encode(), None, None, None))


@pytest.mark.parametrize(
    ("url", "title", "expected"),
    [("https://f.example/feed", "a &#xD800; b", "a \ufffd b"),
     ("https://f.example/\ud800/", "t", "t")],
)  # fmt: skip
def test_a_surrogate_reference_or_url_becomes_a_replacement_character(
    url: str, title: str, expected: str
) -> None:
    body = f'<rss version="2.0"><channel><title>T</title><item><title>{title}</title>'
    body += "<link>a</link><guid>g</guid></item></channel></rss>"
    parsed = parse_feed(Fetched(url, body.encode(), None, None, None))
    _no_surrogate([parsed.title, parsed.entries])
    assert parsed.entries[0]["title"] == expected
    assert parsed.entries[0]["title_detail"]["base"] == url.replace("\ud800", "\ufffd")


def _replaced_one_by_one(body: bytes) -> bytes:
    """replace_impossible_references written out plainly: every reference, whatever its
    length, decoded and judged."""

    def judged(match: re.Match[bytes]) -> bytes:
        code = int(match[1], 16) if match[1] else int(match[2])
        return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else match[0]

    return re.sub(rb"&#(?:[xX]([0-9a-fA-F]+)|([0-9]+));", judged, body)


REFERENCE = st.builds(
    lambda x, zeros, code: (f"&#x{'0' * zeros}{code:x};" if x else f"&#{'0' * zeros}{code};"),
    st.booleans(), st.integers(0, 3),
    st.one_of(st.integers(0, 0x11_0000), st.integers(0xD7F0, 0xE010), st.integers(0, 10**12)),
)  # fmt: skip


@settings(max_examples=500, deadline=None)
@given(st.lists(st.one_of(REFERENCE, st.sampled_from(["a", "&#", ";", "&#x", "&amp;"]))))
@example(["&#8217;", "&#xD800;", "&#55296;", "&#xdfff;", "&#x110000;", "&#00000D800;"])
def test_impossible_references_and_only_they_are_replaced(pieces: list[str]) -> None:
    body = "".join(pieces).encode()
    assert replace_impossible_references(body) == _replaced_one_by_one(body)
