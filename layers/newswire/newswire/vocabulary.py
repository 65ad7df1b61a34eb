"""What each word is in a language, for tags (newswire.keywords): stop words, stems, and
for each distinct word as written whether and how it counts, decided once."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from functools import lru_cache
from operator import attrgetter
from typing import Any, NamedTuple

import Stemmer
from stop_words import get_stop_words

from newswire.fillers import FILLERS
from newswire.language import primary
from newswire.verbs import is_verb

LANGUAGES = {
    "ar": "arabic", "bg": "bulgarian", "ca": "catalan", "cs": "czech", "da": "danish",
    "de": "german", "el": "greek", "en": "english", "es": "spanish", "fa": "persian",
    "fi": "finnish", "fr": "french", "he": "hebrew", "hi": "hindi", "hu": "hungarian",
    "id": "indonesian", "it": "italian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sk": "slovak", "sv": "swedish",
    "tr": "turkish", "uk": "ukrainian", "vi": "vietnamese",
}  # fmt: skip
# Snowball stemmers (PyStemmer) by primary subtag: they fold a word's inflections ("reopens",
# "reopened") into one tag. Ukrainian has none; the Russian one would mangle it, so Ukrainian
# words stay as written.
STEMMERS = {
    "ar": "arabic", "ca": "catalan", "cs": "czech", "da": "danish", "de": "german",
    "el": "greek", "en": "english", "es": "spanish", "et": "estonian", "eu": "basque",
    "fa": "persian", "fi": "finnish", "fr": "french", "ga": "irish", "hi": "hindi",
    "hu": "hungarian", "hy": "armenian", "id": "indonesian", "it": "italian", "lt": "lithuanian",
    "ne": "nepali", "nl": "dutch", "no": "norwegian", "nb": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sr": "serbian", "sv": "swedish",
    "ta": "tamil", "tr": "turkish", "yi": "yiddish",
}  # fmt: skip
# Languages whose orthography capitalises every noun: there a lower-case word (a verb, an
# adjective) is never a tag a person would choose.
NOUNS_CAPITALISED = frozenset({"de", "lb"})
MIN_LENGTH = 3
ACRONYM_MAX = 5


@lru_cache(maxsize=64)
def function_words(language: str) -> frozenset[str]:
    """The stop-word list of the language, plus English's (headlines mix in English names),
    lower-case: articles, pronouns, prepositions. They never begin or continue a name."""
    words = set(get_stop_words("english"))
    name = LANGUAGES.get(primary(language))
    if name and name != "english":
        words |= set(get_stop_words(name))
    return frozenset(w.lower() for w in words)


@lru_cache(maxsize=64)
def stop_words(language: str) -> frozenset[str]:
    """function_words and the headline filler of the language and of English
    (newswire.fillers): what is never a tag on its own."""
    fillers = FILLERS["en"] | FILLERS.get(primary(language), frozenset())
    return function_words(language) | {w.lower() for w in fillers}


class Stems:
    """A Snowball stemmer used by one thread at a time: a PyStemmer object keeps state from
    one call to the next and must not be called concurrently (its documentation says so),
    while ingest normalizes feeds on worker threads. Words are stemmed once each (Vocabulary),
    so the lock is rarely taken."""

    def __init__(self, algorithm: str) -> None:
        self._stemmer = Stemmer.Stemmer(algorithm)
        self._lock = threading.Lock()

    def stem(self, word: str) -> str:
        with self._lock:
            return str(self._stemmer.stemWord(word))


@lru_cache(maxsize=64)
def stemmer_of(language: str) -> Stems | None:
    name = STEMMERS.get(primary(language))
    return Stems(name) if name else None


@lru_cache(maxsize=64)
def stopped_stems(language: str) -> frozenset[str]:
    """The stems of the stop words and filler, so that every inflection of a filler verb
    ("lifted" for "lift") is dropped too."""
    stemmer = stemmer_of(language)
    words = stop_words(language)
    return frozenset(stemmer.stem(word) for word in words) if stemmer else words


def without_possessive(word: str) -> str:
    if "'" in word or "’" in word:
        for suffix in ("'s", "’s", "'S", "’S"):
            word = word.removesuffix(suffix)
    return word


def is_acronym(word: str, shouting: bool = False) -> bool:
    """EU, UK, NATO, ЄС: all capitals, short. Not in a text written in capitals throughout."""
    return not shouting and 2 <= len(word) <= ACRONYM_MAX and word.isupper()


Found = tuple[str, str, bool, bool]
"""(key, form, capital, acronym): how a word is counted (see word_key)."""


class Word(NamedTuple):
    """What one word, as written, is in one language: decided once (see Vocabulary)."""

    bare: str
    """As written, possessive "'s" dropped."""
    lower: str
    capital: bool
    name: bool
    """May be part of a name: a capital, not all capitals, no function word."""
    cases: int
    """Its share of case_totals' four counts, packed."""
    found: Found | None
    """How it is counted in a text that does not shout; None when it is no keyword."""


