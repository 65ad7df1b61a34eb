"""The site function (functions/site/app.py) in-process on moto: the runs send the plans of what
they changed to the site queue, the function merges a batch of them and builds once; a later
batch writes only the pages its articles are on; a failed build counts SiteBuildFailed."""

from __future__ import annotations

import importlib.util
import json
import uuid
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import boto3
import pytest

import newswire.bootstrap
import newswire.service
from newswire.adapters.sqs import SqsFeedQueue
from newswire.bootstrap import Settings, build_ingestor
from newswire.ingest import Ingestor
from newswire.models import IndexRecord, RunSummary
from newswire.ports import StorageError
from newswire.site.hook import PLAN_RECORDS, SiteBuildFailed, plans_of, update_site
from newswire.site.options import SiteOptions
from newswire.site.paths import article_path, day_path, page_key, sitemap_key, term_path
from newswire.site.plan import SitePlan, day_of, plan_changes
from tests.conftest import REGION, REPO
from tests.site.helpers import BASE_URL, add_harbour_item, first_run, record

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

HANDLER = REPO / "functions" / "site" / "app.py"


class Context:
    function_name = "newswire-SiteFunction"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:newswire-SiteFunction"
    memory_limit_in_mb = 512
    aws_request_id = "0b6f4f3e-1c2d-4e5f-8a9b-0c1d2e3f4a5b"
    log_group_name = "/aws/lambda/newswire-SiteFunction"
    log_stream_name = "2026/01/07/[$LATEST]0123456789abcdef"

    def get_remaining_time_in_millis(self) -> int:
        return 300_000


class SiteFunction:
    def __init__(self, module: ModuleType, sqs: SQSClient, queue_url: str, s3: S3Client) -> None:
        self.module, self.sqs, self.queue_url, self.s3 = module, sqs, queue_url, s3
        self.puts: list[str] = []
        self.deletes: list[str] = []

    def queue(self) -> SqsFeedQueue:
        return SqsFeedQueue(self.sqs, self.queue_url)

    def drain(self) -> list[str]:
        bodies: list[str] = []
        while True:
            got = self.sqs.receive_message(QueueUrl=self.queue_url, MaxNumberOfMessages=10)
            messages = got.get("Messages", [])
            if not messages:
                return bodies
            for message in messages:
                bodies.append(message["Body"])
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )

    def invoke(self, bodies: list[str]) -> dict[str, Any]:
        event = {"Records": [{"messageId": str(i), "body": b} for i, b in enumerate(bodies)]}
        result: dict[str, Any] = self.module.lambda_handler(event, Context())
        return result


def record_writes(
    function: SiteFunction, params: dict[str, Any], event_name: str, **_: Any
) -> None:
    operation = event_name.split(".")[2]
    if operation == "PutObject" and not params["Key"].startswith("content/"):
        function.puts.append(params["Key"])
    if operation == "DeleteObject":
        function.deletes.append(params["Key"])


@pytest.fixture
def site_function(
    monkeypatch: pytest.MonkeyPatch,
    s3_client: S3Client,
    bucket: str,
    index_table: str,
    restore_newswire_logger: None,
) -> SiteFunction:
    sqs = boto3.client("sqs", region_name=REGION)
    queue_url = sqs.create_queue(QueueName=f"site-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    for name, value in {
        "CONTENT_BUCKET": bucket,
        "INDEX_TABLE": index_table,
        "SITE_URL": BASE_URL,
        # Not "newswire": Powertools' logger of that name would be the package's own logger.
        "POWERTOOLS_SERVICE_NAME": "newswire-site",
        "POWERTOOLS_METRICS_NAMESPACE": "Newswire",
        "POWERTOOLS_TRACE_DISABLED": "1",
    }.items():
        monkeypatch.setenv(name, value)
    spec = importlib.util.spec_from_file_location(f"site_app_{uuid.uuid4().hex}", HANDLER)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    function = SiteFunction(module, sqs, queue_url, s3_client)
    original = newswire.bootstrap.aws_client

    def recording_client(service: Any, settings: Settings) -> Any:
        client = original(service, settings)
        if service == "s3":
            client.meta.events.register(
                "provide-client-params.s3.*",
                lambda params, event_name, **kw: record_writes(function, params, event_name),
            )
        return client

    monkeypatch.setattr(newswire.bootstrap, "aws_client", recording_client)
    return function


def aws_ingestor(bucket: str, table: str) -> Ingestor:
    settings = Settings(bucket=bucket, table=table, region=REGION, allow_local=True, workers=2)
    return build_ingestor(settings)


def send(function: SiteFunction, ingestor: Ingestor, summary: RunSummary) -> dict[str, object]:
    sent = update_site(
        summary,
        ingestor.store,
        ingestor.index,
        base_url=BASE_URL,
        options=SiteOptions(),
        site_queue=function.queue(),
    )
    assert sent is not None
    return sent


