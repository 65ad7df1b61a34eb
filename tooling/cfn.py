"""Read template.yaml the way CloudFormation does, for the tests, the benchmark and mk/.

CloudFormation's YAML short forms (`!Ref X`, `!GetAtt A.B`, `!Sub "..."`, `!If [...]`) are
custom tags that yaml.safe_load rejects. `load_template` reads each one in one of two ways:

- `intrinsics="long"` (the default): the JSON long form (`{"Ref": "X"}`,
  `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": "..."}`), which is also what aws-sam-translator
  and cfn-lint take, and what `resolve_conditions` evaluates. Use it to check the template.
- `intrinsics="unwrapped"`: the scalar, list or mapping the tag wraps, the function dropped
  (`!Ref LogLevel` reads as `"LogLevel"`). Use it where a parameter's or resource's name is all
  that matters, e.g. to give the functions' environment its parameters' defaults.

`resolve_conditions` then gives the template as CloudFormation deploys it for some parameter
values (Conditions evaluated, Fn::If branches chosen, conditional resources dropped), so tests
can check each configuration (e.g. every WebsiteHosting mode) on plain data.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml

__all__ = [
    "TEMPLATE",
    "CloudFormationLoader",
    "create_index_table",
    "evaluate_conditions",
    "index_table_properties",
    "load_template",
    "resolve_conditions",
]

TEMPLATE = Path(__file__).resolve().parent.parent / "template.yaml"

# Tags whose long form is not "Fn::<Tag>".
_LONG_NAMES = {"Ref": "Ref", "Condition": "Condition"}


def _construct_wrapped(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    raise yaml.constructor.ConstructorError(None, None, f"unexpected node {node!r}")


def _construct_intrinsic(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> dict[str, Any]:
    value = _construct_wrapped(loader, suffix, node)
    if suffix == "GetAtt" and isinstance(value, str):
        # "Resource.Attribute" (the attribute may itself contain dots: Endpoint.Address)
        resource, _, attribute = value.partition(".")
        value = [resource, attribute]
    return {_LONG_NAMES.get(suffix, f"Fn::{suffix}"): value}


class CloudFormationLoader(yaml.SafeLoader):
    """SafeLoader plus CloudFormation's short-form intrinsic function tags, in long form."""


class _UnwrappingLoader(yaml.SafeLoader):
    """SafeLoader that reads each short-form tag as the value it wraps."""


CloudFormationLoader.add_multi_constructor("!", _construct_intrinsic)
_UnwrappingLoader.add_multi_constructor("!", _construct_wrapped)
_LOADERS: dict[str, type[yaml.SafeLoader]] = {
    "long": CloudFormationLoader,
    "unwrapped": _UnwrappingLoader,
}


def load_template(
    path: str | Path = TEMPLATE, *, intrinsics: Literal["long", "unwrapped"] = "long"
) -> dict[str, Any]:
    """The template at `path` (template.yaml by default) as plain data, intrinsic functions in
    their JSON long form, or unwrapped (see the module's docstring)."""
    text = Path(path).read_text(encoding="utf-8")
    data = yaml.load(text, Loader=_LOADERS[intrinsics])  # noqa: S506 - SafeLoader subclasses
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
