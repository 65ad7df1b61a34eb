"""template.yaml: lint-clean, least privilege, and the resources issue 2 asks for.

The SAM template is transformed offline with aws-sam-translator (the managed-policy lookup,
normally an IAM call, is a fixed map), so the assertions run on the CloudFormation that would
be deployed: the roles SAM generates, the EventBridge rule, the function's settings.
"""

from __future__ import annotations

import copy
import json
import shlex
import tomllib
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import boto3
import pytest
from cfnlint.api import ManualArgs, lint_file  # type: ignore[import-untyped]
from samtranslator.parser.parser import Parser  # type: ignore[import-untyped]
from samtranslator.translator.translator import Translator  # type: ignore[import-untyped]

from tests.cfn import load_template

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "template.yaml"

BASIC_EXECUTION = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
XRAY_WRITE = "arn:aws:iam::aws:policy/AWSXrayWriteOnlyAccess"
MANAGED_POLICIES = {
    "AWSLambdaBasicExecutionRole": BASIC_EXECUTION,
    "AWSXrayWriteOnlyAccess": XRAY_WRITE,
}

# Every function's inline policy may name these actions and no others. A new function must get
# its own entry here: the test fails for a function it does not know.
ALLOWED_ACTIONS = {
    "IngestFunction": {
        "s3:GetObject",
        "s3:PutObject",
        "s3:ListBucket",
        "dynamodb:BatchGetItem",
        "dynamodb:GetItem",
        "dynamodb:PutItem",
        "dynamodb:Query",
        "dynamodb:Scan",
    },
}
# The variables newswire's Lambda code reads (bootstrap.Settings.from_env, service.py).
HANDLER_VARIABLES = {
    "CONTENT_BUCKET",
    "INDEX_TABLE",
    "FEEDS_CONFIG",
    "FEEDS_CONFIG_KEY",
    "FETCH_WORKERS",
}
NO_VALUE = {"Ref": "AWS::NoValue"}


@cache
def _source() -> dict[str, Any]:
    return load_template(TEMPLATE)


def source() -> dict[str, Any]:
    """template.yaml as written (a fresh copy: the translator mutates its input)."""
    return copy.deepcopy(_source())


@cache
def _transformed() -> dict[str, Any]:
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
        template, parameter_values={}, get_managed_policy_map=lambda: MANAGED_POLICIES
    )
    return result


def transformed() -> dict[str, Any]:
    """The CloudFormation that SAM generates from template.yaml, default parameters."""
    return copy.deepcopy(_transformed())


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


def functions() -> dict[str, dict[str, Any]]:
    return resources_of_type(transformed(), "AWS::Lambda::Function")


# --- lint ---------------------------------------------------------------------------------


def test_cfn_lint_is_clean_including_informational_checks() -> None:
    matches = lint_file(TEMPLATE, ManualArgs(include_checks=["I"]))
    assert [str(m) for m in matches] == []


def test_the_template_transforms_to_the_expected_resources() -> None:
    kinds = {v["Type"] for v in transformed()["Resources"].values()}
    assert {
        "AWS::Lambda::Function",
        "AWS::Lambda::LayerVersion",
        "AWS::IAM::Role",
        "AWS::Events::Rule",
        "AWS::S3::Bucket",
        "AWS::DynamoDB::Table",
        "AWS::Logs::LogGroup",
    } <= kinds


# --- IAM: least privilege -----------------------------------------------------------------


def test_every_function_is_known_to_this_test() -> None:
    assert set(functions()) == set(ALLOWED_ACTIONS)


@pytest.mark.parametrize("name", sorted(ALLOWED_ACTIONS))
def test_inline_policies_name_only_the_functions_own_actions(name: str) -> None:
    template = transformed()
    role = role_of(template, template["Resources"][name])
    found = inline_statements(role)
    assert found, f"{name} has no inline policy"
    actions = {action for s in found for action in as_list(s["Action"])}
    assert not any("*" in action for action in actions), actions
    assert actions <= ALLOWED_ACTIONS[name], actions - ALLOWED_ACTIONS[name]
    assert all(s["Effect"] == "Allow" for s in found)
    assert not any("NotAction" in s or "NotResource" in s for s in found)


