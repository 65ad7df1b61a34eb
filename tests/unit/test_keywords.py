from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire import keywords
from newswire.keywords import extract_tags


def test_stop_words_numbers_and_publisher_are_dropped() -> None:
    tags = extract_tags(
        "Russia-Ukraine war: List of key events, day 1,407",
        "",
        exclude=["Al Jazeera"],
    )
    assert tags == ("russia", "ukraine", "war", "events")


def test_configured_tags_come_first_and_limit_applies() -> None:
    tags = extract_tags(
        "alpha beta gamma delta epsilon zeta theta iota kappa", "", configured=["World"]
    )
    assert tags[0] == "world"
    assert len(tags) == 6


def test_title_words_outrank_text_words() -> None:
    tags = extract_tags("Harbour wall", "budget budget budget council")
    assert tags[:2] == ("harbour", "wall")
    assert tags[2] == "budget"


def test_ukrainian_and_russian_stop_words() -> None:
    assert extract_tags("Війна в Україні та на фронті", "", language="uk") == (
        "війна", "україні", "фронті"
    )  # fmt: skip
    assert "и" not in extract_tags("Москва и Киев", "", language="ru")


def test_german_french_spanish_stop_words() -> None:
    assert extract_tags("Die Regierung und der Kanzler", "", language="de") == (
        "regierung",
        "kanzler",
    )
    assert extract_tags("Le président et les ministres", "", language="fr") == (
        "président",
        "ministres",
    )
    assert extract_tags("El gobierno y los ministros", "", language="es") == (
        "gobierno",
        "ministros",
    )


def test_possessive_suffix_is_removed_and_order_is_stable() -> None:
    first = extract_tags("Zelensky’s plan for peace", "plan plan")
    assert first == extract_tags("Zelensky’s plan for peace", "plan plan")
    assert "zelensky" in first


_HEADLINE_PIECES = st.sampled_from(
    ["NATO ", "nato ", "Nato ", "EU ", "Met Office ", "storms ", "STORMS ", "Storm ", "reopens ",
     "Die ", "Regierung ", "große ", "Große ", "заявили ", "Заявили ", "ЄС ", "قال ", ". ", ", ",
     "’s ", "1,407 ", "Grüne ", "grüne "]
)  # fmt: skip
_TEXTS = st.lists(_HEADLINE_PIECES, max_size=12).map("".join)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(_TEXTS, _TEXTS, st.sampled_from(["en", "de", "uk", "ru", "ar"])),
        min_size=2,
        max_size=6,
    )
)
def test_tags_do_not_depend_on_the_articles_before(
    articles: list[tuple[str, str, str]],
) -> None:
    """Word decisions are remembered across articles: what one article's words decided (the
    same word written in capitals, in a shouting headline, in another language) never
    changes another's tags."""
    alone = []
    for title, text, language in articles:
        keywords._cached_word_key.cache_clear()
        alone.append(extract_tags(title, text, language=language))
    keywords._cached_word_key.cache_clear()
    after_each_other = [extract_tags(t, x, language=lang) for t, x, lang in articles]
    assert after_each_other == alone


def test_a_long_run_without_letters_after_the_last_word_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Hostile text: a body that ends in a long run of digits and punctuation. The word scan
    # must never be given text that ends in such a run: it would start at each of its
    # positions, read it to its end and find no word (quadratic: this text took minutes).
    text = "Harbour council budget vote. " * 3
    scan = keywords._GAP_AND_WORD
    scanned: list[str] = []

    class Watched:
        def findall(self, text: str) -> list[tuple[str, str]]:
            assert text[-1:].isalpha(), "the scan was given a text that ends without a word"
            scanned.append(text)
            return scan.findall(text)

    monkeypatch.setattr(keywords, "_GAP_AND_WORD", Watched())
    for tail in ("1 " * 20_000, "— " * 20_000, ".,;" * 10_000, ""):
        assert extract_tags("Harbour wall", text + tail) == extract_tags("Harbour wall", text)
    assert scanned
