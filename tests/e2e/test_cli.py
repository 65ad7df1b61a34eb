"""The `newswire` command as a user runs it: a subprocess, on both backends."""

from __future__ import annotations

import json
import re
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest

from newswire.render import parse_markdown
from tests.conftest import DATA, MotoServer, create_index_table, run_newswire

pytestmark = pytest.mark.e2e

GOOGLE_NEWS = DATA / "google-news-world.xml"
# The fixture's three items, newest first.
TITLES_NEWEST_FIRST = [
    "Russia-Ukraine war: List of key events, day 1,407",
    "War update: 131 clashes on front line, most attacks take place in Pokrovsk sector",
    "45 combat engagements on the front: the enemy launched two heavy assaults in the area of "
    "the Antonivskyi Bridge",
]
SECTION_INDEX = "content/news/_index.md"
KEYS = {
    "content/news/2026/01/russia-ukraine-war-list-of-key-events-day-1407.md",
    "content/news/2026/01/"
    "war-update-131-clashes-on-front-line-most-attacks-take-place-in-pokrovsk-sector.md",
    "content/news/2025/12/"
    "45-combat-engagements-on-the-front-the-enemy-launched-two-heavy-assaults-in-the.md",
}


def newswire(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_newswire(*args, cwd=cwd)


def list_json(*args: str | Path, cwd: Path) -> list[dict[str, Any]]:
    done = newswire("list", "--json", *args, cwd=cwd)
    assert done.returncode == 0, done.stderr
    records = json.loads(done.stdout)
    assert isinstance(records, list)
    return records


def markdown_files(site: Path) -> dict[str, bytes]:
    """The articles' Markdown files (a section's Hugo `_index.md` aside)."""
    return {
        p.relative_to(site).as_posix(): p.read_bytes()
        for p in (site / "content").rglob("*.md")
        if p.name != "_index.md"
    }


SUMMARY_LINE = re.compile(
    r"^newswire: 1 feed\(s\) in \d+\.\d s: (\d+) fetched, (\d+) not modified, 0 skipped, "
    r"(\d+) failed$"
)


def test_run_ingests_a_local_file_and_prints_the_summary(tmp_path: Path) -> None:
    site = tmp_path / "site"

    done = newswire("run", "--site-dir", site, GOOGLE_NEWS, cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stdout.splitlines()
    match = SUMMARY_LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match.groups() == ("1", "0", "0")
    assert lines[1] == "articles: 3 new, 0 updated, 0 unchanged"
    assert lines[-1] == f"stored in {site / 'content'} and {site / 'newswire.sqlite3'}"
    files = markdown_files(site)
    assert set(files) == KEYS
    assert (site / SECTION_INDEX).read_bytes() == b"---\ntitle: News\n---\n"  # for Hugo
    titles = {parse_markdown(body)[0]["title"] for body in files.values()}
    assert titles == set(TITLES_NEWEST_FIRST)
    assert (site / "newswire.sqlite3").is_file()


def test_language_option_sets_the_language_of_command_line_feeds(tmp_path: Path) -> None:
    """The fixture declares en-US: --language overrides it, as a feed's configuration does."""
    site = tmp_path / "site"

    done = newswire(
        "run", "--no-site", "--site-dir", site, "--language", "de-AT", GOOGLE_NEWS, cwd=tmp_path
    )
    bad = newswire(
        "run", "--no-site", "--site-dir", site, "--language", "x", GOOGLE_NEWS, cwd=tmp_path
    )

    assert done.returncode == 0, done.stdout + done.stderr
    languages = {parse_markdown(body)[0]["language"] for body in markdown_files(site).values()}
    assert languages == {"de"}
    assert bad.returncode == 2
    assert "'x' is not a language tag" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_second_run_reports_nothing_new_and_writes_nothing(tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = newswire("run", "--site-dir", site, GOOGLE_NEWS, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    before = {p: p.stat().st_mtime_ns for p in (site / "content").rglob("*.md")}
    files_before = markdown_files(site)

    done = newswire("run", "--site-dir", site, GOOGLE_NEWS, cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    match = SUMMARY_LINE.match(done.stdout.splitlines()[0])
    assert match is not None and match.groups() == ("0", "1", "0"), done.stdout + done.stderr
    assert done.stdout.splitlines()[1] == "articles: 0 new, 0 updated, 0 unchanged"
    assert markdown_files(site) == files_before
    assert {p: p.stat().st_mtime_ns for p in before} == before

    as_json = newswire("run", "--json", "--site-dir", site, GOOGLE_NEWS, cwd=tmp_path)
    assert as_json.returncode == 0, as_json.stdout + as_json.stderr
    summary = json.loads(as_json.stdout)
    assert summary["feeds"] == {"fetched": 0, "not_modified": 1, "failed": 0, "skipped": 0}
    assert summary["articles"] == {
        "new": 0,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
        "skipped": 0,
        "filtered": 0,
    }
    assert summary["errors"] == []


def test_list_shows_the_articles_newest_first_with_filters(tmp_path: Path) -> None:
    site = tmp_path / "site"
    first = newswire("run", "--site-dir", site, GOOGLE_NEWS, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr

    records = list_json("--site-dir", site, cwd=tmp_path)
    assert [r["title"] for r in records] == TITLES_NEWEST_FIRST
    assert {r["key"] for r in records} == KEYS
    assert all(r["feeds"] == ["google-news-world"] for r in records)
    assert [r["publisher"] for r in records] == [
        "Al Jazeera",
        "Ukrinform",
        "Українські Національні Новини",
    ]
    published = [r["published"] for r in records]
    assert published == sorted(published, reverse=True)

    limited = list_json("--site-dir", site, "--limit", "2", cwd=tmp_path)
    assert [r["title"] for r in limited] == TITLES_NEWEST_FIRST[:2]
    one_feed = list_json("--site-dir", site, "--feed", "google-news-world", cwd=tmp_path)
    assert [r["title"] for r in one_feed] == TITLES_NEWEST_FIRST
    assert list_json("--site-dir", site, "--feed", "another-feed", cwd=tmp_path) == []
    since = list_json("--site-dir", site, "--since", "2026-01-01", cwd=tmp_path)
    assert [r["title"] for r in since] == TITLES_NEWEST_FIRST[:2]
    exact = list_json("--site-dir", site, "--since", "2026-01-01T08:14:00+00:00", cwd=tmp_path)
    assert [r["title"] for r in exact] == TITLES_NEWEST_FIRST[:1]  # `since` is inclusive

    text = newswire("list", "--site-dir", site, cwd=tmp_path)
    assert text.returncode == 0, text.stderr
    positions = [text.stdout.index(title) for title in TITLES_NEWEST_FIRST]
    assert positions == sorted(positions)


def test_a_missing_feed_file_is_one_clean_error(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-feed.xml"

    done = newswire("run", "--site-dir", tmp_path / "site", missing, cwd=tmp_path)

    assert done.returncode == 1
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    mentions = [line for line in output.splitlines() if str(missing) in line]
    assert len(mentions) == 1, output
    assert "No such file or directory" in mentions[0]
    assert "1 failed" in done.stdout.splitlines()[0]


def test_a_missing_config_is_one_clean_error(tmp_path: Path) -> None:
    done = newswire("run", "--site-dir", tmp_path / "site", "-c", "absent.yaml", cwd=tmp_path)

    assert done.returncode == 2  # a configuration error, as `newswire --help` documents
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "newswire: error: absent.yaml: cannot read the feeds file (No such file or directory)"
    ]
    assert not (tmp_path / "site" / "content").exists()


def test_aws_backend_against_moto_server(tmp_path: Path, moto_server: MotoServer) -> None:
    suffix = uuid.uuid4().hex[:8]
    bucket, table = f"newswire-e2e-{suffix}", f"newswire-e2e-{suffix}"
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket=bucket)
    create_index_table(moto_server.client("dynamodb"), table)
    aws = ("--bucket", bucket, "--table", table, "--endpoint-url", moto_server.endpoint_url)

    done = newswire("run", *aws, GOOGLE_NEWS, cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[1] == "articles: 3 new, 0 updated, 0 unchanged"
    assert done.stdout.splitlines()[-1] == (
        f"stored in s3://{bucket}/content and DynamoDB table {table} at {moto_server.endpoint_url}"
    )
    listed = s3.list_objects_v2(Bucket=bucket)
    assert {o["Key"] for o in listed["Contents"]} == {*KEYS, SECTION_INDEX}
    for key in KEYS:
        obj = s3.get_object(Bucket=bucket, Key=key)
        assert obj["ContentType"] == "text/markdown; charset=utf-8"
        meta, _ = parse_markdown(obj["Body"].read())
        assert meta["title"] in TITLES_NEWEST_FIRST
    assert not (tmp_path / "site").exists(), "the embedded backend was not touched"

    records = list_json(*aws, cwd=tmp_path)
    assert [r["title"] for r in records] == TITLES_NEWEST_FIRST
    assert {r["key"] for r in records} == KEYS
    limited = list_json(*aws, "--limit", "1", "--since", "2026-01-01", cwd=tmp_path)
    assert [r["title"] for r in limited] == TITLES_NEWEST_FIRST[:1]

    again = newswire("run", *aws, GOOGLE_NEWS, cwd=tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.stdout.splitlines()[1] == "articles: 0 new, 0 updated, 0 unchanged"


def test_aws_backend_needs_both_bucket_and_table(tmp_path: Path) -> None:
    done = newswire("list", "--bucket", "only-a-bucket", cwd=tmp_path)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "newswire: error: give both --bucket and --table for the AWS backend, or neither"
    ]
