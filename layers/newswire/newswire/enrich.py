"""Opt-in enrichment that needs the network: og:image from the article page, and the publisher
URL behind a new-style Google News article id. Both are rate-limited, bounded by a time budget
for the whole run, and never fail an article: on any problem the value simply stays unknown.

Runs after decide (in the commit step), for articles decide found new or changed only, so an
unchanged article costs no request. The content hash stays the one normalize computed (before
enrichment), so a later run without enrichment still sees the article as unchanged.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import quote

import requests

from newswire import googlenews
from newswire.markdown import safe_url
from newswire.models import Article
from newswire.netguard import BlockedAddress

log = logging.getLogger("newswire.enrich")

GOOGLE_NEWS_BASE = "https://news.google.com"
PAGE_LIMIT = 512 * 1024  # og:image is in <head>: the first half megabyte is plenty


@dataclass(frozen=True)
class EnrichOptions:
    og_image: bool = False
    google_news_urls: bool = False
    budget_seconds: float = 20.0
    min_interval: float = 1.0
    """Seconds between two requests to the same service (Google answers 429 to quick bursts)."""
    request_timeout: float = 5.0
    google_news_base: str = GOOGLE_NEWS_BASE

    @property
    def enabled(self) -> bool:
        return self.og_image or self.google_news_urls


class _RateLimiter:
    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        self.interval, self.clock = interval, clock
        self._lock = threading.Lock()
        self._next = 0.0

    def wait(self, deadline: float) -> bool:
        """Sleep until the next request may go; False if that would pass the deadline."""
        with self._lock:
            now = self.clock()
            start = max(now, self._next)
            if start >= deadline:
                return False
            self._next = start + self.interval
        if start > now:
            time.sleep(start - now)
        return True


class _MetaImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.image: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta" and self.image is None:
            values = dict(attrs)
            if values.get("property") in ("og:image", "og:image:url") or values.get("name") in (
                "og:image",
                "twitter:image",
            ):
                self.image = values.get("content")


class Enricher:
    """One per run: shares the run's (SSRF-guarded) HTTP session and one time budget."""

    def __init__(
        self,
        options: EnrichOptions,
        session: requests.Session,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.session = session
        self.clock = clock
        self.deadline = clock() + options.budget_seconds
        self._google = _RateLimiter(options.min_interval, clock)
        self._pages = _RateLimiter(options.min_interval / 4, clock)

    def enrich(self, article: Article) -> Article:
        url_original = article.url_original
        if self.options.google_news_urls and not url_original:
            url_original = self._resolve_google_news(article.link)
        image = article.image
        if self.options.og_image and not image:
            page = url_original or article.link
            if page and not googlenews.is_google_news(page):
                image = self._og_image(page)
        if (url_original, image) == (article.url_original, article.image):
            return article
        return dataclasses.replace(article, url_original=url_original, image=image)

    def _get(
        self,
        url: str,
        limiter: _RateLimiter,
        *,
        method: str = "GET",
        data: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> str | None:
        if not limiter.wait(self.deadline):
            return None
        timeout = min(self.options.request_timeout, max(0.1, self.deadline - self.clock()))
        try:
            with self.session.request(
                method, url, data=data, headers=headers, timeout=timeout, stream=True
            ) as response:
                if response.status_code != 200:
                    log.info(
                        "enrichment skipped", extra={"url": url, "status": response.status_code}
                    )
                    return None
                raw: bytes = response.raw.read(PAGE_LIMIT, decode_content=True)
                return raw.decode(response.encoding or "utf-8", errors="replace")
        except (requests.RequestException, BlockedAddress, OSError) as exc:
            log.info("enrichment failed", extra={"url": url, "error": str(exc)[:200]})
            return None

    def _og_image(self, page: str) -> str | None:
        html = self._get(page, self._pages)
        if html is None:
            return None
        parser = _MetaImage()
        parser.feed(html)
        return safe_url(parser.image, page)

    def _resolve_google_news(self, link: str) -> str | None:
        """Google's own page gives a signature and timestamp; its batchexecute endpoint then
        returns the publisher URL for them (the protocol its web client uses)."""
        token = googlenews.article_id(link)
        if not token:
            return None
        base = self.options.google_news_base.rstrip("/")
        page = self._get(f"{base}/articles/{token}", self._google)
        if page is None:
            return None
        signature = re.search(r'data-n-a-sg="([^"]+)"', page)
        timestamp = re.search(r'data-n-a-ts="([^"]+)"', page)
        if not signature or not timestamp:
            return None
        request = [
            "garturlreq",
            [["X", "X", ["X", "X"], None, None, 1, 1, "US:en", None, 1, None, None, None, None,
              None, 0, 1], "X", "X", 1, [1, 1, 1], 1, 1, None, 0, 0, None, 0],
            token,
            int(timestamp.group(1)) if timestamp.group(1).isdigit() else timestamp.group(1),
            signature.group(1),
        ]  # fmt: skip
        body = "f.req=" + quote(json.dumps([[["Fbv4je", json.dumps(request), None, "generic"]]]))
        answer = self._get(
            f"{base}/_/DotsSplashUi/data/batchexecute",
            self._google,
            method="POST",
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded;charset=UTF-8"},
        )
        return _publisher_url_from_batchexecute(answer) if answer else None


def _publisher_url_from_batchexecute(text: str) -> str | None:
    """The URL in a batchexecute answer: an anti-XSSI first line, then JSON whose first
    envelope's third element is itself JSON: ["garturlres", "<url>", ...]."""
    _, _, rest = text.partition("\n\n")
    try:
        envelopes = json.loads(rest.strip() or text)
        inner = json.loads(envelopes[0][2])
        url = inner[1]
    except (ValueError, TypeError, IndexError, KeyError):
        return None
    return safe_url(url) if isinstance(url, str) else None
