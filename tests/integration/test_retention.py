"""`retention` in feeds.yaml: the scheduled run on AWS (S3 and DynamoDB on moto) deletes the
articles older than it, and takes them off the site in the same run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from newswire import service
from newswire.adapters.s3 import S3Store
from newswire.config import ConfigError, parse_config
from newswire.models import RunSummary
from newswire.sections import is_section_index
from tests.conftest import LOOPBACK, FeedServer
from tests.site.helpers import DATA

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

RSS = "application/rss+xml; charset=utf-8"
OLDEST_SLUG = "45-combat-engagements-on-the-front"  # dated 2025-12; the other two 2026-01


def test_the_scheduled_run_prunes_what_retention_lets_go(
    s3_client: S3Client, bucket: str, index_table: str, feed_server: FeedServer, tmp_path: Path
) -> None:
    world = feed_server.serve_file("/world.xml", DATA / "google-news-world.xml", RSS)
    # A cutoff a few hours into 2026-01-01: after the oldest (2025-12-31 22:05), before 07:30.
    hours = int((datetime.now(UTC) - datetime(2026, 1, 1, 3, tzinfo=UTC)).total_seconds() // 3600)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        f"retention: {hours}h\nfeeds:\n  - {{url: '{world}', name: world, section: world}}\n",
        encoding="utf-8",
    )
    env = {
        "CONTENT_BUCKET": bucket,
        "INDEX_TABLE": index_table,
        "FEEDS_CONFIG": str(config),
        "SITE_URL": "https://news.example/",
        "NEWSWIRE_ALLOW_HOSTS": LOOPBACK,  # the Lambda reads it from its environment
    }

    summary = service.run_scheduled({}, env=env, seconds_left=lambda: 600.0)

    assert isinstance(summary, RunSummary) and summary.counts["new"] == 3
    store = S3Store(s3_client, bucket)
    keys = set(store.keys(""))
    assert [k for k in keys if k.startswith("content/")] and not [
        k for k in keys if OLDEST_SLUG in k
    ]
    for key in keys:
        assert OLDEST_SLUG.encode() not in (store.get(key) or b""), key
    assert b"russia-ukraine-war-list-of-key-events" in (store.get("index.html") or b"")
    articles = [k for k in keys if k.startswith("content/") and not is_section_index(k)]
    assert len(articles) == 2

    # An event with its own feed list (a manual run of a few feeds) prunes nothing.
    assert service.apply_retention(parse_config(config.read_text()), None, {"feeds": ["x"]}) == []  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["forever", "0d", "-3d", "90"])
def test_an_invalid_retention_is_a_config_error(value: str) -> None:
    with pytest.raises(ConfigError, match=r"'retention': .* is not a duration"):
        parse_config(f"retention: '{value}'\nfeeds:\n  - https://a.example/feed\n")
