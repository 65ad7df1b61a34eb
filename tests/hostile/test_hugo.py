"""A real Hugo build of what newswire wrote from hostile feeds: the build succeeds, shortcode
openers from feeds show as text, and nothing active reaches the HTML."""

from __future__ import annotations

import html
import os
import re
from dataclasses import dataclass

import pytest

from newswire.models import FeedConfig
from tests import programs
from tests.programs import HUGO_NAMES

from .feeds import Item
from .hugosite import hugo_build, ingest_served_feed
from .test_output import ATTACK_HTML, MARKDOWN_ATTACKS

HUGO_CONFIG = """\
baseURL = "https://news.example.org/"
title = "hostile"
disableKinds = ["taxonomy", "term", "RSS", "sitemap", "robotsTXT", "404"]
"""
SINGLE = """<!doctype html><html><head><title>{{ .Title }}</title></head><body>
<h1>{{ .Title }}</h1><p class="description">{{ .Description }}</p>
<div class="summary">{{ .Summary }}</div><article>{{ .Content }}</article></body></html>
"""
LIST = "<!doctype html><html><body>{{ range .Pages }}<p>{{ .Title }}</p>{{ end }}</body></html>\n"

SHORTCODES = (
    'Use {{< ref "missing" >}} and {{% include "x.md" %}} or {{</* comment */>}} and '
    "{{ < spaced > }} here"
)


@dataclass(frozen=True)
class BuiltSite:
    returncode: int
    output: str
    pages: dict[str, str]
    """Built HTML of every article page, by the title in its <h1>."""


@pytest.fixture(scope="module", params=HUGO_NAMES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> BuiltSite:
    hugo = programs.hugo(request.param).path
    root = tmp_path_factory.mktemp(f"hugo-{request.param}") / "site"
    items = [
        Item(title="Shortcodes {{< ref \"missing\" >}} in a title",
             guid="https://gazette.example.org/sc", description=SHORTCODES,
             content_html=f"<p>{SHORTCODES}</p><p>{html.escape(SHORTCODES)}</p>"),
        Item(title="Active content", guid="https://gazette.example.org/active",
             content_html=ATTACK_HTML, description=ATTACK_HTML),
        Item(title="Markdown syntax", guid="https://gazette.example.org/md",
             content_html="".join(f"<p>{a}</p>" for a in MARKDOWN_ATTACKS)),
    ]  # fmt: skip
    result = ingest_served_feed(
        root, "/hostile.xml", items, lambda url: FeedConfig(url=url, name="hostile")
    )
    assert result.new == len(items), result
    built = hugo_build(
        hugo, root, config=HUGO_CONFIG, single=SINGLE, list_layout=LIST, extra=["--quiet"],
        env={**os.environ, "HUGO_ENVIRONMENT": "production"},
    )  # fmt: skip
    pages = {}
    for page in (root / "public").rglob("index.html"):
        text = page.read_text(encoding="utf-8")
        title = re.search(r"<h1>(.*?)</h1>", text, re.DOTALL)
        if title:
            pages[html.unescape(title.group(1))] = text
    return BuiltSite(built.returncode, built.stdout + built.stderr, pages)


def visible_text(page: str) -> str:
    text = re.sub(r"<[^>]+>", " ", page)
    # Typographer curls quotes: compare on straight ones.
    text = html.unescape(text).translate(str.maketrans("“”‘’", "\"\"''"))
    return re.sub(r"\s+", " ", text)


def test_hugo_builds_the_hostile_site(site: BuiltSite) -> None:
    assert site.returncode == 0, site.output
    assert len(site.pages) == 3, sorted(site.pages)


def test_shortcode_openers_from_feeds_show_as_text(site: BuiltSite) -> None:
    title = 'Shortcodes {{< ref "missing" >}} in a title'
    page = visible_text(site.pages[title])
    assert page.count('{{< ref "missing" >}}') >= 3  # title, description, body
    assert '{{% include "x.md" %}}' in page
    assert "{{</* comment */>}}" in page


def test_no_script_or_event_handler_reaches_the_html(site: BuiltSite) -> None:
    for title, page in site.pages.items():
        assert not re.search(r"<\s*(script|style|iframe|object|embed|form|svg)\b", page, re.I), (
            title
        )
        assert not re.search(r"\son[a-z]+\s*=", page, re.I), title


def test_no_javascript_url_reaches_the_html(site: BuiltSite) -> None:
    for title, page in site.pages.items():
        for url in re.findall(r"""(?:href|src|poster|action)\s*=\s*["']?([^"'\s>]*)""", page):
            assert not re.match(r"(?i)\s*(javascript|vbscript|data):", html.unescape(url)), (
                title,
                url,
            )
