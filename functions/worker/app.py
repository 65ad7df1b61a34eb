"""Ingest worker: one SQS message per feed; a failed feed returns only its own message. After
the batch, the site's pages that the batch's changed articles appear on are rebuilt (SITE_URL)."""

from functools import partial
from typing import Any

from aws_lambda_powertools import Logger, Metrics
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

from newswire.bootstrap import tracing_on
from newswire.logs import json_line
from newswire.models import FeedResult
from newswire.service import FeedFailed, ingest_message, update_site_after_batch
from newswire.tracing import handler_tracer

logger = Logger(json_serializer=json_line)
tracer = handler_tracer(tracing_on())
metrics = Metrics()
# A batch whose every feed failed is still a normal return (its messages are retried, then go
# to the DLQ), so the Errors alarm stays for crashes and timeouts.
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
copy_config_to_registered_loggers(source_logger=logger, include={"newswire"})


@tracer.capture_method
def record_handler(record: SQSRecord, ingested: list[FeedResult] | None = None) -> str:
    try:
        result = ingest_message(record.body)
    except FeedFailed:
        metrics.add_metric(name="FeedsFailed", unit=MetricUnit.Count, value=1)
        raise
    metrics.add_metric(name="ArticlesNew", unit=MetricUnit.Count, value=result.new)
    metrics.add_metric(name="ArticlesUpdated", unit=MetricUnit.Count, value=result.updated)
    if ingested is not None:
        ingested.append(result)
    return result.status.value


@logger.inject_lambda_context
@tracer.capture_lambda_handler
@metrics.log_metrics
def lambda_handler(event: dict[str, Any], context: LambdaContext) -> PartialItemFailureResponse:
    ingested: list[FeedResult] = []
    response = process_partial_response(
        event=event,
        record_handler=partial(record_handler, ingested=ingested),
        processor=processor,
        context=context,
    )
    # One build for the whole batch, never failing it: its messages are done either way.
    update_site_after_batch(
        ingested, seconds_left=lambda: context.get_remaining_time_in_millis() / 1000
    )
    return response
