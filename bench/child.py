"""The measured programs, one per task, each run in a fresh interpreter by bench.procs.

`python -m bench.child TASK 'JSON-ARGS'` prints its result as the line `BENCH-RESULT {json}`.
Timings here cover the work only (imports and setup excluded); the parent adds the process's
own rusage (peak RSS, CPU).
"""

from __future__ import annotations

import cProfile
import dataclasses
import hashlib
import io
import json
import logging
import pstats
import resource
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bench.loopback import LOOPBACK, enforce_loopback
from bench.workload import BASE_TIME, FeedSpec, plan, render_feed

if TYPE_CHECKING:
    from newswire.ingest import Ingestor

RESULT_PREFIX = "BENCH-RESULT "
Args = dict[str, Any]


def specs_of(args: Args) -> list[FeedSpec]:
    specs = plan(
        args["seed"],
        args["feeds"],
        args["items"],
        no_validators_every=args.get("no_validators_every", 0),
    )
    limit = args.get("only_feeds")
    return specs[:limit] if limit else specs


def feed_configs(args: Args) -> list[Any]:
    from newswire.models import FeedConfig

    return [
        FeedConfig(
            url=args["base_url"] + s.path,
            name=s.name,
            language=s.language,
            max_items=max(100, s.items),
        )
        for s in specs_of(args)
    ]


# --- figure 1 and 4: newswire on the embedded backend, and the peer ------------------------


class Usage:
    """What the block cost the process: wall time, CPU time (user and system apart, every
    thread's), and context switches (voluntary: a thread waited, for I/O or a lock such as the
    GIL; involuntary: the kernel took the core away)."""

    def __enter__(self) -> Usage:
        self._wall = time.perf_counter()
        self._rusage = resource.getrusage(resource.RUSAGE_SELF)
        return self

    def __exit__(self, *_: object) -> None:
        rusage = resource.getrusage(resource.RUSAGE_SELF)
        self.wall_s = time.perf_counter() - self._wall
        self.user_s = rusage.ru_utime - self._rusage.ru_utime
        self.sys_s = rusage.ru_stime - self._rusage.ru_stime
        self.voluntary = rusage.ru_nvcsw - self._rusage.ru_nvcsw
        self.involuntary = rusage.ru_nivcsw - self._rusage.ru_nivcsw

    def as_dict(self) -> Args:
        return {
            "wall_s": self.wall_s,
            "cpu_s": self.user_s + self.sys_s,
            "user_s": self.user_s,
            "sys_s": self.sys_s,
            "context_switches": {"voluntary": self.voluntary, "involuntary": self.involuntary},
        }


def embedded_ingestor(args: Args) -> Ingestor:
    """The Ingestor figure 1's children time: the embedded backend in `site_dir`, loopback only,
    the workers asked for (newswire's default without)."""
    from newswire.bootstrap import Settings, build_ingestor

    workers = args.get("workers") or Settings().workers
    return build_ingestor(
        Settings(site_dir=Path(args["site_dir"]), allow_hosts=(LOOPBACK,), workers=workers)
    )


def newswire_embedded(args: Args) -> Args:
    ingestor = embedded_ingestor(args)
    transactions: list[str] = []
    if args.get("count_transactions"):
        # SQLite's trace callback sees every statement; only write transactions are kept.
        ingestor.index._db.set_trace_callback(  # type: ignore[attr-defined]
            lambda sql: transactions.append(sql) if sql.startswith("BEGIN IMMEDIATE") else None
        )
    feeds = feed_configs(args)
    with Usage() as usage:
        summary = ingestor.run(feeds)
    return usage.as_dict() | {
        "write_transactions": len(transactions),
        "workers": ingestor.workers,
        "counts": summary.counts,
        "errors": [r.error for r in summary.results if r.error][:5],
    }


def reader_peer(args: Args) -> Args:
    try:
        from reader import make_reader
    except ImportError as exc:  # the bench extra is not installed
        raise SystemExit(
            f"the peer is missing ({exc}): pip install -e '.[dev,bench]' (reader, sgmllib3k)"
        ) from exc

    workers = int(args["workers"])
    reader = make_reader(args["db"])
    for feed in feed_configs(args):
        reader.add_feed(feed.url)
    # scheduled=False: every feed, whatever reader's schedule says (a new feed is due anyway).
    with Usage() as usage:
        reader.update_feeds(workers=workers, scheduled=False)
    counts = reader.get_entry_counts()
    broken = reader.get_feed_counts(broken=True)
    reader.close()
    return usage.as_dict() | {
        "workers": workers,
        "entries": counts.total,
        "broken": broken.total,
    }


