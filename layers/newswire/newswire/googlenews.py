"""What is particular to Google News feeds: title suffixes, related coverage, article ids."""

from __future__ import annotations

import base64
import binascii
import functools
import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlsplit

from newswire import plainurl
from newswire.models import RelatedLink
from newswire.text import clean_line, feed_html

GOOGLE_NEWS_HOST = "news.google.com"


def _may_name_google_news(url: str) -> bool:
    """False only for a URL whose host cannot be Google News': urlsplit's hostname is the
    netloc's host lower-cased, so it is in the lower-cased URL, unless the URL has a tab, CR
    or LF in it, which urlsplit deletes wherever they are."""
    return GOOGLE_NEWS_HOST in url.lower() or any(c in url for c in "\t\r\n")


# Asked of the item's link and of its feed's URL (the same for every item), several times each.
@functools.lru_cache(maxsize=1024)
def is_google_news(url: str) -> bool:
    return _may_name_google_news(url) and urlsplit(url).hostname == GOOGLE_NEWS_HOST


def split_title(title: str, publisher: str | None) -> str:
    """The headline without Google News' " - Publisher" suffix; other " - " are kept."""
    if publisher:
        for dash in (" - ", " – ", " — "):
            suffix = f"{dash}{publisher}"
            if title.endswith(suffix) and len(title) > len(suffix):
                return title[: -len(suffix)].rstrip()
    return title


class _RelatedParser(HTMLParser):
    """Reads `<li><a href>Title</a>&nbsp;&nbsp;<font>Publisher</font></li>` items.

    Hand-written because the shape is Google's own and tiny; a general HTML library would add
    a dependency for twenty lines.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.items: list[RelatedLink] = []
        self._href: str | None = None
        self._text: list[str] = []
        self._in_anchor = False
        self._in_font = False
        self._font: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self._flush()
            self._href = dict(attrs).get("href")
            self._in_anchor = True
            self._text = []
        elif tag == "font":
            self._in_font = True
            self._font = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._in_anchor = False
        elif tag == "font":
            self._in_font = False
        elif tag == "li":
            self._flush()

    def handle_data(self, data: str) -> None:
        if self._in_anchor:
            self._text.append(data)
        elif self._in_font:
            self._font.append(data)

    def _flush(self) -> None:
        title = clean_line("".join(self._text))
        if self._href and title:
            publisher = clean_line("".join(self._font)) or None
            self.items.append(RelatedLink(title=title, url=self._href, publisher=publisher))
        self._href, self._text, self._font = None, [], []

    def close(self) -> None:
        super().close()
        self._flush()


# Google writes every item of the list in one shape, which one pattern reads; anything else
# (another attribute, markup inside a title, upper-case tags) goes to the parser, which reads
# the same items from this shape (tests/unit/test_slugs_and_google_news.py compares both).
# Text between the link and the publisher is what the parser drops too (the "&nbsp;&nbsp;").
_ITEM = r'<a href="([^"]*)" target="_blank">([^<]*)</a>[^<]*<font color="#6f6f6f">([^<]*)</font>'
_LIST_ITEM = re.compile(f"<li>{_ITEM}</li>")
_ONE_ITEM = re.compile(_ITEM)


def parse_related(description_html: str) -> tuple[RelatedLink, ...]:
    """The related-coverage links of a Google News description, in the feed's order."""
    found = _google_shaped_related(description_html)
    if found is not None:
        return found
    return tuple(feed_html(_RelatedParser, description_html).items)


def _google_shaped_related(html: str) -> tuple[RelatedLink, ...] | None:
    """The items of a description in Google's own shape (an <ol> of items, or one item alone),
    as _RelatedParser reads them; None for any other description."""
    if html.startswith("<ol>") and html.endswith("</ol>"):
        matches = []
        end = 4
        for match in _LIST_ITEM.finditer(html, 4, len(html) - 5):
            if match.start() != end:
                return None
            end = match.end()
            matches.append(match)
        if end != len(html) - 5:
            return None
    elif (single := _ONE_ITEM.fullmatch(html)) is not None:
        matches = [single]
    else:
        return None
    items = []
    for match in matches:
        href, text, font = match.groups()
        # As the parser gives them: entities decoded in the text and in the attribute value.
        url, title = unescape(href), clean_line(unescape(text))
        if url and title:
            publisher = clean_line(unescape(font)) or None
            items.append(RelatedLink(title=title, url=url, publisher=publisher))
    return tuple(items)


# An item's link and each related link are asked for their id when the item's own story is
# left out of its list, and again when their publisher URL is decoded (their story key).
@functools.lru_cache(maxsize=1024)
def article_id(link: str) -> str | None:
    """The opaque article id in a news.google.com/rss/articles/<id> link."""
    if not _may_name_google_news(link):
        return None
    if (plain := plainurl.WHOLE.match(link)) is not None:  # the common link, without urlsplit
        if plain.group(1).lower() != GOOGLE_NEWS_HOST:
            return None
        path = plain.group(2) or ""
    else:
        parts = urlsplit(link)
        if parts.hostname != GOOGLE_NEWS_HOST:
            return None
        path = parts.path
    segments = [s for s in path.split("/") if s]
    if len(segments) >= 2 and segments[-2] == "articles":
        return segments[-1]
    return None


# Asked of an item's link for its publisher URL and again for its story key.
@functools.lru_cache(maxsize=1024)
def decode_publisher_url(link: str) -> str | None:
    """The publisher URL embedded in a legacy Google News article id, decoded offline.

    Legacy ids are URL-safe base64 of a small protobuf message: field 1 (a varint), then field 4
    (tag 0x22) holding the URL as a length-prefixed string. Ids issued since mid-2024 hold an
    opaque token (starting "AU_yqL") instead; those need a request to Google and give None here.
    """
    token = article_id(link)
    if not token:
        return None
    if token[:4] != _LEGACY_START and _BASE64URL.issuperset(token[:4]) and len(token) >= 4:
        return None  # an id of today's kind, told by its first four characters undecoded
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if not raw.startswith(b"\x08\x13\x22"):
        return None
    length, offset = _varint(raw, 3)
    if length is None:
        return None
    payload = raw[offset : offset + length]
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        return None
    if text.startswith(("http://", "https://")) and " " not in text:
        return text
    return None


# The base64 of the legacy ids' first three bytes (0x08 0x13 0x22), and base64url's alphabet:
# four characters of it are exactly three bytes.
_LEGACY_START = "CBMi"
_BASE64URL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _varint(data: bytes, offset: int) -> tuple[int | None, int]:
    value = shift = 0
    while offset < len(data) and shift < 35:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
    return None, offset
