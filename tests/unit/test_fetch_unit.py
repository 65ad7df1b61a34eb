from __future__ import annotations

from datetime import UTC, datetime

import pytest

from newswire.fetch import Fetcher, parse_retry_after
from newswire.models import FetchError

NOW = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        ("-5", None),  # not delay-seconds: ignored
        ("999999999", 86400.0),
        ("Thu, 01 Jan 2026 12:10:00 GMT", 600.0),
        ("Wed, 31 Dec 2025 12:00:00 GMT", 0.0),
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_is_parsed_and_clamped(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


@pytest.mark.parametrize("url", ["ftp://example.com/feed", "gopher://x", "data:text/xml,<rss/>"])
def test_only_http_and_https_are_fetched(url: str) -> None:
    with pytest.raises(FetchError, match="unsupported URL scheme"):
        Fetcher().fetch(url)


def test_local_paths_only_when_allowed(tmp_path: object) -> None:
    with pytest.raises(FetchError, match="local paths are not allowed"):
        Fetcher().fetch("tests/data/rss-basic.xml")
    fetched = Fetcher(allow_local=True).fetch("tests/data/rss-basic.xml")
    assert not isinstance(fetched, type(None))
    assert b"Harbour Gazette" in getattr(fetched, "body", b"")


def test_missing_local_file_is_a_plain_error() -> None:
    with pytest.raises(FetchError, match=r"cannot read .*nope\.xml: No such file"):
        Fetcher(allow_local=True).fetch("nope.xml")
