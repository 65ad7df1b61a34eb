"""Turn downloaded bytes into feedparser entries, with a careful reader's bozo policy."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

import feedparser

from newswire.models import Fetched, ParseError

# Bozo exceptions that still leave a usable feed: a wrong or missing declared encoding, or a
# content type that is not XML. Anything else with no entries is treated as not a feed.
BENIGN_BOZO = (
    feedparser.CharacterEncodingOverride,
    feedparser.NonXMLContentType,
    feedparser.CharacterEncodingUnknown,
)


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
    headers = {"content-location": fetched.url}
    if fetched.content_type:
        headers["content-type"] = fetched.content_type
    # Bytes only: given a URL or a path feedparser would fetch it itself, without limits.
    # Its sanitizer is off: it is slow and lets javascript: URLs through; nh3 cleans later.
    # A file object, not bytes: given bytes that happen to name a path, feedparser opens it.
    result = feedparser.parse(
        io.BytesIO(fetched.body),
        response_headers=headers,
        sanitize_html=False,
        resolve_relative_uris=True,
    )
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
    return ParsedFeed(
        title=str(feed.get("title", "")),
        link=feed.get("link"),
        language=feed.get("language"),
        version=str(result.get("version", "")),
        entries=tuple(result.entries),
        warnings=tuple(warnings),
    )


def _not_a_feed(fetched: Fetched, problem: object) -> str:
    head = fetched.body[:512].lstrip().lower()
    if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
        return "the URL returned an HTML page, not an RSS or Atom feed"
    if problem is not None:
        return f"not a valid RSS or Atom feed ({problem})"
    return "not an RSS or Atom feed: no entries and no feed version found"
