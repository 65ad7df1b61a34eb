"""The body checks that decide whether an article page shows its body: is_link_list skips the
parse of a body that cannot start with a list, and must answer as the parse does."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from newswire.site.markup import body_links, is_link_list, tokens_are_link_list

PIECES = (
    "- ", "* ", "+ ", "1. ", "> ", "    ", "  ", "\t", "\n", "\n\n", "\u00a0", "\ufeff", "[a]: https://a.example/\n",
    "[t](https://u.example/)", "[r][a]", "text", " — Pub", "<b>x</b>", "# h\n", "---\n", "`- x`",
    "\\- x", "***", "[", "]", "(", ")",
)  # fmt: skip


def parsed_is_link_list(markdown: str) -> bool:
    """The rule on a fresh full CommonMark parse, without is_link_list's shortcut and cache."""
    return tokens_are_link_list(MarkdownIt("commonmark", {"html": False}).parse(markdown))


@given(st.lists(st.sampled_from(PIECES), max_size=14).map("".join))
def test_is_link_list_answers_as_the_full_parse(markdown: str) -> None:
    assert is_link_list(markdown) == parsed_is_link_list(markdown)


@given(st.text(max_size=60))
def test_is_link_list_answers_as_the_full_parse_on_any_text(markdown: str) -> None:
    assert is_link_list(markdown) == parsed_is_link_list(markdown)


def test_a_coverage_list_behind_blank_lines_or_a_reference_is_still_one() -> None:
    coverage = "- [A](https://a.example/) — Pub\n- [B](https://b.example/) — Other\n"
    assert is_link_list("\n\n  " + coverage)
    assert is_link_list("[a]: https://ref.example/\n" + coverage)
    assert body_links(coverage) == ["https://a.example/", "https://b.example/"]
    assert not is_link_list("Prose first.\n\n" + coverage)
    assert not is_link_list(coverage + "\nProse after.\n")
