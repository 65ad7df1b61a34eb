"""Slugs and storage keys. A key is built only from a validated slug, never from feed text."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Final
from urllib.parse import unquote, urlsplit

from slugify import slugify
from slugify.special import GERMAN, GREEK

from newswire.language import primary
from newswire.transliterate import transliterate_ukrainian

MAX_SLUG = 80
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
# Hugo gives these file names a meaning: content/<section>/<YYYY>/<MM>/index.md would make the
# month folder a leaf bundle (hiding every other article in it), _index.md its list page.
HUGO_RESERVED = frozenset({"index", "_index"})
# Scripts that unidecode turns into no reading (see _unreadable_in_latin): Hebrew, Arabic,
# Syriac, Thaana, N'Ko; Thai, Lao, Tibetan, Myanmar; Hangul; Khmer; kana, CJK ideographs and
# their extensions, compatibility forms, half-width kana.
_UNREADABLE = re.compile(
    "[\u0590-\u07ff\u0e00-\u109f\u1100-\u11ff\u1780-\u17ff\u3040-\u30ff\u3130-\u318f"
    "\u3400-\u4dbf\u4e00-\u9fff\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\ufb1d-\ufdff"
    "\ufe70-\ufeff\uff66-\uff9f\U00020000-\U0003134f]"
)
_EXTENSION = re.compile(r"\.(?:s?html?|php|aspx?|jsp|cms|amp)$", re.IGNORECASE)
# A word a reader recognises: letters only, with a vowel, not an id's run of consonants.
_READABLE_WORD = re.compile(r"(?=[a-z]*[aeiouy])[a-z]{3,}")
# python-slugify's own language tables where a language writes its letters otherwise than
# unidecode does (German "ü" is "ue", not "u"; Greek "χ" is "ch").
REPLACEMENTS: dict[str, list[tuple[str, str]]] = {
    "de": [*GERMAN, ("ß", "ss")],
    "el": GREEK,
}
# python-slugify's "auto" backend tries to import Unidecode on every non-ASCII title (a failed
# import is not remembered) before falling back to text-unidecode, the one newswire installs;
# naming it skips the failed import, and a Unidecode installed beside newswire cannot change
# its slugs.
_TRANSLITERATION: Final = "text-unidecode"
_CONTENT_KEY = re.compile(
    r"^content/(?P<section>[^/]+)/(?P<year>[0-9]{4})/(?P<month>[0-9]{2})/(?P<slug>[^/]+)\.md$"
)


@dataclass(frozen=True)
class ContentKey:
    """The parts of a content key, `content/<section>/<YYYY>/<MM>/<slug>.md`."""

    section: str
    year: str
    month: str
    slug: str


def make_slug(
    title: str, article_id: str, *, language: str = "en", urls: Iterable[str | None] = ()
) -> str:
    """A readable slug, `[a-z0-9-]`, cut at a word: the title transliterated to Latin as the
    language writes it (German "ü" → "ue", Ukrainian by its national standard). A title in a
    script whose Latin transliteration no reader could follow (Arabic, Hebrew, Chinese,
    Japanese, Thai, ...) takes the readable slug of the publisher's URL among `urls`, else
    `article-<id>`: the id is stable across runs and feeds, so the slug is too, whatever the
    headline becomes."""
    code = primary(language)
    slug = ""
    if not _unreadable_in_latin(title):
        text = transliterate_ukrainian(title) if code == "uk" else title
        slug = slugify(
            text, max_length=MAX_SLUG, word_boundary=True, lowercase=True,
            replacements=REPLACEMENTS.get(code, ()), backend=_TRANSLITERATION,
        )  # fmt: skip
    if not SLUG_PATTERN.match(slug):
        slug = next(filter(None, map(url_slug, urls)), None) or f"article-{article_id[:12]}"
    if slug.lower() in HUGO_RESERVED:
        slug = f"{slug}-{article_id[:6]}"
    return slug


def _unreadable_in_latin(title: str) -> bool:
    """Whether most of the title's letters are of a script whose unidecode transliteration
    is no reading: abjads without vowels (Arabic, Hebrew), Chinese characters (read in
    Mandarin even in a Japanese title), kana, Hangul, and the scripts of South-East Asia."""
    if title.isascii():  # no letter of those scripts, the common case
        return False
    unreadable = sum(1 for c in _UNREADABLE.findall(title) if c.isalpha())
    return unreadable > 0 and unreadable * 2 > sum(map(str.isalpha, title))


def url_slug(url: str | None) -> str | None:
    """The slug of a URL's last path segment when it is readable words ("gaza-ceasefire-
    talks-resume"), not an id ("k10014999991000", "DGXZQOUB0601K0W6A100C2000000")."""
    if not url:
        return None
    segments = [s for s in unquote(urlsplit(url).path).split("/") if s]
    if not segments:
        return None
    last = _EXTENSION.sub("", segments[-1])
    if not last.isascii():
        return None
    readable = [w for w in re.split(r"[-_.+]+", last.lower()) if _READABLE_WORD.fullmatch(w)]
    if len(readable) < 2:
        return None
    slug = slugify(
        last, max_length=MAX_SLUG, word_boundary=True, lowercase=True, backend=_TRANSLITERATION
    )
    return slug if SLUG_PATTERN.match(slug) else None


def slug_candidates(slug: str, article_id: str) -> list[str]:
    """The slug, then stable suffixed variants for when another article holds it."""
    out = [slug]
    for length in (6, 12, 20):
        suffix = article_id[:length]
        base = slug[: MAX_SLUG - len(suffix) - 1].rstrip("-")
        out.append(f"{base}-{suffix}")
    return out


def content_key(section: str, date: datetime, slug: str) -> str:
    bad = slug.lower() in HUGO_RESERVED or not SLUG_PATTERN.match(slug)
    if bad or not SLUG_PATTERN.match(section):
        raise ValueError(f"refusing to build a key from {section!r}/{slug!r}")
    return f"content/{section}/{date:%Y}/{date:%m}/{slug}.md"


def parse_content_key(key: str) -> ContentKey:
    """The parts of a key content_key built (section and slug of the slug pattern); raises
    ValueError for any other key."""
    match = _CONTENT_KEY.match(key)
    parts = ContentKey(**match.groupdict()) if match else None
    if parts is None or not (SLUG_PATTERN.match(parts.section) and SLUG_PATTERN.match(parts.slug)):
        raise ValueError(f"not a content key: {key!r}")
    return parts
