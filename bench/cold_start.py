"""Figure 6: cold start, importing the ingest handler."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from bench.common import (
    Config,
    Figure,
)
from bench.procs import ROOT, child_env


def _template_env() -> dict[str, str]:
    """The functions' environment from template.yaml's Globals: a !Ref to a parameter becomes
    its default, a !Ref to a resource a placeholder name."""
    from tooling.cfn import load_template

    template = load_template(intrinsics="unwrapped")
    parameters = template.get("Parameters", {})
    resources = template.get("Resources", {})
    env = {}
    for name, value in template["Globals"]["Function"]["Environment"]["Variables"].items():
        text = "" if value is None else str(value)
        if text in parameters:
            text = str(parameters[text].get("Default", ""))
        elif text in resources:
            text = f"bench-{text.lower()}"
        env[name] = text
    return env


def lambda_env(**extra: str) -> dict[str, str]:
    env = child_env(_template_env())
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT / "functions" / "ingest"), str(ROOT / "layers" / "newswire")]
    )
    env |= {  # what the Lambda runtime itself sets
        "AWS_LAMBDA_FUNCTION_NAME": "newswire-IngestFunction",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{sys.version_info[0]}.{sys.version_info[1]}",
        "_HANDLER": "app.lambda_handler",
        "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000",
    }
    return env | extra


@dataclass(frozen=True)
class ImportLine:
    self_us: int
    cumulative_us: int
    level: int
    name: str


def import_times(code: str, env: dict[str, str]) -> list[ImportLine]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        env=env,
        cwd=tempfile.gettempdir(),
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    lines = []
    for raw in done.stderr.splitlines():
        if not raw.startswith("import time:") or "self [us]" in raw:
            continue
        # "import time:  self | cumulative | <two spaces per level>name"
        own, cumulative, label = raw.removeprefix("import time:").split("|", 2)
        label = label[1:]
        level = (len(label) - len(label.lstrip(" "))) // 2
        lines.append(ImportLine(int(own), int(cumulative), level, label.strip()))
    return lines


def top_level_us(lines: list[ImportLine], names: set[str]) -> int:
    return sum(line.cumulative_us for line in lines if line.level == 0 and line.name in names)


def by_package(lines: list[ImportLine], root: str, top: int | None = 8) -> list[tuple[str, int]]:
    """Own import time grouped by top-level package, for the modules `root` pulled in."""
    start = next(i for i, line in enumerate(lines) if line.level == 0 and line.name == root)
    first = start
    while first > 0 and lines[first - 1].level > 0:
        first -= 1
    totals: Counter[str] = Counter()
    for line in lines[first : start + 1]:
        totals[line.name.split(".", 1)[0]] += line.self_us
    return totals.most_common(top)


def import_chain(lines: list[ImportLine], package: str, root: str = "app") -> str:
    """Who pulls `package` in: "soupsieve ← bs4 ← markdownify ← newswire.markdown ← app"."""
    index = next((i for i, line in enumerate(lines) if line.name.split(".", 1)[0] == package), None)
    if index is None:
        return package
    chain = [package]
    level = lines[index].level
    for line in lines[index + 1 :]:
        if line.level < level:
            level = line.level
            top = line.name.split(".", 1)[0]
            if top != chain[-1].split(".", 1)[0] or top in ("newswire", root):
                chain.append(line.name)
            if level == 0:
                break
    return " ← ".join(chain)


def layer_size(path: Path) -> tuple[int, int] | None:
    if not path.is_dir():
        return None
    files = [p for p in path.rglob("*") if p.is_file()]
    raw = sum(p.stat().st_size for p in files)
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / "layer.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for p in files:
                archive.write(p, p.relative_to(path))
        zipped = target.stat().st_size
    return raw, zipped


def figure_6(cfg: Config, work: Path) -> Figure:
    fig = Figure(6, "Cold start: importing the ingest handler")
    env = lambda_env()
    traced = lambda_env(POWERTOOLS_TRACE_DISABLED="false")
    handler, baseline = "import app", "import boto3, requests, feedparser"
    peers = {"boto3", "requests", "feedparser"}
    import_times(handler, env)  # warm the bytecode caches of both before timing
    import_times(baseline, env)
    app_us: list[int] = []
    base_us: list[int] = []
    traced_us: list[int] = []
    with_boto3_us: list[int] = []
    app_runs: list[list[ImportLine]] = []
    baseline_packages: set[str] = set()
    xray_default = xray_traced = False
    for _ in range(cfg.import_runs):
        lines = import_times(handler, env)
        app_runs.append(lines)
        app_us.append(top_level_us(lines, {"app"}))
        base_lines = import_times(baseline, env)
        base_us.append(top_level_us(base_lines, peers))
        baseline_packages |= {line.name.split(".", 1)[0] for line in base_lines}
        with_boto3_us.append(top_level_us(import_times("import app, boto3", env), {"app", "boto3"}))
        traced_lines = import_times(handler, traced)
        traced_us.append(top_level_us(traced_lines, {"app"}))
        xray_traced |= any(line.name.startswith("aws_xray_sdk") for line in traced_lines)
        xray_default |= any(line.name.startswith("aws_xray_sdk") for line in lines)
    app_ms, base_ms = statistics.median(app_us) / 1000, statistics.median(base_us) / 1000
    traced_ms = statistics.median(traced_us) / 1000
    ratio = app_ms / base_ms
    fig.row("import app (the ingest handler), median", app_ms, "ms")
    fig.row("import boto3 + requests + feedparser, median", base_ms, "ms")
    fig.row("handler ÷ boto3 + requests + feedparser", ratio, "×", "≤ 1.2×", ratio <= 1.2)
    fig.row("import app with POWERTOOLS_TRACE_DISABLED=false (Tracer on)", traced_ms, "ms")
    with_boto3_ms = statistics.median(with_boto3_us) / 1000
    fig.row(
        "import app, boto3 (what a first invocation imports by building its clients) ÷ "
        "boto3 + requests + feedparser",
        with_boto3_ms / base_ms,
        "×",
    )
    median_run = min(app_runs, key=lambda ls: abs(top_level_us(ls, {"app"}) / 1000 - app_ms))
    packages = by_package(median_run, "app")
    chains = {name: import_chain(median_run, name) for name, _ in packages}
    extras = [
        (name, us)
        for name, us in by_package(median_run, "app", top=None)
        if name not in baseline_packages and name != "app"
    ]
    extra_ms = sum(us for _, us in extras) / 1000
    imported = {line.name.split(".", 1)[0] for line in median_run}
    layer = layer_size(ROOT / ".aws-sam" / "build" / "NewswireLayer")
    if layer is None:
        fig.row("built layer size: run make build", None, "")
    else:
        raw, zipped = layer
        fig.row(
            "built layer size, unzipped",
            raw / 1e6,
            "MB",
            "≤ 250 MB (Lambda's limit)",
            raw <= 250e6,
        )
        fig.row("built layer size, zipped", zipped / 1e6, "MB")
    fig.details = {
        "runs": cfg.import_runs,
        "app_us": app_us,
        "baseline_us": base_us,
        "app_traced_us": traced_us,
        "app_and_boto3_us": with_boto3_us,
        "trace_disabled_in_template": env.get("POWERTOOLS_TRACE_DISABLED"),
        "app_by_package_us": packages,
        "import_chains": chains,
        "beyond_baseline_us": extras[:10],
        "beyond_baseline_ms": extra_ms,
        "xray_imported_by_default": xray_default,
        "xray_imported_with_tracer_on": xray_traced,
        "boto3_imported_by_app": "boto3" in imported,
        "botocore_imported_by_app": "botocore" in imported,
        "layer_bytes": layer,
    }
    package_lines = "\n".join(
        f"| {name} | {us / 1000:.0f} | {chains[name]} |" for name, us in packages
    )
    fig.notes += [
        "`python -X importtime -c 'import app'` with functions/ingest and the package on "
        "sys.path, in the environment template.yaml's Globals give the functions plus the "
        "variables Lambda sets ("
        + (
            "Powertools' Tracer active: aws_xray_sdk imported"
            if xray_default
            else "POWERTOOLS_TRACE_DISABLED="
            f"{env.get('POWERTOOLS_TRACE_DISABLED', 'unset')}: aws_xray_sdk not imported"
        )
        + "); "
        f"{cfg.import_runs} runs interleaved with the baseline after one warm-up each, "
        f"median of the `app` line's cumulative time. The baseline is the sum of the "
        f"top-level `boto3`, `requests` and `feedparser` lines of "
        f"`import boto3, requests, feedparser`.",
        "Own import time by package under `import app` (the run nearest the median), and "
        "the import chain that first brought each package in:\n\n"
        "| package | own ms | imported by |\n|---|---:|---|\n" + package_lines,
        f"Packages the baseline never imports account for {extra_ms:.0f} ms of the handler's "
        "import (own time, the run nearest the median): "
        + ", ".join(f"{name} {us / 1000:.0f} ms" for name, us in extras[:8])
        + f". With `POWERTOOLS_TRACE_DISABLED=false` (Powertools' Tracer on) the import takes "
        f"{traced_ms:.0f} ms and "
        + ("imports" if xray_traced else "still does not import")
        + " aws_xray_sdk.",
        (
            "`import app` already imports boto3 ("
            + import_chain(median_run, "boto3")
            + "), so the baseline's three packages are part of the handler's own import."
            if "boto3" in imported
            else "`import app` does not import boto3: a first invocation on AWS imports it "
            "when it builds its clients, on top of this."
        ),
        "The layer is built for the template's Lambda runtime and architecture, so the "
        "import was timed from the venv's packages (the same pinned versions)."
        if layer
        else "No built layer: run `make build` for the layer size.",
    ]
    return fig
