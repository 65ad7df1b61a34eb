"""Pure: the index pages of the taxonomies (/tags/, /categories/, /publishers/) and the counts
they (and the archive's months and days) are drawn from.

A term's count is what its own page lists: its latest `list_limit` articles (shown as "100+"
past that). The index has no cheap way to count a term's articles (DynamoDB would read every
one of them), and the term's page reads those records anyway. The counts of every term live
next to the index page as JSON (`tags/counts.json`): a build updates the terms it touched and
redraws the page from the rest as they were, so its work follows the change, and a full
build, which touches every term, writes the same bytes.

Tags used by a single article are left off the tags index (issue 15: 17 articles made 99 such
tags); their pages exist, linked from the articles. Categories and publishers are all listed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from newswire.models import Taxonomy
from newswire.site.options import SiteOptions
from newswire.site.pages import LIST_CACHE, Page, render_page
from newswire.site.paths import TAXONOMY_DIRS, relative, term_path

JSON = "application/json; charset=utf-8"
HEADINGS: dict[Taxonomy, tuple[str, str]] = {
    "tags": ("Tags", "Topics that more than one story shares, with how many stories each has."),
    "categories": ("Categories", "Every category, with how many stories each has."),
    "publisher": ("Publishers", "Every publisher, with how many stories each has."),
}
MIN_COUNT: dict[Taxonomy, int] = {"tags": 2, "categories": 1, "publisher": 1}


def index_path(taxonomy: Taxonomy) -> str:
    return f"{TAXONOMY_DIRS[taxonomy]}/"


ARCHIVE_COUNTS = "archive/counts.json"
"""Every day's number of articles (the archive's months and days show them)."""


def counts_key(taxonomy: Taxonomy) -> str:
    """Where the counts of a taxonomy's terms are kept (public, like the pages they make)."""
    return f"{TAXONOMY_DIRS[taxonomy]}/counts.json"


def read_counts(data: bytes | None) -> dict[str, int]:
    """The counts as counts_page wrote them; anything unreadable counts as none (the next full
    build writes them whole again)."""
    if not data:
        return {}
    try:
        value: Any = json.loads(data)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    return {str(k): v for k, v in value.items() if isinstance(v, int) and v > 0}


def counts_page(key: str, counts: Mapping[str, int]) -> Page:
    """Counts kept at `key` (counts_key, ARCHIVE_COUNTS) as JSON, in a stable order."""
    body = json.dumps(dict(sorted(counts.items())), ensure_ascii=False, indent=0) + "\n"
    return Page(key, body.encode("utf-8"), JSON, LIST_CACHE)


def updated_counts(
    counts: Mapping[str, int], touched: Mapping[str, int], *, full: bool = False
) -> dict[str, int]:
    """`counts` with the `touched` terms' new counts (0: the term is gone). A full build touches
    every term there is: what it did not touch is gone too."""
    merged = {} if full else dict(counts)
    merged.update(touched)
    return {term: count for term, count in merged.items() if count > 0}


def render_term_index(
    taxonomy: Taxonomy,
    counts: Mapping[str, int],
    options: SiteOptions,
    base_url: str,
) -> Page:
    """A taxonomy's index page: its terms, most stories first, then by name, each with its
    count ("100+" when its page shows only the latest `list_limit`)."""
    here = index_path(taxonomy)
    shown = [(t, n) for t, n in counts.items() if n >= MIN_COUNT[taxonomy]]
    shown.sort(key=lambda item: (-item[1], item[0].casefold(), item[0]))
    cap = options.list_limit
    terms = [
        {
            "label": term,
            "path": term_path(taxonomy, term),
            "count": f"{cap}+" if count >= cap else str(count),
            "stories": "story" if count == 1 else "stories",
        }
        for term, count in shown
    ]
    heading, intro = HEADINGS[taxonomy]
    body = render_page(
        "terms.html",
        options,
        canonical=base_url + here,
        url=lambda target: relative(here, target),
        current=TAXONOMY_DIRS[taxonomy],
        heading=heading,
        intro=intro,
        terms=terms,
    )
    return Page(f"{here}index.html", body, "text/html; charset=utf-8", LIST_CACHE)
