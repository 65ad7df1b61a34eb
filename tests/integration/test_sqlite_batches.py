"""The embedded index's batches (claim_many, write_many) read what their items meet in a few
queries and decide the items in order on those rows: a batch must leave exactly what the same
items one call each leave, and answer the same, whatever ids, slugs and story keys the items
share with each other and with what the index already holds. And the committer that fills
them computes a new article's story keys once, for its lookup and its claim."""

from __future__ import annotations

import dataclasses
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire.adapters.codec import record_to_dict
from newswire.adapters.local import SqliteIndex
from newswire.models import IndexRecord
from newswire.ports import Claim, IndexWrite, SlugTaken
from newswire.slugs import content_key

WHEN = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TABLES = ("articles", "slug_claims", "article_claims", "story_claims")

claims = st.builds(
    lambda n, slug, stories, feed, minutes: Claim(
        f"{n:020x}",
        content_key("news", WHEN, slug),
        "news",
        slug,
        feed,
        WHEN + timedelta(minutes=minutes),
        tuple(dict.fromkeys(stories)),
    ),
    st.integers(0, 4),
    st.sampled_from(["ferry", "strike", "talks"]),
    st.lists(st.sampled_from(["url:a.example/1", "url:b.example/2", "title:x|y|2026-01-05"])),
    st.sampled_from(["wire", "other"]),
    st.integers(0, 90),
)


def record(n: int, slug: str, version: int) -> IndexRecord:
    return IndexRecord(
        id=f"{n:020x}",
        key=content_key("news", WHEN, slug),
        section="news",
        slug=slug,
        title=f"Story {n} v{version}",
        date=WHEN,
        link=f"https://example.org/{n}",
        feeds=("wire",),
        content_hash=f"{version:032x}",
        publisher=None,
        lastmod=None,
        first_seen=WHEN,
    )


writes = st.builds(
    lambda n, slug, version, new: IndexWrite(record(n, slug, version), new=new),
    st.integers(0, 4),
    st.sampled_from(["ferry", "strike", "talks"]),
    st.integers(0, 3),
    st.booleans(),
)


def contents(index: SqliteIndex) -> dict[str, list[tuple[object, ...]]]:
    db = sqlite3.connect(index.path)
    try:
        return {t: sorted(db.execute(f"SELECT * FROM {t}").fetchall()) for t in TABLES}
    finally:
        db.close()


def two_indexes(folder: Path, before: list[Claim]) -> tuple[SqliteIndex, SqliteIndex]:
    pair = SqliteIndex(folder / "batch.sqlite3"), SqliteIndex(folder / "each.sqlite3")
    for index in pair:
        for claim in before:
            index.claim_many([claim])
    return pair


@settings(max_examples=150, deadline=None)
@given(before=st.lists(claims, max_size=4), batch=st.lists(claims, max_size=8))
def test_a_batch_of_claims_is_the_claims_one_by_one(
    tmp_path_factory: pytest.TempPathFactory, before: list[Claim], batch: list[Claim]
) -> None:
    folder = tmp_path_factory.mktemp("claims")
    batched, each = two_indexes(folder, before)
    try:
        assert batched.claim_many(batch) == [each.claim_many([c])[0] for c in batch]
        assert contents(batched) == contents(each)
    finally:
        batched.close()
        each.close()


def _one(index: SqliteIndex, write: IndexWrite) -> bool:
    if write.new:
        try:
            return index.add(write.record)
        except SlugTaken:
            return False
    return index.replace(write.record)


@settings(max_examples=150, deadline=None)
@given(before=st.lists(claims, max_size=4), batch=st.lists(writes, max_size=8))
def test_a_batch_of_index_writes_is_the_writes_one_by_one(
    tmp_path_factory: pytest.TempPathFactory, before: list[Claim], batch: list[IndexWrite]
) -> None:
    folder = tmp_path_factory.mktemp("writes")
    batched, each = two_indexes(folder, before)
    try:
        assert batched.write_many(batch) == [_one(each, w) for w in batch]
        assert contents(batched) == contents(each)
    finally:
        batched.close()
        each.close()


@settings(max_examples=200, deadline=None)
@given(
    when=st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    )
)
def test_a_records_day_is_its_utc_day(when: datetime) -> None:
    # Both indexes store the day an article is listed under (codec.record_to_dict).
    data = record_to_dict(dataclasses.replace(record(1, "ferry", 0), date=when))
    assert data["day"] == when.astimezone(UTC).strftime("%Y-%m-%d")


def test_a_new_articles_story_keys_are_computed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The claim's story keys are the ones the lookup before it computed, handed on.
    from newswire import commit
    from newswire.adapters.local import DirectoryStore
    from newswire.identity import story_keys
    from newswire.models import Article, FeedConfig
    from newswire.normalize import normalize_entry

    feed = FeedConfig(url="https://harbour.example/feed.xml", name="Harbour", section="news")
    articles = [
        normalize_entry(
            {
                "id": f"https://harbour.example/{n}",
                "link": f"https://harbour.example/{n}",
                "title": f"Ferry strike number {n} ends after talks",
                "published": "Tue, 06 Jan 2026 09:30:00 GMT",
            },
            feed,
            now=WHEN,
        )
        for n in range(5)
    ]
    seen: list[str] = []

    def counted(article: Article) -> tuple[str, ...]:
        seen.append(article.id)
        return story_keys(article)

    monkeypatch.setattr(commit, "story_keys", counted)
    index = SqliteIndex(tmp_path / "index.sqlite3")
    try:
        committer = commit.Committer(DirectoryStore(tmp_path / "site"), index)
        done, failed, skipped = committer.commit_all(feed, articles, {}, WHEN, [])
    finally:
        index.close()
    assert (len(done), failed, skipped) == (5, 0, [])
    assert sorted(seen) == sorted(a.id for a in articles)
