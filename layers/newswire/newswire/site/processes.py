"""A full build's article pages on more than one core.

Article pages are most of a full build's work (read the Markdown, render, compare, write: about
three quarters of its CPU on 10,000 articles) and each depends on its own article alone, so a
full build hands them to child processes, a slice each, while the parent renders the lists. The
children are forked (multiprocessing.Process and Pipe, which also work where there is no
/dev/shm, unlike Pool and Queue): they inherit the build's records, options and store, and
send back what they wrote. The GIL keeps threads to one core; a Go program such as Hugo uses
every core for the same build.

Children write into the store themselves, so only a store that says its writes are seen by
every process (`shared_between_processes`, the directory store) is handed to them: a store
in memory would keep a child's writes to itself, and a client with open connections (S3) must
not be shared across a fork. A slice whose child fails, dies or hangs is rendered again by
the parent: the build's result is the same, only later (and the report counts the pages the
child had already written as unchanged).
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from newswire.ports import ContentStore
from newswire.site.writer import BuildReport, Writer

log = logging.getLogger("newswire.site")

MIN_ARTICLES = 500
"""Fewer article pages than this are rendered in the build's own process: a fork and its
pages' merge cost more than they save on a small site (or on an incremental build)."""
CHILD_SECONDS = 900.0
"""How long the parent waits for a child's pages (a Lambda function's longest run) before it
renders the child's slice itself."""

Units = Sequence[tuple[str, str]]
ArticleWork = Callable[[Units, Writer], None]
"""Renders and writes the article pages of some units through a writer (the parent's and each
child's the same function, so their pages are the same bytes)."""


def shared_store(store: ContentStore) -> bool:
    return bool(getattr(store, "shared_between_processes", False))


def can_fork() -> bool:
    """Whether this platform forks (not Windows): the children inherit the build's state."""
    return "fork" in multiprocessing.get_all_start_methods()


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def article_processes(store: ContentStore, articles: int, requested: int | None) -> int:
    """How many child processes render the article pages: `requested`, or by default one per
    usable core when there are enough pages and the store can be shared; 0: none."""
    if not shared_store(store) or articles == 0 or not can_fork():
        return 0
    if requested is None:
        cores = usable_cores()
        return cores if cores > 1 and articles >= MIN_ARTICLES else 0
    return max(0, min(requested, articles))


@dataclass
class _Child:
    units: Units
    process: Any
    conn: Connection


@dataclass
class ArticleChildren:
    """Child processes rendering slices of the article units; `finish` waits for them and
    folds their reports into the build's."""

    store: ContentStore
    work: ArticleWork
    workers: int
    children: list[_Child] = field(default_factory=list)

    def start(self, units: Units, count: int) -> None:
        """Fork `count` children, each with a contiguous slice of `units` (neighbouring pages
        share folders). A fork that fails leaves its slice to `finish`, in this process."""
        context = multiprocessing.get_context("fork")
        # A child flushes the standard streams as it exits: whatever this process had not yet
        # flushed would be printed twice.
        sys.stdout.flush()
        sys.stderr.flush()
        size = -(-len(units) // count)
        for start in range(0, len(units), size):
            part = units[start : start + size]
            receive, send = context.Pipe(duplex=False)
            process: Any = context.Process(
                target=self._run, args=(part, send), name="newswire-site-articles", daemon=True
            )
            try:
                process.start()
            except OSError as exc:
                log.warning("site build: article pages in this process", extra={"error": str(exc)})
                process = None
            send.close()  # the child holds its own end: EOF here when it exits
            self.children.append(_Child(part, process, receive))

    def _run(self, units: Units, conn: Connection) -> None:
        report = BuildReport()
        try:
            with ThreadPoolExecutor(max_workers=max(1, self.workers)) as pool:
                writer = Writer(self.store, report, pool)
                self.work(units, writer)
            conn.send((report, writer.seen))
        except BaseException as exc:  # told to the parent, which redoes the slice
            conn.send(f"{type(exc).__name__}: {exc}")
        finally:
            conn.close()

    def finish(self, writer: Writer) -> None:
        """Wait for every child and add what it wrote to `writer`'s report and seen keys; the
        slice of a child that failed is rendered here."""
        for child in self.children:
            result = self._result(child)
            if isinstance(result, tuple):
                theirs, seen = result
                mine = writer.report
                mine.written += theirs.written
                mine.deleted += theirs.deleted
                mine.unchanged += theirs.unchanged
                mine.failed += theirs.failed
                mine.bytes_written += theirs.bytes_written
                writer.seen |= seen
            else:
                if result:
                    log.warning("site build: a child's article pages redone", extra={
                        "error": result, "pages": len(child.units)
                    })  # fmt: skip
                self.work(child.units, writer)
        self.children = []

    def stop(self) -> None:
        """End the children `finish` did not wait for (the build failed or was interrupted
        before it): none writes pages on after the build, and its lease, are over."""
        for child in self.children:
            if child.process is not None and child.process.is_alive():
                child.process.terminate()
                child.process.join(5)
            child.conn.close()
        self.children = []

    @staticmethod
    def _result(child: _Child) -> object:
        if child.process is None:
            child.conn.close()
            return None
        try:
            if child.conn.poll(CHILD_SECONDS):
                return child.conn.recv()
            child.process.terminate()
            return f"no answer in {CHILD_SECONDS:.0f} s"
        except (EOFError, OSError) as exc:  # it died before it answered
            return f"the child ended without its pages ({exc or type(exc).__name__})"
        finally:
            child.conn.close()
            child.process.join()
