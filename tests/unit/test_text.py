from __future__ import annotations

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


def test_truncate_cuts_at_a_word_with_an_ellipsis() -> None:
    assert truncate("short", 300) == "short"
    assert truncate("one two three four", 12) == "one two…"


@given(st.text(), st.integers(min_value=2, max_value=400))
def test_truncate_never_exceeds_the_limit(text: str, limit: int) -> None:
    out = truncate(text, limit)
    assert len(out) <= limit
    assert out == text or out.endswith("…")
