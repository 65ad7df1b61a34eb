"""A hostile feed server on 127.0.0.1: each path behaves like one kind of bad (or good) origin.

Routes are plain functions of one request; the server counts the requests of every path, so
tests can assert exactly how many requests newswire made (retries, skipped feeds, 304s).
"""

from __future__ import annotations

import contextlib
import email.utils
import gzip
import hashlib
import socket
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

LOOPBACK = "127.0.0.1"
RSS_TYPE = "application/rss+xml; charset=utf-8"


@dataclass(frozen=True)
class Reply:
    """A whole response. Content-Length is added unless the headers carry their own."""

    status: int = 200
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Seen:
    """One request the server received."""

    path: str
    headers: dict[str, str]


class Exchange:
    """One request, as a route sees it: read the request, then answer it in any way."""

    def __init__(self, handler: _Handler) -> None:
        self._handler = handler
        self.path = urlsplit(handler.path).path
        self.headers = {k.lower(): v for k, v in handler.headers.items()}
        self.stopping: threading.Event = handler.server.hostile.stopping

    def reply(self, reply: Reply) -> None:
        handler = self._handler
        handler.send_response(reply.status)
        names = {name.lower() for name, _ in reply.headers}
        for name, value in reply.headers:
            handler.send_header(name, value)
        if "content-length" not in names and "transfer-encoding" not in names:
            handler.send_header("Content-Length", str(len(reply.body)))
        handler.end_headers()
        handler.wfile.write(reply.body)
        handler.wfile.flush()

    def write_raw(self, data: bytes) -> None:
        """Bytes straight onto the socket, with no HTTP framing of the server's own."""
        self._handler.wfile.write(data)
        self._handler.wfile.flush()

    def hang_up(self) -> None:
        """Close the connection without answering."""
        self._handler.close_connection = True
        with contextlib.suppress(OSError):
            self._handler.connection.shutdown(socket.SHUT_RDWR)

    def close_after(self) -> None:
        self._handler.close_connection = True