# --- figure 7: moving feeds, one process per scheduled run ---------------------------------


def newswire_round(args: Args) -> Args:
    """One scheduled run of newswire on the embedded backend (a fresh process, as each run is),
    after switching the feed server to round `round`."""
    from bench.procs import set_round
    from newswire.bootstrap import Settings, build_ingestor

    set_round(args["base_url"], args["round"])
    settings = Settings(
        site_dir=Path(args["site_dir"]), allow_hosts=(LOOPBACK,), workers=args["workers"]
    )
    ingestor = build_ingestor(settings)
    feeds = feed_configs(args)
    started, cpu = time.perf_counter(), time.process_time()
    summary = ingestor.run(feeds)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "counts": summary.counts,
        "parsed_items": sum(r.parsed for r in summary.results),
        "errors": [r.error for r in summary.results if r.error][:5],
    }


def reader_round(args: Args) -> Args:
    """The same for reader 3.26: update_feeds(scheduled=False), as its default skips feeds
    updated within the hour."""
    from reader import make_reader

    from bench.procs import set_round

    set_round(args["base_url"], args["round"])
    reader = make_reader(args["db"])
    for feed in feed_configs(args):
        reader.add_feed(feed.url, exist_ok=True)
    before = reader.get_entry_counts().total or 0
    started, cpu = time.perf_counter(), time.process_time()
    reader.update_feeds(workers=int(args["workers"]), scheduled=False)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    after = reader.get_entry_counts().total or 0
    broken = reader.get_feed_counts(broken=True).total
    reader.close()
    return {"wall_s": wall, "cpu_s": cpu, "new": after - before, "broken": broken}


# Where a profile's time goes, by pipeline stage: (label, file suffix, function name).
STAGES = (
    ("fetch (HTTP, incl. waiting)", "newswire/fetch.py", "fetch"),
    ("pre-pass (split + fingerprints)", "newswire/prepass.py", "split_items"),
    ("parse (feedparser)", "newswire/parse.py", "parse_feed"),
    ("normalize", "newswire/normalize.py", "normalize_entry"),
    ("render (YAML + Markdown)", "newswire/render.py", "render_markdown"),
    ("store: put_new (files)", "newswire/adapters/directory.py", "put_new"),
    (
        "index: write_many (SQLite, one transaction per feed)",
        "newswire/adapters/local.py",
        "write_many",
    ),
    ("index: get_records", "newswire/adapters/local.py", "get_records"),
    ("decide", "newswire/decide.py", "decide"),
)


def profile_rows(stats: pstats.Stats, top: int) -> tuple[list[Args], float]:
    """The `top` functions by own time (tottime), and the profile's total."""
    total = float(stats.total_tt)  # type: ignore[attr-defined]
    rows = [
        {
            "function": f"{_short(path)}:{line}({name})",
            "calls": calls,
            "tottime_s": tottime,
            "cumtime_s": cumtime,
            "share": tottime / total if total else 0.0,
        }
        for (path, line, name), (_, calls, tottime, cumtime, _) in stats.stats.items()  # type: ignore[attr-defined]
    ]
    rows.sort(key=lambda r: -float(r["tottime_s"]))
    return rows[:top], total


def own_time_by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Own time per top-level package; a C built-in's time goes to the packages calling it."""
    totals: dict[str, float] = {}
    entries = stats.stats.items()  # type: ignore[attr-defined]
    for (path, _line, name), (_, _, tottime, _, callers) in entries:
        if path == "~" and callers:
            called = sum(float(c[2]) for c in callers.values()) or 1.0
            for (caller_path, _, _), info in callers.items():
                package = _package_of(caller_path)
                totals[package] = totals.get(package, 0.0) + tottime * float(info[2]) / called
        else:
            package = _package_of(path) if path != "~" else f"C: {name}"
            totals[package] = totals.get(package, 0.0) + tottime
    return sorted(totals.items(), key=lambda kv: -kv[1])[:8]


