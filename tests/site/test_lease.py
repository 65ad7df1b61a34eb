"""Site builds take turns through the index's lease, so that two overlapping builds cannot
write a list that lacks the other's article."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.site.build import SITE_LEASE, build_site, site_lease
from tests.site.helpers import BASE_URL, first_run, ingest


def hold(index: SqliteIndex, owner: str = "another-build") -> None:
    now = datetime.now(UTC)
    taken, _ = index.acquire_lease(SITE_LEASE, owner, now=now, until=now + timedelta(minutes=15))
    assert taken


def test_a_build_waits_for_the_lease_then_holds_it(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    hold(index)
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        if len(waits) == 3:
            index.release_lease(SITE_LEASE, "another-build")  # the other build finishes

    with site_lease(index, wait_seconds=60, sleep=sleep) as taken:
        assert taken and len(waits) == 3
        now = datetime.now(UTC)
        assert index.acquire_lease(SITE_LEASE, "third", now=now, until=now)[0] is False
    now = datetime.now(UTC)
    assert index.acquire_lease(SITE_LEASE, "third", now=now, until=now)[0] is True  # released
    index.close()


def test_a_lease_held_too_long_is_not_waited_for_forever(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    index = SqliteIndex(tmp_path / "index.sqlite3")
    hold(index)
    with site_lease(index, wait_seconds=0, sleep=lambda s: None) as taken:
        assert not taken
    assert any("without its lease" in r.getMessage() for r in caplog.records)
    index.close()


def test_overlapping_builds_take_turns(tmp_path: Path) -> None:
    root = tmp_path / "site"
    summary = ingest(root, first_run(tmp_path))
    index = SqliteIndex(root / "newswire.sqlite3")
    store = DirectoryStore(root)
    hold(index, "first-build")
    done = threading.Event()

    def second_build() -> None:
        build_site(summary.changed, store, index, base_url=BASE_URL, lease_wait=30)
        done.set()

    worker = threading.Thread(target=second_build)
    worker.start()
    assert not done.wait(1.5), "the second build must wait while the first holds the lease"
    assert not (root / "index.html").exists()
    index.release_lease(SITE_LEASE, "first-build")
    assert done.wait(30)
    worker.join()
    assert (root / "index.html").is_file()
    index.close()


def test_the_lease_is_not_a_feed(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    root = tmp_path / "site"
    summary = ingest(root, first_run(tmp_path))
    index = SqliteIndex(root / "newswire.sqlite3")
    build_site(summary.changed, DirectoryStore(root), index, base_url=BASE_URL)
    assert SITE_LEASE not in {s.feed_id for s in index.feed_states()}
    index.close()
