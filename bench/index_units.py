"""Figures 11-13 (issue 14): DynamoDB write units per new article, read units per changed feed
in the steady state, and a monthly bill at two scales, from requests measured on moto's server.

One child process runs newswire on the AWS backend (build_ingestor against moto's server, the
table created from template.yaml) over feeds that move: round 0 is the first run (every item
new), each later round adds `moving_new` items on top of every feed (no validators, so every
feed is fetched and changed), as a scheduled run finds Google News feeds. Each round is a
fresh Ingestor, as each invocation has. Capacity is computed from what the requests carry and
return (DynamoDB's published sizing rules), never from moto's ConsumedCapacity:

- writes: bench.child._write_units (an item's size in started KB, transactions counted
  double), plus the global indexes: every put of an item that carries an index's key writes
  that index too, billed by the size of what the index projects (template.yaml), and a
  delete of such an item deletes its index entry (1 unit);
- reads: a BatchGetItem or GetItem item costs one unit per started 4 KB (half when eventually
  consistent); a Query page costs the size of the items it returns, rounded up to 4 KB, half
  (index reads are eventually consistent).
"""

from __future__ import annotations

import math
import time
from pathlib import Path
from typing import Any

from bench.child import (
    RequestCounter,
    _value_size,
    aws_ingestor,
    billed_items,
    create_backend,
    feed_configs,
)
from bench.common import Config, Figure
from bench.procs import feed_server, moto_server, run_child

Args = dict[str, Any]

TARGET_WCU = 12.0
PRICES = {
    # On-demand, us-east-1, standard table class and storage class; AWS's published prices as
    # of 2024-11-01 (DynamoDB's on-demand cut of that day), not fetched by the bench.
    "dynamodb_write_per_million": 0.625,
    "dynamodb_read_per_million": 0.125,
    "dynamodb_gb_month": 0.25,
    "s3_put_per_thousand": 0.005,
    "s3_get_per_thousand": 0.0004,
    "sqs_per_million": 0.40,
    "lambda_requests_per_million": 0.20,
}
PRICE_NOTE = (
    "Prices: AWS on-demand list prices for us-east-1 as published on 2024-11-01 (after that "
    "day's DynamoDB on-demand reduction), not re-checked from the bench's machine: DynamoDB "
    "$0.625 per million write request units, $0.125 per million read request units, $0.25 per "
    "GB-month; S3 Standard $0.005 per 1,000 PUT/LIST and $0.0004 per 1,000 GET; SQS $0.40 per "
    "million requests; Lambda $0.20 per million invocations. Free tiers are left out."
)
QUEUED_FROM = 20  # template.yaml's InlineFeedsBelow default: from this many due feeds, queued
SCALES = (
    ("20 feeds hourly", 20, 24, 2_000),
    ("2,000 feeds every 15 min", 2_000, 96, 200_000),
)


def _item_bytes(attributes: dict[str, Any]) -> int:
    return sum(len(k.encode("utf-8")) + _value_size(v) for k, v in attributes.items())


def _projections() -> dict[str, tuple[str, frozenset[str]]]:
    """Each global index of template.yaml: its partition key and the attributes it holds."""
    from tooling.cfn import index_table_properties

    found: dict[str, tuple[str, frozenset[str]]] = {}
    for index in index_table_properties()["GlobalSecondaryIndexes"]:
        keys = [k["AttributeName"] for k in index["KeySchema"]]
        projection = index["Projection"]
        extra = projection.get("NonKeyAttributes", [])
        held = frozenset({"pk", *keys, *extra}) if projection["ProjectionType"] != "ALL" else None
        found[index["IndexName"]] = (keys[0], held or frozenset({"*"}))
    return found


