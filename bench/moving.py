"""Figure 7 (issue 13): the steady state on feeds that move the way Google News does.

Every feed of the figure 1 mix gets new items on top each round (no ETag or Last-Modified, a
new lastBuildDate every fetch), so conditional GET and the body hash cannot help: what a round
costs is what the client does with a body that is mostly known. newswire and reader each run
every round in a fresh process (as a scheduled run is), interleaved round by round so both
see the same load; round 0 is the first run and is not counted.
"""

from __future__ import annotations

from pathlib import Path

from bench.common import Config, Figure, default_workers
from bench.procs import ChildResult, feed_server, run_child


def _process_cpu(result: ChildResult) -> float:
    """The whole process: imports, setup and the run (rusage of the child)."""
    return result.user_s + result.sys_s


def figure_7(cfg: Config, work: Path) -> Figure:
    fig = Figure(7, "Steady state on moving feeds: a run costs what is new")
    workers = default_workers()
    feeds, items, rounds, per_round = cfg.moving_feeds, cfg.items, cfg.moving_rounds, cfg.moving_new
    args = {"seed": cfg.seed, "feeds": feeds, "items": items, "no_validators_every": 1}
    newswire: list[ChildResult] = []
    reader: list[ChildResult] = []
    with feed_server(
        cfg.seed, feeds, items, cfg.moving_latency_ms,
        no_validators_every=1, moving_rounds=rounds, moving_new=per_round,
    ) as base:  # fmt: skip
        for round_ in range(rounds + 1):
            common = args | {"base_url": base, "workers": workers, "round": round_}
            newswire.append(run_child(
                "newswire_round", common | {"site_dir": str(work / "f7-newswire")}, timeout=1800
            ))  # fmt: skip
            reader.append(run_child(
                "reader_round", common | {"db": str(work / "f7-reader.db")}, timeout=1800
            ))  # fmt: skip
    expected_new = feeds * per_round
    fig.expect(
        int(newswire[0].output["counts"]["new"]) == feeds * items,
        f"newswire's first run stored {newswire[0].output['counts']['new']} of {feeds * items}",
    )
    for n, (nw, rd) in enumerate(zip(newswire[1:], reader[1:], strict=True), start=1):
        got = int(nw.output["counts"]["new"])
        fig.expect(got == expected_new, f"round {n}: newswire stored {got} of {expected_new}")
        fig.expect(not nw.output["errors"], f"round {n}: newswire errors {nw.output['errors']}")
        fig.expect(
            int(rd.output["new"]) == expected_new,
            f"round {n}: reader stored {rd.output['new']} of {expected_new}",
        )

    steady_nw, steady_rd = newswire[1:], reader[1:]
    nw_cpu = sum(float(r.output["cpu_s"]) for r in steady_nw)
    rd_cpu = sum(float(r.output["cpu_s"]) for r in steady_rd)
    nw_proc = sum(_process_cpu(r) for r in steady_nw)
    rd_proc = sum(_process_cpu(r) for r in steady_rd)
    in_process = rd_cpu / nw_cpu if nw_cpu else 0.0
    whole = rd_proc / nw_proc if nw_proc else 0.0
    parsed = [int(r.output["parsed_items"]) for r in steady_nw]
    changed = [
        int(r.output["counts"]["new"]) + int(r.output["counts"]["updated"]) for r in steady_nw
    ]
    fig.row(f"reader CPU per round, {rounds} rounds, in-process", rd_cpu / rounds, "s")
    fig.row(f"newswire CPU per round, {rounds} rounds, in-process", nw_cpu / rounds, "s")
    fig.row(
        "reader CPU ÷ newswire CPU, timed around the ingest work in-process",
        in_process, "×", "≥ 5× (aim 10×)", in_process >= 5.0,
    )  # fmt: skip
    fig.row("the same, whole processes (imports included)", whole, "×", "≥ 3×", whole >= 3.0)
    fig.row(
        "items given to feedparser per round (mean)",
        sum(parsed) / rounds, "items",
        f"= new + changed ({sum(changed) / rounds:.0f})", parsed == changed,
    )  # fmt: skip
    fig.details = {
        "workload": args | {"rounds": rounds, "new_per_round": per_round,
                            "latency_ms": cfg.moving_latency_ms, "workers": workers},
        "newswire": [r.output | {"process_cpu_s": _process_cpu(r)} for r in newswire],
        "reader": [r.output | {"process_cpu_s": _process_cpu(r)} for r in reader],
        "ratio_in_process": in_process,
        "ratio_whole_processes": whole,
    }  # fmt: skip
    table = "\n".join(
        f"| {n} | {nw.output['counts']['new']:,} | {nw.output['counts']['updated']:,} | "
        f"{nw.output['parsed_items']:,} | {nw.output['cpu_s']:.2f} | {_process_cpu(nw):.2f} | "
        f"{rd.output['new']:,} | {rd.output['cpu_s']:.2f} | {_process_cpu(rd):.2f} |"
        for n, (nw, rd) in enumerate(zip(newswire, reader, strict=True))
    )
    fig.notes += [
        f"{feeds} feeds × {items} items of the figure 1 mix, served with no ETag or "
        f"Last-Modified and a new lastBuildDate (Atom: updated) every round; each round puts "
        f"{per_round} new items on top of every feed and drops as many old ones "
        f"({expected_new:,} new articles a round). {cfg.moving_latency_ms:g} ms per request. "
        f"Each round of each client is a fresh process with {workers} workers, the two "
        "interleaved round by round; reader 3.26 runs `update_feeds(scheduled=False)` (its "
        "default skips feeds updated within the hour). In-process CPU is "
        "`time.process_time()` around `Ingestor.run` / `update_feeds`; whole-process CPU is "
        f"the child's rusage (interpreter start, imports, setup). Round 0 is the first run "
        f"and is not in the ratios; rounds 1–{rounds} are.",
        "| round | newswire new | updated | given to feedparser | newswire CPU s | whole "
        "process s | reader new | reader CPU s | whole process s |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + table,
        f"Over rounds 1–{rounds}: reader {rd_cpu:.2f} s of CPU in-process and {rd_proc:.2f} s "
        f"as whole processes; newswire {nw_cpu:.2f} s and {nw_proc:.2f} s. newswire handed "
        f"feedparser {sum(parsed):,} items in those rounds, "
        + ("exactly" if parsed == changed else "not the same as")
        + f" the {sum(changed):,} new and changed articles it stored; the other "
        f"{feeds * items * rounds - sum(parsed):,} items were skipped by their fingerprint "
        "before parsing.",
    ]
    return fig
