from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from newswire.decide import decide, index_record
from newswire.models import Outcome

from .test_render import sample

NOW = datetime(2026, 1, 5, tzinfo=UTC)


def test_unknown_article_is_new() -> None:
    decision = decide(sample(), None, NOW)
    assert decision.outcome is Outcome.NEW and decision.key is None


def test_same_content_same_feed_is_unchanged() -> None:
    record = index_record(sample(), "content/news/2026/01/a-title.md", NOW)
    assert decide(sample(), record, NOW).outcome is Outcome.UNCHANGED


def test_changed_content_keeps_key_slug_date_and_sets_lastmod() -> None:
    first = sample()
    record = index_record(first, "content/news/2026/01/a-title.md", NOW)
    changed = sample(content_hash="other", slug="new-slug", section="other",
                     date=datetime(2026, 2, 1, tzinfo=UTC))  # fmt: skip
    decision = decide(changed, record, NOW)
    assert decision.outcome is Outcome.UPDATED
    assert decision.key == "content/news/2026/01/a-title.md"
    assert decision.article.slug == "a-title" and decision.article.section == "news"
    assert decision.article.date == first.date
    assert decision.article.lastmod == NOW


def test_another_feed_is_added_without_touching_lastmod() -> None:
    record = index_record(sample(), "content/news/2026/01/a-title.md", NOW)
    decision = decide(sample(feeds=("second",)), record, NOW)
    assert decision.outcome is Outcome.UPDATED
    assert decision.article.feeds == ("example", "second")
    assert decision.article.lastmod is None


def test_known_feed_in_record_is_not_duplicated() -> None:
    record = dataclasses.replace(index_record(sample(), "k", NOW), feeds=("second", "example"))
    assert decide(sample(), record, NOW).outcome is Outcome.UNCHANGED
