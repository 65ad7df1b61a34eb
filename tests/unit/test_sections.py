"""Hugo sections: each section's `_index.md` carries its configured title (or one made from its
name), as front matter every YAML reader reads back as the same string, written once."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from newswire.config import ConfigError, feed_from_mapping, feed_to_mapping, parse_config
from newswire.render import parse_markdown
from newswire.sections import (
    default_section_title,
    is_section_index,
    section_index_key,
    section_index_page,
)

FEEDS = """\
sections:
  world: World news
  de: Deutschland
feeds:
  - url: https://example.org/a.xml
    section: world
  - url: https://example.org/b.xml
    section: de
  - url: https://example.org/c.xml
    section: tech
  - url: https://example.org/d.xml
    section: world
    section_title: The world
"""


def test_section_titles_come_from_the_sections_mapping_else_the_feed_else_empty() -> None:
    feeds = parse_config(FEEDS).feeds
    assert [f.section_title for f in feeds] == ["World news", "Deutschland", "", "The world"]


def test_a_queued_feed_keeps_its_section_title() -> None:
    feed = parse_config(FEEDS).feeds[0]
    again = feed_from_mapping(feed_to_mapping(feed), where="SQS message")
    assert again == feed
    untitled = parse_config(FEEDS).feeds[2]
    assert "section_title" not in feed_to_mapping(untitled)


@pytest.mark.parametrize(
    ("sections", "error"),
    [
        ("[world]", "'sections' must map section names"),
        ("{World: World}", "'World' is not a section name"),
        ("{world: ''}", "sections: world: the title must be a non-empty line of text"),
        ("{world: [a]}", "sections: world: the title must be a non-empty line of text"),
        ('{world: "a\\nb"}', "sections: world: the title must be a non-empty line of text"),
        ("{world: " + "x" * 101 + "}", "sections: world: the title must be at most 100"),
    ],
)
def test_a_bad_sections_mapping_is_a_one_line_error(sections: str, error: str) -> None:
    text = f"sections: {sections}\nfeeds:\n  - url: https://example.org/a.xml\n"
    with pytest.raises(ConfigError) as caught:
        parse_config(text)
    assert error in str(caught.value) and "\n" not in str(caught.value)


def test_default_titles_are_the_section_name_in_words() -> None:
    assert default_section_title("world") == "World"  # not Hugo's "Worlds"
    assert default_section_title("local-news") == "Local news"
    assert default_section_title("de") == "De"


@given(st.text(min_size=1, max_size=100).filter(lambda t: t.strip() and t.isprintable()))
def test_any_title_reads_back_as_the_same_string(title: str) -> None:
    meta, body = parse_markdown(section_index_page(title))
    assert meta == {"title": title} and body == ""


@pytest.mark.parametrize("title", ["yes", "n", "1e3", "0o17", "2026-01-01", "null", "~"])
def test_titles_other_readers_take_for_other_types_are_quoted(title: str) -> None:
    header = section_index_page(title).decode().split("---\n")[1]
    # YAML 1.1 (Go's yaml.v2) reads these unquoted as booleans, numbers, dates or null.
    assert yaml.load(header, Loader=yaml.BaseLoader) == {"title": title}
    assert header.strip() != f"title: {title}"


def test_section_index_keys() -> None:
    assert section_index_key("world") == "content/world/_index.md"
    assert is_section_index("content/world/_index.md")
    assert not is_section_index("content/world/2026/01/_index-news.md")
    with pytest.raises(ValueError, match="not a section name"):
        section_index_key("../etc")
