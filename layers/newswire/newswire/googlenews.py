"""What is particular to Google News feeds: title suffixes, related coverage, article ids."""

from __future__ import annotations

import base64
import binascii
import functools
from html.parser import HTMLParser
from urllib.parse import urlsplit

from newswire.models import RelatedLink
from newswire.text import clean_line, feed_html

GOOGLE_NEWS_HOST = "news.google.com"


def is_google_news(url: str) -> bool:
    return urlsplit(url).hostname == GOOGLE_NEWS_HOST


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


def parse_related(description_html: str) -> tuple[RelatedLink, ...]:
    """The related-coverage links of a Google News description, in the feed's order."""
    parser = _RelatedParser()
    feed_html(parser, description_html)
    return tuple(parser.items)


# An item's link and each related link are asked for their id when the item's own story is
# left out of its list, and again when their publisher URL is decoded (their story key).
@functools.lru_cache(maxsize=1024)
def article_id(link: str) -> str | None:
    """The opaque article id in a news.google.com/rss/articles/<id> link."""
    parts = urlsplit(link)
    if parts.hostname != GOOGLE_NEWS_HOST:
        return None
    segments = [s for s in parts.path.split("/") if s]
    if len(segments) >= 2 and segments[-2] == "articles":
        return segments[-1]
    return None


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
