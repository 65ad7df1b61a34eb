"""What every figure of `make bench` shares: the workload sizes (Config), the table rows and
figures it reports (Row, Figure), and small measuring helpers. One module per figure builds on
this (bench.first_run, aws_requests, latency, cpu, cold_start, moving); bench.figures lists them.
Nothing here is hard-coded but the targets (quoted from issues 7 and 13) and the workload's sizes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bench.procs import ChildResult

PASS, MISS, INFO = "PASS", "MISS", "info"

NAIVE = "sequential, no conditional GET, one GetItem per item"
DYNAMODB_WRITES = ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem")


@dataclass(frozen=True)
class Config:
    seed: int = 2026
    # Figures 1-3: the first run and the steady state.
    feeds: int = 50
    items: int = 100
    latency_ms: float = 100.0
    no_validators_every: int = 10  # every 10th feed's origin ignores validators (always 200)
    first_run_repeats: int = 2  # figure 1: best of N interleaved runs of each client
    profile_feeds: int = 5  # one 3:1:1 slice of the mix, profiled with one worker
    naive_feeds: int = 5  # the naive AWS baseline is sequential: a slice of the feeds
    # Figures 2-3 run the first `aws_feeds` of the same feeds: moto's server, not newswire,
    # sets their pace (about 10 ms a request), and the counts are per article and per feed.
    aws_feeds: int = 20
    # Figure 4: latency-bound.
    latency_bound_feeds: int = 200
    latency_bound_items: int = 5
    latency_bound_ms: float = 300.0
    max_workers: int = 64
    # Figure 5: CPU per article.
    cpu_feeds: int = 10
    cpu_repeats: int = 3
    # Figure 6: cold start.
    import_runs: int = 9
    # Figure 7: moving feeds (issue 13).
    moving_feeds: int = 100
    moving_rounds: int = 3
    moving_new: int = 5
    moving_latency_ms: float = 20.0

    def feedset(self, **extra: Any) -> dict[str, Any]:
        return {
            "seed": self.seed,
            "feeds": self.feeds,
            "items": self.items,
            "no_validators_every": self.no_validators_every,
        } | extra


QUICK = Config(
    feeds=10,
    first_run_repeats=1,
    items=20,
    profile_feeds=5,
    naive_feeds=3,
    aws_feeds=10,
    latency_bound_feeds=40,
    latency_bound_items=3,
    cpu_feeds=5,
    cpu_repeats=1,
    import_runs=3,
    moving_feeds=10,
)


@dataclass(frozen=True)
class Row:
    figure: int
    name: str
    value: float | None
    unit: str
    target: str
    verdict: str  # PASS, MISS or info (no target in issues 7 or 13 for this line)


@dataclass
class Figure:
    number: int
    title: str
    rows: list[Row] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # Markdown blocks for the README
    problems: list[str] = field(default_factory=list)  # the workload did not run as planned

    def row(
        self,
        name: str,
        value: float | None,
        unit: str,
        target: str = "—",
        ok: bool | None = None,
    ) -> None:
        verdict = INFO if ok is None else (PASS if ok else MISS)
        self.rows.append(Row(self.number, name, value, unit, target, verdict))

    def expect(self, condition: bool, problem: str) -> None:
        if not condition:
            self.problems.append(problem)


def default_workers() -> int:
    from newswire.bootstrap import Settings

    return Settings().workers


def cpu_seconds(result: ChildResult) -> float:
    """CPU time (user + system, all threads) of the timed work alone, measured in the child."""
    return float(result.output["cpu_s"])


def busy(result: ChildResult) -> float:
    """CPU time over wall time of the timed work: 1.0 is one core busy throughout."""
    return cpu_seconds(result) / float(result.output["wall_s"])


def profile_table(rows: list[dict[str, Any]], top: int, total: float) -> str:
    lines = [
        "| function | calls | tottime s | share of profile | cumtime s |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows[:top]:
        lines.append(
            f"| `{r['function']}` | {r['calls']:,} | {r['tottime_s']:.3f} | "
            f"{100 * r['tottime_s'] / total:.1f} % | {r['cumtime_s']:.3f} |"
        )
    return "\n".join(lines)
