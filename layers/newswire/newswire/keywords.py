"""Tags: keywords from an article's title and text, per the feed's language."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from functools import lru_cache
from itertools import chain
from typing import NamedTuple

import Stemmer
from stop_words import get_stop_words

from newswire.fillers import FILLERS, NO_TOPIC
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
TITLE_WEIGHT = 3
# A word written with a capital inside a sentence is a name (or, in German, a noun): a person
# choosing tags reaches for those first.
NAME_BONUS = 2
MIN_LENGTH = 3
# "About six": enough to place a story, few enough that a tag page gathers several articles.
MAX_TAGS = 6
# Hugo makes a directory (or, with uglyURLs, a file plus ".html") of every tag, category and
# any other taxonomy term, and a name longer than the 255-byte file-name limit fails the whole
# build. Hugo lower-cases the name (which can lengthen it: "İ" is 2 bytes, "i̇" 3) and may
# percent-encode it (up to 3 bytes per byte): 80 UTF-8 bytes stay under 255 even then. 64
# characters is more than any real tag or publisher name needs, and keeps list pages tidy.
MAX_TERM_CHARS = 64
MAX_TERM_BYTES = 80
# Letters only (so numbers and "1,407" never become tags), with inner apostrophes kept.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Each word with the text since the word before (what cannot begin a word: no letter), found
# by one C-level scan instead of slicing the text between matches in Python.
_GAP_AND_WORD = re.compile(r"([\W\d_]*)(" + _WORD.pattern + ")")
# Scripts written without spaces between words (Japanese kana and kanji, Chinese, Thai, Lao,
# Khmer, Myanmar): without a dictionary-based segmenter a run of them is a phrase, not a word,
# and cutting it at punctuation gives fragments ("の地震"). Such runs are left untagged; Latin
# words inside them ("AI", "NHK") still count.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]+"
)
_SENTENCE_END = frozenset(".!?:;…。！？")
ACRONYM_MAX = 5
MAX_NAME_WORDS = 3


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


@lru_cache(maxsize=64)
def _stemmer(language: str) -> Stemmer.Stemmer | None:
    name = STEMMERS.get(primary(language))
    return Stemmer.Stemmer(name) if name else None


@lru_cache(maxsize=64)
def _stopped_stems(language: str) -> frozenset[str]:
    """The stems of the stop words and filler, so that every inflection of a filler verb
    ("lifted" for "lift") is dropped too."""
    stemmer = _stemmer(language)
    words = stop_words(language)
    return frozenset(stemmer.stemWords(sorted(words))) if stemmer else words


def words(text: str) -> list[str]:
    """The words of `text`, lower-case, possessive "'s" dropped (the publisher exclusion)."""
    return [_bare(word) for word in _WORD.findall(text.lower())]


def _bare(word: str) -> str:
    if "'" in word or "’" in word:
        for suffix in ("'s", "’s", "'S", "’S"):
            word = word.removesuffix(suffix)
    return word


class _Token(NamedTuple):
    word: str
    """As written, possessive "'s" dropped."""
    starts_sentence: bool
    follows_space: bool
    """Only whitespace separates it from the word before (no punctuation): a name goes on."""


def _tokens(text: str) -> list[_Token]:
    """The words of `text` outside unspaced runs, with what a name's detection needs."""
    found: list[_Token] = []
    text = _UNSPACED.sub(" . ", text) if _UNSPACED.search(text) else text
    # The " x" ends the text with a word, so that no trailing run of non-letters is left for
    # the pattern to start at each of its positions, read to its end and give up (quadratic
    # in the run's length); that last match is dropped.
    for gap, word in _GAP_AND_WORD.findall(text + " x")[:-1]:
        if not gap or gap.isspace():
            found.append(_Token(_bare(word), not found, bool(found)))
        else:
            found.append(_Token(_bare(word), not found or gap.rstrip()[-1] in _SENTENCE_END, False))
    return found


def _is_acronym(word: str, shouting: bool = False) -> bool:
    """EU, UK, NATO, ЄС: all capitals, short. Not in a text written in capitals throughout."""
    return not shouting and 2 <= len(word) <= ACRONYM_MAX and word.isupper()


