"""The site in headless Chromium (Debian's), served by `newswire serve` on loopback.

Every page load is watched: a request to any host but 127.0.0.1 is blocked and recorded, and so
is every console error, page error and failed sub-resource. Screenshots at desktop (1280 wide)
and phone (390 wide) widths are saved to a temporary folder (printed), or to
$NEWSWIRE_SCREENSHOT_DIR. Without Chromium or Playwright these tests skip, except under
CI=true, where they fail.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

from newswire.adapters.local import SqliteIndex
from newswire.bootstrap import INDEX_FILE
from newswire.models import IndexRecord, newest_first
from newswire.render import parse_markdown
from newswire.site.paths import article_path
from tests import programs
from tests.conftest import DATA, fake_aws_environment, newswire_command, run_newswire
from tests.site.conftest import SCREENSHOTS

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Request, Route

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
SECTIONS = {
    "world": ["google-news-world.xml", "google-news-search.xml"],
    "local": ["rss-basic.xml"],
    "ukraine": ["ukrainian-feed.xml"],
    "blog": ["atom-blog.xml"],
    "arabic": ["google-news-arabic.xml"],
}
LOOPBACK = "127.0.0.1"


def chromium_path() -> str:
    """Debian's Chromium, or skip (fail under CI=true) with the reason."""
    reasons = []
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        reasons.append("the playwright package is not installed (pip install -e '.[dev]')")
    found = os.environ.get("NEWSWIRE_CHROMIUM") or shutil.which("chromium")
    if not found:
        reasons.append("Debian's chromium is not installed (apt-get install chromium)")
    if reasons:
        programs.missing("; ".join(reasons))
    assert found is not None
    return found


@dataclass
class Site:
    root: Path
    url: str
    records: list[IndexRecord]
    screenshots: Path

    def shot(self, page: Page, name: str) -> Path:
        path = self.screenshots / f"{name}.png"
        page.screenshot(path=str(path))
        return path


@dataclass
class Watch:
    """What a page did that it must not: leave loopback, log errors, fail to load a resource."""

    external: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def route(self, route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname == LOOPBACK:
            route.continue_()
        else:
            self.external.append(request.url)
            route.abort("blockedbyclient")

    def console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"console {message.type}: {message.text}")

    def response(self, response: Any) -> None:
        if response.status >= 400 and response.request.resource_type != "document":
            self.errors.append(f"{response.status} for {response.url}")

    def failed(self, request: Request) -> None:
        # A navigation cancels what the page was still loading (its icon): not a failure.
        if request.failure != "net::ERR_ABORTED" and urlsplit(request.url).hostname == LOOPBACK:
            self.errors.append(f"failed: {request.url} {request.failure}")

    def attach(self, context: BrowserContext) -> None:
        context.route("**/*", self.route)
        context.on("console", self.console)
        context.on("weberror", lambda error: self.errors.append(f"page error: {error.error}"))
        context.on("requestfailed", self.failed)
        context.on("response", self.response)


@pytest.fixture(scope="module")
def site(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Site]:
    chromium_path()
    root = tmp_path_factory.mktemp("browser") / "site"
    for section, names in SECTIONS.items():
        # Relative paths: the pages show each article's source feed, and the screenshots too.
        done = run_newswire("run", "--site-dir", root, "--section", section, *names, cwd=DATA)
        assert done.returncode == 0, done.stdout + done.stderr
    index = SqliteIndex(root / INDEX_FILE)
    records = newest_first(index.latest(limit=1000))
    index.close()
    shots = Path(os.environ.get("NEWSWIRE_SCREENSHOT_DIR") or tmp_path_factory.mktemp("screens"))
    shots.mkdir(parents=True, exist_ok=True)
    request.config.stash[SCREENSHOTS] = shots
    server = subprocess.Popen(
        [*newswire_command(), "serve", "--site-dir", str(root), "--port", "0"],
        env=fake_aws_environment(dict(os.environ)), stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert " at http://127.0.0.1:" in line, line
        yield Site(root, line.split(" at ", 1)[1].split(" ", 1)[0], records, shots)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(site: Site) -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), headless=True)
        yield browser
        browser.close()


@pytest.fixture(params=[DESKTOP, PHONE], ids=["desktop", "phone"])
def viewport(request: pytest.FixtureRequest) -> dict[str, int]:
    size: dict[str, int] = request.param
    return size


