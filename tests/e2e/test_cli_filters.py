"""Filters from the command line, on both backends: excluded items never reach the index, the
Markdown or the site, and the run summary counts them."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from newswire.sections import is_section_index
from tests.conftest import DATA, MotoServer, create_index_table, run_newswire

pytestmark = pytest.mark.e2e

FEED = DATA / "google-news-world.xml"
EXCLUDED_SLUG = "war-update-131-clashes"


def write_config(tmp_path: Path) -> Path:
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "defaults:\n"
        "  exclude: ['(?i)POKROVSK']       # case-insensitive, against the title\n"
        "feeds:\n"
        f"  - url: {FEED}\n"
        "    name: world\n"
        "    exclude: {publisher: ['^Українські']}\n",
        encoding="utf-8",
    )
    return config


def test_filters_keep_items_out_of_the_index_and_the_site(tmp_path: Path) -> None:
    config, site = write_config(tmp_path), tmp_path / "site"

    done = run_newswire("run", "-c", config, "--site-dir", site, cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[1] == "articles: 1 new, 0 updated, 0 unchanged, 2 filtered out"
    listed = json.loads(run_newswire("list", "--json", "--site-dir", site, cwd=tmp_path).stdout)
    assert [r["publisher"] for r in listed] == ["Al Jazeera"]
    pages = [
        p.read_text(encoding="utf-8")
        for p in (site / "content").rglob("*.md")
        if p.name != "_index.md"  # the section's own page for Hugo
    ]
    assert len(pages) == 1 and "Al Jazeera" in pages[0]
    built = "".join(
        p.read_text(encoding="utf-8") for p in site.rglob("*") if p.suffix in {".html", ".xml"}
    )
    # (The kept item's Google News summary quotes the others' titles: look for their pages.)
    assert "russia-ukraine-war-list-of-key-events" in built
    assert EXCLUDED_SLUG not in built and "45-combat-engagements" not in built
    # One article page (articles/<section>/<YYYY>/<MM>/<slug>/), besides its section's page.
    assert len(list((site / "articles").glob("*/*/*/*/index.html"))) == 1

    again = run_newswire("run", "--json", "-c", config, "--site-dir", site, cwd=tmp_path)
    # The feed's body is unchanged: nothing is parsed, so nothing is filtered again.
    assert json.loads(again.stdout)["articles"]["new"] == 0


def test_filters_on_the_aws_backend(tmp_path: Path, moto_server: MotoServer) -> None:
    suffix = uuid.uuid4().hex[:8]
    bucket = table = f"newswire-filters-{suffix}"
    s3 = moto_server.client("s3")
    s3.create_bucket(Bucket=bucket)
    create_index_table(moto_server.client("dynamodb"), table)
    aws = ("--bucket", bucket, "--table", table, "--endpoint-url", moto_server.endpoint_url)
    config = write_config(tmp_path)

    done = run_newswire("run", "--json", "-c", config, *aws, "--base-url", "https://n.example/",
                        cwd=tmp_path)  # fmt: skip

    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["articles"]["filtered"] == 2
    listed = json.loads(run_newswire("list", "--json", *aws, cwd=tmp_path).stdout)
    assert [r["publisher"] for r in listed] == ["Al Jazeera"]
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    assert len([k for k in keys if k.startswith("content/") and not is_section_index(k)]) == 1
    home = s3.get_object(Bucket=bucket, Key="index.html")["Body"].read().decode()
    assert "russia-ukraine-war-list-of-key-events" in home and EXCLUDED_SLUG not in home


def test_an_invalid_filter_is_a_one_line_config_error(tmp_path: Path) -> None:
    config = tmp_path / "feeds.yaml"
    config.write_text(f"feeds:\n  - url: {FEED}\n    name: world\n    include: ['(']\n")

    done = run_newswire("run", "-c", config, "--site-dir", tmp_path / "site", cwd=tmp_path)

    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().startswith(
        f"newswire: error: {config}: feed #1 (world): field 'include': invalid regular expression"
    )
    assert not (tmp_path / "site").exists()
