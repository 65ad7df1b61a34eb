"""`newswire serve`: preview the embedded backend's site on 127.0.0.1.

Only the site is served: the Markdown (content/), the index file and dot files answer 404, as
they stay private on S3. A missing page gets the site's 404.html, as S3 and CloudFront give it.
"""

from __future__ import annotations

import io
import posixpath
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from newswire.site.options import LOCAL_BASE_URL
from newswire.site.paths import SITE_ROOT_FILES, SITE_ROOT_PREFIXES

LOOPBACK = "127.0.0.1"
TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".json": "application/feed+json; charset=utf-8",
    ".xml": "application/xml; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
}
TEXT_SUFFIXES = {".html", ".xml", ".json", ".txt"}


def is_site_path(url_path: str) -> bool:
    """Whether a request path names a part of the site (never content/ or the index)."""
    path = posixpath.normpath(unquote(url_path)).lstrip("/")
    if path in ("", "."):
        return True
    if any(part.startswith(".") for part in path.split("/")):
        return False
    if path in SITE_ROOT_FILES:
        return True
    return any(path.startswith(p) or f"{path}/" == p for p in SITE_ROOT_PREFIXES)


class SiteRequestHandler(SimpleHTTPRequestHandler):
    """Static files from the site directory; no directory listings; 404.html for misses."""

    server_version = "newswire-serve"
    sys_version = ""

    def send_head(self) -> Any:
        path = urlsplit(self.path).path
        if not is_site_path(path):
            return self._not_found()
        local = Path(self.translate_path(path))
        if local.is_dir():
            if not path.endswith("/"):
                self.send_response(301)
                self.send_header("Location", path + "/")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return None
            local = local / "index.html"
        if not local.is_file():
            return self._not_found()
        rewrite = getattr(self.server, "rewrite", None)
        if rewrite is not None and local.suffix in TEXT_SUFFIXES:
            return self._rewritten(local, *rewrite)
        return super().send_head()

    def _rewritten(self, local: Path, old: bytes, new: bytes) -> Any:
        """The page with the default preview address replaced by the one served: a site built
        for :8000 and served on another port keeps working links, and nothing on disk changes
        (the next `newswire run` builds for the default address again)."""
        body = local.read_bytes().replace(old, new)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(local))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)

    def _not_found(self) -> Any:
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"not found\n"
        self.send_response(404)
        self.send_header("Content-Type", TYPES[".html"] if page.is_file() else TYPES[".txt"])
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def guess_type(self, path: Any) -> str:
        name = str(path)
        if name.endswith("feed.xml"):
            return "application/rss+xml; charset=utf-8"
        return TYPES.get(posixpath.splitext(name)[1], "application/octet-stream")

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")  # a preview: always the latest build
        self.send_header("X-Content-Type-Options", "nosniff")
        super().end_headers()

    def list_directory(self, path: Any) -> Any:
        return self._not_found()

    def log_message(self, format: str, *args: Any) -> None:
        if getattr(self.server, "quiet", False):
            return
        super().log_message(format, *args)


class SiteServer(ThreadingHTTPServer):
    daemon_threads = True
    quiet = False
    rewrite: tuple[bytes, bytes] | None = None
    """(default preview address, the address served) when the two differ."""


def make_server(root: Path, port: int = 8000, *, quiet: bool = False) -> SiteServer:
    """A server for `root` on 127.0.0.1:`port` (0: any free port); call serve_forever().
    Raises OSError when the port cannot be bound (in use, or not allowed)."""
    handler = partial(SiteRequestHandler, directory=str(root))
    server = SiteServer((LOOPBACK, port), handler)
    server.quiet = quiet
    served = f"http://{LOOPBACK}:{server.server_address[1]}/"
    if served != LOCAL_BASE_URL:
        server.rewrite = (LOCAL_BASE_URL.encode(), served.encode())
    return server
