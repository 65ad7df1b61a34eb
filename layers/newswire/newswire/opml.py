"""OPML, the feed-list exchange format of feed readers: export the configured feeds, read the
outlines of another reader's export. Pure: bytes in, values out.

The standard library's ElementTree does the XML (its expat refuses entity expansion bombs);
OPML itself is small enough that no OPML library is needed: an outline with an `xmlUrl` is a
feed, nested outlines are folders (their text becomes the feed's section when asked).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass

from newswire.models import FeedConfig


class OpmlError(ValueError):
    """The file is not usable OPML; the message says why."""


@dataclass(frozen=True)
class Outline:
    """One feed of an OPML file."""

    url: str
    title: str | None
    folder: str | None = None


def export_opml(feeds: Iterable[FeedConfig], *, title: str = "newswire feeds") -> bytes:
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    for feed in feeds:
        ET.SubElement(
            body, "outline", type="rss", text=feed.name, title=feed.name, xmlUrl=feed.url,
            category=feed.section,
        )  # fmt: skip
    ET.indent(root)
    document: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return document + b"\n"


def read_opml(data: bytes) -> list[Outline]:
    """Every outline with an xmlUrl, in document order."""
    try:
        root = ET.fromstring(data)  # noqa: S314 (expat refuses entity bombs; no DTDs fetched)
    except ET.ParseError as exc:
        raise OpmlError(f"not valid XML: {exc}") from None
    if root.tag != "opml" or root.find("body") is None:
        raise OpmlError("not an OPML file (no <opml><body>)")
    found: list[Outline] = []

    def walk(node: ET.Element, folder: str | None) -> None:
        for outline in node.findall("outline"):
            url = (outline.get("xmlUrl") or "").strip()
            text = (outline.get("title") or outline.get("text") or "").strip() or None
            if url:
                found.append(Outline(url=url, title=text, folder=folder))
            walk(outline, text if not url else folder)

    walk(root.find("body"), None)  # type: ignore[arg-type]
    return found
