"""Pure: where each page of the site lives. Every path is relative to the site root (the
bucket or directory root) and names a directory ("tags/war/"), whose page is its index.html.

Links between pages are relative ("../../tags/war/"), so the same bytes work under any host,
port or path prefix: the public site, `newswire serve`, or a copy on disk. Only the canonical
link, Open Graph tags, feeds and sitemaps use absolute URLs, built from the site's base URL.
"""

from __future__ import annotations

import functools
import hashlib
import re
from typing import Final

from slugify import slugify

from newswire.models import IndexRecord, Taxonomy, check_month
from newswire.slugs import parse_content_key

TAXONOMY_DIRS: Final[dict[Taxonomy, str]] = {
    "tags": "tags",
    "categories": "categories",
    "publisher": "publishers",
}
# Every top-level name the site writes: what a bucket policy or CDN behaviour exposes (the
# Markdown under content/ stays private). "sitemap-" stands for the days' sitemaps,
# sitemap-<YYYY>-<MM>-<DD>[-<part>].xml.
SITE_ROOT_FILES: Final = (
    "index.html", "404.html", "robots.txt", "sitemap.xml", "feed.xml", "feed.json", "favicon.svg",
)  # fmt: skip
SITE_ROOT_PREFIXES: Final = (
    "page/", "articles/", "tags/", "categories/", "publishers/", "archive/", "css/", "sitemap-",
)  # fmt: skip

_DAY = re.compile(r"^\d{4}-\d{2}-(0[1-9]|[12]\d|3[01])$")
_SITEMAP = re.compile(r"^sitemap-(\d{4}-\d{2}-\d{2})(?:-([2-9]|[1-9]\d+))?\.xml$")
_CLEAN_TERM = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,78}[a-z0-9])?$")


def article_path(record: IndexRecord) -> str:
    """`articles/<section>/<YYYY>/<MM>/<slug>/`: the Markdown key, mirrored. The key is unique
    and never changes after the first write, so neither does the page's URL."""
    return article_path_of_key(record.key)


def article_path_of_key(content_key: str) -> str:
    key = parse_content_key(content_key)
    return f"articles/{key.section}/{key.year}/{key.month}/{key.slug}/"


@functools.lru_cache(maxsize=65_536)
def term_slug(term: str) -> str:
    """A term's URL segment: the term itself when it is already URL-clean ("war",
    "aljazeera.com"), else its slug plus a digest of the exact term, so that two terms with the
    same slug ("Al Jazeera", "al-jazeera") never share, and overwrite, one page."""
    if _CLEAN_TERM.match(term) and ".." not in term:
        return term
    digest = hashlib.sha256(term.encode("utf-8")).hexdigest()[:6]
    base = slugify(term, max_length=60, word_boundary=True)
    return f"{base}-{digest}" if base else f"term-{digest}"


def section_path(section: str) -> str:
    """A section's page, above its articles' pages: `articles/<section>/`."""
    return f"articles/{section}/"


def term_path(taxonomy: Taxonomy, term: str) -> str:
    return f"{TAXONOMY_DIRS[taxonomy]}/{term_slug(term)}/"


def month_path(month: str) -> str:
    """The month's page: the list of its days."""
    year, number = check_month(month).split("-")
    return f"archive/{year}/{number}/"


def check_day(day: str) -> str:
    if not _DAY.match(day) or check_month(day[:7]) != day[:7]:
        raise ValueError(f"not a day: {day!r}")
    return day


def day_path(day: str, page: int = 1) -> str:
    """A day's archive pages, numbered from the day's oldest article: a new article (the
    newest) lands on the last page, and the pages before it keep their bytes."""
    year, month, number = check_day(day).split("-")
    base = f"archive/{year}/{month}/{number}/"
    return base if page == 1 else f"{base}page/{page}/"


def home_path(page: int = 1) -> str:
    return "" if page == 1 else f"page/{page}/"


def sitemap_key(day: str, part: int = 1) -> str:
    """A day's sitemap(s) sit at the root (a sitemap may list only URLs below its own folder),
    part 2 on for a day of more URLs than one sitemap may hold."""
    check_day(day)
    return f"sitemap-{day}.xml" if part == 1 else f"sitemap-{day}-{part}.xml"


def sitemap_order(key: str) -> tuple[str, int]:
    """The sort key of a day's sitemap: sorted with reverse=True, newest day first and a day's
    parts in order. ValueError for another key."""
    match = _SITEMAP.match(key)
    if not match:
        raise ValueError(f"not a day's sitemap: {key!r}")
    return match.group(1), -int(match.group(2) or 1)


def page_key(path: str) -> str:
    """The stored key of a page path: "tags/war/" → "tags/war/index.html", "" → "index.html"."""
    return f"{path}index.html" if path == "" or path.endswith("/") else path


def relative(from_path: str, to_path: str) -> str:
    """A link from the page at `from_path` to `to_path`, both site paths. Directory pages are
    linked by their folder ("../tags/war/"); the home page from itself is "./"."""
    return ("../" * from_path.count("/") + to_path) or "./"
