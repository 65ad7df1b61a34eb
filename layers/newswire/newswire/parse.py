"""Turn downloaded bytes into feedparser entries, with a careful reader's bozo policy."""

from __future__ import annotations

import codecs
import io
import re
from dataclasses import dataclass
from typing import Any

import feedparser
import feedparser.api

from newswire import feedsax
from newswire.models import Fetched, ParseError
from newswire.text import clean_line

# feedparser's strict parser reads through newswire's SAX driver (expat with its text
# buffering on: the same entries for less CPU, see feedsax) ahead of any it would try first.
if feedsax.NAME not in feedparser.api.PREFERRED_XML_PARSERS:
    feedparser.api.PREFERRED_XML_PARSERS.insert(0, feedsax.NAME)

# Bozo exceptions that still leave a usable feed: a wrong or missing declared encoding, or a
# content type that is not XML. Anything else with no entries is treated as not a feed.
BENIGN_BOZO = (
    feedparser.CharacterEncodingOverride,
    feedparser.NonXMLContentType,
    feedparser.CharacterEncodingUnknown,
)


# A lone surrogate is no character: it cannot be encoded as UTF-8, so one would fail the item's
# render and storage on every run. feedparser's loose parser even fails on the reference
# itself (`&#xD800;`: it encodes chr(0xD800)), as on one beyond U+10FFFF, losing the whole
# feed. Such references become U+FFFD before parsing, as an HTML parser makes of them.
# ASCII-compatible bodies are rewritten as bytes, UTF-16 and UTF-32 ones with a byte-order
# mark as text; for anything else that still fails, the feed gets a clear parse error.
#
# What feedparser returns holds no lone surrogate from the body, so its values are not walked
# (that walk was about 5 % of the parse): whatever the body's encoding, feedparser 6 decodes it
# and encodes the text as strict UTF-8 before parsing (a decoder that makes a surrogate, such
# as UTF-7's, fails that encode), or, when no encoding fits, decodes it as UTF-8 with
# replacement; expat refuses a reference to a surrogate, the loose parser fails on one while
# encoding it, and its attributes expand only references below 128. The one other string it
# copies into its values is the Content-Location given here (the `base` of every text, the
# links resolved against it), so that one is cleaned first. tests/unit/test_parse.py feeds
# it surrogates by every route above.
# Only references long enough to name a surrogate (0xD800, 55296) or more: the short ones
# every feed is full of (`&#8217;`, `&#x27;`) cannot be impossible and skip the callback.
_CHARREF = re.compile(rb"&#(?:[xX]([0-9a-fA-F]{4,})|([0-9]{5,}));")
_WIDE_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)  # fmt: skip
_SURROGATE = re.compile("[\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def _no_such_character(match: re.Match[bytes]) -> bytes:
    hex_digits, digits = match.groups()
    significant = (hex_digits or digits).lstrip(b"0")
    if len(significant) > 7:  # more than 0x10FFFF either way (and int() stays cheap)
        return b"&#xFFFD;"
    code = int(hex_digits, 16) if hex_digits else int(digits)
    return b"&#xFFFD;" if 0xD800 <= code <= 0xDFFF or code > 0x10FFFF else match.group(0)


def replace_impossible_references(body: bytes) -> bytes:
    for bom, codec in _WIDE_BOMS:
        if body.startswith(bom):
            try:
                text = body.decode(codec)
            except UnicodeDecodeError:
                return body
            if "&#" not in text:
                return body
            narrow = replace_impossible_references(text.encode("utf-8", "surrogatepass"))
            return narrow.decode("utf-8", "surrogatepass").encode(codec)
    if b"&#" not in body:
        return body
    return _CHARREF.sub(_no_such_character, body)


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    language: str | None
    version: str
    entries: tuple[Any, ...]
    warnings: tuple[str, ...]


def parse_feed(fetched: Fetched) -> ParsedFeed:
    if not fetched.body.strip():
        raise ParseError("the server sent an empty body")
    headers = {"content-location": _SURROGATE.sub(REPLACEMENT, fetched.url)}
    if fetched.content_type:
        headers["content-type"] = fetched.content_type
    # Bytes only: given a URL or a path feedparser would fetch it itself, without limits.
    # Its sanitizer is off: it is slow and lets javascript: URLs through; nh3 cleans later.
    # Its relative-URI pass is off too: it re-parses every HTML value with sgmllib (a third
    # of the parse), and the only URLs of that HTML newswire keeps are the href/src that nh3
    # hands to safe_url, which resolves them against the same base (the value's `base`,
    # xml:base or the document's URL: see normalize.html_base).
    # A file object, not bytes: given bytes that happen to name a path, feedparser opens it.
    try:
        result = feedparser.parse(
            io.BytesIO(replace_impossible_references(fetched.body)),
            response_headers=headers,
            sanitize_html=False,
            resolve_relative_uris=False,
        )
    except (UnicodeError, ValueError, OverflowError) as exc:
        raise ParseError(f"the feed has a character that cannot be read ({exc})") from exc
    warnings: list[str] = []
    if result.get("bozo"):
        problem = result.get("bozo_exception")
        if isinstance(problem, BENIGN_BOZO) or result.entries:
            warnings.append(f"{type(problem).__name__}: {problem}")
        else:
            raise ParseError(_not_a_feed(fetched, problem))
    if not result.entries and not result.get("version"):
        raise ParseError(_not_a_feed(fetched, None))
    feed = result.feed
    _inherit_language(result.entries, feed.get("language"))
    return ParsedFeed(
        title=clean_line(str(feed.get("title", ""))),
        link=feed.get("link"),
        language=feed.get("language"),
        version=str(result.get("version", "")),
        entries=tuple(result.entries),
        warnings=tuple(warnings),
    )


def _inherit_language(entries: list[Any], language: object) -> None:
    """The channel's `<language>`/`dc:language` on every entry without one of its own, as XML
    inheritance reads it: feedparser keeps an item's own `dc:language` on the entry but
    leaves the channel's on the feed, where normalize (which sees one entry) cannot read it."""
    if not isinstance(language, str) or not language.strip():
        return
    for entry in entries:
        if not entry.get("language"):
            dict.__setitem__(entry, "language", language)


def _not_a_feed(fetched: Fetched, problem: object) -> str:
    head = fetched.body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "the URL returned an HTML page, not an RSS or Atom feed"
    if problem is not None:
        return f"not a valid RSS or Atom feed ({problem})"
    return "not an RSS or Atom feed: no entries and no feed version found"
