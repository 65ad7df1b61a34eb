"""Figure 5: CPU per article, parse + normalize + render, no I/O."""

from __future__ import annotations

from pathlib import Path

from bench.common import (
    Config,
    Figure,
    profile_table,
)
from bench.procs import run_child


def figure_5(cfg: Config, work: Path) -> Figure:
    fig = Figure(5, "CPU per article: parse + normalize + render, no I/O")
    result = run_child(
        "cpu_cost",
        {"seed": cfg.seed, "feeds": cfg.cpu_feeds, "items": cfg.items, "repeats": cfg.cpu_repeats},
        timeout=900,
    )
    out = result.output
    n = int(out["articles"])
    stages = {k: 1000 * v / n for k, v in out["stages_s"].items()}
    pipeline = sum(stages.values())
    feedparser_ms = 1000 * out["feedparser_default_s"] / n
    fig.row("parse + normalize + render CPU per article", pipeline, "ms")
    fig.row("feedparser default parse() alone, per article", feedparser_ms, "ms")
    fig.row("newswire pipeline ÷ feedparser parse()", pipeline / feedparser_ms, "×")
    for stage, ms in stages.items():
        fig.row(f"  {stage}", ms, "ms")
    fig.details = out | {"ms_per_article": stages, "pipeline_ms": pipeline}
    total = float(out["profile_total_s"])
    kinds = ", ".join(f"{k} {v:.2f} ms" for k, v in sorted(out["per_kind_ms"].items()))
    modules = ", ".join(f"{m} {100 * s / total:.0f} %" for m, s in out["profile_by_package"])
    fig.notes += [
        f"{out['feeds']} feeds of the figure 1 mix × {cfg.items} items ({n:,} articles), bytes "
        f"in memory; `time.process_time()`, best of {cfg.cpu_repeats} passes per stage. "
        f"feedparser's default `parse()` (sanitizer and relative-URI resolution on) ran on the "
        f"same bytes. By feed kind, the whole pipeline per article: {kinds}.",
        "Top five functions by **tottime** (own time) in a cProfile of one pass:\n\n"
        + profile_table(out["profile_top"], 5, total),
        f"Own time by package in that profile (a C built-in's time, such as `len`, counted "
        f"with the package that called it): {modules}.",
        f"newswire's front matter is emitted by "
        f"{'libyaml (its emitter, `CEmitter`)' if out['newswire_emitter_is_c'] else 'PyYAML'}: "
        f"{stages.get('render', 0):.3f} ms per article for the whole render.",
    ]
    return fig
