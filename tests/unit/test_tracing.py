"""Cold start: the handlers create Powertools' Tracer (and import aws_xray_sdk) only when it
will trace, and importing the ingest handler brings in neither aws_xray_sdk, Powertools' data
classes nor the site's renderer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from newswire.bootstrap import tracing_on
from newswire.tracing import handler_tracer, tracing_enabled

REPO = Path(__file__).resolve().parents[2]
IN_LAMBDA = {"AWS_LAMBDA_FUNCTION_NAME": "newswire-IngestFunction"}


@pytest.mark.parametrize(
    ("env", "enabled"),
    [
        (IN_LAMBDA, True),
        ({**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"}, False),
        ({**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "1"}, False),
        ({**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "false"}, True),
        ({}, False),
    ],
)
def test_tracing_follows_powertools_rule(env: dict[str, str], enabled: bool) -> None:
    assert tracing_enabled(env) is enabled
    assert tracing_on(env) is enabled  # what the handlers ask


def test_without_tracing_the_decorators_return_the_function_itself() -> None:
    def handler(event: object, context: object) -> str:
        return "done"

    tracer = handler_tracer(False)
    assert tracer.capture_lambda_handler(handler) is handler
    assert tracer.capture_method(handler) is handler


def imported_by(function: str, env: dict[str, str]) -> set[str]:
    code = (
        "import json, sys; import app; "
        "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules} | "
        "{m for m in sys.modules if m.startswith(('newswire.', 'aws_lambda_powertools.'))})))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "POWERTOOLS_"))}
    path = os.pathsep.join([str(REPO / "functions" / function), str(REPO / "layers" / "newswire")])
    done = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "PYTHONPATH": path, "AWS_DEFAULT_REGION": "us-east-1", **env},
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    return set(json.loads(done.stdout))


@pytest.mark.parametrize("function", ["ingest", "worker"])
def test_a_handler_imports_no_tracer_unless_tracing(function: str) -> None:
    modules = imported_by(function, {**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"})
    assert "aws_xray_sdk" not in modules
    assert "newswire.service" in modules  # the import did happen


def test_the_ingest_handler_imports_only_what_a_run_needs() -> None:
    modules = imported_by("ingest", {**IN_LAMBDA, "POWERTOOLS_TRACE_DISABLED": "true"})
    assert "aws_lambda_powertools.utilities.data_classes" not in modules
    # The site's settings and its hook may come in; what renders pages only when a build runs.
    rendering = {"build", "pages", "feeds", "markup", "plan", "paths", "serve", "commands"}
    assert not {f"newswire.site.{name}" for name in rendering} & modules
    assert not {"jinja2", "markdown_it"} & modules


def test_with_tracing_on_the_tracer_is_created() -> None:
    assert "aws_xray_sdk" in imported_by("ingest", IN_LAMBDA)
