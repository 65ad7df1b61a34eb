"""mk/invoke_local.py runs a built function as Lambda would: the function's directory, then the
layer's, then the SDK alone on sys.path, in an interpreter that sees nothing else. Checked on a
small stand-in build (the real one, `make invoke-local-check`, runs in .ci/run: it needs
`sam build` and the wheels from PyPI)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from mk.invoke_local import invoke  # noqa: E402

HANDLER = """
import importlib.util, json, os, sys

import layer_only


def lambda_handler(event, context):
    if event.get("fail"):
        raise ValueError("the event asked for it")
    import boto3

    return {
        "path": sys.path,
        "layer_only": layer_only.VALUE,
        "boto3": boto3.__name__,
        "boto3_from": boto3.__file__,
        "visible": {m: importlib.util.find_spec(m) is not None for m in ("yaml", "pytest", "moto")},
        "remaining_ms": context.get_remaining_time_in_millis(),
        "function_name": context.function_name,
        "env": {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "FEEDS_CONFIG",
                                                "POWERTOOLS_SERVICE_NAME", "CONTENT_BUCKET",
                                                "LAMBDA_TASK_ROOT", "PYTHONPATH")},
        "event": event,
    }
"""


@pytest.fixture
def build(tmp_path: Path) -> Path:
    function = tmp_path / "IngestFunction"
    function.mkdir()
    (function / "app.py").write_text(HANDLER, encoding="utf-8")
    layer = tmp_path / "NewswireLayer" / "python"
    (layer / "newswire").mkdir(parents=True)
    (layer / "layer_only.py").write_text("VALUE = 'from the layer'\n", encoding="utf-8")
    return tmp_path


def test_the_built_function_runs_with_its_layer_then_the_sdk_and_nothing_else(
    build: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # ignored by the clean interpreter
    outcome = invoke("IngestFunction", {"detail": {}}, "http://127.0.0.1:9", build=build)
    result: dict[str, Any] = outcome["result"]
    path = result["path"]
    assert path[0] == str(build / "IngestFunction")
    assert path[1] == str(build / "NewswireLayer" / "python")
    assert Path(path[-1]).name == "sdk" and Path(result["boto3_from"]).is_relative_to(path[-1])
    assert result["layer_only"] == "from the layer"
    # The development environment's packages are not there: the layer must bring its own.
    assert result["visible"] == {"yaml": False, "pytest": False, "moto": False}
    assert not any("site-packages" in p for p in path[:-1])
    assert 0 < result["remaining_ms"] <= 900_000
    assert result["function_name"] == "newswire-local-IngestFunction"
    env = result["env"]
    assert env["AWS_ENDPOINT_URL"] == "http://127.0.0.1:9"
    assert env["FEEDS_CONFIG"] == str(build / "NewswireLayer" / "newswire" / "feeds.yaml")
    assert env["POWERTOOLS_SERVICE_NAME"] == "newswire-local-IngestFunction"
    assert env["CONTENT_BUCKET"] == json.loads((REPO / "env.json").read_text())[
        "IngestFunction"]["CONTENT_BUCKET"]  # fmt: skip
    assert env["LAMBDA_TASK_ROOT"] == str(build / "IngestFunction")
    assert env["PYTHONPATH"] is None
    assert result["event"] == {"detail": {}}


def test_an_exception_is_reported_as_the_runtime_reports_it(build: Path) -> None:
    outcome = invoke("IngestFunction", {"fail": True}, "http://127.0.0.1:9", build=build)
    assert outcome["error"]["errorType"] == "ValueError"
    assert outcome["error"]["errorMessage"] == "the event asked for it"
    assert outcome["error"]["stackTrace"]


def test_a_missing_build_says_to_build(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="run `make build` first"):
        invoke("IngestFunction", {}, "http://127.0.0.1:9", build=tmp_path)
