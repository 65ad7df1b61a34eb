"""The fan-out load test (bench/fanout.py) at a size pytest affords: correctness only, never time.

`python -m bench.fanout` runs the same with 1,000 feeds and reports the throughput.
"""

from __future__ import annotations

import warnings

from bench.fanout import MAX_RECEIVES, run_load_test

FEEDS, ITEMS = 100, 2


def test_every_feed_is_ingested_once_and_only_the_poison_feed_is_dead_lettered(
    loopback_only: None, restore_newswire_logger: None
) -> None:
    with warnings.catch_warnings():
        # An invocation whose every record failed publishes no metric, and Powertools says so.
        warnings.filterwarnings("ignore", message="No application metrics to publish")
        figures = run_load_test(FEEDS, workers=4, items=ITEMS, deadline_seconds=120)

    # One message per due feed, 100 good ones and the poison one.
    assert figures["dispatch"]["mode"] == "queued"
    assert figures["dispatch"]["feeds"] == {
        "dispatched": FEEDS + 1,
        "waiting": 0,
        "already_queued": 0,
    }
    assert figures["messages_sent"] == FEEDS + 1

    # Every good feed delivered once, fetched once, ingested once.
    assert figures["feeds_not_ingested"] == []
    assert figures["feeds_ingested"] == figures["feeds_fetched_once"] == FEEDS
    assert figures["duplicate_deliveries"] == 0
    assert figures["duplicate_fetches"] == 0
    assert figures["duplicate_ingests"] == 0
    assert figures["duplicates"] == 0

    # The poison feed: received, fetched and failed 3 times, then in the DLQ, alone.
    assert figures["poison_receives"] == MAX_RECEIVES
    assert figures["poison_fetches"] == MAX_RECEIVES
    assert figures["poison_statuses"] == ["failed"] * MAX_RECEIVES
    assert figures["dlq"] == ["poison"]
    assert figures["poison_state"]["consecutive_errors"] == MAX_RECEIVES
    assert figures["messages_received"] == FEEDS + MAX_RECEIVES
    assert figures["deleted"] == FEEDS
    assert figures["released"] == MAX_RECEIVES

    # The index and the bucket hold every article once, and nothing else.
    assert figures["articles_indexed"] == figures["articles_expected"] == FEEDS * ITEMS
    assert figures["articles_missing"] == []
    assert figures["articles_indexed_twice"] == []
    assert figures["objects"] == FEEDS * ITEMS
    assert figures["orphan_objects"] == []
    # Every feed's first item has the same title: one article got the plain slug.
    assert figures["weather_update_plain_slugs"] == 1
    assert figures["feed_states_ok"] == FEEDS
