"""With local writes (the embedded backend), a feed's work after its fetch runs one feed at a
time, while the other workers' fetches still overlap; a feed that pauses (a story another run
is writing) lets the next feed through meanwhile; and the backends are chosen so in bootstrap.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import newswire.prepass
from newswire.bootstrap import Settings, build_ingestor
from newswire.fetch import Fetcher
from newswire.models import FeedConfig, FeedResult, FeedState, FeedStatus, Fetched, NotModified
from newswire.ports import ClaimResult

from .backends import Backend, Spy
from .conftest import FAST, LOOPBACK_ONLY, IngestorFactory
from .feeds import numbered, rss
from .server import HostileServer


class GatedFetcher(Fetcher):
    """Runs `before(url)` ahead of each fetch, to hold a fetch back or make fetches meet."""

    def __init__(self, before: Any) -> None:
        super().__init__(FAST, policy=LOOPBACK_ONLY)
        self.before = before

    def fetch(self, url: str, state: FeedState | None = None) -> Fetched | NotModified:
        self.before(url)
        return super().fetch(url, state)


@dataclasses.dataclass
class Overlap:
    """How many feeds were between the start of their parse and their state's save at once."""

    inside: set[int] = dataclasses.field(default_factory=set)
    most: int = 0
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)

    def enter(self) -> None:
        with self.lock:
            self.inside.add(threading.get_ident())
            self.most = max(self.most, len(self.inside))

    def leave(self) -> None:
        with self.lock:
            self.inside.discard(threading.get_ident())


def feeds_of(server: HostileServer, count: int) -> list[FeedConfig]:
    return [
        FeedConfig(url=server.feed(f"/f{n}", rss(numbered(5, prefix=f"Feed{n}"))), name=f"f{n}")
        for n in range(count)
    ]


@pytest.mark.parametrize("local_writes", [True, False])
def test_fetches_overlap_and_the_work_after_them_runs_one_feed_at_a_time(
    local_writes: bool,
    server: HostileServer,
    embedded: Backend,
    make_ingestor: IngestorFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    feeds = feeds_of(server, 4)
    # Every fetch waits for all four to be in flight: a run that fetched one feed at a time
    # would break the barrier, and its feeds would fail.
    together = threading.Barrier(len(feeds))
    overlap = Overlap()
    parse = newswire.prepass.parse_new_items

    def parsing(*args: Any, **kwargs: Any) -> Any:
        overlap.enter()
        time.sleep(0.05)  # lets the GIL go: another feed's work would start meanwhile
        return parse(*args, **kwargs)

    monkeypatch.setattr(newswire.prepass, "parse_new_items", parsing)
    index = Spy(embedded.make_index())
    index.before("save_feed_state", lambda number, args: overlap.leave())
    ingestor = make_ingestor(
        embedded.make_store(), index.as_index, workers=len(feeds), local_writes=local_writes,
        fetcher=GatedFetcher(lambda url: together.wait(timeout=10)),
    )  # fmt: skip
    summary = ingestor.run(feeds)

    assert [r.status for r in summary.results] == [FeedStatus.FETCHED] * len(feeds), summary
    assert summary.counts["new"] == 5 * len(feeds)
    assert len(embedded.object_keys()) == len(embedded.records()) == 5 * len(feeds)
    if local_writes:
        assert overlap.most == 1
    else:  # the AWS backend's writes wait on the network: feeds are committed side by side
        assert overlap.most > 1


def test_a_feed_waiting_for_another_runs_story_lets_the_next_feed_through(
    server: HostileServer,
    embedded: Backend,
    make_ingestor: IngestorFactory,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("newswire.commit.WAIT_MOST", 0.1)  # a second of rounds, not 5.5 s
    waiting, other = feeds_of(server, 2)
    index = Spy(embedded.make_index())
    waiting_started = threading.Event()

    def another_run_claims_first(number: int, args: tuple[Any, ...]) -> None:
        # Another process claims every new article of `waiting` just before it does, and is
        # still writing them: `waiting` pauses between rounds, holding nothing.
        if number == 1:
            claims = [dataclasses.replace(c, feed="another-run") for c in args[0]]
            results = embedded_index.claim_many(claims)
            assert all(isinstance(r, ClaimResult) and r.key for r in results)
            waiting_started.set()

    embedded_index = embedded.make_index()
    index.before("claim_many", another_run_claims_first)

    def hold_back_the_other(url: str) -> None:
        if url == other.url:  # fetched once `waiting` holds its slot
            assert waiting_started.wait(timeout=10)

    finished: list[str] = []
    ingestor = make_ingestor(
        embedded.make_store(), index.as_index, workers=2, local_writes=True,
        fetcher=GatedFetcher(hold_back_the_other),
    )  # fmt: skip
    summary = ingestor.run([waiting, other], on_result=lambda r: finished.append(r.feed_id))

    by_feed: dict[str, FeedResult] = {r.feed_id: r for r in summary.results}
    assert by_feed[other.feed_id].new == 5
    assert by_feed[waiting.feed_id].failed_items == 5  # left for the next run, not lost
    assert finished == [other.feed_id, waiting.feed_id]


@pytest.mark.parametrize(
    ("fields", "local"),
    [
        ({"site_dir": Path("site")}, True),
        ({"bucket": "b", "table": "t", "region": "eu-west-1"}, False),
    ],
)
def test_bootstrap_serializes_the_work_after_fetches_on_the_embedded_backend_only(
    fields: dict[str, Any], local: bool, tmp_path: Path, aws_environment: None
) -> None:
    if "site_dir" in fields:
        fields = {"site_dir": tmp_path / "site"}
    assert build_ingestor(Settings(**fields)).local_writes is local
