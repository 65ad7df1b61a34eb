"""What shapes the site: its public URL, its name, its page sizes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

LOCAL_BASE_URL = "http://127.0.0.1:8000/"
"""The base URL of the embedded backend's site: where `newswire serve` shows it."""


def normalize_base_url(url: str) -> str:
    """An absolute http(s) URL ending in "/" (pages and feeds are joined to it)."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"the site's base URL must be an absolute http(s) URL, not {url!r}")
    if parts.query or parts.fragment:
        raise ValueError(f"the site's base URL cannot have a query or fragment: {url!r}")
    path = parts.path if parts.path.endswith("/") else parts.path + "/"
    return f"{parts.scheme}://{parts.netloc}{path}"


@dataclass(frozen=True)
class SiteOptions:
    """Everything but the data that a page depends on. An incremental build must use the same
    options as the full build it continues, or the pages it does not touch fall out of step."""

    title: str = "newswire"
    description: str = "The latest news from the feeds newswire follows."
    language: str = "en"
    remote_images: bool = False
    """Show article images from the publishers' hosts. Off by default: a page then makes no
    request to any other host (the image stays a link in the article's details)."""
    page_size: int = 20
    """Articles per home page."""
    home_pages: int = 10
    """Home pages: the latest page_size × home_pages articles; older ones are in the archive."""
    list_limit: int = 100
    """Articles on a tag, category or publisher page: the latest ones."""
    archive_page_size: int = 100
    """Articles per page of a day in the archive (a day lists all of its articles)."""
    feed_size: int = 50
    """Items in feed.xml and feed.json."""

    def __post_init__(self) -> None:
        for name in ("page_size", "home_pages", "list_limit", "archive_page_size", "feed_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"site option {name} must be at least 1")

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SiteOptions:
        """SITE_TITLE, SITE_DESCRIPTION, SITE_LANGUAGE, SITE_REMOTE_IMAGES (true/false)."""
        defaults = cls()
        return cls(
            title=env.get("SITE_TITLE") or defaults.title,
            description=env.get("SITE_DESCRIPTION") or defaults.description,
            language=env.get("SITE_LANGUAGE") or defaults.language,
            remote_images=env.get("SITE_REMOTE_IMAGES", "").strip().lower() in ("1", "true", "yes"),
        )
