"""What the Lambda functions do, minus the Lambda plumbing: load config, run, report."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable, Mapping
from typing import Any

from newswire.bootstrap import Settings, aws_client, build_ingestor
from newswire.config import Config, ConfigError, feed_from_mapping, load_config, parse_config
from newswire.models import FeedConfig, RunSummary

DEFAULT_CONFIG = "/opt/newswire/feeds.yaml"


def load_lambda_config(settings: Settings, env: Mapping[str, str] = os.environ) -> Config:
    """The feeds config from an S3 key (FEEDS_CONFIG_KEY) if set, else the bundled file."""
    key = env.get("FEEDS_CONFIG_KEY")
    if key:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            body = aws_client("s3", settings).get_object(Bucket=settings.bucket, Key=key)["Body"]
            text = body.read().decode("utf-8")
        except (ClientError, BotoCoreError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"s3://{settings.bucket}/{key}: cannot read the feeds file: {exc}"
            ) from exc
        return parse_config(text, source=f"s3://{settings.bucket}/{key}")
    return load_config(env.get("FEEDS_CONFIG", DEFAULT_CONFIG))


def feeds_from_event(detail: Mapping[str, Any], config: Config) -> tuple[FeedConfig, ...]:
    """The event's own feed list (`detail.feeds`: URLs or feed mappings) or the configured one."""
    listed = detail.get("feeds")
    if not listed:
        return config.feeds
    if not isinstance(listed, list):
        raise ConfigError("event detail: 'feeds' must be a list of URLs or feed mappings")
    feeds = []
    for i, raw in enumerate(listed):
        spec = {"url": raw} if isinstance(raw, str) else raw
        if not isinstance(spec, Mapping):
            raise ConfigError(f"event detail: feed #{i + 1}: expected a URL or a mapping")
        feeds.append(feed_from_mapping(spec, where=f"event detail: feed #{i + 1}"))
    return tuple(feeds)


def run_scheduled(
    detail: Mapping[str, Any],
    *,
    seconds_left: Callable[[], float] | None = None,
    env: Mapping[str, str] = os.environ,
) -> RunSummary:
    settings = Settings.from_env(env)
    config = load_lambda_config(settings, env)
    feeds = feeds_from_event(detail, config)
    settings = dataclasses.replace(settings, allow_hosts=config.allow_hosts, enrich=config.enrich)
    return build_ingestor(settings).run(feeds, seconds_left=seconds_left)


def metric_values(summary: RunSummary) -> dict[str, int]:
    """The run's counts under the metric names the dashboards and alarms use."""
    counts = summary.counts
    return {
        "FeedsFetched": counts["fetched"],
        "FeedsNotModified": counts["not_modified"],
        "FeedsFailed": counts["failed"],
        "FeedsSkipped": counts["skipped"],
        "ArticlesNew": counts["new"],
        "ArticlesUpdated": counts["updated"],
        "ArticlesUnchanged": counts["unchanged"],
        "ArticlesFailed": counts["failed_items"],
    }