@pytest.mark.parametrize("name", sorted(ALLOWED_ACTIONS))
def test_no_inline_statement_grants_every_resource(name: str) -> None:
    # X-Ray's PutTraceSegments needs Resource "*"; it comes from the AWS-managed
    # AWSXrayWriteOnlyAccess policy, never from an inline statement.
    template = transformed()
    role = role_of(template, template["Resources"][name])
    for statement in inline_statements(role):
        assert "*" not in as_list(statement["Resource"]), statement


@pytest.mark.parametrize("name", sorted(ALLOWED_ACTIONS))
def test_managed_policies_are_only_logs_and_xray(name: str) -> None:
    template = transformed()
    role = role_of(template, template["Resources"][name])
    assert set(role["Properties"]["ManagedPolicyArns"]) == {BASIC_EXECUTION, XRAY_WRITE}


def ingest_statements() -> dict[str, dict[str, Any]]:
    template = transformed()
    found = inline_statements(role_of(template, template["Resources"]["IngestFunction"]))
    return {s["Sid"]: s for s in found}


def test_s3_object_access_is_scoped_to_the_content_prefix() -> None:
    by_sid = ingest_statements()
    objects = by_sid["ContentObjects"]
    assert set(as_list(objects["Action"])) == {"s3:GetObject", "s3:PutObject"}
    assert objects["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::${ContentBucket}/content/*"
    }
    listing = by_sid["ListContent"]
    assert as_list(listing["Action"]) == ["s3:ListBucket"]
    assert listing["Resource"] == {"Fn::GetAtt": ["ContentBucket", "Arn"]}
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["content/*"]}}
    touching_objects = {
        sid
        for sid, s in by_sid.items()
        if {"s3:GetObject", "s3:PutObject"} & set(as_list(s["Action"]))
    }
    assert touching_objects == {"ContentObjects", "ReadFeedsConfig"}


def test_the_feeds_config_key_is_readable_only_when_set() -> None:
    template = transformed()
    role = role_of(template, template["Resources"]["IngestFunction"])
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
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::${ContentBucket}/${FeedsConfigKey}"
    }
    assert source()["Conditions"]["HasFeedsConfigKey"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "FeedsConfigKey"}, ""]}]
    }


def test_dynamodb_access_is_the_index_tables_items_only() -> None:
    allowed_resources = [
        {"Fn::GetAtt": ["IndexTable", "Arn"]},
        {"Fn::Sub": "${IndexTable.Arn}/index/*"},
    ]
    dynamo = [
        s
        for s in ingest_statements().values()
        if any(a.startswith("dynamodb:") for a in as_list(s["Action"]))
    ]
    assert dynamo
    for statement in dynamo:
        for resource in as_list(statement["Resource"]):
            assert resource in allowed_resources, statement
    index_only = [s for s in dynamo if s["Resource"] == allowed_resources[1]]
    assert all(as_list(s["Action"]) == ["dynamodb:Query"] for s in index_only)


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


# --- the function, its schedule, layer and logs -------------------------------------------


def test_the_schedule_rule_uses_the_rate_parameter_and_can_be_disabled() -> None:
    template = transformed()
    rules = resources_of_type(template, "AWS::Events::Rule")
    assert len(rules) == 1
    rule = next(iter(rules.values()))["Properties"]
    assert rule["ScheduleExpression"] == {"Ref": "ScheduleRate"}
    assert rule["State"] == {"Fn::If": ["ScheduleOn", "ENABLED", "DISABLED"]}
    assert [t["Arn"] for t in rule["Targets"]] == [{"Fn::GetAtt": ["IngestFunction", "Arn"]}]
    parameters = source()["Parameters"]
    assert parameters["ScheduleRate"]["Default"] == "rate(1 hour)"
    assert parameters["ScheduleEnabled"]["AllowedValues"] == ["true", "false"]
    assert source()["Conditions"]["ScheduleOn"] == {
        "Fn::Equals": [{"Ref": "ScheduleEnabled"}, "true"]
    }


