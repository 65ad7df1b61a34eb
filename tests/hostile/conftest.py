"""Fixtures of the hostile suite (issue 3): real parts, on loopback only.

- `connects` (autouse) patches `socket.socket.connect`: every connection attempt is logged, and
  one to an address that is not loopback fails and fails the test, so a broken SSRF guard can
  never reach a real host from here.
- `server`: the hostile feed server on 127.0.0.1 (see server.py).
- `backend`: the embedded backend (directory + SQLite) and moto (S3 + DynamoDB, the table made
  from template.yaml), as one parametrized fixture; `embedded` and `aws` for one of them.
"""

from __future__ import annotations

import copy
import errno
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config

from newswire.fetch import Fetcher, FetchLimits
from newswire.ingest import Ingestor
from newswire.netguard import AddressPolicy
from newswire.ports import ArticleIndex, ContentStore
from tooling.awsenv import FAKE_CREDENTIALS
from tooling.awsenv import UNSAFE_VARIABLES as AWS_UNSAFE_VARIABLES

from .backends import (
    BUCKET,
    REGION,
    Backend,
    Clock,
    aws_backend,
    create_index_table,
    embedded_backend,
)
from .server import LOOPBACK, HostileServer

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

# Small limits: every hostile fetch ends in well under a second or two.
FAST = FetchLimits(
    connect_timeout=2.0, read_timeout=2.0, deadline=3.0, max_bytes=1024 * 1024, retries=1
)
LOOPBACK_ONLY = AddressPolicy([LOOPBACK])
UNSAFE_VARIABLES = ("NEWSWIRE_ALLOW_HOSTS", *AWS_UNSAFE_VARIABLES)
FAKE_AWS = FAKE_CREDENTIALS


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No allow-list, proxy or AWS endpoint leaks in from the shell; tests set what they need."""
    for name in UNSAFE_VARIABLES:
        monkeypatch.delenv(name, raising=False)


# --- nothing leaves loopback --------------------------------------------------------------------


def is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@dataclass
class ConnectLog:
    """Every TCP/UDP connect() the process attempted during one test."""

    attempts: list[tuple[str, int]] = field(default_factory=list)
    escaped: list[tuple[str, int]] = field(default_factory=list)

    def hosts(self) -> set[str]:
        return {host for host, _ in self.attempts}


@pytest.fixture(autouse=True)
def connects(monkeypatch: pytest.MonkeyPatch) -> Iterator[ConnectLog]:
    log = ConnectLog()
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def checked(address: Any) -> None:
        if not isinstance(address, tuple):
            return  # AF_UNIX
        host, port = str(address[0]), int(address[1])
        log.attempts.append((host, port))
        if not is_loopback(host):
            log.escaped.append((host, port))
            raise OSError(errno.ENETUNREACH, f"hostile suite: {host} is not loopback")

    def connect(self: socket.socket, address: Any) -> None:
        checked(address)
        real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        checked(address)
        return real_connect_ex(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield log
    assert not log.escaped, f"a connection left loopback: {log.escaped}"


# --- the feed server and the fetcher --------------------------------------------------------------


@pytest.fixture
def server() -> Iterator[HostileServer]:
    hostile = HostileServer()
    hostile.start()
    try:
        yield hostile
    finally:
        hostile.stop()


@pytest.fixture
def loopback_policy() -> AddressPolicy:
    """The test server's address, and nothing else, allowed."""
    return AddressPolicy([LOOPBACK])


@pytest.fixture
def fetcher(loopback_policy: AddressPolicy) -> Fetcher:
    return Fetcher(FAST, policy=loopback_policy)


@pytest.fixture
def clock() -> Clock:
    return Clock()


# --- storage ----------------------------------------------------------------------------------


