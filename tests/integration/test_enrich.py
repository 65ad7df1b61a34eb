"""Opt-in enrichment against a loopback stand-in for article pages and Google News."""

from __future__ import annotations

import dataclasses
import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest

from newswire.enrich import Enricher, EnrichOptions
from newswire.fetch import FetchLimits, build_session
from newswire.models import Article
from newswire.netguard import AddressPolicy

TOKEN = "CBMiswFBVV95cUxPSnBrYlp5dUxhWUFfS0Vn"


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: str, content_type: str = "text/html") -> None:
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self.server.requests.append((time.monotonic(), "GET", self.path))
        if self.server.status != 200:
            self._send(self.server.status, "slow down")
        elif self.path == "/story":
            self._send(200, '<html><head><meta property="og:image" content="/img/lead.jpg">'
                       "</head><body>story</body></html>")  # fmt: skip
        elif self.path == f"/gn/articles/{TOKEN}":
            self._send(200, '<div data-n-a-sg="SIG123" data-n-a-ts="1767225600">x</div>')
        else:
            self._send(404, "not found")

    def do_POST(self) -> None:
        self.server.requests.append((time.monotonic(), "POST", self.path))
        length = int(self.headers.get("Content-Length", "0"))
        form = parse_qs(self.rfile.read(length).decode())
        request = json.loads(form["f.req"][0])
        inner = json.loads(request[0][0][1])
        if self.path.startswith("/gn/_/DotsSplashUi/data/batchexecute") and inner[2:] == [
            TOKEN, 1767225600, "SIG123"
        ]:  # fmt: skip
            port = self.server.server_address[1]
            answer = json.dumps(["garturlres", f"http://127.0.0.1:{port}/story", 1])
            self._send(200, ")]}'\n\n" + json.dumps([["wrb.fr", "Fbv4je", answer]]), "text/plain")
        else:
            self._send(400, "bad request")


class _Server(ThreadingHTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[tuple[float, str, str]] = []
        self.status = 200


@pytest.fixture
def server() -> Iterator[_Server]:
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _article(link: str) -> Article:
    return Article(
        id="a" * 20, guid=TOKEN, title="T", date=datetime(2026, 1, 1, tzinfo=UTC),
        description="", summary="", slug="t", image=None, link=link, source="s",
        categories=(), tags=(), section="news", feeds=("f",), body="", content_hash="h",
    )  # fmt: skip


def _enricher(server: _Server, **options: object) -> Enricher:
    port = server.server_address[1]
    base = EnrichOptions(
        og_image=True,
        google_news_urls=True,
        min_interval=0.05,
        google_news_base=f"http://127.0.0.1:{port}/gn",
    )
    session = build_session(FetchLimits(), AddressPolicy(["127.0.0.1"]))
    return Enricher(dataclasses.replace(base, **options), session)  # type: ignore[arg-type]


def test_google_news_link_resolves_and_the_page_gives_an_image(server: _Server) -> None:
    port = server.server_address[1]
    article = _article(f"https://news.google.com/rss/articles/{TOKEN}?oc=5")
    enriched = _enricher(server).enrich(article)
    assert enriched.url_original == f"http://127.0.0.1:{port}/story"
    assert enriched.image == f"http://127.0.0.1:{port}/img/lead.jpg"
    assert enriched.content_hash == article.content_hash
    assert [r[1:] for r in server.requests] == [
        ("GET", f"/gn/articles/{TOKEN}"),
        ("POST", "/gn/_/DotsSplashUi/data/batchexecute"),
        ("GET", "/story"),
    ]


def test_requests_to_google_are_spaced_by_the_rate_limit(
    server: _Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A fake clock that sleeping advances: the spacing is checked exactly, not timed.
    now = [1000.0]
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(round(seconds, 6))
        now[0] += seconds

    monkeypatch.setattr("newswire.enrich.time.sleep", sleep)
    port = server.server_address[1]
    options = EnrichOptions(
        google_news_urls=True, min_interval=0.2, google_news_base=f"http://127.0.0.1:{port}/gn"
    )
    session = build_session(FetchLimits(), AddressPolicy(["127.0.0.1"]))
    enricher = Enricher(options, session, clock=lambda: now[0])
    for _ in range(2):
        enricher.enrich(_article(f"https://news.google.com/rss/articles/{TOKEN}"))
    assert len([r for r in server.requests if r[2].startswith("/gn/")]) == 4
    assert slept == [0.2, 0.2, 0.2]  # every request after the first waited its turn


def test_the_rate_limit_gives_up_at_the_deadline(monkeypatch: pytest.MonkeyPatch) -> None:
    from newswire.enrich import _RateLimiter

    monkeypatch.setattr("newswire.enrich.time.sleep", lambda seconds: None)
    limiter = _RateLimiter(1.0, clock=lambda: 10.0)
    assert [limiter.wait(deadline=12.0) for _ in range(3)] == [True, True, False]


def test_an_exhausted_budget_sends_nothing_and_changes_nothing(server: _Server) -> None:
    article = _article(f"https://news.google.com/rss/articles/{TOKEN}")
    assert _enricher(server, budget_seconds=0.0).enrich(article) is article
    assert server.requests == []


def test_errors_leave_the_article_as_it_was(server: _Server) -> None:
    server.status = 429
    article = _article(f"https://news.google.com/rss/articles/{TOKEN}")
    assert _enricher(server).enrich(article) is article
    assert len(server.requests) == 1  # no batchexecute call without the page's signature


def test_private_addresses_stay_refused_for_enrichment(server: _Server) -> None:
    port = server.server_address[1]
    session = build_session(FetchLimits(), AddressPolicy([]))
    enricher = Enricher(EnrichOptions(og_image=True), session)
    article = _article(f"http://127.0.0.1:{port}/story")
    assert enricher.enrich(article) is article
    assert server.requests == []
