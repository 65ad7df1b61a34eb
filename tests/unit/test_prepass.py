"""The streaming pre-pass (newswire.prepass): items split at the right bytes, fingerprints that
move with what an article depends on and not with what moves on every fetch, bodies it cannot
read left to the full parse, and the incremental path equal to the full parse over every
fixture, golden and hostile feed of the suite and over generated ones."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswire.models import FeedConfig, Fetched, ParseError
from newswire.normalize import normalize_entry
from newswire.parse import parse_feed
from newswire.prepass import (
    NewItems,
    Split,
    fingerprints,
    keep_items,
    parse_new_items,
    remembered,
    split_items,
)
from tests.hostile.feeds import CORPUS as HOSTILE_BUILT
from tests.incremental import expected_items, mismatch

from .helpers import DATA, NOW
from .test_golden import CASES

RSS = "application/rss+xml"
SALT = b"test"
HOSTILE_MODULES = [
    p.stem for p in (Path(__file__).resolve().parent.parent / "hostile").glob("test_*.py")
]


def fetched(
    body: bytes, content_type: str | None = RSS, url: str = "https://example.org/f"
) -> Fetched:
    return Fetched(url=url, body=body, content_type=content_type, etag=None, last_modified=None)


def _bodies_in(value: object) -> Iterator[tuple[bytes, str | None]]:
    if isinstance(value, bytes):
        yield value, RSS
    elif isinstance(value, tuple | list):
        content_type = next((v for v in value if isinstance(v, str) and "/" in v), RSS)
        for item in value:
            if isinstance(item, bytes):
                yield item, content_type
            elif isinstance(item, tuple | list):
                yield from _bodies_in(item)


def hostile_bodies() -> list[tuple[str, bytes, str | None]]:
    """Every feed body the hostile suite names: module constants and parametrized values (the
    bodies built inside its tests are checked as they are ingested, by the suite-wide fixture in
    tests/conftest.py), plus the hostile builders' own corpus."""
    found: dict[tuple[bytes, str | None], str] = {}
    for name in HOSTILE_MODULES:
        module = importlib.import_module(f"tests.hostile.{name}")
        for attr, value in vars(module).items():
            for body, content_type in _bodies_in(value):
                found.setdefault((body, content_type), f"{name}.{attr}")
            for mark in getattr(value, "pytestmark", []):
                if mark.name == "parametrize":
                    for i, case in enumerate(mark.args[1]):
                        values = case.values if hasattr(case, "values") else case
                        for body, content_type in _bodies_in(values):
                            found.setdefault((body, content_type), f"{name}.{attr}[{i}]")
    for label, (body, content_type) in HOSTILE_BUILT.items():
        found.setdefault((body, content_type), f"feeds.{label}")
    return [(label, body, ct) for (body, ct), label in found.items() if len(body) < 256 * 1024]


FIXTURES = sorted(DATA.glob("*.xml"))
HOSTILE = hostile_bodies()


def subsets(count: int) -> list[set[int]]:
    """Which items count as new: all, none, every other, the first, the last."""
    return [set(range(count)), set(), set(range(0, count, 2)), {0}, {count - 1}]


def check_every_subset(body: bytes, content_type: str | None, limit: int = 100) -> int:
    """For each choice of known items, the incremental path equals the full parse; returns the
    number of items the pre-pass found (0 when it left the body to the full parse)."""
    whole = fetched(body, content_type)
    split = split_items(body, content_type)
    count = len(split.items[:limit]) if split else 0
    prints = fingerprints(body, Split(split.items[:limit], split.context), SALT) if split else []
    for new in subsets(count) if split else [set()]:
        known = {p for i, p in enumerate(prints) if i not in new}
        expected = expected_items(whole, known=known, salt=SALT, limit=limit)
        try:
            got: NewItems | ParseError = parse_new_items(whole, known=known, salt=SALT, limit=limit)
        except ParseError as exc:
            got = exc
        assert mismatch(got, expected) is None, mismatch(got, expected)
        if split is not None and not isinstance(got, ParseError):
            assert got.parsed == sum(1 for p in prints if p not in known) or count == 0
    return count


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_and_golden_feeds_parse_the_same_incrementally(path: Path) -> None:
    assert check_every_subset(path.read_bytes(), RSS) >= 2


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_articles_are_identical_from_the_incremental_path(name: str) -> None:
    """With each golden feed's own settings: the articles made from the items parsed alone
    inside the envelope equal those of the full parse, field by field."""
    feed = CASES[name]
    body = (DATA / f"{name}.xml").read_bytes()
    whole = fetched(body, url=feed.url)
    full = [normalize_entry(e, feed, now=NOW) for e in parse_feed(whole).entries]
    split = split_items(body, RSS)
    assert split is not None
    prints = fingerprints(body, split, SALT)
    for new in subsets(len(prints)):
        items = parse_new_items(
            whole, known={p for i, p in enumerate(prints) if i not in new}, salt=SALT, limit=100
        )
        assert [normalize_entry(e, feed, now=NOW) for e in items.entries] == [
            full[i] for i in sorted(new)
        ]


