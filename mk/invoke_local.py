"""Run what `sam build` produced, before AWS and without Docker (`make invoke-local`).

The built function (.aws-sam/build/<Function>) and layer (.aws-sam/build/NewswireLayer) run in
a clean interpreter (mk/lambda_bootstrap.py: the function's and the layer's directories first
on sys.path, then an SDK directory holding boto3 and its dependencies only, as the Lambda
runtime provides them), with the function's environment (template.yaml's variables, env.json's
values, the layer's feeds file where Lambda has /opt/newswire/feeds.yaml), a Lambda-like
context and a sample event from events/, against moto's server: the one given (--endpoint, e.g.
`make moto-server`), else one started for the run (the bench's memory-capped server).

    python mk/invoke_local.py [--function IngestFunction] [--event events/scheduled.json]
                              [--endpoint http://127.0.0.1:5000]
    python mk/invoke_local.py --check

--check is the test of .ci/run: the built IngestFunction ingests feeds served from tests/data
on 127.0.0.1 (nothing leaves loopback), and the built SiteFunction renders the site from the
plans it queued; it fails unless every article is stored and indexed and the site written.
Run it on a build for this machine's Python and an x86_64 layer (`make invoke-local-check`): a
wheel missing from the layer, or built for the wrong platform or Python, fails the import here,
not on the first deploy.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3

from tooling.awsenv import FAKE_CREDENTIALS, REGION
from tooling.cfn import load_template

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_sqs import SQSClient

REPO = Path(__file__).resolve().parent.parent
BUILD = REPO / ".aws-sam" / "build"
LAYER = "NewswireLayer"
EVENTS = {
    "IngestFunction": "events/scheduled.json",
    "WorkerFunction": "events/sqs-feeds.json",
    "SiteFunction": "events/sqs-site.json",
}
# What the Lambda Python runtime provides besides the standard library (its /var/runtime).
SDK_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "six.py", "urllib3")
RESULT_PREFIX = "LAMBDA-RESULT "
CHECK_FEEDS = ("rss-basic.xml", "atom-blog.xml", "google-news-world.xml")


def sdk_directory(into: Path) -> Path:
    """A directory with the SDK alone (links into this interpreter's site-packages): the rest
    of site-packages stays off the path, so the layer must bring everything else itself."""
    import botocore

    site = Path(botocore.__file__).resolve().parent.parent
    into.mkdir(parents=True, exist_ok=True)
    for name in SDK_PACKAGES:
        (into / name).symlink_to(site / name)
    return into


def function_environment(
    function: str, endpoint: str, layer: Path, function_dir: Path
) -> dict[str, str]:
    """Every variable template.yaml gives the function, valued as env.json gives it to `sam
    local invoke` (pointed at `endpoint` instead of Docker's host), plus what Lambda sets."""
    template = load_template()
    declared = dict(template["Globals"]["Function"]["Environment"]["Variables"])
    resource = template["Resources"][function]["Properties"]
    declared |= resource.get("Environment", {}).get("Variables", {})
    given = json.loads((REPO / "env.json").read_text(encoding="utf-8")).get(function, {})
    parameters = template["Parameters"]
    env: dict[str, str] = {}
    for name, value in declared.items():
        ref = value.get("Ref") if isinstance(value, dict) else None
        if name in given:
            env[name] = str(given[name])
        elif ref in parameters:
            env[name] = str(parameters[ref].get("Default", ""))
        elif not isinstance(value, dict | list | bool):
            env[name] = str(value)
        # Else a resource of the stack (a queue URL, a distribution): absent here, as when
        # the feature is off.
    env["AWS_ENDPOINT_URL"] = endpoint
    for name in [n for n in env if n.endswith("_QUEUE_URL") and env[n]]:
        env[name] = endpoint + "/" + env[name].split("/", 3)[3]  # env.json's, on this endpoint
    env["FEEDS_CONFIG"] = str(layer / "newswire" / "feeds.yaml")  # /opt/newswire/feeds.yaml
    env["POWERTOOLS_SERVICE_NAME"] = f"newswire-local-{function}"
    env.setdefault("SITE_URL", "")
    return env | lambda_variables(function, function_dir) | FAKE_CREDENTIALS


def lambda_variables(function: str, function_dir: Path) -> dict[str, str]:
    runtime = f"python{sys.version_info.major}.{sys.version_info.minor}"
    return {
        "AWS_LAMBDA_FUNCTION_NAME": f"newswire-local-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{runtime}",
        "LAMBDA_TASK_ROOT": str(function_dir),
        "_HANDLER": "app.lambda_handler",
        "TZ": ":UTC",
        "LANG": "en_US.UTF-8",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
    }


def check_built(function: str, build: Path) -> tuple[Path, Path]:
    function_dir, layer = build / function, build / LAYER
    for path in (function_dir / "app.py", layer / "python" / "newswire"):
        if not path.exists():
            sys.exit(f"invoke-local: {path} is missing: run `make build` first")
    return function_dir, layer


def invoke(
    function: str,
    event: dict[str, Any],
    endpoint: str,
    *,
    extra_env: dict[str, str] | None = None,
    build: Path = BUILD,
) -> dict[str, Any]:
    """The handler's outcome: {"result": ...} or {"error": ...}; its logs go to stderr."""
    function_dir, layer = check_built(function, build)
    template = load_template(intrinsics="unwrapped")
    timeout = template["Parameters"]["FunctionTimeout"]["Default"]
    with tempfile.TemporaryDirectory(prefix="newswire-sdk-") as scratch:
        spec = {
            "function_dir": str(function_dir),
            "layer_python": str(layer / "python"),
            "sdk_dir": str(sdk_directory(Path(scratch) / "sdk")),
            "handler": "app.lambda_handler",
            "event": event,
            "timeout_s": timeout,
            "function_name": f"newswire-local-{function}",
            "memory_mb": 512,
        }
        env = function_environment(function, endpoint, layer, function_dir) | (extra_env or {})
        bootstrap = str(REPO / "mk" / "lambda_bootstrap.py")
        done = subprocess.run(  # noqa: S603 - this interpreter, this repository's script
            [sys.executable, "-I", "-S", "-B", bootstrap, json.dumps(spec)],
            env=env,
            cwd=scratch,
            capture_output=True,
            text=True,
            check=False,
        )
    sys.stderr.write(done.stderr)
    outcome: dict[str, Any] | None = None
    for line in done.stdout.splitlines():
        if line.startswith(RESULT_PREFIX):
            outcome = json.loads(line.removeprefix(RESULT_PREFIX))
        else:
            sys.stderr.write(line + "\n")  # the function's logs
    if outcome is None:
        raise SystemExit(f"invoke-local: the function printed no result (exit {done.returncode})")
    return outcome


@contextlib.contextmanager
def moto(endpoint: str | None) -> Iterator[str]:
    """`endpoint`, or the bench's memory-capped moto server for the run; seeded either way."""
    from mk.moto_seed import seed

    if endpoint:
        seed(endpoint)
        yield endpoint
        return
    server = subprocess.Popen(
        [sys.executable, "-m", "bench.motoserver", "--max-memory-mb", "4096"],
        cwd=REPO,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = json.loads(server.stdout.readline())["port"]
        url = f"http://127.0.0.1:{port}"
        seed(url)
        yield url
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(timeout=30)


class _QuietFiles(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


@contextlib.contextmanager
def feed_files(directory: Path) -> Iterator[str]:
    """The files of `directory` over HTTP on 127.0.0.1 (a free port)."""
    handler = functools.partial(_QuietFiles, directory=str(directory))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def check() -> int:
    """The built functions, end to end on loopback: every article stored, indexed, on the site."""
    target = (REPO / ".aws-sam" / "layer-target").read_text(encoding="utf-8").split()
    machine = {"x86_64": "x86_64", "AMD64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if target != [here, machine.get(platform.machine(), platform.machine())]:
        sys.exit(
            f"invoke-local --check: the layer is built for {' '.join(target)}, this machine "
            f"runs {here} on {platform.machine()}: make invoke-local-check builds it"
        )
    with (
        moto(None) as endpoint,
        feed_files(REPO / "tests" / "data") as base,
        tempfile.TemporaryDirectory() as scratch,
    ):
        feeds = Path(scratch) / "feeds.yaml"
        entries = [{"name": name.split(".")[0], "url": f"{base}/{name}"} for name in CHECK_FEEDS]
        feeds.write_text(json.dumps({"feeds": entries}), encoding="utf-8")  # JSON is YAML
        site = {"SITE_URL": "https://news.example.org/"}
        env = {"FEEDS_CONFIG": str(feeds), "NEWSWIRE_ALLOW_HOSTS": "127.0.0.1",
               "FEEDS_QUEUE_URL": "", **site}  # fmt: skip
        event = json.loads((REPO / EVENTS["IngestFunction"]).read_text(encoding="utf-8"))
        ingested = invoke("IngestFunction", event, endpoint, extra_env=env)
        outcomes = {"IngestFunction": ingested}
        # The run's site plans, if it queued them, built by the built SiteFunction.
        plans = site_plans(endpoint)
        if plans and (BUILD / "SiteFunction").exists():
            outcomes["SiteFunction"] = invoke("SiteFunction", plans, endpoint, extra_env=site)
        problems = verify(outcomes, endpoint)
    for problem in problems:
        print(f"invoke-local --check: {problem}", file=sys.stderr)
    if not problems:
        print(f"invoke-local --check: the built functions ran: {json.dumps(outcomes)}")
    return 1 if problems else 0


def site_plans(endpoint: str) -> dict[str, Any] | None:
    """The site queue's messages as Lambda's SQS poller hands them over (None if empty)."""
    url = json.loads((REPO / "env.json").read_text(encoding="utf-8"))["IngestFunction"].get(
        "SITE_QUEUE_URL"
    )
    if not url:
        return None
    sqs: SQSClient = boto3.client("sqs", endpoint_url=endpoint, region_name=REGION)
    queue = endpoint + "/" + url.split("/", 3)[3]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]
    records: list[dict[str, Any]] = []
    while batch := sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10).get("Messages"):
        records += [
            {
                "messageId": m["MessageId"],
                "receiptHandle": m["ReceiptHandle"],
                "body": m["Body"],
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": m["MD5OfBody"],
                "eventSource": "aws:sqs",
                "eventSourceARN": arn["QueueArn"],
                "awsRegion": REGION,
            }
            for m in batch
        ]
    return {"Records": records} if records else None


def verify(outcomes: dict[str, dict[str, Any]], endpoint: str) -> list[str]:
    problems = [
        f"{name} raised {o['error']['errorType']}: {o['error']['errorMessage']}"
        for name, o in outcomes.items()
        if "error" in o
    ]
    if problems:
        return problems
    summary = outcomes["IngestFunction"]["result"]
    names = json.loads((REPO / "env.json").read_text(encoding="utf-8"))["IngestFunction"]
    s3: S3Client = boto3.client("s3", endpoint_url=endpoint, region_name=REGION)
    dynamodb: DynamoDBClient = boto3.client("dynamodb", endpoint_url=endpoint, region_name=REGION)
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=names["CONTENT_BUCKET"])
    keys = [o["Key"] for page in pages for o in page.get("Contents", [])]
    # Articles' Markdown (a section's _index.md is the Hugo section's, not an article).
    markdown = [k for k in keys if k.startswith("content/") and not k.endswith("/_index.md")]
    scan = dynamodb.get_paginator("scan").paginate(TableName=names["INDEX_TABLE"])
    articles = [i for page in scan for i in page["Items"] if i["pk"]["S"].startswith("A#")]
    new = summary.get("articles", {}).get("new", 0)
    if summary.get("feeds", {}).get("fetched") != len(CHECK_FEEDS):
        problems.append(f"fetched {summary.get('feeds')} of {len(CHECK_FEEDS)} feeds")
    if not new or new != len(markdown) or new != len(articles):
        problems.append(
            f"{new} new articles, {len(markdown)} Markdown objects, "
            f"{len(articles)} index records: they must be equal and not 0"
        )
    if "index.html" not in keys:
        problems.append(f"no site rendered (functions run: {sorted(outcomes)})")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--function", default="IngestFunction", choices=sorted(EVENTS))
    parser.add_argument("--event", help="the event JSON (default: the function's in events/)")
    parser.add_argument("--endpoint", help="a running moto server (default: one for the run)")
    parser.add_argument("--check", action="store_true", help="the CI check (see above)")
    args = parser.parse_args()
    if args.check:
        return check()
    event = json.loads((REPO / (args.event or EVENTS[args.function])).read_text(encoding="utf-8"))
    with moto(args.endpoint) as endpoint:
        outcome = invoke(args.function, event, endpoint)
    print(json.dumps(outcome, indent=2))
    return 1 if "error" in outcome else 0


if __name__ == "__main__":
    # This process talks to moto only: its fake credentials, never the user's profile.
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)
    os.environ.update(FAKE_CREDENTIALS)
    sys.exit(main())
