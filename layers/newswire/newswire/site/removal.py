"""The site's part of taking articles down (hide, delete, prune): their own pages go, and
every list they were on is redrawn from the index, which no longer lists them."""

from __future__ import annotations

from collections.abc import Sequence

from newswire.models import IndexRecord
from newswire.ports import ArticleIndex, ContentStore
from newswire.site.build import LEASE_WAIT_SECONDS, BuildReport, build_site
from newswire.site.options import SiteOptions


def remove_from_site(
    removed: Sequence[IndexRecord],
    store: ContentStore,
    index: ArticleIndex,
    *,
    base_url: str,
    shown: Sequence[IndexRecord] = (),
    replaced: Sequence[IndexRecord] = (),
    options: SiteOptions | None = None,
    lease_wait: float = LEASE_WAIT_SECONDS,
) -> BuildReport:
    """Delete the article pages of `removed` and redraw the home pages, term lists, archive
    days, feeds and sitemaps they appear on (a term or day none is left on loses its pages),
    with those of `shown` (articles added, changed or put back; `replaced`: the versions
    those replaced). Call it once the index no longer lists `removed`."""
    return build_site(
        shown,
        store,
        index,
        base_url=base_url,
        replaced=replaced,
        removed=removed,
        options=options,
        lease_wait=lease_wait,
    )
