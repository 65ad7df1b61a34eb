"""include/exclude filters: pure matching, and their validation in feeds.yaml."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire.config import ConfigError, feed_from_mapping, feed_to_mapping, parse_config
from newswire.filters import ItemFilter, compile_rules

from .test_render import sample

SPONSORED = sample(title="Sponsored: buy now", description="An offer", publisher="Ads Inc",
                   link="https://ads.example/offer")  # fmt: skip
NEWS = sample(title="Parliament votes", description="The vote", publisher="Daily",
              link="https://www.daily.example/vote")  # fmt: skip


def item_filter(include: object = None, exclude: object = None) -> ItemFilter:
    return ItemFilter(
        include=compile_rules(include, name="include"),
        exclude=compile_rules(exclude, name="exclude"),
    )


def test_no_rules_keep_everything() -> None:
    assert item_filter().keeps(SPONSORED) and item_filter().keeps(NEWS)
    assert not item_filter()


def test_a_list_matches_the_title_with_case_as_written() -> None:
    assert not item_filter(exclude=["Sponsored"]).keeps(SPONSORED)
    assert item_filter(exclude=["sponsored"]).keeps(SPONSORED)  # case as written
    assert not item_filter(exclude=["(?i)sponsored"]).keeps(SPONSORED)
    assert item_filter(exclude=["(?i)sponsored"]).keeps(NEWS)


def test_include_keeps_only_what_matches_and_exclude_wins() -> None:
    only_votes = item_filter(include=["votes?"])
    assert only_votes.keeps(NEWS) and not only_votes.keeps(SPONSORED)
    assert not item_filter(include=["votes"], exclude=["Parliament"]).keeps(NEWS)


@pytest.mark.parametrize(
    ("field", "pattern"),
    [("summary", "^An offer$"), ("publisher", "^Ads Inc$"), ("domain", r"(^|\.)ads\.example$")],
)
def test_the_mapping_form_matches_other_fields(field: str, pattern: str) -> None:
    rules = item_filter(exclude={field: [pattern]})
    assert not rules.keeps(SPONSORED)
    assert rules.keeps(NEWS)


def test_domain_is_the_links_host_only() -> None:
    # The path and query are not the domain: a path that names the domain does not match.
    tricky = sample(link="https://news.example/ads.example?x=ads.example")
    assert item_filter(exclude={"domain": [r"ads\.example$"]}).keeps(tricky)
    assert not item_filter(include={"domain": [r"^news\.example$"]}).keeps(SPONSORED)


@given(st.text(max_size=60), st.text(min_size=1, max_size=10))
def test_a_literal_pattern_excludes_exactly_the_titles_containing_it(title: str, word: str) -> None:
    article = sample(title=title)
    assert item_filter(exclude=[re.escape(word)]).keeps(article) == (word not in title)
    assert item_filter(include=[re.escape(word)]).keeps(article) == (word in title)


def test_feeds_yaml_defaults_and_feeds_combine() -> None:
    config = parse_config(
        "defaults:\n"
        "  exclude: ['(?i)sponsored']\n"
        "  include: ['never-matches']\n"
        "feeds:\n"
        "  - url: https://a.example/feed\n"
        "    include: {publisher: [Daily]}\n"
        "    exclude: {domain: ['ads']}\n"
        "  - url: https://b.example/feed\n"
    )
    own, inherited = config.feeds
    # The feed's include replaces the defaults'; excludes add up.
    assert own.filters.keeps(NEWS) and not own.filters.keeps(SPONSORED)
    assert [r.field for r in own.filters.exclude] == ["title", "domain"]
    assert not inherited.filters.keeps(NEWS)  # the defaults' include holds for it


def test_filters_survive_the_queue_message() -> None:
    feed = parse_config(
        "feeds:\n  - url: https://a.example/feed\n    exclude: ['(?i)sponsored']\n"
        "    include: {title: [vote], domain: [daily]}\n"
    ).feeds[0]
    again = feed_from_mapping(feed_to_mapping(feed), where="message")
    assert again == feed
    assert again.filters.keeps(NEWS) and not again.filters.keeps(SPONSORED)


@pytest.mark.parametrize(
    ("yaml_rules", "message"),
    [
        ("exclude: ['(unclosed']",
         "feeds.yaml: feed #1 (bad): field 'exclude': invalid regular expression '(unclosed'"),
        ("include: {author: [x]}",
         "feeds.yaml: feed #1 (bad): field 'include': unknown field 'author'"),
        ("include: {title: 3}",
         "feeds.yaml: feed #1 (bad): field 'include': title: expected a list of patterns"),
        ("exclude: ['']",
         "feeds.yaml: feed #1 (bad): field 'exclude': title: patterns must be non-empty strings"),
        ("exclude: 7", "feeds.yaml: feed #1 (bad): field 'exclude': must be a list of patterns"),
    ],
)  # fmt: skip
def test_an_invalid_rule_is_a_config_error_naming_the_feed(yaml_rules: str, message: str) -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config(f"feeds:\n  - url: https://a.example/feed\n    name: bad\n    {yaml_rules}\n")
    assert str(raised.value).startswith(message), str(raised.value)


def test_an_invalid_default_rule_names_the_defaults() -> None:
    with pytest.raises(ConfigError, match=r"^feeds.yaml: defaults: field 'exclude': invalid"):
        parse_config("defaults:\n  exclude: ['[']\nfeeds:\n  - https://a.example/feed\n")