@pytest.fixture
def watch() -> Watch:
    return Watch()


@pytest.fixture
def page(browser: Browser, viewport: dict[str, int], watch: Watch) -> Iterator[Page]:
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    watch.attach(context)
    page = context.new_page()
    yield page
    context.close()
    assert watch.external == [], "requests that would have left loopback"
    assert watch.errors == []


def width_name(page: Page) -> str:
    size = page.viewport_size
    return "desktop" if size and size["width"] >= 1000 else "phone"


def titles(page: Page) -> list[str]:
    return [t.strip() for t in page.locator(".entry-title a").all_inner_texts()]


def test_home_lists_the_fixture_articles_newest_first(site: Site, page: Page) -> None:
    page.goto(site.url)

    assert len(site.records) == 12 + len([r for r in site.records if r.section == "arabic"]) > 12
    assert titles(page) == [r.title for r in site.records]
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Latest news"
    times = page.locator(".entry time").evaluate_all("els => els.map(e => e.dateTime)")
    assert [datetime.fromisoformat(t) for t in times] == [r.date for r in site.records]
    no_sideways_scroll(page)
    site.shot(page, f"home-{width_name(page)}")


def test_a_tag_link_reaches_exactly_that_tags_articles(site: Site, page: Page) -> None:
    counts: dict[str, int] = {}
    for record in site.records:
        for tag in record.tags:
            counts[tag] = counts.get(tag, 0) + 1
    tag = max(counts, key=lambda t: (counts[t], t))
    assert counts[tag] >= 2, "the fixtures share a tag"
    page.goto(site.url)

    page.locator("a.term-tag", has_text=tag).first.click()

    page.wait_for_url(f"**/tags/{tag}/")
    assert page.locator("h1").inner_text() == tag
    assert titles(page) == [r.title for r in site.records if tag in r.tags]
    site.shot(page, f"tag-{width_name(page)}")


def test_an_article_page_shows_its_related_coverage(site: Site, page: Page) -> None:
    story = next(r for r in site.records if r.publisher == "Al Jazeera")
    meta, _ = parse_markdown((site.root / story.key).read_bytes())
    related = meta["related"]
    assert len(related) == 4
    page.goto(site.url)

    page.get_by_role("link", name=story.title, exact=True).click()

    page.wait_for_url(f"**/{story.key.removeprefix('content/').removesuffix('.md')}/")
    assert page.locator("h1").inner_text() == story.title
    section = page.get_by_role("region", name="Related coverage")
    items = section.locator("li")
    assert items.count() == 4
    for item, expected in zip(items.all_inner_texts(), related, strict=True):
        assert expected["title"] in item and expected["publisher"] in item
    links = section.locator("a").evaluate_all("els => els.map(e => e.href)")
    assert links == [r["url"] for r in related]
    original = page.get_by_role("link", name="Read the full story at Al Jazeera")
    assert original.get_attribute("href") == meta["link"]
    path = story.key.removeprefix("content/").removesuffix(".md")
    canonical = page.locator('link[rel="canonical"]').get_attribute("href")
    # Built for the default preview address; `serve` on another port serves its own.
    assert canonical == f"{site.url}articles/{path}/"
    no_sideways_scroll(page)
    site.shot(page, f"article-{width_name(page)}")


def test_keyboard_focus_is_visible_and_skips_to_content(site: Site, page: Page) -> None:
    page.goto(site.url)
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    box = skip.bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link shows when focused"
    page.keyboard.press("Tab")
    style = page.locator(":focus").evaluate(
        "e => { const s = getComputedStyle(e); return [s.outlineStyle, s.outlineWidth]; }"
    )
    assert style[0] == "solid" and float(style[1].removesuffix("px")) >= 2


def test_a_missing_page_is_the_sites_404(site: Site, page: Page, watch: Watch) -> None:
    response = page.goto(site.url + "no/such/page/")
    assert response is not None and response.status == 404
    # The one error expected: Chromium logs the document's own 404.
    watch.errors.remove(
        "console error: Failed to load resource: the server responded with a status of 404 "
        "(Not Found)"
    )
    assert page.locator("h1").inner_text() == "Page not found"
    # Its stylesheet loaded (root-relative links work at any depth).
    assert page.locator("body").evaluate("b => getComputedStyle(b).fontFamily") != "Times New Roman"


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= (page.viewport_size or {"width": 0})["width"], "the page scrolls sideways"


