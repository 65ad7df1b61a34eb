"""Ingest worker: one SQS message per feed; a failed feed returns only its own message."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.batch.types import PartialItemFailureResponse
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from newswire.service import FeedFailed, ingest_message

logger = Logger()
tracer = Tracer()
metrics = Metrics()
# A batch whose every feed failed is still a normal return (its messages are retried, then go
# to the DLQ), so the Errors alarm stays for crashes and timeouts.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
copy_config_to_registered_loggers(source_logger=logger, include={"newswire"})


@tracer.capture_method
def record_handler(record: SQSRecord) -> str:
    try:
        result = ingest_message(record.body)
    except FeedFailed:
        metrics.add_metric(name="FeedsFailed", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="ArticlesNew", unit=MetricUnit.Count, value=result.new)
    metrics.add_metric(name="ArticlesUpdated", unit=MetricUnit.Count, value=result.updated)
    return result.status.value


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    return process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
