"""Pure: one feedparser entry plus its feed's settings → an Article with final values.

No network, clock or disk here: the time of the run comes in as `now`.
"""

from __future__ import annotations

import calendar
import email.utils
import hashlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin, urlsplit

from newswire import googlenews, plainurl
from newswire.decide import content_hash
from newswire.keywords import cap_term, cap_terms, extract_tags
from newswire.language import article_language
from newswire.lede import lede
from newswire.markdown import (
    escape_markdown,
    first_image_src,
    html_to_markdown,
    safe_url,
)
from newswire.merge import canonical_related, related_body, without_own
from newswire.models import EARLIEST_PLAUSIBLE, Article, FeedConfig, RelatedLink
from newswire.slugs import make_slug
from newswire.text import clean_line, html_to_text, truncate

DESCRIPTION_LIMIT = 300
SUMMARY_LIMIT = 300
# Real headlines stay well under 200 characters (Google News' and the fixtures' longest are
# about 150); 250 keeps every one whole while a feed's 1 MB "title" no longer lands, three
# times over, on the home page and every list that shows it.
TITLE_LIMIT = 250
# Google News lists a handful of related stories; more only grows the page and its tags.
MAX_RELATED = 10
FUTURE_TOLERANCE = timedelta(days=1)
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif")


def article_identity(entry: dict[str, Any], feed_url: str) -> tuple[str, str]:
    """(id, guid): the id is a short hash of the entry's identity key.

    A guid that is globally meaningful (a URI, or a long opaque token such as a Google News
    article id) identifies the article across feeds; a short one ("1", "42") is only unique in
    its own feed, so it is scoped by the feed URL. Without a guid: the link, then title + date.
    """
    guid = clean_line(str(entry.get("id") or ""))
    link = clean_line(str(entry.get("link") or ""))
    if guid and _globally_meaningful(guid):
        key = f"guid:{guid}"
    elif guid:
        key = f"feed:{feed_url}#{guid}"
    elif link:
        key = f"link:{link}"
    else:
        title = clean_line(str(entry.get("title") or ""))
        when = dict.get(entry, "published") or dict.get(entry, "updated") or ""
        key = f"hash:{feed_url}#{title}#{when}"
    digest = hashlib.blake2b(key.encode("utf-8"), digest_size=10).hexdigest()
    return digest, guid or safe_url(link) or f"urn:newswire:{digest}"


def _globally_meaningful(guid: str) -> bool:
    if "://" in guid or guid.startswith(("urn:", "tag:")):
        return True
    return len(guid) >= 24 and " " not in guid and not guid.isdigit()


def entry_date(entry: dict[str, Any], now: datetime) -> datetime:
    """The entry's own timestamp, keeping its UTC offset; implausible dates become `now`."""
    for field in ("published", "updated", "created"):
        # dict.get, not entry.get: feedparser's own lookup maps a missing "updated" to
        # "published" with a DeprecationWarning.
        parsed = _parse_date(dict.get(entry, field), dict.get(entry, f"{field}_parsed"))
        if parsed is not None and EARLIEST_PLAUSIBLE <= parsed <= now + FUTURE_TOLERANCE:
            return parsed
    return now


def _parse_date(raw: object, parsed: object) -> datetime | None:
    if isinstance(raw, str) and raw.strip():
        text = raw.strip()
        try:
            when = email.utils.parsedate_to_datetime(text)
            if when.tzinfo is not None:
                return when
        except (TypeError, ValueError, IndexError):
            pass
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
            if when.tzinfo is not None:
                return when
        except ValueError:
            pass
    if parsed is not None:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC)  # type: ignore[arg-type]
        except (TypeError, ValueError, OverflowError):
            return None
    return None


