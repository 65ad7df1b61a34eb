"""Figures 2 and 3: AWS requests against moto's server, the first run and the steady state."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from urllib.parse import urlsplit

from bench.common import (
    DYNAMODB_WRITES,
    NAIVE,
    Config,
    Figure,
)
from bench.procs import feed_server, moto_server, run_child
from bench.procs import server_stats as stats_of


def _ops_table(columns: dict[str, tuple[dict[str, int], int]]) -> str:
    operations = sorted({op for calls, _ in columns.values() for op in calls})
    head = "| operation | " + " | ".join(columns) + " |"
    rule = "|---|" + "---:|" * len(columns)
    lines = [head, rule]
    for op in operations:
        cells = [
            f"{calls.get(op, 0):,} ({calls.get(op, 0) / max(1, n):.2f})"
            for calls, n in columns.values()
        ]
        lines.append(f"| {op} | " + " | ".join(cells) + " |")
    totals = [
        f"{sum(calls.values()):,} ({sum(calls.values()) / max(1, n):.2f})"
        for calls, n in columns.values()
    ]
    lines.append("| **all** | " + " | ".join(totals) + " |")
    return "\n".join(lines)


def figures_2_and_3(cfg: Config, work: Path) -> tuple[Figure, Figure]:
    steady = Figure(2, "Steady state: the same feeds again (AWS backend on moto's server)")
    first = Figure(3, "AWS requests per new article (first run on moto's server)")
    planned = cfg.aws_feeds * cfg.items
    with (
        feed_server(
            cfg.seed,
            cfg.feeds,
            cfg.items,
            cfg.latency_ms,
            no_validators_every=cfg.no_validators_every,
        ) as base,
        moto_server() as endpoint,
    ):
        newswire = run_child(
            "newswire_aws",
            cfg.feedset(
                base_url=base,
                endpoint=endpoint,
                bucket="newswire-bench",
                table="newswire-index",
                only_feeds=cfg.aws_feeds,
            ),
            timeout=900,
        )
        served = stats_of(base, reset=True)["by_path"]
        naive = run_child(
            "naive_aws",
            cfg.feedset(
                base_url=base,
                endpoint=endpoint,
                bucket="naive-bench",
                table="naive-index",
                only_feeds=cfg.naive_feeds,
            ),
            timeout=900,
        )
    run1, run2 = newswire.output["runs"]
    naive1, naive2 = naive.output["runs"]
    feeds = int(newswire.output["feeds"])

    # --- figure 3: the first run
    new = int(run1["counts"]["new"])
    first.expect(
        new == planned,
        f"newswire stored {new} of {planned} articles on moto; logged: "
        f"{newswire.output['logged_errors']}",
    )
    first.expect(not run1["errors"], f"first run errors: {run1['errors']}")
    calls1: dict[str, int] = run1["requests"]["calls"]
    writes1: dict[str, int] = run1["requests"]["writes_by_kind"]
    batch_keys: list[int] = run1["requests"]["article_batch_get_keys"]
    article_puts = run1["requests"]["article_puts"] / max(1, new)
    other_puts = calls1.get("PutObject", 0) - run1["requests"]["article_puts"]
    article_writes = writes1.get("article", 0) / max(1, new)
    first.row(
        "S3 PutObject of an article's page per new article", article_puts, "", "= 1",
        article_puts == 1.0,
    )  # fmt: skip
    # A section's content/<section>/_index.md is written once, when its first article is.
    first.row("S3 PutObject of other objects (sections' _index.md), whole run", other_puts, "")
    first.row(
        "DynamoDB write requests per new article (writing its record)",
        article_writes,
        "",
        "≤ 1",
        article_writes <= 1.0,
    )
    all_writes = sum(calls1.get(op, 0) for op in DYNAMODB_WRITES) / max(1, new)
    first.row("DynamoDB write requests per new article, feed state included", all_writes, "")
    transactions = run1["requests"]["items_per_transaction"]
    per_transaction = sum(transactions) / len(transactions) if transactions else 0.0
    first.row("DynamoDB items written in each new article's transaction", per_transaction, "")
    smallest = min(batch_keys) if batch_keys else 0
    first.row(
        "article keys per BatchGetItem (smallest request)",
        smallest,
        "keys",
        "≥ 25",
        bool(batch_keys) and smallest >= 25,
    )
    single_reads = calls1.get("GetItem", 0) / max(1, new)
    first.row("single-key GetItem per new article", single_reads, "")
    units_new = run1["requests"]["write_units"] / max(1, new)
    naive_units = naive1["requests"]["write_units"] / max(1, int(naive1["new"]))
    first.row("DynamoDB write units per new article (from item sizes)", units_new, "WCU")
    first.row(f"naive baseline ({NAIVE}): write units per new article", naive_units, "WCU")
    nw_total = sum(calls1.values()) / max(1, new)
    naive_new = int(naive1["new"])
    naive_total = sum(naive1["requests"]["calls"].values()) / max(1, naive_new)
    first.row("AWS requests per new article: newswire", nw_total, "")
    first.row(f"AWS requests per new article: naive baseline ({NAIVE})", naive_total, "")
    first.details = {
        "newswire_first_run": run1,
        "naive_first_run": naive1,
        "naive_feeds": naive.output["feeds"],
    }
    mean_keys = sum(batch_keys) / len(batch_keys) if batch_keys else 0.0
    first.notes += [
        f"newswire's first run of the first {feeds} of figure 1's feeds ({new:,} new "
        "articles; moto's server, at about 10 ms a request, sets the pace of these figures, "
        "and their counts are per article and per feed) through "
        "`build_ingestor(Settings(bucket=..., table=..., endpoint_url=moto))`, a table created "
        "from template.yaml's `IndexTable`; every API call counted on newswire's own boto3 "
        "clients with `before-call` hooks (and HTTP attempts with `before-send`: "
        f"{'the same, no retries' if run1['requests']['attempts'] == calls1 else 'they differ'})."
        f" The naive baseline (bench/child.py `naive_aws`: sequential, no conditional GET, "
        f"feedparser's default `parse()`, one GetItem + PutObject + PutItem per item) ran on "
        f"the first {naive.output['feeds']} feeds ({naive_new:,} articles). Calls, and calls "
        f"per new article in brackets:",
        _ops_table(
            {
                f"newswire ({new:,} articles)": (calls1, new),
                f"naive baseline ({naive_new:,} articles)": (
                    naive1["requests"]["calls"],
                    naive_new,
                ),
            }
        ),
        f"DynamoDB write requests by what they touch (newswire): {writes1}; items written, "
        f"by kind: {run1['requests']['items_written']}. BatchGetItem carried "
        f"{mean_keys:.0f} article keys per request on average ({len(batch_keys)} requests). "
        + (
            f"Each new article is one TransactWriteItems of {per_transaction:.1f} items on "
            "average (the article, its slug claim and the other kinds above, all or nothing). "
            if transactions
            else "No transaction writes a new article (its claim, a conditional put of its "
            "slug, of each story key and of its claim item, its term items and its record are "
            "plain conditional or batched writes; figure 11 has the detail). "
        )
        + "DynamoDB bills a transactional write at twice the capacity units of a plain one, "
        "per item, and one unit per KB of each item: from the sizes of the items in the "
        f"requests, {units_new:.1f} write units per new article (newswire, feed state "
        f"included) against {naive_units:.1f} for the naive baseline. The write requests per "
        f"new article ({article_writes:.2f}) "
        + ("meet" if article_writes <= 1.0 else "miss")
        + f" the target (≤ 1); the write units are {units_new / max(naive_units, 1e-9):.1f}× "
        "the naive ones.",
        f"Wall time on moto's server (informational; moto is far slower than DynamoDB): "
        f"newswire {run1['wall_s']:.1f} s with {run1['workers']} workers, naive "
        f"{naive1['wall_s']:.1f} s for its {naive_new:,} articles.",
    ]

    # --- figure 2: the steady state
    statuses = {path: codes[-1] for path, codes in served.items()}
    steady.expect(
        all(len(codes) == 2 for codes in served.values()),
        "some feeds were requested more than twice (retries?)",
    )
    not_modified = {p for p, code in statuses.items() if code == 304}
    resent = {p for p, code in statuses.items() if code == 200}
    parsed = Counter(urlsplit(u).path for u in run2["parsed_urls"])
    calls2: dict[str, int] = run2["requests"]["calls"]
    writes2: dict[str, int] = run2["requests"]["writes_by_kind"]
    steady.expect(not run2["errors"], f"steady-state errors: {run2['errors']}")
    steady.row(
        "S3 PutObject", calls2.get("PutObject", 0), "requests", "= 0", not calls2.get("PutObject")
    )
    steady.row(
        "article writes (DynamoDB requests touching an article record)",
        writes2.get("article", 0),
        "requests",
        "= 0",
        not writes2.get("article"),
    )
    parsed_304 = sum(parsed[p] for p in not_modified)
    steady.row(
        f"bodies parsed where the server answered 304 ({len(not_modified)} feeds)",
        parsed_304,
        "bodies",
        "= 0",
        parsed_304 == 0 and bool(not_modified),
    )
    per_feed = sum(calls2.values()) / max(1, feeds)
    steady.row("AWS requests per feed", per_feed, "requests", "≤ 2", per_feed <= 2.0)
    parsed_200 = sum(parsed[p] for p in resent)
    steady.row(
        f"bodies parsed where the origin ignores validators ({len(resent)} feeds, same bytes)",
        parsed_200,
        "bodies",
    )
    naive_feeds = int(naive.output["feeds"])
    naive_per_feed = sum(naive2["requests"]["calls"].values()) / max(1, naive_feeds)
    steady.row(f"naive baseline ({NAIVE}): AWS requests per feed", naive_per_feed, "requests")
    units_steady = run2["requests"]["write_units"] / max(1, feeds)
    steady.row("DynamoDB write units per feed (from item sizes)", units_steady, "WCU")
    steady.details = {
        "newswire_steady_run": run2,
        "server_statuses_second_run": dict(Counter(statuses.values())),
        "naive_steady_run": naive2,
    }
    steady.notes += [
        f"The same {feeds} feeds as figure 3 again, with a fresh `Ingestor` (as a new "
        "invocation has). "
        f"The server answered {len(not_modified)} feeds with 304; the "
        f"{len(resent)} feeds planned without validators (every "
        f"{cfg.no_validators_every}th) were sent again in full, and newswire "
        + (
            "recognised the same bytes by their hash without parsing them"
            if parsed_200 == 0
            else f"parsed {parsed_200} of those bodies again"
        )
        + f". DynamoDB write units in this run: {units_steady:.1f} per feed (the feed state "
        "and its lease). Requests by operation (per feed):",
        _ops_table(
            {
                f"newswire ({feeds} feeds)": (calls2, feeds),
                f"naive baseline ({naive_feeds} feeds)": (
                    naive2["requests"]["calls"],
                    naive_feeds,
                ),
            }
        ),
        f"Bodies parsed in the steady state: newswire {sum(parsed.values())}, the naive "
        f"baseline {naive2['parsed']} of {naive_feeds} (it has no conditional GET). Wall: "
        f"newswire {run2['wall_s']:.2f} s, naive {naive2['wall_s']:.2f} s.",
    ]
    return steady, first
