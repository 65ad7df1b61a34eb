"""A Hugo site made from a hostile feed: the two steps the Hugo tests of this suite share."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.fetch import Fetcher
from newswire.ingest import Ingestor
from newswire.models import FeedConfig, FeedResult

from .conftest import FAST, LOOPBACK_ONLY
from .feeds import Item, rss
from .server import HostileServer


def ingest_served_feed(
    root: Path, path: str, items: Sequence[Item], feed: Callable[[str], FeedConfig]
) -> FeedResult:
    """Serve `items` as one RSS feed on loopback and ingest it into `root` (embedded backend);
    `feed` makes the feed's configuration from the URL it is served at."""
    server = HostileServer()
    server.start()
    index = SqliteIndex(root / "newswire.sqlite3")
    try:
        url = server.feed(path, rss(list(items)))
        ingestor = Ingestor(Fetcher(FAST, policy=LOOPBACK_ONLY), DirectoryStore(root), index)
        [result] = ingestor.run([feed(url)]).results
        return result
    finally:
        index.close()
        server.stop()


def hugo_build(
    hugo: str, root: Path, *, config: str, single: str, list_layout: str,
    extra: Sequence[str] = (), env: Mapping[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """Build `root` (content/ already written) with `hugo`, the given config and layouts,
    into root/public."""
    (root / "hugo.toml").write_text(config, encoding="utf-8")
    layouts = root / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (layouts / "single.html").write_text(single, encoding="utf-8")
    (layouts / "list.html").write_text(list_layout, encoding="utf-8")
    return subprocess.run(
        [hugo, "--source", str(root), "--destination", str(root / "public"), *extra],
        capture_output=True, text=True, timeout=120, check=False,
        env=None if env is None else dict(env),
    )  # fmt: skip
