"""The workload's origin: a ThreadingHTTPServer on 127.0.0.1 that serves generated feeds.

Run as its own process (`python -m bench.feedserver ...`): it prints one JSON line with its port
once every body is generated and the socket listens, then serves until its stdin closes.

A subprocess and not a thread of the client, because the clients measured here are CPU-bound
Python: in one process the server's handler threads would take the client's GIL (inflating its
wall time) and the client's parsing would delay the server's wake-ups after the injected
latency (inflating the latency). In its own process the server has its own interpreter and,
on this 2-core machine, its own core most of the time.

Each request sleeps `--latency-ms` before it is answered (304s too: a round trip is a round
trip). Feeds answer conditional GETs like a careful origin (ETag decides when present, else
Last-Modified), except the feeds planned without validators, which always send the same body.
`GET /_stats` returns the responses so far by status and by path (without latency);
`GET /_stats?reset=1` clears them. With `--moving-rounds R`, every feed moves the way Google
News does (bench.workload.render_moving_feed): `GET /_round?set=N` switches all of them to
round N (0 to R) at once.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import sys
import threading
import time
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from bench.loopback import LOOPBACK, enforce_loopback
from bench.workload import (
    FeedSpec,
    etag_of,
    last_modified_of,
    plan,
    render_feed,
    render_moving_feed,
)


@dataclass(frozen=True)
class Served:
    spec: FeedSpec
    body: bytes
    etag: str
    last_modified: str


class FeedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 512  # the default 5 would drop SYNs when 64 workers connect at once

    def __init__(
        self, feeds: dict[str, Served], latency: float, rounds: list[dict[str, Served]]
    ) -> None:
        self.feeds = feeds
        self.latency = latency
        self.rounds = rounds  # moving feeds: every round's bodies, rendered before listening
        self.lock = threading.Lock()
        self.by_status: Counter[int] = Counter()
        self.by_path: dict[str, list[int]] = {}
        super().__init__((LOOPBACK, 0), Handler)

    def record(self, path: str, status: int) -> None:
        with self.lock:
            self.by_status[status] += 1
            self.by_path.setdefault(path, []).append(status)

    def stats(self, reset: bool) -> dict[str, Any]:
        with self.lock:
            out = {"by_status": dict(self.by_status), "by_path": dict(self.by_path)}
            if reset:
                self.by_status.clear()
                self.by_path.clear()
        return out


def _not_modified(feed: Served, if_none_match: str | None, since: str | None) -> bool:
    if not feed.spec.validators:
        return False
    if if_none_match is not None:
        tags = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
        return "*" in tags or feed.etag in tags
    if since is not None:
        try:
            when = email.utils.parsedate_to_datetime(since)
            modified = email.utils.parsedate_to_datetime(feed.last_modified)
        except (TypeError, ValueError, IndexError):
            return False
        return modified <= when
    return False


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real clients reuse connections
    server: FeedHTTPServer

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        if parts.path == "/_stats":
            reset = parse_qs(parts.query).get("reset") == ["1"]
            self._send(200, {"Content-Type": "application/json"}, self._stats_body(reset))
            return
        if parts.path == "/_round":
            self.server.feeds = self.server.rounds[int(parse_qs(parts.query)["set"][0])]
            self._send(200, {"Content-Type": "text/plain"}, b"ok\n")
            return
        time.sleep(self.server.latency)
        feed = self.server.feeds.get(parts.path)
        if feed is None:
            self._send(404, {"Content-Type": "text/plain"}, b"no such feed\n")
        elif _not_modified(
            feed, self.headers.get("If-None-Match"), self.headers.get("If-Modified-Since")
        ):
            self._send(304, {"ETag": feed.etag}, b"")
        else:
            headers = {"Content-Type": feed.spec.content_type}
            if feed.spec.validators:
                headers |= {"ETag": feed.etag, "Last-Modified": feed.last_modified}
            self._send(200, headers, feed.body)
        self.server.record(parts.path, self._status)

    def _stats_body(self, reset: bool) -> bytes:
        return json.dumps(self.server.stats(reset)).encode()

    def _send(self, status: int, headers: dict[str, str], body: bytes) -> None:
        self._status = status
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: requests are counted, not logged."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.feedserver")
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--feeds", type=int, required=True)
    parser.add_argument("--items", type=int, required=True)
    parser.add_argument("--latency-ms", type=float, required=True)
    parser.add_argument("--no-validators-every", type=int, default=0)
    parser.add_argument("--moving-rounds", type=int, default=0)
    parser.add_argument("--moving-new", type=int, default=5)
    args = parser.parse_args(argv)
    enforce_loopback()
    specs = plan(args.seed, args.feeds, args.items, no_validators_every=args.no_validators_every)
    feeds = {}
    for spec in specs:
        body = render_feed(args.seed, spec)
        feeds[spec.path] = Served(spec, body, etag_of(body), last_modified_of(spec))
    rounds = []
    for round_ in range(args.moving_rounds + 1 if args.moving_rounds else 0):
        moving = {}
        for spec in specs:
            body = render_moving_feed(args.seed, spec, round_, args.moving_rounds, args.moving_new)
            moving[spec.path] = Served(spec, body, etag_of(body), last_modified_of(spec))
        rounds.append(moving)
    server = FeedHTTPServer(rounds[0] if rounds else feeds, args.latency_ms / 1000, rounds)
    thread = threading.Thread(target=server.serve_forever, name="feed-server", daemon=True)
    thread.start()
    print(json.dumps({"port": server.server_address[1]}), flush=True)
    sys.stdin.read()  # the parent closes our stdin (or dies): time to stop
    server.shutdown()
    server.server_close()


if __name__ == "__main__":
    main()
