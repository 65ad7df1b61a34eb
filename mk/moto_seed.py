"""Create env.json's bucket, table and queues on a running moto server (`make moto-server`).

The table is built from template.yaml's IndexTable, like the tests' tables, so `sam local
invoke` writes to the same schema as the deployed stack; the feed queue (named by env.json's
FEEDS_QUEUE_URL) gets a dead-letter queue with template.yaml's redrive policy. Waits for the
server to answer first.

    python mk/moto_seed.py http://127.0.0.1:5000
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from tooling.cfn import create_index_table, load_template

REPO = Path(__file__).resolve().parent.parent


def client(service: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,  # type: ignore[call-overload]
        endpoint_url=endpoint_url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 - moto's well-known fake
    )


def wait_for(endpoint_url: str, seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            client("s3", endpoint_url).list_buckets()
            return
        except (BotoCoreError, ClientError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def seed(endpoint_url: str) -> None:
    names = json.loads((REPO / "env.json").read_text(encoding="utf-8"))["IngestFunction"]
    bucket, table = names["CONTENT_BUCKET"], names["INDEX_TABLE"]
    wait_for(endpoint_url)
    client("s3", endpoint_url).create_bucket(Bucket=bucket)
    try:
        create_index_table(client("dynamodb", endpoint_url), table)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceInUseException":
            raise
    feeds_url, dlq_url = create_queues(endpoint_url, names["FEEDS_QUEUE_URL"].rsplit("/", 1)[-1])
    print(f"moto at {endpoint_url}: bucket {bucket} and table {table} ready", flush=True)
    print(f"feed queue {feeds_url}, dead-letter queue {dlq_url}", flush=True)
    if names.get("SITE_QUEUE_URL"):  # the site plans SiteFunction builds from
        site = names["SITE_QUEUE_URL"].rsplit("/", 1)[-1]
        site_url = client("sqs", endpoint_url).create_queue(QueueName=site)["QueueUrl"]
        print(f"site queue {site_url}", flush=True)


def create_queues(endpoint_url: str, name: str) -> tuple[str, str]:
    """The feed queue and its dead-letter queue, as template.yaml declares them."""
    resources = load_template()["Resources"]
    redrive = resources["FeedsQueue"]["Properties"]["RedrivePolicy"]
    sqs = client("sqs", endpoint_url)
    dlq_url = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])
    policy = {
        "deadLetterTargetArn": dlq_arn["Attributes"]["QueueArn"],
        "maxReceiveCount": redrive["maxReceiveCount"],
    }
    attributes = {"RedrivePolicy": json.dumps(policy)}
    feeds_url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    return feeds_url, dlq_url


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    seed(sys.argv[1])
