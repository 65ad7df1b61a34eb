"""Slugs and storage keys. A key is built only from a validated slug, never from feed text."""

from __future__ import annotations

import re
from datetime import datetime

from slugify import slugify

MAX_SLUG = 80
SLUG_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,78}[a-z0-9])?$")
# Hugo gives these file names a meaning: content/<section>/<YYYY>/<MM>/index.md would make the
# month folder a leaf bundle (hiding every other article in it), _index.md its list page.
HUGO_RESERVED = frozenset({"index", "_index"})


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
