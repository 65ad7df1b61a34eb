"""Issue 10, class 7 and the failure rule: an item that fails for a reason that will not change
(its content: any exception from normalize, decide or render) is recorded and skipped, and the
feed's validators are still saved, so the feed is not fetched and parsed whole on every run;
only transient failures (storage) force a re-fetch. The run summary, the feed's status and
`newswire feeds` tell the two apart."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest

import newswire.commit
import newswire.ingest
import newswire.normalize
import newswire.render
from newswire.adapters.local import DirectoryStore
from newswire.cli import main
from newswire.ingest import item_status
from newswire.models import Article, FeedConfig, FeedStatus
from newswire.ports import StorageError

from .backends import Backend, Clock, Spy
from .conftest import IngestorFactory
from .feeds import Item, rss
from .server import HostileServer

POISON_NORMALIZE = "Poison in normalize"
POISON_RENDER = "Poison in render"


def items() -> list[Item]:
    titles = ["Good one", POISON_NORMALIZE, "Good two", POISON_RENDER, "Good three"]
    return [
        Item(title=t, link=f"https://gazette.example.org/{i}",
             guid=f"https://gazette.example.org/{i}", description=f"Story {i}.")
        for i, t in enumerate(titles)
    ]  # fmt: skip


@pytest.fixture
def poisoned(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two items whose content breaks a pure step, as 400 unclosed tags once broke the HTML
    converter (a RecursionError) and a value can break the renderer."""
    real_normalize = newswire.normalize.normalize_entry
    real_render = newswire.render.render_markdown

    def normalize(entry: Any, *args: Any, **kwargs: Any) -> Article:
        if entry.get("title") == POISON_NORMALIZE:
            raise RecursionError("maximum recursion depth exceeded")
        return real_normalize(entry, *args, **kwargs)

    def render(article: Article) -> bytes:
        if article.title == POISON_RENDER:
            raise ValueError("a value the renderer refuses")
        return real_render(article)

    monkeypatch.setattr(newswire.normalize, "normalize_entry", normalize)
    monkeypatch.setattr(newswire.commit, "render_markdown", render)


def test_the_status_line_names_both_kinds() -> None:
    assert item_status(skipped=0, failed=0) == "ok"
    assert item_status(skipped=1, failed=0) == "ok; 1 item skipped (bad content)"
    assert item_status(skipped=2, failed=3) == (
        "3 items not stored (will retry); 2 items skipped (bad content)"
    )