def _capitals(tokens: list[_Token]) -> tuple[bool, bool]:
    """(shouting, title case): whether most words are written in capitals, or most longer
    ones begin with one (a headline style in which a capital says nothing about a name)."""
    cased = [t.word for t in tokens if len(t.word) > 1 and t.word.lower() != t.word.upper()]
    shouting = len(cased) >= 3 and sum(w.isupper() for w in cased) * 2 > len(cased)
    longer = [w for w in cased if len(w) >= 4]
    capital = sum(w[0].isupper() for w in longer)
    return shouting, len(longer) >= 3 and capital * 5 >= len(longer) * 3


def _names(tokens: list[_Token], function: frozenset[str]) -> dict[int, int]:
    """Runs of two or three capitalised words inside a sentence ("Met Office", "Baltic Sea",
    "Hamburgische Bürgerschaft"): the index of each run's first token and the run's length.
    A sentence's first word is never part of one: its capital says nothing."""
    runs: dict[int, int] = {}
    i = 0
    while i < len(tokens):
        j = i
        while (
            j < len(tokens)
            and _name_word(tokens[j].word, function)
            and not tokens[j].starts_sentence
            and (j == i or tokens[j].follows_space)
        ):
            j += 1
        if 2 <= j - i <= MAX_NAME_WORDS:
            runs[i] = j - i
        i = max(j, i + 1)
    return runs


def _name_word(word: str, stop: frozenset[str]) -> bool:
    return word[:1].isupper() and not word.isupper() and word.lower() not in stop


def extract_tags(
    title: str,
    text: str,
    *,
    language: str = "en",
    exclude: Iterable[str] = (),
    configured: Iterable[str] = (),
    categories: Iterable[str] = (),
    limit: int = MAX_TAGS,
) -> tuple[str, ...]:
    """Tags a person would choose, best first, at most `limit` (configured tags always kept):
    the configured tags, then the entry's own categories, then keywords. Keywords are names
    ("met office"), acronyms (kept in capitals) and words that are neither stop words,
    headline filler, numbers nor the publisher's name; inflections of one word count as one
    tag (its most frequent form, lower-case). Title words count three times, names get a
    bonus; ties keep the order of first appearance. Every tag is capped (`cap_term`)."""
    function = function_words(language)
    excluded = {w for phrase in exclude for w in words(phrase)}
    counter = _Counter(language)
    nouns_capitalised = primary(language) in NOUNS_CAPITALISED
    for weight, source in ((TITLE_WEIGHT, title), (1, text)):
        tokens = _tokens(source)
        shouting, title_case = _capitals(tokens)
        # Where every noun has a capital, a run of them is no name ("Hamburgs Schulen").
        plain = shouting or title_case or nouns_capitalised
        names = {} if plain else _names(tokens, function)
        i = 0
        while i < len(tokens):
            if (length := names.get(i)) is not None:
                phrase = " ".join(t.word for t in tokens[i : i + length])
                if not excluded.issuperset(words(phrase)):
                    counter.add(phrase.lower(), phrase.lower(), weight + NAME_BONUS)
                    i += length
                    continue
            token = tokens[i]
            i += 1
            if token.word.lower() in excluded:
                continue
            if nouns_capitalised and i < len(tokens) and _attribute(token, tokens[i]):
                continue
            counter.word(token, weight, shouting=shouting, title_case=title_case)
    tags = list(cap_terms(t.lower() for t in configured))
    keys = {k for t in tags for k in counter.keys(t)}
    own = [_case(c) for c in categories if _topic(c.strip().lower(), counter.stop)]
    for tag in chain(cap_terms(own), _capped(counter.ranked())):
        if len(tags) >= limit:
            break
        # One tag per word: "baltic" and "baltic sea", "storm" and "storms" are one choice.
        if keys.isdisjoint(tag_keys := counter.keys(tag)):
            tags.append(tag)
            keys |= tag_keys
    return tuple(tags)


def _attribute(token: _Token, after: _Token) -> bool:
    """A sentence's first word right before a capitalised one, where every noun has a
    capital: an adjective that only has its capital from the sentence ("Große Koalition")."""
    return token.starts_sentence and after.follows_space and after.word[:1].isupper()


