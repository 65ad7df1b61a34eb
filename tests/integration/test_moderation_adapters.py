"""What hide, delete and prune ask of both index adapters and both stores: a hidden record
is read by id but listed nowhere; a removed one is gone with its slug claim and listings."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st

from newswire.models import IndexRecord
from newswire.moderation import set_draft
from newswire.ports import ArticleIndex, ContentStore
from newswire.render import parse_markdown, render_markdown
from tests.integration.test_adapters import index, record, store
from tests.unit.test_render import sample

__all__ = ["index", "store"]  # the two fixtures, one per adapter

WHEN = datetime(2026, 1, 5, 18, 0, tzinfo=UTC)


def tagged(n: int) -> IndexRecord:
    return dataclasses.replace(record(n, WHEN), tags=("harbour",), categories=("local",))


def listed(index: ArticleIndex) -> dict[str, list[str]]:
    return {
        "latest": [r.id for r in index.latest(limit=10)],
        "tag": [r.id for r in index.by_term("tags", "harbour", limit=10)],
        "category": [r.id for r in index.by_term("categories", "local", limit=10)],
        "month": [r.id for r in index.by_month("2026-01", limit=10)],
    }


def test_a_hidden_record_is_indexed_but_never_listed(index: ArticleIndex) -> None:
    shown, other = tagged(1), tagged(2)
    assert index.add(shown) and index.add(other)
    both = sorted([shown.id, other.id])
    assert {k: sorted(v) for k, v in listed(index).items()} == dict.fromkeys(listed(index), both)

    hidden = dataclasses.replace(shown, hidden=True)
    index.replace(hidden)

    assert listed(index) == {key: [other.id] for key in listed(index)}
    assert index.get_records([shown.id]) == {shown.id: hidden}
    index.replace(shown)  # unhide
    assert {k: sorted(v) for k, v in listed(index).items()} == dict.fromkeys(listed(index), both)


def test_a_hidden_record_can_be_added_hidden(index: ArticleIndex) -> None:
    # `newswire reindex` of a draft page into an empty index.
    hidden = dataclasses.replace(tagged(3), hidden=True)
    assert index.add(hidden)
    assert listed(index) == {key: [] for key in listed(index)}
    assert index.get_records([hidden.id])[hidden.id].hidden


def test_a_month_of_hidden_articles_only_is_no_month_with_articles(index: ArticleIndex) -> None:
    earlier = record(5, datetime(2025, 11, 2, 9, 0, tzinfo=UTC))
    assert index.add(earlier)
    assert index.add(dataclasses.replace(tagged(6), hidden=True))
    index.replace(dataclasses.replace(tagged(6), hidden=True))
    assert index.months_with_articles() == {"2025-11"}
    # The hidden article's month was not taken as marked: the first shown one marks it.
    assert index.add(tagged(7))
    assert index.months_with_articles() == {"2025-11", "2026-01"}


def test_remove_takes_the_record_its_claim_and_its_listings(index: ArticleIndex) -> None:
    gone, kept = tagged(4), tagged(5)
    assert index.add(gone) and index.add(kept)

    index.remove(gone)

    assert index.get_records([gone.id, kept.id]) == {kept.id: kept}
    assert listed(index) == {key: [kept.id] for key in listed(index)}
    # Its slug is free again: a new article may take it.
    successor = dataclasses.replace(record(6, WHEN, slug=gone.slug))
    assert index.add(successor)
    index.remove(gone)  # again: nothing happens
    assert index.get_records([successor.id]) == {successor.id: successor}


def test_delete_is_safe_to_repeat(store: ContentStore) -> None:
    key = "content/news/2026/01/a.md"
    store.put(key, b"x")
    store.delete(key)
    store.delete(key)
    assert store.get(key) is None and list(store.keys("content/")) == []


@given(st.text(max_size=40), st.text(max_size=40))
def test_set_draft_changes_only_the_draft(title: str, body: str) -> None:
    page = render_markdown(sample(title=title, body=body, description=f"x\ndraft: false\n{title}"))
    meta, text = parse_markdown(page)

    hidden = set_draft(page, True)
    again, hidden_text = parse_markdown(hidden)

    assert again == {**meta, "draft": True} and hidden_text == text
    assert set_draft(hidden, False) == page
    assert set_draft(page, False) == page
