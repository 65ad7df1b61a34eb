"""The site build at the end of a Lambda run (the scheduled run's inline path, the worker's batch).

Configured by the function's environment, read into bootstrap.Settings: SITE_URL (the site's
public URL; unset, no site is built), and SITE_TITLE, SITE_DESCRIPTION, SITE_LANGUAGE,
SITE_REMOTE_IMAGES (SiteOptions). A failed
build never fails the run: the articles are stored and indexed, and `newswire site --full`
(or the next change to the same pages) brings the site up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from newswire.models import IndexRecord, RunSummary
from newswire.ports import ArticleIndex, ContentStore

if TYPE_CHECKING:
    from newswire.site.options import SiteOptions

log = logging.getLogger("newswire.site")

SITE_SECONDS_NEEDED = 30.0
"""Time left that a build needs to start (a build cut off by the timeout is not redone)."""


def update_site(
    summary: RunSummary,
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str | None,
    options: SiteOptions,
    seconds_left: Callable[[], float] | None = None,
    removed: Sequence[IndexRecord] = (),
) -> dict[str, object] | None:
    """Rebuild the pages the run's changed articles appear on, and take the `removed` ones
    (pruned) off the site; returns the build report (as a dict, for the log), or None when
    there was nothing to do or it could not be done."""
    gone = {record.id for record in removed}
    changed = tuple(r for r in summary.changed if r.id not in gone)  # ingested, then pruned
    if not base_url or not (changed or removed):
        return None
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
