"""Figure 1: the first run on the embedded backend, against lemon24/reader."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import (
    Config,
    Figure,
    busy,
    cpu_seconds,
    default_workers,
    profile_table,
)
from bench.procs import ChildResult, feed_server, run_child
from bench.procs import server_stats as stats_of


def figure_1(cfg: Config, work: Path) -> Figure:
    fig = Figure(1, "First run, embedded backend, against lemon24/reader")
    workers = default_workers()
    planned = cfg.feeds * cfg.items
    with feed_server(
        cfg.seed, cfg.feeds, cfg.items, cfg.latency_ms, no_validators_every=cfg.no_validators_every
    ) as base:
        newswire_runs: list[ChildResult] = []
        reader_runs: list[ChildResult] = []
        for attempt in range(cfg.first_run_repeats):  # interleaved: both see the same load
            newswire_runs.append(
                run_child(
                    "newswire_embedded",
                    cfg.feedset(
                        base_url=base,
                        site_dir=str(work / f"f1-newswire-{attempt}"),
                        workers=workers,
                    ),
                )
            )
            served = stats_of(base, reset=True)["by_status"]
            fig.expect(served.get(200) == cfg.feeds, f"server answered newswire {served}")
            reader_runs.append(
                run_child(
                    "reader",
                    cfg.feedset(
                        base_url=base, db=str(work / f"f1-reader-{attempt}.db"), workers=workers
                    ),
                )
            )
            served = stats_of(base, reset=True)["by_status"]
            fig.expect(served.get(200) == cfg.feeds, f"server answered reader {served}")
        newswire = min(newswire_runs, key=lambda r: float(r.output["wall_s"]))
        reader = min(reader_runs, key=lambda r: float(r.output["wall_s"]))
        reader_1 = run_child(
            "reader", cfg.feedset(base_url=base, db=str(work / "f1-reader-w1.db"), workers=1)
        )
        profiled = run_child(
            "newswire_profile",
            cfg.feedset(
                base_url=base, site_dir=str(work / "f1-profile"), only_feeds=cfg.profile_feeds
            ),
        )
        staged = run_child(
            "newswire_stages",
            cfg.feedset(base_url=base, site_dir=str(work / "f1-stages"), workers=workers),
        )
    new = int(newswire.output["counts"]["new"])
    entries = int(reader.output["entries"])
    fig.expect(
        new == planned,
        f"newswire stored {new} of {planned} articles; logged: {newswire.output['logged_errors']}",
    )
    fig.expect(entries == planned, f"reader stored {entries} of {planned} entries")
    fig.expect(reader_1.output["entries"] == planned, "reader (1 worker) missed entries")

    nw_rate = new / newswire.output["wall_s"]
    rd_rate = entries / reader.output["wall_s"]
    rd1_rate = reader_1.output["entries"] / reader_1.output["wall_s"]
    ratio = nw_rate / rd_rate
    fig.row(f"newswire first run, {workers} workers", nw_rate, "articles/s")
    fig.row(f"reader 3.26 update_feeds(workers={workers})", rd_rate, "articles/s")
    fig.row("newswire ÷ reader, articles/s (issue 7)", ratio, "×", "≥ 2×", ratio >= 2.0)
    fig.row(
        "newswire ÷ reader, articles/s (issue 13: first run, no site)",
        ratio, "×", "≥ 1.0× (aim 1.5×)", ratio >= 1.0,
    )  # fmt: skip
    fig.row("newswire wall time", newswire.output["wall_s"], "s")
    peak = max(r.maxrss_mb for r in newswire_runs)
    fig.row("newswire peak RSS", peak, "MB", "≤ 200 MB", peak <= 200)

    nw_cpu_ms = 1000 * cpu_seconds(newswire) / max(1, new)
    rd_cpu_ms = 1000 * cpu_seconds(reader) / max(1, entries)
    fig.row(
        "newswire CPU per new article (parse, normalize, render, write)",
        nw_cpu_ms, "ms", f"≤ reader's ({rd_cpu_ms:.2f} ms)", nw_cpu_ms <= rd_cpu_ms,
    )  # fmt: skip
    fig.details = {
        "workload": cfg.feedset(latency_ms=cfg.latency_ms),
        "newswire": newswire.output
        | {
            "articles_per_s": nw_rate,
            "peak_rss_mb": newswire.maxrss_mb,
            "cpu_ms_per_article": nw_cpu_ms,
        },
        "reader": reader.output
        | {
            "articles_per_s": rd_rate,
            "peak_rss_mb": reader.maxrss_mb,
            "cpu_ms_per_article": rd_cpu_ms,
        },
        "reader_1_worker": reader_1.output | {"articles_per_s": rd1_rate},
        "ratio": ratio,
        "walls_s": {
            "newswire": [r.output["wall_s"] for r in newswire_runs],
            "reader": [r.output["wall_s"] for r in reader_runs],
        },
        "profile": profiled.output,
        "stages": staged.output,
    }
    stages = profiled.output["stages_s"]
    total = float(profiled.output["profile_total_s"])
    articles = max(1, int(profiled.output["articles"]))
    stage_lines = "\n".join(
        f"| {label} | {1000 * seconds / articles:.2f} | {100 * seconds / total:.0f} % |"
        for label, seconds in sorted(stages.items(), key=lambda kv: -kv[1])
    )
    fig.notes += [
        f"{cfg.feeds} feeds × {cfg.items} items ({planned:,} articles; 3 in 5 feeds Google "
        f"News-shaped, the rest RSS and Atom with HTML content), {cfg.latency_ms:g} ms per "
        f"request, a fresh site directory and database for each client, both with "
        f"{workers} workers (newswire's default, `Settings().workers`). Timed: `Ingestor.run` "
        "and `Reader.update_feeds` alone (imports and setup excluded), best of "
        f"{cfg.first_run_repeats} interleaved runs each (walls in results.json). Peak RSS is "
        "the child's own `ru_maxrss` from `os.wait4` (the larger of newswire's runs).",
        "| client | articles/s | wall s | CPU s (user + sys) | CPU ms/article | context "
        "switches (voluntary, involuntary) | peak RSS MB |\n|---|---:|---:|---:|---:|---:|---:|\n"
        + usage_line(f"newswire, {workers} workers", newswire, new)
        + usage_line(f"reader 3.26, {workers} workers", reader, entries)
        + usage_line("reader 3.26, 1 worker (its default)", reader_1, reader_1.output["entries"]),
        f"Process CPU ÷ timed wall: newswire {100 * busy(newswire):.0f} % of one core, "
        f"reader {100 * busy(reader):.0f} %"
        + (
            " — both close to one full core: the GIL lets one thread run Python at a time, so "
            "articles/s is set by CPU per article, not by the latency."
            if min(busy(newswire), busy(reader)) >= 0.7
            else "."
        ),
        f"Where newswire's time goes: cProfile (wall clock, so I/O waits count: network "
        f"latency in fetch, file and SQLite writes) of a first run of {cfg.profile_feeds} "
        f"feeds ({articles} articles) with one worker, {profiled.output['wall_s']:.1f} s under "
        "the profiler; ms per article by pipeline stage (cumulative, profiler overhead "
        f"included):\n\n| stage | ms/article | share |\n|---|---:|---:|\n{stage_lines}",
        "Own time by package in that profile (a C built-in's time counted with the package "
        "that called it): "
        + ", ".join(
            f"{name} {100 * seconds / total:.0f} %"
            for name, seconds in profiled.output["by_package"]
        )
        + ".",
        "Top five functions of that profile by **tottime** (own time):\n\n"
        + profile_table(profiled.output["top"], 5, total),
        stage_note(staged),
    ]
    return fig


def usage_line(client: str, run: ChildResult, articles: int) -> str:
    out = run.output
    switches = out["context_switches"]
    return (
        f"| {client} | {articles / out['wall_s']:.0f} | {out['wall_s']:.2f} | "
        f"{cpu_seconds(run):.2f} ({out['user_s']:.2f} + {out['sys_s']:.2f}) | "
        f"{1000 * cpu_seconds(run) / max(1, articles):.2f} | "
        f"{switches['voluntary']:,}, {switches['involuntary']:,} | {run.maxrss_mb:.0f} |\n"
    )


def stage_ms(output: dict[str, Any]) -> dict[str, float]:
    """CPU ms per article of each stage in the timed run (bench.child.newswire_stages), of
    what no stage covers, and of the stage timers themselves (calibrated: each stage less the
    part of its timers' clock reads that its own readings count)."""
    articles = max(1, int(output["articles"]))
    calls: dict[str, int] = output.get("stage_calls", {})
    inside, outside = (float(output.get(k, 0.0)) for k in ("timer_inside_s", "timer_outside_s"))
    ms = {
        k: 1000 * (float(v) - inside * calls.get(k, 0)) / articles
        for k, v in output["stages_cpu_s"].items()
    }
    timers = 1000 * (inside + outside) * sum(calls.values()) / articles
    ms[OTHER] = 1000 * float(output["cpu_s"]) / articles - sum(ms.values()) - timers
    if calls:
        ms[TIMERS] = timers
    return ms


PURE_STAGES = ("parse (feedparser)", "normalize", "render")
"""Figure 5's stages (bench.child.CPU_STAGES labels)."""
OTHER = "everything else (the worker pool and its switching, the ingest and commit loops, logs)"
TIMERS = "the stage timers themselves (the bench's, not newswire's: calibrated after the run)"


def stage_note(staged: ChildResult) -> str:
    out = staged.output
    articles = max(1, int(out["articles"]))
    total_ms = 1000 * cpu_seconds(staged) / articles
    lines = "\n".join(
        f"| {label} | {ms:.3f} | {100 * ms / total_ms:.0f} % |"
        for label, ms in sorted(stage_ms(out).items(), key=lambda kv: -kv[1])
    )
    calls = sum(out.get("stage_calls", {}).values())
    per_call = float(out.get("timer_inside_s", 0.0)) + float(out.get("timer_outside_s", 0.0))
    timers = (
        f" ({calls:,} timed calls at {1e6 * per_call:.2f} µs each, measured on an empty "
        "function after the run: two clock reads, each a system call)"
        if calls
        else ""
    )
    return (
        f"Where figure 1's CPU goes: the same first run once more ({out['workers']} workers, "
        f"{articles:,} articles, its own fresh site), each stage timed by the calling thread's "
        "CPU clock (`time.thread_time()`, so neither waiting nor other threads' work is "
        "counted in it); the rest is the process's CPU (user + sys) minus the stages and the "
        f"timers' own cost{timers}. This run: {out['wall_s']:.2f} s wall, "
        f"{cpu_seconds(staged):.2f} s CPU "
        f"({out['user_s']:.2f} user + {out['sys_s']:.2f} sys), {total_ms:.2f} ms per article."
        f"\n\n| stage | CPU ms/article | share |\n|---|---:|---:|\n{lines}"
    )
