"""Tags: keywords from an article's title and text, per the feed's language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from stop_words import get_stop_words

from newswire.language import primary

LANGUAGES = {
    "ar": "arabic", "bg": "bulgarian", "ca": "catalan", "cs": "czech", "da": "danish",
    "de": "german", "el": "greek", "en": "english", "es": "spanish", "fa": "persian",
    "fi": "finnish", "fr": "french", "he": "hebrew", "hi": "hindi", "hu": "hungarian",
    "id": "indonesian", "it": "italian", "nl": "dutch", "no": "norwegian", "pl": "polish",
    "pt": "portuguese", "ro": "romanian", "ru": "russian", "sk": "slovak", "sv": "swedish",
    "tr": "turkish", "uk": "ukrainian", "vi": "vietnamese",
}  # fmt: skip
# Words that stop-word lists keep but that say nothing about a news story.
NEWSROOM_NOISE = frozenset(
    [
        "says",
        "said",
        "say",
        "new",
        "news",
        "update",
        "updates",
        "live",
        "latest",
        "report",
        "reports",
        "day",
        "days",
        "week",
        "today",
        "list",
        "key",
        "year",
        "years",
        "time",
        "first",
        "last",
        "video",
        "watch",
        "photos",
        "breaking",
        "amid",
        "via",
        "just",
        "get",
    ]
)
TITLE_WEIGHT = 3
MIN_LENGTH = 3
MAX_TAGS = 8
# Hugo makes a directory (or, with uglyURLs, a file plus ".html") of every tag, category and
# any other taxonomy term, and a name longer than the 255-byte file-name limit fails the whole
# build. Hugo lower-cases the name (which can lengthen it: "İ" is 2 bytes, "i̇" 3) and may
# percent-encode it (up to 3 bytes per byte): 80 UTF-8 bytes stay under 255 even then. 64
# characters is more than any real tag or publisher name needs, and keeps list pages tidy.
MAX_TERM_CHARS = 64
MAX_TERM_BYTES = 80
# Letters only (so numbers and "1,407" never become tags), with inner apostrophes kept.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@lru_cache(maxsize=64)
def stop_words(language: str) -> frozenset[str]:
    """The feed language's stop words plus English ones (headlines mix in English names)."""
    words = set(get_stop_words("english")) | NEWSROOM_NOISE
    name = LANGUAGES.get(primary(language))
    if name and name != "english":
        words |= set(get_stop_words(name))
    return frozenset(w.lower() for w in words)


def words(text: str) -> list[str]:
    found = []
    for match in _WORD.finditer(text.lower()):
        word = match.group(0)
        for suffix in ("'s", "’s"):
            word = word.removesuffix(suffix)
        found.append(word)
    return found


def _term_bytes(term: str) -> int:
    return max(len(term.encode("utf-8")), len(term.lower().encode("utf-8")))


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


def extract_tags(
    title: str,
    text: str,
    *,
    language: str = "en",
    exclude: Iterable[str] = (),
    configured: Iterable[str] = (),
    limit: int = MAX_TAGS,
) -> tuple[str, ...]:
    """Keywords, best first: title words count three times, ties keep first appearance.
    Every tag is capped (`cap_term`); configured tags come first."""
    stop = stop_words(language)
    excluded = {w for phrase in exclude for w in words(phrase)}
    scores: dict[str, int] = {}
    for weight, source in ((TITLE_WEIGHT, title), (1, text)):
        for word in words(source):
            if len(word) < MIN_LENGTH or word in stop or word in excluded:
                continue
            scores[word] = scores.get(word, 0) + weight
    # sorted() is stable, so equal scores keep the order in which the words first appeared.
    ranked = cap_terms(sorted(scores, key=lambda w: -scores[w]))
    tags = list(cap_terms(t.lower() for t in configured))
    for word in ranked:
        if len(tags) >= limit:
            break
        if word not in tags:
            tags.append(word)
    return tuple(tags[: max(limit, len(tags))])
