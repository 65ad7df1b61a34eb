"""What the Lambda functions do, minus the Lambda plumbing: load config, run, report."""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from newswire.bootstrap import (
    Settings,
    build_feed_queue,
    build_ingestor,
    build_site_queue,
    build_store,
)
from newswire.config import Config, ConfigError, feed_from_mapping, load_config, parse_config
from newswire.dispatch import (
    QUEUED_FOR,
    DispatchSummary,
    failing_for_a_day,
    feed_message,
    plan_dispatch,
)
from newswire.ingest import Ingestor
from newswire.models import FeedConfig, FeedResult, FeedStatus, IndexRecord, RunSummary
from newswire.ports import FeedQueue, StorageError
from newswire.site.hook import update_site

log = logging.getLogger("newswire.service")


def load_lambda_config(settings: Settings) -> Config:
    """The feeds config from the bucket (FEEDS_CONFIG_KEY) if set, else the bundled file."""
    key = settings.feeds_config_key
    if not key:
        return load_config(settings.feeds_config)
    where = f"s3://{settings.bucket}/{key}"
    try:
        data = build_store(settings).get(key)
        if data is None:
            raise ConfigError(f"{where}: cannot read the feeds file: there is no such object")
        text = data.decode("utf-8")
    except (StorageError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read the feeds file: {exc}") from exc
    return parse_config(text, source=where)


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
_config_cache: dict[Settings, tuple[float, Settings, Config]] = {}


def _lambda_settings(env: Mapping[str, str] | None) -> tuple[Settings, Config]:
    """Settings and feeds config of a Lambda function. Read at most once a minute per warm
    container: a worker's batch of messages must not fetch and parse the config per message,
    and an edited feeds.yaml in S3 still takes effect within a minute."""
    # The environment's settings are the cache key: every variable is in them, once.
    key = Settings.from_env(env)
    cached = _config_cache.get(key)
    if cached is not None and time.monotonic() - cached[0] < CONFIG_TTL_SECONDS:
        return cached[1], cached[2]
    config = load_lambda_config(key)
    settings = dataclasses.replace(
        key, allow_hosts=(*key.allow_hosts, *config.allow_hosts), enrich=config.enrich
    )
    _config_cache[key] = (time.monotonic(), settings, config)
    return settings, config


def run_scheduled(
    detail: Mapping[str, Any],
    *,
    seconds_left: Callable[[], float] | None = None,
    env: Mapping[str, str] | None = None,
) -> RunSummary | DispatchSummary:
    """The scheduled run: ingest inline when few feeds are due (or there is no queue), else
    send one SQS message per due feed for the workers."""
    started = time.monotonic()
    settings, config = _lambda_settings(env)
    feeds = feeds_from_event(detail, config)
    ingestor = _ingestor(settings)
    ids = [f.feed_id for f in feeds]
    if settings.queue_url:
        states = ingestor.index.get_feed_states(ids)
        plan = plan_dispatch(
            feeds,
            states,
            ingestor.clock(),
            inline_below=settings.inline_below,
            queue_available=True,
        )
        if not plan.inline:
            sent = _dispatch(plan.due, ingestor, settings, settings.queue_url)
            return DispatchSummary(
                dispatched=len(sent),
                already_queued=len(plan.due) - len(sent),
                waiting=len(plan.waiting),
                seconds=time.monotonic() - started,
                failing_24h=failing_for_a_day(feeds, states, ingestor.clock()),
            )
    summary = ingestor.run(feeds, seconds_left=seconds_left)
    pruned = apply_retention(config, ingestor, detail)
    _update_site(summary, ingestor, settings, seconds_left, removed=pruned)
    states = ingestor.index.get_feed_states(ids)
    return dataclasses.replace(
        summary, failing_24h=failing_for_a_day(feeds, states, ingestor.clock())
    )


def _dispatch(
    feeds: Sequence[FeedConfig], ingestor: Ingestor, settings: Settings, queue_url: str
) -> list[str]:
    """Queue one message per feed not already queued; returns the ids sent. Marked first
    (atomically, so two overlapping dispatches send each feed once), sent second: a crash in
    between delays those feeds by at most QUEUED_FOR."""
    now = ingestor.clock()
    marked = set(
        ingestor.index.mark_queued([f.feed_id for f in feeds], now=now, until=now + QUEUED_FOR)
    )
    feeds = [f for f in feeds if f.feed_id in marked]
    try:
        build_feed_queue(settings, queue_url).send([feed_message(f) for f in feeds])
    except StorageError:
        # Some may have been sent: queueing those again next run is harmless (their lease).
        ingestor.index.clear_queued([f.feed_id for f in feeds])
        raise
    return [f.feed_id for f in feeds]


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


def ingest_message(body: str, *, env: Mapping[str, str] | None = None) -> FeedResult:
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
    env: Mapping[str, str] | None = None,
    seconds_left: Callable[[], float] | None = None,
) -> dict[str, object] | None:
    """The worker's site update: once per invocation, after its batch of messages, the plan of
    the pages the batch's changed articles appear on goes to the site queue (the site function
    builds a batch window's plans at once), as the scheduled run's inline path does. Returns
    what was done, or None when there was nothing to do (no SITE_URL, nothing changed) or it
    could not be done. Never raises: the articles are stored, and the next build (or
    `newswire site --full`) catches up."""
    summary = RunSummary.of(tuple(results), 0.0)
    if not summary.changed:
        return None
    try:
        settings, _ = _lambda_settings(env)
        ingestor = _ingestor(settings)
    except Exception as exc:  # the batch's articles are safe; the site catches up later
        log.exception("site not updated", extra={"error": repr(exc)})
        return None
    return _update_site(summary, ingestor, settings, seconds_left)


def _update_site(
    summary: RunSummary,
    ingestor: Ingestor,
    settings: Settings,
    seconds_left: Callable[[], float] | None,
    *,
    removed: Sequence[IndexRecord] = (),
) -> dict[str, object] | None:
    return update_site(
        summary,
        ingestor.store,
        ingestor.index,
        base_url=settings.site_url,
        options=settings.site,
        seconds_left=seconds_left,
        removed=removed,
        site_queue=_site_queue(settings),
    )


@functools.lru_cache(maxsize=4)
def _site_queue(settings: Settings) -> FeedQueue | None:
    return build_site_queue(settings)


def build_site_batch(
    bodies: Sequence[str], *, env: Mapping[str, str] | None = None
) -> dict[str, object]:
    """The site function: one build of a batch of site-queue messages (site.hook). Raises
    SiteBuildFailed when it fails (the batch is delivered again, then kept in the DLQ)."""
    from newswire.site.hook import build_from_messages

    settings = Settings.from_env(env)
    if not settings.site_url:
        raise ConfigError("the site function needs SITE_URL")
    ingestor = _ingestor(settings)
    return build_from_messages(
        bodies, ingestor.store, ingestor.index, base_url=settings.site_url, options=settings.site
    )


def metric_values(summary: RunSummary | DispatchSummary) -> dict[str, int]:
    """The run's counts under the metric names the dashboards and alarms use."""
    if isinstance(summary, DispatchSummary):
        return {
            "FeedsDispatched": summary.dispatched,
            "FeedsAlreadyQueued": summary.already_queued,
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
        "ArticlesSkipped": counts["skipped_items"],
        "ArticlesFiltered": counts["filtered"],
        "FeedsFailing24h": summary.failing_24h,
    }