class AwsClients:
    """Clients on the moto backend that `mock_aws` keeps open for the test. Making a boto3
    client costs ~0.1 s, so every test and adapter shares these two (boto3 clients are
    thread-safe; moto intercepts any client while a mock is active, and outside one the
    `connects` fixture stops a request at the socket); `new_s3` is for a test that hooks a
    client's events."""

    config = Config(retries={"mode": "standard", "max_attempts": 5})
    _shared: dict[str, Any] = {}  # noqa: RUF012 - a cache for the whole session, on purpose

    def __init__(self) -> None:
        if not self._shared:
            self._shared["s3"] = self.new_s3()
            self._shared["dynamodb"] = boto3.client(
                "dynamodb", region_name=REGION, config=self.config
            )
        self._s3: S3Client = self._shared["s3"]
        self._dynamodb: DynamoDBClient = self._shared["dynamodb"]

    def new_s3(self) -> S3Client:
        return boto3.client("s3", region_name=REGION, config=self.config)

    def s3(self) -> S3Client:
        return self._s3

    def dynamodb(self) -> DynamoDBClient:
        return self._dynamodb


@pytest.fixture
def aws_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws(aws_environment: None, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsClients]:
    """moto in-process, one request at a time. Real S3 and DynamoDB apply each request (a
    conditional put, a transaction) atomically; in-process moto does not (a failed transaction
    restores a deep copy of the table, undoing other threads' writes), so overlapping runs
    would test moto's races instead of newswire's. newswire's own threads still interleave
    freely between requests."""
    from moto import mock_aws
    from moto.core.botocore_stubber import BotocoreStubber

    one_at_a_time = threading.RLock()
    process_request = BotocoreStubber.process_request

    def serialized(self: BotocoreStubber, request: Any) -> Any:
        with one_at_a_time:
            return process_request(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", serialized)
    copy_each_table_once(monkeypatch)
    with mock_aws():
        clients = AwsClients()
        clients.s3().create_bucket(Bucket=BUCKET)
        create_index_table(clients.dynamodb())
        yield clients


class _OneCopyPerTable:
    """moto's transact_write_items deep-copies the whole table once per action, to restore it
    if the transaction fails: a 14-action transaction on a table of 2,000 items copies 28,000
    items. Within one call (requests are serialized, see `aws`) every copy of one table is the
    same copy, so it is made once; the rollback is unchanged."""

    def __init__(self) -> None:
        self.copies: dict[int, Any] = {}
        self.in_transaction = False

    def deepcopy(self, value: Any) -> Any:
        if not self.in_transaction:
            return copy.deepcopy(value)
        if id(value) not in self.copies:
            self.copies[id(value)] = (value, copy.deepcopy(value))
        return self.copies[id(value)][1]


def copy_each_table_once(monkeypatch: pytest.MonkeyPatch) -> None:
    from moto.dynamodb import models

    shim = _OneCopyPerTable()
    transact = models.DynamoDBBackend.transact_write_items

    def transact_write_items(self: Any, transact_items: Any) -> None:
        shim.copies.clear()
        shim.in_transaction = True
        try:
            return transact(self, transact_items)
        finally:
            shim.in_transaction = False
            shim.copies.clear()

    monkeypatch.setattr(models, "copy", shim)
    monkeypatch.setattr(models.DynamoDBBackend, "transact_write_items", transact_write_items)


@pytest.fixture
def embedded(tmp_path: Path) -> Iterator[Backend]:
    backend = embedded_backend(tmp_path)
    yield backend
    backend.close()


@pytest.fixture(params=["embedded", "aws"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "embedded":
        chosen = embedded_backend(tmp_path)
    else:
        clients: AwsClients = request.getfixturevalue("aws")
        chosen = aws_backend(clients.s3, clients.dynamodb)
    yield chosen
    chosen.close()


IngestorFactory = Callable[..., Ingestor]


@pytest.fixture
def make_ingestor(fetcher: Fetcher, clock: Clock) -> IngestorFactory:
    """An Ingestor on the test's fetcher and clock: `make_ingestor(store, index, **options)`."""

    def make(store: ContentStore, index: ArticleIndex, **options: Any) -> Ingestor:
        options.setdefault("fetcher", fetcher)
        options.setdefault("clock", clock)
        options.setdefault("workers", 1)
        return Ingestor(store=store, index=index, **options)

    return make


@pytest.fixture
def restore_logging() -> Iterator[None]:
    """The CLI configures logging for the whole process; put it back afterwards."""
    root = logging.getLogger()
    names = ("newswire", "urllib3", "botocore", "boto3")
    saved = {name: logging.getLogger(name).level for name in names}
    handlers, level = list(root.handlers), root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, value in saved.items():
            logging.getLogger(name).setLevel(value)