def stage_times(stats: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each pipeline stage (the outermost call of each counted once)."""
    out: dict[str, float] = {}
    for (path, _line, name), (_, _, _, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        for label, suffix, function in STAGES:
            if name == function and path.endswith(suffix):
                out[label] = out.get(label, 0.0) + cumtime
    return out


def newswire_profile(args: Args) -> Args:
    """A first run of a few feeds, one worker, under cProfile (wall clock, in the worker)."""
    from newswire.bootstrap import Settings, build_ingestor

    settings = Settings(site_dir=Path(args["site_dir"]), allow_hosts=(LOOPBACK,), workers=1)
    ingestor = build_ingestor(settings)
    profile = cProfile.Profile()
    real_ingest = ingestor.ingest_feed

    def profiled(*args: Any, **kwargs: Any) -> Any:
        # The pool runs feeds in a worker thread, and cProfile sees only the enabling thread.
        profile.enable()
        try:
            return real_ingest(*args, **kwargs)
        finally:
            profile.disable()

    vars(ingestor)["ingest_feed"] = profiled  # an instance attribute shadows the method
    started = time.perf_counter()
    summary = ingestor.run(feed_configs(args))
    wall = time.perf_counter() - started
    stats = pstats.Stats(profile, stream=io.StringIO())
    top, total = profile_rows(stats, 10)
    return {
        "articles": summary.counts["new"],
        "profile_total_s": total,
        "top": top,
        "stages_s": stage_times(stats),
        "by_package": own_time_by_package(stats),
        "wall_s": wall,
    }


# Figure 1's CPU by stage: (label, what is timed). "module:name" is a function the pipeline
# looks up in that module when it runs; "store.x" and "index.x" are the adapters' methods.
CPU_STAGES = (
    ("fetch (HTTP client, body read)", ("fetcher.fetch",)),
    ("pre-pass (split, fingerprints)",
     ("newswire.prepass:split_items", "newswire.prepass:fingerprints")),
    ("parse (feedparser)", ("newswire.prepass:parse_feed",)),
    ("normalize", ("newswire.normalize:normalize_entry",)),
    ("render", ("newswire.commit:render_markdown",)),
    ("story keys (identity)", ("newswire.commit:lookup_keys", "newswire.commit:story_keys")),
    ("object writes (files)", ("store.put_new", "store.put", "store.get")),
    ("claims (SQLite)", ("index.claim_many", "index.story_owners", "index.claims")),
    ("index records (SQLite)",
     ("index.write_many", "index.get_records", "index.add", "index.replace")),
    ("feed lease and state (SQLite)",
     ("index.acquire_lease", "index.save_feed_state", "index.release_lease")),
)  # fmt: skip


class StageTimer:
    """The calling thread's CPU clock (`time.thread_time()`) around each call of a wrapped
    function, summed by label; safe to share between threads."""

    def __init__(self, labels: Iterable[str]) -> None:
        self.spent: dict[str, float] = dict.fromkeys(labels, 0.0)
        self.calls: dict[str, int] = dict.fromkeys(self.spent, 0)
        self._lock = threading.Lock()

    def wrap(self, label: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def call(*a: Any, **k: Any) -> Any:
            started = time.thread_time()
            try:
                return function(*a, **k)
            finally:
                elapsed = time.thread_time() - started
                with self._lock:
                    self.spent[label] += elapsed
                    self.calls[label] += 1

        return call


def timer_cost(calls: int = 20_000) -> tuple[float, float]:
    """CPU seconds one StageTimer call adds around a function (a clock read is a system call):
    the part its own reading counts in the stage, and the part only the process's CPU sees."""

    def nothing() -> None:
        return None

    timer = StageTimer(["calibration"])
    wrapped = timer.wrap("calibration", nothing)
    started = time.process_time()
    for _ in range(calls):
        wrapped()
    with_timer = time.process_time() - started
    started = time.process_time()
    for _ in range(calls):
        nothing()
    plain = time.process_time() - started
    per_call = max(0.0, with_timer - plain) / calls
    inside = min(per_call, timer.spent["calibration"] / calls)
    return inside, per_call - inside


def newswire_stages(args: Args) -> Args:
    """Figure 1's first run with the CPU time of each stage: the thread's own CPU clock around
    each call (other threads' work, and waiting, are not counted in it). What the timers cost
    themselves is calibrated after the run (timer_cost) and reported apart."""
    import importlib

    ingestor = embedded_ingestor(args)
    timer = StageTimer(label for label, _ in CPU_STAGES)
    owners = {"fetcher": ingestor.fetcher, "store": ingestor.store, "index": ingestor.index}
    for label, targets in CPU_STAGES:
        for target in targets:
            if ":" in target:
                module, name = target.split(":")
                owner: Any = importlib.import_module(module)
            else:
                kind, name = target.split(".")
                owner = owners[kind]  # an instance attribute shadows the method
            setattr(owner, name, timer.wrap(label, getattr(owner, name)))
    with Usage() as usage:
        summary = ingestor.run(feed_configs(args))
    inside, outside = timer_cost()
    return usage.as_dict() | {
        "workers": ingestor.workers,
        "articles": summary.counts["new"],
        "stages_cpu_s": timer.spent,
        "stage_calls": timer.calls,
        "timer_inside_s": inside,
        "timer_outside_s": outside,
    }


# --- figures 2 and 3: AWS requests against moto's server -----------------------------------


def aws_ingestor(args: Args, counter: RequestCounter) -> Ingestor:
    """A fresh Ingestor on moto's server (one per run, as each invocation has its own), with
    the requests of its S3 and DynamoDB clients counted by `counter`."""
    from newswire.bootstrap import Settings, build_ingestor

    settings = Settings(
        bucket=args["bucket"],
        table=args["table"],
        endpoint_url=args["endpoint"],
        region="us-east-1",
        allow_hosts=(LOOPBACK,),
    )
    ingestor = build_ingestor(settings)
    counter.attach(ingestor.store.client)  # type: ignore[attr-defined]
    counter.attach(ingestor.index.client)  # type: ignore[attr-defined]
    return ingestor


def create_backend(endpoint: str, bucket: str, table: str) -> None:
    """The bucket, and the table exactly as template.yaml's IndexTable declares it."""
    import boto3

    from tooling.cfn import create_index_table

    boto3.client("s3", endpoint_url=endpoint).create_bucket(Bucket=bucket)
    create_index_table(boto3.client("dynamodb", endpoint_url=endpoint), table)


WRITE_OPERATIONS = frozenset(
    {"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"}
)


def _written_keys(operation: str, params: dict[str, Any]) -> list[str]:
    """The partition keys (pk) a DynamoDB write request touches."""
    if operation == "PutItem":
        return [str(params["Item"]["pk"]["S"])]
    if operation in ("UpdateItem", "DeleteItem"):
        return [str(params["Key"]["pk"]["S"])]
    if operation == "TransactWriteItems":
        keys = []
        for item in params["TransactItems"]:
            (_operation, body), *_ = item.items()
            keys.append(str((body.get("Item") or body.get("Key") or {}).get("pk", {}).get("S")))
        return keys
    keys = []
    for requests in params.get("RequestItems", {}).values():  # BatchWriteItem
        for request in requests:
            body = request.get("PutRequest", {}).get("Item") or request.get(
                "DeleteRequest", {}
            ).get("Key", {})
            keys.append(str(body.get("pk", {}).get("S")))
    return keys


def _value_size(value: dict[str, Any]) -> int:
    """A DynamoDB attribute value's billed size in bytes (the published sizing rules)."""
    (kind, data), *_ = value.items()
    if kind == "S":
        return len(str(data).encode("utf-8"))
    if kind == "N":
        return (len(str(data).lstrip("-").replace(".", "")) + 1) // 2 + 1
    if kind == "B":
        return len(data)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in data)
    if kind == "M":
        return 3 + sum(1 + len(k.encode("utf-8")) + _value_size(v) for k, v in data.items())
    return sum(len(str(v).encode("utf-8")) for v in data)  # SS, NS, BS


