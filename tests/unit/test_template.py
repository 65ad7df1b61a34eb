"""template.yaml: lint-clean, least privilege, and the resources issues 2 and 5 ask for.

The SAM template is transformed offline with aws-sam-translator (the managed-policy lookup,
normally an IAM call, is a fixed map), so the assertions run on the CloudFormation that would
be deployed: the roles SAM generates, the EventBridge rule, the functions' settings, the queue
subscription, the alarms.
"""

from __future__ import annotations

import copy
import json
import re
import shlex
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import (
    AmazonCloudWatchEMFProvider,
)
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

from tests.cfn import load_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"
PACKAGE = REPO / "layers" / "newswire" / "newswire"

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
XRAY_WRITE = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": BASIC_EXECUTION,
    "AWSXrayWriteOnlyAccess": XRAY_WRITE,
}
NO_VALUE = {"Ref": "AWS::NoValue"}


def arn_of(resource: str) -> dict[str, Any]:
    return {"Fn::GetAtt": [resource, "Arn"]}


CONTENT_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ContentBucket}/content/*"}
FEEDS_CONFIG_OBJECT = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ContentBucket}/${FeedsConfigKey}"}
STORAGE_GRANTS: dict[str, list[Any]] = {
    "s3:GetObject": [CONTENT_OBJECTS, FEEDS_CONFIG_OBJECT],
    "s3:PutObject": [CONTENT_OBJECTS],
    "s3:ListBucket": [arn_of("ContentBucket")],
    # BatchGetItem: feed states, existing articles. PutItem: articles and feed states (and the
    # article + slug-claim transaction). UpdateItem: taking and releasing a feed's lease.
    "dynamodb:BatchGetItem": [arn_of("IndexTable")],
    "dynamodb:PutItem": [arn_of("IndexTable")],
    "dynamodb:UpdateItem": [arn_of("IndexTable")],
}
# Every function's inline policies grant exactly these (action, resource) pairs: nothing more
# (least privilege), nothing less (each is a call the function makes). A new function must get
# its own entry: the tests fail for a function they do not know.
GRANTS: dict[str, dict[str, list[Any]]] = {
    "IngestFunction": {
        **STORAGE_GRANTS,
        # SendMessageBatch to the feed queue; the failure destination's record (sent by Lambda
        # with the function's role) to IngestFailureQueue.
        "sqs:SendMessage": [arn_of("FeedsQueue"), arn_of("IngestFailureQueue")],
    },
    "WorkerFunction": {
        **STORAGE_GRANTS,
        # What Lambda's SQS poller calls with the function's role, on the feed queue only.
        "sqs:ReceiveMessage": [arn_of("FeedsQueue")],
        "sqs:DeleteMessage": [arn_of("FeedsQueue")],
        "sqs:GetQueueAttributes": [arn_of("FeedsQueue")],
    },
}
# Environment variables the scheduled path reads but the worker never does.
DISPATCH_ONLY_VARIABLES = {"FEEDS_QUEUE_URL", "INLINE_FEEDS_BELOW"}


@cache
def _source() -> dict[str, Any]:
    return load_template(TEMPLATE)


def source() -> dict[str, Any]:
    """template.yaml as written (a fresh copy: the translator mutates its input)."""
    return copy.deepcopy(_source())


@cache
def _transformed(parameters: tuple[tuple[str, Any], ...] = ()) -> dict[str, Any]:
    template = source()
    # The translator expects a packaged template: code locations are S3 URIs by then.
    for resource in template["Resources"].values():
        properties = resource.get("Properties", {})
        for key in ("CodeUri", "ContentUri"):
            if key in properties:
                properties[key] = "s3://newswire-artifacts/code.zip"
    translator = Translator(
        None, Parser(), boto_session=boto3.session.Session(region_name="us-east-1")
    )
    result: dict[str, Any] = translator.translate(
        template,
        parameter_values=dict(parameters),
        get_managed_policy_map=lambda: MANAGED_POLICIES,
    )
    return result


def transformed(**parameters: Any) -> dict[str, Any]:
    """The CloudFormation that SAM generates from template.yaml (default parameters unless
    given: SAM resolves some properties, such as EventInvokeConfig's, at transform time)."""
    return copy.deepcopy(_transformed(tuple(sorted(parameters.items()))))


def resources_of_type(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {k: v for k, v in template["Resources"].items() if v["Type"] == kind}


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(document: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """A policy's statements, both branches of any Fn::If (conditional statements)."""
    for statement in as_list(document["Statement"]):
        if "Fn::If" in statement:
            _, when_true, when_false = statement["Fn::If"]
            yield from (s for s in (when_true, when_false) if s != NO_VALUE)
        else:
            yield statement


def role_of(template: dict[str, Any], function: dict[str, Any]) -> dict[str, Any]:
    role_ref = function["Properties"]["Role"]
    assert "Fn::GetAtt" in role_ref, "every function gets the role SAM generates for it"
    role: dict[str, Any] = template["Resources"][role_ref["Fn::GetAtt"][0]]
    return role


def inline_statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        statement
        for policy in role["Properties"].get("Policies", [])
        for statement in statements(policy["PolicyDocument"])
    ]


def statements_of(name: str) -> list[dict[str, Any]]:
    template = transformed()
    return inline_statements(role_of(template, template["Resources"][name]))


def grants_of(name: str) -> dict[str, list[Any]]:
    """Action -> the resources the function's inline policies grant it on."""
    found: dict[str, list[Any]] = {}
    for statement in statements_of(name):
        for action in as_list(statement["Action"]):
            for resource in as_list(statement["Resource"]):
                if resource not in found.setdefault(action, []):
                    found[action].append(resource)
    return found


def functions() -> dict[str, dict[str, Any]]:
    return resources_of_type(transformed(), "AWS::Lambda::Function")


def function_properties(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = transformed()["Resources"][name]["Properties"]
    return properties


def variables_of(name: str) -> dict[str, Any]:
    variables: dict[str, Any] = function_properties(name)["Environment"]["Variables"]
    return variables


def globals_variables() -> dict[str, Any]:
    variables: dict[str, Any] = source()["Globals"]["Function"]["Environment"]["Variables"]
    return variables


# --- lint ---------------------------------------------------------------------------------


def test_cfn_lint_is_clean_including_informational_checks() -> None:
    matches = lint_file(TEMPLATE, ManualArgs(include_checks=["I"]))
    assert [str(m) for m in matches] == []


def test_the_template_transforms_to_the_expected_resources() -> None:
    kinds = {v["Type"] for v in transformed()["Resources"].values()}
    assert {
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::Lambda::EventSourceMapping",
        "AWS::Lambda::EventInvokeConfig",
        "AWS::IAM::Role",
        "AWS::Events::Rule",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::SQS::Queue",
        "AWS::CloudWatch::Alarm",
        "AWS::Logs::LogGroup",
    } <= kinds


# --- IAM: least privilege -----------------------------------------------------------------


def test_every_function_is_known_to_this_test() -> None:
    assert set(functions()) == set(GRANTS)


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_inline_policies_grant_exactly_the_functions_own_actions_and_resources(
    name: str,
) -> None:
    found = grants_of(name)
    assert found, f"{name} has no inline policy"
    assert not any("*" in action for action in found), sorted(found)
    expected = GRANTS[name]
    assert set(found) == set(expected), {
        "unexpected": set(found) - set(expected),
        "missing": set(expected) - set(found),
    }
    for action, resources in found.items():
        assert sorted(map(json.dumps, resources)) == sorted(map(json.dumps, expected[action])), (
            action
        )


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_no_inline_statement_grants_every_resource_or_uses_negation(name: str) -> None:
    # X-Ray's PutTraceSegments needs Resource "*"; it comes from the AWS-managed
    # AWSXrayWriteOnlyAccess policy, never from an inline statement.
    for statement in statements_of(name):
        assert statement["Effect"] == "Allow", statement
        assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), statement
        assert "*" not in as_list(statement["Resource"]), statement


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_managed_policies_are_only_logs_and_xray(name: str) -> None:
    # In particular not AWSLambdaSQSQueueExecutionRole (receive/delete on every queue), which
    # SAM attaches to a function with an `Events: SQS` source: the worker has none.
    template = transformed()
    role = role_of(template, template["Resources"][name])
    assert set(role["Properties"]["ManagedPolicyArns"]) == {BASIC_EXECUTION, XRAY_WRITE}


def test_no_function_uses_a_sam_sqs_event() -> None:
    for name, resource in resources_of_type(source(), "AWS::Serverless::Function").items():
        events = resource["Properties"].get("Events", {})
        assert all(e["Type"] != "SQS" for e in events.values()), name


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_s3_listing_is_limited_to_the_content_prefix(name: str) -> None:
    (listing,) = [s for s in statements_of(name) if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["content/*"]}}


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_the_feeds_config_key_is_readable_only_when_set(name: str) -> None:
    template = transformed()
    role = role_of(template, template["Resources"][name])
    conditional = [
        s["Fn::If"]
        for policy in role["Properties"]["Policies"]
        for s in as_list(policy["PolicyDocument"]["Statement"])
        if "Fn::If" in s
    ]
    assert len(conditional) == 1
    condition, statement, otherwise = conditional[0]
    assert condition == "HasFeedsConfigKey" and otherwise == NO_VALUE
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"] == FEEDS_CONFIG_OBJECT
    assert source()["Conditions"]["HasFeedsConfigKey"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "FeedsConfigKey"}, ""]}]
    }


# --- storage ------------------------------------------------------------------------------


def test_the_bucket_is_private_versioned_encrypted_and_retained() -> None:
    bucket = source()["Resources"]["ContentBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    properties = bucket["Properties"]
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    rules = properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rules[0]["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in {"AES256", "aws:kms"}
    assert properties["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]
    }
    assert "BucketName" not in properties, "a generated name lets several stacks coexist"


def test_the_table_is_on_demand_with_point_in_time_recovery_and_retained() -> None:
    table = source()["Resources"]["IndexTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    assert [i["IndexName"] for i in properties["GlobalSecondaryIndexes"]] == ["ByMonth"]


# --- the queues and the worker's subscription ---------------------------------------------


def queue(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = source()["Resources"][name]["Properties"]
    return properties


def test_the_queues_are_encrypted() -> None:
    queues = resources_of_type(source(), "AWS::SQS::Queue")
    assert set(queues) == {"FeedsQueue", "FeedsDeadLetterQueue", "IngestFailureQueue"}
    for name, resource in queues.items():
        assert resource["Properties"].get("SqsManagedSseEnabled") is True, name


def test_the_feed_queue_sends_a_message_to_the_dlq_after_three_receives() -> None:
    assert queue("FeedsQueue")["RedrivePolicy"] == {
        "deadLetterTargetArn": arn_of("FeedsDeadLetterQueue"),
        "maxReceiveCount": 3,
    }


def test_dead_letters_are_kept_14_days_longer_than_the_feed_queue_keeps_messages() -> None:
    # A standard queue's message keeps its original enqueue time in the dead-letter queue.
    dlq = queue("FeedsDeadLetterQueue")["MessageRetentionPeriod"]
    assert dlq == 14 * 24 * 3600
    assert dlq > queue("FeedsQueue").get("MessageRetentionPeriod", 4 * 24 * 3600)
    assert queue("IngestFailureQueue")["MessageRetentionPeriod"] == 14 * 24 * 3600


def test_the_visibility_timeout_is_six_times_every_allowed_worker_timeout() -> None:
    template = source()
    assert queue("FeedsQueue")["VisibilityTimeout"] == {
        "Fn::FindInMap": ["WorkerTimeouts", {"Ref": "WorkerTimeout"}, "QueueVisibilityTimeout"]
    }
    allowed = template["Parameters"]["WorkerTimeout"]["AllowedValues"]
    table = template["Mappings"]["WorkerTimeouts"]
    assert set(table) == {str(seconds) for seconds in allowed}
    for seconds in allowed:
        visibility = table[str(seconds)]["QueueVisibilityTimeout"]
        assert visibility >= 6 * seconds, seconds
        assert visibility <= 12 * 3600, "SQS's maximum visibility timeout"
    assert max(allowed) <= 900, "Lambda's maximum timeout"


def test_the_worker_subscribes_to_the_feed_queue_with_partial_batch_failures() -> None:
    mappings = resources_of_type(transformed(), "AWS::Lambda::EventSourceMapping")
    assert set(mappings) == {"WorkerQueueSubscription"}
    mapping = mappings["WorkerQueueSubscription"]["Properties"]
    assert mapping["EventSourceArn"] == arn_of("FeedsQueue")
    assert mapping["FunctionName"] == {"Ref": "WorkerFunction"}
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BatchSize"] == {"Ref": "WorkerBatchSize"}
    assert mapping["ScalingConfig"] == {"MaximumConcurrency": {"Ref": "WorkerMaxConcurrency"}}
    assert mapping.get("Enabled", True) is True
    # Over 10 messages a batch, SQS needs a batching window (which adds to the visibility).
    assert "MaximumBatchingWindowInSeconds" not in mapping
    parameters = source()["Parameters"]
    assert parameters["WorkerBatchSize"]["MaxValue"] <= 10
    assert parameters["WorkerMaxConcurrency"]["MinValue"] >= 2, "Lambda's minimum"


def test_the_workers_reserved_concurrency_is_optional() -> None:
    worker = function_properties("WorkerFunction")
    assert worker["ReservedConcurrentExecutions"] == {
        "Fn::If": [
            "HasWorkerReservedConcurrency",
            {"Ref": "WorkerReservedConcurrency"},
            NO_VALUE,
        ]
    }
    assert source()["Conditions"]["HasWorkerReservedConcurrency"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "WorkerReservedConcurrency"}, "0"]}]
    }
    parameter = source()["Parameters"]["WorkerReservedConcurrency"]
    assert parameter["MinValue"] == 0
    assert parameter["Default"] in (0, *range(2, 1001))
    assert "IngestFunction" not in [
        n for n, f in functions().items() if "ReservedConcurrentExecutions" in f["Properties"]
    ]


# --- the functions, their schedule, layer and logs ----------------------------------------


def test_the_schedule_rule_uses_the_rate_parameter_and_can_be_disabled() -> None:
    template = transformed()
    rules = resources_of_type(template, "AWS::Events::Rule")
    assert len(rules) == 1
    rule = next(iter(rules.values()))["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": "ScheduleRate"}
    assert rule["State"] == {"Fn::If": ["ScheduleOn", "ENABLED", "DISABLED"]}
    assert [t["Arn"] for t in rule["Targets"]] == [arn_of("IngestFunction")]
    parameters = source()["Parameters"]
    assert parameters["ScheduleRate"]["Default"] == "rate(1 hour)"
    assert parameters["ScheduleEnabled"]["AllowedValues"] == ["true", "false"]
    assert source()["Conditions"]["ScheduleOn"] == {
        "Fn::Equals": [{"Ref": "ScheduleEnabled"}, "true"]
    }


FUNCTIONS = {
    # name: (code folder, timeout parameter, log group)
    "IngestFunction": ("functions/ingest", "FunctionTimeout", "IngestLogGroup"),
    "WorkerFunction": ("functions/worker", "WorkerTimeout", "WorkerLogGroup"),
}


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_function_runs_its_handler_with_the_layer_and_tracing(name: str) -> None:
    folder, timeout, log_group = FUNCTIONS[name]
    written = source()["Resources"][name]["Properties"]
    assert written["CodeUri"].rstrip("/") == folder
    assert "def lambda_handler(" in (REPO / folder / "app.py").read_text(encoding="utf-8")
    function = function_properties(name)
    assert function["Handler"] == "app.lambda_handler"
    assert function["Runtime"] == {"Ref": "Runtime"}
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    assert function["Timeout"] == {"Ref": timeout}
    assert function["TracingConfig"] == {"Mode": "Active"}
    (layer,) = function["Layers"]
    assert transformed()["Resources"][layer["Ref"]]["Type"] == "AWS::Lambda::LayerVersion"
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": log_group}}
    group = source()["Resources"][log_group]["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert group["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/${{AWS::StackName}}-{name}"}


def variables_read_by_the_package() -> set[str]:
    """The environment variables newswire's Lambda entry points read (bootstrap, service)."""
    names: set[str] = set()
    for module in ("bootstrap.py", "service.py"):
        text = (PACKAGE / module).read_text(encoding="utf-8")
        names |= set(re.findall(r"env(?:\.get\(|\[)\"([A-Z][A-Z0-9_]+)\"", text))
    return names


def test_the_package_reads_the_variables_this_test_expects() -> None:
    # If this fails, the package reads a new variable: declare it in template.yaml.
    assert variables_read_by_the_package() >= {
        "CONTENT_BUCKET",
        "INDEX_TABLE",
        "FEEDS_CONFIG",
        "FEEDS_CONFIG_KEY",
        "FETCH_WORKERS",
        "LEASE_SECONDS",
        *DISPATCH_ONLY_VARIABLES,
    }


@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_the_environment_names_what_the_handler_and_powertools_read(name: str) -> None:
    names = variables_of(name)
    needed = variables_read_by_the_package()
    if name != "IngestFunction":
        needed -= DISPATCH_ONLY_VARIABLES
        assert not DISPATCH_ONLY_VARIABLES & set(names), "only the scheduled function queues"
    assert set(names) >= needed, needed - set(names)
    assert names["CONTENT_BUCKET"] == {"Ref": "ContentBucket"}
    assert names["INDEX_TABLE"] == {"Ref": "IndexTable"}
    assert names["FEEDS_CONFIG"] == "/opt/newswire/feeds.yaml"
    assert names["FEEDS_CONFIG_KEY"] == {"Ref": "FeedsConfigKey"}
    assert names["POWERTOOLS_SERVICE_NAME"] == "newswire"
    assert names["POWERTOOLS_METRICS_NAMESPACE"] == "Newswire"
    assert names["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert names.get("AWS_ENDPOINT_URL") == "", "empty in AWS; env.json sets it for sam local"
    # A feed's lease must outlive the invocation holding it: exactly the function's timeout.
    assert names["LEASE_SECONDS"] == {"Ref": FUNCTIONS[name][1]}


def test_the_scheduled_function_queues_to_the_feed_queue_above_the_threshold() -> None:
    names = variables_of("IngestFunction")
    assert names["FEEDS_QUEUE_URL"] == {"Ref": "FeedsQueue"}
    assert names["INLINE_FEEDS_BELOW"] == {"Ref": "InlineFeedsBelow"}
    assert source()["Parameters"]["InlineFeedsBelow"]["Default"] == 20


def event_invoke_config(**parameters: Any) -> dict[str, Any]:
    configs = resources_of_type(transformed(**parameters), "AWS::Lambda::EventInvokeConfig")
    assert set(configs) == {"IngestFunctionEventInvokeConfig"}
    properties: dict[str, Any] = configs["IngestFunctionEventInvokeConfig"]["Properties"]
    assert properties["FunctionName"] == {"Ref": "IngestFunction"}
    return properties


def test_late_or_failed_scheduled_runs_are_dropped_to_the_failure_queue() -> None:
    config = event_invoke_config()
    assert config["MaximumEventAgeInSeconds"] == 3600
    assert config["MaximumRetryAttempts"] == 1
    assert config["DestinationConfig"] == {
        "OnFailure": {"Destination": arn_of("IngestFailureQueue")}
    }
    # Not the feeds' dead-letter queue: `newswire redrive` sends that one to the workers.
    assert config["DestinationConfig"]["OnFailure"]["Destination"] != arn_of("FeedsDeadLetterQueue")


def test_the_event_invoke_config_follows_its_parameters() -> None:
    config = event_invoke_config(IngestMaxEventAgeSeconds=1800, IngestRetryAttempts=0)
    assert config["MaximumEventAgeInSeconds"] == 1800
    assert config["MaximumRetryAttempts"] == 0
    parameters = source()["Parameters"]
    assert parameters["IngestRetryAttempts"]["AllowedValues"] == [0, 1]
    age = parameters["IngestMaxEventAgeSeconds"]
    assert age["MinValue"] >= 60 and age["MaxValue"] <= 21600, "Lambda's limits"


def test_the_layer_is_built_by_its_makefile_for_the_chosen_runtime() -> None:
    layer = source()["Resources"]["NewswireLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"].rstrip("/") == "layers/newswire"
    assert layer["Properties"]["CompatibleRuntimes"] == [{"Ref": "Runtime"}]
    assert layer["Properties"]["CompatibleArchitectures"] == [{"Ref": "Architecture"}]
    assert (REPO / "layers" / "newswire" / "Makefile").read_text().count("build-NewswireLayer:")


# --- alarms -------------------------------------------------------------------------------


ALARM_ACTIONS = {"Fn::If": ["HasAlarmTopic", [{"Ref": "AlarmTopicArn"}], NO_VALUE]}


def alarms() -> dict[str, dict[str, Any]]:
    return {
        name: resource["Properties"]
        for name, resource in resources_of_type(source(), "AWS::CloudWatch::Alarm").items()
    }


def test_the_alarms_exist_and_notify_the_optional_topic() -> None:
    found = alarms()
    assert set(found) == {
        "IngestErrorsAlarm",
        "IngestThrottlesAlarm",
        "IngestDurationAlarm",
        "WorkerErrorsAlarm",
        "WorkerThrottlesAlarm",
        "WorkerDurationAlarm",
        "FeedsDeadLetterQueueAlarm",
        "IngestFailureQueueAlarm",
        "FeedsFailingAlarm",
    }
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == alarm["OKActions"] == ALARM_ACTIONS, name
        assert alarm["AlarmDescription"], name
        assert alarm["TreatMissingData"] == "notBreaching", name
    assert source()["Conditions"]["HasAlarmTopic"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmTopicArn"}, ""]}]
    }


def test_the_alarm_topic_parameter_accepts_empty_or_an_sns_arn() -> None:
    parameter = source()["Parameters"]["AlarmTopicArn"]
    assert parameter["Default"] == ""
    pattern = re.compile(parameter["AllowedPattern"])
    assert pattern.fullmatch("")
    assert pattern.fullmatch("arn:aws:sns:eu-west-1:123456789012:newswire-alarms")
    assert pattern.fullmatch("arn:aws-cn:sns:cn-north-1:123456789012:ops.fifo")
    assert not pattern.fullmatch("arn:aws:sqs:eu-west-1:123456789012:queue")
    assert not pattern.fullmatch("newswire-alarms")


@pytest.mark.parametrize(
    ("alarm", "function", "metric"),
    [
        ("IngestErrorsAlarm", "IngestFunction", "Errors"),
        ("IngestThrottlesAlarm", "IngestFunction", "Throttles"),
        ("WorkerErrorsAlarm", "WorkerFunction", "Errors"),
        ("WorkerThrottlesAlarm", "WorkerFunction", "Throttles"),
    ],
)
def test_errors_and_throttles_alarm_on_the_first(alarm: str, function: str, metric: str) -> None:
    properties = alarms()[alarm]
    assert properties["Namespace"] == "AWS/Lambda"
    assert properties["MetricName"] == metric
    assert properties["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": function}}]
    assert properties["Statistic"] == "Sum"
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["Threshold"] == 0


@pytest.mark.parametrize(
    ("alarm", "function"),
    [("IngestDurationAlarm", "IngestFunction"), ("WorkerDurationAlarm", "WorkerFunction")],
)
def test_duration_alarms_at_90_percent_of_the_functions_timeout(alarm: str, function: str) -> None:
    properties = alarms()[alarm]
    metrics = {m["Id"]: m for m in properties["Metrics"]}
    stat = metrics["duration"]["MetricStat"]
    assert stat["Metric"] == {
        "Namespace": "AWS/Lambda",
        "MetricName": "Duration",
        "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": function}}],
    }
    assert stat["Stat"] == "Maximum"
    assert metrics["duration"]["ReturnData"] is False
    expression = metrics["percent_of_timeout"]
    assert expression["ReturnData"] is True
    timeout = FUNCTIONS[function][1]
    assert expression["Expression"] == {"Fn::Sub": f"100 * duration / (${{{timeout}}} * 1000)"}
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert properties["Threshold"] == 90


@pytest.mark.parametrize(
    ("alarm", "queue_name"),
    [
        ("FeedsDeadLetterQueueAlarm", "FeedsDeadLetterQueue"),
        ("IngestFailureQueueAlarm", "IngestFailureQueue"),
    ],
)
def test_a_message_in_a_failure_queue_raises_an_alarm(alarm: str, queue_name: str) -> None:
    properties = alarms()[alarm]
    assert properties["Namespace"] == "AWS/SQS"
    assert properties["MetricName"] == "ApproximateNumberOfMessagesVisible"
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": [queue_name, "QueueName"]}}
    ]
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["Threshold"] == 0


def emf_dimensions(namespace: str, service: str) -> list[list[str]]:
    """The dimension sets Powertools writes for one metric, configured as the template does."""
    provider = AmazonCloudWatchEMFProvider(namespace=namespace, service=service)
    provider.add_metric(name="FeedsFailing24h", unit="Count", value=1)
    document: dict[str, Any] = dict(provider.serialize_metric_set())
    (directive,) = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == namespace
    assert [m["Name"] for m in directive["Metrics"]] == ["FeedsFailing24h"]
    dimensions: list[list[str]] = directive["Dimensions"]
    assert all(document[name] == service for dims in dimensions for name in dims)
    return dimensions


def test_feeds_failing_for_24_hours_raises_an_alarm() -> None:
    properties = alarms()["FeedsFailingAlarm"]
    variables = globals_variables()
    namespace = variables["POWERTOOLS_METRICS_NAMESPACE"]
    service = variables["POWERTOOLS_SERVICE_NAME"]
    assert properties["Namespace"] == namespace
    assert properties["MetricName"] == "FeedsFailing24h"
    # The alarm's dimensions must be exactly the set Powertools publishes: CloudWatch matches
    # a metric only by its full set of dimensions.
    (published,) = emf_dimensions(namespace, service)
    assert properties["Dimensions"] == [{"Name": name, "Value": service} for name in published]
    assert properties["Statistic"] == "Maximum"
    assert properties["Period"] == 3600
    assert properties["EvaluationPeriods"] == properties["DatapointsToAlarm"] == 1
    assert properties["ComparisonOperator"] == "GreaterThanThreshold"
    assert properties["Threshold"] == 0
    # ...and the package does publish it.
    assert '"FeedsFailing24h"' in (PACKAGE / "service.py").read_text(encoding="utf-8")


# --- parameters and outputs ---------------------------------------------------------------


def test_parameters_have_the_documented_defaults() -> None:
    parameters = source()["Parameters"]
    defaults = {name: p.get("Default") for name, p in parameters.items()}
    assert defaults["Runtime"] == "python3.13"
    assert defaults["Architecture"] == "arm64"
    assert parameters["Architecture"]["AllowedValues"] == ["arm64", "x86_64"]
    assert defaults["FeedsConfigKey"] == ""
    assert defaults["FunctionTimeout"] == 300
    assert defaults["FetchWorkers"] == 8
    assert defaults["LogRetentionDays"] == 30
    assert defaults["InlineFeedsBelow"] == 20
    assert defaults["IngestMaxEventAgeSeconds"] == 3600
    assert defaults["IngestRetryAttempts"] == 1
    assert defaults["WorkerTimeout"] == 300
    assert defaults["WorkerBatchSize"] == 5
    assert defaults["WorkerMaxConcurrency"] == 5
    assert defaults["WorkerReservedConcurrency"] == 0
    assert defaults["AlarmTopicArn"] == ""
    assert all(p.get("Description") for p in parameters.values())


def test_every_parameter_is_in_a_console_group() -> None:
    interface = source()["Metadata"]["AWS::CloudFormation::Interface"]
    grouped = [name for group in interface["ParameterGroups"] for name in group["Parameters"]]
    assert sorted(grouped) == sorted(source()["Parameters"])


def test_every_output_has_a_description() -> None:
    outputs = source()["Outputs"]
    assert {
        "ContentBucketName",
        "IndexTableName",
        "IngestFunctionName",
        "IngestFunctionArn",
        "NewswireLayerArn",
        "FeedsQueueUrl",
        "FeedsDeadLetterQueueUrl",
        "FeedsDeadLetterQueueArn",
        "IngestFailureQueueUrl",
        "WorkerFunctionName",
        "AlarmNotifications",
    } <= set(outputs)
    assert outputs["FeedsQueueUrl"]["Value"] == {"Ref": "FeedsQueue"}
    assert outputs["FeedsDeadLetterQueueUrl"]["Value"] == {"Ref": "FeedsDeadLetterQueue"}
    assert outputs["WorkerFunctionName"]["Value"] == {"Ref": "WorkerFunction"}
    assert all(o.get("Description") for o in outputs.values())


# --- files that drive SAM: env.json, samconfig.toml ----------------------------------------


def test_env_json_sets_only_variables_the_template_declares() -> None:
    # sam local invoke --env-vars ignores variables the template does not declare.
    env = json.loads((REPO / "env.json").read_text(encoding="utf-8"))
    assert set(env) == set(functions())
    for name, variables in env.items():
        declared = set(variables_of(name))
        assert set(variables) <= declared, set(variables) - declared
        assert all(isinstance(v, str) for v in variables.values())
        assert {"AWS_ENDPOINT_URL", "CONTENT_BUCKET", "INDEX_TABLE"} <= set(variables)
    assert env["IngestFunction"]["FEEDS_QUEUE_URL"].startswith(
        env["IngestFunction"]["AWS_ENDPOINT_URL"] + "/"
    )


@pytest.mark.parametrize("event", ["scheduled.json", "sqs-feeds.json"])
def test_sample_events_are_json(event: str) -> None:
    data = json.loads((REPO / "events" / event).read_text(encoding="utf-8"))
    assert isinstance(data, dict)


def samconfig_overrides(env: str) -> dict[str, str]:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    raw = config[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(token.split("=", 1) for token in shlex.split(raw))


def schedule_period_seconds(expression: str) -> int | None:
    """The period of a rate() expression in seconds (None for cron())."""
    found = re.fullmatch(r"rate\((\d+) (minute|hour|day)s?\)", expression)
    if found is None:
        return None
    unit = {"minute": 60, "hour": 3600, "day": 86400}[found.group(2)]
    return int(found.group(1)) * unit


@pytest.mark.parametrize("env", ["default", "prod"])
def test_samconfig_environments_deploy_valid_parameters(env: str) -> None:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    deploy = config[env]["deploy"]["parameters"]
    assert deploy["capabilities"] == "CAPABILITY_IAM"
    assert deploy["resolve_s3"] is True
    assert config[env]["global"]["parameters"]["stack_name"]
    parameters = source()["Parameters"]
    for name, value in samconfig_overrides(env).items():
        assert name in parameters, f"samconfig.toml [{env}] sets unknown parameter {name}"
        parameter = parameters[name]
        allowed = parameter.get("AllowedValues")
        if allowed is not None:
            assert value in [str(a) for a in allowed], (name, value)
        if parameter["Type"] == "Number":
            number = float(value)
            assert parameter.get("MinValue", number) <= number <= parameter.get("MaxValue", number)
        if "AllowedPattern" in parameter:
            assert re.fullmatch(parameter["AllowedPattern"], value), (name, value)


@pytest.mark.parametrize("env", ["default", "prod"])
def test_samconfig_drops_a_scheduled_run_no_later_than_the_next_one(env: str) -> None:
    overrides = samconfig_overrides(env)
    defaults = {name: p.get("Default") for name, p in source()["Parameters"].items()}
    period = schedule_period_seconds(overrides.get("ScheduleRate", defaults["ScheduleRate"]))
    age = int(overrides.get("IngestMaxEventAgeSeconds", defaults["IngestMaxEventAgeSeconds"]))
    if period is not None:
        assert age <= max(period, 60), (env, age, period)
