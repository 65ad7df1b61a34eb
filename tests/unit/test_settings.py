"""The Lambda functions' environment is read once, into bootstrap.Settings: every variable
newswire reads is a field, and the feeds-config cache is keyed by the whole settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from newswire import service
from newswire.bootstrap import DEFAULT_CONFIG, Settings
from newswire.config import Config
from newswire.site.options import SiteOptions

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
