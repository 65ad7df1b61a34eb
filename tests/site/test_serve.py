"""`newswire serve`: the site on 127.0.0.1, nothing else of the directory, 404.html for misses."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from newswire.site.serve import SiteServer, is_site_path, make_server


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "site"
    (root / "content" / "world").mkdir(parents=True)
    (root / "content" / "world" / "a.md").write_text("---\ntitle: private\n---\n")
    (root / "newswire.sqlite3").write_bytes(b"SQLite format 3\x00")
    (root / "tags" / "war").mkdir(parents=True)
    (root / "tags" / "war" / "index.html").write_text("<!DOCTYPE html><title>war</title>")
    (root / "index.html").write_text("<!DOCTYPE html><title>home</title>")
    (root / "404.html").write_text("<!DOCTYPE html><title>not found</title>")
    (root / "feed.xml").write_text("<rss/>")
    (root / "feed.json").write_text("{}")
    (root / ".hidden").write_text("secret")
    server: SiteServer = make_server(root, 0, quiet=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        assert host == "127.0.0.1"
        yield f"http://127.0.0.1:{port}", root
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def get(url: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(request, timeout=5) as response:
            return (
                response.status,
                {k.lower(): v for k, v in response.headers.items()},
                response.read(),
            )
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def test_pages_are_served_with_their_types(served: tuple[str, Path]) -> None:
    base, _ = served
    status, headers, body = get(f"{base}/")
    assert (status, body) == (200, b"<!DOCTYPE html><title>home</title>")
    assert headers["content-type"] == "text/html; charset=utf-8"
    assert get(f"{base}/tags/war/")[2] == b"<!DOCTYPE html><title>war</title>"
    assert get(f"{base}/feed.xml")[1]["content-type"] == "application/rss+xml; charset=utf-8"
    assert get(f"{base}/feed.json")[1]["content-type"] == "application/feed+json; charset=utf-8"


def test_a_folder_without_its_slash_redirects(served: tuple[str, Path]) -> None:
    base, _ = served
    status, _, body = get(f"{base}/tags/war")  # urllib follows the 301
    assert (status, body) == (200, b"<!DOCTYPE html><title>war</title>")


@pytest.mark.parametrize(
    "path",
    [
        "/content/world/a.md",
        "/content/",
        "/newswire.sqlite3",
        "/.hidden",
        "/tags/../content/world/a.md",
        "/%2e%2e/%2e%2e/etc/passwd",
        "/tags/",  # a folder without index.html: no listing
        "/no/such/page/",
    ],
)
def test_anything_else_is_the_sites_404(served: tuple[str, Path], path: str) -> None:
    base, _ = served
    status, headers, body = get(base + path)
    assert status == 404
    assert body == b"<!DOCTYPE html><title>not found</title>"
    assert headers["content-type"] == "text/html; charset=utf-8"


def test_site_paths() -> None:
    assert is_site_path("/") and is_site_path("/articles/world/2026/01/x/")
    assert is_site_path("/sitemap-2026-01.xml") and is_site_path("/css/site-abc.css")
    assert not is_site_path("/content/x.md") and not is_site_path("/newswire.sqlite3-wal")
    assert not is_site_path("/articles/../content/x.md")
