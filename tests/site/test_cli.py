"""The site from the command line: `run` updates it, `site --full` rebuilds it, `serve` shows it."""

from __future__ import annotations

import json
import os
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import DATA, fake_aws_environment, newswire_command, run_newswire

pytestmark = pytest.mark.e2e

FEED = DATA / "google-news-world.xml"


def test_run_updates_the_site_and_site_full_finds_it_complete(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = run_newswire("run", "--site-dir", site, "--section", "world", FEED, cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[1] == "articles: 3 new, 0 updated, 0 unchanged"
    assert lines[-2].startswith("site: ") and lines[-2].endswith(" written, 0 unchanged page(s)")
    assert lines[-1].startswith("stored in ")
    assert (site / "index.html").is_file() and (site / "feed.xml").is_file()
    home = (site / "index.html").read_text("utf-8")
    assert '<a href="http://127.0.0.1:8000/' not in home  # links between pages are relative
    assert '<link rel="canonical" href="http://127.0.0.1:8000/">' in home

    rebuilt = run_newswire("site", "--full", "--site-dir", site, cwd=tmp_path)
    assert rebuilt.returncode == 0, rebuilt.stdout + rebuilt.stderr
    assert rebuilt.stdout.startswith("site: 0 written, "), rebuilt.stdout

    again = run_newswire("run", "--json", "--site-dir", site, "--section", "world", FEED,
                         cwd=tmp_path)  # fmt: skip
    assert again.returncode == 0, again.stdout + again.stderr
    assert json.loads(again.stdout)["site"] == {
        "written": 0, "deleted": 0, "unchanged": 0, "bytes_written": 0, "failed": [], "seconds": 0.0
    }  # fmt: skip


def test_run_without_the_site(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = run_newswire("run", "--no-site", "--site-dir", site, FEED, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert not any(line.startswith("site:") for line in done.stdout.splitlines())
    assert not (site / "index.html").exists()


def test_a_site_on_s3_needs_its_public_url(tmp_path: Path) -> None:
    done = run_newswire("site", "--bucket", "b", "--table", "t", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "newswire: error: give the site's public URL: --base-url https://... (or SITE_URL)"
    )
    bad = run_newswire("site", "--base-url", "ftp://x/", "--site-dir", tmp_path, cwd=tmp_path)
    assert bad.returncode == 2 and "absolute http(s) URL" in bad.stderr


def test_serve_shows_the_site_on_loopback(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = run_newswire("run", "--site-dir", site, FEED, cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    env = fake_aws_environment(dict(os.environ))
    server = subprocess.Popen(
        [*newswire_command(), "serve", "--site-dir", str(site), "--port", "0"],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith(f"serving {site} at http://127.0.0.1:"), line
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(url, timeout=5) as response:
            assert response.status == 200
            served = (
                (site / "index.html").read_bytes().replace(b"http://127.0.0.1:8000/", url.encode())
            )
            assert response.read() == served
    finally:
        server.terminate()
        server.wait(timeout=10)
