"""Storage for the hostile suite: the embedded backend and moto, behind one test-side view.

A Backend gives the ports to an Ingestor and lets a test look at what is really stored (every
object key, every index record, every slug claim) without going through the code under test.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from newswire.adapters.codec import record_from_dict
from newswire.adapters.dynamodb import DynamoIndex
from newswire.adapters.dynamodb_items import record_of
from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.adapters.s3 import S3Store
from newswire.models import IndexRecord
from newswire.ports import ArticleIndex, ContentStore
from newswire.sections import is_section_index
from tooling.cfn import create_index_table as create_table_from_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
REGION = "us-east-1"
BUCKET = "hostile-content"
TABLE = "hostile-index"


# --- the table schema, from template.yaml only ----------------------------------------------


def create_index_table(client: DynamoDBClient, name: str = TABLE) -> None:
    create_table_from_template(client, name)


# --- a clock the test moves -------------------------------------------------------------------


@dataclass
class Clock:
    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


class Sleeps:
    """Stands in for the `time` module of one library module: records sleeps, does not wait."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.delays.append(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


# --- spies: record calls, inject failures -----------------------------------------------------


class ProcessDied(BaseException):
    """Stands for the process being killed: not an Exception, so no `except Exception` in
    newswire can swallow it, exactly like a SIGKILL or a Lambda timeout."""


Hook = Callable[[int, tuple[Any, ...]], None]


class Spy:
    """Wraps an adapter: every method call is recorded, and hooks run before chosen methods
    (with the call's number, from 1, and its arguments) to fail it or to hold it back."""

    def __init__(
        self,
        target: object,
        *,
        journal: list[tuple[str, str, tuple[Any, ...]]] | None = None,
        label: str = "",
    ) -> None:
        self._target = target
        self._lock = threading.Lock()
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self._hooks: dict[str, list[Hook]] = {}
        self._journal, self._label = journal, label
        """A list shared by several spies, to see the order of calls across ports."""

    def before(self, method: str, hook: Hook) -> None:
        self._hooks.setdefault(method, []).append(hook)

    def fail(self, method: str, error: BaseException, *, on_call: int = 1) -> None:
        def hook(number: int, args: tuple[Any, ...]) -> None:
            if number == on_call:
                raise error

        self.before(method, hook)

    def count(self, method: str) -> int:
        with self._lock:
            return sum(1 for name, _ in self.calls if name == method)

    def writes(self) -> list[str]:
        """The names of the mutating calls made, in order."""
        mutating = {"put", "put_new", "add", "replace", "write_many"}
        with self._lock:
            return [name for name, _ in self.calls if name in mutating]

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            # A section's Hugo `_index.md` (written once, after the section's first article)
            # passes unrecorded and unhooked: these tests count and fail the articles' writes.
            # tests/integration/test_sections.py covers it.
            if args and isinstance(args[0], str) and is_section_index(args[0]):
                return attribute(*args, **kwargs)
            with self._lock:
                self.calls.append((name, args))
                number = sum(1 for called, _ in self.calls if called == name)
                if self._journal is not None:
                    self._journal.append((self._label, name, args))
            for hook in self._hooks.get(name, []):
                hook(number, args)
            return attribute(*args, **kwargs)

        return call

    @property
    def as_store(self) -> ContentStore:
        return cast("ContentStore", self)

    @property
    def as_index(self) -> ArticleIndex:
        return cast("ArticleIndex", self)


# --- backends -----------------------------------------------------------------------------------


@dataclass
class Backend:
    """One storage backend: fresh adapters for each "process", and a view of what is stored."""

    name: str
    make_store: Callable[[], ContentStore]
    make_index: Callable[[], ArticleIndex]
    object_keys: Callable[[], list[str]]
    """Every article's object key under content/, sorted (each section's Hugo `_index.md`
    aside: tests/integration/test_sections.py checks those)."""
    read: Callable[[str], bytes]
    records: Callable[[], dict[str, IndexRecord]]
    """Every article record, by article id."""
    claims: Callable[[], dict[str, str]]
    """Every slug claim `<section>/<slug>` → the article id that owns it."""
    closers: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> None:
        for close in self.closers:
            close()


def embedded_backend(root: Path) -> Backend:
    site = root / "site"
    database = site / "newswire.sqlite3"

    def make_index() -> ArticleIndex:
        index = SqliteIndex(database)
        backend.closers.append(index.close)
        return index

    def rows(sql: str) -> list[tuple[str, ...]]:
        with sqlite3.connect(database) as db:
            return list(db.execute(sql).fetchall())

    def keys() -> list[str]:
        content = site / "content"
        return (
            sorted(
                key
                for key in (p.relative_to(site).as_posix() for p in content.rglob("*"))
                if (site / key).is_file() and not is_section_index(key)
            )
            if content.exists()
            else []
        )

    backend = Backend(
        name="embedded",
        make_store=lambda: DirectoryStore(site),
        make_index=make_index,
        object_keys=keys,
        read=lambda key: (site / key).read_bytes(),
        records=lambda: {
            r.id: r
            for r in (record_from_dict(json.loads(d)) for (d,) in rows("SELECT data FROM articles"))
        },
        claims=lambda: {
            str(claim): str(owner) for claim, owner in rows("SELECT claim, owner FROM slug_claims")
        },
    )
    return backend


def _scan(client: DynamoDBClient, prefix: str, table: str = TABLE) -> Iterator[dict[str, Any]]:
    from boto3.dynamodb.types import TypeDeserializer

    deserializer = TypeDeserializer()
    for page in client.get_paginator("scan").paginate(
        TableName=table, ConsistentRead=True,
        FilterExpression="begins_with(pk, :p)", ExpressionAttributeValues={":p": {"S": prefix}},
    ):  # fmt: skip
        for item in page.get("Items", []):
            yield {k: deserializer.deserialize(v) for k, v in item.items()}


def aws_backend(
    make_s3: Callable[[], S3Client],
    make_dynamodb: Callable[[], DynamoDBClient],
    *,
    bucket: str = BUCKET,
    table: str = TABLE,
) -> Backend:
    """S3 and DynamoDB on moto (the caller holds `mock_aws` open, and made `bucket` and
    `table`). Each `make_*` call builds new clients, as a second Lambda instance would."""
    s3, dynamodb = make_s3(), make_dynamodb()

    def keys() -> list[str]:
        found: list[str] = []
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="content/"):
            found.extend(item["Key"] for item in page.get("Contents", []))
        return sorted(key for key in found if not is_section_index(key))

    return Backend(
        name="aws",
        make_store=lambda: S3Store(make_s3(), bucket),
        make_index=lambda: DynamoIndex(make_dynamodb(), table),
        object_keys=keys,
        read=lambda key: s3.get_object(Bucket=bucket, Key=key)["Body"].read(),
        records=lambda: {
            r.id: r for r in (record_of(item) for item in _scan(dynamodb, "A#", table))
        },
        claims=lambda: {
            str(item["pk"]).removeprefix("S#"): str(item["owner"])
            for item in _scan(dynamodb, "S#", table)
        },
    )