@pytest.mark.usefixtures("poisoned")
def test_bad_content_is_skipped_and_the_validators_are_saved(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, clock: Clock,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    feed = FeedConfig(url=server.feed("/feed.xml", rss(items())), name="wire")
    with caplog.at_level(logging.WARNING, logger="newswire.ingest"):
        [result] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert (result.status, result.new, result.skipped_items, result.failed_items) == (
        FeedStatus.FETCHED, 3, 2, 0
    )  # fmt: skip
    assert len(backend.object_keys()) == 3
    skipped_logs = [r for r in caplog.records if r.getMessage() == "item skipped: bad content"]
    assert len(skipped_logs) == 2, "each skipped item is recorded in the log"
    state = backend.make_index().get_feed_states(["wire"]).get("wire")
    assert state is not None
    assert state.etag is not None and state.body_hash is not None
    assert state.last_status == "ok; 2 items skipped (bad content)"
    assert state.consecutive_errors == 0

    # The next run asks with the validators and gets a 304: nothing is parsed again.
    clock.advance(hours=1)
    store, index = Spy(backend.make_store()), Spy(backend.make_index())
    [again] = make_ingestor(store.as_store, index.as_index).run([feed]).results
    assert again.status is FeedStatus.NOT_MODIFIED
    assert server.requests_to("/feed.xml")[-1].headers.get("if-none-match") == state.etag
    assert store.writes() == [] and index.writes() == []


@pytest.mark.usefixtures("poisoned")
def test_a_storage_failure_still_forces_a_full_refetch(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, clock: Clock
) -> None:
    feed = FeedConfig(url=server.feed("/feed.xml", rss(items())), name="wire")
    store = Spy(backend.make_store())
    store.fail("put_new", StorageError("the bucket is unreachable"), on_call=2)
    [result] = make_ingestor(store.as_store, backend.make_index()).run([feed]).results
    assert (result.new, result.skipped_items, result.failed_items) == (2, 2, 1)
    state = backend.make_index().get_feed_states(["wire"]).get("wire")
    assert state is not None
    assert (state.etag, state.last_modified, state.body_hash) == (None, None, None)
    assert state.last_status == "1 item not stored (will retry); 2 items skipped (bad content)"

    clock.advance(hours=1)
    [retry] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert server.requests_to("/feed.xml")[-1].headers.get("if-none-match") is None
    # The skipped items were remembered (their fingerprints) like the stored ones: known
    # items are not parsed again, so all four count as unchanged and only one is new.
    assert (retry.status, retry.new, retry.unchanged, retry.skipped_items, retry.failed_items) == (
        FeedStatus.FETCHED, 1, 4, 0, 0
    )  # fmt: skip
    assert len(backend.object_keys()) == 3
    state = backend.make_index().get_feed_states(["wire"]).get("wire")
    assert state is not None and state.etag is not None

    clock.advance(hours=1)
    [quiet] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert quiet.status is FeedStatus.NOT_MODIFIED


def test_an_item_of_400_unclosed_tags_never_holds_the_feed_back(
    server: HostileServer, embedded: Backend, make_ingestor: IngestorFactory, clock: Clock
) -> None:
    """The issue's own example, with whatever HTML converter is in use: stored or skipped,
    the other items are stored and the validators saved."""
    deep = Item(
        title="Deep", link="https://gazette.example.org/deep",
        guid="https://gazette.example.org/deep", content_html="<b>" * 400 + "text",
    )  # fmt: skip
    feed = FeedConfig(url=server.feed("/deep.xml", rss([*items()[:1], deep])), name="deep")
    [result] = make_ingestor(embedded.make_store(), embedded.make_index()).run([feed]).results
    assert result.failed_items == 0
    assert result.new + result.skipped_items == 2 and result.new >= 1
    state = embedded.make_index().get_feed_states(["deep"]).get("deep")
    assert state is not None and state.etag is not None
    clock.advance(hours=1)
    [again] = make_ingestor(embedded.make_store(), embedded.make_index()).run([feed]).results
    assert again.status is FeedStatus.NOT_MODIFIED


@pytest.mark.usefixtures("poisoned", "restore_logging")
def test_the_run_summary_and_feeds_show_both_kinds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "wire.xml"
    source.write_bytes(rss(items()))
    real_put_new = DirectoryStore.put_new

    def put_new(self: DirectoryStore, key: str, body: bytes) -> bool:
        if "good-two" in key:
            raise StorageError("disk full")
        return real_put_new(self, key, body)

    monkeypatch.setattr(DirectoryStore, "put_new", put_new)
    site = ["--site-dir", str(tmp_path / "site")]
    assert main(["run", "--quiet", "--no-site", *site, str(source)]) == 0
    out = capsys.readouterr().out
    assert "2 new" in out
    assert "2 skipped (bad content)" in out
    assert "1 not stored (will retry)" in out

    assert main(["feeds", "-c", str(tmp_path / "none.yaml"), *site]) == 0
    out = capsys.readouterr().out
    assert "1 item not stored (will retry); 2 items skipped (bad content)" in out

    other = ["--site-dir", str(tmp_path / "other")]
    assert main(["run", "--quiet", "--no-site", "--json", *other, str(source)]) == 0
    articles = json.loads(capsys.readouterr().out)["articles"]
    assert (articles["new"], articles["skipped"], articles["failed"]) == (2, 2, 1)
