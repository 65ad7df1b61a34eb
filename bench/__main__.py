"""`make bench`: the figures of issues 7, 13 and 14; prints the table, writes README.md and
results.json.

python -m bench             every figure; rewrites bench/README.md and bench/results.json
python -m bench --only 1,5  some figures (keys: bench/figures.py); writes nothing
python -m bench --quick     a small workload to try the harness; writes nothing
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import traceback
from pathlib import Path

from bench.figures import FIGURES, MISS, QUICK, Config, Figure
from bench.loopback import enforce_loopback
from bench.report import BENCH_DIR, describe_machine, table_lines, write_readme, write_results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--only", help=f"comma-separated figure keys: {', '.join(FIGURES)}")
    parser.add_argument("--quick", action="store_true", help="a small workload; writes nothing")
    parser.add_argument("--out", type=Path, help="write README.md and results.json here")
    args = parser.parse_args(argv)
    enforce_loopback()

    cfg = QUICK if args.quick else Config()
    wanted = set(args.only.split(",")) if args.only else None
    selected = [k for k in FIGURES if wanted is None or wanted & set(k.split(","))]
    started = time.monotonic()
    machine = describe_machine()
    figures: list[Figure] = []
    failed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="newswire-bench-") as tmp:
        for key in selected:
            print(f"figure {key}: running…", flush=True)
            began = time.monotonic()
            try:
                figures += FIGURES[key](cfg, Path(tmp))
            except Exception:
                failed.append(key)
                print(f"figure {key} FAILED:\n{traceback.format_exc()}", file=sys.stderr)
                continue
            print(f"figure {key}: {time.monotonic() - began:.0f} s", flush=True)
    runtime = time.monotonic() - started

    rows = [r for f in figures for r in f.rows]
    print()
    print("\n".join(table_lines(rows)))
    problems = [f"figure {f.number}: {p}" for f in figures for p in f.problems]
    for problem in problems:
        print(f"PROBLEM {problem}", file=sys.stderr)
    misses = sum(r.verdict == MISS for r in rows)
    print(f"\n{len(rows)} lines, {misses} targets missed, {runtime / 60:.1f} minutes")

    machine |= {"load_average_after": describe_machine()["load_average_before"]}
    complete = not failed and not args.quick and wanted is None
    if complete or args.out:
        out = args.out or BENCH_DIR
        out.mkdir(parents=True, exist_ok=True)
        write_results(out, figures, machine, cfg, runtime)
        write_readme(out, figures, machine, cfg, runtime)
        print(f"wrote {out / 'README.md'} and {out / 'results.json'}")
    else:
        print("partial or quick run: bench/README.md and bench/results.json left as they were")
    return 1 if failed or problems else 0


if __name__ == "__main__":
    sys.exit(main())
