"""Site function: one build of the site per batch of SiteQueue messages (the plans of what the
ingest runs changed), one invocation at a time (reserved concurrency 1). A failed build
counts a SiteBuildFailed metric and raises: the batch comes back, then goes to the DLQ."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from newswire.bootstrap import tracing_on
from newswire.logs import json_line
from newswire.service import build_site_batch
from newswire.tracing import handler_tracer

logger = Logger(json_serializer=json_line)
tracer = handler_tracer(tracing_on())
metrics = Metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"newswire"})


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    bodies = [str(record["body"]) for record in event.get("Records", [])]
    try:
        result = build_site_batch(bodies)
    except Exception:
        metrics.add_metric(name="SiteBuildFailed", unit=MetricUnit.Count, value=1)
        logger.exception("site build failed", extra={"messages": len(bodies)})
        raise
    return result
