"""A full build's article pages in child processes (newswire.site.processes): the children write
the pages, the build reports them as its own, a child that fails or dies has its pages
rendered by the parent, and only a store shared between processes is handed to children."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from pathlib import Path

import pytest

from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.site import processes
from newswire.site.build import build_full_site
from newswire.site.renderers import Renderer
from newswire.site.writer import BuildReport
from tests.site.helpers import BASE_URL, site_files
from tests.site.test_site_bytes import BUILDS, build

OPTIONS = BUILDS["default"]


def full(root: Path, processes: int) -> BuildReport:
    index = SqliteIndex(root / "newswire.sqlite3")
    try:
        return build_full_site(
            DirectoryStore(root), index, base_url=BASE_URL, options=OPTIONS, processes=processes
        )
    finally:
        index.close()


def test_children_write_the_article_pages_and_the_report_counts_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    serial = build(tmp_path / "serial", OPTIONS)
    writers = tmp_path / "writers"
    put = DirectoryStore.put

    def put_and_tell(self: DirectoryStore, key: str, body: bytes, **headers: str | None) -> None:
        if key.startswith("articles/") and key.count("/") > 3:
            with writers.open("a", encoding="utf-8") as out:
                out.write(f"{os.getpid()}\n")
        put(self, key, body, **headers)

    monkeypatch.setattr(DirectoryStore, "put", put_and_tell)
    root = tmp_path / "children"
    forked = build(root, OPTIONS, processes=3)

    assert forked == serial
    pids = writers.read_text(encoding="utf-8").split()
    assert os.getpid() not in {int(p) for p in pids}
    assert len(set(pids)) == 3
    again = full(root, processes=2)  # nothing changed: nothing written, everything counted
    assert (again.written, again.failed, again.unchanged) == ([], [], len(serial))


def test_a_full_build_with_children_deletes_stale_pages_only(tmp_path: Path) -> None:
    root = tmp_path / "site"
    built = build(root, OPTIONS, processes=2)
    stale = root / "articles/world/2026/01/long-gone/index.html"
    stale.parent.mkdir(parents=True)
    stale.write_text("old", encoding="utf-8")

    report = full(root, processes=2)

    assert report.deleted == ["articles/world/2026/01/long-gone/index.html"]
    assert site_files(root) == built


@pytest.mark.parametrize("how", ["raises", "dies"])
def test_the_parent_renders_the_pages_of_a_child_that_fails(
    how: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    serial = build(tmp_path / "serial", OPTIONS)
    parent = os.getpid()
    articles = Renderer.articles

    def failing_in_children(self: Renderer, units: processes.Units) -> object:
        if os.getpid() != parent:
            if how == "dies":
                os._exit(3)
            raise RuntimeError("no pages from this child")
        return articles(self, units)

    monkeypatch.setattr(Renderer, "articles", failing_in_children)
    with caplog.at_level(logging.WARNING, logger="newswire.site"):
        forked = build(tmp_path / "children", OPTIONS, processes=2)

    assert forked == serial
    assert "a child's article pages redone" in caplog.text


def test_only_a_shared_store_gets_children(tmp_path: Path) -> None:
    class Private(DirectoryStore):
        shared_between_processes = False

    shared, private = DirectoryStore(tmp_path), Private(tmp_path)
    assert processes.article_processes(shared, 10, 2) == 2
    assert processes.article_processes(shared, 1, 2) == 1
    assert processes.article_processes(private, 10_000, 2) == 0
    assert processes.article_processes(object(), 10_000, None) == 0  # type: ignore[arg-type]
    small, large = processes.MIN_ARTICLES - 1, processes.MIN_ARTICLES
    cores = processes.usable_cores()
    assert processes.article_processes(shared, small, None) == 0
    assert processes.article_processes(shared, large, None) == (cores if cores > 1 else 0)


def test_where_nothing_forks_the_build_stays_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(multiprocessing, "get_all_start_methods", lambda: ["spawn"])
    assert processes.article_processes(DirectoryStore(tmp_path), 10_000, 2) == 0
    assert build(tmp_path / "spawn-only", OPTIONS, processes=2) == build(
        tmp_path / "serial", OPTIONS
    )


def test_a_build_that_fails_before_its_children_finish_ends_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = os.getpid()
    articles = Renderer.articles

    def slow_in_children(self: Renderer, units: processes.Units) -> object:
        if os.getpid() != parent:
            time.sleep(120)  # still writing when the parent fails
        return articles(self, units)

    def failing_lists(self: Renderer, kind: str, units: processes.Units) -> object:
        raise RuntimeError("the lists fail")

    monkeypatch.setattr(Renderer, "articles", slow_in_children)
    monkeypatch.setattr(Renderer, "render", failing_lists)
    with pytest.raises(RuntimeError, match="the lists fail"):
        build(tmp_path / "children", OPTIONS, processes=2)
    # No child writes on after the build (and its site lease) are over.
    assert multiprocessing.active_children() == []
