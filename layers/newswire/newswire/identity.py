"""Pure: when two items are one story. The keys a story is known by besides its article id.

Two items are one story when they share an id (newswire.normalize.article_identity), or one of
these keys:
- `url:` the publisher's URL (url_original: decoded from a legacy Google News id, or resolved),
  else the item's own link when it is not a Google News redirect; tracking parameters dropped,
  scheme and host lower-cased, default port, fragment and trailing slash removed, the query
  sorted. The publisher URL and the canonical link are one key space: a link one feed gives
  is the publisher URL another feed's Google id decodes to.
- `title:` the same normalised headline from the same publisher on the same UTC day or within
  TITLE_WINDOW_DAYS of it. Both halves are needed: a headline alone is not an identity (two
  publishers write "Live updates" every day), and a publisher alone is a whole site. A generic
  or short headline (GENERIC_HEADLINES, or under MIN_TITLE_WORDS words) gives no title key
  at all, so a publisher's daily "Morning briefing" never merges either.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from newswire import googlenews, plainurl
from newswire.models import Article

TRACKING_PARAMETERS = frozenset({
    "fbclid", "gclid", "dclid", "gbraid", "wbraid", "msclkid", "yclid", "ocid", "igshid",
    "mc_cid", "mc_eid", "_ga", "_gl", "cmpid", "ito", "smid", "oc",
})  # fmt: skip
"""Query parameters that say how a reader arrived, not what they read (with every `utm_*`)."""
DEFAULT_PORTS = {"http": 80, "https": 443}
TITLE_WINDOW_DAYS = 2
"""How far apart two items with one headline and publisher may be dated and still be one
story: Google News and publishers' own feeds date one article up to a day apart (time zones,
first-seen vs published), and a publisher that repeats a real headline (not a generic one,
see below) more than two days later is reporting a new event."""
MIN_TITLE_WORDS = 4
GENERIC_HEADLINES = frozenset({
    "live updates", "live", "live blog", "as it happened", "morning briefing",
    "evening briefing", "the briefing", "news briefing", "briefing", "top stories",
    "headlines", "breaking news", "latest news", "news", "the latest", "what we know",
    "today's headlines", "weather", "opinion", "letters", "editorial",
})  # fmt: skip


# Each related link's key is asked for when the item's own story is left out of its list and
# again when the list is put in order (newswire.merge): parsing the URL twice was most of both.
@functools.lru_cache(maxsize=1024)
def story_url(url: str | None) -> str | None:
    """The form of a URL two feeds would agree on, or None for anything that is not an
    http(s) URL with a host. A legacy Google News link gives the publisher URL it embeds."""
    if not url:
        return None
    decoded = googlenews.decode_publisher_url(url)
    if decoded:
        url = decoded
    parts = _story_parts(url.strip())
    if parts is None:
        return None
    netloc, path, query_text = parts
    path = path.rstrip("/")
    if not query_text or _only_tracking(query_text):  # most article URLs: nothing to keep
        return f"{netloc}{path}"
    query = sorted(
        (name, value)
        for name, value in parse_qsl(query_text, keep_blank_values=True)
        if not _tracking(name.lower())
    )
    # https and http of one page are one page; the scheme is left out of the key.
    return urlunsplit(("", netloc, path, urlencode(query), "")).removeprefix("//")


def _only_tracking(query: str) -> bool:
    """Whether every parameter of the query is one the key drops, told without parse_qsl when
    each name is plain (no "%" or "+" that parse_qsl would decode): Google's "oc=5"."""
    for pair in query.split("&"):
        name = pair.partition("=")[0].lower()
        if not pair:
            continue
        if "%" in name or "+" in name or not name:
            return False
        if not _tracking(name):
            return False
    return True


def _tracking(name: str) -> bool:
    """Whether a lower-cased query parameter name is one a story key drops."""
    return name.startswith("utm_") or name in TRACKING_PARAMETERS


def _story_parts(url: str) -> tuple[str, str, str] | None:
    """The netloc as a story URL writes it (host lower-cased, default port dropped), the path
    and the query of an http(s) URL with a host; None for any other URL."""
    if (plain := plainurl.WHOLE.match(url)) is not None:
        host = plain.group(1).lower().rstrip(".")
        return (host, plain.group(2) or "", plain.group(3) or "") if host else None
    return _split_story_parts(url)


def _split_story_parts(url: str) -> tuple[str, str, str] | None:
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower().rstrip(".")
    if scheme not in DEFAULT_PORTS or not host:
        return None
    netloc = host if port in (None, DEFAULT_PORTS[scheme]) else f"{host}:{port}"
    return netloc, parts.path, parts.query


def headline_key(title: str) -> str | None:
    """The headline as a key (case, accents, punctuation and spacing folded), or None for a
    generic or short one."""
    folded = unicodedata.normalize("NFKD", title.casefold())
    words = re.findall(r"\w+", "".join(c for c in folded if not unicodedata.combining(c)))
    text = " ".join(words)
    if not text or text in GENERIC_HEADLINES or len(words) < MIN_TITLE_WORDS:
        return None
    return text


def _title_keys(title: str, publisher: str | None, days: Iterable[datetime]) -> list[str]:
    # The headline is folded once for all the days: folding is most of a key's cost.
    headline = headline_key(title)
    if headline is None or not publisher:
        return []
    who = publisher.casefold()
    return [f"title:{who}|{headline}|{day:%Y-%m-%d}" for day in days]


def story_keys(article: Article) -> tuple[str, ...]:
    """The keys the article claims for its story: its URL key, and its title key on its own
    UTC day."""
    keys: list[str] = []
    for url in (article.url_original, article.link):
        if not url or googlenews.is_google_news(url) or not (found := story_url(url)):
            continue
        # A site's home page is no story's own URL (some feeds link every item there).
        if urlsplit(f"//{found}").path or "?" in found:
            keys.append(f"url:{found}")
    keys += _title_keys(article.title, article.publisher, (_utc_day(article.date),))
    return tuple(dict.fromkeys(keys))


def lookup_keys(article: Article, own: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The keys under which an earlier item of the same story would be found: the article's
    own (`own`: its story_keys, when the caller has them already), and its title key on each
    day within TITLE_WINDOW_DAYS."""
    keys = list(story_keys(article) if own is None else own)
    day = _utc_day(article.date)
    window = range(-TITLE_WINDOW_DAYS, TITLE_WINDOW_DAYS + 1)
    keys += _title_keys(article.title, article.publisher, (day + timedelta(o) for o in window))
    return tuple(dict.fromkeys(keys))


def _utc_day(when: datetime) -> datetime:
    return when.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def related_key(url: str) -> str:
    """What makes two related-coverage links one: the story URL, else the URL itself."""
    return story_url(url) or url
