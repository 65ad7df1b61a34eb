"""The Lambda functions' environment is read once, into bootstrap.Settings: every variable
newswire reads is a field, and the feeds-config cache is keyed by the whole settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire import service
from newswire.bootstrap import DEFAULT_CONFIG, Settings
from newswire.config import Config
from newswire.site.options import SiteOptions

REPO = Path(__file__).resolve().parents[2]
BASE = {"CONTENT_BUCKET": "content", "INDEX_TABLE": "index"}


def test_every_variable_is_read_into_a_typed_field() -> None:
    settings = Settings.from_env({
        **BASE,
        "AWS_ENDPOINT_URL": "http://localhost:4566",
        "FETCH_WORKERS": "7",
        "LEASE_SECONDS": "300",
        "FEEDS_CONFIG": "/var/task/feeds.yaml",
        "FEEDS_CONFIG_KEY": "config/feeds.yaml",
        "FEEDS_QUEUE_URL": "https://sqs.example/123/feeds",
        "INLINE_FEEDS_BELOW": "5",
        "SITE_URL": " https://news.example.org/ ",
        "SITE_TITLE": "Harbour news",
        "SITE_DESCRIPTION": "What the harbour reads",
        "SITE_LANGUAGE": "uk",
        "SITE_REMOTE_IMAGES": "true",
    })  # fmt: skip
    assert (settings.bucket, settings.table) == ("content", "index")
    assert settings.endpoint_url == "http://localhost:4566"
    assert (settings.workers, settings.lease_seconds) == (7, 300.0)
    assert (settings.feeds_config, settings.feeds_config_key) == (
        "/var/task/feeds.yaml",
        "config/feeds.yaml",
    )
    assert (settings.queue_url, settings.inline_below) == ("https://sqs.example/123/feeds", 5)
    assert settings.site_url == "https://news.example.org/"
    assert settings.site == SiteOptions(
        title="Harbour news", description="What the harbour reads", language="uk",
        remote_images=True,
    )  # fmt: skip
    assert settings.allow_local is False


def test_the_allow_list_is_read_with_the_rest() -> None:
    env = {**BASE, "NEWSWIRE_ALLOW_HOSTS": " 10.0.0.0/8 , feeds.internal,,"}
    assert Settings.from_env(env).allow_hosts == ("10.0.0.0/8", "feeds.internal")
    assert Settings.from_env(BASE).allow_hosts == ()


def test_the_command_line_adds_the_environment_to_its_options() -> None:
    env = {
        "NEWSWIRE_ALLOW_HOSTS": "10.0.0.0/8",
        "SITE_URL": " https://news.example.org/ ",
        "SITE_TITLE": "Harbour news",
    }
    settings = Settings.for_cli(env, site_dir=Path("elsewhere"), allow_hosts=("127.0.0.1",))
    assert settings.site_dir == Path("elsewhere")
    assert settings.allow_hosts == ("10.0.0.0/8", "127.0.0.1")
    assert settings.site_url == "https://news.example.org/"
    assert settings.site == SiteOptions(title="Harbour news")
    bare = Settings.for_cli({})
    assert (bare.allow_hosts, bare.site_url, bare.site) == ((), None, SiteOptions())


def test_the_environment_is_read_in_one_place() -> None:
    """bootstrap.py reads it; every other module is handed Settings (or a mapping)."""
    readers = sorted(
        str(path.relative_to(REPO))
        for top in ("layers", "functions")
        for path in (REPO / top).rglob("*.py")
        if "os.environ" in path.read_text(encoding="utf-8")
        or "getenv" in path.read_text(encoding="utf-8")
    )
    assert readers == ["layers/newswire/newswire/bootstrap.py"]


def test_unset_and_empty_variables_give_the_defaults() -> None:
    settings = Settings.from_env({**BASE, "FEEDS_CONFIG_KEY": "", "SITE_URL": "  "})
    assert settings.feeds_config == DEFAULT_CONFIG
    assert settings.feeds_config_key is None and settings.queue_url is None
    assert settings.site_url is None and settings.site == SiteOptions()
    assert (settings.workers, settings.lease_seconds, settings.inline_below) == (32, 900.0, 20)


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[Settings]:
    seen: list[Settings] = []

    def load(settings: Settings) -> Config:
        seen.append(settings)
        return Config(feeds=())

    monkeypatch.setattr(service, "load_lambda_config", load)
    monkeypatch.setattr(service, "_config_cache", {})
    return seen


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LEASE_SECONDS", "60"),
        ("SITE_URL", "https://other.example.org/"),
        ("INLINE_FEEDS_BELOW", "3"),
        ("FEEDS_QUEUE_URL", "https://sqs.example/123/other"),
        ("FETCH_WORKERS", "4"),
        ("FEEDS_CONFIG_KEY", "config/other.yaml"),
        ("NEWSWIRE_ALLOW_HOSTS", "10.0.0.0/8"),
    ],
)
def test_the_config_cache_is_keyed_by_every_setting(
    loads: list[Settings], tmp_path: Path, name: str, value: str
) -> None:
    env = {**BASE, "FEEDS_CONFIG": str(tmp_path / "feeds.yaml")}
    first, _ = service._lambda_settings(env)
    again, _ = service._lambda_settings(dict(env))
    assert again == first and len(loads) == 1, "an unchanged environment reads the config once"
    changed, _ = service._lambda_settings({**env, name: value})
    assert len(loads) == 2, f"{name} changed but the cached settings were reused"
    assert changed != first
