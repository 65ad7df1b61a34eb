"""The site on the AWS backend (S3 and DynamoDB on moto, the table from template.yaml): the
incremental builds after each run equal a full rebuild byte for byte, as on the embedded one."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from newswire import service
from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.s3 import S3Store
from newswire.bootstrap import Settings, build_ingestor
from newswire.models import RunSummary
from newswire.site.build import build_full_site, build_site
from newswire.site.options import SiteOptions
from newswire.site.paths import page_key, term_path
from tests.conftest import LOOPBACK, REGION, FeedServer
from tests.site.helpers import BASE_URL, DATA, SECOND_RUN, add_harbour_item, first_run

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RSS = "application/rss+xml; charset=utf-8"
OPTIONS = SiteOptions(page_size=4, home_pages=2, archive_page_size=2, feed_size=6, list_limit=3)


def site_objects(store: S3Store) -> dict[str, bytes]:
    return {
        key: store.get(key) or b""
        for key in sorted(store.keys(""))
        if not key.startswith("content/")
    }


def test_incremental_builds_equal_a_full_rebuild_on_aws(
    s3_client: S3Client, bucket: str, index_table: str, tmp_path: Path
) -> None:
    settings = Settings(
        bucket=bucket, table=index_table, region=REGION, allow_local=True, workers=2
    )
    ingestor = build_ingestor(settings)
    assert isinstance(ingestor.store, S3Store) and isinstance(ingestor.index, DynamoIndex)
    for feeds in (first_run(tmp_path), SECOND_RUN, (add_harbour_item(tmp_path),)):
        summary = ingestor.run(list(feeds))
        assert summary.counts["failed"] == 0, summary.as_dict()
        report = build_site(
            summary.changed,
            ingestor.store,
            ingestor.index,
            base_url=BASE_URL,
            replaced=summary.replaced,
            options=OPTIONS,
        )
        assert not report.failed
    built = site_objects(ingestor.store)

    s3_client.create_bucket(Bucket=f"{bucket}-full")
    copy = S3Store(s3_client, f"{bucket}-full")
    for key in ingestor.store.keys("content/"):
        copy.put(key, ingestor.store.get(key) or b"")
    full = build_full_site(copy, ingestor.index, base_url=BASE_URL, options=OPTIONS)

    assert not full.failed
    assert site_objects(copy) == built
    assert "page/2/index.html" in built and "archive/2026/01/02/page/2/index.html" in built


def test_the_scheduled_run_updates_the_site_in_the_bucket(
    s3_client: S3Client,
    bucket: str,
    index_table: str,
    feed_server: FeedServer,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The real wiring: run_scheduled's inline path on S3 and DynamoDB (lists by term from the
    ByTerm index, the build lease on the table), feeds from a loopback server."""
    world = feed_server.serve_file("/world.xml", DATA / "google-news-world.xml", RSS)
    harbour = feed_server.serve_file("/harbour.xml", DATA / "rss-basic.xml", RSS)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"feeds:\n  - {{url: '{world}', name: world, section: world}}\n"
        f"  - {{url: '{harbour}', name: harbour, section: local}}\n",
        encoding="utf-8",
    )
    env = {
        "CONTENT_BUCKET": bucket,
        "INDEX_TABLE": index_table,
        "FEEDS_CONFIG": str(config),
        "SITE_URL": "https://d111111abcdef8.cloudfront.net/",
        "NEWSWIRE_ALLOW_HOSTS": LOOPBACK,  # the Lambda reads it from its environment
    }
    caplog.set_level(logging.INFO, logger="newswire.site")

    summary = service.run_scheduled({}, env=env, seconds_left=lambda: 600.0)

    assert isinstance(summary, RunSummary) and summary.counts["new"] == 6
    assert not [r for r in caplog.records if r.getMessage() == "site not updated"]
    store = S3Store(s3_client, bucket)
    site = site_objects(store)
    head = s3_client.head_object(Bucket=bucket, Key="index.html")
    assert (head["ContentType"], head["CacheControl"]) == (
        "text/html; charset=utf-8",
        "public, max-age=300",
    )
    home = site["index.html"].decode("utf-8")
    assert '<link rel="canonical" href="https://d111111abcdef8.cloudfront.net/">' in home
    al_jazeera = site[page_key(term_path("publisher", "Al Jazeera"))].decode("utf-8")
    assert "Russia-Ukraine war: List of key events, day 1,407" in al_jazeera
    # The same as a full rebuild from the table.
    index = DynamoIndex(boto3.client("dynamodb", region_name=REGION), index_table)
    full = build_full_site(store, index, base_url=env["SITE_URL"])
    assert full.written == [] and not full.failed
