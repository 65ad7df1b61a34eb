"""The composition root: the one place that picks concrete adapters for the ports, and the one
place that reads the process environment (into Settings: Settings.from_env for the Lambda
functions, Settings.for_cli for the command line; and the handlers' tracing switch)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from newswire.enrich import EnrichOptions
from newswire.fetch import Fetcher, FetchLimits
from newswire.ingest import Ingestor
from newswire.netguard import ALLOW_ENV, AddressPolicy
from newswire.ports import ArticleIndex, ContentStore, FeedQueue
from newswire.site.options import SiteOptions
from newswire.tracing import tracing_enabled

if TYPE_CHECKING:
    from newswire.adapters.sqs import SqsFeedQueue

INDEX_FILE = "newswire.sqlite3"
DEFAULT_CONFIG = "/opt/newswire/feeds.yaml"
"""Where the Lambda layer puts the bundled feeds.yaml."""


def _environ(env: Mapping[str, str] | None) -> Mapping[str, str]:
    # The one place newswire reads the process environment: everything else is handed the
    # values (Settings), or a mapping, which tests give instead.
    return os.environ if env is None else env


def env_allow_hosts(env: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """NEWSWIRE_ALLOW_HOSTS: host names and CIDR ranges feeds may be fetched from besides public
    addresses (comma-separated)."""
    return tuple(h.strip() for h in _environ(env).get(ALLOW_ENV, "").split(",") if h.strip())


def tracing_on(env: Mapping[str, str] | None = None) -> bool:
    """Whether the handlers trace (Powertools' own variables), read when a handler is imported."""
    return tracing_enabled(_environ(env))


@dataclass(frozen=True)
class Settings:
    """Where to store, and how to fetch. `bucket` and `table` set choose the AWS backend."""

    site_dir: Path = Path("site")
    bucket: str | None = None
    table: str | None = None
    endpoint_url: str | None = None
    region: str | None = None
    workers: int = 32
    lease_seconds: float = 900.0
    allow_local: bool = False
    allow_hosts: tuple[str, ...] = field(default_factory=env_allow_hosts)
    """Hosts and CIDR ranges allowed besides public addresses (default: NEWSWIRE_ALLOW_HOSTS)."""
    enrich: EnrichOptions = field(default_factory=EnrichOptions)
    limits: FetchLimits = field(default_factory=FetchLimits)
    feeds_config: str = DEFAULT_CONFIG
    """The feeds file, unless `feeds_config_key` names one in the bucket."""
    feeds_config_key: str | None = None
    queue_url: str | None = None
    """The feeds queue of the Lambda's fan-out: none, every due feed is ingested inline."""
    inline_below: int = 20
    """Fewer due feeds than this are ingested inline even when there is a queue."""
    site_url: str | None = None
    """The site's public URL: the Lambda functions update the site only when it is set."""
    site_queue_url: str | None = None
    """The site function's queue: a run sends its site plan there instead of building."""
    site: SiteOptions = field(default_factory=SiteOptions)

    @property
    def uses_aws(self) -> bool:
        return bool(self.bucket or self.table)

    def describe(self) -> str:
        if self.uses_aws:
            where = f" at {self.endpoint_url}" if self.endpoint_url else ""
            return f"s3://{self.bucket}/content and DynamoDB table {self.table}{where}"
        return f"{self.site_dir / 'content'} and {self.site_dir / INDEX_FILE}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Settings:
        """Settings of the Lambda functions, from the variables template.yaml sets: every
        variable newswire reads, so that equal environments give equal (hashable) settings."""
        env = _environ(env)
        return cls(
            bucket=env["CONTENT_BUCKET"],
            table=env["INDEX_TABLE"],
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            workers=int(env.get("FETCH_WORKERS", "32")),
            # A lease must outlive the function that holds it: the function's timeout.
            lease_seconds=float(env.get("LEASE_SECONDS", "900")),
            allow_local=False,
            allow_hosts=env_allow_hosts(env),
            feeds_config=env.get("FEEDS_CONFIG", DEFAULT_CONFIG),
            feeds_config_key=env.get("FEEDS_CONFIG_KEY") or None,
            queue_url=env.get("FEEDS_QUEUE_URL") or None,
            inline_below=int(env.get("INLINE_FEEDS_BELOW", "20")),
            site_url=env.get("SITE_URL", "").strip() or None,
            site_queue_url=env.get("SITE_QUEUE_URL") or None,
            site=SiteOptions.from_env(env),
        )

    @classmethod
    def for_cli(cls, env: Mapping[str, str] | None = None, **fields: Any) -> Settings:
        """Settings of a command: `fields` from its options, plus what the environment adds
        (SITE_URL, SITE_*, and NEWSWIRE_ALLOW_HOSTS besides the hosts the options allow)."""
        env = _environ(env)
        hosts = (*env_allow_hosts(env), *fields.pop("allow_hosts", ()))
        return cls(
            site_url=env.get("SITE_URL", "").strip() or None,
            site=SiteOptions.from_env(env),
            allow_hosts=hosts,
            **fields,
        )


def aws_client(service: Literal["s3", "dynamodb", "sqs"], settings: Settings) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        retries={"mode": "standard", "max_attempts": 5},
        max_pool_connections=max(10, settings.workers * 2),
        connect_timeout=5,
        read_timeout=20,
    )
    return boto3.client(
        service, endpoint_url=settings.endpoint_url, region_name=settings.region, config=config
    )


def build_store(settings: Settings) -> ContentStore:
    if settings.uses_aws:
        from newswire.adapters.s3 import S3Store

        if not settings.bucket:
            raise ValueError("the AWS backend needs both a bucket and a table")
        return S3Store(aws_client("s3", settings), settings.bucket)
    from newswire.adapters.local import DirectoryStore

    return DirectoryStore(settings.site_dir)


def build_index(settings: Settings) -> ArticleIndex:
    if settings.uses_aws:
        from newswire.adapters.dynamodb import DynamoIndex

        if not settings.table:
            raise ValueError("the AWS backend needs both a bucket and a table")
        return DynamoIndex(aws_client("dynamodb", settings), settings.table)
    from newswire.adapters.local import SqliteIndex

    return SqliteIndex(settings.site_dir / INDEX_FILE)


def build_feed_queue(settings: Settings, queue_url: str) -> SqsFeedQueue:
    """The queue of the Lambda's fan-out (the dispatcher's FeedQueue; `newswire redrive`)."""
    from newswire.adapters.sqs import SqsFeedQueue

    return SqsFeedQueue(aws_client("sqs", settings), queue_url)


def build_site_queue(settings: Settings) -> FeedQueue | None:
    """Where the Lambda runs send their site plans (the same sender: bodies in batches)."""
    return build_feed_queue(settings, settings.site_queue_url) if settings.site_queue_url else None


def build_fetcher(settings: Settings) -> Fetcher:
    return Fetcher(
        settings.limits,
        allow_local=settings.allow_local,
        policy=AddressPolicy(settings.allow_hosts),
    )


def build_ingestor(settings: Settings) -> Ingestor:
    return Ingestor(
        fetcher=build_fetcher(settings),
        store=build_store(settings),
        index=build_index(settings),
        workers=settings.workers,
        enrich=settings.enrich,
        lease_seconds=settings.lease_seconds,
        local_writes=not settings.uses_aws,
    )
