"""The site's own feeds read back: RSS 2.0 by feedparser, JSON Feed 1.1 against a schema
written from the spec (feedparser 6.0 reads no JSON Feed; PyPI's one JSON Feed validator is a
2017 release for version 1.0), sitemaps by the sitemap protocol, robots.txt."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import jsonschema
import pytest

from newswire.adapters.local import SqliteIndex
from newswire.bootstrap import INDEX_FILE
from newswire.models import IndexRecord
from newswire.site.build import build_site
from newswire.site.markup import summary_text
from newswire.site.options import SiteOptions
from newswire.site.paths import article_path
from newswire.text import html_to_text
from tests.site.helpers import BASE_URL, SECOND_RUN, first_run, ingest, ingestor

SCHEMA = json.loads((Path(__file__).parent / "jsonfeed-1.1.schema.json").read_text("utf-8"))
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
FEED_SIZE = 8


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[IndexRecord]]:
    root = tmp_path_factory.mktemp("feeds") / "site"
    folder = root.parent
    summary = ingest(root, (*first_run(folder), *SECOND_RUN))
    ingest_again = ingestor(root)  # the same store and index, for the build
    build_site(
        summary.changed,
        ingest_again.store,
        ingest_again.index,
        base_url=BASE_URL,
        options=SiteOptions(feed_size=FEED_SIZE, title="Harbour & World"),
    )
    index = SqliteIndex(root / INDEX_FILE)
    newest = index.latest(limit=FEED_SIZE)
    index.close()
    return root, newest


def test_rss_parses_back_with_every_item_newest_first(site: tuple[Path, list[IndexRecord]]) -> None:
    root, newest = site
    parsed = feedparser.parse((root / "feed.xml").read_bytes())

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    assert parsed.feed.title == "Harbour & World"
    assert parsed.feed.link == BASE_URL
    assert parsed.feed.language == "en"
    assert [e.title for e in parsed.entries] == [r.title for r in newest]
    for entry, record in zip(parsed.entries, newest, strict=True):
        url = BASE_URL + article_path(record)
        assert entry.link == url and entry.id == url
        assert entry.published_parsed[:6] == record.date.utctimetuple()[:6]
        # <description> is HTML showing the summary's text (the summary itself is Markdown).
        shown = summary_text(record.summary) if record.summary else record.title
        assert html_to_text(entry.summary) == shown
        assert {t.term for t in entry.get("tags", [])} == {*record.tags, *record.categories}
        if record.publisher:
            assert entry.author == record.publisher
    # lastBuildDate is the newest article's time, never the build's.
    assert (
        parsed.feed.updated_parsed[:6]
        == max(max(r.date, r.lastmod) if r.lastmod else r.date for r in newest).utctimetuple()[:6]
    )


def test_json_feed_is_valid_json_feed_1_1(site: tuple[Path, list[IndexRecord]]) -> None:
    root, newest = site
    feed = json.loads((root / "feed.json").read_bytes())

    validator = jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )
    errors = sorted(validator.iter_errors(feed), key=str)
    assert errors == [], [e.message for e in errors]
    assert feed["feed_url"] == f"{BASE_URL}feed.json"
    assert [item["title"] for item in feed["items"]] == [r.title for r in newest]
    for item, record in zip(feed["items"], newest, strict=True):
        assert item["id"] == item["url"] == BASE_URL + article_path(record)
        assert item["external_url"] == record.link
        published = datetime.fromisoformat(item["date_published"])  # RFC 3339, with offset
        assert published == record.date and published.tzinfo is not None
        assert item.get("authors", [{}])[0].get("name") == record.publisher
    for url in _urls(feed):
        parts = urlsplit(url)
        assert parts.scheme in ("http", "https") and parts.netloc, url


def _urls(value: object) -> list[str]:
    if isinstance(value, dict):
        return [
            u
            for key, item in value.items()
            for u in ([item] if key.endswith("url") or key in ("image", "favicon") else _urls(item))
            if isinstance(u, str)
        ]
    if isinstance(value, list):
        return [u for item in value for u in _urls(item)]
    return []


def test_the_schema_rejects_what_the_spec_forbids() -> None:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    good = {"version": "https://jsonfeed.org/version/1.1", "title": "t", "items": [
        {"id": "1", "content_text": "x"}
    ]}  # fmt: skip
    assert validator.is_valid(good)
    for bad in (
        {**good, "version": "https://jsonfeed.org/version/1"},
        {k: v for k, v in good.items() if k != "title"},
        {**good, "items": [{"id": "1"}]},  # neither content_html nor content_text
        {**good, "items": [{"content_text": "x"}]},  # no id
        {**good, "items": [{"id": 1, "content_text": "x"}]},
        {**good, "author": {"name": "1.0 field, gone in 1.1"}},
        {**good, "authors": [{}]},
    ):
        assert not validator.is_valid(bad), bad
    assert validator.is_valid({**good, "_newswire": {"any": "extension"}})


def test_sitemaps_list_every_article_by_day(site: tuple[Path, list[IndexRecord]]) -> None:
    root, _ = site
    sqlite = SqliteIndex(root / INDEX_FILE)
    everything = sqlite.latest(limit=1000)
    sqlite.close()
    index = ET.parse(root / "sitemap.xml").getroot()
    assert index.tag == f"{SITEMAP}sitemapindex"
    listed = [loc.text for loc in index.iter(f"{SITEMAP}loc")]
    days = sorted({r.published[:10] for r in everything}, reverse=True)
    assert "2025-12-31" in days and len(days) > 3
    assert listed == [f"{BASE_URL}sitemap-{day}.xml" for day in days]
    urls = []
    for url in listed:
        assert url is not None
        urlset = ET.parse(root / url.removeprefix(BASE_URL)).getroot()
        assert urlset.tag == f"{SITEMAP}urlset"
        for entry in urlset.iter(f"{SITEMAP}url"):
            urls.append(entry.findtext(f"{SITEMAP}loc"))
            lastmod = entry.findtext(f"{SITEMAP}lastmod")
            assert lastmod and datetime.fromisoformat(lastmod).tzinfo is not None
    assert sorted(u or "" for u in urls) == sorted(BASE_URL + article_path(r) for r in everything)
    robots = (root / "robots.txt").read_text("utf-8")
    assert f"Sitemap: {BASE_URL}sitemap.xml" in robots.splitlines()
