"""Shared fixtures of the integration and end-to-end tests: real parts on loopback only.

- AWS: boto3 against moto, either in-process (`moto_aws`) or moto's HTTP server on 127.0.0.1
  (`moto_server`). The DynamoDB table is always created from template.yaml's IndexTable.
- Feeds: `feed_server`, a real HTTP server on 127.0.0.1 that serves fixture feeds with ETag and
  Last-Modified, answers 304 to matching conditional requests, counts requests, and lets a test
  change a feed's body between runs.
"""

from __future__ import annotations

import email.utils
import hashlib
import ipaddress
import logging
import os
import socket
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import boto3
import hypothesis
import pytest

from tooling.awsenv import FAKE_CREDENTIALS as FAKE_CREDENTIALS
from tooling.awsenv import REGION as REGION
from tooling.awsenv import UNSAFE_VARIABLES as UNSAFE_VARIABLES
from tooling.cfn import create_index_table as create_table_from_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
TEMPLATE = REPO / "template.yaml"
EVENTS = REPO / "events"

LOOPBACK = "127.0.0.1"

# No property test here is about speed (the benchmark measures that), and on a loaded machine
# the default 200 ms deadline fails healthy examples. Loaded here, before any test module, so
# that every @settings(...) inherits it.
hypothesis.settings.register_profile("newswire", deadline=None)
hypothesis.settings.load_profile("newswire")


# --- the incremental path equals the full parse, in every test that ingests ----------------


@pytest.fixture(autouse=True)
def incremental_equals_full(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every body any test ingests is also parsed whole, and the items the incremental path
    handed on must equal the full parse's (tests/incremental.py). Failures are collected and
    reported after the test: an assertion inside the run would be caught by its last guard."""
    import newswire.ingest
    import newswire.prepass
    from newswire.models import ParseError
    from tests.incremental import expected_items, mismatch

    real = newswire.prepass.parse_new_items
    problems: list[str] = []

    def checked(fetched: Any, *, known: Any, salt: bytes, limit: int) -> newswire.prepass.NewItems:
        expected = expected_items(fetched, known=known, salt=salt, limit=limit)
        try:
            got = real(fetched, known=known, salt=salt, limit=limit)
        except ParseError as exc:
            if (problem := mismatch(exc, expected)) is not None:
                problems.append(f"{fetched.url}: {problem}")
            raise
        if (problem := mismatch(got, expected)) is not None:
            problems.append(f"{fetched.url}: {problem}")
        return got

    monkeypatch.setattr(newswire.prepass, "parse_new_items", checked)
    yield
    assert not problems, "\n".join(problems)


# --- template.yaml -------------------------------------------------------------------------


def create_index_table(client: DynamoDBClient, name: str) -> None:
    """The table from template.yaml's IndexTable, ready to use."""
    create_table_from_template(client, name)
    client.get_waiter("table_exists").wait(TableName=name, WaiterConfig={"Delay": 1})


# --- AWS on moto ---------------------------------------------------------------------------


def fake_aws_environment(base: dict[str, str]) -> dict[str, str]:
    """`base` with moto's fake credentials and nothing that points outside loopback."""
    env = {k: v for k, v in base.items() if k not in UNSAFE_VARIABLES}
    env.update(FAKE_CREDENTIALS)
    env["NO_PROXY"] = env["no_proxy"] = f"{LOOPBACK},localhost"
    return env


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """In this process, refuse any IP connection that would leave loopback: a test that tried
    to reach a real AWS endpoint or feed fails loudly instead of depending on the network."""
    real_connect = socket.socket.connect

    def connect(self: socket.socket, address: Any) -> None:
        if self.family in (socket.AF_INET, socket.AF_INET6):
            try:
                loopback = ipaddress.ip_address(str(address[0]).split("%")[0]).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise ConnectionRefusedError(f"test guard: {address!r} is outside loopback")
        real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch, loopback_only: None) -> None:
    for name in UNSAFE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NO_PROXY", f"{LOOPBACK},localhost")
    monkeypatch.setenv("no_proxy", f"{LOOPBACK},localhost")


