"""The taxonomies' index pages (pure): every category and publisher and every shared tag, with
its count, most stories first; counts kept as JSON and updated by the terms a build touched."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from newswire.site.feeds import rss_feed
from newswire.site.indexes import (
    counts_page,
    read_counts,
    render_term_index,
    updated_counts,
)
from newswire.site.options import SiteOptions
from tests.site.helpers import BASE_URL, record
from tests.site.test_pages import check_common

OPTIONS = SiteOptions(list_limit=100)


def listed(body: bytes) -> list[tuple[str, str]]:
    """(term, count text) of each entry of an index page, in order."""
    text = body.decode("utf-8")
    return re.findall(
        r'<li><a href="[^"]+" dir="auto">(.*?)</a> <span class="count">(.*?)</span>', text
    )


def test_the_tags_index_lists_shared_tags_most_used_first_with_counts() -> None:
    counts = {"war": 100, "ukraine": 7, "grain": 2, "kayak": 1, "Odesa": 2}
    page = render_term_index("tags", counts, OPTIONS, BASE_URL)
    check_common(page, OPTIONS)
    assert page.key == "tags/index.html"
    assert listed(page.body) == [
        ("war", "100+ stories"), ("ukraine", "7 stories"), ("grain", "2 stories"),
        ("Odesa", "2 stories"),
    ]  # fmt: skip
    assert 'href="../tags/war/"' in page.body.decode()


def test_categories_and_publishers_are_all_listed() -> None:
    page = render_term_index("publisher", {"Al Jazeera": 1, "Reuters": 3}, OPTIONS, BASE_URL)
    check_common(page, OPTIONS)
    assert page.key == "publishers/index.html"
    assert listed(page.body) == [("Reuters", "3 stories"), ("Al Jazeera", "1 story")]
    assert "al-jazeera-77968a/" in page.body.decode()
    page = render_term_index("categories", {"Local news": 1}, OPTIONS, BASE_URL)
    assert page.key == "categories/index.html" and listed(page.body) == [("Local news", "1 story")]


def test_hostile_terms_stay_text() -> None:
    evil = '<script>alert("t")</script>'
    page = render_term_index("tags", {evil: 3}, OPTIONS, BASE_URL)
    check_common(page, OPTIONS)
    assert "<script>" not in page.body.decode() and "&lt;script&gt;" in page.body.decode()


def test_counts_are_updated_by_the_touched_terms_only() -> None:
    before = {"war": 5, "grain": 2, "kayak": 1}
    assert updated_counts(before, {"grain": 3, "kayak": 0, "odesa": 1}) == {
        "war": 5, "grain": 3, "odesa": 1,
    }  # fmt: skip
    assert updated_counts(before, {"grain": 3}, full=True) == {"grain": 3}


@given(st.dictionaries(st.text(min_size=1, max_size=30), st.integers(1, 10**6), max_size=20))
def test_counts_read_back_as_written(counts: dict[str, int]) -> None:
    assert read_counts(counts_page("tags", counts).body) == counts


def test_unreadable_counts_count_as_none() -> None:
    for data in (None, b"", b"not json", b"[1, 2]", b'{"war": "x", "ok": 0}'):
        assert read_counts(data) == {}


def test_a_list_feed_sits_next_to_its_page_and_names_the_list() -> None:
    page = rss_feed([record()], OPTIONS, BASE_URL, folder="tags/war/", title="war")
    text = page.body.decode()
    assert page.key == "tags/war/feed.xml"
    assert "<title>war · newswire</title>" in text
    assert (
        f'href="{BASE_URL}tags/war/feed.xml"' in text
        and f"<link>{BASE_URL}tags/war/</link>" in text
    )
    assert rss_feed([record()], OPTIONS, BASE_URL).key == "feed.xml"
