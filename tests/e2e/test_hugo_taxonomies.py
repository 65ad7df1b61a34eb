"""Issue 4's real-consumer check: a Hugo site with `tags`, `categories` and a publishers
taxonomy lists the right articles per term, sorts by date, and shows no omitted raw HTML or
literal entities."""

from __future__ import annotations

import html
import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newswire.render import parse_markdown
from newswire.sections import is_section_index
from tests import programs
from tests.conftest import DATA, run_newswire
from tests.programs import HUGO_NAMES

pytestmark = pytest.mark.e2e

# The front-matter key `publisher` is a string; Hugo accepts it as a one-term taxonomy. The
# taxonomy's plural name is the front-matter key, so the config maps publisher → publisher.
CONFIG = """\
baseURL = "https://news.example.org/"
title = "newswire taxonomies"

[taxonomies]
  tag = "tags"
  category = "categories"
  publisher = "publisher"
"""
ENTRY = '<li class="nw-entry" data-date="{{ .Date.Format "2006-01-02T15:04:05Z07:00" }}">'
LIST = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head><body>'
    "<ol>{{ range .Pages.ByDate.Reverse }}" + ENTRY + "{{ .Title }}</li>{{ end }}</ol>"
    "</body></html>"
)
SINGLE = (
    '<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head><body>'
    "<h1>{{ .Title }}</h1><p>{{ .Description }}</p>{{ .Content }}</body></html>"
)
FIXTURES = {
    "world": ["google-news-world.xml", "google-news-search.xml"],
    "local": ["rss-basic.xml", "ukrainian-feed.xml"],
    "blog": ["atom-blog.xml"],
}


@dataclass(frozen=True)
class Site:
    root: Path
    pages: dict[Path, dict[str, Any]]


@pytest.fixture(scope="module", params=HUGO_NAMES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    hugo = programs.hugo(request.param).path
    root = tmp_path_factory.mktemp(f"hugo-taxonomies-{request.param}")
    for section, names in FIXTURES.items():
        feeds = [DATA / name for name in names]
        done = run_newswire("run", "--site-dir", root, "--section", section, *feeds, cwd=root)
        assert done.returncode == 0, done.stdout + done.stderr
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    for name, text in (("list.html", LIST), ("terms.html", LIST), ("single.html", SINGLE)):
        (layouts / name).write_text(text, encoding="utf-8")
    build = programs.build_hugo_site(hugo, root)
    assert build.returncode == 0, build.stdout + build.stderr
    pages = {
        path: parse_markdown(path.read_bytes())[0]
        for path in sorted((root / "content").rglob("*.md"))
        if not is_section_index(path.relative_to(root).as_posix())
    }
    assert len(pages) == 12
    return Site(root, pages)


def listed(page: Path) -> list[tuple[str, str]]:
    text = page.read_text(encoding="utf-8")
    return [
        (html.unescape(title), date)
        for date, title in re.findall(r'<li class="nw-entry" data-date="([^"]+)">(.*?)</li>', text)
    ]


def term_page(site: Site, taxonomy: str, term: str) -> Path:
    """Hugo's URL for a term: lower case, spaces to hyphens (Unicode letters kept)."""
    slug = re.sub(r"[\s]+", "-", term.strip().lower())
    slug = re.sub(r"[^\w\-.']", "", slug)
    return site.root / "public" / taxonomy / slug / "index.html"


@pytest.mark.parametrize(
    ("taxonomy", "key"),
    [("tags", "tags"), ("categories", "categories"), ("publisher", "publisher")],
)
def test_each_term_page_lists_exactly_its_articles(site: Site, taxonomy: str, key: str) -> None:
    expected: dict[str, set[str]] = defaultdict(set)
    for meta in site.pages.values():
        value = meta.get(key)
        for term in [value] if isinstance(value, str) else value or []:
            expected[term].add(meta["title"])
    assert expected, f"no {key} in the fixtures"
    for term, titles in expected.items():
        page = term_page(site, taxonomy, term)
        assert page.exists(), f"{taxonomy} page for {term!r} missing: {page}"
        assert {title for title, _ in listed(page)} == titles, term


def test_publishers_are_the_real_publishers_not_google(site: Site) -> None:
    publishers = {m.get("publisher") for m in site.pages.values()} - {None}
    assert {"Al Jazeera", "Ukrinform", "Reuters", "Kyiv Independent"} <= publishers
    categories = {c for m in site.pages.values() for c in m["categories"]}
    assert "news.google.com" not in categories


def test_lists_are_sorted_newest_first(site: Site) -> None:
    for section in FIXTURES:
        entries = listed(site.root / "public" / section / "index.html")
        dates = [date for _, date in entries]
        assert len(entries) == sum(1 for p in site.pages if p.parts[-4] == section)
        assert dates == sorted(dates, reverse=True), section


def test_no_page_shows_omitted_html_or_literal_entities(site: Site) -> None:
    built = list((site.root / "public").rglob("*.html"))
    assert len(built) > 40
    for page in built:
        text = page.read_text(encoding="utf-8")
        assert "raw HTML omitted" not in text, page
        assert "&amp;nbsp;" not in text and "&nbsp;" not in text, page
        assert "&amp;amp;" not in text, page