# A word longer than this says, by its first letter, whether a headline is in title case.
LONGER = 4
# Each word's share of case_totals' four counts is packed into one int, 64 bits a count (no
# text holds 2**64 words), so that one C-level sum() adds up all four.
_SHIFT = 64
_MASK = (1 << _SHIFT) - 1
_CASES = attrgetter("cases")


def case_counts(word: str, lower: str) -> int:
    if len(word) <= 1 or lower == word.upper():
        return 0
    upper = word.isupper()
    if len(word) < LONGER:
        return 1 | upper << _SHIFT
    capital = word[0].isupper()
    return 1 | upper << _SHIFT | 1 << 2 * _SHIFT | capital << 3 * _SHIFT


def case_totals(found: Iterable[Word]) -> tuple[int, int, int, int]:
    """Over the words of a text (one letter words left out): how many have case, how many of
    those are in capitals, how many are LONGER, and how many of those begin with a capital."""
    counts = sum(map(_CASES, found))
    return (
        counts & _MASK,
        counts >> _SHIFT & _MASK,
        counts >> 2 * _SHIFT & _MASK,
        counts >> 3 * _SHIFT,
    )


class Vocabulary:
    """The words of one language met so far. Whether a word counts, under which key, and what
    its capitals say depend on the word and the language, not on the article: news vocabulary
    repeats from one headline to the next, so each distinct word is looked at once. Bounded
    in entries and in the length of the words kept, for a long-lived worker fed hostile text
    (emptied when full: every entry can be worked out again, so nothing but time is lost)."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.function = function_words(language)
        self.nouns_capitalised = language in NOUNS_CAPITALISED
        self.known: dict[str, Word] = {}
        self.shouted: dict[str, Found | None] = {}
        self.keys: dict[str, frozenset[str]] = {}

    def learn(self, written: str) -> Word:
        bare = without_possessive(written)
        lower = bare.lower()
        capital = bare[:1].isupper()
        word = Word(
            bare,
            lower,
            capital,
            capital and not bare.isupper() and lower not in self.function,
            case_counts(bare, lower),
            word_key(bare, self.language, False),
        )
        remember(self.known, written, word)
        return word

    def shouting(self, word: Word) -> Found | None:
        """How `word` is counted in a text written in capitals throughout."""
        if (found := self.shouted.get(word.bare, _UNKNOWN)) is _UNKNOWN:
            found = word_key(word.bare, self.language, True)
            remember(self.shouted, word.bare, found)
        return found


_UNKNOWN: Found = ("", "", False, False)
_CACHED_WORD_LENGTH = 40
_CACHED_WORDS = 1 << 12


def remember(cache: dict[str, Any], word: str, value: Any) -> None:
    if len(word) <= _CACHED_WORD_LENGTH:
        if len(cache) >= _CACHED_WORDS:
            cache.clear()
        cache[word] = value


@lru_cache(maxsize=8)
def vocabulary(language: str) -> Vocabulary:
    """The vocabulary of a primary subtag (every decision about a word depends on that only;
    few are kept, for a worker fed many made-up languages)."""
    return Vocabulary(language)


def forget_words() -> None:
    """Empty every vocabulary (for tests: results never depend on what was remembered)."""
    vocabulary.cache_clear()


def word_key(word: str, language: str, shouting: bool) -> Found | None:
    """(key, form, capital, acronym) under which `word` is counted, or None when it is no
    keyword. An acronym is counted as written."""
    if is_acronym(word, shouting):
        return word.lower(), word, True, True
    lower = word.lower()
    capital = word[:1].isupper() and not shouting
    nouns_only = primary(language) in NOUNS_CAPITALISED
    if len(lower) < MIN_LENGTH or lower in stop_words(language) or (nouns_only and not capital):
        return None
    if is_verb(word, language, capital=capital):
        return None
    stemmer = stemmer_of(language)
    key = stemmer.stem(lower) if stemmer else lower
    if key in stopped_stems(language):
        return None
    return key, lower, capital, False
