"""The incremental path's promise, checked wherever the suite ingests a feed body: the items it
hands to feedparser come out exactly as a full parse of the whole body gives them, and it
skips exactly the items of the window whose fingerprint the feed already committed."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from newswire.models import Fetched, ParseError
from newswire.parse import parse_feed
from newswire.prepass import NewItems, Split, fingerprints, split_items


def expected_items(
    fetched: Fetched, *, known: Collection[str], salt: bytes, limit: int
) -> list[Any] | None:
    """The full parse's entries that the incremental path must return, in order; None when
    the full parse refuses the body (then the incremental path must refuse it too)."""
    try:
        full = parse_feed(fetched).entries[:limit]
    except ParseError:
        return None
    split = split_items(fetched.body, fetched.content_type)
    if split is None:
        return list(full)
    window = Split(split.items[:limit], split.context)
    prints = fingerprints(fetched.body, window, salt)
    return [full[i] for i, fingerprint in enumerate(prints) if fingerprint not in known]


def mismatch(got: NewItems | ParseError, expected: list[Any] | None) -> str | None:
    """Why `got` breaks the promise, or None when it keeps it."""
    if isinstance(got, ParseError) or expected is None:
        if isinstance(got, ParseError) and expected is None:
            return None
        return f"incremental {got!r} where the full parse gives {expected!r}"
    if len(got.entries) != len(got.fingerprints) or got.parsed < len(got.entries):
        return f"inconsistent counts: {got.parsed} parsed, {len(got.entries)} entries"
    if list(got.entries) != expected:
        return f"entries differ:\n{list(got.entries)!r}\n!=\n{expected!r}"
    return None
