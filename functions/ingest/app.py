"""Ingest function: the EventBridge schedule (or a manual invoke) runs every configured feed."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from newswire.bootstrap import tracing_on
from newswire.logs import json_line
from newswire.service import metric_values, run_scheduled
from newswire.tracing import handler_tracer

logger = Logger(json_serializer=json_line)
tracer = handler_tracer(tracing_on())
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"newswire"})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.EVENT_BRIDGE)
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    # The event's `detail` only: Powertools' EventBridgeEvent would import every data class.
    summary = run_scheduled(
        event.get("detail") or {},
        seconds_left=lambda: context.get_remaining_time_in_millis() / 1000,
    )
    for name, value in metric_values(summary).items():
        metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)
    logger.info("run finished", extra=summary.as_dict())
    return summary.as_dict()
