"""Pure: the site's machine-readable files: RSS 2.0, JSON Feed 1.1, sitemaps, robots.txt.

Every timestamp in them is an article's own (its date or lastmod), never the build's time, so
that rebuilding unchanged data writes the same bytes. Feed readers take RSS `<description>` and
JSON Feed `content_html` as HTML: both carry the summary rendered by markdown-it (raw HTML off),
so text that reads like markup ("<svg onload=…>") reaches the reader as text.
"""

from __future__ import annotations

import email.utils
import html
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from typing import Any

from newswire.models import IndexRecord
from newswire.site.markup import safe_url, summary_html, summary_text
from newswire.site.options import SiteOptions
from newswire.site.pages import LIST_CACHE, STATIC_CACHE, Page, iso_time
from newswire.site.paths import article_path, sitemap_key, sitemap_order

RSS = "application/rss+xml; charset=utf-8"
JSON_FEED = "application/feed+json; charset=utf-8"
XML = "application/xml; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
# XML 1.0 cannot carry most control characters, even escaped: they are dropped.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(value: str) -> str:
    return _NOT_XML.sub("", value)


def _updated(record: IndexRecord) -> Any:
    return max(record.date, record.lastmod) if record.lastmod else record.date


def _content_html(record: IndexRecord) -> str:
    return summary_html(record.summary) if record.summary else html.escape(record.title)


def _xml_bytes(root: ET.Element) -> bytes:
    ET.indent(root)
    return bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True)) + b"\n"


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, attrs)
    if text is not None:
        element.text = _xml_text(text)
    return element


def rss_feed(
    records: Sequence[IndexRecord],
    options: SiteOptions,
    base_url: str,
    *,
    folder: str = "",
    title: str = "",
) -> Page:
    """The site's feed.xml, or with `folder` ("tags/war/") and `title` ("war") the feed of one
    of its lists, next to that list's page."""
    ET.register_namespace("atom", ATOM_NS)
    ET.register_namespace("dc", DC_NS)
    rss = ET.Element("rss", {"version": "2.0"})
    channel = _sub(rss, "channel")
    _sub(channel, "title", f"{title} · {options.title}" if title else options.title)
    _sub(channel, "link", base_url + folder)
    _sub(channel, "description", f"The latest stories: {title}." if title else options.description)
    _sub(channel, "language", options.language)
    _sub(channel, "generator", "newswire")
    if records:
        newest = max(_updated(r) for r in records)
        _sub(channel, "lastBuildDate", email.utils.format_datetime(newest))
    self_link = {
        "href": f"{base_url}{folder}feed.xml",
        "rel": "self",
        "type": "application/rss+xml",
    }
    _sub(channel, f"{{{ATOM_NS}}}link", **self_link)
    for record in records:
        url = base_url + article_path(record)
        item = _sub(channel, "item")
        _sub(item, "title", record.title)
        _sub(item, "link", url)
        _sub(item, "guid", url, isPermaLink="true")
        _sub(item, "pubDate", email.utils.format_datetime(record.date))
        _sub(item, "description", _content_html(record))
        if record.publisher:
            _sub(item, f"{{{DC_NS}}}creator", record.publisher)  # RSS's own <author> is an email
        for term in dict.fromkeys((*record.categories, *record.tags)):
            _sub(item, "category", term)
    return Page(f"{folder}feed.xml", _xml_bytes(rss), RSS, LIST_CACHE)


