"""The site's part of a Lambda run (the scheduled run's inline path, the worker's batch).

On AWS the run does not build: it sends the plan of what it changed (newswire.site.plan) to
the site queue (SITE_QUEUE_URL), and the site function, one at a time (reserved concurrency
1), merges a batch window's plans and builds once. Without a site queue the run builds itself.

Configured by the function's environment, read into bootstrap.Settings: SITE_URL (the site's
public URL; unset, no site is built), SITE_QUEUE_URL, and SITE_TITLE, SITE_DESCRIPTION,
SITE_LANGUAGE, SITE_REMOTE_IMAGES (SiteOptions). A failed build or send never fails the run:
the articles are stored and indexed, and `newswire site --full` (or the next change to the
same pages) brings the site up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

from newswire.models import IndexRecord, RunSummary
from newswire.ports import ArticleIndex, ContentStore, FeedQueue

if TYPE_CHECKING:
    from newswire.site.options import SiteOptions
    from newswire.site.plan import SitePlan

log = logging.getLogger("newswire.site")

SITE_SECONDS_NEEDED = 30.0
"""Time left that a build needs to start (a build cut off by the timeout is not redone)."""
PLAN_RECORDS = 100
"""Article versions per site-queue message: a plan of 100 stays far below SQS's 256 KB."""


def plans_of(
    changed: Sequence[IndexRecord], replaced: Sequence[IndexRecord], removed: Sequence[IndexRecord]
) -> Iterator[SitePlan]:
    """The plan of a change, in pieces of at most PLAN_RECORDS versions each: merged, they
    are the plan of the whole (plans merge by union)."""
    from newswire.site.plan import plan_changes  # a run that changed nothing never needs it

    for start in range(0, len(changed), PLAN_RECORDS):
        yield plan_changes(changed[start : start + PLAN_RECORDS])
    for start in range(0, len(replaced), PLAN_RECORDS):
        yield plan_changes((), replaced[start : start + PLAN_RECORDS])
    for start in range(0, len(removed), PLAN_RECORDS):
        yield plan_changes((), removed=removed[start : start + PLAN_RECORDS])


def update_site(
    summary: RunSummary,
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str | None,
    options: SiteOptions,
    seconds_left: Callable[[], float] | None = None,
    removed: Sequence[IndexRecord] = (),
    site_queue: FeedQueue | None = None,
) -> dict[str, object] | None:
    """Have the pages the run's changed articles appear on rebuilt, and the `removed` ones
    (pruned) taken off the site: sent to the site queue when there is one, else built here.
    Returns what was done (as a dict, for the log), or None when there was nothing to do or it
    could not be done."""
    gone = {record.id for record in removed}
    changed = tuple(r for r in summary.changed if r.id not in gone)  # ingested, then pruned
    if not base_url or not (changed or removed):
        return None
    if site_queue is not None:
        bodies = [p.to_json() for p in plans_of(changed, summary.replaced, removed)]
        try:
            site_queue.send(bodies)
        except Exception as exc:  # the articles are safe; `newswire site --full` catches up
            log.exception("site update not queued", extra={"error": repr(exc)})
            return None
        log.info("site update queued", extra={"messages": len(bodies)})
        return {"queued": len(bodies)}
    left = seconds_left() if seconds_left is not None else None
    if left is not None and left < SITE_SECONDS_NEEDED:
        log.error("site not updated: out of time", extra={"articles": len(changed)})
        return None
    from newswire.site.build import LEASE_WAIT_SECONDS
    from newswire.site.removal import remove_from_site

    # Waiting for another build's lease must leave the time this build needs.
    wait = (
        LEASE_WAIT_SECONDS if left is None else min(LEASE_WAIT_SECONDS, left - SITE_SECONDS_NEEDED)
    )

    try:
        report = remove_from_site(
            removed,
            store,
            index,
            base_url=base_url,
            shown=changed,
            replaced=summary.replaced,
            options=options,
            lease_wait=wait,
        )
    except Exception as exc:  # the articles are safe; the site catches up later
        log.exception("site not updated", extra={"error": repr(exc)})
        return None
    result = report.as_dict()
    log.info("site updated", extra=result)
    return result


class SiteBuildFailed(Exception):
    """The site function's build failed: its messages go back to the queue (then to its DLQ)."""


def build_from_messages(
    bodies: Sequence[str],
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str,
    options: SiteOptions,
) -> dict[str, object]:
    """The site function's build: the merged plan of a batch of site-queue messages, built
    once. A message that is not a plan is logged and dropped (it would fail every retry).
    Raises SiteBuildFailed when the build fails or a page could not be written, so that the
    batch is delivered again."""
    from newswire.site.build import build_plan
    from newswire.site.plan import SitePlan

    plan = SitePlan()
    for body in bodies:
        try:
            plan = plan.merge(SitePlan.from_json(body))
        except ValueError as exc:
            log.error("site-queue message dropped", extra={"error": str(exc)})
    try:
        report = build_plan(plan, store, index, base_url=base_url, options=options, lease=False)
    except Exception as exc:
        raise SiteBuildFailed(f"site build failed: {exc!r}") from exc
    result = {"messages": len(bodies), **report.as_dict()}
    if report.failed:
        raise SiteBuildFailed(f"site build failed: {len(report.failed)} page(s) not written")
    log.info("site updated", extra=result)
    return result
