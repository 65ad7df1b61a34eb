"""Crafted feeds: RSS 2.0 and Atom built from a few fields, every text XML-escaped."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr


@dataclass(frozen=True)
class Item:
    title: str | None = None
    link: str | None = None
    guid: str | None = None
    pub_date: str | None = "Tue, 06 Jan 2026 09:30:00 +0000"
    description: str | None = None
    content_html: str | None = None
    extra: str = ""
    """Raw XML inside the <item> (media:content, enclosure …), not escaped."""
    permalink: bool = True
    """False writes <guid isPermaLink="false">."""


def _element(name: str, value: str | None) -> str:
    return "" if value is None else f"<{name}>{escape(value)}</{name}>"


def _guid(item: Item) -> str:
    if item.guid is None:
        return ""
    attribute = "" if item.permalink else ' isPermaLink="false"'
    return f"<guid{attribute}>{escape(item.guid)}</guid>"


def rss(
    items: list[Item],
    *,
    title: str = "Hostile Gazette",
    encoding: str = "UTF-8",
    channel_extra: str = "",
) -> bytes:
    body = "".join(
        "<item>"
        + _element("title", item.title)
        + _element("link", item.link)
        + _guid(item)
        + _element("pubDate", item.pub_date)
        + _element("description", item.description)
        + _element("content:encoded", item.content_html)
        + item.extra
        + "</item>"
        for item in items
    )
    xml = (
        f'<?xml version="1.0" encoding="{encoding}"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"'
        ' xmlns:content="http://purl.org/rss/1.0/modules/content/">'
        f"<channel><title>{escape(title)}</title><link>https://gazette.example.org/</link>"
        f"<description>crafted</description>{channel_extra}{body}</channel></rss>"
    )
    return xml.encode("utf-8")


def numbered(
    count: int, *, prefix: str = "Story", guid_base: str = "https://gazette.example.org/s/"
) -> list[Item]:
    """`count` distinct, well-formed items with globally meaningful guids."""
    return [
        Item(
            title=f"{prefix} number {n} about the harbour",
            link=f"{guid_base}{prefix.lower()}-{n}",
            guid=f"{guid_base}{prefix.lower()}-{n}",
            pub_date=f"Tue, 06 Jan 2026 {n % 24:02d}:{n % 60:02d}:00 +0000",
            description=f"Paragraph {n} of the {prefix.lower()} series.",
        )
        for n in range(1, count + 1)
    ]


def atom_entry(*, title: str, link: str, entry_id: str, content_html: str, extra: str = "") -> str:
    return (
        f"<entry><title>{escape(title)}</title><link href={quoteattr(link)}/>"
        f"<id>{escape(entry_id)}</id><updated>2026-01-06T09:30:00Z</updated>"
        f'<content type="html">{escape(content_html)}</content>{extra}</entry>'
    )


def atom(entries: list[str], *, title: str = "Hostile Atom") -> bytes:
    xml = (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xmlns:media="http://search.yahoo.com/mrss/">'
        f"<title>{escape(title)}</title><id>urn:hostile:atom</id>"
        f"<updated>2026-01-06T09:30:00Z</updated>{''.join(entries)}</feed>"
    )
    return xml.encode("utf-8")
