"""Retries and politeness: transient 502/503/504 and dropped connections are retried by urllib3;
429/503 Retry-After becomes the feed's "not before" (clamped to [0, 24 h]) and later runs skip
the feed without a request; repeated failures back off exponentially; the feed state says what
went wrong in plain words; a 200 with the same bytes as last time is "not modified"."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta

import pytest
import urllib3.util.retry

import newswire.prepass
from newswire.fetch import Fetcher, FetchLimits
from newswire.models import FeedConfig, FeedState, FeedStatus, Fetched, FetchError
from newswire.netguard import AddressPolicy
from newswire.parse import ParsedFeed, parse_feed

from .backends import Backend, Clock, Sleeps, Spy
from .conftest import ConnectLog, IngestorFactory
from .feeds import numbered, rss
from .server import LOOPBACK, HostileServer, Reply, retry_after

ALLOW = AddressPolicy([LOOPBACK])
FEED = rss(numbered(3))
OK = Reply(200, FEED, (("Content-Type", "application/rss+xml"),))


def fetcher(retries: int) -> Fetcher:
    limits = FetchLimits(connect_timeout=2.0, read_timeout=2.0, deadline=5.0, retries=retries)
    return Fetcher(limits, policy=ALLOW)


# --- retried by urllib3 -------------------------------------------------------------------------


@pytest.fixture
def urllib3_sleeps(monkeypatch: pytest.MonkeyPatch) -> Sleeps:
    """urllib3's back-off between retries, recorded instead of slept."""
    sleeps = Sleeps()
    monkeypatch.setattr(urllib3.util.retry, "time", sleeps)
    return sleeps


def test_502_twice_then_200_is_fetched_with_three_requests(
    server: HostileServer, urllib3_sleeps: Sleeps
) -> None:
    url = server.replies("/flaky.xml", [Reply(502, b"bad gateway"), Reply(502, b"bad gateway"), OK])
    fetched = fetcher(retries=2).fetch(url)
    assert isinstance(fetched, Fetched) and fetched.body == FEED
    assert server.hits("/flaky.xml") == 3
    assert urllib3_sleeps.delays == [1.0]  # backoff_factor 0.5: none, then 0.5 * 2


@pytest.mark.parametrize(
    ("status", "reason"), [(502, "Bad Gateway"), (503, "Service Unavailable"),
                           (504, "Gateway Timeout")],
)  # fmt: skip
def test_gateway_errors_are_retried_then_reported(
    server: HostileServer, status: int, reason: str
) -> None:
    url = server.reply("/down.xml", Reply(status, b"down"))
    with pytest.raises(FetchError, match=f"^HTTP {status} {reason}$"):
        fetcher(retries=1).fetch(url)
    assert server.hits("/down.xml") == 2


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 429, 500])
def test_other_errors_are_not_retried(server: HostileServer, status: int) -> None:
    url = server.reply("/nope.xml", Reply(status, b"no"))
    with pytest.raises(FetchError, match=f"^HTTP {status}"):
        fetcher(retries=2).fetch(url)
    assert server.hits("/nope.xml") == 1


def test_a_dropped_connection_is_retried(server: HostileServer) -> None:
    url = server.hang_up("/dropped.xml", times=1, then=OK)
    fetched = fetcher(retries=1).fetch(url)
    assert isinstance(fetched, Fetched) and fetched.body == FEED
    assert server.hits("/dropped.xml") == 2


def test_a_refused_connection_is_retried_then_reported_plainly(
    connects: ConnectLog, urllib3_sleeps: Sleeps
) -> None:
    port = _closed_port()
    with pytest.raises(FetchError, match=r"^cannot connect: connection refused$"):
        fetcher(retries=2).fetch(f"http://{LOOPBACK}:{port}/feed.xml")
    assert connects.attempts == [(LOOPBACK, port)] * 3


def _closed_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return int(probe.getsockname()[1])


