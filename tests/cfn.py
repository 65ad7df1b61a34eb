"""Read template.yaml the way CloudFormation does, for tests and tools that build from it.

CloudFormation's YAML short forms (`!Ref X`, `!GetAtt A.B`, `!Sub "..."`, `!If [...]`) are
custom tags that yaml.safe_load rejects. This loader turns each into the JSON long form
(`{"Ref": "X"}`, `{"Fn::GetAtt": ["A", "B"]}`, `{"Fn::Sub": "..."}`), which is also what
aws-sam-translator and cfn-lint take, so one dict serves every consumer.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

__all__ = ["CloudFormationLoader", "load_template"]

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
