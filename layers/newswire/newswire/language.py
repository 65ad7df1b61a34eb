"""Pure: the language of an article, as a BCP 47 tag newswire uses everywhere (stop words,
tag rules, slugs, the page's lang/dir).

Precedence, most deliberate first: the feed's configuration, then what the feed declares
(`xml:lang`, the item's or channel's `<language>`/`dc:language`), then the `hl` of a Google
News URL, then the configured default.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qs, urlsplit

DEFAULT_LANGUAGE = "en"
# BCP 47 (RFC 5646): a 2-3 letter primary subtag, then subtags of 1-8 letters or digits; "_"
# is accepted for "-" because feeds and locales write "pt_BR".
_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*")
# Languages whose second subtag names a different written standard, which a reader and a
# stop-word list tell apart (Brazilian and European Portuguese; Simplified and Traditional
# Chinese). For every other language the primary subtag alone is kept: "en-US" and "en-GB"
# pages read, tag and slug the same, and one tag per language keeps the site's lang simple.
_KEEP_SECOND_SUBTAG = frozenset({"pt", "zh"})
# Languages written right to left (the primary subtags of those with an RTL script as their
# usual one): the page needs dir="rtl" or Arabic lines render scrambled.
RTL_LANGUAGES = frozenset(
    {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku", "ps", "sd", "syr", "ug", "ur", "yi"}
)


def normalize_language(raw: object) -> str | None:
    """`raw` as newswire's language tag ("de", "pt-br", "zh-tw"), or None when it is not a
    BCP 47 tag. The primary subtag is lower-case; see _KEEP_SECOND_SUBTAG for the rest."""
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if not _TAG.fullmatch(text):
        return None
    parts = text.replace("_", "-").lower().split("-")
    if parts[0] in _KEEP_SECOND_SUBTAG and len(parts) > 1:
        return f"{parts[0]}-{parts[1]}"
    return parts[0]


def primary(language: str) -> str:
    """The primary subtag: what stop-word lists and stemmers are chosen by."""
    return language.split("-", 1)[0]


def direction(language: str) -> str:
    """ "rtl" or "ltr": the writing direction of the language's usual script."""
    return "rtl" if primary(language) in RTL_LANGUAGES else "ltr"


def google_news_language(url: str) -> str | None:
    """The `hl` of a Google News feed URL ("en-US" → "en"), if it has one."""
    parts = urlsplit(url)
    if parts.hostname != "news.google.com":
        return None
    for value in parse_qs(parts.query).get("hl", []):
        if found := normalize_language(value):
            return found
    return None


def declared_language(entry: Mapping[str, Any]) -> str | None:
    """What the feed says the entry is written in: the `xml:lang` in force on its title or
    text, else its own or its channel's `<language>`/`dc:language` (parse_feed puts the
    channel's on every entry that has none of its own)."""
    for field in ("title_detail", "summary_detail"):
        detail = entry.get(field)
        # dict.get: feedparser's own get looks every key up in its aliases ("language" has
        # none) in Python.
        if isinstance(detail, dict):
            found = normalize_language(dict.get(detail, "language"))
        elif isinstance(detail, Mapping):
            found = normalize_language(detail.get("language"))
        else:
            continue
        if found:
            return found
    return normalize_language(entry.get("language"))


def article_language(
    entry: Mapping[str, Any], *, configured: str | None, feed_url: str, default: str
) -> str:
    """The article's language by the module's precedence."""
    return (
        configured
        or declared_language(entry)
        or google_news_language(feed_url)
        or normalize_language(default)
        or DEFAULT_LANGUAGE
    )
