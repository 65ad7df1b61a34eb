"""Tags: keywords from an article's title and text, per the feed's language."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain

from newswire.fillers import NO_TOPIC
from newswire.language import primary
from newswire.vocabulary import (
    Word,
    case_totals,
    forget_words,
    is_acronym,
    remember,
    stemmer_of,
    stop_words,
    vocabulary,
    without_possessive,
)

__all__ = ["MAX_TAGS", "cap_term", "cap_terms", "extract_tags", "forget_words", "stop_words"]

TITLE_WEIGHT = 3
# A word written with a capital inside a sentence is a name (or, in German, a noun): a person
# choosing tags reaches for those first.
NAME_BONUS = 2
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
# re.split with the word as its group gives the text between words and the words, in one
# C-level scan that searches for each word's first letter: a run of non-letters is passed
# over once (a pattern that matched the run before each word would restart at each of its
# positions after the last word, quadratic in the run's length). On ASCII text the letters
# are A-Z and a-z and the only apostrophe is "'": the same words, at about half the cost.
_SCAN = re.compile("(" + _WORD.pattern + ")")
_ASCII_SCAN = re.compile(r"([A-Za-z]+(?:'[A-Za-z]+)*)")
# Scripts written without spaces between words (Japanese kana and kanji, Chinese, Thai, Lao,
# Khmer, Myanmar): without a dictionary-based segmenter a run of them is a phrase, not a word,
# and cutting it at punctuation gives fragments ("の地震"). Such runs are left untagged; Latin
# words inside them ("AI", "NHK") still count.
_UNSPACED = re.compile(
    "[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff\u3005\u3040-\u30ff\u3400-\u4dbf"
    "\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\U00020000-\U0003134f]+"
)
_SENTENCE_END = frozenset(".!?:;…。！？")
MAX_NAME_WORDS = 3


def words(text: str) -> list[str]:
    """The words of `text`, lower-case, possessive "'s" dropped (the publisher exclusion)."""
    return [without_possessive(word) for word in _WORD.findall(text.lower())]


def _scan(text: str) -> tuple[list[str], list[str]]:
    """(gaps, words): the words of `text` outside unspaced runs, as written, and before each
    the text since the word before."""
    if text.isascii():
        parts = _ASCII_SCAN.split(text)
    else:
        parts = _SCAN.split(_UNSPACED.sub(" . ", text) if _UNSPACED.search(text) else text)
    return parts[0:-1:2], parts[1::2]


def _starts_sentence(gaps: list[str], i: int) -> bool:
    if i == 0:
        return True
    gap = gaps[i]
    return bool(gap) and not gap.isspace() and gap.rstrip()[-1] in _SENTENCE_END


def _follows_space(gaps: list[str], i: int) -> bool:
    """Only whitespace separates word `i` from the word before (no punctuation): a name goes on."""
    if i == 0:
        return False
    gap = gaps[i]
    return not gap or gap.isspace()


def _capitals(found: list[Word]) -> tuple[bool, bool]:
    """(shouting, title case): whether most words are written in capitals, or most longer
    ones begin with one (a headline style in which a capital says nothing about a name)."""
    cased, upper, longer, capital = case_totals(found)
    return cased >= 3 and upper * 2 > cased, longer >= 3 and capital * 5 >= longer * 3


def _names(gaps: list[str], found: list[Word]) -> dict[int, int]:
    """Runs of two or three capitalised words inside a sentence ("Met Office", "Baltic Sea",
    "Hamburgische Bürgerschaft"): the index of each run's first word and the run's length.
    A sentence's first word is never part of one: its capital says nothing."""
    runs: dict[int, int] = {}
    end = 0
    for i in [i for i, word in enumerate(found) if word.name]:
        if i < end or _starts_sentence(gaps, i):
            continue
        j = i + 1
        while (
            j < len(found)
            and found[j].name
            and _follows_space(gaps, j)
            and not _starts_sentence(gaps, j)
        ):
            j += 1
        if 2 <= j - i <= MAX_NAME_WORDS:
            runs[i] = j - i
        end = j
    return runs


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
    excluded = _excluded(exclude)
    counter = _Counter(language)
    counter.read(title, TITLE_WEIGHT, excluded)
    counter.read(text, 1, excluded)
    tags = list(cap_terms(t.lower() for t in configured)) if configured else []
    keys = {k for t in tags for k in counter.keys(t)}
    own = [_case(c) for c in categories if _topic(c.strip().lower(), counter.stop)]
    for tag in chain(cap_terms(own) if own else (), _capped(counter.ranked())):
        if len(tags) >= limit:
            break
        # One tag per word: "baltic" and "baltic sea", "storm" and "storms" are one choice.
        if keys.isdisjoint(tag_keys := counter.keys(tag)):
            tags.append(tag)
            keys |= tag_keys
    return tuple(tags)


