"""Where a build's pages go: written when their bytes changed, deleted when they are `Gone`."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

from newswire.ports import ContentStore, StorageError
from newswire.site.pages import Page

log = logging.getLogger("newswire.site")

WRITE_BATCH = 64


@dataclass(frozen=True)
class Gone:
    """A page that must not exist (a term no article is listed under any more, a day page
    past the day's last): deleted if it is there."""

    key: str


@dataclass
class BuildReport:
    """What a build did. `written` lists the keys rewritten (their bytes changed), `deleted`
    the keys removed."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    unchanged: int = 0
    failed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    bytes_written: int = 0

    def as_dict(self) -> dict[str, object]:
        return {
            "written": len(self.written),
            "deleted": len(self.deleted),
            "unchanged": self.unchanged,
            "bytes_written": self.bytes_written,
            "failed": list(self.failed),
            "seconds": round(self.seconds, 3),
        }

    def describe(self) -> str:
        deleted = f", {len(self.deleted)} deleted" if self.deleted else ""
        failed = f", {len(self.failed)} failed" if self.failed else ""
        return f"{len(self.written)} written, {self.unchanged} unchanged{deleted}{failed}"


class Writer:
    """Writes pages whose bytes changed and deletes gone ones, a batch at a time on the build's
    threads (S3 round trips)."""

    def __init__(self, store: ContentStore, report: BuildReport, pool: Executor) -> None:
        self.store = store
        self.report = report
        self.pool = pool
        self.seen: set[str] = set()
        """Every key this writer was given a page for (the full build's record of the site)."""

    def _apply(self, item: Page | Gone) -> tuple[str, str, int, str | None]:
        try:
            stored = self.store.get(item.key)
            if isinstance(item, Gone):
                if stored is None:
                    return item.key, "absent", 0, None
                self.store.delete(item.key)
                return item.key, "deleted", 0, None
            if stored == item.body:
                return item.key, "unchanged", 0, None
            self.store.put(
                item.key,
                item.body,
                content_type=item.content_type,
                cache_control=item.cache_control,
            )
        except StorageError as exc:
            return item.key, "failed", 0, str(exc)
        return item.key, "written", len(item.body), None

    def write(self, items: Iterable[Page | Gone]) -> None:
        batch: list[Page | Gone] = []
        for item in items:
            if isinstance(item, Page):
                self.seen.add(item.key)
            batch.append(item)
            if len(batch) >= WRITE_BATCH:
                self._flush(batch)
                batch = []
        self._flush(batch)

    def _flush(self, batch: Sequence[Page | Gone]) -> None:
        if not batch:
            return
        for key, outcome, size, error in self.pool.map(self._apply, batch):
            if error is not None:
                log.error("site page not written", extra={"key": key, "error": error})
                self.report.failed.append(f"{key}: {error}")
            elif outcome == "written":
                self.report.written.append(key)
                self.report.bytes_written += size
            elif outcome == "deleted":
                self.report.deleted.append(key)
            elif outcome == "unchanged":
                self.report.unchanged += 1
