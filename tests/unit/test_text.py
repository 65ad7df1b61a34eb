from __future__ import annotations

import re
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from newswire.text import clean_line, html_to_text, truncate


def test_entities_are_decoded_and_blocks_separated() -> None:
    html = (
        "<ol><li><a>Title</a>&nbsp;&nbsp;<font>Al Jazeera</font></li><li>Next &amp; more</li></ol>"
    )
    assert html_to_text(html) == "Title Al Jazeera Next & more"


def test_script_and_style_text_is_dropped() -> None:
    assert html_to_text("<p>a</p><script>var x = 1;</script><style>p{}</style><p>b</p>") == "a b"


def test_clean_line_removes_invisible_and_separator_characters() -> None:
    assert clean_line("a\u2028b\u2029c\ufeffd\x00e\x1bf\u200bg  \n h") == "a b cdefg h"


def _clean_line_by_character(text: str) -> str:
    """The rule clean_line states, one character at a time (its slow path, written out)."""
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zl", "Zp"):
            out.append(" ")
        elif category not in ("Cc", "Cf", "Cs", "Co", "Cn"):
            out.append(char)
    return re.sub(r"\s+", " ", "".join(out)).strip()


WHITESPACE_AND_INVISIBLE = st.sampled_from(
    [
        "\n",
        "\r\n",
        "\t",
        " ",
        "\x0b",
        "\x85",
        "\xa0",
        "\u2028",
        "\u3000",
        "\u200b",
        "\x00",
        "\ufeff",
    ]
)


@given(st.lists(st.one_of(st.text(), WHITESPACE_AND_INVISIBLE), max_size=8).map("".join))
def test_clean_line_folds_and_drops_as_its_rule_says(text: str) -> None:
    # clean_line folds whitespace first and skips the character loop when nothing is left to
    # drop (multi-line HTML text, the common case); the result is the rule's either way.
    assert clean_line(text) == _clean_line_by_character(text)


def test_truncate_cuts_at_a_word_with_an_ellipsis() -> None:
    assert truncate("short", 300) == "short"
    assert truncate("one two three four", 12) == "one two…"


@given(st.text(), st.integers(min_value=2, max_value=400))
def test_truncate_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…")
