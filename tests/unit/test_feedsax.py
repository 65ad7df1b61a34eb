"""feedparser reads through newswire's buffered expat driver, and the entries it gives are the
ones feedparser's own choice of driver gives, for every feed body the suite knows."""

from __future__ import annotations

import xml.sax
import xml.sax.handler
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import feedparser.api
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire import feedsax
from newswire.models import Fetched, ParseError
from newswire.parse import parse_feed

from .helpers import DATA
from .test_prepass import hostile_bodies

RSS = "application/rss+xml"
FIXTURES = sorted(DATA.glob("*.xml")) + sorted((DATA / "golden").glob("*.xml"))


class Pieces(xml.sax.handler.ContentHandler):
    def __init__(self) -> None:
        super().__init__()
        self.pieces: list[str] = []

    def characters(self, content: str) -> None:
        self.pieces.append(content)


def test_feedparser_is_given_the_buffered_driver() -> None:
    assert feedparser.api.PREFERRED_XML_PARSERS[0] == feedsax.NAME
    assert isinstance(
        xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS), feedsax.BufferedExpatParser
    )


def test_text_between_tags_arrives_in_one_piece() -> None:
    handler = Pieces()
    parser = feedsax.create_parser()
    parser.setContentHandler(handler)
    parser.feed(b"<t>&lt;p&gt;one\ntwo &amp; &#233;three&lt;/p&gt;</t>")
    parser.close()
    assert handler.pieces == ["<p>one\ntwo & \xe9three</p>"]


def parsed(body: bytes, content_type: str | None, url: str) -> Any:
    try:
        result = parse_feed(Fetched(url, body, content_type, None, None))
    except ParseError as exc:
        return f"ParseError: {exc}"
    return (result, [dict(e) for e in result.entries])


def assert_same_as_feedparsers_own_driver(
    monkeypatch: pytest.MonkeyPatch, body: bytes, content_type: str | None
) -> None:
    url = "https://example.org/feed"
    ours = parsed(body, content_type, url)
    with monkeypatch.context() as patched:
        patched.setattr(
            feedparser.api,
            "PREFERRED_XML_PARSERS",
            [n for n in feedparser.api.PREFERRED_XML_PARSERS if n != feedsax.NAME],
        )
        assert not isinstance(
            xml.sax.make_parser(feedparser.api.PREFERRED_XML_PARSERS), feedsax.BufferedExpatParser
        )
        theirs = parsed(body, content_type, url)
    assert ours == theirs


@pytest.mark.parametrize("path", FIXTURES, ids=[p.stem for p in FIXTURES])
def test_fixture_and_golden_feeds_parse_the_same(
    monkeypatch: pytest.MonkeyPatch, path: Path
) -> None:
    assert_same_as_feedparsers_own_driver(monkeypatch, path.read_bytes(), RSS)


def test_hostile_feeds_parse_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    bodies = hostile_bodies()
    assert len(bodies) >= 20
    for _, body, content_type in bodies:
        assert_same_as_feedparsers_own_driver(monkeypatch, body, content_type)


# Text as feeds carry it: escaped HTML, references, line breaks, CDATA, and runs longer than
# expat's buffer (8,192 bytes by default), where even buffered text arrives in pieces.
_PIECE = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=30).map(escape),
    st.sampled_from(["&lt;p&gt;", "&amp;", "&#233;", "&#x1F600;", "\n", "\r\n", "&quot;"]),
    st.text(max_size=20, alphabet="ab <>&\n").map(lambda t: f"<![CDATA[{t}]]>"),
    st.integers(1, 3).map(lambda n: "x" * (4096 * n + 1)),
)


@settings(max_examples=60, deadline=None)
@given(
    titles=st.lists(st.lists(_PIECE, max_size=8).map("".join), min_size=1, max_size=3),
    description=st.lists(_PIECE, max_size=12).map("".join),
)
def test_generated_text_parses_the_same(titles: list[str], description: str) -> None:
    items = "".join(
        f"<item><title>{t}</title><description>{description}</description>"
        f"<link>https://example.org/{i}</link></item>"
        for i, t in enumerate(titles)
    )
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>t</title>'
        f"{items}</channel></rss>"
    )
    with pytest.MonkeyPatch.context() as monkeypatch:
        assert_same_as_feedparsers_own_driver(
            monkeypatch, body.encode("utf-8", "surrogatepass"), RSS
        )