@pytest.mark.parametrize("case", HOSTILE, ids=[label for label, _, _ in HOSTILE])
def test_hostile_feeds_parse_the_same_incrementally(case: tuple[str, bytes, str | None]) -> None:
    _, body, content_type = case
    check_every_subset(body, content_type)


def test_the_hostile_corpus_is_not_empty() -> None:
    split = [label for label, body, ct in HOSTILE if split_items(body, ct)]
    assert len(HOSTILE) >= 20 and len(split) >= 10, (len(HOSTILE), split)


def test_max_items_takes_the_same_window() -> None:
    body = (DATA / "rss-basic.xml").read_bytes()
    assert check_every_subset(body, RSS, limit=2) == 2


# --- the split itself --------------------------------------------------------------------------


def rss_doc(items: list[str], *, channel: str = "", decl: str = '<?xml version="1.0"?>') -> bytes:
    return (
        f'{decl}\n<rss version="2.0"><channel><title>t</title>{channel}'
        f"{''.join(items)}</channel></rss>"
    ).encode()


def test_items_are_cut_at_their_tags() -> None:
    items = ["<item><title>a &gt; b</title></item>", '<item a="1>2"><title>x</title></item >',
             "<item/>", "<item><![CDATA[</item>]]></item>"]  # fmt: skip
    body = rss_doc(items, channel="<lastBuildDate>now</lastBuildDate>")
    split = split_items(body)
    assert split is not None
    assert [body[s:e].decode() for s, e in split.items] == items
    assert keep_items(body, split, {1}) == rss_doc(
        [items[1]], channel="<lastBuildDate>now</lastBuildDate>"
    )


@pytest.mark.parametrize(
    "body",
    [
        b'<?xml version="1.0" encoding="windows-1252"?><rss><channel><item/></channel></rss>',
        b'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "x.dtd"><rss><channel></channel></rss>',
        "<rss><channel><item/></channel></rss>".encode("utf-16"),
        b"<html><body><item/></body></html>",
        b"<rss><channel><item><item/></item></channel></rss>",
        b"<rss><item/><channel/></rss>",
        b"<rss><channel><image><item/></image></channel></rss>",
        b'<feed xmlns="http://example.com/not-atom"><entry/></feed>',
        b"<rss><channel><item>cut off",
        b"<rss><channel><item>&nbsp;</item></channel></rss>",
        b"",
    ],
    ids=["cp1252", "doctype", "utf-16", "html", "nested item", "item outside channel",
         "item inside image", "unknown namespace", "truncated", "undefined entity", "empty"],
)  # fmt: skip
def test_bodies_the_pass_cannot_read_go_to_the_full_parse(body: bytes) -> None:
    assert split_items(body) is None


def test_a_charset_other_than_utf8_goes_to_the_full_parse() -> None:
    body = rss_doc(["<item/>"])
    assert split_items(body, "application/rss+xml; charset=ISO-8859-1") is None
    assert split_items(body, "application/rss+xml; charset=UTF-8") is not None


def one_print(body: bytes, salt: bytes = SALT) -> str:
    split = split_items(body)
    assert split is not None
    [fingerprint] = fingerprints(body, split, salt)
    return fingerprint


ITEM = "<item><title>t</title><link>a/b</link></item>"


def test_fingerprints_ignore_what_moves_on_every_fetch() -> None:
    assert one_print(rss_doc([ITEM], channel="<lastBuildDate>1</lastBuildDate>")) == one_print(
        rss_doc([ITEM], channel="<lastBuildDate>2</lastBuildDate><ttl>5</ttl>")
    )


@pytest.mark.parametrize(
    "other",
    [
        rss_doc([ITEM.replace("<title>t", "<title>u")]),
        rss_doc([ITEM], channel="<language>fr</language>"),
        rss_doc([ITEM]).replace(b"<channel>", b'<channel xml:base="https://b.example/">'),
        rss_doc([ITEM]).replace(b'<rss version="2.0">', b'<rss version="2.0" xml:lang="de">'),
    ],
    ids=["item bytes", "feed language", "xml:base", "xml:lang"],
)
def test_fingerprints_move_with_what_an_item_means(other: bytes) -> None:
    assert one_print(other) != one_print(rss_doc([ITEM]))


