"""The composition root: the one place that picks concrete adapters for the ports."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from newswire.enrich import EnrichOptions
from newswire.fetch import Fetcher, FetchLimits
from newswire.ingest import Ingestor
from newswire.netguard import AddressPolicy
from newswire.ports import ArticleIndex, ContentStore

INDEX_FILE = "newswire.sqlite3"


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
    allow_hosts: tuple[str, ...] = ()
    enrich: EnrichOptions = field(default_factory=EnrichOptions)
    limits: FetchLimits = field(default_factory=FetchLimits)

    @property
    def uses_aws(self) -> bool:
        return bool(self.bucket or self.table)

    def describe(self) -> str:
        if self.uses_aws:
            where = f" at {self.endpoint_url}" if self.endpoint_url else ""
            return f"s3://{self.bucket}/content and DynamoDB table {self.table}{where}"
        return f"{self.site_dir / 'content'} and {self.site_dir / INDEX_FILE}"

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> Settings:
        """Settings of the Lambda functions, from the variables template.yaml sets."""
        return cls(
            bucket=env["CONTENT_BUCKET"],
            table=env["INDEX_TABLE"],
            endpoint_url=env.get("AWS_ENDPOINT_URL") or None,
            workers=int(env.get("FETCH_WORKERS", "32")),
            # A lease must outlive the function that holds it: the function's timeout.
            lease_seconds=float(env.get("LEASE_SECONDS", "900")),
            allow_local=False,
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


def build_ingestor(settings: Settings) -> Ingestor:
    return Ingestor(
        fetcher=Fetcher(
            settings.limits,
            allow_local=settings.allow_local,
            policy=AddressPolicy.from_env(settings.allow_hosts),
        ),
        store=build_store(settings),
        index=build_index(settings),
        workers=settings.workers,
        enrich=settings.enrich,
        lease_seconds=settings.lease_seconds,
    )
