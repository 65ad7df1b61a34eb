"""Limits: a wall-clock deadline per fetch, a cap on decoded bytes, a cap on entries per feed,
and a run that stays inside the Lambda's remaining time and says which feeds it did not reach."""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Iterator

import pytest

from newswire.fetch import Fetcher, FetchLimits
from newswire.models import FeedConfig, FeedStatus, FetchError
from newswire.netguard import AddressPolicy

from .backends import Backend
from .conftest import IngestorFactory
from .feeds import numbered, rss
from .server import LOOPBACK, HostileServer, Reply

MiB = 1024 * 1024
ALLOW = AddressPolicy([LOOPBACK])


def fetcher(**limits: float) -> Fetcher:
    base = {"connect_timeout": 2.0, "read_timeout": 2.0, "retries": 0}
    return Fetcher(FetchLimits(**{**base, **limits}), policy=ALLOW)  # type: ignore[arg-type]


@pytest.mark.parametrize("deadline", [0.5, 1.0])
def test_a_dripping_body_is_cut_off_at_the_deadline(server: HostileServer, deadline: float) -> None:
    """One byte every 100 ms never trips a read timeout; the deadline still ends the fetch."""
    url = server.drip_body("/drip", interval=0.1)
    started = time.monotonic()
    with pytest.raises(
        FetchError, match=f"^download took longer than the {deadline:g} s deadline$"
    ):
        fetcher(deadline=deadline, read_timeout=5.0).fetch(url)
    assert deadline <= time.monotonic() - started < deadline + 0.6


def test_dripping_headers_are_cut_off_at_the_deadline(server: HostileServer) -> None:
    url = server.drip_headers("/drip-headers", interval=0.1, count=15)  # 1.5 s of headers
    started = time.monotonic()
    try:
        with pytest.raises(FetchError, match="deadline"):
            fetcher(deadline=0.5, read_timeout=5.0).fetch(url)
    finally:
        elapsed = time.monotonic() - started
    assert elapsed < 1.1


def test_a_stalled_server_times_out(server: HostileServer) -> None:
    url = server.stall("/stall", seconds=5.0)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"^download failed: "):
        fetcher(deadline=3.0, read_timeout=0.3).fetch(url)
    assert time.monotonic() - started < 1.5


@pytest.fixture
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize(("decoded_mib", "layers"), [(48, 1), (48, 2)])
def test_a_gzip_bomb_stops_at_the_cap(
    server: HostileServer, traced: None, decoded_mib: int, layers: int
) -> None:
    url = server.gzip_bomb("/bomb.xml", decoded_mib=decoded_mib, layers=layers)
    tracemalloc.reset_peak()
    with pytest.raises(
        FetchError, match=f"^feed is larger than {MiB} bytes \\(decoded\\); cut off$"
    ):
        fetcher(deadline=5.0, max_bytes=MiB).fetch(url)
    _, peak = tracemalloc.get_traced_memory()
    assert peak < 4 * MiB, f"{peak / MiB:.1f} MiB held for a 1 MiB cap"


def test_the_default_cap_is_15_mib(server: HostileServer, traced: None) -> None:
    assert FetchLimits().max_bytes == 15 * MiB
    url = server.gzip_bomb("/bomb.xml", decoded_mib=48)
    tracemalloc.reset_peak()
    with pytest.raises(FetchError, match=f"^feed is larger than {15 * MiB} bytes"):
        Fetcher(FetchLimits(retries=0), policy=ALLOW).fetch(url)
    assert tracemalloc.get_traced_memory()[1] < 20 * MiB


@pytest.mark.parametrize("declared", [True, False])
def test_an_oversize_plain_body_is_cut_off(server: HostileServer, declared: bool) -> None:
    body = b"<rss>" + b" " * (2 * MiB) + b"</rss>"
    headers = () if declared else (("Transfer-Encoding", "identity"), ("Connection", "close"))
    url = server.reply("/big.xml", Reply(200, body, headers))
    with pytest.raises(FetchError, match=f"^feed is larger than {MiB} bytes"):
        fetcher(deadline=5.0, max_bytes=MiB).fetch(url)


def test_a_body_just_under_the_cap_is_read(server: HostileServer) -> None:
    body = rss(numbered(1)) + b" " * 1000
    url = server.feed("/fits.xml", body)
    fetched = fetcher(max_bytes=len(body)).fetch(url)
    assert getattr(fetched, "body", None) == body


def test_entries_beyond_max_items_are_not_read(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    url = server.feed("/many.xml", rss(numbered(30)))
    ingestor = make_ingestor(embedded.make_store(), embedded.make_index())
    summary = ingestor.run([FeedConfig(url=url, name="many", max_items=5)])
    assert [(r.status, r.new) for r in summary.results] == [(FeedStatus.FETCHED, 5)]
    titles = sorted(r.title for r in embedded.records().values())
    assert titles == sorted(f"Story number {n} about the harbour" for n in range(1, 6))
    assert len(embedded.object_keys()) == 5


def test_feeds_not_reached_in_time_are_reported(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    """Seconds left as a Lambda context reports them: the first feed fits, then time runs
    low; the others are not fetched at all and the summary names them."""
    feeds = [
        FeedConfig(url=server.feed(f"/f{n}.xml", rss(numbered(1, prefix=f"F{n}"))), name=f"f{n}")
        for n in range(3)
    ]
    left = iter([600.0, 5.0, 5.0])
    ingestor = make_ingestor(embedded.make_store(), embedded.make_index())
    summary = ingestor.run(feeds, seconds_left=lambda: next(left))
    assert [r.status for r in summary.results] == [
        FeedStatus.FETCHED, FeedStatus.SKIPPED, FeedStatus.SKIPPED
    ]  # fmt: skip
    assert [server.hits(f"/f{n}.xml") for n in range(3)] == [1, 0, 0]
    assert summary.as_dict()["errors"] == [
        {"feed": f"f{n}", "url": feeds[n].url, "error": "not reached: out of time"} for n in (1, 2)
    ]
    assert summary.counts["skipped"] == 2


def test_a_run_of_slow_feeds_ends_inside_the_remaining_time(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory
) -> None:
    """Real time: three dripping feeds, a 1 s deadline each, and 12.5 s "left" with a 10 s
    margin for writes. Two fit; the third is not started; the run ends with time to spare."""
    limits = FetchLimits(connect_timeout=2.0, read_timeout=5.0, deadline=1.0, retries=0)
    feeds = [FeedConfig(url=server.drip_body(f"/slow{n}"), name=f"slow{n}") for n in range(3)]
    started = time.monotonic()

    def seconds_left() -> float:
        return 12.5 - (time.monotonic() - started)

    ingestor = make_ingestor(
        embedded.make_store(), embedded.make_index(), fetcher=Fetcher(limits, policy=ALLOW)
    )
    summary = ingestor.run(feeds, seconds_left=seconds_left)
    assert [r.status for r in summary.results] == [
        FeedStatus.FAILED, FeedStatus.FAILED, FeedStatus.SKIPPED
    ]  # fmt: skip
    assert summary.results[0].error == "download took longer than the 1 s deadline"
    assert summary.results[2].error == "not reached: out of time"
    assert server.hits("/slow2") == 0
    assert seconds_left() > 10.0
