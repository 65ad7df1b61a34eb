"""The site build at the end of the scheduled Lambda run (service.run_scheduled, inline path):
built when SITE_URL is set and the run changed something; a failure never fails the run."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from newswire import service
from newswire.ingest import Ingestor
from newswire.models import RunSummary, Taxonomy
from newswire.ports import StorageError
from newswire.site import hook
from tests.site.helpers import DATA, ingestor

SITE_URL = "https://news.example.org/"


@pytest.fixture
def lambda_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, Ingestor, dict[str, str]]:
    """run_scheduled with the embedded backend in place of S3 and DynamoDB (the wiring under
    test is the same), and a feeds file of the fixture feeds."""
    root = tmp_path / "site"
    embedded = ingestor(root)
    monkeypatch.setattr(service, "_ingestor", lambda settings: embedded)
    config = tmp_path / "feeds.yaml"
    config.write_text(
        "feeds:\n"
        f"  - {{url: '{DATA / 'rss-basic.xml'}', name: harbour, section: local}}\n"
        f"  - {{url: '{DATA / 'google-news-world.xml'}', name: world, section: world}}\n",
        encoding="utf-8",
    )
    env = {"CONTENT_BUCKET": "bucket", "INDEX_TABLE": "table", "FEEDS_CONFIG": str(config)}
    return root, embedded, env


def run(env: dict[str, str]) -> RunSummary:
    summary = service.run_scheduled({}, env=env, seconds_left=lambda: 600.0)
    assert isinstance(summary, RunSummary)
    assert summary.counts["failed"] == 0, summary.as_dict()
    return summary


def test_the_inline_run_updates_the_site(
    lambda_run: tuple[Path, Ingestor, dict[str, str]], caplog: pytest.LogCaptureFixture
) -> None:
    root, _, env = lambda_run
    caplog.set_level(logging.INFO, logger="newswire.site")

    summary = run({**env, "SITE_URL": SITE_URL, "SITE_TITLE": "Harbour & World"})

    assert summary.counts["new"] == 6
    home = (root / "index.html").read_text("utf-8")
    assert f'<link rel="canonical" href="{SITE_URL}">' in home
    assert "<title>Harbour &amp; World</title>" in home
    assert (root / "feed.json").is_file() and (root / "sitemap.xml").is_file()
    [updated] = [r for r in caplog.records if r.getMessage() == "site updated"]
    assert updated.__dict__["written"] > 0

    caplog.clear()
    run({**env, "SITE_URL": SITE_URL})  # nothing changed: nothing to build
    assert [r for r in caplog.records if r.getMessage().startswith("site")] == []


def test_without_site_url_no_site_is_built(
    lambda_run: tuple[Path, Ingestor, dict[str, str]],
) -> None:
    root, _, env = lambda_run
    run(env)
    assert (root / "content").is_dir()
    assert not (root / "index.html").exists()


def test_a_failed_build_is_logged_and_the_run_still_reports(
    lambda_run: tuple[Path, Ingestor, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, embedded, env = lambda_run

    def unavailable(taxonomy: Taxonomy, term: str, *, limit: int) -> list[object]:
        raise StorageError("listing by term is not available")

    monkeypatch.setattr(embedded.index, "by_term", unavailable)

    summary = run({**env, "SITE_URL": SITE_URL})

    assert summary.counts["new"] == 6
    [failed] = [r for r in caplog.records if r.getMessage() == "site not updated"]
    assert "listing by term is not available" in failed.__dict__["error"]


def test_no_build_without_time_for_it(
    lambda_run: tuple[Path, Ingestor, dict[str, str]],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    root, _, env = lambda_run
    monkeypatch.setattr(hook, "SITE_SECONDS_NEEDED", 601.0)  # the run leaves 600 s
    summary = run({**env, "SITE_URL": SITE_URL})
    assert summary.counts["new"] == 6
    assert any(r.getMessage() == "site not updated: out of time" for r in caplog.records)
    assert not (root / "index.html").exists()