# --- Retry-After → not before ------------------------------------------------------------------


def http_date(when: datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


def state_of(backend: Backend, feed: FeedConfig) -> FeedState:
    state = backend.make_index().get_feed_states([feed.feed_id]).get(feed.feed_id)
    assert state is not None
    return state


@pytest.mark.parametrize("status", [429, 503])
@pytest.mark.parametrize(
    ("header", "wait"),
    [
        ("120", timedelta(seconds=120)),
        ("  7200 ", timedelta(hours=2)),
        ("0", timedelta(0)),
        ("-30", None),
        ("--5", None),
        ("²", None),
        ("99999999999", timedelta(hours=24)),
        ("in-an-hour", None),
        ("1.5", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_becomes_not_before(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, clock: Clock,
    status: int, header: str | None, wait: timedelta | None,
) -> None:  # fmt: skip
    """Seconds are capped at 24 h; negative, garbage and absent values mean no server-set wait
    (the feed is simply fetched at the next run, one error counted)."""
    feed = FeedConfig(url=server.reply("/busy.xml", retry_after(status, header)), name="busy")
    ingestor = make_ingestor(embedded.make_store(), embedded.make_index(), fetcher=fetcher(0))
    [result] = ingestor.run([feed]).results
    assert result.status is FeedStatus.FAILED
    state = state_of(embedded, feed)
    assert state.consecutive_errors == 1
    assert state.last_status.startswith(f"error: HTTP {status} ")
    assert state.not_before == (clock.now + wait if wait is not None else None)


@pytest.mark.parametrize(
    ("offset", "wait"),
    [(timedelta(hours=1), timedelta(hours=1)), (timedelta(days=30), timedelta(hours=24)),
     (-timedelta(hours=1), timedelta(0))],
    ids=["in an hour", "in a month", "an hour ago"],
)  # fmt: skip
def test_retry_after_as_an_http_date(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, clock: Clock,
    offset: timedelta, wait: timedelta,
) -> None:  # fmt: skip
    clock.now = datetime.now(UTC).replace(microsecond=0)
    reply = retry_after(429, http_date(clock.now + offset))
    feed = FeedConfig(url=server.reply("/busy.xml", reply), name="busy")
    make_ingestor(embedded.make_store(), embedded.make_index(), fetcher=fetcher(0)).run([feed])
    not_before = state_of(embedded, feed).not_before
    assert not_before is not None
    # The header has whole seconds and is compared with the real time of the fetch.
    assert abs(not_before - (clock.now + wait)) <= timedelta(seconds=3)


def test_the_next_runs_skip_the_feed_until_not_before(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, clock: Clock
) -> None:
    feed = FeedConfig(url=server.replies("/busy.xml", [retry_after(429, "600"), OK]), name="b")
    ingestor = make_ingestor(backend.make_store(), backend.make_index(), fetcher=fetcher(0))
    first = clock.now
    assert ingestor.run([feed]).results[0].status is FeedStatus.FAILED

    for minutes in (1, 5, 9):
        clock.now = first + timedelta(minutes=minutes)
        assert ingestor.run([feed]).results[0].status is FeedStatus.SKIPPED
    assert server.hits("/busy.xml") == 1
    assert state_of(backend, feed).not_before == first + timedelta(minutes=10)

    clock.now = first + timedelta(minutes=10)
    [result] = ingestor.run([feed]).results
    assert (result.status, result.new) == (FeedStatus.FETCHED, 3)
    assert server.hits("/busy.xml") == 2
    state = state_of(backend, feed)
    assert (state.not_before, state.consecutive_errors, state.last_status) == (None, 0, "ok")


# --- exponential back-off and plain words -----------------------------------------------------


def test_failing_feeds_back_off_exponentially(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, clock: Clock
) -> None:
    feed = FeedConfig(url=server.reply("/broken.xml", Reply(500, b"oops")), name="broken")
    ingestor = make_ingestor(backend.make_store(), backend.make_index(), fetcher=fetcher(0))
    expected: list[tuple[int, timedelta | None]] = [
        (1, None), (2, None), (3, timedelta(minutes=30)), (4, timedelta(hours=1)),
        (5, timedelta(hours=2)), (6, timedelta(hours=4)), (7, timedelta(hours=8)),
        (8, timedelta(hours=16)), (9, timedelta(hours=24)), (10, timedelta(hours=24)),
    ]  # fmt: skip
    for errors, wait in expected:
        ran_at = clock.now
        assert ingestor.run([feed]).results[0].status is FeedStatus.FAILED
        state = state_of(backend, feed)
        assert state.consecutive_errors == errors
        assert state.last_status == "error: HTTP 500 Internal Server Error"
        assert state.not_before == (ran_at + wait if wait else None)
        if wait:  # a run just before the time is skipped without a request
            clock.now = ran_at + wait - timedelta(seconds=1)
            requests = server.hits("/broken.xml")
            assert ingestor.run([feed]).results[0].status is FeedStatus.SKIPPED
            assert server.hits("/broken.xml") == requests
            clock.now = ran_at + wait
        else:
            clock.advance(minutes=1)
    assert server.hits("/broken.xml") == len(expected)

    server.feed("/broken.xml", FEED)  # the origin is repaired
    [result] = ingestor.run([feed]).results
    assert (result.status, result.new) == (FeedStatus.FETCHED, 3)
    state = state_of(backend, feed)
    assert (state.consecutive_errors, state.not_before, state.last_status) == (0, None, "ok")


# Internals that must never reach an operator's feed state.
NOT_PLAIN = re.compile(
    r"Traceback|HTTPConnectionPool|GuardedHTTP|Max retries|Caused by|object at 0x|"
    r"urllib3|requests\.|Error\(|\bNone\b"
)


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("status 500", "error: HTTP 500 Internal Server Error"),
        ("status 404", "error: HTTP 404 Not Found"),
        ("refused", "error: cannot connect: connection refused"),
        ("html", "error: the URL returned an HTML page, not an RSS or Atom feed"),
        ("empty", "error: the server sent an empty body"),
        ("ssrf", "error: refused: 10.0.0.1 is a private address (to fetch from it anyway, allow "
                 "it with --allow-host, NEWSWIRE_ALLOW_HOSTS or allow_hosts in feeds.yaml)"),
        ("too big", "error: feed is larger than 1024 bytes (decoded); cut off"),
        ("redirects", "error: more than 5 redirects"),
        ("deadline", "error: download took longer than the 0.5 s deadline"),
    ],
)  # fmt: skip
def test_feed_state_says_what_went_wrong_in_plain_words(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory,
    behaviour: str, expected: str,
) -> None:  # fmt: skip
    url = {
        "status 500": lambda: server.reply("/x", Reply(500, b"")),
        "status 404": lambda: server.reply("/x", Reply(404, b"")),
        "refused": lambda: f"http://{LOOPBACK}:{_closed_port()}/x",
        "html": lambda: server.reply("/x", Reply(200, b"<!doctype html><html><p>hi</p></html>")),
        "empty": lambda: server.reply("/x", Reply(200, b"")),
        "ssrf": lambda: server.redirect("/x", "http://10.0.0.1/feed.xml"),
        "too big": lambda: server.reply("/x", Reply(200, b"x" * 5000)),
        "redirects": lambda: server.redirect("/x", "/x"),
        "deadline": lambda: server.drip_body("/x"),
    }[behaviour]()
    limits = FetchLimits(read_timeout=2.0, deadline=0.5, max_bytes=1024, retries=0)
    ingestor = make_ingestor(
        embedded.make_store(), embedded.make_index(), fetcher=Fetcher(limits, policy=ALLOW)
    )
    feed = FeedConfig(url=url, name="broken")
    [result] = ingestor.run([feed]).results
    assert result.status is FeedStatus.FAILED
    assert state_of(embedded, feed).last_status == expected
    assert result.error == expected.removeprefix("error: ")


@pytest.mark.parametrize(
    "behaviour",
    [
        "hang up",
        "stall",
    ],
)  # fmt: skip
def test_connection_failures_are_plain_words_too(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, behaviour: str
) -> None:
    url = (
        server.hang_up("/x", times=99)
        if behaviour == "hang up"
        else server.stall("/x", seconds=3.0)
    )
    limits = FetchLimits(read_timeout=0.3, deadline=2.0, retries=0)
    ingestor = make_ingestor(
        embedded.make_store(), embedded.make_index(), fetcher=Fetcher(limits, policy=ALLOW)
    )
    feed = FeedConfig(url=url, name="broken")
    ingestor.run([feed])
    status = state_of(embedded, feed).last_status
    assert status.startswith("error: ")
    assert not NOT_PLAIN.search(status), status


# --- servers that ignore validators ----------------------------------------------------------


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every call of parse_feed made by the Ingestor, by URL."""
    calls: list[str] = []

    def counting(fetched: Fetched) -> ParsedFeed:
        calls.append(fetched.url)
        return parse_feed(fetched)

    monkeypatch.setattr(newswire.prepass, "parse_feed", counting)
    return calls


@pytest.mark.parametrize("validators", [False, True], ids=["no validators", "ignored"])
def test_the_same_body_again_is_not_modified(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, clock: Clock,
    parses: list[str], validators: bool,
) -> None:  # fmt: skip
    url = server.feed("/same.xml", FEED, validators=validators, honour_validators=False)
    feed = FeedConfig(url=url, name="same")
    first = make_ingestor(backend.make_store(), backend.make_index()).run([feed])
    assert (first.results[0].status, first.results[0].new) == (FeedStatus.FETCHED, 3)
    assert len(parses) == 1

    clock.advance(hours=1)
    store, index = Spy(backend.make_store()), Spy(backend.make_index())
    [again] = make_ingestor(store.as_store, index.as_index).run([feed]).results
    assert again.status is FeedStatus.NOT_MODIFIED
    assert server.hits("/same.xml") == 2
    assert len(parses) == 1, "the same bytes were parsed again"
    assert store.calls == []
    assert index.writes() == []
    assert index.count("get_records") == 0
    assert state_of(backend, feed).last_status == "not modified (same body)"


def test_a_changed_body_is_parsed(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, parses: list[str]
) -> None:
    url = server.feed("/changing.xml", FEED, validators=False)
    feed = FeedConfig(url=url, name="changing")
    ingestor = make_ingestor(embedded.make_store(), embedded.make_index())
    ingestor.run([feed])
    server.feed("/changing.xml", rss(numbered(4)), validators=False)
    [result] = ingestor.run([feed]).results
    assert (result.status, result.new, result.unchanged) == (FeedStatus.FETCHED, 1, 3)
    assert len(parses) == 2


def test_validators_are_sent_and_304_writes_nothing(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, parses: list[str]
) -> None:
    url = server.feed("/etag.xml", FEED)
    feed = FeedConfig(url=url, name="etag")
    make_ingestor(backend.make_store(), backend.make_index()).run([feed])
    store, index = Spy(backend.make_store()), Spy(backend.make_index())
    [again] = make_ingestor(store.as_store, index.as_index).run([feed]).results
    assert again.status is FeedStatus.NOT_MODIFIED
    conditional = server.requests_to("/etag.xml")[1].headers
    assert conditional["if-none-match"].startswith('"')
    assert conditional["if-modified-since"].endswith("GMT")
    assert server.requests_to("/etag.xml")[0].headers.get("if-none-match") is None
    assert len(parses) == 1
    assert store.calls == [] and index.writes() == []
