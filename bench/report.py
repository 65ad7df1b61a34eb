"""The machine's description, the printed table, bench/results.json and bench/README.md."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import MISS, Config, Figure, Row
from bench.first_run import PURE_STAGES, TIMERS, stage_ms
from bench.procs import ROOT

BENCH_DIR = Path(__file__).resolve().parent


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=30
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def describe_machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in _read("/proc/cpuinfo").splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown",
    )
    mem_kib = next(
        (
            int(line.split()[1])
            for line in _read("/proc/meminfo").splitlines()
            if line.startswith("MemTotal:")
        ),
        0,
    )
    try:
        nproc = int(subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip())
    except (OSError, ValueError):
        nproc = os.cpu_count() or 0
    dirty = _git("status", "--porcelain", "--", "layers", "functions", "pyproject.toml")
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "nproc": nproc,
        "cpu_model": model,
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "commit": _git("rev-parse", "--short", "HEAD"),
        "package_changes_uncommitted": bool(dirty),
        # Other work on a shared machine shows here: 1-minute load average of the 2 cores.
        "load_average_before": round(os.getloadavg()[0], 2),
    }


def format_value(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "×":
        return f"{value:.2f}×"
    if unit == "%":
        return f"{value:.1f} %"
    if float(value).is_integer() and unit in ("requests", "bodies", "keys", ""):
        return f"{int(value):,}{(' ' + unit) if unit else ''}"
    if unit == "ms":
        return f"{value:.0f} ms" if value >= 100 else f"{value:.3f} ms"
    if unit == "articles/s":
        return f"{value:,.0f} articles/s"
    if unit in ("MB", "s"):
        return f"{value:.1f} {unit}" if unit == "MB" else f"{value:.2f} s"
    return f"{value:.2f}{(' ' + unit) if unit else ''}"


def table_lines(rows: list[Row]) -> list[str]:
    cells = [
        (str(r.figure), r.name, format_value(r.value, r.unit), r.target, r.verdict) for r in rows
    ]
    head = ("#", "figure", "measured", "target", "verdict")
    widths = [max(len(c[i]) for c in [head, *cells]) for i in range(5)]
    out = ["  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(cell, widths, strict=True)) for cell in cells]
    return out


def markdown_table(rows: list[Row]) -> str:
    lines = ["| # | figure | measured | target | verdict |", "|---|---|---:|---|---|"]
    for r in rows:
        verdict = f"**{r.verdict}**" if r.verdict == MISS else r.verdict
        name = r.name.strip()
        name = f"↳ {name}" if r.name.startswith("  ") else name
        lines.append(
            f"| [{r.figure}](#{r.figure}) | {name} | {format_value(r.value, r.unit)} | "
            f"{r.target} | {verdict} |"
        )
    return "\n".join(lines)


def write_results(
    out: Path, figures: list[Figure], machine: dict[str, Any], cfg: Config, runtime_s: float
) -> dict[str, Any]:
    data = {
        "machine": machine,
        "runtime_s": round(runtime_s, 1),
        "config": cfg.__dict__,
        "rows": [r.__dict__ for f in figures for r in f.rows],
        "figures": {
            str(f.number): {"title": f.title, "details": f.details, "problems": f.problems}
            for f in figures
        },
    }
    (out / "results.json").write_text(
        json.dumps(data, indent=1, ensure_ascii=False, default=str) + "\n", encoding="utf-8"
    )
    return data


METHOD = """\
## How the bench works

- **Workload** (`bench/workload.py`): deterministic for a seed (`random.Random(f"{seed}/...")`).
  Three in five feeds are Google News-shaped RSS like `tests/data/google-news-world.xml`: titles
  with a " - Publisher" suffix, an escaped `<ol>` of related coverage (`<a>` +
  `&nbsp;&nbsp;<font>Publisher`), `<source url>`, opaque `CBMi…` guids (half embed the
  publisher URL, half the newer `AU_yqL…` token), 15 % non-ASCII publishers and one Russian
  edition in ten. The others are RSS 2.0 (`content:encoded`, `media:content`, categories) and
  Atom (HTML content with relative images, enclosures), with images, links and tracking pixels.
- **Feed server** (`bench/feedserver.py`): `ThreadingHTTPServer` on 127.0.0.1 in its **own
  process**, so that its handler threads neither take the measured client's GIL (which would
  inflate the client's wall time) nor wait on it (which would inflate the injected latency); on
  two cores it has a core to itself most of the time. Keep-alive, ETag / Last-Modified / 304, a
  fixed latency per request (304s included), and a few feeds whose origin ignores validators.
