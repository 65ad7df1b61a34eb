"""The Hugo example (docs/hugo-example) on what `newswire run` wrote, built by each Hugo: sections
take their titles from newswire's `_index.md` ("World", never Hugo's "Worlds"), an article page
sends the reader to the publisher and shows no internal ids, and the taxonomy index pages list
their terms with counts (tags only when more than one article shares them)."""

from __future__ import annotations

import html
import re
import shutil
from collections import Counter
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

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "hugo-example"
FEEDS = """\
sections:
  world: World
feeds:
  - name: nw-feed-world
    url: {world}
    section: world
  - name: nw-feed-harbour
    url: {harbour}
    section: local-news
  - name: nw-feed-poltava
    url: {poltava}
    section: ukraine
    language: uk
"""


@dataclass(frozen=True)
class Site:
    root: Path
    articles: dict[Path, dict[str, Any]]

    def page(self, path: str) -> str:
        return (self.root / "public" / path / "index.html").read_text(encoding="utf-8")


@pytest.fixture(scope="module", params=HUGO_NAMES)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Site:
    hugo = programs.hugo(request.param).path
    root = tmp_path_factory.mktemp(f"hugo-example-{request.param}")
    config = root / "feeds.yaml"
    config.write_text(
        FEEDS.format(
            world=DATA / "google-news-world.xml",
            harbour=DATA / "rss-basic.xml",
            poltava=DATA / "ukrainian-feed.xml",
        ),
        encoding="utf-8",
    )
    done = run_newswire("run", "--site-dir", root, "--config", config, "--no-site", cwd=root)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree(EXAMPLE, root, dirs_exist_ok=True)
    build = programs.build_hugo_site(hugo, root)
    assert build.returncode == 0, build.stdout + build.stderr
    assert "WARN" not in build.stdout + build.stderr
    articles = {
        path: parse_markdown(path.read_bytes())[0]
        for path in sorted((root / "content").rglob("*.md"))
        if not is_section_index(path.relative_to(root).as_posix())
    }
    assert len(articles) == 8
    return Site(root, articles)


def h1(page: str) -> str:
    match = re.search(r"<h1>(.*?)</h1>", page, re.S)
    assert match is not None
    return html.unescape(match.group(1))


def test_sections_are_titled_by_newswire_not_pluralized_by_hugo(site: Site) -> None:
    assert h1(site.page("world")) == "World"
    assert h1(site.page("local-news")) == "Local news"
    assert h1(site.page("ukraine")) == "Ukraine"
    assert "Worlds" not in site.page("world")


def test_an_article_page_sends_the_reader_to_the_publisher_and_shows_no_ids(site: Site) -> None:
    for path, meta in site.articles.items():
        parts = path.relative_to(site.root / "content").parts
        page = site.page("/".join([*parts[:-1], str(meta["slug"])]))
        # The publisher's URL where it is known (a newer Google News id cannot be decoded
        # offline: its redirect is all there is), named by the publisher, never "Google News".
        url = meta.get("url_original") or meta["link"]
        publisher = meta.get("publisher") or re.sub(r"^https?://([^/]+).*", r"\1", url)
        links = re.findall(r'<a class="original" href="([^"]+)"[^>]*>Read at (.*?)</a>', page)
        assert [(html.unescape(u), html.unescape(t)) for u, t in links] == [(url, publisher)]
        text = html.unescape(re.sub(r"<[^>]+>", " ", page))
        guid = [meta["guid"]] if len(meta["guid"]) > 8 else []  # "2" would be found anywhere
        for internal in (meta["id"], *guid, *meta["feed"], "Source feed", "Google News"):
            assert internal not in text, internal


def test_article_pages_say_their_language(site: Site) -> None:
    for path, meta in site.articles.items():
        parts = path.relative_to(site.root / "content").parts
        page = site.page("/".join([*parts[:-1], str(meta["slug"])]))
        language = meta.get("language") or "en"
        assert f'<html lang="{language}" dir="ltr">' in page


def test_taxonomy_index_pages_count_their_terms_and_skip_one_article_tags(site: Site) -> None:
    tags = Counter(t for meta in site.articles.values() for t in meta["tags"])
    shared = {t for t, n in tags.items() if n > 1}
    assert shared and len(shared) < len(tags), "the fixtures have shared and single tags"
    listed = terms(site.page("tags"))
    assert {name.lower() for name in listed} == {t.lower() for t in shared}
    assert all(listed[name] == tags[name.lower()] for name in listed)
    publishers = Counter(m["publisher"] for m in site.articles.values() if m.get("publisher"))
    assert terms(site.page("publisher")) == dict(publishers)
    categories = Counter(c for meta in site.articles.values() for c in meta["categories"])
    assert sum(terms(site.page("categories")).values()) == sum(categories.values())


def terms(page: str) -> dict[str, int]:
    found = re.findall(
        r'<li><a href="[^"]+" dir="auto">(.*?)</a> <span class="meta">(\d+)</span>', page
    )
    return {html.unescape(name): int(count) for name, count in found}
