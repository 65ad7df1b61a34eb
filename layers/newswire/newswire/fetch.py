"""Download a feed: conditional GET, retries, a wall-clock deadline and a size cap.

Kept apart from parsing: this module knows HTTP and nothing of feeds.
"""

from __future__ import annotations

import email.utils
import logging
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

import requests
from urllib3.exceptions import HTTPError
from urllib3.util.retry import Retry

from newswire import __version__
from newswire.models import FeedState, Fetched, FetchError, NotModified
from newswire.netguard import AddressPolicy, BlockedAddress, GuardedAdapter, wall_clock_deadline
from newswire.text import clean_line, truncate

log = logging.getLogger("newswire.fetch")

USER_AGENT = f"newswire/{__version__} (+https://github.com/newswire/newswire; feed fetcher)"
ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, "
    "text/xml;q=0.9, */*;q=0.1"
)
MAX_RETRY_AFTER = 24 * 3600.0
MAX_REASON = 100
CHUNK = 64 * 1024


@dataclass(frozen=True)
class FetchLimits:
    connect_timeout: float = 5.0
    read_timeout: float = 15.0
    deadline: float = 30.0
    max_bytes: int = 15 * 1024 * 1024
    retries: int = 2
    max_redirects: int = 5


def build_session(
    limits: FetchLimits, policy: AddressPolicy, pool_size: int = 10
) -> requests.Session:
    """One session for the whole run, so connections to a host are reused across feeds.

    Every connection, redirects included, goes through the SSRF guard; proxies and .netrc from
    the environment are ignored so that the guard sees the real destination.
    """
    retry = Retry(
        total=limits.retries,
        connect=limits.retries,
        read=limits.retries,
        status=limits.retries,
        backoff_factor=0.5,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        # 429/503 with Retry-After are not slept on here: the wait is stored in the feed's state
        # so that later scheduled runs skip the feed, instead of holding a worker idle.
        respect_retry_after_header=False,
        raise_on_status=False,
    )
    adapter = GuardedAdapter(
        policy, max_retries=retry, pool_connections=pool_size, pool_maxsize=pool_size
    )
    session = requests.Session()
    session.trust_env = False
    session.max_redirects = limits.max_redirects
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.headers.update({"User-Agent": USER_AGENT, "Accept": ACCEPT})
    return session


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delay-seconds (ASCII digits only) or an
    HTTP-date, capped at 24 h. Anything else (`--5`, `²`, `-30`, garbage) is logged and
    ignored: the feed is then simply fetched at the next run."""
    if not value or not value.strip():
        return None
    value = value.strip()
    seconds: float | None = None
    if value.isascii() and value.isdigit():
        seconds = float(value)  # float(): no digit limit, and 10**5000 becomes inf, capped
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            seconds = max((when - now).total_seconds(), 0.0)  # a date past means now
    if seconds is None:
        log.warning(
            "Retry-After ignored: neither seconds nor an HTTP date", extra={"value": value[:80]}
        )
        return None
    if seconds > MAX_RETRY_AFTER:
        log.warning("Retry-After capped at 24 h", extra={"value": value[:80]})
        return MAX_RETRY_AFTER
    return seconds


class Fetcher:
    """Fetches feed bodies. Thread-safe: one instance serves the whole run."""

    def __init__(
        self,
        limits: FetchLimits | None = None,
        *,
        session: requests.Session | None = None,
        allow_local: bool = False,
        policy: AddressPolicy | None = None,
    ) -> None:
        self.limits = limits or FetchLimits()
        self.policy = policy or AddressPolicy()
        self.session = session or build_session(self.limits, self.policy)
        self.allow_local = allow_local

    def fetch(self, url: str, state: FeedState | None = None) -> Fetched | NotModified:
        scheme = urlsplit(url).scheme.lower()
        if scheme in ("http", "https"):
            return self._fetch_http(url, state)
        if scheme in ("", "file") or (len(scheme) == 1 and url[1:3] in (":\\", ":/")):
            if not self.allow_local:
                raise FetchError(f"local paths are not allowed here: {url}")
            return self._read_local(url)
        raise FetchError(f"unsupported URL scheme {scheme!r}: only http and https are fetched")

    def _read_local(self, url: str) -> Fetched:
        path = Path(url2pathname(urlsplit(url).path)) if url.startswith("file:") else Path(url)
        try:
            with path.open("rb") as handle:
                body = handle.read(self.limits.max_bytes + 1)
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {exc.strerror}") from exc
        if len(body) > self.limits.max_bytes:
            raise FetchError(f"{path} is larger than {self.limits.max_bytes} bytes")
        # A local file has no Content-Type header; say it is XML so feedparser does not warn.
        return Fetched(
            url=url, body=body, content_type="application/xml", etag=None, last_modified=None
        )

    def _fetch_http(self, url: str, state: FeedState | None) -> Fetched | NotModified:
        headers = {}
        if state is not None and state.url == url:
            if state.etag:
                headers["If-None-Match"] = state.etag
            if state.last_modified:
                headers["If-Modified-Since"] = state.last_modified
        started = time.monotonic()
        with wall_clock_deadline(started + self.limits.deadline):
            return self._request(url, headers, started)

    def _past_deadline(self, started: float) -> FetchError | None:
        if time.monotonic() >= started + self.limits.deadline:
            return FetchError(f"download took longer than the {self.limits.deadline:g} s deadline")
        return None

    def _request(self, url: str, headers: dict[str, str], started: float) -> Fetched | NotModified:
        try:
            response = self.session.get(
                url,
                headers=headers,
                timeout=(self.limits.connect_timeout, self.limits.read_timeout),
                stream=True,
            )
        except BlockedAddress as exc:
            raise FetchError(str(exc)) from exc
        except requests.exceptions.TooManyRedirects as exc:
            raise FetchError(f"more than {self.limits.max_redirects} redirects") from exc
        except requests.exceptions.InvalidSchema as exc:
            raise FetchError("redirected to a URL that is not http or https") from exc
        except requests.exceptions.ConnectionError as exc:
            raise self._past_deadline(started) or FetchError(
                f"cannot connect: {_reason(exc)}"
            ) from exc
        except requests.exceptions.Timeout as exc:
            raise FetchError(f"timed out: {_reason(exc)}") from exc
        except requests.exceptions.RequestException as exc:
            raise self._past_deadline(started) or FetchError(
                f"request failed: {_reason(exc)}"
            ) from exc
        with response:
            if response.status_code == 304:
                return NotModified(url=url)
            if response.status_code >= 400:
                retry_after = None
                if response.status_code in (429, 503):
                    retry_after = parse_retry_after(
                        response.headers.get("Retry-After"), datetime.now(UTC)
                    )
                # The reason phrase is the server's free text: printed by `run` and `feeds`.
                reason = truncate(clean_line(response.reason or ""), MAX_REASON)
                raise FetchError(
                    f"HTTP {response.status_code} {reason}".strip(), retry_after=retry_after
                )
            body = self._read_body(response, started)
            return Fetched(
                url=url,
                body=body,
                content_type=response.headers.get("Content-Type"),
                etag=response.headers.get("ETag"),
                last_modified=response.headers.get("Last-Modified"),
                status=response.status_code,
            )

    def _read_body(self, response: requests.Response, started: float) -> bytes:
        # requests' timeouts bound each socket read, not the whole download: a server that drips
        # a byte at a time never times out. read1() returns whatever has arrived, so the deadline
        # and the cap on decoded bytes (a gzip bomb) are checked between small reads.
        limit = self.limits.max_bytes
        chunks: list[bytes] = []
        total = 0
        try:
            while True:
                if late := self._past_deadline(started):
                    raise late
                chunk = response.raw.read1(CHUNK, decode_content=True)
                if not chunk:
                    break
                total += len(chunk)
                if total > limit:
                    raise FetchError(f"feed is larger than {limit} bytes (decoded); cut off")
                chunks.append(chunk)
        except (requests.exceptions.RequestException, OSError, HTTPError) as exc:
            # urllib3 raises its own errors (ReadTimeoutError, ProtocolError, DecodeError) from
            # raw reads; they are all download failures of this one feed.
            raise self._past_deadline(started) or FetchError(
                f"download failed: {_reason(exc)}"
            ) from exc
        if late := self._past_deadline(started):
            raise late  # the watchdog cut the connection: what arrived is not the whole body
        return b"".join(chunks)


def _reason(exc: BaseException) -> str:
    """Plain words for a connection failure, from the innermost urllib3/socket cause."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        name = type(current).__name__
        if name == "NameResolutionError":
            host = getattr(getattr(current, "conn", None), "host", None)
            return f"cannot resolve host {host or '?'} (DNS lookup failed; offline?)"
        if isinstance(current, ConnectionRefusedError) or "Connection refused" in str(current):
            return "connection refused"
        if isinstance(current, TimeoutError) or "timed out" in str(current).lower():
            return "no answer in time"
        if name in ("RemoteDisconnected", "IncompleteRead") or "closed connection" in str(current):
            return "the server closed the connection before the response was complete"
        if name == "SSLError" or "CERTIFICATE_VERIFY_FAILED" in str(current):
            return "TLS error: the certificate could not be verified"
        reason = getattr(current, "reason", None)
        if isinstance(reason, BaseException):
            current = reason
            continue
        inner = [a for a in current.args if isinstance(a, BaseException)]
        if inner:
            current = inner[0]
            continue
        current = current.__cause__ or current.__context__
    return str(exc)[:200]
