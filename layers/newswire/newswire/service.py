"""What the Lambda functions do, minus the Lambda plumbing: load config, run, report."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from newswire.adapters.sqs import SqsFeedQueue
from newswire.bootstrap import Settings, aws_client, build_ingestor
from newswire.config import Config, ConfigError, feed_from_mapping, load_config, parse_config
from newswire.dispatch import DispatchSummary, failing_for_a_day, feed_message, plan_dispatch
from newswire.ingest import Ingestor
from newswire.models import FeedConfig, FeedResult, FeedStatus, IndexRecord, RunSummary
from newswire.ports import StorageError
from newswire.site.hook import update_site

DEFAULT_CONFIG = "/opt/newswire/feeds.yaml"

log = logging.getLogger("newswire.service")


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
    # A feed listed twice is ingested once (its lease is its owner's: two copies in one run
    # would run at once).
    return tuple({feed.feed_id: feed for feed in reversed(feeds)}.values())[::-1]


@functools.lru_cache(maxsize=4)
def _ingestor(settings: Settings) -> Ingestor:
    """One per container and settings: warm invocations reuse its HTTP and AWS connections."""
    return build_ingestor(settings)


CONFIG_TTL_SECONDS = 60.0
_config_cache: dict[tuple[str, ...], tuple[float, Settings, Config]] = {}


def _lambda_settings(env: Mapping[str, str]) -> tuple[Settings, Config]:
    """Settings and feeds config of a Lambda function. Read at most once a minute per warm
    container: a worker's batch of messages must not fetch and parse the config per message,
    and an edited feeds.yaml in S3 still takes effect within a minute."""
    names = ("CONTENT_BUCKET", "INDEX_TABLE", "FEEDS_CONFIG", "FEEDS_CONFIG_KEY", "FETCH_WORKERS")
    key = tuple(env.get(name, "") for name in names)
    cached = _config_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < CONFIG_TTL_SECONDS:
        return cached[1], cached[2]
    settings = Settings.from_env(env)
    config = load_lambda_config(settings, env)
    settings = dataclasses.replace(settings, allow_hosts=config.allow_hosts, enrich=config.enrich)
    _config_cache[key] = (time.monotonic(), settings, config)
    return settings, config


def run_scheduled(
    detail: Mapping[str, Any],
    *,
    seconds_left: Callable[[], float] | None = None,
    env: Mapping[str, str] = os.environ,
) -> RunSummary | DispatchSummary:
    """The scheduled run: ingest inline when few feeds are due (or there is no queue), else
    send one SQS message per due feed for the workers."""
    started = time.monotonic()
    settings, config = _lambda_settings(env)
    feeds = feeds_from_event(detail, config)
    ingestor = _ingestor(settings)
    ids = [f.feed_id for f in feeds]
    queue_url = env.get("FEEDS_QUEUE_URL")
    if queue_url:
        states = ingestor.index.get_feed_states(ids)
        plan = plan_dispatch(
            feeds,
            states,
            ingestor.clock(),
            inline_below=int(env.get("INLINE_FEEDS_BELOW", "20")),
            queue_available=True,
        )
        if not plan.inline:
            queue = SqsFeedQueue(aws_client("sqs", settings), queue_url)
            queue.send([feed_message(f) for f in plan.due])
            return DispatchSummary(
                dispatched=len(plan.due),
                waiting=len(plan.waiting),
                seconds=time.monotonic() - started,
                failing_24h=failing_for_a_day(feeds, states, ingestor.clock()),
            )
    summary = ingestor.run(feeds, seconds_left=seconds_left)
    pruned = apply_retention(config, ingestor, detail)
    update_site(
        summary, ingestor.store, ingestor.index, env, seconds_left=seconds_left, removed=pruned
    )
    states = ingestor.index.get_feed_states(ids)
    return dataclasses.replace(
        summary, failing_24h=failing_for_a_day(feeds, states, ingestor.clock())
    )


def apply_retention(
    config: Config, ingestor: Ingestor, detail: Mapping[str, Any]
) -> list[IndexRecord]:
    """The scheduled run's `newswire prune`: with `retention` in feeds.yaml, delete the
    articles older than that (their pages leave the site with the run's own update). Not for
    an event with its own feed list (a manual run of a few feeds). Never raises: what is not
    deleted now is deleted by the next run."""
    if config.retention is None or detail.get("feeds"):
        return []
    from newswire.moderation import older_than, prune

    try:
        deleted, problems = prune(
            older_than(ingestor.index, ingestor.clock() - config.retention),
            ingestor.store,
            ingestor.index,
        )
    except StorageError as exc:
        log.error("retention not applied", extra={"error": str(exc)})
        return []
    for problem in problems:
        log.warning("article not pruned", extra={"error": problem})
    if deleted:
        log.info("articles pruned", extra={"articles": len(deleted)})
    return deleted


class FeedFailed(Exception):
    """Raised by the worker for a failed feed, so that only its SQS message is retried."""


def ingest_message(body: str, *, env: Mapping[str, str] = os.environ) -> FeedResult:
    """The SQS worker's unit of work: one feed, given in the message body as a feeds.yaml
    mapping. Raises FeedFailed when the feed failed, ConfigError when the body is invalid."""
    try:
        spec = json.loads(body)
    except ValueError as exc:
        raise ConfigError(f"SQS message: not JSON: {exc}") from exc
    if not isinstance(spec, Mapping):
        raise ConfigError("SQS message: expected a feed mapping")
    feed = feed_from_mapping(spec, where="SQS message")
    settings, _ = _lambda_settings(env)
    result = _ingestor(settings).ingest_feed(feed, queued=True)
    if result.status is FeedStatus.FAILED:
        raise FeedFailed(f"{feed.feed_id}: {result.error}")
    return result


def update_site_after_batch(
    results: Sequence[FeedResult],
    *,
    env: Mapping[str, str] = os.environ,
    seconds_left: Callable[[], float] | None = None,
) -> dict[str, object] | None:
    """The worker's site update: once per invocation, after its batch of messages, the pages
    the batch's changed articles appear on (as the scheduled run's inline path does; the
    build lease serializes workers). Returns the build report, or None when there was nothing
    to do (no SITE_URL, nothing changed) or it could not be done. Never raises: the articles
    are stored, and the next build (or `newswire site --full`) catches up."""
    summary = RunSummary.of(tuple(results), 0.0)
    if not env.get("SITE_URL", "").strip() or not summary.changed:
        return None
    try:
        settings, _ = _lambda_settings(env)
        ingestor = _ingestor(settings)
    except Exception as exc:  # the batch's articles are safe; the site catches up later
        log.exception("site not updated", extra={"error": repr(exc)})
        return None
    return update_site(summary, ingestor.store, ingestor.index, env, seconds_left=seconds_left)


def metric_values(summary: RunSummary | DispatchSummary) -> dict[str, int]:
    """The run's counts under the metric names the dashboards and alarms use."""
    if isinstance(summary, DispatchSummary):
        return {
            "FeedsDispatched": summary.dispatched,
            "FeedsWaiting": summary.waiting,
            "FeedsFailing24h": summary.failing_24h,
        }
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
        "ArticlesFiltered": counts["filtered"],
        "FeedsFailing24h": summary.failing_24h,
    }