@pytest.fixture
def moto_aws(aws_env: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber

    # moto's in-process backends are not thread-safe (TransactWriteItems deep-copies the table
    # while another thread writes to it: "dictionary changed size during iteration"). The code
    # under test runs feeds on a thread pool, as it does in Lambda; serialize only moto itself.
    serve = BotocoreStubber.process_request
    one_at_a_time = threading.Lock()

    def process_request(self: BotocoreStubber, request: Any) -> Any:
        with one_at_a_time:
            return serve(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", process_request)
    with mock_aws():
        yield


@pytest.fixture
def s3_client(moto_aws: None) -> S3Client:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def dynamodb_client(moto_aws: None) -> DynamoDBClient:
    return boto3.client("dynamodb", region_name=REGION)


@pytest.fixture
def bucket(s3_client: S3Client) -> str:
    # Unique per test: code that caches clients per settings (a warm Lambda container) must
    # never hand one test's resources to the next.
    name = f"newswire-test-content-{uuid.uuid4().hex[:12]}"
    s3_client.create_bucket(Bucket=name)
    return name


@pytest.fixture
def index_table(dynamodb_client: DynamoDBClient) -> str:
    name = f"newswire-test-index-{uuid.uuid4().hex[:12]}"
    create_index_table(dynamodb_client, name)
    return name


@dataclass(frozen=True)
class MotoServer:
    endpoint_url: str

    def client(self, service: str) -> Any:
        return boto3.client(
            service,  # type: ignore[call-overload]
            endpoint_url=self.endpoint_url,
            region_name=REGION,
            aws_access_key_id=FAKE_CREDENTIALS["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=FAKE_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        )


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    """moto's HTTP server on a free loopback port, for programs run as subprocesses."""
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address=LOOPBACK, port=0, verbose=False)
    server.start()  # returns once the socket listens
    host, port = server.get_host_and_port()
    try:
        yield MotoServer(f"http://{host}:{port}")
    finally:
        server.stop()


# --- feeds on a loopback HTTP server -------------------------------------------------------


@dataclass
class ServedFeed:
    body: bytes
    content_type: str
    etag: str
    modified_at: datetime

    @property
    def last_modified(self) -> str:
        return email.utils.format_datetime(self.modified_at, usegmt=True)


@dataclass(frozen=True)
class FeedRequest:
    """One request the server answered."""

    path: str
    status: int
    if_none_match: str | None
    if_modified_since: str | None
    user_agent: str | None


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _etag_matches(header: str, etag: str) -> bool:
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates


class _FeedHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _FeedHTTPServer

    def do_GET(self) -> None:
        status, headers, body = self.server.feeds.respond(self.path, self.headers)
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the server keeps its own request log."""


class _FeedHTTPServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, feeds: FeedServer) -> None:
        self.feeds = feeds
        super().__init__((LOOPBACK, 0), _FeedHandler)


@dataclass
class FeedServer:
    """Serves feeds by path on 127.0.0.1, like a well-behaved origin: validators and 304s."""

    feeds: dict[str, ServedFeed] = field(default_factory=dict)
    requests: list[FeedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _clock: datetime = datetime(2026, 1, 6, 12, 0, tzinfo=UTC)

    def __post_init__(self) -> None:
        self._httpd = _FeedHTTPServer(self)
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(0.05,), name="feed-server", daemon=True
        )

    def start(self) -> None:
        self._thread.start()  # the socket already listens: requests queue until served

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, path: str) -> str:
        return f"http://{LOOPBACK}:{self.port}{path}"

    def serve(
        self, path: str, body: bytes, content_type: str = "application/rss+xml; charset=utf-8"
    ) -> str:
        """Serve `body` at `path` (a new ETag and a later Last-Modified); returns its URL."""
        with self._lock:
            self._clock += timedelta(minutes=1)
            self.feeds[path] = ServedFeed(body, content_type, _etag(body), self._clock)
        return self.url(path)

    def serve_file(self, path: str, source: Path, content_type: str) -> str:
        return self.serve(path, source.read_bytes(), content_type)

    def replace_in_body(self, path: str, old: str, new: str) -> None:
        """Change the served feed: `old` (which must occur exactly once) becomes `new`."""
        text = self.feeds[path].body.decode("utf-8")
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
        self.serve(path, text.replace(old, new).encode("utf-8"), self.feeds[path].content_type)

    def requests_for(self, path: str) -> list[FeedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    def clear_log(self) -> None:
        with self._lock:
            self.requests.clear()

    def respond(self, target: str, headers: Any) -> tuple[int, dict[str, str], bytes]:
        path = urlsplit(target).path
        if_none_match = headers.get("If-None-Match")
        if_modified_since = headers.get("If-Modified-Since")
        with self._lock:
            feed = self.feeds.get(path)
            if feed is None:
                status, out, body = 404, {"Content-Type": "text/plain"}, b"no such feed\n"
            elif self._not_modified(feed, if_none_match, if_modified_since):
                status, out, body = 304, {"ETag": feed.etag}, b""
            else:
                out = {
                    "Content-Type": feed.content_type,
                    "ETag": feed.etag,
                    "Last-Modified": feed.last_modified,
                }
                status, body = 200, feed.body
            self.requests.append(
                FeedRequest(
                    path, status, if_none_match, if_modified_since, headers.get("User-Agent")
                )
            )
        return status, out, body

    @staticmethod
    def _not_modified(feed: ServedFeed, if_none_match: str | None, since: str | None) -> bool:
        # RFC 9110 §13.2.2: If-None-Match, when present, decides; If-Modified-Since otherwise.
        if if_none_match is not None:
            return _etag_matches(if_none_match, feed.etag)
        if since is not None:
            try:
                return feed.modified_at <= email.utils.parsedate_to_datetime(since)
            except (TypeError, ValueError):
                return False
        return False


@pytest.fixture
def feed_server(monkeypatch: pytest.MonkeyPatch, loopback_only: None) -> Iterator[FeedServer]:
    # The SSRF guard (issue 3) refuses loopback unless allowed: these tests fetch from it.
    monkeypatch.setenv("NEWSWIRE_ALLOW_HOSTS", LOOPBACK)
    monkeypatch.setenv("NO_PROXY", f"{LOOPBACK},localhost")
    monkeypatch.setenv("no_proxy", f"{LOOPBACK},localhost")
    server = FeedServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def closed_port_url(path: str = "/feed.xml") -> str:
    """A loopback URL where nothing listens: connecting to it is refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((LOOPBACK, 0))
        port = probe.getsockname()[1]
    return f"http://{LOOPBACK}:{port}{path}"


# --- the CLI -------------------------------------------------------------------------------


def newswire_command() -> list[str]:
    """The installed `newswire` script next to this interpreter, else the module."""
    script = Path(sys.executable).with_name("newswire")
    return [str(script)] if script.exists() else [sys.executable, "-m", "newswire.cli"]


def run_newswire(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    """`newswire ARGS…` as a user runs it, with fake AWS credentials and loopback allowed."""
    env = fake_aws_environment(dict(os.environ))
    env["NEWSWIRE_ALLOW_HOSTS"] = LOOPBACK
    return subprocess.run(
        [*newswire_command(), *map(str, args)],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


# --- logging -------------------------------------------------------------------------------


@pytest.fixture
def restore_newswire_logger() -> Iterator[None]:
    """The Lambda handler's module points the `newswire` logger at Powertools' handler and stops
    its propagation; put it back so that later tests (caplog) see newswire's records."""
    logger = logging.getLogger("newswire")
    handlers, propagate, level = list(logger.handlers), logger.propagate, logger.level
    try:
        yield
    finally:
        logger.handlers[:] = handlers
        logger.propagate = propagate
        logger.setLevel(level)