class _Counter:
    """Scores per folded word (its stem), and the forms each was written in."""

    def __init__(self, language: str) -> None:
        self.stop = stop_words(language)
        self.stemmer = _stemmer(language)
        self.language = language
        self.scores: dict[str, int] = {}
        self.forms: dict[str, dict[str, int]] = {}

    def keys(self, tag: str) -> set[str]:
        return {self.key(word) for word in tag.split()}

    def key(self, tag: str) -> str:
        if _is_acronym(tag) or " " in tag or self.stemmer is None:
            return tag.lower()
        return str(self.stemmer.stemWord(tag.lower()))

    def word(self, token: _Token, weight: int, *, shouting: bool, title_case: bool) -> None:
        word = token.word
        if len(word) <= _CACHED_WORD_LENGTH:
            found = _cached_word_key(word, self.language, shouting)
        else:
            found = _word_key(word, self.language, shouting)
        if found is None:
            return
        key, form, capital, acronym = found
        if acronym:
            self.add(key, form, weight + NAME_BONUS)
            return
        name = capital and not token.starts_sentence and not title_case
        self.add(key, form, weight + (NAME_BONUS if name else 0))

    def add(self, key: str, form: str, score: int) -> None:
        if key in self.scores:
            self.scores[key] += score
            forms = self.forms[key]
            forms[form] = forms.get(form, 0) + 1
        else:
            self.scores[key] = score
            self.forms[key] = {form: 1}

    def ranked(self) -> Iterator[str]:
        """The most frequent form of each key, best score first (sorted() is stable, so
        equal scores keep the order in which the words first appeared)."""
        for key in sorted(self.scores, key=lambda k: -self.scores[k]):
            forms = self.forms[key]
            yield max(forms, key=forms.__getitem__) if len(forms) > 1 else next(iter(forms))


def _word_key(word: str, language: str, shouting: bool) -> tuple[str, str, bool, bool] | None:
    """(key, form, capital, acronym) under which `word` is counted, or None when it is no
    keyword. An acronym is counted as written."""
    if _is_acronym(word, shouting):
        return word.lower(), word, True, True
    lower = word.lower()
    capital = word[:1].isupper() and not shouting
    nouns_only = primary(language) in NOUNS_CAPITALISED
    if len(lower) < MIN_LENGTH or lower in stop_words(language) or (nouns_only and not capital):
        return None
    if is_verb(word, language, capital=capital):
        return None
    stemmer = _stemmer(language)
    key = str(stemmer.stemWord(lower)) if stemmer else lower
    if key in _stopped_stems(language):
        return None
    return key, lower, capital, False


# Whether a word counts, and under which key, depends on the word, the language and whether
# the text shouts, not on the article: news vocabulary repeats from one headline to the next,
# so the checks and the stemming run once per distinct word. Bounded in entries and in the
# length of the words kept, for a long-lived worker fed hostile text.
_CACHED_WORD_LENGTH = 40
_cached_word_key = lru_cache(maxsize=1 << 14)(_word_key)


def _topic(category: str, stop: frozenset[str]) -> bool:
    return category not in NO_TOPIC and category not in stop


def _capped(terms: Iterable[str]) -> Iterator[str]:
    """Each term capped, lazily: only as many as the tags still need are capped."""
    for term in terms:
        if capped := cap_term(term):
            yield capped


def _case(term: str) -> str:
    """A category as a tag: lower-case like the keywords, an acronym kept in capitals."""
    term = term.strip()
    return term if _is_acronym(term) else term.lower()


def _term_bytes(term: str) -> int:
    # Hugo lower-cases a term for its folder and title-cases it for display: either may take
    # more bytes ("ɐ" → "Ɐ" is 2 bytes → 3).
    return max(len(v.encode("utf-8")) for v in (term, term.lower(), term.upper()))


def cap_term(term: str) -> str | None:
    """`term` cut to MAX_TERM_CHARS characters and MAX_TERM_BYTES UTF-8 bytes (lower-cased
    too), at a word boundary when there is one in the second half; None when nothing is left."""
    term = term.strip()
    if len(term) <= MAX_TERM_CHARS and _term_bytes(term) <= MAX_TERM_BYTES:
        return term or None
    cut = term[:MAX_TERM_CHARS]
    while _term_bytes(cut) > MAX_TERM_BYTES:
        cut = cut[:-1]
    space = cut.rfind(" ")
    if space > len(cut) // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:.-–—") or None


def cap_terms(terms: Iterable[str]) -> tuple[str, ...]:
    """Each term capped, empty ones dropped, duplicates (after capping) once, order kept."""
    return tuple(dict.fromkeys(t for t in map(cap_term, terms) if t))
