"""Tags: keywords from an article's title and text, per the feed's language."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

from stop_words import get_stop_words

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
# Letters only (so numbers and "1,407" never become tags), with inner apostrophes kept.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


@lru_cache(maxsize=64)
def stop_words(language: str) -> frozenset[str]:
    """The feed language's stop words plus English ones (headlines mix in English names)."""
    words = set(get_stop_words("english")) | NEWSROOM_NOISE
    name = LANGUAGES.get(language)
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


def extract_tags(
    title: str,
    text: str,
    *,
    language: str = "en",
    exclude: Iterable[str] = (),
    configured: Iterable[str] = (),
    limit: int = MAX_TAGS,
) -> tuple[str, ...]:
    """Keywords, best first: title words count three times, ties keep first appearance."""
    stop = stop_words(language)
    excluded = {w for phrase in exclude for w in words(phrase)}
    scores: dict[str, int] = {}
    for weight, source in ((TITLE_WEIGHT, title), (1, text)):
        for word in words(source):
            if len(word) < MIN_LENGTH or word in stop or word in excluded:
                continue
            scores[word] = scores.get(word, 0) + weight
    # sorted() is stable, so equal scores keep the order in which the words first appeared.
    ranked = sorted(scores, key=lambda w: -scores[w])
    tags = list(dict.fromkeys(t.strip().lower() for t in configured if t.strip()))
    for word in ranked:
        if len(tags) >= limit:
            break
        if word not in tags:
            tags.append(word)
    return tuple(tags[: max(limit, len(tags))])