def test_the_index_pages_list_their_terms_with_counts(site: Site, page: Page) -> None:
    tags: dict[str, int] = {}
    for record in site.records:
        for tag in record.tags:
            tags[tag] = tags.get(tag, 0) + 1
    page.goto(site.url)

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Topics").click()

    page.wait_for_url("**/tags/")
    assert page.locator("h1").inner_text() == "Tags"
    listed = page.locator(".term-index li").all_inner_texts()
    shared = sorted(((n, t) for t, n in tags.items() if n > 1), key=lambda i: (-i[0], i[1]))
    assert shared, "the fixtures share tags"
    assert {line.rsplit(" ", 2)[0] for line in listed} == {t for _, t in shared}
    for line in listed:
        term, count, _ = line.rsplit(" ", 2)
        assert int(count) == tags[term], line
    page.locator(".term-index a").first.click()
    assert page.locator("h1").inner_text() in tags
    feed = page.get_by_role("link", name="RSS feed of this list")
    response = page.request.get(page.url + "feed.xml")
    assert feed.evaluate("e => e.href") == page.url + "feed.xml" and response.ok
    assert response.headers["content-type"].startswith(("application/rss+xml", "application/xml"))
    site.shot(page, f"tags-{width_name(page)}")

    page.get_by_role("navigation", name="Site").get_by_role("link", name="Publishers").click()
    publishers = {r.publisher for r in site.records if r.publisher}
    named = {line.rsplit(" ", 2)[0] for line in page.locator(".term-index li").all_inner_texts()}
    assert named == publishers


def test_a_section_page_lists_its_section_and_has_a_feed(site: Site, page: Page) -> None:
    story = next(r for r in site.records if r.section == "world")
    page.goto(site.url + article_path(story))

    page.locator(".story-aside").get_by_role("link", name="World", exact=True).click()

    page.wait_for_url("**/articles/world/")
    assert page.locator("h1").inner_text() == "World"
    assert titles(page) == [r.title for r in site.records if r.section == "world"]
    response = page.request.get(page.url + "feed.xml")
    assert response.ok and b"<title>World" in response.body()


def test_article_pages_show_readers_no_plumbing(site: Site, page: Page) -> None:
    for record in site.records:
        meta, _ = parse_markdown((site.root / record.key).read_bytes())
        page.goto(site.url + article_path(record))
        text = page.locator("body").inner_text()
        for plumbing in (meta["id"], meta["slug"], *meta["feed"], "Draft", "Source feed", "GUID"):
            assert plumbing not in text, (record.key, plumbing)
        if len(str(meta.get("guid", ""))) > 8:
            assert str(meta["guid"]) not in text


def test_an_arabic_article_reads_right_to_left_in_an_english_site(site: Site, page: Page) -> None:
    story = next(r for r in site.records if r.section == "arabic")
    page.goto(site.url + article_path(story))
    html = page.locator("html")
    assert (html.get_attribute("lang"), html.get_attribute("dir")) == ("ar", "rtl")
    title = page.locator("h1")
    assert title.evaluate("e => getComputedStyle(e).direction") == "rtl"
    nav = page.get_by_role("navigation", name="Site")
    assert nav.evaluate("e => getComputedStyle(e).direction") == "ltr"
    assert page.locator(".site-header").get_attribute("lang") == "en"
    no_sideways_scroll(page)
    site.shot(page, f"arabic-{width_name(page)}")
    # In the English home page, its headline still reads right to left.
    page.goto(site.url)
    entry = page.locator(".entry-title", has_text=story.title)
    assert entry.evaluate("e => getComputedStyle(e).direction") == "rtl"
    assert page.locator("html").get_attribute("dir") == "ltr"


def test_the_archive_counts_each_month_and_day(site: Site, page: Page) -> None:
    page.goto(site.url + "archive/")
    months: dict[str, int] = {}
    for record in site.records:
        month = record.month
        months[month] = months.get(month, 0) + 1
    links = page.locator(".months a").all_inner_texts()
    assert len(links) == len(months)
    shown = sorted(int(text.split()[-2]) for text in links)
    assert shown == sorted(months.values())
