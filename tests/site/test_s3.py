"""On S3 (moto), every site object carries its Content-Type and Cache-Control; the Markdown
keeps its own type; and the site is written at the bucket's root, never under content/."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from newswire.adapters.local import SqliteIndex
from newswire.adapters.s3 import S3Store
from newswire.fetch import Fetcher
from newswire.ingest import Ingestor
from newswire.site.build import build_site
from newswire.site.paths import SITE_ROOT_FILES, SITE_ROOT_PREFIXES
from tests.site.helpers import BASE_URL, WORLD, first_run

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

EXPECTED = {
    "index.html": ("text/html; charset=utf-8", "public, max-age=300"),
    "tags/war/index.html": ("text/html; charset=utf-8", "public, max-age=300"),
    "archive/2026/01/index.html": ("text/html; charset=utf-8", "public, max-age=300"),
    "archive/2026/01/01/index.html": ("text/html; charset=utf-8", "public, max-age=300"),
    "archive/index.html": ("text/html; charset=utf-8", "public, max-age=300"),
    "feed.xml": ("application/rss+xml; charset=utf-8", "public, max-age=300"),
    "feed.json": ("application/feed+json; charset=utf-8", "public, max-age=300"),
    "sitemap.xml": ("application/xml; charset=utf-8", "public, max-age=300"),
    "sitemap-2026-01-01.xml": ("application/xml; charset=utf-8", "public, max-age=300"),
    "robots.txt": ("text/plain; charset=utf-8", "public, max-age=3600"),
    "404.html": ("text/html; charset=utf-8", "public, max-age=3600"),
    "favicon.svg": ("image/svg+xml", "public, max-age=3600"),
}


def test_site_objects_carry_their_headers(s3_client: S3Client, bucket: str, tmp_path: Path) -> None:
    store = S3Store(s3_client, bucket)
    index = SqliteIndex(tmp_path / "index.sqlite3")
    ingestor = Ingestor(fetcher=Fetcher(allow_local=True), store=store, index=index, workers=1)
    summary = ingestor.run([WORLD, *first_run(tmp_path)[1:]])
    assert summary.counts["new"] == 8

    report = build_site(summary.changed, store, index, base_url=BASE_URL)

    assert not report.failed
    keys = set(store.keys(""))
    assert set(report.written) == keys - set(store.keys("content/"))
    for key in report.written:
        assert key in SITE_ROOT_FILES or key.startswith(SITE_ROOT_PREFIXES), key
    for key, (content_type, cache_control) in EXPECTED.items():
        head = s3_client.head_object(Bucket=bucket, Key=key)
        assert (head["ContentType"], head.get("CacheControl")) == (content_type, cache_control), key
    # An article's page (articles/<section>/<YYYY>/<MM>/<slug>/), not its section's list.
    article = next(k for k in keys if k.startswith("articles/") and k.count("/") == 5)
    head = s3_client.head_object(Bucket=bucket, Key=article)
    assert (head["ContentType"], head["CacheControl"]) == (
        "text/html; charset=utf-8",
        "public, max-age=86400",
    )
    css = next(k for k in keys if k.startswith("css/"))
    head = s3_client.head_object(Bucket=bucket, Key=css)
    assert head["ContentType"] == "text/css; charset=utf-8"
    assert head["CacheControl"] == "public, max-age=31536000, immutable"
    for key in store.keys("content/"):  # the Markdown is untouched by the site
        head = s3_client.head_object(Bucket=bucket, Key=key)
        assert head["ContentType"] == "text/markdown; charset=utf-8"
        assert "CacheControl" not in head

    again = build_site(summary.changed, store, index, base_url=BASE_URL)
    assert again.written == [] and again.unchanged == len(report.written)
    index.close()
