"""The real consumer: Hugo builds a minimal site from the content `newswire run` wrote, and every
article becomes a page whose title, date, tags and body came through."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from newswire.render import parse_markdown
from newswire.sections import is_section_index
from tests import programs
from tests.conftest import DATA, run_newswire
from tests.programs import HUGO_NAMES

pytestmark = pytest.mark.e2e

RFC3339 = "2006-01-02T15:04:05Z07:00"  # Go's reference time
ARTICLES = 22  # 3 + 5 English, 3 German, 3 Arabic, 4 Japanese, 2 + 2 Ukrainian
CONFIG = """\
baseURL = "https://news.example.org/"
title = "newswire e2e"

[taxonomies]
  tag = "tags"
  category = "categories"
"""
SINGLE = f"""\
<!DOCTYPE html>
<html lang="{{{{ .Params.language }}}}">
<head><meta charset="utf-8"><title>{{{{ .Title }}}}</title></head>
<body>
<h1 class="nw-title">{{{{ .Title }}}}</h1>
<time class="nw-date">{{{{ .Date.Format "{RFC3339}" }}}}</time>
<ul class="nw-tags">{{{{ range .Params.tags }}}}<li>{{{{ . }}}}</li>{{{{ end }}}}</ul>
<div class="nw-content">
{{{{ .Content }}}}
</div>
<footer class="nw-end"></footer>
</body></html>
"""
LIST = """\
<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>
<ul>{{ range .Pages }}<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
</body></html>
"""


@dataclass
class ContentText(HTMLParser):
    """The visible text, link targets and image sources of a rendered fragment."""

    words: list[str] = field(default_factory=list)
    hrefs: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.hrefs.append(str(values["href"]))
        if tag == "img" and values.get("src"):
            self.images.append(str(values["src"]))

    def handle_data(self, data: str) -> None:
        self.words.extend(words(data))


def words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


MD_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)\)")
MD_LINK = re.compile(r"\[((?:\\.|[^\]\\])*)\]\(([^)\s]+)\)")


def markdown_words(body: str) -> list[str]:
    """The words a reader sees in the Markdown newswire writes (links and images unwrapped)."""
    text = MD_IMAGE.sub("", body)
    text = MD_LINK.sub(lambda m: m.group(1), text)
    return words(text)


@dataclass(frozen=True)
class Page:
    language: str
    title: str
    date: str
    tags: list[str]
    content: ContentText


def read_page(path: Path) -> Page:
    text = path.read_text(encoding="utf-8")

    def one(pattern: str) -> str:
        match = re.search(pattern, text, re.DOTALL)
        assert match is not None, f"{pattern} not found in {path}"
        return match.group(1)

    tags = re.findall(r"<li>(.*?)</li>", one(r'<ul class="nw-tags">(.*?)</ul>'))
    content = ContentText()
    content.feed(one(r'<div class="nw-content">(.*)</div>\s*<footer class="nw-end">'))
    content.close()
    return Page(
        language=one(r'<html lang="(.*?)">'),
        title=html.unescape(one(r'<h1 class="nw-title">(.*?)</h1>')),
        date=html.unescape(one(r'<time class="nw-date">(.*?)</time>')),
        tags=[html.unescape(t) for t in tags],
        content=content,
    )


@dataclass(frozen=True)
class BuiltSite:
    root: Path
    build: subprocess.CompletedProcess[str]

    @property
    def output(self) -> str:
        return self.build.stdout + self.build.stderr


@pytest.fixture(scope="module")
def content(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """What `newswire run` wrote, once for the module; each Hugo builds its own copy."""
    site = tmp_path_factory.mktemp("newswire-site")
    for section, feeds in (
        ("world", [DATA / "google-news-world.xml"]),
        ("news", [DATA / "rss-basic.xml", DATA / "atom-blog.xml"]),
        # Each declares its language; Arabic and Japanese also make id-based slugs.
        ("hamburg", [DATA / "german-feed.xml"]),
        ("alam", [DATA / "google-news-arabic.xml"]),
        ("nihon", [DATA / "google-news-japanese.xml"]),
        ("ukraine", [DATA / "ukrainian-feed.xml", DATA / "google-news-ukrainian.xml"]),
    ):
        done = run_newswire("run", "--site-dir", site, "--section", section, *feeds, cwd=site)
        assert done.returncode == 0, done.stdout + done.stderr
    return site / "content"


@pytest.fixture(scope="module", params=HUGO_NAMES)
def built_site(
    request: pytest.FixtureRequest, content: Path, tmp_path_factory: pytest.TempPathFactory
) -> BuiltSite:
    hugo = programs.hugo(request.param).path
    site = tmp_path_factory.mktemp(f"hugo-{request.param}")
    shutil.copytree(content, site / "content")
    (site / "config.toml").write_text(CONFIG, encoding="utf-8")
    layouts = site / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(LIST, encoding="utf-8")
    build = programs.build_hugo_site(hugo, site, "--printPathWarnings")
    return BuiltSite(site, build)


def articles(site: Path) -> dict[Path, tuple[dict[str, Any], str]]:
    out = {}
    for path in sorted((site / "content").rglob("*.md")):
        if not is_section_index(path.relative_to(site).as_posix()):
            out[path] = parse_markdown(path.read_bytes())
    return out


def page_path(site: Path, markdown: Path, meta: dict[str, Any]) -> Path:
    """Hugo's page for content/<section>/<YYYY>/<MM>/<file>.md with front matter `slug`."""
    directory = markdown.parent.relative_to(site / "content")
    return site / "public" / directory / str(meta["slug"]) / "index.html"


