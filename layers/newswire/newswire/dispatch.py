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


QUEUED_FOR = timedelta(hours=6)
"""How long a feed stays marked as queued (ArticleIndex.mark_queued): while its message waits,
the dispatcher does not queue it again. The worker's save of the feed's state clears the mark;
a message that is lost (a purged queue, a crash between marking and sending) delays its feed by
at most this, plus one schedule period. Far shorter than the queue's retention (4 days), so a
mark never outlives a message that still waits for long: such a feed is queued once more."""


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
    already_queued: int = 0
    """Due feeds not sent again: their message from an earlier run still waits (QUEUED_FOR)."""

    def as_dict(self) -> dict[str, object]:
        return {
            "mode": "queued",
            "feeds": {
                "dispatched": self.dispatched,
                "waiting": self.waiting,
                "already_queued": self.already_queued,
            },
            "failing_24h": self.failing_24h,
            "seconds": round(self.seconds, 3),
        }