def entry_image(
    entry: Mapping[str, Any], content_html: str, base: str | None, html_base: str | None = None
) -> str | None:
    """media:content, media:thumbnail, image enclosures, then the first <img> in the content
    (its src resolved against `html_base`, else `base`)."""
    for media in entry.get("media_content") or []:
        medium, mime = media.get("medium", ""), media.get("type", "")
        url = media.get("url", "")
        is_image = medium == "image" or mime.startswith("image/")
        if (is_image or url.lower().endswith(IMAGE_EXTENSIONS)) and (found := safe_url(url, base)):
            return found
    for thumb in entry.get("media_thumbnail") or []:
        if found := safe_url(thumb.get("url"), base):
            return found
    for link in entry.get("links") or []:
        is_image = str(link.get("type", "")).startswith("image/")
        if (
            link.get("rel") == "enclosure"
            and is_image
            and (found := safe_url(link.get("href"), base))
        ):
            return found
    marker = content_html.find("<img")
    if marker != -1:
        return safe_url(first_image_src(content_html[marker:]), html_base or base)
    return None


def entry_categories(entry: Mapping[str, Any]) -> list[str]:
    """The entry's own `<category>` / `dc:subject` / Atom category terms, as written: the
    publisher's choice of tags."""
    found = []
    for category in entry.get("tags") or []:
        if isinstance(category, (dict, Mapping)):
            term = clean_line(str(_field(category, "term") or _field(category, "label") or ""))
            if term:
                found.append(term)
    return found


def _content_html(entry: Mapping[str, Any]) -> str:
    contents = entry.get("content") or []
    html_parts = [str(value) for c in contents if (value := _field(c, "value"))]
    return "\n".join(html_parts)


def html_base(entry: Mapping[str, Any], link: str, *, content: bool) -> str | None:
    """The URL that relative URLs in the entry's content HTML (`content`) or summary HTML
    resolve against, as feedparser's relative-URI pass resolved them: against the `base` it
    records for that value (the xml:base in scope, else the document's own URL: RFC 4287,
    RFC 3986), and what stays relative after that (a local file's path as the document URL)
    against the entry's link. feedparser copies an Atom content into an absent summary
    without a summary_detail: the content's base then holds for the summary too."""
    contents = [c for c in entry.get("content") or [] if _field(c, "value")]
    summary = entry.get("summary_detail")
    detail = contents[0] if content and contents else summary or (contents or [None])[0]
    base = str(_field(detail, "base") or "") if isinstance(detail, (dict, Mapping)) else ""
    if not link or not base:
        return base or link or None
    if base[:8].lower().startswith(("https://", "http://")):
        return base  # absolute already (the common case): the link changes nothing
    try:
        return urljoin(link, base)
    except ValueError:  # an unparseable base resolves nothing, as in feedparser
        return link


def _host(url: str | None) -> str | None:
    if url and (plain := plainurl.PREFIX.match(url)) is not None:
        host: str | None = plain.group(1).lower()
    else:
        host = urlsplit(url or "").hostname
    return host.removeprefix("www.") if host else None


def _field(mapping: Mapping[str, Any], key: str) -> Any:
    """`mapping.get(key)` for a key that feedparser's dict has no alias for: read from the dict
    itself, without the alias lookup feedparser's get makes in Python."""
    return dict.get(mapping, key) if isinstance(mapping, dict) else mapping.get(key)


def summary_markdown(text: str, limit: int = SUMMARY_LIMIT) -> str:
    """Plain text as the front matter's `summary`, which Hugo renders as Markdown: escaped,
    at most `limit` characters once escaped, cut at a word (never inside an escape)."""
    budget = limit
    while True:
        markdown = escape_markdown(truncate(text, budget))
        if len(markdown) <= limit:
            return markdown
        budget = max(1, budget - (len(markdown) - limit))


def _google_search(feed_url: str) -> bool:
    return urlsplit(feed_url).path.startswith("/rss/search")


def _story_line(title: str, publisher: str | None) -> str:
    # The separator the body's related list uses, and no words: the page may be in any language.
    return truncate(f"{title} — {publisher}" if publisher else title, DESCRIPTION_LIMIT)


def _related_text(related: tuple[RelatedLink, ...]) -> str:
    return " · ".join(f"{r.title} ({r.publisher})" if r.publisher else r.title for r in related)


