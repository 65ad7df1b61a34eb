"""Powertools' Tracer only when it will trace: creating one imports aws_xray_sdk (about 130 ms
of every cold start) even when tracing is disabled. Lambda's active tracing records each
invocation's segment without it; the Tracer only adds newswire's own subsegments."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, TypeVar, cast

Handler = TypeVar("Handler", bound=Callable[..., Any])

# Powertools reads these words as true (aws_lambda_powertools.shared.functions.strtobool).
TRUE_WORDS = frozenset({"1", "y", "yes", "t", "true", "on"})


class HandlerTracer(Protocol):
    """The two decorators the handlers use, as Powertools' Tracer provides them."""

    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler: ...

    def capture_method(self, method: Handler) -> Handler: ...


class _NoTracer:
    def capture_lambda_handler(self, lambda_handler: Handler) -> Handler:
        return lambda_handler

    def capture_method(self, method: Handler) -> Handler:
        return method


def tracing_enabled(env: Mapping[str, str]) -> bool:
    """Powertools' own rule: off when POWERTOOLS_TRACE_DISABLED is true, and off outside a
    Lambda runtime."""
    if env.get("POWERTOOLS_TRACE_DISABLED", "").strip().lower() in TRUE_WORDS:
        return False
    return bool(env.get("AWS_LAMBDA_FUNCTION_NAME"))


def handler_tracer(enabled: bool) -> HandlerTracer:
    """`enabled`: bootstrap.tracing_on(), Powertools' rule over the environment."""
    if not enabled:
        return _NoTracer()
    from aws_lambda_powertools import Tracer

    return cast("HandlerTracer", Tracer())
