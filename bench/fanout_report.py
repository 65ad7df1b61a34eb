"""`make bench-fanout`: issue 5's load test (bench/fanout.py) with its figures written to
bench/fanout.md and bench/fanout.json. Kept apart from `make bench` because it runs for minutes
on its own (moto, not newswire, sets most of the pace)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.fanout import run_load_test
from bench.report import describe_machine

HERE = Path(__file__).resolve().parent


def render(figures: dict[str, Any], machine: dict[str, Any]) -> str:
    correct = (
        figures["feeds_ingested"] == figures["feeds"]
        and figures["duplicates"] == 0
        and figures["dlq"] == ["poison"]
        and figures["poison_receives"] == 3
    )
    f = figures
    rows = [
        ("feeds (good + poison)", f"{f['feeds']} + {f['poison_feeds']}"),
        ("concurrent worker containers", f["workers"]),
        ("messages sent / received", f"{f['messages_sent']} / {f['messages_received']}"),
        ("worker invocations", f["invocations"]),
        ("feeds ingested (exactly once)", f"{f['feeds_ingested']} ({f['feeds_fetched_once']})"),
        ("duplicates (deliveries + fetches + ingests)", f["duplicates"]),
        ("poison feed: receives, then DLQ", f"{f['poison_receives']}, DLQ = {f['dlq']}"),
        ("articles indexed / expected", f"{f['articles_indexed']} / {f['articles_expected']}"),
        ("feeds config reads", f["config_loads"]),
        ("dispatch + drain wall time", f"{f['dispatch_seconds']} s + {f['drain_seconds']} s"),
        ("feeds/s", f["feeds_per_second"]),
    ]
    verdict = (
        "every feed ingested exactly once, only the poison feed dead-lettered"
        if correct
        else "**NOT CORRECT, see fanout.json**"
    )
    lines = [
        "# Fan-out load test (issue 5)",
        "",
        "`make bench-fanout` (`python -m bench.fanout_report`): feeds served from loopback,",
        "dispatched by the scheduled handler to an SQS queue (moto, in process), drained by",
        "worker containers running concurrently (threads invoking the worker handler with real",
        "SQS batches received from moto, deleting what succeeded and releasing what failed), one",
        "poison feed among them. Correctness, not speed, is the point: moto serves one request at",
        "a time, so feeds/s measures moto as much as newswire.",
        "",
        f"- date (UTC): {machine['date']}; commit `{machine['commit']}`; "
        f"{machine['nproc']} cores, {machine['cpu_model']}",
        f"- verdict: {verdict}",
        "",
        "| figure | value |",
        "|---|---:|",
        *[f"| {name} | {value} |" for name, value in rows],
        "",
        "Every number comes from [fanout.json](fanout.json), written by the same run.",
        "",
    ]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--feeds", type=int, default=1000, help="good feeds (default: 1000)")
    parser.add_argument("--workers", type=int, default=8, help="worker containers (default: 8)")
    parser.add_argument("--out", type=Path, default=HERE, help="where fanout.md/.json go")
    args = parser.parse_args(argv)
    figures = run_load_test(args.feeds, workers=args.workers, quiet_stdout=True)
    machine = describe_machine()
    machine["date"] = datetime.now(UTC).isoformat(timespec="seconds")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "fanout.json").write_text(json.dumps(figures, indent=2, default=str) + "\n")
    text = render(figures, machine)
    (args.out / "fanout.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