def _item_units(attributes: dict[str, Any]) -> int:
    """Write units of one item of these attributes: one per started KB."""
    size = sum(len(k.encode("utf-8")) + _value_size(v) for k, v in attributes.items())
    return max(1, -(-size // 1024))


def _write_units(operation: str, params: dict[str, Any]) -> int:
    """The write units a request is billed, from what it carries (see billed_items)."""
    return sum(units for _, units in billed_items(operation, params))


def billed_items(operation: str, params: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """Each item a DynamoDB write request touches (its key or whole item) and the write units
    it is billed for it: an item put by its size; an update or delete by the key and values it
    sends (at least 1; DynamoDB bills the larger of the item before and after, which the
    request does not show); in a transaction twice that; a condition check no write units."""
    if operation == "PutItem":
        return [(params["Item"], _item_units(params["Item"]))]
    if operation == "UpdateItem":
        values = params.get("ExpressionAttributeValues", {})
        return [(params["Key"], _item_units({**params["Key"], **values}))]
    if operation == "DeleteItem":
        return [(params["Key"], 1)]
    if operation == "TransactWriteItems":
        billed = []
        for action in params["TransactItems"]:
            (kind, body), *_ = action.items()
            if kind == "Put":
                billed.append((body["Item"], 2 * _item_units(body["Item"])))
            elif kind == "Update":
                values = body.get("ExpressionAttributeValues", {})
                billed.append((body["Key"], 2 * _item_units({**body["Key"], **values})))
            elif kind == "Delete":
                billed.append((body["Key"], 2))
        return billed
    if operation != "BatchWriteItem":
        return []  # a read
    return [
        (r["PutRequest"]["Item"], _item_units(r["PutRequest"]["Item"]))
        if "PutRequest" in r
        else (r["DeleteRequest"]["Key"], 1)
        for requests in params.get("RequestItems", {}).values()
        for r in requests
    ]


def _kind_of(key: str) -> str:
    """What an item is, from its partition key's prefix (the table layout)."""
    prefix = key.split("#", 1)[0] if "#" in key else ""
    return {"A": "article", "S": "slug", "F": "feed"}.get(prefix, f"{prefix or '?'}#")


class RequestCounter:
    """Counts AWS API calls by operation with botocore's event hooks, and what they carry.

    DynamoDB write requests are also counted by what they write, from the table layout of
    newswire.adapters.dynamodb_items: "A#" article records, "S#" slug claims, "F#" feed state
    and leases.
    """

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()  # before-call: one per API call
        self.attempts: Counter[str] = Counter()  # before-send: one per HTTP attempt (retries)
        self.batch_get_keys: list[int] = []
        self.article_batch_get_keys: list[int] = []  # "A#" keys, in requests that carry any
        self.writes_by_kind: Counter[str] = Counter()  # write requests touching each kind
        self.items_written: Counter[str] = Counter()  # items written, by kind (all requests)
        self.items_per_transaction: list[int] = []
        self.article_puts = 0  # S3 PutObject of an article's page (not a section's _index.md)
        self.write_units = 0  # estimated from the requests' items (see _write_units)
        self._hooks: list[tuple[Any, str, Callable[..., None]]] = []

    def attach(self, client: Any) -> None:
        for event, handler in (
            ("before-call.*.*", self._on_call),
            ("before-send.*.*", self._on_send),
            ("before-parameter-build.dynamodb.*", self._on_dynamodb_params),
            ("before-parameter-build.s3.PutObject", self._on_put_object),
        ):
            client.meta.events.register(event, handler)
            self._hooks.append((client, event, handler))

    def detach(self) -> None:
        for client, event, handler in self._hooks:
            client.meta.events.unregister(event, handler)
        self._hooks.clear()

    def _on_call(self, event_name: str, **_: Any) -> None:
        self.calls[event_name.split(".")[-1]] += 1

    def _on_send(self, event_name: str, **_: Any) -> None:
        self.attempts[event_name.split(".")[-1]] += 1

    def _on_put_object(self, params: dict[str, Any], **_: Any) -> None:
        key = str(params.get("Key", ""))
        if key.startswith("content/") and not key.endswith("/_index.md"):
            self.article_puts += 1

    def _on_dynamodb_params(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        operation = event_name.split(".")[-1]
        if operation == "BatchGetItem":
            keys = [str(k["pk"]["S"]) for s in params["RequestItems"].values() for k in s["Keys"]]
            self.batch_get_keys.append(len(keys))
            articles = sum(1 for k in keys if k.startswith("A#"))
            if articles:
                self.article_batch_get_keys.append(articles)
        elif operation in WRITE_OPERATIONS:
            keys = _written_keys(operation, params)
            kinds = [_kind_of(k) for k in keys]
            for kind in set(kinds):
                self.writes_by_kind[kind] += 1
            self.items_written.update(kinds)
            self.write_units += _write_units(operation, params)
            if operation == "TransactWriteItems":
                self.items_per_transaction.append(len(keys))

    def as_dict(self) -> Args:
        return {
            "calls": dict(self.calls),
            "attempts": dict(self.attempts),
            "batch_get_keys": self.batch_get_keys,
            "article_batch_get_keys": self.article_batch_get_keys,
            "writes_by_kind": dict(self.writes_by_kind),
            "items_written": dict(self.items_written),
            "items_per_transaction": self.items_per_transaction,
            "article_puts": self.article_puts,
            "write_units": self.write_units,
        }


def newswire_aws(args: Args) -> Args:
    """Two runs on the same feeds against moto's server: the first run, then the steady state."""
    import newswire.prepass

    create_backend(args["endpoint"], args["bucket"], args["table"])
    parsed: list[str] = []
    namespace = vars(newswire.prepass)
    if "parse_feed" not in namespace:
        raise SystemExit("newswire.prepass no longer imports parse_feed: update bench.child")
    real_parse = namespace["parse_feed"]

    def counting_parse(fetched: Any) -> Any:
        parsed.append(fetched.url)
        return real_parse(fetched)

    namespace["parse_feed"] = counting_parse
    feeds = feed_configs(args)
    runs = []
    for _ in range(2):
        counter = RequestCounter()
        ingestor = aws_ingestor(args, counter)
        parsed.clear()
        started = time.perf_counter()
        summary = ingestor.run(feeds)
        runs.append(
            {
                "wall_s": time.perf_counter() - started,
                "workers": ingestor.workers,
                "counts": summary.counts,
                "errors": [r.error for r in summary.results if r.error][:5],
                "requests": counter.as_dict(),
                "parsed_urls": list(parsed),
            }
        )
    return {"feeds": len(feeds), "runs": runs}


def _naive_markdown(entry: Any) -> bytes:
    import yaml

    meta = {
        "title": str(entry.get("title", "")),
        "date": str(entry.get("published", "")),
        "link": str(entry.get("link", "")),
    }
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{header}---\n\n{entry.get('summary', '')}\n".encode()


def naive_aws(args: Args) -> Args:
    """The baseline of figure 3: sequential, one GetItem/PutObject/PutItem per item, feedparser
    with its defaults, no conditional GET; run twice like newswire_aws."""
    import boto3
    import feedparser
    import requests

    create_backend(args["endpoint"], args["bucket"], args["table"])
    s3 = boto3.client("s3", endpoint_url=args["endpoint"])
    dynamodb = boto3.client("dynamodb", endpoint_url=args["endpoint"])
    http = requests.Session()
    http.trust_env = False
    specs = specs_of(args)
    runs = []
    for _ in range(2):
        counter = RequestCounter()
        counter.attach(s3)
        counter.attach(dynamodb)
        new = unchanged = parsed = 0
        started = time.perf_counter()
        for spec in specs:
            body = http.get(args["base_url"] + spec.path, timeout=30).content
            feed = feedparser.parse(body)
            parsed += 1
            for entry in feed.entries:
                identity = str(entry.get("id") or entry.get("link"))
                article_id = hashlib.sha1(identity.encode()).hexdigest()[:20]
                pk = {"S": f"A#{article_id}"}
                if "Item" in dynamodb.get_item(TableName=args["table"], Key={"pk": pk}):
                    unchanged += 1
                    continue
                s3.put_object(
                    Bucket=args["bucket"],
                    Key=f"content/naive/{article_id}.md",
                    Body=_naive_markdown(entry),
                )
                when = BASE_TIME.isoformat()
                dynamodb.put_item(
                    TableName=args["table"],
                    Item={
                        "pk": pk,
                        "title": {"S": str(entry.get("title", ""))},
                        "link": {"S": str(entry.get("link", ""))},
                        "month": {"S": when[:7]},
                        "published": {"S": when},
                    },
                )
                new += 1
        runs.append(
            {
                "wall_s": time.perf_counter() - started,
                "new": new,
                "unchanged": unchanged,
                "parsed": parsed,
                "requests": counter.as_dict(),
            }
        )
        counter.detach()  # the next run counts afresh
    return {"feeds": len(specs), "runs": runs}


# --- figure 5: CPU per article, no I/O -----------------------------------------------------


def cpu_cost(args: Args) -> Args:
    import feedparser

    from newswire.models import FeedConfig, Fetched
    from newswire.normalize import normalize_entry
    from newswire.parse import parse_feed
    from newswire.render import render_markdown

    specs = specs_of(args)
    bodies = [(spec, render_feed(args["seed"], spec)) for spec in specs]
    now = datetime.now(UTC)
    inputs = [
        (
            spec,
            Fetched(f"http://{LOOPBACK}{spec.path}", body, spec.content_type, None, None),
            FeedConfig(url=f"http://{LOOPBACK}{spec.path}", name=spec.name, language=spec.language),
        )
        for spec, body in bodies
    ]

    def pipeline(stages: dict[str, float], kinds: dict[str, list[float]] | None) -> int:
        articles = 0
        for spec, fetched, feed in inputs:
            t0 = time.process_time()
            entries = parse_feed(fetched).entries
            t1 = time.process_time()
            normalized = [normalize_entry(e, feed, now=now) for e in entries]
            t2 = time.process_time()
            for article in normalized:
                render_markdown(article)
            t3 = time.process_time()
            stages["parse"] += t1 - t0
            stages["normalize"] += t2 - t1
            stages["render"] += t3 - t2
            if kinds is not None:
                kinds.setdefault(spec.kind, []).append((t3 - t0) / max(1, len(entries)))
            articles += len(normalized)
        return articles

    best: dict[str, float] = {}
    kinds: dict[str, list[float]] = {}
    articles = 0
    for _ in range(args["repeats"]):
        stages = dict.fromkeys(("parse", "normalize", "render"), 0.0)
        articles = pipeline(stages, kinds)
        for stage, seconds in stages.items():
            best[stage] = min(best.get(stage, seconds), seconds)

    feedparser_best = float("inf")
    for _ in range(args["repeats"]):
        t0 = time.process_time()
        for _spec, fetched, _feed in inputs:
            feedparser.parse(fetched.body)  # its defaults: sanitizer and relative URIs on
        feedparser_best = min(feedparser_best, time.process_time() - t0)

    profile = cProfile.Profile()
    profile.enable()
    pipeline(dict.fromkeys(("parse", "normalize", "render"), 0.0), None)
    profile.disable()
    stats = pstats.Stats(profile, stream=io.StringIO())
    rows, total = profile_rows(stats, 10)

    from newswire import render

    emitter = getattr(render, "_Emitter", object)
    return {
        "newswire_emitter_is_c": any(c.__name__ == "CEmitter" for c in emitter.__mro__),
        "articles": articles,
        "feeds": len(inputs),
        "stages_s": best,
        "feedparser_default_s": feedparser_best,
        "per_kind_ms": {k: 1000 * min(v) for k, v in kinds.items()},
        "profile_total_s": total,
        "profile_top": rows,
        "profile_stages_s": stage_times(stats),
        "profile_by_package": own_time_by_package(stats),
    }


def _short(path: str) -> str:
    for marker in ("site-packages/", "layers/newswire/", "lib/python3.11/"):
        if marker in path:
            return path.split(marker, 1)[1]
    return path


def _package_of(path: str) -> str:
    if path.startswith("<"):
        return "Python internals"
    return _short(path).split("/", 1)[0].removesuffix(".py")


def index_units(args: Args) -> Args:
    from bench.index_units import index_units as run

    return run(args)


TASKS: dict[str, Callable[[Args], Args]] = {
    "newswire_embedded": newswire_embedded,
    "reader": reader_peer,
    "newswire_aws": newswire_aws,
    "naive_aws": naive_aws,
    "cpu_cost": cpu_cost,
    "newswire_profile": newswire_profile,
    "newswire_stages": newswire_stages,
    "newswire_round": newswire_round,
    "reader_round": reader_round,
    "index_units": index_units,  # figures 11-13 (bench.index_units)
}


class ErrorLog(logging.Handler):
    """Keeps the first error records, so that a figure that lost items can say why."""

    def __init__(self, keep: int = 10) -> None:
        super().__init__(level=logging.ERROR)
        self.keep = keep
        self.messages: list[str] = []
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1
        if len(self.messages) < self.keep:
            detail = getattr(record, "error", None)
            text = record.getMessage() + (f": {detail}" if detail else "")
            self.messages.append(f"{record.name}: {text}")


def main() -> None:
    enforce_loopback()
    # Warnings go to stderr (kept by the parent and shown if the task fails), never stdout.
    logging.basicConfig(stream=sys.stderr, level=logging.ERROR)
    errors = ErrorLog()
    logging.getLogger().addHandler(errors)
    task, raw = sys.argv[1], sys.argv[2]
    result = TASKS[task](json.loads(raw))
    result["logged_errors"] = {"count": errors.count, "first": errors.messages}
    print(RESULT_PREFIX + json.dumps(result, default=_jsonable), flush=True)


def _jsonable(value: object) -> object:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    return str(value)


if __name__ == "__main__":
    main()