Route = Callable[[Exchange], None]


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        exchange = Exchange(self)
        self.server.hostile.record(Seen(exchange.path, exchange.headers))
        route = self.server.hostile.routes.get(exchange.path)
        if route is None:
            exchange.reply(Reply(404, b"no such path\n", (("Content-Type", "text/plain"),)))
            return
        try:
            route(exchange)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the client gave up (a deadline): that is the point

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the server keeps its own request log."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, hostile: HostileServer) -> None:
        self.hostile = hostile
        super().__init__((LOOPBACK, 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Clients that hang up mid-request are expected here; nothing to print."""


@dataclass
class HostileServer:
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self._httpd = _Server(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.02},  # shutdown() waits for one poll: keep it short
            name="hostile-server",
            daemon=True,
        )

    # --- life cycle ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()  # the socket already listens: requests queue until served

    def stop(self) -> None:
        self.stopping.set()  # ends every drip and stall at once
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str, host: str = LOOPBACK) -> str:
        return f"http://{host}:{self.port}{path}"

    # --- the request log -------------------------------------------------------------------

    def record(self, seen: Seen) -> None:
        with self._lock:
            self.seen.append(seen)

    def hits(self, path: str) -> int:
        with self._lock:
            return sum(1 for s in self.seen if s.path == path)

    def requests_to(self, path: str) -> list[Seen]:
        with self._lock:
            return [s for s in self.seen if s.path == path]

    @property
    def total(self) -> int:
        with self._lock:
            return len(self.seen)

    # --- behaviours ------------------------------------------------------------------------

    def route(self, path: str, route: Route) -> str:
        self.routes[path] = route
        return self.url(path)

    def reply(self, path: str, reply: Reply) -> str:
        return self.route(path, lambda exchange: exchange.reply(reply))

    def replies(self, path: str, replies: Sequence[Reply]) -> str:
        """One reply per request, in order; the last one repeats."""
        served = iter(range(len(replies)))

        def route(exchange: Exchange) -> None:
            exchange.reply(replies[next(served, len(replies) - 1)])

        return self.route(path, route)

    def feed(
        self,
        path: str,
        body: bytes,
        *,
        content_type: str = RSS_TYPE,
        validators: bool = True,
        honour_validators: bool = True,
    ) -> str:
        """A feed with an ETag and Last-Modified that answers 304 to a matching conditional GET.

        `validators=False`: no ETag and no Last-Modified at all. `honour_validators=False`:
        sends them but always answers 200 with the whole body (servers that ignore them).
        """
        served = ServedFeed(body, content_type)
        self.routes[path] = served.route(validators, honour_validators)
        return self.url(path)

    def redirect(self, path: str, location: str, status: int = 302) -> str:
        return self.reply(path, Reply(status, b"", (("Location", location),)))

    def chain(self, prefix: str, hops: int, final: bytes) -> str:
        """`prefix/<hops>` redirects to `prefix/<hops - 1>` … `prefix/0` serves `final`."""
        for n in range(1, hops + 1):
            self.redirect(f"{prefix}/{n}", f"{prefix}/{n - 1}")
        self.feed(f"{prefix}/0", final)
        return self.url(f"{prefix}/{hops}")

    def drip_body(self, path: str, *, interval: float = 0.1, limit: int = 600) -> str:
        """Headers at once, then one byte of body every `interval` seconds."""

        def route(exchange: Exchange) -> None:
            exchange.close_after()
            exchange.write_raw(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                + f"Content-Length: {limit}\r\n\r\n".encode()
            )
            for _ in range(limit):
                exchange.write_raw(b" ")
                if exchange.stopping.wait(interval):
                    return

        return self.route(path, route)

    def drip_headers(self, path: str, *, interval: float = 0.1, count: int = 20) -> str:
        """The status line at once, then one header line every `interval` seconds."""

        def route(exchange: Exchange) -> None:
            exchange.close_after()
            exchange.write_raw(b"HTTP/1.1 200 OK\r\n")
            for n in range(count):
                exchange.write_raw(f"X-Drip-{n}: .\r\n".encode())
                if exchange.stopping.wait(interval):
                    return
            exchange.write_raw(b"Content-Length: 0\r\n\r\n")

        return self.route(path, route)

    def stall(self, path: str, *, seconds: float = 5.0) -> str:
        """Headers, then silence for `seconds` (or until the server stops)."""

        def route(exchange: Exchange) -> None:
            exchange.close_after()
            exchange.write_raw(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n")
            exchange.stopping.wait(seconds)

        return self.route(path, route)

    def hang_up(self, path: str, *, times: int, then: Reply | None = None) -> str:
        """Close the connection without a response `times` times, then answer `then`."""
        remaining = [times]
        lock = threading.Lock()

        def route(exchange: Exchange) -> None:
            with lock:
                drop = remaining[0] > 0
                remaining[0] -= 1
            if drop or then is None:
                exchange.hang_up()
            else:
                exchange.reply(then)

        return self.route(path, route)

    def gzip_bomb(self, path: str, *, decoded_mib: int = 48, layers: int = 1) -> str:
        """A small body that inflates to `decoded_mib` MiB of zeros (gzip inside gzip for
        `layers` > 1), served with the matching Content-Encoding."""
        body = gzip_bomb_bytes(decoded_mib, layers)
        encoding = ", ".join(["gzip"] * layers)
        headers = (("Content-Type", "application/rss+xml"), ("Content-Encoding", encoding))
        return self.reply(path, Reply(200, body, headers))


@lru_cache(maxsize=4)
def gzip_bomb_bytes(decoded_mib: int, layers: int = 1) -> bytes:
    data = bytes(decoded_mib * 1024 * 1024)
    for _ in range(layers):
        data = gzip.compress(data, compresslevel=9, mtime=0)
    return data


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:16] + '"'


@dataclass
class ServedFeed:
    body: bytes
    content_type: str
    modified: datetime = field(default_factory=lambda: datetime(2026, 1, 6, 12, 0, tzinfo=UTC))

    @property
    def etag(self) -> str:
        return _etag(self.body)

    @property
    def last_modified(self) -> str:
        return email.utils.format_datetime(self.modified, usegmt=True)

    def not_modified(self, headers: dict[str, str]) -> bool:
        if "if-none-match" in headers:
            candidates = [c.strip().removeprefix("W/") for c in headers["if-none-match"].split(",")]
            return self.etag in candidates or "*" in candidates
        if "if-modified-since" in headers:
            try:
                since = email.utils.parsedate_to_datetime(headers["if-modified-since"])
            except (TypeError, ValueError):
                return False
            return self.modified <= since
        return False

    def route(self, validators: bool, honour: bool) -> Route:
        def serve(exchange: Exchange) -> None:
            if validators and honour and self.not_modified(exchange.headers):
                exchange.reply(Reply(304, b"", (("ETag", self.etag),)))
                return
            headers: list[tuple[str, str]] = [("Content-Type", self.content_type)]
            if validators:
                headers += [("ETag", self.etag), ("Last-Modified", self.last_modified)]
            exchange.reply(Reply(200, self.body, tuple(headers)))

        return serve


def retry_after(status: int, value: str | None, body: bytes = b"slow down\n") -> Reply:
    headers: Iterable[tuple[str, str]] = (("Retry-After", value),) if value is not None else ()
    return Reply(status, body, (("Content-Type", "text/plain"), *headers))
