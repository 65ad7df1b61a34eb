"""template.yaml: lint-clean, least privilege, and the resources issues 2, 5 and 6 ask for.

The SAM template is transformed offline with aws-sam-translator (the managed-policy lookup,
normally an IAM call, is a fixed map), so the assertions run on the CloudFormation that would
be deployed: the roles SAM generates, the EventBridge rule, the functions' settings, the queue
subscription, the alarms. The hosting modes are checked on the template as CloudFormation
would deploy it for each WebsiteHosting value (conditions resolved), and the bucket policy is
evaluated for the requests that matter: who may read the site, and that nobody outside the
account ever reads content/ or the feeds file.
"""

from __future__ import annotations

import copy
import fnmatch
import json
import re
import shlex
import subprocess
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
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

from tests import programs
from tooling.cfn import evaluate_conditions, load_template, resolve_conditions

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


BUCKET_OBJECTS = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ContentBucket}/*"}
FEEDS_CONFIG_OBJECT = {"Fn::Sub": "arn:${AWS::Partition}:s3:::${ContentBucket}/${FeedsConfigKey}"}
INDEX_ITEMS: dict[str, list[Any]] = {
    # BatchGetItem: feed states, existing articles. PutItem: feed states, and the transaction of
    # an article, its slug claim and its term items. DeleteItem: the term items an update drops
    # (in the same transaction). UpdateItem: taking and releasing a feed's lease.
    "dynamodb:BatchGetItem": [arn_of("IndexTable")],
    "dynamodb:PutItem": [arn_of("IndexTable")],
    "dynamodb:DeleteItem": [arn_of("IndexTable")],
    "dynamodb:UpdateItem": [arn_of("IndexTable")],
}
# What both functions need to ingest and to render the site: the Markdown, the site at the
# bucket root and the feeds file (read), this bucket's objects only; the index's items; its two
# list indexes, never the table itself (a scan).
INGEST_AND_SITE: dict[str, list[Any]] = {
    "s3:GetObject": [BUCKET_OBJECTS],
    "s3:PutObject": [BUCKET_OBJECTS],
    # A site page is written with its lifecycle tag (newswire.adapters.s3.SITE_TAG).
    "s3:PutObjectTagging": [BUCKET_OBJECTS],
    "s3:ListBucket": [arn_of("ContentBucket")],
    **INDEX_ITEMS,
    "dynamodb:Query": [
        {"Fn::Sub": "${IndexTable.Arn}/index/ByMonth"},
        {"Fn::Sub": "${IndexTable.Arn}/index/ByTerm"},
    ],
}
# Every function's inline policies grant exactly these (action, resource) pairs: nothing more
# (least privilege), nothing less (each is a call the function makes). A new function must get
# its own entry: the tests fail for a function they do not know.
GRANTS: dict[str, dict[str, list[Any]]] = {
    "IngestFunction": {
        **INGEST_AND_SITE,
        # SendMessageBatch to the feed queue; the failure destination's record (sent by Lambda
        # with the function's role) to IngestFailureQueue.
        # The run's site plan to the site queue.
        "sqs:SendMessage": [
            arn_of("FeedsQueue"),
            arn_of("IngestFailureQueue"),
            arn_of("SiteQueue"),
        ],
    },
    "WorkerFunction": {
        # The worker updates the site after each batch, as the scheduled function after an
        # inline run.
        **INGEST_AND_SITE,
        # What Lambda's SQS poller calls with the function's role, on the feed queue only.
        "sqs:ReceiveMessage": [arn_of("FeedsQueue")],
        "sqs:DeleteMessage": [arn_of("FeedsQueue")],
        "sqs:GetQueueAttributes": [arn_of("FeedsQueue")],
        # The batch's site plan to the site queue.
        "sqs:SendMessage": [arn_of("SiteQueue")],
    },
    "SiteFunction": {
        # Reads the Markdown and the stored pages, writes pages and deletes the ones no article
        # is on any more; reads the changed articles by id and the lists from the two indexes;
        # writes nothing to the table (no lease: reserved concurrency 1 serializes builds).
        "s3:GetObject": [BUCKET_OBJECTS],
        "s3:PutObject": [BUCKET_OBJECTS],
        "s3:PutObjectTagging": [BUCKET_OBJECTS],
        "s3:DeleteObject": [BUCKET_OBJECTS],
        "s3:ListBucket": [arn_of("ContentBucket")],
        "dynamodb:BatchGetItem": [arn_of("IndexTable")],
        "dynamodb:Query": INGEST_AND_SITE["dynamodb:Query"],
        "sqs:ReceiveMessage": [arn_of("SiteQueue")],
        "sqs:DeleteMessage": [arn_of("SiteQueue")],
        "sqs:GetQueueAttributes": [arn_of("SiteQueue")],
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
    """Action -> the resources the function's inline policies allow it on."""
    found: dict[str, list[Any]] = {}
    for statement in statements_of(name):
        if statement["Effect"] != "Allow":
            continue
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
        "AWS::S3::BucketPolicy",
        "AWS::CloudFront::Distribution",
        "AWS::CloudFront::OriginAccessControl",
        "AWS::CloudFront::ResponseHeadersPolicy",
        "AWS::CloudFront::Function",
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
        assert not {"NotAction", "NotResource", "NotPrincipal"} & set(statement), statement
        assert "*" not in as_list(statement["Resource"]), statement
        if statement["Effect"] != "Allow":
            # The one denial: a function that writes the site anywhere in the bucket never
            # overwrites the feeds file it runs on.
            assert statement["Sid"] == "KeepFeedsConfig", statement
    for resources in grants_of(name).values():
        for resource in resources:
            text = json.dumps(resource)
            assert "ContentBucket" in text or "IndexTable" in text or "Queue" in text, resource


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
def test_each_function_lists_the_bucket_it_renders_the_site_into(name: str) -> None:
    # Site pages are anywhere at the root: reading one never written must be a 404, not 403.
    (listing,) = [s for s in statements_of(name) if "s3:ListBucket" in as_list(s["Action"])]
    assert listing["Resource"] == arn_of("ContentBucket")
    assert "Condition" not in listing


def conditional_statements(name: str) -> list[list[Any]]:
    template = transformed()
    role = role_of(template, template["Resources"][name])
    return [
        s["Fn::If"]
        for policy in role["Properties"]["Policies"]
        for s in as_list(policy["PolicyDocument"]["Statement"])
        if "Fn::If" in s
    ]


@pytest.mark.parametrize("name", sorted(GRANTS))
def test_no_function_overwrites_the_feeds_config_key(name: str) -> None:
    # Both read it (the bucket's objects) and write the site anywhere in the bucket, but never
    # the configuration they run on.
    (conditional,) = conditional_statements(name)
    condition, statement, otherwise = conditional
    assert condition == "HasFeedsConfigKey" and otherwise == NO_VALUE
    assert statement["Effect"] == "Deny"
    assert statement["Action"] == "s3:PutObject"
    assert statement["Resource"] == FEEDS_CONFIG_OBJECT
    assert source()["Conditions"]["HasFeedsConfigKey"] == {
        "Fn::Not": [{"Fn::Equals": [{"Ref": "FeedsConfigKey"}, ""]}]
    }


def test_the_functions_query_only_the_list_indexes_and_never_scan() -> None:
    # The site is rendered by the scheduled function (inline runs) and by the workers (after
    # each batch): both list from the two indexes, never from the table itself.
    for name in GRANTS:
        grants = grants_of(name)
        assert grants["dynamodb:Query"] == INGEST_AND_SITE["dynamodb:Query"], name
        assert "dynamodb:Scan" not in grants, name


# --- storage ------------------------------------------------------------------------------


def test_the_bucket_is_private_versioned_encrypted_and_retained() -> None:
    bucket = source()["Resources"]["ContentBucket"]
    assert bucket["DeletionPolicy"] == bucket["UpdateReplacePolicy"] == "Retain"
    properties = deployed(WebsiteHosting="cloudfront")["Resources"]["ContentBucket"]["Properties"]
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


def test_old_versions_of_site_pages_expire_in_3_days_and_of_the_markdown_in_90() -> None:
    from newswire.adapters.s3 import MARKDOWN_PREFIX, SITE_TAG

    properties = source()["Resources"]["ContentBucket"]["Properties"]
    rules = {r["Id"]: r for r in properties["LifecycleConfiguration"]["Rules"]}
    assert set(rules) == {"ExpireOldVersions", "ExpireOldSiteVersions"}
    assert all(rule["Status"] == "Enabled" for rule in rules.values())
    everything = rules["ExpireOldVersions"]
    # The whole bucket (no filter), content/ included: 90 days, and the delete markers left
    # once an object's old versions are gone are removed.
    assert not {"Prefix", "TagFilters"} & set(everything)
    assert everything["NoncurrentVersionExpiration"] == {"NoncurrentDays": 90}
    assert everything["ExpiredObjectDeleteMarker"] is True
    assert everything["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    # What newswire writes outside content/ carries SITE_TAG, which this rule selects: S3
    # applies the shorter of two expirations, so those versions go after 3 days.
    site = rules["ExpireOldSiteVersions"]
    key, value = SITE_TAG.split("=")
    assert site["TagFilters"] == [{"Key": key, "Value": value}]
    assert "Prefix" not in site
    assert site["NoncurrentVersionExpiration"]["NoncurrentDays"] <= 3
    assert MARKDOWN_PREFIX == "content/"


def test_the_table_is_on_demand_with_point_in_time_recovery_and_retained() -> None:
    table = source()["Resources"]["IndexTable"]
    assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
    properties = table["Properties"]
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["DeletionProtectionEnabled"] is True
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["KeySchema"] == [{"AttributeName": "pk", "KeyType": "HASH"}]
    indexes = {i["IndexName"]: i for i in properties["GlobalSecondaryIndexes"]}
    assert list(indexes) == ["ByMonth", "ByTerm"]
    # Latest and monthly archive: month = "YYYY-MM" on article items only.
    assert indexes["ByMonth"]["KeySchema"] == [
        {"AttributeName": "month", "KeyType": "HASH"},
        {"AttributeName": "published", "KeyType": "RANGE"},
    ]
    # Lists per tag, category, publisher: term = "<taxonomy>#<term>" on term items only.
    assert indexes["ByTerm"]["KeySchema"] == [
        {"AttributeName": "term", "KeyType": "HASH"},
        {"AttributeName": "published", "KeyType": "RANGE"},
    ]
    # Each index projects what its readers use, never ALL: every write of an item in an
    # index is billed again by its projected size. ByMonth: the record's fields (latest and
    # by_month return whole records), not the article item's bookkeeping.
    from newswire.adapters.codec import LISTING_FIELDS, record_to_dict

    assert indexes["ByMonth"]["Projection"]["ProjectionType"] == "INCLUDE"
    every_field = record_to_dict(FULL_RECORD)
    assert set(every_field) >= set(FULL_RECORD.__dataclass_fields__) - {"date", "hidden"}
    month_fields = indexes["ByMonth"]["Projection"]["NonKeyAttributes"]
    assert sorted(month_fields) == sorted(set(every_field) - {"published", "day", "hidden"})
    assert "memberships" not in month_fields
    # ByTerm: what a list shows (by_term's listing), which is all a term item holds.
    assert indexes["ByTerm"]["Projection"] == {
        "ProjectionType": "INCLUDE",
        "NonKeyAttributes": [f for f in LISTING_FIELDS if f != "published"],
    }
    assert {d["AttributeName"]: d["AttributeType"] for d in properties["AttributeDefinitions"]} == {
        "pk": "S",
        "month": "S",
        "published": "S",
        "term": "S",
    }


def _full_record() -> Any:
    """A record with every optional field set (record_to_dict leaves out unset ones)."""
    from datetime import UTC, datetime

    from newswire.models import IndexRecord

    when = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
    return IndexRecord(
        id="0" * 20, key="content/news/2026/01/a.md", section="news", slug="a", title="A",
        date=when, link="https://example.org/a", feeds=("wire",), content_hash="0" * 32,
        publisher="Wire", lastmod=when, first_seen=when, summary="s",
        image="https://example.org/a.jpg", tags=("t",), categories=("c",), hidden=True,
    )  # fmt: skip


FULL_RECORD = _full_record()


def test_the_adapter_queries_the_indexes_the_template_declares() -> None:
    from newswire.adapters.dynamodb_items import MONTH_INDEX, TERM_INDEX

    names = [i["IndexName"] for i in source()["Resources"]["IndexTable"]["Properties"][
        "GlobalSecondaryIndexes"]]  # fmt: skip
    assert names == [MONTH_INDEX, TERM_INDEX]


# --- hosting: WebsiteHosting = cloudfront (default) | s3-website | none ---------------------

MODES = ("cloudfront", "s3-website", "none")
ACCOUNT = "123456789012"
BUCKET = "newswire-contentbucket-1a2b3c"
DISTRIBUTION = "E2QWRUHEXAMPLE"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
CERTIFICATE = f"arn:aws:acm:us-east-1:{ACCOUNT}:certificate/0f6f5b2e-5d8b-4a6e-9d3c-1b2a3c4d5e6f"


def deployed(**parameters: str) -> dict[str, Any]:
    """The CloudFormation that would be deployed for these parameters: SAM's transform, then
    the template's Conditions resolved (resources and Fn::If branches of other modes gone)."""
    return resolve_conditions(transformed(**parameters), parameters)


def site_resources(template: dict[str, Any]) -> set[str]:
    return {
        name
        for name, resource in template["Resources"].items()
        if resource["Type"].startswith("AWS::CloudFront::")
    }


@pytest.mark.parametrize("mode", MODES)
def test_each_hosting_mode_deploys_its_own_resources(mode: str) -> None:
    template = deployed(WebsiteHosting=mode)
    cloudfront = {
        "SiteDistribution",
        "SiteOriginAccessControl",
        "SiteResponseHeadersPolicy",
        "SiteIndexFunction",
    }
    assert site_resources(template) == (cloudfront if mode == "cloudfront" else set())
    bucket = template["Resources"]["ContentBucket"]["Properties"]
    blocked = mode != "s3-website"
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,  # ACLs are disabled (BucketOwnerEnforced) in every mode
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": blocked,
        "RestrictPublicBuckets": blocked,
    }
    if mode == "s3-website":
        assert bucket["WebsiteConfiguration"] == {
            "IndexDocument": "index.html",
            "ErrorDocument": "404.html",
        }
    else:
        assert "WebsiteConfiguration" not in bucket
    conditions = evaluate_conditions(source(), {"WebsiteHosting": mode})
    assert conditions["CloudFrontHosting"] is (mode == "cloudfront")
    assert conditions["S3WebsiteHosting"] is (mode == "s3-website")
    assert conditions["HasSiteDomain"] is False
    # A domain name alone never turns CloudFront on, nor a certificate on without it.
    with_domain = {"WebsiteHosting": mode, "SiteDomainName": "news.example.org"}
    assert evaluate_conditions(source(), with_domain)["HasSiteDomain"] is (mode == "cloudfront")


def distribution(**parameters: str) -> dict[str, Any]:
    template = deployed(WebsiteHosting="cloudfront", **parameters)
    config: dict[str, Any] = template["Resources"]["SiteDistribution"]["Properties"][
        "DistributionConfig"
    ]
    return config


def test_cloudfront_serves_the_private_bucket_over_https_with_origin_access_control() -> None:
    config = distribution()
    assert config["Enabled"] is True
    assert config["DefaultRootObject"] == "index.html"
    (origin,) = config["Origins"]
    assert origin["DomainName"] == {"Fn::GetAtt": ["ContentBucket", "RegionalDomainName"]}
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["SiteOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "OAC, no legacy OAI"
    assert "OriginPath" not in origin, "the site is at the bucket root"
    behavior = config["DefaultCacheBehavior"]
    assert behavior["TargetOriginId"] == origin["Id"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["AllowedMethods"] == behavior["CachedMethods"] == ["GET", "HEAD"]
    assert behavior["Compress"] is True
    assert behavior["CachePolicyId"] == CACHING_OPTIMIZED
    assert behavior["ResponseHeadersPolicyId"] == {"Ref": "SiteResponseHeadersPolicy"}
    assert behavior["FunctionAssociations"] == [
        {
            "EventType": "viewer-request",
            "FunctionARN": {"Fn::GetAtt": ["SiteIndexFunction", "FunctionARN"]},
        }
    ]
    assert "CacheBehaviors" not in config
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    assert set(errors) == {403, 404}  # S3 says 403 for a missing key without s3:ListBucket
    for error in errors.values():
        assert (error["ResponseCode"], error["ResponsePagePath"]) == (404, "/404.html")
    assert config["ViewerCertificate"] == {"CloudFrontDefaultCertificate": True}
    assert "Aliases" not in config
    assert config["PriceClass"] == {"Ref": "SitePriceClass"}

    access = deployed(WebsiteHosting="cloudfront")["Resources"]["SiteOriginAccessControl"]
    signing = access["Properties"]["OriginAccessControlConfig"]
    assert signing["OriginAccessControlOriginType"] == "s3"
    assert (signing["SigningBehavior"], signing["SigningProtocol"]) == ("always", "sigv4")


def test_a_custom_domain_gets_its_certificate_and_modern_tls() -> None:
    config = distribution(SiteDomainName="news.example.org", SiteCertificateArn=CERTIFICATE)
    assert config["Aliases"] == [{"Ref": "SiteDomainName"}]
    assert config["ViewerCertificate"] == {
        "AcmCertificateArn": {"Ref": "SiteCertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    rule = source()["Rules"]["SiteDomainNeedsACertificate"]
    assert rule["RuleCondition"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "SiteDomainName"}, ""]}]}
    asserted = [a["Assert"] for a in rule["Assertions"]]
    assert {"Fn::Not": [{"Fn::Equals": [{"Ref": "SiteCertificateArn"}, ""]}]} in asserted
    parameters = source()["Parameters"]
    domain = re.compile(parameters["SiteDomainName"]["AllowedPattern"])
    assert domain.fullmatch("") and domain.fullmatch("news.example.org")
    assert not domain.fullmatch("https://news.example.org") and not domain.fullmatch("News.org")
    certificate = re.compile(parameters["SiteCertificateArn"]["AllowedPattern"])
    assert certificate.fullmatch("") and certificate.fullmatch(CERTIFICATE)
    assert not certificate.fullmatch(CERTIFICATE.replace("us-east-1", "eu-west-1"))


def test_the_response_headers_policy_sets_the_security_headers() -> None:
    policy = deployed(WebsiteHosting="cloudfront")["Resources"]["SiteResponseHeadersPolicy"]
    config = policy["Properties"]["ResponseHeadersPolicyConfig"]
    security = config["SecurityHeadersConfig"]
    hsts = security["StrictTransportSecurity"]
    assert hsts["AccessControlMaxAgeSec"] >= 31536000
    assert security["ContentTypeOptions"] == {"Override": True}
    assert security["FrameOptions"] == {"FrameOption": "DENY", "Override": True}
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    csp = security["ContentSecurityPolicy"]["ContentSecurityPolicy"]
    # What a <meta> CSP cannot say; the page's own meta tag governs what it loads.
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "default-src" not in csp and "script-src" not in csp
    assert all(header.get("Override") is True for header in security.values())
    custom = {h["Header"]: h["Value"] for h in config["CustomHeadersConfig"]["Items"]}
    assert custom["Permissions-Policy"].startswith("camera=()")
    assert custom["Cross-Origin-Opener-Policy"] == "same-origin"


def run_viewer_request(uris: list[str]) -> list[dict[str, Any]]:
    node = programs.program("node", "apt-get install nodejs; the CloudFront function is not run")
    code = source()["Resources"]["SiteIndexFunction"]["Properties"]["FunctionCode"]
    harness = code + (
        "\nconst uris = JSON.parse(process.argv[1]);\n"
        "console.log(JSON.stringify(uris.map(function (uri) {\n"
        "  return handler({request: {method: 'GET', uri: uri, headers: {}, querystring: {}}});\n"
        "})));\n"
    )
    done = subprocess.run(
        [node, "-e", harness, json.dumps(uris)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    results: list[dict[str, Any]] = json.loads(done.stdout)
    return results


def test_the_viewer_request_function_serves_directory_indexes() -> None:
    function = source()["Resources"]["SiteIndexFunction"]["Properties"]
    assert function["FunctionConfig"]["Runtime"] == "cloudfront-js-2.0"
    assert function["AutoPublish"] is True
    uris = ["/", "/tags/harbour/", "/tags/harbour", "/feed.xml", "/2026/01/a-story/", "/404.html"]
    results = dict(zip(uris, run_viewer_request(uris), strict=True))
    assert results["/"]["uri"] == "/index.html"
    assert results["/tags/harbour/"]["uri"] == "/tags/harbour/index.html"
    assert results["/2026/01/a-story/"]["uri"] == "/2026/01/a-story/index.html"
    assert results["/tags/harbour"] == {
        "statusCode": 301,
        "statusDescription": "Moved Permanently",
        "headers": {"location": {"value": "/tags/harbour/"}},
    }
    assert results["/feed.xml"]["uri"] == "/feed.xml"
    assert results["/404.html"]["uri"] == "/404.html"


# The bucket policy, evaluated as S3 would for the requests that matter. A statement applies
# when its principal, action, resource and every condition match; an explicit Deny wins over
# any Allow; no Allow leaves the decision to the caller's own IAM policy (for the account's
# principals) or refuses (for everyone else).

CONTENT_KEY = "content/news/2026/01/ferry-service-resumes.md"
SITE_KEYS = ("index.html", "tags/harbour/index.html", "404.html", "feed.xml", "sitemap.xml")
CONFIG_KEY = "config/feeds.yaml"


@dataclass(frozen=True)
class S3Request:
    who: str
    context: dict[str, str]
    service: str | None = None
    action: str = "s3:GetObject"


def visitor(*, https: bool) -> S3Request:
    """Anonymous: a browser at the website endpoint (HTTP) or the REST endpoint (HTTPS)."""
    return S3Request("visitor", {"aws:securetransport": str(https).lower()})


def cloudfront(distribution_id: str, *, account: str | None = None) -> S3Request:
    """A request CloudFront signs with Origin Access Control for a distribution."""
    context = {
        "aws:securetransport": "true",
        "aws:sourcearn": f"arn:aws:cloudfront::{ACCOUNT}:distribution/{distribution_id}",
    }
    if account is not None:  # whether S3 sees one for a service principal is not ours to bet on
        context["aws:principalaccount"] = account
    return S3Request(f"cloudfront {distribution_id}", context, service="cloudfront.amazonaws.com")


def role(account: str, *, https: bool = True) -> S3Request:
    arn = f"arn:aws:iam::{account}:role/newswire-IngestFunctionRole"
    return S3Request(
        f"role of {account}",
        {
            "aws:securetransport": str(https).lower(),
            "aws:principalaccount": account,
            "aws:principalarn": arn,
        },
    )


def concrete(node: Any, names: dict[str, str]) -> Any:
    """Intrinsic functions replaced by the values a deployed stack would have."""
    if isinstance(node, dict):
        if set(node) == {"Fn::Sub"}:
            return re.sub(r"\$\{([^}]+)\}", lambda m: names[m.group(1)], node["Fn::Sub"])
        if set(node) == {"Ref"}:
            return names[node["Ref"]]
        if set(node) == {"Fn::GetAtt"}:
            return names[".".join(node["Fn::GetAtt"])]
        return {k: concrete(v, names) for k, v in node.items()}
    if isinstance(node, list):
        return [concrete(item, names) for item in node]
    return node


def bucket_policy(mode: str, feeds_config_key: str = "") -> list[dict[str, Any]]:
    template = deployed(WebsiteHosting=mode, FeedsConfigKey=feeds_config_key)
    names = {
        "AWS::Partition": "aws",
        "AWS::AccountId": ACCOUNT,
        "ContentBucket": BUCKET,
        "ContentBucket.Arn": f"arn:aws:s3:::{BUCKET}",
        "SiteDistribution": DISTRIBUTION,
        "FeedsConfigKey": feeds_config_key,
    }
    policy = template["Resources"]["ContentBucketPolicy"]["Properties"]
    assert policy["Bucket"] == {"Ref": "ContentBucket"}
    document = concrete(policy["PolicyDocument"], names)
    return list(document["Statement"])


def _condition_holds(operator: str, key: str, expected: Any, context: dict[str, str]) -> bool:
    values = [str(v).lower() if operator == "Bool" else str(v) for v in as_list(expected)]
    actual = context.get(key.lower())
    if operator in ("Bool", "StringEquals"):
        return actual is not None and actual in values
    if operator == "StringNotEquals":  # true when the key is absent, as IAM evaluates it
        return actual is None or actual not in values
    if operator == "Null":
        return (actual is None) == (values == ["true"])
    raise AssertionError(f"this evaluator does not know {operator}")


def _applies(statement: dict[str, Any], request: S3Request, resource: str) -> bool:
    principal = statement["Principal"]
    services = [] if principal == "*" else as_list(principal.get("Service"))
    if principal != "*" and request.service not in services:
        return False
    if not any(fnmatch.fnmatchcase(request.action, a) for a in as_list(statement["Action"])):
        return False
    if not any(fnmatch.fnmatchcase(resource, r) for r in as_list(statement["Resource"])):
        return False
    return all(
        _condition_holds(operator, key, expected, request.context)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def decide(statements: list[dict[str, Any]], request: S3Request, key: str) -> str:
    """ "deny", "allow", or "neither" (the caller's identity policy decides, if it has one)."""
    resource = f"arn:aws:s3:::{BUCKET}/{key}"
    applying = [s for s in statements if _applies(s, request, resource)]
    if any(s["Effect"] == "Deny" for s in applying):
        return "deny"
    return "allow" if any(s["Effect"] == "Allow" for s in applying) else "neither"


@pytest.mark.parametrize("feeds_config_key", ["", CONFIG_KEY])
@pytest.mark.parametrize("mode", MODES)
def test_the_bucket_policy_serves_the_site_and_never_the_markdown_or_the_feeds_file(
    mode: str, feeds_config_key: str
) -> None:
    statements = bucket_policy(mode, feeds_config_key)
    private = [CONTENT_KEY] + ([feeds_config_key] if feeds_config_key else [])
    public_site = mode == "s3-website"
    outsiders = [
        visitor(https=False),
        visitor(https=True),
        cloudfront(DISTRIBUTION),
        cloudfront(DISTRIBUTION, account="999999999999"),
        cloudfront("EOTHERDISTRIBUTION"),
        role("999999999999"),
    ]
    for request in outsiders:
        for key in private:
            assert decide(statements, request, key) == "deny", (request.who, key)
    for key in SITE_KEYS:
        for request in (visitor(https=True), role("999999999999")):
            expected = "allow" if public_site else "neither"
            assert decide(statements, request, key) == expected, (mode, request.who, key)
        # Plain HTTP is for the website endpoint's visitors only.
        expected = "allow" if public_site else "deny"
        assert decide(statements, visitor(https=False), key) == expected, (mode, key)
        # Only this stack's distribution (a public site is public to any, of course).
        for request in (cloudfront(DISTRIBUTION), cloudfront(DISTRIBUTION, account="9" * 12)):
            expected = "allow" if mode == "cloudfront" or public_site else "neither"
            assert decide(statements, request, key) == expected, (mode, request.who, key)
        expected = "allow" if public_site else "neither"
        assert decide(statements, cloudfront("EOTHERDISTRIBUTION"), key) == expected
    # The account's own principals (the functions, operators) are left to their IAM policies,
    # over TLS only, in every mode.
    for key in (*private, *SITE_KEYS):
        assert decide(statements, role(ACCOUNT), key) != "deny", (mode, key)
        assert decide(statements, role(ACCOUNT, https=False), key) == "deny", (mode, key)
        for action in ("s3:PutObject", "s3:DeleteObject"):
            insecure = S3Request("role", role(ACCOUNT, https=False).context, action=action)
            assert decide(statements, insecure, key) == "deny"
            assert decide(statements, S3Request("visitor", {}, action=action), key) != "allow"


@pytest.mark.parametrize("mode", MODES)
def test_only_the_s3_website_mode_has_a_public_statement(mode: str) -> None:
    public = [s for s in bucket_policy(mode) if s["Effect"] == "Allow" and s["Principal"] == "*"]
    assert [s["Sid"] for s in public] == (["AllowPublicReadSite"] if mode == "s3-website" else [])
    for statement in bucket_policy(mode):
        if statement["Effect"] == "Allow":
            assert statement["Action"] == "s3:GetObject", statement  # read, nothing else
    # Block Public Access stays on where the policy is not public (checked per mode above).


def test_the_canonical_tls_only_statement_is_kept_where_no_website_endpoint_needs_http() -> None:
    for mode in ("cloudfront", "none"):
        (tls,) = [s for s in bucket_policy(mode) if s["Sid"] == "DenyInsecureTransport"]
        assert tls["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        assert tls["Action"] == "s3:*"
    # The website endpoint speaks HTTP only: there, anonymous reads may come over HTTP, and
    # every signed request must still use TLS.
    (tls,) = [s for s in bucket_policy("s3-website") if s["Sid"] == "DenyInsecureTransport"]
    assert tls["Condition"] == {
        "Bool": {"aws:SecureTransport": "false"},
        "Null": {"aws:PrincipalArn": "false"},
    }


@pytest.mark.parametrize("mode", MODES)
def test_the_site_url_is_an_output_and_the_renderers_base_url(mode: str) -> None:
    template = deployed(WebsiteHosting=mode)
    expected: Any = {
        "cloudfront": {"Fn::Sub": "https://${SiteDistribution.DomainName}/"},
        "s3-website": {"Fn::Sub": "${ContentBucket.WebsiteURL}/"},
        "none": "",
    }[mode]
    outputs = template["Outputs"]
    assert outputs["SiteUrl"]["Value"] == (expected or "none (WebsiteHosting is none)")
    assert ("SiteDistributionId" in outputs) is (mode == "cloudfront")
    assert ("SiteDistributionDomainName" in outputs) is (mode == "cloudfront")
    # Both functions render the site: the scheduled one after an inline run, each worker
    # after its batch.
    for name in ("IngestFunction", "WorkerFunction"):
        variables = template["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables["SITE_URL"] == expected, name
    custom = deployed(SiteDomainName="news.example.org", SiteCertificateArn=CERTIFICATE)
    assert custom["Outputs"]["SiteUrl"]["Value"] == {"Fn::Sub": "https://${SiteDomainName}/"}


# --- the queues and the worker's subscription ---------------------------------------------


def queue(name: str) -> dict[str, Any]:
    properties: dict[str, Any] = source()["Resources"][name]["Properties"]
    return properties


def test_the_queues_are_encrypted() -> None:
    queues = resources_of_type(source(), "AWS::SQS::Queue")
    assert set(queues) == {
        "FeedsQueue", "FeedsDeadLetterQueue", "IngestFailureQueue", "SiteQueue",
        "SiteDeadLetterQueue",
    }  # fmt: skip
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
    # A backlog is worked off, not dropped: the feed queue keeps messages for days (its age
    # alarm fires within hours), far longer than a feed stays marked as queued.
    from newswire.dispatch import QUEUED_FOR

    kept = queue("FeedsQueue")["MessageRetentionPeriod"]
    assert kept >= 4 * 24 * 3600
    assert kept > QUEUED_FOR.total_seconds()
    assert source()["Parameters"]["QueueAgeAlarmSeconds"]["MaxValue"] < kept
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
    assert set(mappings) == {"WorkerQueueSubscription", "SiteQueueSubscription"}
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
    "SiteFunction": ("functions/site", "WorkerTimeout", "SiteLogGroup"),
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
        "SITE_URL",
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
    # Two stacks in one account publish (and alarm on) their own metrics.
    assert names["POWERTOOLS_SERVICE_NAME"] == {"Ref": "AWS::StackName"}
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
        "FeedsQueueAgeAlarm",
        "ScheduleHeartbeatAlarm",
        "SiteBuildFailedAlarm",
    }
    for name, alarm in found.items():
        assert alarm["AlarmActions"] == alarm["OKActions"] == ALARM_ACTIONS, name
        assert alarm["AlarmDescription"], name
        # Only the heartbeat takes silence for trouble: no invocation is its alarm.
        missing = "breaching" if name == "ScheduleHeartbeatAlarm" else "notBreaching"
        assert alarm["TreatMissingData"] == missing, name
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


def test_a_backlog_in_the_feed_queue_raises_an_alarm() -> None:
    properties = alarms()["FeedsQueueAgeAlarm"]
    assert properties["Namespace"] == "AWS/SQS"
    assert properties["MetricName"] == "ApproximateAgeOfOldestMessage"
    assert properties["Dimensions"] == [
        {"Name": "QueueName", "Value": {"Fn::GetAtt": ["FeedsQueue", "QueueName"]}}
    ]
    assert properties["Statistic"] == "Maximum"
    assert properties["Threshold"] == {"Ref": "QueueAgeAlarmSeconds"}
    assert properties["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    assert source()["Parameters"]["QueueAgeAlarmSeconds"]["Default"] == 3600


def test_a_stopped_schedule_raises_the_heartbeat_alarm() -> None:
    resource = source()["Resources"]["ScheduleHeartbeatAlarm"]
    properties = resource["Properties"]
    assert properties["Namespace"] == "AWS/Lambda"
    assert properties["MetricName"] == "Invocations"
    function = {"Ref": "IngestFunction"}
    assert properties["Dimensions"] == [{"Name": "FunctionName", "Value": function}]
    assert properties["Statistic"] == "Sum"
    assert properties["Period"] == 3600
    hours = {"Ref": "ScheduleHeartbeatHours"}
    assert properties["EvaluationPeriods"] == properties["DatapointsToAlarm"] == hours
    # Fewer than one invocation an hour, for that many hours; no data at all breaches.
    assert properties["ComparisonOperator"] == "LessThanThreshold"
    assert properties["Threshold"] == 1
    assert properties["TreatMissingData"] == "breaching"
    parameter = source()["Parameters"]["ScheduleHeartbeatHours"]
    assert parameter["Default"] == 2
    # CloudWatch evaluates at most a day of hourly periods.
    assert parameter["MinValue"] == 1 and parameter["MaxValue"] <= 24
    # A schedule deployed disabled has no heartbeat to miss.
    assert resource["Condition"] == "ScheduleOn"
    assert "ScheduleHeartbeatAlarm" in deployed(ScheduleEnabled="true")["Resources"]
    assert "ScheduleHeartbeatAlarm" not in deployed(ScheduleEnabled="false")["Resources"]


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
    assert service == {"Ref": "AWS::StackName"}
    assert properties["Namespace"] == namespace
    assert properties["MetricName"] == "FeedsFailing24h"
    # The alarm's dimensions must be exactly the set Powertools publishes: CloudWatch matches
    # a metric only by its full set of dimensions (a stack named "news" publishes "news").
    (published,) = emf_dimensions(namespace, "news")
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
    assert defaults["FetchWorkers"] == 32
    assert defaults["LogRetentionDays"] == 30
    assert defaults["InlineFeedsBelow"] == 20
    assert defaults["IngestMaxEventAgeSeconds"] == 3600
    assert defaults["IngestRetryAttempts"] == 1
    assert defaults["WorkerTimeout"] == 300
    assert defaults["WorkerBatchSize"] == 5
    assert defaults["WorkerMaxConcurrency"] == 5
    assert defaults["WorkerReservedConcurrency"] == 0
    assert defaults["AlarmTopicArn"] == ""
    assert defaults["WebsiteHosting"] == "cloudfront"
    assert parameters["WebsiteHosting"]["AllowedValues"] == ["cloudfront", "s3-website", "none"]
    assert defaults["SitePriceClass"] == "PriceClass_100"
    assert defaults["SiteDomainName"] == defaults["SiteCertificateArn"] == ""
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
        "SiteUrl",
        "SiteDistributionId",
        "SiteDistributionDomainName",
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


@pytest.mark.parametrize("event", ["scheduled.json", "sqs-feeds.json", "sqs-site.json"])
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