class _Counter:
    """Scores per folded word (its stem), and the forms each was written in."""

    def __init__(self, language: str) -> None:
        self.stop = stop_words(language)
        self.stemmer = stemmer_of(language)
        self.vocabulary = vocabulary(primary(language))
        self.scores: dict[str, int] = {}
        self.forms: dict[str, dict[str, int]] = {}

    def keys(self, tag: str) -> frozenset[str]:
        if (keys := self.vocabulary.keys.get(tag)) is None:
            keys = frozenset(self.key(word) for word in tag.split())
            remember(self.vocabulary.keys, tag, keys)
        return keys

    def key(self, tag: str) -> str:
        if is_acronym(tag) or " " in tag or self.stemmer is None:
            return tag.lower()
        return self.stemmer.stem(tag.lower())

    def read(self, text: str, weight: int, excluded: set[str]) -> None:
        """Count the words of `text`, each `weight` times (names and acronyms more)."""
        vocabulary = self.vocabulary
        known, learn = vocabulary.known.get, vocabulary.learn
        gaps, written = _scan(text)
        found = [known(word) or learn(word) for word in written]
        shouting, title_case = _capitals(found)
        nouns_capitalised = vocabulary.nouns_capitalised
        # Where every noun has a capital, a run of them is no name ("Hamburgs Schulen").
        plain = shouting or title_case or nouns_capitalised
        names = {} if plain else _names(gaps, found)
        scores, forms = self.scores, self.forms
        after = 0
        for i, word in enumerate(found):
            if i < after:
                continue
            length = names.get(i) if names else None
            if length and not excluded.issuperset(words(phrase := _joined(found, i, length))):
                key = form = phrase.lower()
                score = weight + NAME_BONUS
                after = i + length
            else:
                counted = vocabulary.shouting(word) if shouting else word.found
                if counted is None or word.lower in excluded:
                    continue
                # A sentence's first word right before a capitalised one, where every noun
                # has a capital: an adjective that only has its capital from the sentence
                # ("Große Koalition").
                if (
                    nouns_capitalised
                    and i + 1 < len(found)
                    and found[i + 1].capital
                    and _follows_space(gaps, i + 1)
                    and _starts_sentence(gaps, i)
                ):
                    continue
                key, form, capital, acronym = counted
                name = acronym or (capital and not title_case and not _starts_sentence(gaps, i))
                score = weight + NAME_BONUS if name else weight
            if key in scores:
                scores[key] += score
                counts = forms[key]
                counts[form] = counts.get(form, 0) + 1
            else:
                scores[key] = score
                forms[key] = {form: 1}

    def ranked(self) -> Iterator[str]:
        """The most frequent form of each key, best score first (sorted() is stable, so
        equal scores keep the order in which the words first appeared)."""
        for key in sorted(self.scores, key=self.scores.__getitem__, reverse=True):
            forms = self.forms[key]
            yield max(forms, key=forms.__getitem__) if len(forms) > 1 else next(iter(forms))


def _joined(found: list[Word], start: int, length: int) -> str:
    return " ".join(word.bare for word in found[start : start + length])


def _excluded(phrases: Iterable[str]) -> set[str]:
    """The words of the phrases (publishers), remembered: they repeat from one article to the
    next. Kept like the vocabulary's words: bounded in number and in length."""
    excluded: set[str] = set()
    for phrase in phrases:
        if (found := _PHRASES.get(phrase)) is None:
            found = tuple(words(phrase))
            remember(_PHRASES, phrase, found)
        excluded.update(found)
    return excluded


_PHRASES: dict[str, tuple[str, ...]] = {}


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
    return term if is_acronym(term) else term.lower()


def _term_bytes(term: str) -> int:
    # Hugo lower-cases a term for its folder and title-cases it for display: either may take
    # more bytes ("ɐ" → "Ɐ" is 2 bytes → 3).
    return max(len(v.encode("utf-8")) for v in (term, term.lower(), term.upper()))


def cap_term(term: str) -> str | None:
    """`term` cut to MAX_TERM_CHARS characters and MAX_TERM_BYTES UTF-8 bytes (lower-cased
    too), at a word boundary when there is one in the second half; None when nothing is left."""
    term = term.strip()
    # An ASCII term stays ASCII, as long, lower- or upper-cased: its characters are its bytes.
    if len(term) <= MAX_TERM_CHARS and (term.isascii() or _term_bytes(term) <= MAX_TERM_BYTES):
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