def test_the_function_runs_the_handler_from_the_layer_with_tracing() -> None:
    function = transformed()["Resources"]["IngestFunction"]["Properties"]
    assert function["Handler"] == "app.lambda_handler"
    assert function["Runtime"] == {"Ref": "Runtime"}
    assert function["Architectures"] == [{"Ref": "Architecture"}]
    assert function["Timeout"] == {"Ref": "FunctionTimeout"}
    assert function["TracingConfig"] == {"Mode": "Active"}
    (layer,) = function["Layers"]
    layer_resource = transformed()["Resources"][layer["Ref"]]
    assert layer_resource["Type"] == "AWS::Lambda::LayerVersion"
    assert function["LoggingConfig"] == {"LogGroup": {"Ref": "IngestLogGroup"}}
    log_group = source()["Resources"]["IngestLogGroup"]["Properties"]
    assert log_group["RetentionInDays"] == {"Ref": "LogRetentionDays"}


def test_the_environment_names_what_the_handler_and_powertools_read() -> None:
    variables = transformed()["Resources"]["IngestFunction"]["Properties"]["Environment"]
    names = variables["Variables"]
    assert set(names) >= HANDLER_VARIABLES
    assert names["CONTENT_BUCKET"] == {"Ref": "ContentBucket"}
    assert names["INDEX_TABLE"] == {"Ref": "IndexTable"}
    assert names["FEEDS_CONFIG"] == "/opt/newswire/feeds.yaml"
    assert names["FEEDS_CONFIG_KEY"] == {"Ref": "FeedsConfigKey"}
    assert names["POWERTOOLS_SERVICE_NAME"] == "newswire"
    assert names["POWERTOOLS_METRICS_NAMESPACE"] == "Newswire"
    assert names["POWERTOOLS_LOG_LEVEL"] == {"Ref": "LogLevel"}
    assert names.get("AWS_ENDPOINT_URL") == "", "empty in AWS; env.json sets it for sam local"


def test_the_layer_is_built_by_its_makefile_for_the_chosen_runtime() -> None:
    layer = source()["Resources"]["NewswireLayer"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"
    assert layer["Properties"]["ContentUri"].rstrip("/") == "layers/newswire"
    assert layer["Properties"]["CompatibleRuntimes"] == [{"Ref": "Runtime"}]
    assert layer["Properties"]["CompatibleArchitectures"] == [{"Ref": "Architecture"}]
    assert (REPO / "layers" / "newswire" / "Makefile").read_text().count("build-NewswireLayer:")


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
    assert all(p.get("Description") for p in parameters.values())


def test_every_output_has_a_description() -> None:
    outputs = source()["Outputs"]
    assert {
        "ContentBucketName",
        "IndexTableName",
        "IngestFunctionName",
        "IngestFunctionArn",
        "NewswireLayerArn",
    } <= set(outputs)
    assert all(o.get("Description") for o in outputs.values())


# --- files that drive SAM: env.json, samconfig.toml ----------------------------------------


def test_env_json_sets_only_variables_the_template_declares() -> None:
    # sam local invoke --env-vars ignores variables the template does not declare.
    declared = set(source()["Globals"]["Function"]["Environment"]["Variables"])
    env = json.loads((REPO / "env.json").read_text(encoding="utf-8"))
    assert set(env) <= set(functions())
    for variables in env.values():
        assert set(variables) <= declared, set(variables) - declared
        assert all(isinstance(v, str) for v in variables.values())
    assert {"AWS_ENDPOINT_URL", "CONTENT_BUCKET", "INDEX_TABLE"} <= set(env["IngestFunction"])


def samconfig_overrides(env: str) -> dict[str, str]:
    config = tomllib.loads((REPO / "samconfig.toml").read_text(encoding="utf-8"))
    raw = config[env]["deploy"]["parameters"]["parameter_overrides"]
    return dict(token.split("=", 1) for token in shlex.split(raw))


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
        allowed = parameters[name].get("AllowedValues")
        if allowed is not None:
            assert value in [str(a) for a in allowed], (name, value)
