"""Retention and moderation from the command line, on both backends: `prune`, `hide`,
`unhide`, `delete` take articles out of the Markdown, the index and every page of the site."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from newswire.site.paths import page_key, term_path
from tests.conftest import DATA, MotoServer, create_index_table, run_newswire

pytestmark = pytest.mark.e2e

FEED = DATA / "google-news-world.xml"
OLDEST_SLUG = "45-combat-engagements-on-the-front-the-enemy-launched-two-heavy-assaults-in-the"
# dated 2025-12, the other two 2026-01
HIDDEN_SLUG = "war-update-131-clashes-on-front-line-most-attacks-take-place-in-pokrovsk-sector"
NEWEST_SLUG = "russia-ukraine-war-list-of-key-events-day-1407"


@dataclass
class Backend:
    args: tuple[str, ...]
    site_args: tuple[str, ...]
    files: Any  # () -> dict[str, bytes]: every stored object, Markdown and site
    extra: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(params=["embedded", "aws"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "embedded":
        site = tmp_path / "site"

        def local_files() -> dict[str, bytes]:
            return {
                p.relative_to(site).as_posix(): p.read_bytes()
                for p in site.rglob("*")
                if p.is_file() and not p.name.startswith("newswire.sqlite3")
            }

        yield Backend(("--site-dir", str(site)), (), local_files)
        return
    server: MotoServer = request.getfixturevalue("moto_server")
    name = f"newswire-moderation-{os.urandom(4).hex()}"
    s3 = server.client("s3")
    s3.create_bucket(Bucket=name)
    create_index_table(server.client("dynamodb"), name)

    def bucket_files() -> dict[str, bytes]:
        out = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=name):
            for obj in page.get("Contents", []):
                out[obj["Key"]] = s3.get_object(Bucket=name, Key=obj["Key"])["Body"].read()
        return out

    yield Backend(
        ("--bucket", name, "--table", name, "--endpoint-url", server.endpoint_url),
        ("--base-url", "https://news.example/"),
        bucket_files,
    )


def newswire(backend: Backend, *args: str | Path, cwd: Path, site: bool = False) -> Any:
    done = run_newswire(*args, *backend.args, *(backend.site_args if site else ()), cwd=cwd)
    assert "Traceback" not in done.stderr, done.stderr
    return done


def listed_slugs(backend: Backend, cwd: Path) -> list[str]:
    done = newswire(backend, "list", "--json", cwd=cwd)
    assert done.returncode == 0, done.stderr
    return [r["slug"] for r in json.loads(done.stdout)]


def mentions(backend: Backend, slug: str) -> list[str]:
    """The stored objects (site pages and Markdown) that name the article by its slug."""
    return sorted(k for k, body in backend.files().items() if slug.encode() in body or slug in k)


def ingest(backend: Backend, cwd: Path, feed: Path = FEED) -> Any:
    done = newswire(backend, "run", "-q", "--json", "--workers", "1", feed, cwd=cwd, site=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return json.loads(done.stdout)


def test_prune_removes_old_articles_from_every_list_feed_and_sitemap(
    backend: Backend, tmp_path: Path
) -> None:
    ingest(backend, tmp_path)
    assert mentions(backend, OLDEST_SLUG)
    # A cutoff a few hours into 2026-01-01: after the oldest (2025-12-31 22:05), before 07:30.
    hours = int((datetime.now(UTC) - datetime(2026, 1, 1, 3, tzinfo=UTC)).total_seconds() // 3600)
    before = backend.files()

    dry = newswire(backend, "prune", "--older-than", f"{hours}h", "--dry-run", cwd=tmp_path,
                   site=True)  # fmt: skip
    assert dry.returncode == 0, dry.stdout + dry.stderr
    assert dry.stdout.splitlines()[0].startswith("prune: would delete 1 article(s) dated before")
    assert OLDEST_SLUG in dry.stdout
    assert backend.files() == before

    done = newswire(backend, "prune", "--older-than", f"{hours}h", cwd=tmp_path, site=True)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[0].startswith("prune: deleted 1 article(s)")
    assert OLDEST_SLUG not in listed_slugs(backend, tmp_path)
    assert len(listed_slugs(backend, tmp_path)) == 2
    assert mentions(backend, OLDEST_SLUG) == []  # no page, list, feed, sitemap or Markdown
    files = backend.files()
    for page in ("index.html", "feed.xml", "feed.json", "sitemap-2026-01-01.xml"):
        assert NEWEST_SLUG.encode() in files[page], page
    # Its day and month are empty now: their pages and its day's sitemap are gone too.
    for page in ("sitemap-2025-12-31.xml", "archive/2025/12/31/index.html",
                 "archive/2025/12/index.html"):  # fmt: skip
        assert page not in files, page
    assert b"2025-12-31" not in files["sitemap.xml"]
    again = newswire(backend, "prune", "--older-than", f"{hours}h", cwd=tmp_path, site=True)
    assert again.stdout.splitlines()[0].startswith("prune: deleted 0 article(s)")


def changed_feed(tmp_path: Path, old: bytes = b"</rss>", new: bytes = b"<!-- x --></rss>") -> Path:
    """The feed with other bytes (by default the same items): a run decides every item again."""
    copy = tmp_path / "google-news-world.xml"
    body = FEED.read_bytes()
    assert old in body
    copy.write_bytes(body.replace(old, new))
    return copy


def test_a_hidden_article_stays_hidden_across_runs_and_reindex(
    backend: Backend, tmp_path: Path
) -> None:
    ingest(backend, tmp_path)

    done = newswire(backend, "hide", f"news/{HIDDEN_SLUG}", cwd=tmp_path, site=True)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("hidden: War update: 131 clashes")
    assert HIDDEN_SLUG not in listed_slugs(backend, tmp_path)
    markdown = [k for k in mentions(backend, HIDDEN_SLUG) if k.startswith("content/")]
    assert mentions(backend, HIDDEN_SLUG) == markdown  # no site page names it any more
    assert b"\ndraft: true\n" in backend.files()[markdown[0]]
    # Its publisher has no other article: that publisher's page is deleted, not left empty.
    publisher = page_key(term_path("publisher", "Ukrinform"))
    assert publisher not in backend.files()

    # The feed carries it again, changed: it stays as it was, hidden.
    edited = changed_feed(tmp_path, b"131 clashes on front line", b"132 clashes on front line")
    summary = ingest(backend, tmp_path, edited)
    # (One other article is updated: its Google News summary quotes the hidden one's title.)
    assert (summary["articles"]["new"], summary["articles"]["updated"]) == (0, 1)
    assert b"132 clashes" not in backend.files()[markdown[0]]
    reindexed = newswire(backend, "reindex", cwd=tmp_path)
    assert reindexed.returncode == 0, reindexed.stdout + reindexed.stderr
    ingest(backend, tmp_path, FEED)
    assert HIDDEN_SLUG not in listed_slugs(backend, tmp_path)
    full = newswire(backend, "site", "--full", cwd=tmp_path, site=True)
    assert full.returncode == 0, full.stdout + full.stderr
    assert mentions(backend, HIDDEN_SLUG) == markdown

    shown = newswire(backend, "unhide", HIDDEN_SLUG, cwd=tmp_path, site=True)

    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert HIDDEN_SLUG in listed_slugs(backend, tmp_path)
    assert b"\ndraft: false\n" in backend.files()[markdown[0]]
    assert any(k.startswith("articles/") for k in mentions(backend, HIDDEN_SLUG))
    assert HIDDEN_SLUG.encode() in backend.files()["index.html"]
    assert HIDDEN_SLUG.encode() in backend.files()[publisher]


def test_delete_removes_an_article_that_a_feed_may_bring_back(
    backend: Backend, tmp_path: Path
) -> None:
    ingest(backend, tmp_path)
    record = next(
        r
        for r in json.loads(newswire(backend, "list", "--json", cwd=tmp_path).stdout)
        if r["slug"] == NEWEST_SLUG
    )

    done = newswire(backend, "delete", record["link"], cwd=tmp_path, site=True)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "comes back if google-news-world still carries it" in done.stdout
    assert NEWEST_SLUG not in listed_slugs(backend, tmp_path)
    assert mentions(backend, NEWEST_SLUG) == []
    gone = newswire(backend, "delete", record["id"], cwd=tmp_path)
    assert gone.returncode == 2 and gone.stderr.strip() == (
        f"newswire: error: no article with id {record['id']}"
    )

    summary = ingest(backend, tmp_path, changed_feed(tmp_path))
    assert summary["articles"]["new"] == 1  # the feed still carries it
    assert NEWEST_SLUG in listed_slugs(backend, tmp_path)


@pytest.mark.parametrize("command", ["hide", "unhide", "delete"])
def test_an_unknown_article_is_one_line_exit_2(
    backend: Backend, tmp_path: Path, command: str
) -> None:
    ingest(backend, tmp_path)
    before = backend.files()

    done = newswire(backend, command, "no-such-slug", cwd=tmp_path, site=True)

    assert done.returncode == 2
    assert done.stderr.strip() == "newswire: error: no article with the slug 'no-such-slug'"
    assert backend.files() == before


def test_prune_needs_a_valid_duration(tmp_path: Path) -> None:
    done = run_newswire("prune", "--older-than", "soon", "--site-dir", tmp_path, cwd=tmp_path)
    assert done.returncode == 2 and "'soon' is not a duration" in done.stderr
    help_text = run_newswire("delete", "--help", cwd=tmp_path).stdout
    assert "brings it back" in " ".join(help_text.split())
