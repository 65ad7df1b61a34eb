"""Pure: a stored page and its index record → the article's HTML page."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from markupsafe import Markup

from newswire.markdown import escape_markdown
from newswire.models import IndexRecord, StoredPage
from newswire.sections import default_section_title
from newswire.site.markup import (
    body_links,
    echoes_headlines,
    is_link_list,
    render_body,
    safe_url,
    summary_html,
    summary_text,
)
from newswire.site.options import SiteOptions
from newswire.site.pages import (
    ARTICLE_CACHE,
    HTML,
    Page,
    display_time,
    host_of,
    iso_time,
    month_label,
    render_page,
)
from newswire.site.paths import article_path, month_path, relative, section_path, term_path

_TAG = re.compile(r"<[^>]*>")
SHORT_URL = 48


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


GOOGLE_NEWS_HOST = "news.google.com"


def reader_link(*urls: str | None) -> str | None:
    """The link a reader follows to the story: the first safe one at the publisher, else the
    first safe one (a Google News redirect, when that is all there is)."""
    safe = [u for u in urls if u and safe_url(u)]
    at_publisher = [u for u in safe if host_of(u) != GOOGLE_NEWS_HOST]
    return next(iter(at_publisher or safe), None)


def article_view(
    record: IndexRecord, page: StoredPage, options: SiteOptions, section_title: str = ""
) -> dict[str, Any]:
    """What the article template shows: what a reader wants of the front matter (publisher,
    time, section, categories, tags, related coverage, the link to the original), the body.
    newswire's own bookkeeping (source feed, feed names, slug, guid, id, draft) stays in the
    Markdown: it means nothing to a reader."""
    here = article_path(record)

    def url(target: str) -> str:
        return relative(here, target)

    body = page.body
    title = page.title or record.title
    publisher = page.publisher or None
    link = page.link or record.link
    original = page.url_original
    original_url = reader_link(original, link)
    related = [
        {
            "title": r.title or r.url,
            "url": r.url,
            "safe": safe_url(r.url),
            "publisher": r.publisher or "",
        }
        for r in page.related
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
    image = page.image or None
    tags = [{"label": t, "path": term_path("tags", t)} for t in page.tags]
    categories = [{"label": c, "path": term_path("categories", c)} for c in page.categories]
    lastmod = _utc(page.lastmod)
    date = _utc(page.date) or record.date
    month = record.month

    details: list[dict[str, Any]] = [
        {"label": "Published", "items": [_item(display_time(date))]},
    ]
    if lastmod:
        details.append({"label": "Updated", "items": [_item(display_time(lastmod))]})
    if publisher:
        items = [_item(publisher, url(term_path("publisher", publisher)), external=False)]
        publisher_url = page.publisher_url
        if publisher_url:
            items.append(_link_item(publisher_url))
        details.append({"label": "Publisher", "items": items})
    section = section_title or default_section_title(record.section)
    section_link = url(section_path(record.section))
    details.append({"label": "Section", "items": [_item(section, section_link, external=False)]})
    if categories:
        details.append({"label": "Categories", "items": [
            _item(c["label"], url(c["path"]), external=False) for c in categories
        ]})  # fmt: skip
    if image:
        details.append({"label": "Image", "items": [_link_item(image)]})
    # `summary` is Markdown, `description` plain text.
    summary = page.summary or escape_markdown(page.description)
    summary_plain = summary_text(summary)
    description = page.description
    lede = Markup(summary_html(summary))  # noqa: S704 - markdown-it output, raw HTML disabled
    echoes = _repeats(summary_plain, body_html) or echoes_headlines(
        summary_plain, [title, *(str(r["title"]) for r in related)]
    )

    return {
        "title": title,
        "description": description or summary_plain,
        "summary": "" if echoes else lede,
        "section": section,
        "section_path": section_path(record.section),
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


def _utc(value: datetime | None) -> datetime | None:
    """A page's timestamp; one written without a UTC offset is taken as UTC."""
    return value if value is None or value.tzinfo else value.replace(tzinfo=UTC)


def render_article(
    record: IndexRecord,
    stored: StoredPage,
    options: SiteOptions,
    base_url: str,
    *,
    section_title: str = "",
) -> Page:
    """The article's page; `section_title`: its section's (else one made from the name)."""
    here = article_path(record)
    page = render_page(
        "article.html",
        options,
        canonical=base_url + here,
        url=lambda target: relative(here, target),
        current="",
        language=stored.language,
        a=article_view(record, stored, options, section_title),
    )
    return Page(f"{here}index.html", page, HTML, ARTICLE_CACHE)
