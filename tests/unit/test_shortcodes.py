"""Hugo shortcode openers from feeds are neutralised, proved without Hugo.

Hugo reads `{{<` and `{{%` anywhere in a page's body as a shortcode call (before Markdown, so
code spans do not protect them) and fails the whole site build on one it does not know. Feed
text reaches the body by three roads: the converted content, a Google News item's headline and
its related-coverage titles and publishers. Each fixture below carries the openers on every road
(title and description too), and the test reads the page exactly as written to storage.
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from markdown_it import MarkdownIt

from newswire.models import FeedConfig
from newswire.normalize import normalize_entry
from newswire.render import parse_markdown, render_markdown

from .helpers import GOOGLE_NEWS_WORLD, NOW

# Hugo's lexer wants `{{<` / `{{%` exactly; the check also refuses whitespace between, so that
# a looser Hugo could not read one either.
LIVE_SHORTCODE = re.compile(r"\{\{\s*[<%]")
SHORTCODES = ['{{< ref "missing" >}}', '{{% include "x.md" %}}', "{{</* comment */>}}"]
SENTENCE = "Read " + " and ".join(SHORTCODES) + " here"


def visible_text(markdown: str) -> str:
    """What a CommonMark renderer shows of `markdown`, entities decoded, whitespace folded."""
    rendered = MarkdownIt("commonmark").render(markdown)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", rendered)))


def plain_entry() -> dict[str, Any]:
    return {
        "id": "https://gazette.example.org/shortcodes",
        "link": "https://gazette.example.org/shortcodes",
        "title": f"Title {SHORTCODES[0]}",
        "summary": f"<p>{html.escape(SENTENCE)}</p>",
        "content": [{"type": "text/html",
                     "value": f"<p>{html.escape(SENTENCE)}</p><ul><li>{html.escape(SENTENCE)}"
                              f"</li></ul><p><em>{html.escape(SHORTCODES[1])}</em></p>"}],
        "published": "Tue, 06 Jan 2026 09:30:00 +0000",
    }  # fmt: skip


def google_entry() -> dict[str, Any]:
    related = "".join(
        f'<li><a href="https://news.google.com/rss/articles/R{n}?oc=5">Related {html.escape(sc)}'
        f'</a>&nbsp;&nbsp;<font color="#6f6f6f">Publisher {html.escape(sc)}</font></li>'
        for n, sc in enumerate(SHORTCODES)
    )
    return {
        "id": "CBMiShortcodesOnEveryRoad",
        "link": "https://news.google.com/rss/articles/CBMiShortcodesOnEveryRoad?oc=5",
        "title": f"Headline {SHORTCODES[0]} - Wire {SHORTCODES[1]}",
        "summary": f"<ol>{related}</ol>",
        "source": {"title": f"Wire {SHORTCODES[1]}", "href": "https://wire.example.com"},
        "published": "Tue, 06 Jan 2026 09:30:00 +0000",
    }


FEEDS = {
    "rss": (plain_entry, FeedConfig(url="https://gazette.example.org/rss", name="gazette")),
    "google-news": (google_entry, FeedConfig(url=GOOGLE_NEWS_WORLD, name="gn", section="world")),
}


@pytest.mark.parametrize("kind", FEEDS)
def test_no_live_shortcode_reaches_the_body_hugo_reads(kind: str) -> None:
    make_entry, feed = FEEDS[kind]
    article = normalize_entry(make_entry(), feed, now=NOW)
    _, body = parse_markdown(render_markdown(article))
    assert not LIVE_SHORTCODE.search(body), body


# What a reader must see in the body, per feed kind: every opener as the feed wrote it.
SHOWN = {
    "rss": [SENTENCE, SENTENCE, SHORTCODES[1]],
    "google-news": [f"Headline {SHORTCODES[0]}",
                    *(f"Related {sc}" for sc in SHORTCODES),
                    *(f"Publisher {sc}" for sc in SHORTCODES)],
}  # fmt: skip


@pytest.mark.parametrize("kind", FEEDS)
def test_neutralised_shortcodes_still_read_as_the_feed_wrote_them(kind: str) -> None:
    """Neutralising must not delete or mangle the text: a reader sees every opener as written."""
    make_entry, feed = FEEDS[kind]
    article = normalize_entry(make_entry(), feed, now=NOW)
    _, body = parse_markdown(render_markdown(article))
    shown = visible_text(body)
    for text in set(SHOWN[kind]):
        assert shown.count(text) >= SHOWN[kind].count(text), (text, shown)
