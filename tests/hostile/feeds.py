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


def _rss1(items: str) -> bytes:
    return (
        '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"'
        ' xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        '<channel rdf:about="https://r.example/"><title>RDF</title><link>https://r.example/</link>'
        f"<dc:language>fr</dc:language></channel>{items}</rdf:RDF>"
    ).encode()


_HARBOUR = "https://gazette.example.org/"
CORPUS: dict[str, tuple[bytes, str | None]] = {
    "numbered": (rss(numbered(6)), "application/rss+xml"),
    "duplicate guids": (
        rss([*numbered(2), Item(title="Again", guid=f"{_HARBOUR}s/story-1", link=f"{_HARBOUR}x")]),
        "application/rss+xml",
    ),
    "markup and entities": (
        rss(
            [
                Item(
                    title="<b>Bold</b> & 'quoted' {{< ref x >}}",
                    link="/relative/path",
                    guid="1",
                    description="<p>Caf&eacute; <a href='javascript:alert(1)'>x</a></p>",
                    content_html="<table><tr><td>1</td></tr></table><img src='/i.png'>",
                ),
                Item(
                    title="Ωμέγα — 東京 — مرحبا",
                    link=f"{_HARBOUR}u",
                    guid="2",
                    permalink=False,
                    description="x" * 5000,
                ),
            ]
        ),
        "application/rss+xml; charset=utf-8",
    ),
    "media and enclosures": (
        rss(
            [
                Item(
                    title="Pic",
                    link=f"{_HARBOUR}p",
                    guid=f"{_HARBOUR}p",
                    extra='<media:content url="https://img.example/a.jpg" medium="image"/>'
                    '<enclosure url="javascript:x" type="image/png" length="1"/>',
                ),
                Item(
                    title="Thumb",
                    link=f"{_HARBOUR}t",
                    guid=f"{_HARBOUR}t",
                    extra='<media:thumbnail url="/thumb.png"/><category>A</category>',
                ),
            ],
            channel_extra="<language>en-gb</language><lastBuildDate>Tue</lastBuildDate>",
        ),
        "text/xml",
    ),
    "atom xhtml and xml:base": (
        atom(
            [
                atom_entry(
                    title="A", link="rel/a", entry_id="tag:x,2026:a", content_html="<p>a</p>"
                ),
                '<entry xml:base="https://other.example/dir/"><title type="xhtml"><div '
                'xmlns="http://www.w3.org/1999/xhtml">X <b>y</b></div></title><link href="b"/>'
                '<id>tag:x,2026:b</id><updated>2026-01-06T09:30:00Z</updated><content type="xhtml">'
                '<div xmlns="http://www.w3.org/1999/xhtml"><p>b <a href="c">c</a></p></div>'
                "</content>"
                "</entry>",
            ]
        ).replace(b"<feed ", b'<feed xml:base="https://base.example/" ', 1),
        "application/atom+xml",
    ),
    "rss 1.0": (
        _rss1(
            '<item rdf:about="https://r.example/1"><title>Un</title><link>https://r.example/1</link>'
            "<description>premier</description></item>"
            '<item rdf:about="https://r.example/2"><title>Deux</title><link>https://r.example/2</link>'
            "<dc:date>2026-01-06T09:30:00Z</dc:date></item>"
        ),
        "application/rdf+xml",
    ),
    "channel elements between items": (
        rss(numbered(2)).replace(b"</item><item>", b"</item><ttl>5</ttl><item>", 1),
        "application/rss+xml",
    ),
    "namespace declared on an item": (
        rss(
            [
                Item(
                    title="NS",
                    link=f"{_HARBOUR}ns",
                    guid=f"{_HARBOUR}ns",
                    extra='<x:extra xmlns:x="urn:x">v</x:extra>',
                )
            ]
        ),
        None,
    ),
}
"""Crafted bodies for checks that run on many feeds at once (the incremental path's equality
with the full parse, among others)."""
