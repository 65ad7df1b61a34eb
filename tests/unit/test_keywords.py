from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from types import SimpleNamespace

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
        keywords.forget_words()
        alone.append(extract_tags(title, text, language=language))
    keywords.forget_words()
    after_each_other = [extract_tags(t, x, language=lang) for t, x, lang in articles]
    assert after_each_other == alone


def test_a_long_run_without_letters_after_the_last_word_changes_nothing() -> None:
    # Hostile text: a body that ends in a long run of digits and punctuation. A scan whose
    # match could begin at a non-letter (the run before a word, then the word) would start at
    # each position of the trailing run, read it to its end and find no word: quadratic, this
    # text took minutes. The scans search for a word's first letter instead.
    for scan in (keywords._SCAN, keywords._ASCII_SCAN):
        for run in ("1 ", "— ", ".,;", "'", "_"):
            assert scan.match(run * 3 + "x") is None, (scan.pattern, run)
    text = "Harbour council budget vote. " * 3
    for tail in ("1 " * 20_000, "— " * 20_000, ".,;" * 10_000, ""):
        assert extract_tags("Harbour wall", text + tail) == extract_tags("Harbour wall", text)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_text_is_cut_into_the_same_words_by_either_scan(text: str) -> None:
    assert keywords._ASCII_SCAN.split(text) == keywords._SCAN.split(text)


@pytest.mark.parametrize(
    ("title", "tags"),
    [
        # Two of three words in capitals: the headline shouts, acronyms say nothing ("EU" is
        # then too short to be a word); two of four do not.
        ("NATO EU talks", ("nato", "talks")),
        ("NATO EU talks resume", ("NATO", "EU", "talks")),
        ("NATO MINISTERS MEET AS THE BALTIC SEA FREEZES",
         ("nato", "ministers", "baltic", "sea", "freezes")),
    ],
)  # fmt: skip
def test_in_a_text_written_in_capitals_nothing_is_an_acronym(
    title: str, tags: tuple[str, ...]
) -> None:
    assert extract_tags(title, "") == tags


def test_in_a_title_case_headline_capitals_make_no_names() -> None:
    # Three of six longer words with a capital: a sentence, "Harbour Closes" reads as a name.
    assert "harbour closes" in extract_tags("Ferry Harbour Closes while council debates", "")
    # Four of six (and three of five): title case, where a capital says nothing.
    assert extract_tags("Ferry Harbour Closes While council debates", "") == (
        "ferry", "harbour", "council", "debates"
    )  # fmt: skip
    assert extract_tags("Ferry Harbour Closes while debates", "") == (
        "ferry", "harbour", "debates"
    )  # fmt: skip
    assert extract_tags("NATO Ministers Meet As The Baltic Sea Freezes", "") == (
        "NATO", "ministers", "baltic", "sea", "freezes"
    )  # fmt: skip


@pytest.mark.parametrize(
    ("title", "first"),
    [
        ("Officials said the minister and the Baltic Sea froze", "baltic sea"),
        ("Officials said the minister and the Baltic Sea Coast froze", "baltic sea coast"),
        # Four capitalised words in a row are no name of two or three.
        ("Officials said the minister and the Baltic Sea Coast Guard froze", "baltic"),
        # Punctuation ends a name; a sentence's first word has its capital from the sentence
        # (the capital of "Sea" still makes it a name alone, ranked first).
        ("Officials said the minister and the Baltic, Sea froze", "baltic"),
        ("Officials said the minister. Baltic Sea froze", "sea"),
        ("Officials said the minister: Baltic Sea froze", "sea"),
    ],
)
def test_names_are_runs_of_two_or_three_capitalised_words_inside_a_sentence(
    title: str, first: str
) -> None:
    tags = extract_tags(title, "")
    assert tags[0] == first
    assert not [t for t in tags if " " in t and t != first]


def test_german_adjective_at_a_sentence_start_is_no_tag() -> None:
    assert extract_tags("Große Koalition streitet", "", language="de") == ("koalition",)
    assert extract_tags("Wir sehen: Große Koalition streitet", "", language="de") == ("koalition",)
    # Not right before the noun (a comma between), not at a sentence's start: a noun itself.
    for title in ("Die Große Koalition streitet", "Große, Koalition streitet"):
        assert extract_tags(title, "", language="de") == ("große", "koalition")


def test_ascii_terms_are_capped_by_characters_and_others_by_bytes() -> None:
    assert keywords.cap_term("a" * 64) == "a" * 64
    assert keywords.cap_term("a" * 65) == "a" * 64
    # 40 characters, 80 bytes, 120 bytes upper-cased ("ɐ" → "Ɐ"): cut to 26, 78 bytes upper.
    capped = keywords.cap_term("ɐ" * 40)
    assert capped == "ɐ" * 26


def test_what_is_remembered_about_words_stays_bounded() -> None:
    # A long-lived worker fed text with ever new words (or made-up language tags, or ever new
    # publisher names) keeps a bounded memory of them: a few vocabularies, a few thousand
    # words each, none of them long.
    from itertools import product

    from newswire import vocabulary

    keywords.forget_words()
    letters = "abcdefghijklmnopqrstuvwxyz"
    distinct = ["".join(p) for p in product(letters, repeat=3)][:5000]
    long = ["q" * 41 + w for w in distinct[:50]]
    for language in ["en", *(f"{a}{b}" for a, b in product("xyz", repeat=2))]:
        extract_tags("Harbour wall", " ".join(distinct + long), language=language)
    extract_tags("Harbour wall", "", exclude=[f"Publisher {w}" for w in distinct] + long)
    assert vocabulary.vocabulary.cache_info().currsize <= 8
    english = vocabulary.vocabulary("en")
    remembered: list[Mapping[str, object]] = [
        english.known,
        english.shouted,
        english.keys,
        keywords._PHRASES,
    ]
    assert all(len(cache) <= 4096 for cache in remembered)
    assert all(len(word) <= 40 for cache in remembered for word in cache)
    assert english.known and keywords._PHRASES


def test_a_stemmer_is_used_by_one_thread_at_a_time(monkeypatch: pytest.MonkeyPatch) -> None:
    # A PyStemmer object keeps state between calls and must not be called concurrently;
    # ingest normalizes feeds on worker threads.
    from newswire import vocabulary

    guard = threading.Lock()
    inside: list[str] = []
    overlaps: list[bool] = []

    class Watched:
        def __init__(self, algorithm: str) -> None:
            pass

        def stemWord(self, word: str) -> str:
            with guard:
                inside.append(word)
                overlaps.append(len(inside) > 1)
            time.sleep(0.002)  # another thread would come in here, were nothing to stop it
            with guard:
                inside.remove(word)
            return word

    monkeypatch.setattr(vocabulary, "Stemmer", SimpleNamespace(Stemmer=Watched))
    stems = vocabulary.Stems("english")
    threads = [
        threading.Thread(target=lambda n=n: [stems.stem(f"{n}{w}") for w in "abcd"])
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(overlaps) == 16
    assert not any(overlaps)
