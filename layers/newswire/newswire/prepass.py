"""Pure: split a feed body into its items by byte offsets, fingerprint each item, and cut a
body that keeps only some of them, so that items a feed already committed never reach
feedparser (a run then costs what is new, not what the feed repeats every hour).

expat (the standard library's streaming XML parser) only finds where each item starts and
ends; feedparser stays the parser of record for what an item says, and parses the items kept
inside the body's own envelope (prolog, namespaces, `xml:base`, language, feed-level elements,
all left byte for byte where they were), so each of them comes out as a full parse gives it.
Whatever this pass cannot read with certainty (not well-formed, a DOCTYPE, an encoding other
than UTF-8/ASCII, items in odd places, an unknown default namespace) gives None, and the
caller parses the whole body as before.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any
from xml.parsers import expat

from newswire.models import Fetched, ParseError
from newswire.parse import parse_feed

ITEM_NAMES = frozenset({"item", "entry"})
ROOTS = {"rss": 3, "feed": 2, "rdf:RDF": 2}
"""The root elements read here, and the depth their items sit at (RSS 2.0/0.9x: inside
`channel`; Atom and RSS 1.0: children of the root)."""
FEED_NAMESPACES = frozenset({
    "http://www.w3.org/2005/Atom",
    "http://purl.org/atom/ns#",
    "http://purl.org/rss/1.0/",
    "http://my.netscape.com/rdf/simple/0.9/",
    "http://backend.userland.com/rss2",
    "http://backend.userland.com/rss",
})  # fmt: skip
"""Default namespaces under which feedparser reads `item`/`entry` as entries."""
UTF8_COMPATIBLE = frozenset({"utf-8", "utf8", "us-ascii", "ascii"})
LANGUAGE_ELEMENTS = frozenset({"language", "dc:language"})
"""Feed-level elements whose value feedparser carries into the entries after them."""
FINGERPRINT_BYTES = 9
"""72 bits, FINGERPRINT_CHARS (12) characters of base64 per item, so that a feed's fingerprints
stay small in its state (read and written with every run); an accidental match among a feed's
few hundred items is about 1 in 10^19."""


class _Unsure(Exception):
    """The body is not one this pass reads with certainty."""


@dataclass(frozen=True)
class Split:
    """Where a body's items are, and what their meaning depends on outside them."""

    items: tuple[tuple[int, int], ...]
    """(start, end) byte offsets of each item element, in document order."""
    context: bytes
    """The parts of the envelope that change how feedparser reads an item (the ancestors' tags
    and attributes, the feed's language), and not the parts that move on every fetch
    (lastBuildDate): a fingerprint covers them, so a change there parses every item again."""


def split_items(body: bytes, content_type: str | None = None) -> Split | None:
    """The body's items, or None when only a full parse can be trusted with it."""
    if not _plain_encoding(body, content_type):
        return None
    try:
        return _Splitter(body).run()
    except (_Unsure, expat.ExpatError, ValueError):
        return None


def _plain_encoding(body: bytes, content_type: str | None) -> bool:
    # UTF-16/32 bodies and other charsets are left to feedparser's own encoding detection:
    # byte offsets here must mean the same bytes there.
    if body.startswith((b"\xfe\xff", b"\xff\xfe")) or b"\x00" in body[:4]:
        return False
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'").lower() in UTF8_COMPATIBLE
    return True


class _Splitter:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.parser = expat.ParserCreate()  # no namespace processing: names keep prefixes
        self.parser.XmlDeclHandler = self.declaration
        self.parser.StartDoctypeDeclHandler = self.doctype
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.depth = 0
        self.item_depth = 0
        self.item_start: int | None = None
        self.language_start: int | None = None
        self.language_depth = 0
        self.items: list[tuple[int, int]] = []
        self.context: list[bytes] = []

    def run(self) -> Split:
        self.parser.Parse(self.body, True)
        if self.item_depth == 0:
            raise _Unsure("no root element")
        return Split(tuple(self.items), b"\x00".join(self.context))

    def declaration(self, version: str, encoding: str | None, standalone: int) -> None:
        if encoding is not None and encoding.lower() not in UTF8_COMPATIBLE:
            raise _Unsure(f"encoding {encoding}")

    def doctype(self, *_: object) -> None:
        raise _Unsure("a DOCTYPE (feedparser rewrites it and its entities)")

    def start(self, name: str, attrs: dict[str, str]) -> None:
        self.depth += 1
        if self.item_start is not None:
            if _local(name) in ITEM_NAMES:
                raise _Unsure("an item inside an item")
            return
        if self.depth == 1:
            if name not in ROOTS:
                raise _Unsure(f"root element {name}")
            self.item_depth = ROOTS[name]
        if attrs.get("xmlns", "") not in FEED_NAMESPACES and "xmlns" in attrs:
            raise _Unsure("an unknown default namespace")
        if self.depth == self.item_depth and name in ITEM_NAMES:
            self.item_start = self.parser.CurrentByteIndex
            return
        if _local(name) in ITEM_NAMES:
            raise _Unsure("an item outside its container")
        if self.depth < self.item_depth:
            if self.depth == 2 and name != "channel":
                raise _Unsure(f"{name} where the channel belongs")
            # The items' ancestors: their namespaces, xml:base and xml:lang scope every item.
            self.context.append(repr((name, sorted(attrs.items()))).encode())
        if name in LANGUAGE_ELEMENTS and self.language_start is None:
            self.language_start, self.language_depth = self.parser.CurrentByteIndex, self.depth

    def end(self, name: str) -> None:
        if self.depth == self.item_depth and self.item_start is not None:
            self.items.append((self.item_start, self._end_of(name)))
            self.item_start = None
        elif self.depth == self.language_depth and self.language_start is not None:
            self.context.append(self.body[self.language_start : self._end_of(name)])
            self.language_start = None
        self.depth -= 1

    def _end_of(self, name: str) -> int:
        """The offset just past the element closing now (expat points at its end tag, or past
        an empty element's `/>`)."""
        at = self.parser.CurrentByteIndex
        tag = b"</" + name.encode("utf-8")
        if self.body.startswith(tag, at) and self.body[at + len(tag) : at + len(tag) + 1] in (
            b">", b" ", b"\t", b"\r", b"\n",
        ):  # fmt: skip
            return self.body.index(b">", at) + 1
        if self.body[at - 2 : at] == b"/>":
            return at
        raise _Unsure(f"cannot place the end of {name}")