def test_hugo_builds_the_site_without_errors(
    built_site: BuiltSite,
) -> None:
    site, output = built_site.root, built_site.output
    assert built_site.build.returncode == 0, output
    assert "ERROR" not in output, output
    assert "WARN" not in output, output
    assert "Duplicate target paths" not in output, output
    assert len(articles(site)) == ARTICLES


def test_every_article_is_a_page_with_its_title_date_tags_and_body(
    built_site: BuiltSite,
) -> None:
    site = built_site.root
    assert built_site.build.returncode == 0, built_site.output
    found = articles(site)
    assert len(found) == ARTICLES
    for markdown, (meta, body) in found.items():
        path = page_path(site, markdown, meta)
        assert path.is_file(), f"{markdown.name}: no page at {path.relative_to(site)}"
        page = read_page(path)

        assert page.title == meta["title"], path
        built, written = datetime.fromisoformat(page.date), datetime.fromisoformat(meta["date"])
        assert built == written, path
        assert built.utcoffset() == written.utcoffset(), path
        assert page.tags == meta["tags"], path
        assert page.language == meta["language"], path  # the page's lang comes from it

        # The body came through: the same words in the same order, every link and image.
        assert page.content.words == markdown_words(body), path
        assert page.content.words, f"{path}: empty body"
        for _, url in MD_LINK.findall(MD_IMAGE.sub("", body)):
            assert url in page.content.hrefs, f"{path}: link {url} lost"
        for _, url in MD_IMAGE.findall(body):
            assert url in page.content.images, f"{path}: image {url} lost"


def test_google_news_pages_list_the_related_coverage(
    built_site: BuiltSite,
) -> None:
    site = built_site.root
    lead = site / "content/world/2026/01/russia-ukraine-war-list-of-key-events-day-1407.md"
    meta, _ = parse_markdown(lead.read_bytes())
    page = read_page(page_path(site, lead, meta))
    assert len(meta["related"]) == 4
    for related in meta["related"]:
        assert related["url"] in page.content.hrefs
        assert words(related["publisher"]) and " ".join(words(related["publisher"])) in " ".join(
            page.content.words
        )


def test_taxonomy_pages_exist_for_the_tags(
    built_site: BuiltSite,
) -> None:
    site = built_site.root
    tags = {tag for meta, _ in articles(site).values() for tag in meta["tags"]}
    assert tags
    for tag in tags:
        term = re.sub(r"[^\w-]+", "-", tag.lower()).strip("-")
        assert (site / "public" / "tags" / term / "index.html").is_file(), tag
