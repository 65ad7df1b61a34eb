"""template.yaml's site part: one site function, fed by a queue of the runs' site plans with a
batching window, one build at a time (reserved concurrency 1), and an alarm on its
SiteBuildFailed metric."""

from __future__ import annotations

import json
from typing import Any

from newswire.site.plan import SitePlan
from tests.conftest import REPO
from tests.infra.test_template import (
    ALARM_ACTIONS,
    alarms,
    arn_of,
    emf_dimensions,
    function_properties,
    globals_variables,
    queue,
    resources_of_type,
    source,
    transformed,
    variables_of,
)


def test_one_site_build_at_a_time_instead_of_a_lease() -> None:
    site = function_properties("SiteFunction")
    assert site["ReservedConcurrentExecutions"] == 1
    assert site["Handler"] == "app.lambda_handler"


def test_the_site_function_takes_a_batch_window_of_plans_from_its_queue() -> None:
    mapping = resources_of_type(transformed(), "AWS::Lambda::EventSourceMapping")[
        "SiteQueueSubscription"
    ]["Properties"]
    assert mapping["EventSourceArn"] == arn_of("SiteQueue")
    assert mapping["FunctionName"] == {"Ref": "SiteFunction"}
    # One build per window, not one per message or per worker batch.
    assert mapping["MaximumBatchingWindowInSeconds"] >= 30
    assert mapping["BatchSize"] >= 100
    # The batch is one build: it succeeds or comes back whole (no partial batch responses).
    assert "FunctionResponseTypes" not in mapping
    assert mapping.get("Enabled", True) is True


def test_the_site_queue_keeps_failed_plans_in_its_dead_letter_queue() -> None:
    site = queue("SiteQueue")
    assert site["RedrivePolicy"]["deadLetterTargetArn"] == arn_of("SiteDeadLetterQueue")
    assert 3 <= site["RedrivePolicy"]["maxReceiveCount"] <= 10
    # Six times the function's timeout, from the same table as the feed queue's.
    assert site["VisibilityTimeout"] == {
        "Fn::FindInMap": ["WorkerTimeouts", {"Ref": "WorkerTimeout"}, "QueueVisibilityTimeout"]
    }
    assert function_properties("SiteFunction")["Timeout"] == {"Ref": "WorkerTimeout"}
    dead = queue("SiteDeadLetterQueue")["MessageRetentionPeriod"]
    assert dead == 14 * 24 * 3600 > site["MessageRetentionPeriod"]


def test_the_runs_send_their_plans_to_the_site_queue() -> None:
    assert globals_variables()["SITE_QUEUE_URL"] == {"Ref": "SiteQueue"}
    for name in ("IngestFunction", "WorkerFunction"):
        assert variables_of(name)["SITE_QUEUE_URL"] == {"Ref": "SiteQueue"}


def test_a_failed_site_build_raises_an_alarm() -> None:
    properties: dict[str, Any] = alarms()["SiteBuildFailedAlarm"]
    variables = globals_variables()
    namespace = variables["POWERTOOLS_METRICS_NAMESPACE"]
    service = variables["POWERTOOLS_SERVICE_NAME"]
    assert properties["Namespace"] == namespace
    assert properties["MetricName"] == "SiteBuildFailed"
    # Exactly the dimensions Powertools publishes the metric with (CloudWatch matches them
    # exactly), as for FeedsFailing24h: the service, which is the stack's name.
    assert service == {"Ref": "AWS::StackName"}
    (published,) = emf_dimensions(namespace, "news")
    assert properties["Dimensions"] == [{"Name": name, "Value": service} for name in published]
    assert properties["Statistic"] == "Sum"
    assert properties["Threshold"] == 0
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["EvaluationPeriods"] == 1
    assert properties["AlarmActions"] == properties["OKActions"] == ALARM_ACTIONS
    # ...and the site function does publish it.
    handler = (REPO / "functions" / "site" / "app.py").read_text(encoding="utf-8")
    assert 'name="SiteBuildFailed"' in handler


def test_the_site_function_folder_holds_its_handler() -> None:
    written = source()["Resources"]["SiteFunction"]["Properties"]
    assert written["CodeUri"].rstrip("/") == "functions/site"


def test_the_sample_site_event_carries_site_plans() -> None:
    event = json.loads((REPO / "events" / "sqs-site.json").read_text(encoding="utf-8"))
    for message in event["Records"]:
        plan = SitePlan.from_json(message["body"])
        assert not plan.empty and plan.entered