def _local(name: str) -> str:
    return name.rpartition(":")[2]


def fingerprints(body: bytes, split: Split, salt: bytes) -> list[str]:
    """One short digest per item of its bytes, its envelope context and `salt` (what else the
    article made from it depends on: the feed's settings, the version of newswire)."""
    key = hashlib.sha256(salt + b"\x00" + split.context).digest()
    return [
        base64.urlsafe_b64encode(
            hashlib.blake2b(body[start:end], digest_size=FINGERPRINT_BYTES, key=key).digest()
        ).decode("ascii")
        for start, end in split.items
    ]


def keep_items(body: bytes, split: Split, keep: Collection[int]) -> bytes:
    """The body with every item not indexed in `keep` cut out, everything else left as it is."""
    parts: list[bytes] = []
    position = 0
    for i, (start, end) in enumerate(split.items):
        if i not in keep:
            parts.append(body[position:start])
            position = end
    parts.append(body[position:])
    return b"".join(parts)


def remembered(current: Sequence[str], previous: Sequence[str], *, limit: int) -> tuple[str, ...]:
    """The fingerprints to keep: the current body's first, then earlier ones, newest first,
    at most `limit` of them."""
    seen = dict.fromkeys(current)
    for fingerprint in previous:
        if len(seen) >= limit:
            break
        seen.setdefault(fingerprint, None)
    return tuple(seen)[:limit]


@dataclass(frozen=True)
class NewItems:
    """What a body holds that this feed has not committed yet, parsed by feedparser."""

    entries: tuple[Any, ...]
    """feedparser's entries of the items to normalize, in document order."""
    fingerprints: tuple[str | None, ...]
    """Each entry's fingerprint (None when the whole body had to be parsed)."""
    known: tuple[str, ...]
    """The fingerprints of the items skipped because this feed already committed them."""
    parsed: int
    """Items handed to feedparser."""
    warnings: tuple[str, ...] = ()


def parse_new_items(
    fetched: Fetched, *, known: Collection[str], salt: bytes, limit: int
) -> NewItems:
    """The first `limit` items of the body (as a full parse takes them), minus those whose
    fingerprint is in `known`, parsed inside the body's envelope. Raises ParseError as
    parse_feed does."""
    split = split_items(fetched.body, fetched.content_type)
    if split is None:
        return _parse_whole(fetched, limit)
    window = Split(split.items[:limit], split.context)
    prints = fingerprints(fetched.body, window, salt)
    fresh = [i for i, fingerprint in enumerate(prints) if fingerprint not in known]
    skipped = tuple(fingerprint for fingerprint in prints if fingerprint in known)
    if not fresh and window.items:
        return NewItems((), (), skipped, 0)
    try:
        parsed = parse_feed(
            dataclasses.replace(fetched, body=keep_items(fetched.body, split, set(fresh)))
        )
    except ParseError:
        return _parse_whole(fetched, limit)  # its own error, if the whole body has one
    if len(parsed.entries) != len(fresh):
        # feedparser counted the items differently from this pass: trust it with the body.
        return _parse_whole(fetched, limit)
    return NewItems(
        parsed.entries, tuple(prints[i] for i in fresh), skipped, len(fresh), parsed.warnings
    )


def _parse_whole(fetched: Fetched, limit: int) -> NewItems:
    parsed = parse_feed(fetched)
    entries = parsed.entries[:limit]
    return NewItems(entries, (None,) * len(entries), (), len(parsed.entries), parsed.warnings)
