"""Read template.yaml the way CloudFormation does, for tests and tools that build from it.

CloudFormation's YAML short forms (`!Ref X`, `!GetAtt A.B`, `!Sub "..."`, `!If [...]`) are
custom tags that yaml.safe_load rejects. This loader turns each into the JSON long form
(`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": "..."}`), which is also what
aws-sam-translator and cfn-lint take, so one dict serves every consumer.

`resolve_conditions` then gives the template as CloudFormation deploys it for some parameter
values (Conditions evaluated, Fn::If branches chosen, conditional resources dropped), so tests
can check each configuration (e.g. every WebsiteHosting mode) on plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["CloudFormationLoader", "evaluate_conditions", "load_template", "resolve_conditions"]

# Tags whose long form is not "Fn::<Tag>".
_LONG_NAMES = {"Ref": "Ref", "Condition": "Condition"}


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form intrinsic function tags."""


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value: Any
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            # "Resource.Attribute" (the attribute may itself contain dots: Endpoint.Address)
            resource, _, attribute = str(value).partition(".")
            value = [resource, attribute]
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    elif isinstance(node, yaml.MappingNode):
        value = loader.construct_mapping(node, deep=True)
    else:  # pragma: no cover - yaml has no other node kinds
        raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}")
    return {_LONG_NAMES.get(suffix, f"Fn::{suffix}"): value}


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)


def load_template(path: str | Path) -> dict[str, Any]:
    """The template at `path` as plain data, intrinsic functions in their JSON long form."""
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=CloudFormationLoader)  # a SafeLoader subclass: safe
    if not isinstance(data, dict):
        raise ValueError(f"{path}: a CloudFormation template must be a mapping")
    return data


_NO_VALUE = {"Ref": "AWS::NoValue"}
_DROP = object()


def evaluate_conditions(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, bool]:
    """Every entry of the template's Conditions, for these parameter values (defaults for the
    rest): Fn::Equals, Fn::Not, Fn::And, Fn::Or and {"Condition": name}, as CloudFormation
    evaluates them."""
    values = {
        name: str(parameters.get(name, spec.get("Default", "")))
        for name, spec in template.get("Parameters", {}).items()
    }
    conditions: dict[str, Any] = template.get("Conditions", {})
    done: dict[str, bool] = {}

    def value(node: Any) -> Any:
        if isinstance(node, dict) and set(node) == {"Ref"}:
            return values[node["Ref"]]
        return str(node) if isinstance(node, int | float | str) else node

    def truth(node: Any) -> bool:
        if isinstance(node, dict) and len(node) == 1:
            ((function, argument),) = node.items()
            if function == "Condition":
                return named(argument)
            if function == "Fn::Equals":
                left, right = argument
                return bool(value(left) == value(right))
            if function == "Fn::Not":
                return not truth(argument[0])
            if function == "Fn::And":
                return all(truth(a) for a in argument)
            if function == "Fn::Or":
                return any(truth(a) for a in argument)
        raise ValueError(f"not a condition: {node!r}")

    def named(name: str) -> bool:
        if name not in done:
            done[name] = truth(conditions[name])
        return done[name]

    return {name: named(name) for name in conditions}


def resolve_conditions(template: dict[str, Any], parameters: dict[str, str]) -> dict[str, Any]:
    """The template as CloudFormation deploys it for these parameter values: resources and
    outputs whose Condition is false removed, each Fn::If replaced by its chosen branch, and
    AWS::NoValue dropped. Other intrinsic functions (Ref, Fn::Sub, ...) are left as they are."""
    truth = evaluate_conditions(template, parameters)

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            if node == _NO_VALUE:
                return _DROP
            if set(node) == {"Fn::If"}:
                name, when_true, when_false = node["Fn::If"]
                return walk(when_true if truth[name] else when_false)
            out = {}
            for key, item in node.items():
                resolved = walk(item)
                if resolved is not _DROP:
                    out[key] = resolved
            return out
        if isinstance(node, list):
            return [r for r in (walk(item) for item in node) if r is not _DROP]
        return node

    resolved: dict[str, Any] = walk(
        {k: v for k, v in template.items() if k not in ("Conditions", "Rules")}
    )
    for section in ("Resources", "Outputs"):
        resolved[section] = {
            name: {k: v for k, v in entry.items() if k != "Condition"}
            for name, entry in resolved.get(section, {}).items()
            if truth.get(entry.get("Condition", ""), True)
        }
    return resolved


TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"


def index_table_properties(path: Path = TEMPLATE) -> dict[str, Any]:
    """The index table's schema, from the one place it is declared: template.yaml."""
    properties = load_template(path)["Resources"]["IndexTable"]["Properties"]
    assert isinstance(properties, dict)
    return properties


def create_index_table(client: Any, name: str) -> None:
    """Create the index table (on moto) exactly as template.yaml declares it."""
    properties = index_table_properties()
    kwargs: dict[str, Any] = {
        "TableName": name,
        "AttributeDefinitions": properties["AttributeDefinitions"],
        "KeySchema": properties["KeySchema"],
        "BillingMode": properties["BillingMode"],
    }
    if properties.get("GlobalSecondaryIndexes"):
        kwargs["GlobalSecondaryIndexes"] = properties["GlobalSecondaryIndexes"]
    client.create_table(**kwargs)
