"""Headline verbs are no tags in Ukrainian, Russian and Arabic (issue 15), while nouns that share
a verb's ending ("школи", "сили", "власті") and names stay."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from newswire.keywords import extract_tags
from newswire.verbs import is_verb


@pytest.mark.parametrize(
    ("title", "language", "verbs", "kept"),
    [
        ("У Києві відкрили нові школи", "uk", {"відкрили"}, {"києві", "школи"}),
        ("Українці виграли чемпіонат Європи", "uk", {"виграли"}, {"чемпіонат"}),
        ("Відкрили новий міст через Дніпро", "uk", {"відкрили"}, {"міст", "дніпро"}),
        ("Депутати обговорюють бюджет і власті міста", "uk", {"обговорюють"}, {"бюджет", "власті"}),
        ("Збройні сили повідомили про атаку дронів", "uk", {"повідомили"}, {"сили", "атаку"}),
        ("Уряд планує реформу енергетики", "uk", {"планує"}, {"уряд", "реформу"}),
        ("Ціни на газ зросли, ринок стабілізувався", "uk", {"зросли", "стабілізувався"}, {"газ"}),
        ("В Москве открыли новую станцию метро", "ru", {"открыли"}, {"станцию", "метро"}),
        ("Депутаты обсуждают бюджет и власти регионов", "ru", {"обсуждают"}, {"бюджет", "власти"}),
        ("Сборная выиграла турнир и вернулась домой", "ru", {"выиграла", "вернулась"}, {"турнир"}),
        ("Цены на нефть снизились после решения ОПЕК", "ru", {"снизились"}, {"нефть", "ОПЕК"}),
        ("قمة الرياض تبحث وقف إطلاق النار في غزة", "ar", {"تبحث"}, {"غزة"}),
        ("الرئيس يبحث مع الوزراء خطة الإنقاذ", "ar", {"يبحث"}, {"الوزراء"}),
        ("مصر تؤكد دعمها وتعلن خطة جديدة للسلام", "ar", {"تؤكد", "وتعلن"}, {"مصر"}),
        ("ناقش البرلمان الموازنة", "ar", {"ناقش"}, {"البرلمان", "الموازنة"}),
    ],
)  # fmt: skip
def test_headline_verbs_are_dropped_nouns_kept(
    title: str, language: str, verbs: set[str], kept: set[str]
) -> None:
    tags = extract_tags(title, "", language=language)
    assert verbs.isdisjoint(tags), tags
    assert kept <= set(tags), tags


@pytest.mark.parametrize(
    ("word", "language"),
    [
        ("школи", "uk"), ("сили", "uk"), ("власті", "uk"), ("новини", "uk"), ("канали", "uk"),
        ("села", "uk"), ("правила", "uk"), ("держав", "uk"), ("пам'ять", "uk"), ("палати", "uk"),
        ("роботи", "uk"), ("депутатів", "uk"), ("вплив", "uk"), ("область", "ru"),
        ("власть", "ru"), ("сеть", "ru"), ("путь", "ru"), ("депутат", "ru"), ("бюджет", "ru"),
        ("кредит", "ru"), ("детали", "ru"), ("канал", "ru"), ("совет", "ru"), ("результат", "ru"),
        ("приют", "ru"), ("غزة", "ar"), ("البرلمان", "ar"), ("مصر", "ar"), ("تواصل", "ar"),
        ("توقع", "ar"),
    ],
)  # fmt: skip
def test_nouns_with_verb_like_endings_are_no_verbs(word: str, language: str) -> None:
    assert not is_verb(word, language)


def test_capitalised_words_are_never_verbs_by_ending() -> None:
    # A name may end like a verb; only the curated list reaches a capitalised word.
    assert is_verb("обговорюють", "uk")
    assert not is_verb("Обговорюють", "uk", capital=True)
    assert is_verb("Відкрили", "uk", capital=True)


def test_other_languages_are_untouched() -> None:
    assert not is_verb("обговорюють", "en")
    assert not is_verb("تبحث", "de")


_CYRILLIC = st.text(alphabet="абвгдежзийклмнопрстуфхцчшщьюяєії", min_size=2, max_size=12)


@given(_CYRILLIC, st.sampled_from(["ують", "лися", "ться", "ується", "ували"]))
def test_lower_case_unambiguous_verb_endings_are_verbs(stem: str, ending: str) -> None:
    assert is_verb(stem + ending, "uk")


@given(_CYRILLIC, st.sampled_from(["uk", "ru"]))
def test_a_name_is_kept_whatever_its_ending(stem: str, language: str) -> None:
    name = "Петро" + stem + "ють"
    tags = extract_tags(f"Зустріч у місті {name.capitalize()} Мельник", "", language=language)
    assert any(name.lower() in tag for tag in tags), tags