def normalize_entry(entry: dict[str, Any], feed: FeedConfig, *, now: datetime) -> Article:
    # The entry's own keys as a plain dict: feedparser's dict maps every key it is asked for
    # through its aliases (a Python call per lookup, some twenty per entry), and none of the
    # keys read here is an alias but "description", which is read from `entry` itself.
    fields = dict(entry)
    article_id, guid = article_identity(fields, feed.url)
    language = article_language(
        fields, configured=feed.language, feed_url=feed.url, default=feed.default_language
    )
    link = safe_url(str(fields.get("link") or "")) or ""
    source = fields.get("source") or {}
    named_publisher = clean_line(str(_field(source, "title") or ""))
    publisher = cap_term(named_publisher)
    publisher_url = safe_url(str(_field(source, "href") or "")) or None
    raw_title = html_to_text(str(fields.get("title") or ""))  # a clean line already
    google = googlenews.is_google_news(link) or googlenews.is_google_news(feed.url)
    title = googlenews.split_title(raw_title, named_publisher) if google else raw_title
    title = truncate(title, TITLE_LIMIT)
    summary_html = str(fields.get("summary") or entry.get("description") or "")
    content_html = _content_html(fields)
    base = html_base(fields, link, content=bool(content_html))

    related: tuple[RelatedLink, ...] = ()
    ranked = related
    url_original = None
    google_news_link = link if googlenews.is_google_news(link) else None
    if google:
        items = googlenews.parse_related(summary_html)
        summary_base = html_base(fields, link, content=False) if content_html else base
        own = googlenews.article_id(link)
        url_original = googlenews.decode_publisher_url(link)
        # Readers go to the publisher: the redirect is kept in google_news_link.
        link = url_original or link
        related = tuple(
            RelatedLink(truncate(r.title, TITLE_LIMIT), u, cap_term(r.publisher or ""),
                        (feed.feed_id,))
            for r in items
            if (u := safe_url(r.url, summary_base))
            and (own is None or googlenews.article_id(u) != own)
            and not (r.title == title and r.publisher == publisher)
        )[:MAX_RELATED]  # fmt: skip
        related = without_own(related, link, url_original, google_news_link)
        full_text = _related_text(related)
        # The tags read the coverage in Google's order (most relevant first); the list itself
        # is kept in one order whichever feed lists it (newswire.merge).
        ranked, related = related, canonical_related(related)
        body = related_body(title or link, link, publisher, related)
        # What the story is: its lead headline and publisher, never the other outlets' list;
        # a search result's description only repeats its title, so it says nothing.
        summary_text = "" if _google_search(feed.url) else _story_line(title, publisher)
        description = summary_text
    else:
        body = html_to_markdown(content_html or summary_html, base_url=base)
        full_text = html_to_text(summary_html)
        summary_text = lede(content_html or summary_html, SUMMARY_LIMIT)
        description = truncate(full_text or summary_text, DESCRIPTION_LIMIT)

    title = title or truncate(full_text, 120) or truncate(link, TITLE_LIMIT) or "Untitled"
    categories = (
        cap_terms(feed.categories)
        or cap_terms(
            c
            for c in (_host(publisher_url) or _host(url_original) or _host(link),)
            if c and c != googlenews.GOOGLE_NEWS_HOST
        )
        or (feed.section,)
    )
    tags = extract_tags(
        title,
        full_text if not google else " ".join(r.title for r in ranked),
        language=language,
        exclude=[p for p in (publisher, *(r.publisher for r in related)) if p],
        configured=feed.tags,
        categories=entry_categories(fields),
    )
    summary = summary_markdown(summary_text)
    image = entry_image(fields, content_html or summary_html, link or None, base)
    date = entry_date(fields, now)
    digest = content_hash(
        title=title, description=description, summary=summary, link=link,
        categories=categories, tags=tags, body=body, publisher=publisher,
        publisher_url=publisher_url, related=related,
    )  # fmt: skip
    return Article(
        id=article_id,
        guid=guid,
        title=title,
        date=date,
        description=description,
        summary=summary,
        slug=make_slug(title, article_id, language=language, urls=(url_original, link)),
        image=image,
        link=link,
        source=feed.url,
        categories=categories,
        tags=tags,
        section=feed.section,
        feeds=(feed.feed_id,),
        body=body,
        content_hash=digest,
        publisher=publisher,
        publisher_url=publisher_url,
        url_original=url_original,
        related=related,
        language=language,
        google_news_link=google_news_link,
    )
