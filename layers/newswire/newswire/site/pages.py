"""Pure: values → the bytes of each HTML page (Jinja2, autoescaped).

Nothing here reads the clock, the network or the store: a page is a function of the records
and Markdown it is given, so a full rebuild and an incremental one write the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jinja2 import (
    Environment,
    PackageLoader,
    StrictUndefined,
    pass_context,
    select_autoescape,
)
from jinja2.runtime import Context
from markupsafe import Markup

from newswire.models import IndexRecord
from newswire.site.lang import lang_dir
from newswire.site.markup import echoes_headlines, safe_url, summary_html, summary_text
from newswire.site.options import SiteOptions
from newswire.site.paths import article_path, day_path, month_path, relative, term_path

MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip
HTML = "text/html; charset=utf-8"
CSS = "text/css; charset=utf-8"
SVG = "image/svg+xml"
# Lists and feeds change with every new article: short. An article page changes only when the
# article does: long. The stylesheet's name carries its digest: cached for good.
LIST_CACHE = "public, max-age=300"
ARTICLE_CACHE = "public, max-age=86400"
STATIC_CACHE = "public, max-age=3600"
ASSET_CACHE = "public, max-age=31536000, immutable"
ENTRY_TAGS = 5


@dataclass(frozen=True)
class Page:
    """One object of the site: its key at the site root, its bytes and its HTTP headers."""

    key: str
    body: bytes
    content_type: str
    cache_control: str


def csp(options: SiteOptions) -> str:
    """The Content-Security-Policy of every page: nothing but the site's own stylesheet and
    images (and, when remote images are allowed, https images), no script, no frames, no forms.
    Directives that a <meta> policy ignores (frame-ancestors, report-uri) are left out."""
    images = "'self' https:" if options.remote_images else "'self'"
    return (
        f"default-src 'none'; style-src 'self'; img-src {images}; base-uri 'none'; "
        "form-action 'none'"
    )


class _ViewEnvironment(Environment):
    """Jinja with one change of lookup order: the views handed to the templates are dicts, and
    Jinja's `view.key` tries the attribute first, so every lookup raised and caught an
    AttributeError before reading the key (about half of a page's rendering time). For a
    dict the key is read first; anything else, and a key the dict lacks (`row.get`), is looked
    up as Jinja does. The templates write `row["items"]` where a key shadows a dict method."""

    def getattr(self, obj: Any, attribute: str) -> Any:
        if type(obj) is dict:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


@pass_context
def _url_filter(context: Context, target: str) -> Any:
    """`{{ path|url }}`: the link from this page to `path`, by the page's own `url` function.
    A filter rather than `url(path)` in the templates: Jinja calls a filter directly, while a
    call of a context function goes through Context.call's checks (about 15 links a page)."""
    return context["url"](target)


@functools.cache
def environment() -> Environment:
    env = _ViewEnvironment(
        loader=PackageLoader("newswire.site", "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        # The templates ship in the package: no stat of each file on every page.
        auto_reload=False,
    )
    env.filters["url"] = _url_filter
    return env


def static_file(name: str) -> bytes:
    return resources.files("newswire.site").joinpath("static", name).read_bytes()


@functools.cache
def stylesheet_path() -> str:
    """The theme's stylesheet, named by its digest so that it can be cached for good."""
    digest = hashlib.sha256(static_file("site.css")).hexdigest()[:10]
    return f"css/site-{digest}.css"


def asset_pages() -> list[Page]:
    return [
        Page(stylesheet_path(), static_file("site.css"), CSS, ASSET_CACHE),
        Page("favicon.svg", static_file("favicon.svg"), SVG, STATIC_CACHE),
    ]


# --- formatting ----------------------------------------------------------------------------


def display_time(when: datetime) -> str:
    """ "1 January 2026, 08:14 UTC": in words, without the locale or the reader's clock."""
    utc = when.astimezone(UTC)
    return f"{utc.day} {MONTHS[utc.month - 1]} {utc.year}, {utc:%H:%M} UTC"


def iso_time(when: datetime) -> str:
    return when.isoformat(timespec="seconds")


def day_label(day: str) -> str:
    """ "5 January 2026"."""
    return f"{int(day[8:])} {month_label(day[:7])}"


def month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{MONTHS[int(number) - 1]} {year}"


def host_of(url: str) -> str:
    return urlsplit(url).hostname or url


# --- list pages ----------------------------------------------------------------------------


def _term_views(record: IndexRecord) -> list[dict[str, str]]:
    """A list entry's topics: its categories, then its first few tags (the article page has
    them all). The publisher has its own link in the entry's meta line."""
    categories = [
        {"kind": "category", "label": c, "path": term_path("categories", c)}
        for c in dict.fromkeys(record.categories)
    ]
    tags = [
        {"kind": "tag", "label": t, "path": term_path("tags", t)}
        for t in list(dict.fromkeys(record.tags))[:ENTRY_TAGS]
    ]
    return categories + tags


def entry_view(record: IndexRecord, options: SiteOptions) -> dict[str, Any]:
    shown = options.remote_images and record.image and safe_url(record.image)
    image = record.image if shown else None
    return {
        "id": record.id,
        "title": record.title,
        "path": article_path(record),
        "publisher": record.publisher,
        "publisher_path": term_path("publisher", record.publisher) if record.publisher else "",
        "datetime": iso_time(record.date),
        "when": display_time(record.date),
        # A summary that only repeats the headline (Google News search items) is left out.
        "summary": ""
        if echoes_headlines(summary_text(record.summary), [record.title])
        else Markup(summary_html(record.summary)),  # noqa: S704 - markdown-it, no raw HTML
        "image": image,
        "terms": _term_views(record),
    }


ENTRY_CACHE = 20_000
"""Rendered list entries kept (about 1 KB each): an article is on the home pages, its day and
each of its terms' pages, so a full build renders each entry once instead."""
_UP = "<up/>"
"""Where a list entry's relative links start, in its rendering shared by every folder depth.
Nothing else in an entry can read `<up/>`: the template's own text does not, and every value
in it is escaped (`<` → `&lt;`) or markdown-it's output with raw HTML off."""


@functools.lru_cache(maxsize=ENTRY_CACHE)
def _entry_template(record: IndexRecord, options: SiteOptions) -> str:
    def url(target: str) -> Markup:
        # An entry links to pages, never to the home page (the one target that is "").
        if not target:
            raise ValueError("a list entry links to a page, not to the site root")
        return Markup(_UP) + target  # noqa: S704 - the marker, then the target escaped

    return (
        environment().get_template("_entry.html").render(entry=entry_view(record, options), url=url)
    )


def entry_html(record: IndexRecord, options: SiteOptions, up: str) -> Markup:
    """One list entry, for a page `up` ("../" per folder) below the site root: its links are
    relative, so it is rendered once and each page puts its own way up before them."""
    html = _entry_template(record, options).replace(_UP, up)
    return Markup(html)  # noqa: S704 - the autoescaped template's output


@dataclass(frozen=True)
class ListPage:
    """One page of a list: home, a term, or a month."""

    path: str
    """This page's path ("tags/war/page/2/")."""
    heading: str
    records: Sequence[IndexRecord]
    page: int = 1
    pages: int = 1
    page_path: Callable[[int], str] = lambda n: ""
    kind: str = ""
    intro: str = ""
    note: str = ""
    current: str = ""
    lead: bool = False
    """Show the first entry large (the home page's top story)."""
    chronological: bool = False
    """Pages numbered from the oldest (the archive's days): the page says only its own number
    and whether a later one exists (`pages` is then `page + 1`), so it does not change as
    later pages are added."""
    feed: str = ""
    """The path of this list's own RSS feed ("tags/war/feed.xml"), if it has one."""


def render_page(
    template: str,
    options: SiteOptions,
    *,
    canonical: str | None,
    url: Callable[[str], str],
    current: str,
    language: str | None = None,
    **context: Any,
) -> bytes:
    """One page from its template, with what every page's layout needs. `language`: the
    page's own (an article's), else the site's; it sets the page's `lang` and `dir`."""
    lang, direction = lang_dir(language, options.language)
    site_lang, site_dir = lang_dir(None, options.language)
    # The site's own words (navigation, labels) stay in the site's language on a page in
    # another one, so that a screen reader reads each in its own voice.
    chrome = "" if lang == site_lang else f' lang="{site_lang}" dir="{site_dir}"'
    text = (
        environment()
        .get_template(template)
        .render(
            site=options,
            csp=csp(options),
            stylesheet=stylesheet_path(),
            canonical=canonical,
            url=url,
            current=current,
            lang=lang,
            dir=direction,
            chrome=Markup(chrome),  # noqa: S704 - two validated tags, no feed text
            **context,
        )
    )
    return text.encode("utf-8")


def render_list(spec: ListPage, options: SiteOptions, base_url: str) -> Page:
    here = spec.path
    body = render_page(
        "list.html",
        options,
        canonical=base_url + here,
        url=lambda target: relative(here, target),
        current=spec.current,
        heading=spec.heading,
        kind=spec.kind,
        intro=spec.intro,
        note=spec.note,
        entries=[entry_html(r, options, "../" * here.count("/")) for r in spec.records],
        page=spec.page,
        pages=spec.pages,
        page_path=spec.page_path,
        lead=spec.lead,
        chronological=spec.chronological,
        feed=spec.feed,
    )
    return Page(f"{here}index.html", body, HTML, LIST_CACHE)


def stories(count: int | None) -> str:
    """ "1 story", "12 stories"; "" when the count is not known."""
    if count is None:
        return ""
    return f"{count:,} {'story' if count == 1 else 'stories'}"


def render_archive(
    months: Sequence[str],
    options: SiteOptions,
    base_url: str,
    counts: Mapping[str, int] | None = None,
) -> Page:
    """The archive's index: every month that has articles (newest first), by year, each with
    its number of stories when `counts` (by month) are known."""
    years: dict[str, list[dict[str, str]]] = {}
    for month in months:  # newest first
        years.setdefault(month[:4], []).append({
            "label": MONTHS[int(month[5:]) - 1], "path": month_path(month),
            "count": stories(counts.get(month) if counts is not None else None),
        })  # fmt: skip
    groups = [{"year": y, "months": m} for y, m in years.items()]
    return _render_dates("archive/", groups, "Archive", "Every story, month by month.", "",
                         options, base_url)  # fmt: skip


def render_month(
    month: str,
    days: Sequence[str],
    options: SiteOptions,
    base_url: str,
    counts: Mapping[str, int] | None = None,
) -> Page:
    """A month of the archive: its days that have articles (newest first), each a link to the
    day's pages, with its number of stories when `counts` (by day) are known."""
    label = month_label(month)
    entries = [
        {
            "label": day_label(day),
            "path": day_path(day),
            "count": stories(counts.get(day) if counts is not None else None),
        }
        for day in days
    ]
    groups = [{"year": label, "months": entries}] if entries else []
    return _render_dates(month_path(month), groups, label, "Every story of the month, day by day.",
                         "Archive", options, base_url)  # fmt: skip


def _render_dates(
    here: str,
    years: list[dict[str, Any]],
    heading: str,
    intro: str,
    kind: str,
    options: SiteOptions,
    base_url: str,
) -> Page:
    body = render_page(
        "archive.html",
        options,
        canonical=base_url + here,
        url=lambda target: relative(here, target),
        current="archive",
        years=years,
        heading=heading,
        intro=intro,
        kind=kind,
        description=f"{heading}: {intro}",
    )
    return Page(f"{here}index.html", body, HTML, LIST_CACHE)


def render_not_found(options: SiteOptions, base_url: str) -> Page:
    """The 404 page is served at any missing address, so its links are root-relative (from the
    base URL's path) rather than relative to where it is."""
    root = urlsplit(base_url).path or "/"
    body = render_page("404.html", options, canonical=None, url=lambda t: root + t, current="")
    return Page("404.html", body, HTML, STATIC_CACHE)


# --- article pages -------------------------------------------------------------------------
