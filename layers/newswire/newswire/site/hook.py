"""The site build at the end of the scheduled Lambda run (the inline path).

Configured by the function's environment: SITE_URL (the site's public URL; unset, no
site is built), and SITE_TITLE, SITE_DESCRIPTION, SITE_LANGUAGE, SITE_REMOTE_IMAGES. A failed
build never fails the run: the articles are stored and indexed, and `newswire site --full`
(or the next change to the same pages) brings the site up to date.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence

from newswire.models import IndexRecord, RunSummary
from newswire.ports import ArticleIndex, ContentStore

log = logging.getLogger("newswire.site")

SITE_SECONDS_NEEDED = 30.0
"""Time left that a build needs to start (a build cut off by the timeout is not redone)."""


def update_site(
    summary: RunSummary,
    store: ContentStore,
    index: ArticleIndex,
    env: Mapping[str, str],
    *,
    seconds_left: Callable[[], float] | None = None,
    removed: Sequence[IndexRecord] = (),
) -> dict[str, object] | None:
    """Rebuild the pages the run's changed articles appear on, and take the `removed` ones
    (pruned) off the site; returns the build report (as a dict, for the log), or None when
    there was nothing to do or it could not be done."""
    base_url = env.get("SITE_URL", "").strip()
    gone = {record.id for record in removed}
    changed = tuple(r for r in summary.changed if r.id not in gone)  # ingested, then pruned
    if not base_url or not (changed or removed):
        return None
    left = seconds_left() if seconds_left is not None else None
    if left is not None and left < SITE_SECONDS_NEEDED:
        log.error("site not updated: out of time", extra={"articles": len(changed)})
        return None
    from newswire.site.build import LEASE_WAIT_SECONDS
    from newswire.site.options import SiteOptions
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
            options=SiteOptions.from_env(env),
            lease_wait=wait,
        )
    except Exception as exc:  # the articles are safe; the site catches up later
        log.exception("site not updated", extra={"error": repr(exc)})
        return None
    result = report.as_dict()
    log.info("site updated", extra=result)
    return result