- **Moving feeds** (figure 7, `bench/moving.py`): the feed server renders every round's bodies
  before it listens (`render_moving_feed`: a pool of items rendered once, newest first, and a
  window that moves by the new items each round, so an item's bytes never change) and switches
  every feed to a round at `GET /_round?set=N`, which each round's client process calls first.
- **Clients** run in fresh interpreters (`bench/child.py`): their peak RSS (`ru_maxrss` from
  `os.wait4`) and CPU are theirs alone, and timings cover the work, not the imports (figure 7
  also reports each process's whole CPU, imports included).
- **Harnesses:** one module per figure ({harnesses}), what they share in `bench/common.py`,
  the registry in `bench/figures.py`.
- **AWS figures** use moto's server (`bench/motoserver.py`) on 127.0.0.1, in its own process,
  with a bucket and the table built from template.yaml's `IndexTable`. Requests are counted on
  the client with botocore's `before-call` (per API call) and `before-send` (per HTTP attempt)
  hooks. Two changes to moto inside its process, about moto's limits only: requests are served
  one at a time (its backends are not thread-safe), and TransactWriteItems snapshots a table by
  copying its item mapping instead of `copy.deepcopy` of the whole table on every call (which
  made a 5,000-article run quadratic).
- **Loopback only** (`bench/loopback.py`): every process of the bench refuses DNS for any name
  but localhost and any `connect()` outside 127.0.0.0/8 and ::1.
- **The peer** is lemon24/reader **3.26**: 3.27 requires Python ≥ 3.12 and this project's venv
  is Python 3.11. reader's vendored feedparser imports `sgmllib` (the `sgmllib3k` package).
  Both come with the `bench` extra: `pip install -e '.[dev,bench]'`.
- **Run it:** `make bench`; `python -m bench --only 1,5` runs some figures and `--quick` a
  small workload (neither rewrites this page unless `--out DIR` says where to write).
"""


def harness_modules() -> list[str]:
    """The figure harnesses: the modules of bench/ that define a `figure_N` (or `figures_`)
    function, so that a new figure's module is listed without editing this page's text."""
    pattern = re.compile(r"^def figures?_\d", re.MULTILINE)
    return sorted(
        path.stem for path in BENCH_DIR.glob("*.py") if pattern.search(path.read_text("utf-8"))
    )


def _first_run_limits(figures: dict[int, Figure]) -> str:
    """Figure 1's misses, each sentence from the numbers it states."""
    f1 = figures[1]
    d = f1.details
    nw, rd = d["newswire"], d["reader"]
    nw_ms, rd_ms = float(nw["cpu_ms_per_article"]), float(rd["cpu_ms_per_article"])
    nw_busy = float(nw["cpu_s"]) / float(nw["wall_s"])
    rd_busy = float(rd["cpu_s"]) / float(rd["wall_s"])
    missed = "; ".join(r.name for r in f1.rows if r.verdict == MISS)
    text = (
        f"- **1, first run ({missed}).** newswire ÷ reader {d['ratio']:.2f}× in articles/s; "
        f"CPU per article newswire {nw_ms:.2f} ms, reader {rd_ms:.2f} ms (reader ÷ newswire "
        f"{rd_ms / nw_ms:.2f}). In the timed work newswire kept {100 * nw_busy:.0f} % of one "
        f"core busy, reader {100 * rd_busy:.0f} %"
        + (
            ": with the GIL one core's worth of Python runs at a time, so newswire's "
            "articles/s follows its CPU per article."
            if nw_busy >= 0.8
            else "."
        )
    )
    if rd_busy > 0:
        # articles/s = busy / CPU per article: what newswire's CPU per article would have to
        # be for the ratio, at the share of a core each client kept busy in this run.
        for target in (1.0, 2.0):
            needed = nw_busy * rd_ms / (target * rd_busy)
            if nw_ms > needed:
                text += (
                    f" At these shares of a core, {target:g}× needs newswire at ≤ "
                    f"{needed:.2f} ms per article."
                )
    if 5 in figures:
        f5 = figures[5].details
        ms = f5["ms_per_article"]
        fp = 1000 * float(f5["feedparser_default_s"]) / int(f5["articles"])
        text += (
            f" Figure 5's stages per article, no I/O: parse {ms['parse']:.2f} ms (feedparser "
            f"without its sanitizer and relative-URI pass, reading through expat with text "
            f"buffering on; its default `parse()` costs "
            f"{fp:.2f} ms), normalize {ms['normalize']:.2f} ms, render {ms['render']:.2f} ms"
            + (" (libyaml's emitter)" if f5["newswire_emitter_is_c"] else " (PyYAML's emitter)")
            + "."
        )
    if "stages" in d:
        # Figure 5 times the pure stages alone; figure 1's stage run times the same calls
        # inside the run (threads, caches shared with the I/O), and everything around them.
        ms = stage_ms(d["stages"])
        pure = sum(ms[k] for k in PURE_STAGES)
        others = sorted(
            ((k, v) for k, v in ms.items() if k not in (*PURE_STAGES, TIMERS)),
            key=lambda kv: -kv[1],
        )
        text += (
            " In figure 1's own run timed by stage (its stage table), parse, normalize and "
            f"render took {pure:.2f} ms per article"
            + (
                f" (figure 5: {float(figures[5].details['pipeline_ms']):.2f} ms)"
                if 5 in figures
                else ""
            )
            + f", and the rest {sum(v for _, v in others):.2f} ms: "
            + ", ".join(f"{label} {v:.2f}" for label, v in others)
            + "."
        )
    return text


def _limits(figures: dict[int, Figure]) -> list[str]:
    """One paragraph per missed target, from the measured numbers."""
    out: list[str] = []
    misses = {f.number for f in figures.values() for r in f.rows if r.verdict == MISS}
    if 1 in misses:
        out.append(_first_run_limits(figures))
    if 4 in misses:
        d = figures[4].details
        runs = d["runs"]
        default = int(d["default_workers"])
        if default:
            r = runs[str(default)]
            n, latency = d["workload"]["feeds"], d["workload"]["latency_ms"]
            rounds = -(-n // default) * latency / 1000
            best = min(runs.values(), key=lambda run: float(run["wall_s"]))
            setting = d["sqlite_index_synchronous"]
            probe = d["sqlite_commit_ms"][setting]
            transactions = int(d.get("write_transactions_at_default", 0))
            articles = n * d["workload"]["items"]
            idle = float(best["wall_s"]) - float(best["cpu_s"])
            out.append(
                f"- **4, latency-bound at {default} workers.** {n} feeds in batches of "
                f"{default} cannot finish before {rounds:.1f} s of latency alone "
                f"(⌈{n}/{default}⌉ × {latency:g} ms) plus their CPU "
                f"({r['cpu_s']:.1f} s in that run); 10 % of the sequential sum is "
                f"{0.1 * runs['1']['wall_s']:.1f} s. More workers remove the latency term: "
                f"the best run, {best['workers']} workers, took {best['wall_s']:.1f} s for "
                f"{best['cpu_s']:.1f} s of CPU. Its other {idle:.1f} s off the CPU are the "
                f"last round of requests, commits serialized by SqliteIndex's lock "
                f"({transactions:,} write transactions at {default} workers for "
                f"{articles:,} articles; a commit costs {probe['median']:.2f} ms median, "
                f"{probe['p90']:.2f} ms 90th percentile, with `synchronous={setting}`, on this "
                "disk during the run) and the "
                "machine's other work on the two cores."
            )
    if 6 in misses:
        d = figures[6].details
        packages = ", ".join(f"{n} {us / 1000:.0f} ms" for n, us in d["app_by_package_us"][:6])
        base = statistics.median(d["baseline_us"])
        traced = statistics.median(d["app_traced_us"]) / base
        extras = ", ".join(f"{n} {us / 1000:.0f} ms" for n, us in d["beyond_baseline_us"][:5])
        out.append(
            "- **6, cold start.** The handler imports "
            + ("boto3, requests and feedparser and then " if d["boto3_imported_by_app"] else "")
            + f"{d['beyond_baseline_ms']:.0f} ms of packages the baseline never imports "
            f"({extras}); 1.2× leaves {0.2 * base / 1000:.0f} ms for all of them. Own import "
            f"time by package: {packages}. aws_xray_sdk "
            + ("is" if d["xray_imported_by_default"] else "is not")
            + f" imported in the template's environment; with Powertools' Tracer on: "
            f"{traced:.2f}× the baseline."
        )
    if 7 in misses:
        d = figures[7].details
        steady_nw, steady_rd = d["newswire"][1:], d["reader"][1:]
        rounds = len(steady_nw)
        new = sum(int(r["counts"]["new"]) + int(r["counts"]["updated"]) for r in steady_nw)
        nw_cpu = sum(float(r["cpu_s"]) for r in steady_nw)
        rd_cpu = sum(float(r["cpu_s"]) for r in steady_rd)
        items = d["workload"]["feeds"] * d["workload"]["items"]
        first = d["newswire"][0]
        first_ms = 1000 * float(first["cpu_s"]) / max(1, int(first["counts"]["new"]))
        out.append(
            f"- **7, moving feeds, reader ÷ newswire {d['ratio_in_process']:.2f}× in-process, "
            f"{d['ratio_whole_processes']:.2f}× as whole processes.** reader read all "
            f"{items:,} items every round ({1000 * rd_cpu / (rounds * items):.2f} ms of CPU per "
            f"item); newswire parsed only the {new // rounds:,} new ones a round and spent "
            f"{1000 * nw_cpu / max(1, new):.2f} ms of CPU per new article in those rounds, "
            f"all costs of the round included (against {first_ms:.2f} ms per article in its "
            "first run): the ratio is set by what newswire spends on each new article "
            "(normalize, render, writes) and on each feed (fetch, pre-pass, state), not by "
            "the items it skips."
        )
    if 2 in misses or 3 in misses:
        out.append("- **2/3, AWS requests:** see the per-operation tables of figures 2 and 3.")
    for number in sorted(misses - {1, 2, 3, 4, 6, 7}):  # figures with no paragraph of their own
        missed = "; ".join(r.name.strip() for r in figures[number].rows if r.verdict == MISS)
        out.append(f"- **{number}, {missed}:** see [figure {number}](#{number}).")
    return out


def write_readme(
    out: Path, figures: list[Figure], machine: dict[str, Any], cfg: Config, runtime_s: float
) -> None:
    rows = [r for f in figures for r in f.rows]
    misses = [r for r in rows if r.verdict == MISS]
    by_number = {f.number: f for f in figures}
    changes = (
        " (with uncommitted package changes)" if machine["package_changes_uncommitted"] else ""
    )
    parts = [
        "# newswire benchmark",
        "",
        "`make bench` (`python -m bench`) measures the figures of issue 7 (1–6), issue 13 "
        "(7, and the issue 13 lines of 1 and 6) and issue 14 (8 on) in one run, on loopback "
        "only, prints the "
        "table below and rewrites this file and "
        "[results.json](results.json) (every number here, and the raw counts behind them). "
        "Everything on this page was measured by the last full run; nothing is typed in.",
        "",
        "## Machine and run",
        "",
        f"- date (UTC): {machine['date']}",
        f"- machine: {machine['nproc']} cores (`nproc`), {machine['cpu_model']} "
        f"(`/proc/cpuinfo`), {machine['memory_gib']} GiB memory, {machine['platform']}",
        f"- Python {machine['python']}; newswire at commit `{machine['commit']}`{changes}",
        f"- seed {cfg.seed}; `make bench` took {runtime_s / 60:.1f} minutes",
        f"- load average (1 min) before the run {machine['load_average_before']}, after "
        f"{machine.get('load_average_after', '?')}: the machine is shared, and "
        + (
            "other work was competing with the bench for the two cores"
            if max(
                float(machine["load_average_before"]), float(machine.get("load_average_after") or 0)
            )
            >= 0.5
            else "it was otherwise close to idle"
        ),
        "",
        "## Figures",
        "",
        markdown_table(rows),
        "",
        "`info` lines have no target in issues 7 or 13; they are the context of the targets.",
        "",
        "Issue 5's fan-out load test (1,000 feeds through SQS to concurrent workers) has its "
        "own page, [fanout.md](fanout.md), written by `make bench-fanout`.",
        "",
    ]
    if misses:
        parts += [
            "## What limits the misses",
            "",
            *_limits(by_number),
            "",
        ]
    for figure in figures:
        parts += [f'<a id="{figure.number}"></a>', "", f"## {figure.number}. {figure.title}", ""]
        for note in figure.notes:
            parts += [note, ""]
        if figure.problems:
            parts += ["**The workload did not run as planned:**", ""]
            parts += [f"- {p}" for p in figure.problems] + [""]
    parts.append(METHOD.replace("{harnesses}", ", ".join(f"`{m}`" for m in harness_modules())))
    (out / "README.md").write_text("\n".join(parts), encoding="utf-8")
