"""Slugs and storage keys. A key is built only from a validated slug, never from feed text."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from slugify import slugify

MAX_SLUG = 80
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
# Hugo gives these file names a meaning: content/<section>/<YYYY>/<MM>/index.md would make the
# month folder a leaf bundle (hiding every other article in it), _index.md its list page.
HUGO_RESERVED = frozenset({"index", "_index"})
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


def make_slug(title: str, article_id: str) -> str:
    """Transliterated (Cyrillic and other scripts to Latin), `[a-z0-9-]`, cut at a word."""
    slug = slugify(title, max_length=MAX_SLUG, word_boundary=True, lowercase=True)
    if not SLUG_PATTERN.match(slug):
        slug = f"article-{article_id[:12]}"
    elif slug.lower() in HUGO_RESERVED:
        slug = f"{slug}-{article_id[:6]}"
    return slug


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
