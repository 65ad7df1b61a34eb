"""The command line's error paths (issue 16): each exits with its documented status, says why
in one line, prints no traceback, and creates nothing it should not."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import urllib.request
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newswire.adapters.local import SqliteIndex
from newswire.leases import holder_is_gone, new_lease_owner, parse_lease_owner
from newswire.site.serve import make_server
from tests.conftest import (
    DATA,
    LOOPBACK,
    FeedServer,
    MotoServer,
    create_index_table,
    fake_aws_environment,
    newswire_command,
    run_newswire,
)

pytestmark = pytest.mark.e2e

FEED = DATA / "google-news-world.xml"
FEED_ID = "google-news-world"


def one_line_error(done: subprocess.CompletedProcess[str], status: int) -> str:
    assert done.returncode == status, done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


@pytest.fixture
def site(tmp_path: Path) -> Path:
    site = tmp_path / "site"
    done = run_newswire("run", "-q", "--no-site", "--site-dir", site, FEED, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    return site


@pytest.mark.parametrize(
    ("option", "value", "reason"),
    [
        ("--limit", "0", "must be 1 or more (got 0)"),
        ("--limit", "-3", "must be 1 or more (got -3)"),
        ("--limit", "ten", "'ten' is not a whole number"),
        ("--since", "yesterday", "'yesterday' is not a duration (24h, 7d) or an ISO date"),
        ("--since", "0h", "'0h' is not a duration"),
    ],
)
def test_an_invalid_option_value_is_one_line_and_exit_2(
    site: Path, option: str, value: str, reason: str
) -> None:
    done = run_newswire("list", "--site-dir", site, option, value, cwd=site.parent)

    line = one_line_error(done, 2)
    assert line.startswith(f"newswire list: error: argument {option}: {reason}"), line
    assert done.stdout == ""


def test_run_workers_must_be_positive(tmp_path: Path) -> None:
    done = run_newswire("run", "--workers", "0", "--site-dir", tmp_path / "s", FEED, cwd=tmp_path)

    assert "--workers: must be 1 or more" in one_line_error(done, 2)
    assert not (tmp_path / "s").exists()


def test_empty_results_name_the_filter_that_emptied_them(site: Path) -> None:
    cwd = site.parent
    since = run_newswire("list", "--site-dir", site, "--since", "24h", cwd=cwd)
    assert since.returncode == 0, since.stderr
    assert since.stdout.startswith("no articles since ")
    assert "(the newest is from 2026-01-01 08:14 UTC)" in since.stdout

    feed = run_newswire("list", "--site-dir", site, "--feed", "nope", cwd=cwd)
    assert feed.returncode == 0, feed.stderr
    assert feed.stdout.strip() == "no articles of feed 'nope' (`newswire feeds` lists the feeds)"

    both = run_newswire("list", "--site-dir", site, "--feed", FEED_ID, "--since", "2027-01-01",
                        cwd=cwd)  # fmt: skip
    assert both.stdout.startswith(f"no articles of feed '{FEED_ID}' since 2027-01-01 00:00 UTC")

    as_json = run_newswire("list", "--json", "--site-dir", site, "--feed", "nope", cwd=cwd)
    assert as_json.returncode == 0 and json.loads(as_json.stdout) == []
    assert as_json.stderr.strip() == "newswire: no articles of feed 'nope' (`newswire feeds` " \
        "lists the feeds)"  # fmt: skip


def test_an_empty_site_says_it_is_empty(tmp_path: Path) -> None:
    index = SqliteIndex(tmp_path / "site" / "newswire.sqlite3")
    index.close()

    done = run_newswire("list", "--site-dir", tmp_path / "site", "--since", "24h", cwd=tmp_path)

    assert done.stdout.strip() == "no articles in the index yet (run `newswire run` first)"


@pytest.mark.parametrize(
    "command",
    [["list"], ["feeds"], ["site", "--full"], ["reindex"], ["feeds", "--json"], ["serve"]],
)
def test_read_only_commands_refuse_a_directory_without_a_site(
    tmp_path: Path, command: list[str]
) -> None:
    mistyped = tmp_path / "sitte"

    done = run_newswire(*command, "--site-dir", mistyped, cwd=tmp_path)

    line = one_line_error(done, 2)
    assert "sitte" in line and ("no newswire site" in line or "no site in" in line), line
    assert not mistyped.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_reindex_accepts_a_site_whose_index_is_lost(site: Path) -> None:
    (site / "newswire.sqlite3").unlink()
    for extra in site.glob("newswire.sqlite3-*"):
        extra.unlink()

    done = run_newswire("reindex", "--site-dir", site, cwd=site.parent)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("reindexed 3 page(s): 3 added")


def test_reindex_counts_an_unreadable_page_as_failed_and_goes_on(site: Path) -> None:
    (site / "newswire.sqlite3").unlink()
    for extra in site.glob("newswire.sqlite3-*"):
        extra.unlink()
    month = min(p.parent for p in (site / "content").rglob("*.md") if p.name != "_index.md")
    (month / "a-hand-edited-page.md").write_bytes(b"---\ntitle: [unclosed\n---\n\nBody\n")

    done = run_newswire("reindex", "--site-dir", site, cwd=site.parent)

    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("reindexed 3 page(s): 3 added, 0 already indexed (refreshed), "
                                  "1 failed\n")  # fmt: skip
    assert "a-hand-edited-page.md: front matter is not YAML" in done.stdout
    assert "Traceback" not in done.stdout + done.stderr


def closed_early(*args: str | Path, cwd: Path) -> tuple[int, str]:
    """Run newswire with its stdout read by nobody: the reader has gone before it writes."""
    env = fake_aws_environment(dict(os.environ))
    process = subprocess.Popen(
        [*newswire_command(), *map(str, args)], cwd=cwd, env=env,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()
    stderr = process.stderr.read()
    return process.wait(timeout=60), stderr


@pytest.mark.parametrize("command", [["list", "--json"], ["list"], ["feeds"]])
def test_a_closed_pipe_ends_quietly(site: Path, command: list[str]) -> None:
    status, stderr = closed_early(*command, "--site-dir", site, cwd=site.parent)

    assert stderr == ""
    assert status == 141


def test_serve_on_a_busy_port_is_one_line(site: Path) -> None:
    run = run_newswire("site", "--full", "--site-dir", site, cwd=site.parent)
    assert run.returncode == 0, run.stderr
    with socket.socket() as busy:
        busy.bind((LOOPBACK, 0))
        busy.listen()
        port = busy.getsockname()[1]

        done = run_newswire("serve", "--site-dir", site, "--port", port, cwd=site.parent)

    line = one_line_error(done, 1)
    assert line.startswith(f"newswire: error: cannot serve on 127.0.0.1:{port}: "), line
    assert "choose one with --port" in line


def test_a_run_that_stores_nothing_does_not_claim_it(tmp_path: Path) -> None:
    missing = tmp_path / "missing.xml"
    done = run_newswire("run", "--site-dir", tmp_path / "site", missing, cwd=tmp_path)

    assert done.returncode == 1
    assert "stored in" not in done.stdout
    assert done.stdout.splitlines()[-1] == "nothing stored: no new or changed article"


def test_allow_hosts_of_the_feeds_file_apply_to_command_line_feeds(
    tmp_path: Path, feed_server: FeedServer
) -> None:
    url = feed_server.serve_file("/world.xml", FEED, "application/rss+xml")
    env = fake_aws_environment(dict(os.environ))
    env.pop("NEWSWIRE_ALLOW_HOSTS", None)
    command = [*newswire_command(), "run", "-q", "--no-site", "--site-dir", "site", url]

    refused = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=120, check=False)  # fmt: skip
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert "allow_hosts" in refused.stdout

    (tmp_path / "feeds.yaml").write_text(
        f"allow_hosts: [{LOOPBACK}]\nfeeds:\n  - url: https://example.com/feed.xml\n"
    )
    allowed = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                             timeout=120, check=False)  # fmt: skip
    assert allowed.returncode == 0, allowed.stdout + allowed.stderr
    assert "articles: 3 new" in allowed.stdout


def hold_lease(index_path: Path, owner: str) -> None:
    index = SqliteIndex(index_path)
    now = datetime.now(UTC)
    taken, _ = index.acquire_lease(FEED_ID, owner, now=now, until=now + timedelta(minutes=15))
    assert taken
    index.close()


def test_a_feed_held_by_a_live_run_is_a_warning_and_exit_3(site: Path) -> None:
    hold_lease(site / "newswire.sqlite3", new_lease_owner())  # this test's process: alive

    done = run_newswire("run", "--no-site", "--site-dir", site, FEED, cwd=site.parent)

    assert done.returncode == 3, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert "1 skipped" in lines[0]
    assert lines[lines.index("warnings:") + 1].split() == [
        FEED_ID, "skipped:", "another", "run", "is", "ingesting", "it", "(try", "again", "when",
        "it", "ends)",
    ]  # fmt: skip
    assert "problems:" not in lines


def test_a_lease_whose_process_is_gone_is_taken_over_at_once(site: Path) -> None:
    # A run killed mid-feed: a real process that took the lease and is gone now.
    code = (
        "import sys; from datetime import *; from newswire.adapters.local import SqliteIndex;"
        "from newswire.leases import new_lease_owner; i = SqliteIndex(sys.argv[1]);"
        "n = datetime.now(UTC); print(i.acquire_lease(sys.argv[2], new_lease_owner(), now=n,"
        " until=n + timedelta(minutes=15))[0])"
    )
    held = subprocess.run([sys.executable, "-c", code, str(site / "newswire.sqlite3"), FEED_ID],
                          capture_output=True, text=True, check=True)  # fmt: skip
    assert held.stdout.strip() == "True"

    done = run_newswire("run", "--no-site", "--site-dir", site, FEED, cwd=site.parent)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 skipped" in done.stdout.splitlines()[0]


def test_lease_owners_name_their_host_and_process() -> None:
    owner = new_lease_owner()
    parsed = parse_lease_owner(owner)
    assert parsed is not None and parsed.pid == os.getpid()
    assert not holder_is_gone(owner)
    assert not holder_is_gone(uuid.uuid4().hex)  # the old form: never taken over early
    assert not holder_is_gone(f"another-host.example/1/{uuid.uuid4().hex}")


def test_aws_backend_list_errors_and_filters(tmp_path: Path, moto_server: MotoServer) -> None:
    suffix = uuid.uuid4().hex[:8]
    bucket = table = f"newswire-errors-{suffix}"
    moto_server.client("s3").create_bucket(Bucket=bucket)
    create_index_table(moto_server.client("dynamodb"), table)
    aws = ("--bucket", bucket, "--table", table, "--endpoint-url", moto_server.endpoint_url)

    empty = run_newswire("list", *aws, cwd=tmp_path)
    assert empty.stdout.strip() == "no articles in the index yet (run `newswire run` first)"
    run = run_newswire("run", "-q", *aws, FEED, cwd=tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    feed = run_newswire("list", *aws, "--feed", "nope", cwd=tmp_path)
    assert feed.stdout.strip() == "no articles of feed 'nope' (`newswire feeds` lists the feeds)"
    since = run_newswire("list", *aws, "--since", "7d", cwd=tmp_path)
    assert since.stdout.startswith("no articles since ")
    bad = run_newswire("list", *aws, "--limit", "0", cwd=tmp_path)
    assert "must be 1 or more" in one_line_error(bad, 2)
    status, stderr = closed_early("list", "--json", *aws, cwd=tmp_path)
    assert (status, stderr) == (141, "")
    assert not (tmp_path / "site").exists()


def test_every_command_shows_an_example_in_its_help(tmp_path: Path) -> None:
    commands = ["run", "list", "feeds", "reindex", "redrive", "site", "serve"]
    for command in commands:
        done = run_newswire(command, "--help", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert (
            "example" in done.stdout and f"newswire {command}" in done.stdout.split("example", 1)[1]
        ), command
    top = run_newswire("--help", cwd=tmp_path)
    assert "exit status:" in top.stdout and "  3  a feed was skipped" in top.stdout


def test_serve_port_is_the_port_in_the_links(site: Path) -> None:
    built = run_newswire("site", "--full", "--site-dir", site, cwd=site.parent)
    assert built.returncode == 0, built.stderr
    assert b"http://127.0.0.1:8000/" in (site / "index.html").read_bytes()
    server = make_server(site, 0, quiet=True)
    port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        for path in ("", "feed.xml", "sitemap.xml"):
            with opener.open(f"http://127.0.0.1:{port}/{path}", timeout=5) as response:
                body = response.read()
                assert int(response.headers["Content-Length"]) == len(body)
            assert f"http://127.0.0.1:{port}/".encode() in body, path
            assert b"127.0.0.1:8000" not in body, path
    finally:
        server.shutdown()
        server.server_close()
    assert b"http://127.0.0.1:8000/" in (site / "index.html").read_bytes()  # nothing rewritten
