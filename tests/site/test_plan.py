"""Which pages an article touches, and where each page lives (pure)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone

import pytest

from newswire.models import months_between
from newswire.site.paths import (
    article_path,
    day_path,
    month_path,
    page_key,
    relative,
    sitemap_key,
    sitemap_order,
    term_path,
    term_slug,
)
from newswire.site.plan import (
    ARTICLE,
    DAY,
    FEEDS,
    HOME,
    TERM,
    SitePlan,
    article_unit,
    day_of,
    parse_term_unit,
    plan_changes,
    sort_key,
)
from tests.site.helpers import record


def test_an_article_page_mirrors_its_markdown_key() -> None:
    r = record(section="world", slug="grain-deal", date=datetime(2026, 1, 2, 10, tzinfo=UTC))
    assert r.key == "content/world/2026/01/grain-deal.md"
    assert article_path(r) == "articles/world/2026/01/grain-deal/"
    assert page_key(article_path(r)) == "articles/world/2026/01/grain-deal/index.html"


def test_a_key_that_is_not_a_content_key_is_refused() -> None:
    with pytest.raises(ValueError, match="not a content key"):
        article_path(dataclasses.replace(record(), key="content/../../etc/passwd.md"))


@pytest.mark.parametrize(
    ("term", "expected"),
    [("war", "war"), ("aljazeera.com", "aljazeera.com"), ("covid-19", "covid-19")],
)
def test_clean_terms_are_their_own_slug(term: str, expected: str) -> None:
    assert term_slug(term) == expected


def test_other_terms_get_a_slug_and_a_digest_so_they_never_share_a_page() -> None:
    spellings = ["Al Jazeera", "al jazeera", "Al-Jazeera", "AL JAZEERA"]
    slugs = [term_slug(t) for t in spellings]
    assert len(set(slugs)) == len(spellings)
    assert all(s.startswith("al-jazeera-") for s in slugs)
    assert term_slug("Українські Національні Новини").startswith("ukrainski-natsionalni-novini-")
    for hostile in ["../../etc", "..", "a/b", "🙂", "", "x" * 500, ".hidden"]:
        slug = term_slug(hostile)
        assert slug and "/" not in slug and not slug.startswith(".") and ".." not in slug
        assert len(slug) <= 80


def test_terms_live_under_their_taxonomy() -> None:
    assert term_path("tags", "war") == "tags/war/"
    assert term_path("categories", "aljazeera.com") == "categories/aljazeera.com/"
    assert term_path("publisher", "Reuters").startswith("publishers/reuters-")


def test_the_archive_month_is_the_utc_month() -> None:
    kyiv = timezone(timedelta(hours=2))
    r = record(date=datetime(2026, 1, 1, 1, 30, tzinfo=kyiv))  # 2025-12-31 23:30 UTC
    assert r.month == "2025-12"
    assert day_of(r) == "2025-12-31"
    assert month_path("2025-12") == "archive/2025/12/"
    assert day_path("2025-12-31") == "archive/2025/12/31/"
    assert day_path("2025-12-31", 3) == "archive/2025/12/31/page/3/"
    with pytest.raises(ValueError, match="not a month"):
        month_path("2025-13")
    for bad in ("2025-12-32", "2025-13-01", "2025-12", "2025-12-1", "../../x"):
        with pytest.raises(ValueError, match="not a"):
            day_path(bad)


def test_a_days_sitemaps_are_numbered_parts_sorted_newest_day_first() -> None:
    assert sitemap_key("2026-01-05") == "sitemap-2026-01-05.xml"
    assert sitemap_key("2026-01-05", 2) == "sitemap-2026-01-05-2.xml"
    keys = ["sitemap-2025-12-31.xml", "sitemap-2026-01-05-2.xml", "sitemap-2026-01-05.xml",
            "sitemap-2026-01-05-10.xml", "sitemap-2026-01-04.xml"]  # fmt: skip
    assert sorted(keys, key=sitemap_order, reverse=True) == [
        "sitemap-2026-01-05.xml", "sitemap-2026-01-05-2.xml", "sitemap-2026-01-05-10.xml",
        "sitemap-2026-01-04.xml", "sitemap-2025-12-31.xml",
    ]  # fmt: skip
    for bad in ("sitemap.xml", "sitemap-2026-01.xml", "sitemap-2026-01-05-1.xml", "x.xml"):
        with pytest.raises(ValueError, match="not a day's sitemap"):
            sitemap_order(bad)


def test_months_between_walks_back_across_years() -> None:
    assert months_between("2026-02", "2025-11") == ["2026-02", "2026-01", "2025-12", "2025-11"]
    assert months_between("2026-01", "2026-01") == ["2026-01"]


@pytest.mark.parametrize(
    ("here", "target", "link"),
    [
        ("", "tags/war/", "tags/war/"),
        ("", "", "./"),
        ("tags/war/", "", "../../"),
        ("tags/war/", "articles/world/2026/01/x/", "../../articles/world/2026/01/x/"),
        ("articles/world/2026/01/x/", "css/site.css", "../../../../../css/site.css"),
        ("page/2/", "page/3/", "../../page/3/"),
    ],
)
def test_links_between_pages_are_relative(here: str, target: str, link: str) -> None:
    assert relative(here, target) == link


def test_an_article_is_planned_with_its_page_its_terms_once_each_and_its_day() -> None:
    r = record(
        tags=("harbour", "wall", "harbour"), categories=("Local news",), publisher="Harbour Gazette"
    )
    assert r.terms == (
        ("publisher", "Harbour Gazette"),
        ("categories", "Local news"),
        ("tags", "harbour"),
        ("tags", "wall"),
    )
    plan = plan_changes([r])
    assert plan.of(ARTICLE) == [(article_unit(r), sort_key(r))]
    assert plan.of(DAY) == [("2026-01-05", sort_key(r))]
    assert plan.of(HOME) == plan.of(FEEDS) == [("", sort_key(r))]
    terms = [parse_term_unit(unit) for unit, _ in plan.of(TERM)]
    assert {page_key(term_path(taxonomy, term)) for taxonomy, term in terms} == {
        "tags/harbour/index.html",
        "tags/wall/index.html",
        f"categories/{term_slug('Local news')}/index.html",
        f"publishers/{term_slug('Harbour Gazette')}/index.html",
    }
    assert len(terms) == 4 and plan.entered == {r.id} and plan.left == frozenset()


def test_an_article_without_publisher_or_terms_is_planned_with_no_term_page() -> None:
    r = record(tags=(), categories=(), publisher=None)
    assert r.terms == ()
    assert plan_changes([r]).of(TERM) == []
    assert record(tags=(), categories=(), publisher="").terms == ()


def test_a_plan_covers_every_changed_article_and_the_pages_an_update_left() -> None:
    a = record(id="a" * 20, slug="a", tags=("harbour",), date=datetime(2026, 1, 5, tzinfo=UTC))
    b = record(id="b" * 20, slug="b", tags=("ferry",), date=datetime(2025, 12, 30, tzinfo=UTC))
    b_before = dataclasses.replace(
        b, tags=("storm",), publisher="Old Name", date=datetime(2025, 12, 29, tzinfo=UTC)
    )

    plan = plan_changes([a, b], [b_before])

    assert [unit for unit, _ in plan.of(ARTICLE)] == [article_unit(a), article_unit(b)]
    assert {parse_term_unit(unit) for unit, _ in plan.of(TERM)} == {
        ("tags", "harbour"), ("tags", "ferry"), ("tags", "storm"),
        ("categories", "Local news"), ("publisher", "Harbour Gazette"), ("publisher", "Old Name"),
    }  # fmt: skip
    # Each day from the oldest version that touched it: the day an update left is redone too.
    assert plan.of(DAY) == [
        ("2025-12-29", sort_key(b_before)), ("2025-12-30", sort_key(b)), ("2026-01-05", sort_key(a))
    ]  # fmt: skip
    assert plan.of(HOME) == [("", sort_key(b_before))]


def test_a_removed_article_leaves_its_pages_and_is_listed_as_left() -> None:
    kept = record(id="a" * 20, slug="a")
    removed = record(id="b" * 20, slug="b", tags=("storm",))
    plan = plan_changes([kept], removed=[removed])
    assert plan.left == {removed.id} and plan.entered == {kept.id}
    assert article_unit(removed) in dict(plan.of(ARTICLE))
    assert ("tags", "storm") in {parse_term_unit(unit) for unit, _ in plan.of(TERM)}


def test_an_article_changed_twice_in_one_run_is_planned_once_at_its_last_version() -> None:
    first = record(title="First", tags=("first",))
    second = dataclasses.replace(first, title="Second", tags=("second",))
    plan = plan_changes([first, second])
    assert {parse_term_unit(unit)[1] for unit, _ in plan.of(TERM)} == {
        "Harbour Gazette", "Local news", "second"
    }  # fmt: skip


def test_nothing_changed_plans_nothing() -> None:
    plan = plan_changes([])
    assert plan.empty and plan.of(HOME) == []


def test_plans_merge_and_travel_as_json() -> None:
    early = record(id="a" * 20, slug="a", date=datetime(2026, 1, 5, 8, tzinfo=UTC))
    late = record(id="b" * 20, slug="b", date=datetime(2026, 1, 5, 9, tzinfo=UTC), tags=("x",))
    one, two = plan_changes([late]), plan_changes([early], removed=[record(id="c" * 20)])

    merged = one.merge(two)

    assert merged == two.merge(one) == merged.merge(merged)  # commutative, idempotent
    assert merged.of(DAY) == [("2026-01-05", sort_key(early))]  # the older cursor wins
    assert merged.entered == {early.id, late.id} and merged.left == {"c" * 20}
    assert SitePlan.from_json(merged.to_json()) == merged
    for bad in ("[]", "{}", '{"units": {"nope": {}}}', '{"units": {"day": {"x": 1}}}',
                '{"units": {}, "entered": "abc"}', "not json"):  # fmt: skip
        with pytest.raises(ValueError, match="site plan"):
            SitePlan.from_json(bad)
