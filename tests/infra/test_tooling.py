"""The shared tooling (tooling/): the template loader's two readings, the mk/ script that
`make build` asks for the layer's target, and the rule that nothing outside tests/ imports
from tests/."""

from __future__ import annotations

import ast
import subprocess
import sys
import tomllib
from pathlib import Path

from tooling.cfn import TEMPLATE, load_template

REPO = Path(__file__).resolve().parents[2]


def test_long_form_is_what_cloudformation_means() -> None:
    template = load_template()
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    target = template["Resources"]["IngestFunction"]["Properties"]["EventInvokeConfig"]
    destination = target["DestinationConfig"]["OnFailure"]["Destination"]
    assert destination == {"Fn::GetAtt": ["IngestFailureQueue", "Arn"]}


def test_unwrapped_reads_each_tag_as_the_value_it_wraps() -> None:
    template = load_template(TEMPLATE, intrinsics="unwrapped")
    variables = template["Globals"]["Function"]["Environment"]["Variables"]
    assert variables["POWERTOOLS_LOG_LEVEL"] == "LogLevel"
    assert variables["CONTENT_BUCKET"] == "ContentBucket"
    target = template["Resources"]["IngestFunction"]["Properties"]["EventInvokeConfig"]
    assert target["DestinationConfig"]["OnFailure"]["Destination"] == "IngestFailureQueue.Arn"


def samconfig_param(*args: str) -> subprocess.CompletedProcess[str]:
    """mk/samconfig_param.py as mk/sam.mk runs it: from the repository, PYTHONPATH=."""
    return subprocess.run(
        [sys.executable, "mk/samconfig_param.py", *args],
        cwd=REPO,
        env={"PYTHONPATH": "."},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_make_build_reads_the_layer_target_from_samconfig() -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    overrides = config["default"]["deploy"]["parameters"]["parameter_overrides"]
    for name in ("Runtime", "Architecture"):
        done = samconfig_param("default", name)
        assert done.returncode == 0, done.stderr
        assert f"{name}={done.stdout.strip()}" in overrides.split()


def test_a_parameter_missing_from_samconfig_falls_back_to_the_template_default() -> None:
    done = samconfig_param("no-such-env", "Architecture")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == load_template()["Parameters"]["Architecture"]["Default"]
    unknown = samconfig_param("default", "NoSuchParameter")
    assert unknown.returncode == 1
    assert "NoSuchParameter" in unknown.stderr


def imports_from_tests(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        elif isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        found += [f"{path.relative_to(REPO)}: {n}" for n in names if n.split(".")[0] == "tests"]
    return found


def test_nothing_outside_tests_imports_from_tests() -> None:
    roots = ("tooling", "mk", "bench", "functions", "layers")
    sources = [p for root in roots for p in sorted((REPO / root).rglob("*.py"))]
    assert any(p.parts[-2] == "mk" for p in sources), "the scan must see mk/"
    offenders = [hit for path in sources for hit in imports_from_tests(path)]
    assert offenders == []


def test_make_moto_server_runs_the_bench_server_capped_until_interrupted() -> None:
    import json
    import resource
    import shlex
    import signal
    import urllib.request

    dry = subprocess.run(
        ["make", "-n", "moto-server", "MOTO_PORT=0", "MOTO_MAX_MB=1536", "STAMP=Makefile"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    (line,) = [ln for ln in dry.stdout.replace("\\\n", " ").splitlines() if "motoserver" in ln]
    argv = shlex.split(line)
    assert argv[1:3] == ["-m", "bench.motoserver"], argv
    assert argv[argv.index("--max-memory-mb") + 1] == "1536"
    assert "--until-interrupted" in argv
    # The same command runs: it listens, answers, lives under its cap and stops on SIGTERM.
    server = subprocess.Popen(
        [sys.executable, *argv[1:]], cwd=REPO, stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        port = json.loads(server.stdout.readline())["port"]
        soft, _ = resource.prlimit(server.pid, resource.RLIMIT_AS)
        assert soft == 1536 * 2**20
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with opener.open(f"http://127.0.0.1:{port}/moto-api/", timeout=10) as response:
            assert response.status == 200
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=15) == 0
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
