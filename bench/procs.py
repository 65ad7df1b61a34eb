"""Child processes: the two servers, and measured clients whose resource use is their own.

A measured client runs in a fresh interpreter (`python -m bench.child TASK ARGS`), so its peak
RSS is its own (read from `os.wait4`, the kernel's rusage of exactly that child) and nothing a
previous figure imported or cached helps or hurts it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.loopback import LOOPBACK

RESULT_PREFIX = "BENCH-RESULT "  # bench.child prints its result on such a line

ROOT = Path(__file__).resolve().parent.parent
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment minus proxies and real AWS settings, plus moto's fake credentials."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.upper().endswith("_PROXY") and not k.startswith(("AWS_", "NEWSWIRE_"))
    }
    env |= FAKE_AWS | {"NO_PROXY": "*", "no_proxy": "*", "PYTHONHASHSEED": "0"}
    env["PYTHONPATH"] = os.pathsep.join(
        p for p in (str(ROOT), str(ROOT / "layers" / "newswire"), env.get("PYTHONPATH")) if p
    )
    return env | dict(extra or {})


@dataclass(frozen=True)
class ChildResult:
    output: dict[str, Any]
    wall_s: float
    maxrss_mb: float  # peak resident set size of the child alone
    user_s: float
    sys_s: float


class ChildFailed(RuntimeError):
    pass


def run_child(task: str, args: Mapping[str, Any], *, timeout: float = 300.0) -> ChildResult:
    """Run `bench.child TASK` with `args`; its last stdout line is its JSON result."""
    command = [sys.executable, "-m", "bench.child", task, json.dumps(args)]
    with tempfile.TemporaryFile() as errors:
        started = time.monotonic()
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=errors, env=child_env(), cwd=ROOT
        )
        timer = threading.Timer(timeout, proc.kill)
        timer.start()
        try:
            assert proc.stdout is not None
            out = proc.stdout.read()
            _, status, usage = os.wait4(proc.pid, 0)
        finally:
            timer.cancel()
        proc.returncode = os.waitstatus_to_exitcode(status)
        wall = time.monotonic() - started
        if proc.returncode != 0:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace")[-4000:]
            raise ChildFailed(f"bench.child {task} exited {proc.returncode}:\n{tail}")
    results = [
        line.removeprefix(RESULT_PREFIX)
        for line in out.decode("utf-8").splitlines()
        if line.startswith(RESULT_PREFIX)
    ]
    if not results:
        raise ChildFailed(f"bench.child {task} printed no result")
    return ChildResult(
        output=json.loads(results[-1]),
        wall_s=wall,
        maxrss_mb=usage.ru_maxrss / 1024,  # Linux reports KiB
        user_s=usage.ru_utime,
        sys_s=usage.ru_stime,
    )


@contextmanager
def _service(module: str, args: list[str]) -> Iterator[int]:
    """A server process that prints {"port": N} when it listens and stops when stdin closes."""
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen(
            [sys.executable, "-m", module, *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=errors,
            env=child_env(),
            cwd=ROOT,
        )
        try:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            if not line:
                proc.wait()
                errors.seek(0)
                tail = errors.read().decode("utf-8", "replace")[-4000:]
                raise ChildFailed(f"{module} did not start (exit {proc.returncode}):\n{tail}")
            yield int(json.loads(line)["port"])
        except BaseException:
            errors.seek(0)
            tail = errors.read().decode("utf-8", "replace")[-3000:]
            alive = "running" if proc.poll() is None else f"exited {proc.returncode}"
            print(f"[{module}: {alive}; its stderr ends with]\n{tail}", file=sys.stderr)
            raise
        finally:
            if proc.stdin is not None:
                proc.stdin.close()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@contextmanager
def feed_server(
    seed: int,
    feeds: int,
    items: int,
    latency_ms: float,
    *,
    no_validators_every: int = 0,
    moving_rounds: int = 0,
    moving_new: int = 5,
) -> Iterator[str]:
    """The feed server's base URL, http://127.0.0.1:PORT, while the block runs."""
    args = [
        f"--seed={seed}",
        f"--feeds={feeds}",
        f"--items={items}",
        f"--latency-ms={latency_ms}",
        f"--no-validators-every={no_validators_every}",
        f"--moving-rounds={moving_rounds}",
        f"--moving-new={moving_new}",
    ]
    with _service("bench.feedserver", args) as port:
        yield f"http://{LOOPBACK}:{port}"


@contextmanager
def moto_server() -> Iterator[str]:
    """moto's endpoint URL, http://127.0.0.1:PORT, while the block runs."""
    with _service("bench.motoserver", []) as port:
        yield f"http://{LOOPBACK}:{port}"


def set_round(base_url: str, round_: int) -> None:
    """Switch the feed server's moving feeds to `round_`."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base_url}/_round?set={round_}", timeout=10) as response:
        response.read()


def server_stats(base_url: str, *, reset: bool = False) -> dict[str, Any]:
    """What the feed server answered so far: {"by_status": {...}, "by_path": {...}}."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(f"{base_url}/_stats{'?reset=1' if reset else ''}", timeout=10) as response:
        data: dict[str, Any] = json.loads(response.read())
    data["by_status"] = {int(k): v for k, v in data["by_status"].items()}
    return data
