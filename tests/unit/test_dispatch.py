from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from newswire.config import feed_from_mapping
from newswire.dispatch import failing_for_a_day, feed_message, plan_dispatch
from newswire.models import FeedConfig, FeedState

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
FEEDS = tuple(FeedConfig(url=f"https://f{i}.example/rss", name=f"f{i}") for i in range(5))


def test_feeds_waiting_for_not_before_are_not_dispatched() -> None:
    states = {
        "f1": FeedState("f1", "u", not_before=NOW + timedelta(hours=1)),
        "f2": FeedState("f2", "u", not_before=NOW - timedelta(minutes=1)),
    }
    plan = plan_dispatch(FEEDS, states, NOW, inline_below=3, queue_available=True)
    assert [f.name for f in plan.due] == ["f0", "f2", "f3", "f4"]
    assert [f.name for f in plan.waiting] == ["f1"]
    assert plan.inline is False


def test_few_feeds_or_no_queue_run_inline() -> None:
    assert plan_dispatch(FEEDS, {}, NOW, inline_below=6, queue_available=True).inline
    assert plan_dispatch(FEEDS, {}, NOW, inline_below=1, queue_available=False).inline
    assert not plan_dispatch(FEEDS, {}, NOW, inline_below=5, queue_available=True).inline


def test_disabled_feeds_are_neither_due_nor_waiting() -> None:
    feeds = (FeedConfig(url="https://x.example", name="x", enabled=False), *FEEDS[:1])
    plan = plan_dispatch(feeds, {}, NOW, inline_below=20, queue_available=True)
    assert [f.name for f in plan.due] == ["f0"] and plan.waiting == ()


def test_a_message_round_trips_to_the_same_feed() -> None:
    feed = FeedConfig(url="https://a.example/rss", name="a", section="world",
                      categories=("World",), tags=("x",), max_items=7, language="uk")  # fmt: skip
    assert feed_from_mapping(json.loads(feed_message(feed)), where="test") == feed


def test_feeds_failing_for_a_day_are_counted() -> None:
    states = {
        "f0": FeedState("f0", "u", failing_since=NOW - timedelta(hours=24)),
        "f1": FeedState("f1", "u", failing_since=NOW - timedelta(hours=23, minutes=59)),
        "f2": FeedState("f2", "u"),
        "gone": FeedState("gone", "u", failing_since=NOW - timedelta(days=9)),
    }
    assert failing_for_a_day(FEEDS, states, NOW) == 1