def emitted(stdout: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in stdout.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document:
            for directive in document["_aws"]["CloudWatchMetrics"]:
                for metric in directive["Metrics"]:
                    value = document[metric["Name"]]
                    out[metric["Name"]] = sum(value) if isinstance(value, list) else value
    return out


def test_the_runs_plans_are_built_once_per_batch_and_then_only_what_changed(
    site_function: SiteFunction, bucket: str, index_table: str, tmp_path: Path
) -> None:
    ingestor = aws_ingestor(bucket, index_table)
    first = ingestor.run(list(first_run(tmp_path)))
    assert first.counts["new"] == 8
    assert send(site_function, ingestor, first) == {"queued": 1}
    bodies = site_function.drain()

    built = site_function.invoke(bodies)

    assert built["written"] == len(site_function.puts) > 20 and not built["failed"]
    assert "index.html" in site_function.puts and "sitemap.xml" in site_function.puts
    home = ingestor.store.get("index.html") or b""
    assert all(article_path(r).encode() in home for r in first.changed)

    # A second batch: one newer article, on a new day. Only the pages it is on are written.
    site_function.puts.clear()
    second = ingestor.run([add_harbour_item(tmp_path)])
    [added] = second.changed
    send(site_function, ingestor, second)

    again = site_function.invoke(site_function.drain())

    day = day_of(added)
    touched = {
        page_key(article_path(added)), "index.html", "feed.xml", "feed.json",
        *(page_key(term_path(t, v)) for t, v in added.terms),
        page_key(day_path(day)), sitemap_key(day),
        # Its day is new: the month's list of days and the sitemap index list it; the archive
        # counts it.
        "archive/2026/01/index.html", "sitemap.xml", "archive/index.html", "archive/counts.json",
        # Its section's page and feed, its tags' feeds and counts.
        "articles/local/index.html", "articles/local/feed.xml", "tags/counts.json",
        *(f"{term_path('tags', t)}feed.xml" for t in added.tags),
    }  # fmt: skip
    # The taxonomies' index pages and counts where a count they show changed.
    indexes = {f"{d}/{f}" for d in ("tags", "categories") for f in ("index.html", "counts.json")}
    assert touched <= set(site_function.puts) <= touched | indexes | {"page/2/index.html"}
    assert again["written"] == len(site_function.puts)
    assert site_function.deletes == []


def test_a_batch_of_many_plans_is_one_build_equal_to_one_plan(
    site_function: SiteFunction, bucket: str, index_table: str, tmp_path: Path
) -> None:
    ingestor = aws_ingestor(bucket, index_table)
    summary = ingestor.run(list(first_run(tmp_path)))
    pieces = [p.to_json() for p in plans_of(summary.changed[:3], (), ())]
    pieces += [p.to_json() for p in plans_of(summary.changed[3:], (), ())]
    one = site_function.invoke(pieces)
    assert one["messages"] == 2 and one["written"] > 0
    merged = SitePlan.from_json(pieces[0]).merge(SitePlan.from_json(pieces[1]))
    assert merged == plan_changes(summary.changed)


def test_a_run_of_many_articles_is_sent_in_pieces_that_merge_to_its_plan() -> None:
    records = [record(id=f"{i:020x}", slug=f"story-{i}") for i in range(2 * PLAN_RECORDS + 1)]
    removed = [record(id="f" * 20, slug="gone")]
    pieces = list(plans_of(records, records[:1], removed))
    assert len(pieces) == 5
    merged = SitePlan()
    for piece in pieces:
        assert len(piece.to_json()) < 256 * 1024
        merged = merged.merge(SitePlan.from_json(piece.to_json()))
    assert merged == plan_changes(records, records[:1], removed=removed)


def test_a_failed_build_counts_site_build_failed_and_gives_the_batch_back(
    site_function: SiteFunction,
    bucket: str,
    index_table: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ingestor = aws_ingestor(bucket, index_table)
    summary = ingestor.run(list(first_run(tmp_path)))
    body = plan_changes(summary.changed).to_json()

    def unavailable(*args: object, **kwargs: object) -> list[IndexRecord]:
        raise StorageError("listing by term is not available")

    monkeypatch.setattr(ingestor.index, "by_term", unavailable)
    monkeypatch.setattr(newswire.service, "_ingestor", lambda settings: ingestor)

    with pytest.raises(SiteBuildFailed, match="listing by term is not available"):
        site_function.invoke([body])
    assert emitted(capsys.readouterr().out).get("SiteBuildFailed") == 1

    monkeypatch.undo()  # the index answers again: the same batch, delivered again, builds
    capsys.readouterr()


def test_a_message_that_is_not_a_plan_is_dropped_not_retried_forever(
    site_function: SiteFunction, capsys: pytest.CaptureFixture[str]
) -> None:
    result = site_function.invoke(["not a plan", '{"units": {"nope": {}}}'])
    assert result["messages"] == 2 and result["written"] == 0
    assert "SiteBuildFailed" not in emitted(capsys.readouterr().out)
