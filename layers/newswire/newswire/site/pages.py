"""Pure: values → the bytes of each HTML page (Jinja2, autoescaped).

Nothing here reads the clock, the network or the store: a page is a function of the records
and Markdown it is given, so a full rebuild and an incremental one write the same bytes.
"""

from __future__ import annotations

import functools
import hashlib
import html
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from typing import Any
from urllib.parse import urlsplit

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from newswire.models import IndexRecord
from newswire.site.markup import body_links, is_link_list, render_body, safe_url
from newswire.site.options import SiteOptions
from newswire.site.paths import article_path, month_path, relative, term_path

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
_TAG = re.compile(r"<[^>]*>")
SHORT_URL = 48


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


@functools.cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("newswire.site", "templates"),
        autoescape=select_autoescape(["html", "xml"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


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
        "summary": record.summary,
        "image": image,
        "terms": _term_views(record),
    }


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


def _render(
    template: str,
    options: SiteOptions,
    *,
    canonical: str | None,
    url: Callable[[str], str],
    current: str,
    **context: Any,
) -> bytes:
    """One page from its template, with what every page's layout needs."""
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
            **context,
        )
    )
    return text.encode("utf-8")


def render_list(spec: ListPage, options: SiteOptions, base_url: str) -> Page:
    here = spec.path
    body = _render(
        "list.html",
        options,
        canonical=base_url + here,
        url=lambda target: relative(here, target),
        current=spec.current,
        heading=spec.heading,
        kind=spec.kind,
        intro=spec.intro,
        note=spec.note,
        entries=[entry_view(r, options) for r in spec.records],
        page=spec.page,
        pages=spec.pages,
        page_path=spec.page_path,
        lead=spec.lead,
    )
    return Page(f"{here}index.html", body, HTML, LIST_CACHE)


def render_archive(months: Sequence[str], options: SiteOptions, base_url: str) -> Page:
    here = "archive/"
    years: dict[str, list[dict[str, str]]] = {}
    for month in months:  # newest first
        years.setdefault(month[:4], []).append(
            {"label": MONTHS[int(month[5:]) - 1], "path": month_path(month)}
        )
    body = _render(
        "archive.html",
        options,
        canonical=base_url + here,
        url=lambda target: relative(here, target),
        current="archive",
        years=[{"year": y, "months": m} for y, m in years.items()],
    )
    return Page(f"{here}index.html", body, HTML, LIST_CACHE)


def render_not_found(options: SiteOptions, base_url: str) -> Page:
    """The 404 page is served at any missing address, so its links are root-relative (from the
    base URL's path) rather than relative to where it is."""
    root = urlsplit(base_url).path or "/"
    body = _render("404.html", options, canonical=None, url=lambda t: root + t, current="")
    return Page("404.html", body, HTML, STATIC_CACHE)


# --- article pages -------------------------------------------------------------------------


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _strings(value: object) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else []


def _item(text: str, href: str | None = None, *, external: bool = True) -> dict[str, Any]:
    return {"text": text, "href": href, "external": external}


def short_url(url: str) -> str:
    """A long URL as a reader can scan it: host and the start of the path."""
    parts = urlsplit(url)
    text = f"{parts.netloc}{parts.path}" if parts.netloc else url
    if parts.query:
        text += "?" + parts.query
    return text if len(text) <= SHORT_URL else text[: SHORT_URL - 1] + "…"


def _link_item(url: str) -> dict[str, Any]:
    return _item(short_url(url), url) if safe_url(url) else _item(url)