def test_fingerprints_move_with_the_salt() -> None:
    assert one_print(rss_doc([ITEM]), b"a") != one_print(rss_doc([ITEM]), b"b")


def test_remembered_keeps_the_current_first_and_stays_bounded() -> None:
    assert remembered(["c", "d"], ["a", "c", "b"], limit=3) == ("c", "d", "a")
    assert remembered(["c", "d"], ["a"], limit=1) == ("c",)
    assert len(remembered([str(i) for i in range(10)], ["x"] * 5, limit=4)) == 4


def test_nothing_new_hands_nothing_to_feedparser() -> None:
    body = (DATA / "google-news-world.xml").read_bytes()
    split = split_items(body, RSS)
    assert split is not None
    known = set(fingerprints(body, split, SALT))
    items = parse_new_items(fetched(body), known=known, salt=SALT, limit=100)
    assert (items.entries, items.parsed, len(items.known)) == ((), 0, 3)


# --- generated feeds ----------------------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=40)
MARKUP = ["<b>", "</b>", "<a href='/x?a=1&amp;b'>", "</a>", "<img src=y.png>", "&nbsp;",
          "&amp;", "<![CDATA[", "]]>", "<p>", "javascript:"]  # fmt: skip
HTML = st.lists(st.one_of(TEXT, st.sampled_from(MARKUP)), max_size=8).map("".join)
URLS = ["/rel/1", "https://a.example/x", "x y", "javascript:1",
        "https://news.google.com/rss/articles/CBMiX"]  # fmt: skip
URL = st.one_of(st.just(""), st.sampled_from(URLS))


def _xml_text(value: str) -> str:
    # XML 1.0 cannot carry most control characters: a feed with them is not well-formed.
    return escape("".join(c for c in value if c in "\t\n\r" or ord(c) >= 0x20))


@st.composite
def generated_feed(draw: st.DrawFn) -> bytes:
    atom = draw(st.booleans())
    items = []
    for n in range(draw(st.integers(min_value=1, max_value=6))):
        title, html, link = draw(TEXT), draw(HTML), draw(URL)
        guid = draw(
            st.one_of(st.just(""), st.sampled_from(["g1", "https://g.example/1", f"id-{n}"]))
        )
        title, guid, html = _xml_text(title), _xml_text(guid), _xml_text(html)
        if atom:
            items.append(
                f"<entry><title>{title}</title><link href={quoteattr(link)}/><id>{guid}</id>"
                f"<content type='html'>{html}</content></entry>"
            )
        else:
            items.append(
                f"<item><title>{title}</title><link>{_xml_text(link)}</link><guid>{guid}</guid>"
                f"<description>{html}</description></item>"
            )
    base = draw(st.sampled_from(["", ' xml:base="https://base.example/dir/"']))
    if atom:
        return (f'<feed xmlns="http://www.w3.org/2005/Atom"{base}><title>f</title>'
                f"{''.join(items)}</feed>").encode()  # fmt: skip
    return (f'<rss version="2.0"{base}><channel><title>f</title><link>https://s.example/</link>'
            f"{''.join(items)}</channel></rss>").encode()  # fmt: skip


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(generated_feed())
def test_generated_feeds_parse_and_normalize_the_same_incrementally(body: bytes) -> None:
    feed = FeedConfig(url="https://example.org/f", name="gen")
    whole = fetched(body, url=feed.url)
    split = split_items(body, RSS)
    assert split is not None
    assert check_every_subset(body, RSS) == len(split.items)
    full = [normalize_entry(e, feed, now=NOW) for e in parse_feed(whole).entries]
    prints = fingerprints(body, split, SALT)
    known = set(prints[1::2])  # identical items share a fingerprint: known is by value
    new = {i for i, p in enumerate(prints) if p not in known}
    items = parse_new_items(whole, known=known, salt=SALT, limit=100)
    assert [normalize_entry(e, feed, now=NOW) for e in items.entries] == [
        full[i] for i in sorted(new)
    ]


def test_the_check_fails_when_an_item_is_parsed_out_of_its_envelope() -> None:
    """The comparison itself can fail: an item parsed without its channel's xml:base comes out
    differently, and `mismatch` says so."""
    body = rss_doc(["<item><link>rel/1</link></item>"]).replace(
        b"<channel>", b'<channel xml:base="https://b.example/">'
    )
    expected = expected_items(fetched(body), known=set(), salt=SALT, limit=100)
    bare = parse_feed(fetched(rss_doc(["<item><link>rel/1</link></item>"])))
    wrong = NewItems(bare.entries, (None,), (), 1)
    assert mismatch(wrong, expected) is not None