def json_feed(records: Sequence[IndexRecord], options: SiteOptions, base_url: str) -> Page:
    """JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    items: list[dict[str, Any]] = []
    for record in records:
        url = base_url + article_path(record)
        text = summary_text(record.summary)
        item: dict[str, Any] = {
            "id": url,
            "url": url,
            "title": record.title,
            "content_html": _content_html(record),
            "content_text": text or record.title,
        }
        if safe_url(record.link):
            item["external_url"] = record.link
        if text:
            item["summary"] = text
        if record.image and safe_url(record.image):
            item["image"] = record.image
        item["date_published"] = iso_time(record.date)
        if record.lastmod:
            item["date_modified"] = iso_time(record.lastmod)
        if record.publisher:
            item["authors"] = [{"name": record.publisher}]
        terms = list(dict.fromkeys((*record.categories, *record.tags)))
        if terms:
            item["tags"] = terms
        items.append(item)
    feed = {
        "version": JSON_FEED_VERSION,
        "title": options.title,
        "home_page_url": base_url,
        "feed_url": f"{base_url}feed.json",
        "description": options.description,
        "language": options.language,
        "favicon": f"{base_url}favicon.svg",
        "items": items,
    }
    body = json.dumps(feed, ensure_ascii=False, indent=2) + "\n"
    return Page("feed.json", body.encode("utf-8"), JSON_FEED, LIST_CACHE)


def sitemap_entry(record: IndexRecord, base_url: str) -> tuple[str, str]:
    """An article's sitemap entry: its URL and its last change."""
    return base_url + article_path(record), iso_time(_updated(record))


def day_sitemap(day: str, part: int, entries: Sequence[tuple[str, str]]) -> Page:
    """One part of a day's sitemap: entries (sitemap_entry) of its articles, oldest first."""
    urlset = ET.Element("urlset", {"xmlns": SITEMAP_NS})
    for loc, lastmod in entries:
        entry = _sub(urlset, "url")
        _sub(entry, "loc", loc)
        _sub(entry, "lastmod", lastmod)
    return Page(sitemap_key(day, part), _xml_bytes(urlset), XML, LIST_CACHE)


def sitemap_entries(data: bytes) -> list[tuple[str, str]]:
    """The entries of a stored day's sitemap, in order (ValueError when it is not one)."""
    try:
        root = ET.fromstring(data)  # noqa: S314 - our own file, and no entities are expanded
    except ET.ParseError as exc:
        raise ValueError(f"a sitemap that is not XML: {exc}") from exc
    if root.tag != f"{{{SITEMAP_NS}}}urlset":
        raise ValueError("not a sitemap's urlset")
    return [
        (url.findtext(f"{{{SITEMAP_NS}}}loc") or "", url.findtext(f"{{{SITEMAP_NS}}}lastmod") or "")
        for url in root.iter(f"{{{SITEMAP_NS}}}url")
    ]


def sitemap_index(keys: Iterable[str], base_url: str) -> Page:
    """sitemap.xml: the days' sitemaps, newest first, so that a new article rewrites its day's
    last one only (and this index when the day or the part is new)."""
    index = ET.Element("sitemapindex", {"xmlns": SITEMAP_NS})
    for key in sorted(set(keys), key=sitemap_order, reverse=True):
        _sub(_sub(index, "sitemap"), "loc", base_url + key)
    return Page("sitemap.xml", _xml_bytes(index), XML, LIST_CACHE)


def sitemap_keys(index: bytes, base_url: str) -> set[str]:
    """The days' sitemaps a stored sitemap.xml lists (under `base_url`). ValueError when it is
    not one sitemap_index wrote for that base URL: the caller then lists them from the index."""
    try:
        root = ET.fromstring(index)  # noqa: S314 - our own file, and no entities are expanded
    except ET.ParseError as exc:
        raise ValueError(f"sitemap.xml is not XML: {exc}") from exc
    keys: set[str] = set()
    for loc in root.iter(f"{{{SITEMAP_NS}}}loc"):
        text = loc.text or ""
        if not text.startswith(base_url):
            raise ValueError(f"sitemap.xml lists {text!r}, not under {base_url}")
        key = text[len(base_url) :]
        sitemap_order(key)  # raises for anything but a day's sitemap
        keys.add(key)
    return keys


def robots_txt(base_url: str) -> Page:
    body = f"User-agent: *\nAllow: /\n\nSitemap: {base_url}sitemap.xml\n"
    return Page("robots.txt", body.encode("utf-8"), TEXT, STATIC_CACHE)