def article_view(
    record: IndexRecord, meta: Mapping[str, Any], body: str, options: SiteOptions
) -> dict[str, Any]:
    """What the article template shows: every front-matter value, the body and the links."""
    here = article_path(record)

    def url(target: str) -> str:
        return relative(here, target)

    title = _text(meta.get("title")) or record.title
    publisher = _text(meta.get("publisher")) or None
    link = _text(meta.get("link")) or record.link
    original = _text(meta.get("url_original"))
    original_url = next((u for u in (original, link) if u and safe_url(u)), None)
    related = [
        {
            "title": _text(r.get("title")) or _text(r.get("url")),
            "url": _text(r.get("url")),
            "safe": safe_url(_text(r.get("url"))),
            "publisher": _text(r.get("publisher")),
        }
        for r in meta.get("related") or []
        if isinstance(r, Mapping)
    ]
    # Google News bodies are the coverage list itself (the story and its related links): shown
    # once, as "Related coverage" and the link to the original, not twice.
    known = {link, original, *(r["url"] for r in related)}
    coverage_only = is_link_list(body) and set(body_links(body)) <= known
    body_html = (
        ""
        if coverage_only or not body.strip()
        else render_body(body, remote_images=options.remote_images)
    )
    image = _text(meta.get("image")) or None
    tags = [{"label": t, "path": term_path("tags", t)} for t in _strings(meta.get("tags"))]
    categories = [
        {"label": c, "path": term_path("categories", c)} for c in _strings(meta.get("categories"))
    ]
    lastmod = _parse_time(meta.get("lastmod"))
    date = _parse_time(meta.get("date")) or record.date
    month = record.month

    details: list[dict[str, Any]] = [
        {"label": "Published", "items": [_item(display_time(date))]},
    ]
    if lastmod:
        details.append({"label": "Updated", "items": [_item(display_time(lastmod))]})
    if publisher:
        items = [_item(publisher, url(term_path("publisher", publisher)), external=False)]
        publisher_url = _text(meta.get("publisher_url"))
        if publisher_url:
            items.append(_link_item(publisher_url))
        details.append({"label": "Publisher", "items": items})
    if original:
        details.append({"label": "Original article", "items": [_link_item(original)]})
    details.append({"label": "Link", "items": [_link_item(link)]})
    if categories:
        details.append({"label": "Categories", "items": [
            _item(c["label"], url(c["path"]), external=False) for c in categories
        ]})  # fmt: skip
    summary = _text(meta.get("summary")) or _text(meta.get("description"))
    description = _text(meta.get("description"))
    # The summary is the lede; the description, usually the summary cut short, only if not.
    if description and not summary.startswith(description.rstrip("…").rstrip()):
        details.append({"label": "Description", "items": [_item(description)]})
    if image:
        details.append({"label": "Image", "items": [_link_item(image)]})
    source = _text(meta.get("source"))
    if source:
        details.append({"label": "Source feed", "items": [_link_item(source)]})
    feeds = _strings(meta.get("feed"))
    if feeds:
        details.append({"label": "Feeds", "items": [_item(f) for f in feeds]})
    details.append({"label": "Section", "items": [_item(record.section)]})
    for label, key in (("Slug", "slug"), ("GUID", "guid"), ("ID", "id")):
        if _text(meta.get(key)):
            details.append({"label": label, "items": [_item(_text(meta.get(key)))], "code": True})
    details.append({"label": "Draft", "items": [_item("yes" if meta.get("draft") else "no")]})

    return {
        "title": title,
        "description": _text(meta.get("description")) or _text(meta.get("summary")),
        "summary": "" if _repeats(summary, body_html) else summary,
        "section": record.section,
        "publisher": publisher,
        "publisher_path": term_path("publisher", publisher) if publisher else "",
        "datetime": iso_time(date),
        "when": display_time(date),
        "lastmod_datetime": iso_time(lastmod) if lastmod else None,
        "lastmod_when": display_time(lastmod) if lastmod else None,
        "image": image if image and safe_url(image) else None,
        "show_image": bool(options.remote_images and image and safe_url(image)),
        "original_url": original_url,
        "original_name": publisher or host_of(original_url or ""),
        "body_html": Markup(body_html),  # noqa: S704 - markdown-it output, raw HTML disabled
        "related": related,
        "tags": tags,
        "categories": categories,
        "month_path": month_path(month),
        "month_label": month_label(month),
        "details": details,
    }


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub(" ", text)).split())


def _repeats(summary: str, body_html: str) -> bool:
    """Whether the body already says the summary (feeds often send the text twice): then the
    page shows it once, in the body."""
    start = _plain(summary).rstrip("…").rstrip()
    return bool(start) and _plain(body_html).startswith(start)


def _parse_time(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def render_article(
    record: IndexRecord,
    meta: Mapping[str, Any],
    body: str,
    options: SiteOptions,
    base_url: str,
) -> Page:
    here = article_path(record)
    page = _render(
        "article.html",
        options,
        canonical=base_url + here,
        url=lambda target: relative(here, target),
        current="",
        a=article_view(record, meta, body, options),
    )
    return Page(f"{here}index.html", page, HTML, ARTICLE_CACHE)
