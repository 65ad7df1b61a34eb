"""Pure: which feeds are due, and whether a run is small enough to ingest inline."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from newswire.config import feed_to_mapping
from newswire.models import FeedConfig, FeedState


@dataclass(frozen=True)
class DispatchPlan:
    due: tuple[FeedConfig, ...]
    waiting: tuple[FeedConfig, ...]
    """Feeds whose state says "not before" a time still in the future."""
    inline: bool


def plan_dispatch(
    feeds: Iterable[FeedConfig],
    states: Mapping[str, FeedState],
    now: datetime,
    *,
    inline_below: int,
    queue_available: bool,
) -> DispatchPlan:
    due, waiting = [], []
    for feed in feeds:
        if not feed.enabled:
            continue
        state = states.get(feed.feed_id)
        if state is not None and state.not_before is not None and state.not_before > now:
            waiting.append(feed)
        else:
            due.append(feed)
    inline = not queue_available or len(due) < inline_below
    return DispatchPlan(due=tuple(due), waiting=tuple(waiting), inline=inline)


def feed_message(feed: FeedConfig) -> str:
    return json.dumps(feed_to_mapping(feed), ensure_ascii=False, sort_keys=True)


FAILING_ALERT = timedelta(hours=24)


def failing_for_a_day(
    feeds: Iterable[FeedConfig], states: Mapping[str, FeedState], now: datetime
) -> int:
    """How many enabled feeds have failed on every fetch for 24 hours or more."""
    count = 0
    for feed in feeds:
        state = states.get(feed.feed_id)
        since = state.failing_since if state is not None else None
        if feed.enabled and since is not None and now - since >= FAILING_ALERT:
            count += 1
    return count


@dataclass(frozen=True)
class DispatchSummary:
    dispatched: int
    waiting: int
    seconds: float
    failing_24h: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "mode": "queued",
            "feeds": {"dispatched": self.dispatched, "waiting": self.waiting},
            "failing_24h": self.failing_24h,
            "seconds": round(self.seconds, 3),
        }