class UnitsCounter(RequestCounter):
    """RequestCounter plus the global indexes' write units and every request's read units."""

    def __init__(self) -> None:
        super().__init__()
        self.index_write_units = 0
        self.read_units = 0.0
        self._keys_asked = 0
        self.item_bytes: dict[str, list[int]] = {}  # sizes of the items put, by pk prefix
        # The table's write units by pk prefix, as bench.child._write_units bills them: where
        # a new article's units go (figure 11's note).
        self.units_by_kind: dict[str, int] = {}
        self._indexes = _projections()

    def attach(self, client: Any) -> None:
        super().attach(client)
        for event, handler in (
            ("before-parameter-build.dynamodb.*", self._on_index_writes),
            ("after-call.dynamodb.*", self._on_reads),
        ):
            client.meta.events.register(event, handler)
            self._hooks.append((client, event, handler))

    def _index_units(self, item: dict[str, Any]) -> int:
        units = 0
        for key, held in self._indexes.values():
            if key in item:
                kept = item if "*" in held else {k: v for k, v in item.items() if k in held}
                units += max(1, -(-_item_bytes(kept) // 1024))
        return units

    def _on_index_writes(self, event_name: str, params: dict[str, Any], **_: Any) -> None:
        operation = event_name.split(".")[-1]
        if operation == "BatchGetItem":
            asked = params["RequestItems"].values()
            self._keys_asked = sum(len(table["Keys"]) for table in asked)
        puts: list[dict[str, Any]] = []
        deleted: list[str] = []
        for key, units in billed_items(operation, params):
            kind = str(key["pk"]["S"]).split("#", 1)[0]
            self.units_by_kind[kind] = self.units_by_kind.get(kind, 0) + units
        if operation == "PutItem":
            puts.append(params["Item"])
        elif operation == "BatchWriteItem":
            for requests in params["RequestItems"].values():
                for request in requests:
                    if "PutRequest" in request:
                        puts.append(request["PutRequest"]["Item"])
                    else:
                        deleted.append(request["DeleteRequest"]["Key"]["pk"]["S"])
        elif operation == "TransactWriteItems":
            for action in params["TransactItems"]:
                if "Put" in action:
                    puts.append(action["Put"]["Item"])
                elif "Delete" in action:
                    deleted.append(action["Delete"]["Key"]["pk"]["S"])
        self.index_write_units += sum(self._index_units(item) for item in puts)
        for item in puts:
            kind = str(item["pk"]["S"]).split("#", 1)[0]
            self.item_bytes.setdefault(kind, []).append(_item_bytes(item))
        # Term items are in ByTerm, articles in ByMonth: deleting one deletes its entry.
        self.index_write_units += sum(1 for pk in deleted if pk[:2] in ("T#", "A#"))

    def _on_reads(self, event_name: str, parsed: dict[str, Any], **_: Any) -> None:
        operation = event_name.split(".")[-1]
        if operation == "BatchGetItem":
            # newswire's batch reads are strongly consistent (ConsistentRead=True): a unit per
            # key asked, found or not, and one more per 4 KB beyond the first of what came.
            self.read_units += self._keys_asked
            for items in parsed.get("Responses", {}).values():
                self.read_units += sum(math.ceil(_item_bytes(i) / 4096) - 1 for i in items)
        elif operation == "GetItem":
            self.read_units += max(1, math.ceil(_item_bytes(parsed.get("Item", {})) / 4096))
        elif operation == "Query":
            size = sum(_item_bytes(i) for i in parsed.get("Items", []))
            self.read_units += max(1, math.ceil(size / 4096)) * 0.5

    def as_dict(self) -> Args:
        return super().as_dict() | {
            "index_write_units": self.index_write_units,
            "read_units": self.read_units,
            "units_by_kind": self.units_by_kind,
            "item_bytes": {
                kind: {"count": len(sizes), "mean": sum(sizes) / len(sizes), "max": max(sizes)}
                for kind, sizes in self.item_bytes.items()
            },
        }


def index_units(args: Args) -> Args:
    """The child (bench.child TASKS "index_units"): the rounds, each in a fresh Ingestor."""
    from bench.procs import set_round

    create_backend(args["endpoint"], args["bucket"], args["table"])
    feeds = feed_configs(args)
    rounds = []
    for round_ in range(args["rounds"] + 1):
        set_round(args["base_url"], round_)
        counter = UnitsCounter()
        ingestor = aws_ingestor(args, counter)
        started = time.perf_counter()
        summary = ingestor.run(feeds)
        changed = sum(1 for r in summary.results if r.new or r.updated)
        rounds.append(
            {
                "wall_s": time.perf_counter() - started,
                "counts": summary.counts,
                "changed_feeds": changed,
                "errors": [r.error for r in summary.results if r.error][:5],
                "requests": counter.as_dict(),
            }
        )
    return {"feeds": len(feeds), "rounds": rounds}


def _per(value: float, count: int) -> float:
    return value / max(1, count)


def _monthly(
    feeds: int,
    runs_per_day: int,
    articles_per_day: int,
    per_article: dict[str, float],
    per_feed_run: dict[str, float],
) -> dict[str, float]:
    """The month's requests and dollars at one scale: what a new article costs times the
    articles, plus what a feed's run costs beyond its new articles times the runs."""
    days = 30
    articles = articles_per_day * days
    feed_runs = feeds * runs_per_day * days
    units = {k: per_article[k] * articles + per_feed_run[k] * feed_runs for k in per_article}
    queued = feeds >= QUEUED_FROM
    if queued:  # the dispatcher's queued mark (a conditional update, 1 unit) per feed run
        units["wcu"] += feed_runs
    dollars = {
        "dynamodb_writes": units["wcu"] / 1e6 * PRICES["dynamodb_write_per_million"],
        "dynamodb_reads": units["rcu"] / 1e6 * PRICES["dynamodb_read_per_million"],
        "s3_puts": units["s3_puts"] / 1e3 * PRICES["s3_put_per_thousand"],
        "s3_gets": units["s3_gets"] / 1e3 * PRICES["s3_get_per_thousand"],
        # One message per due feed when queued, sent, received and deleted (3 requests).
        "sqs": feed_runs * 3 / 1e6 * PRICES["sqs_per_million"] if queued else 0.0,
        "lambda_requests": (runs_per_day * days + (feed_runs / 5 if queued else 0))
        / 1e6
        * PRICES["lambda_requests_per_million"],
        "dynamodb_storage_growth": per_article["bytes"]
        * articles
        / 1e9
        * PRICES["dynamodb_gb_month"],
    }
    return {"articles": articles, "feed_runs": feed_runs, **units, **dollars}


def figures_index(cfg: Config, work: Path) -> list[Figure]:
    writes = Figure(11, "DynamoDB write units per new article (AWS backend on moto's server)")
    reads = Figure(12, "DynamoDB read units per changed feed in the steady state")
    cost = Figure(13, "Monthly AWS request cost at 2,000 and 200,000 articles a day")
    feeds, items = cfg.aws_feeds, cfg.items
    rounds, per_round = cfg.moving_rounds, cfg.moving_new
    with (
        feed_server(
            cfg.seed,
            feeds,
            items,
            cfg.moving_latency_ms,
            no_validators_every=1,
            moving_rounds=rounds,
            moving_new=per_round,
        ) as base,
        moto_server() as endpoint,
    ):
        result = run_child(
            "index_units",
            {
                "seed": cfg.seed,
                "feeds": feeds,
                "items": items,
                "no_validators_every": 1,
                "base_url": base,
                "endpoint": endpoint,
                "bucket": "index-units",
                "table": "index-units",
                "rounds": rounds,
            },
            timeout=1800,
        )
    first, *steady = result.output["rounds"]
    new = int(first["counts"]["new"])
    writes.expect(new == feeds * items, f"the first run stored {new} of {feeds * items}")
    writes.expect(not first["errors"], f"first run errors: {first['errors']}")
    req = first["requests"]
    base_units = _per(req["write_units"], new)
    index_units_ = _per(req["index_write_units"], new)
    writes.row(
        "table write units per new article (items' sizes, transactions counted double)",
        base_units,
        "WCU",
        f"≤ {TARGET_WCU:g}",
        base_units <= TARGET_WCU,
    )
    writes.row("global index write units per new article (projected sizes)", index_units_, "WCU")
    writes.row("table and indexes together, per new article", base_units + index_units_, "WCU")
    items_written = req["items_written"]
    writes.notes += [
        f"The first run of {feeds} feeds ({new:,} new articles) on moto's server, the table "
        "created from template.yaml. Items written, by kind (pk prefix): "
        f"{items_written}; requests: {req['calls']}. The issue's measure (the table's "
        "writes, transactions counted double) is the first row; DynamoDB also bills each write "
        "of an item that an index holds once more for that index, by the projected size: the "
        "second row, computed from template.yaml's projections. The table's units per new "
        "article by kind (pk prefix): "
        + ", ".join(
            f"{kind}# {units / max(1, new):.2f}"
            for kind, units in sorted(req["units_by_kind"].items(), key=lambda kv: -kv[1])
        )
        + "; mean item bytes by kind: "
        + ", ".join(f"{kind}# {size['mean']:.0f}" for kind, size in req["item_bytes"].items())
        + "."
    ]
    writes.details = {"first_run": first}

    changed = sum(int(r["changed_feeds"]) for r in steady)
    steady_new = sum(int(r["counts"]["new"]) for r in steady)
    reads.expect(
        steady_new == rounds * feeds * per_round,
        f"the steady rounds stored {steady_new} of {rounds * feeds * per_round}",
    )
    reads.expect(all(not r["errors"] for r in steady), "errors in the steady rounds")
    rcu = sum(float(r["requests"]["read_units"]) for r in steady)
    wcu = sum(
        float(r["requests"]["write_units"] + r["requests"]["index_write_units"]) for r in steady
    )
    reads.row("read units per changed feed (steady state)", _per(rcu, changed), "RCU")
    reads.row(
        f"write units per changed feed ({per_round} new articles, indexes included)",
        _per(wcu, changed),
        "WCU",
    )
    reads.row("read units per new article in the first run", _per(req["read_units"], new), "RCU")
    reads.notes += [
        f"{rounds} rounds after the first, each adding {per_round} items on top of every one "
        f"of the {feeds} feeds (no validators: every feed fetched, parsed and changed), each "
        f"round a fresh Ingestor: {changed} changed feeds, {steady_new} new articles. Reads "
        "are the feed states and leases, the articles a changed feed's items may already be "
        "(BatchGetItem, strongly consistent), and the month markers; no site build runs here."
    ]
    reads.details = {"steady_rounds": steady}

    # --- the bill
    def calls(run: Args, op: str) -> int:
        return int(run["requests"]["calls"].get(op, 0))

    steady_calls = {op: sum(calls(r, op) for r in steady) for op in ("PutObject", "GetObject")}
    per_article = {
        "wcu": base_units + index_units_,
        "rcu": _per(req["read_units"], new),
        "s3_puts": _per(calls(first, "PutObject"), new),
        "s3_gets": _per(calls(first, "GetObject"), new),
        "bytes": 2 * base_units * 1024,  # table and index copies, at most a KB per unit
    }
    # A feed's run beyond its new articles: the steady rounds minus their new articles' share.
    feed_runs = max(1, changed)
    per_feed_run = {
        "wcu": max(0.0, wcu - steady_new * per_article["wcu"]) / feed_runs,
        "rcu": max(0.0, rcu - steady_new * per_article["rcu"]) / feed_runs,
        "s3_puts": max(0.0, steady_calls["PutObject"] - steady_new * per_article["s3_puts"])
        / feed_runs,
        "s3_gets": max(0.0, steady_calls["GetObject"] - steady_new * per_article["s3_gets"])
        / feed_runs,
        "bytes": 0.0,
    }
    table = [
        "| scale | articles / month | feed runs / month | DynamoDB WRU | DynamoDB RRU | "
        "DynamoDB writes $ | DynamoDB reads $ | S3 requests $ | SQS $ | Lambda requests $ | "
        "DynamoDB storage added $ | total $ |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, n_feeds, runs, per_day in SCALES:
        month = _monthly(n_feeds, runs, per_day, per_article, per_feed_run)
        s3 = month["s3_puts"] + month["s3_gets"]
        total = sum(
            month[k]
            for k in (
                "dynamodb_writes",
                "dynamodb_reads",
                "s3_puts",
                "s3_gets",
                "sqs",
                "lambda_requests",
                "dynamodb_storage_growth",
            )
        )
        cost.row(f"{label}: DynamoDB, S3, SQS and Lambda requests", total, "$ / month")
        table.append(
            f"| {label} | {month['articles']:,.0f} | {month['feed_runs']:,.0f} | "
            f"{month['wcu']:,.0f} | {month['rcu']:,.0f} | {month['dynamodb_writes']:,.2f} | "
            f"{month['dynamodb_reads']:,.2f} | {s3:,.2f} | {month['sqs']:,.2f} | "
            f"{month['lambda_requests']:,.2f} | {month['dynamodb_storage_growth']:,.2f} | "
            f"{total:,.2f} |"
        )
    cost.notes += [
        "\n".join(table),
        "Per new article (first run): "
        + ", ".join(f"{k} {v:.2f}" for k, v in per_article.items())
        + "; per feed run beyond its new articles (steady rounds): "
        + ", ".join(f"{k} {v:.2f}" for k, v in per_feed_run.items())
        + ". A month is 30 days; from 20 due feeds (InlineFeedsBelow) the scheduled function "
        "queues one SQS message per feed (sent, received, deleted; and a queued mark, 1 write "
        "unit) and the workers take 5 a batch. Not in the table: "
        "Lambda duration (CPU per article is figure 5's), the site's pages (issue 14's site "
        "figures), S3 storage, CloudFront and data transfer. " + PRICE_NOTE,
    ]
    cost.details = {"prices": PRICES, "per_article": per_article, "per_feed_run": per_feed_run}
    return [writes, reads, cost]
