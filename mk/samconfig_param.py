"""Print one template parameter's value for a samconfig.toml environment.

`make build` needs the Runtime and Architecture that `sam deploy` will use, to build the layer's
wheels for them: this reads parameter_overrides from [<env>.deploy.parameters] (then
[<env>.global.parameters]) and falls back to the parameter's Default in template.yaml.

    python mk/samconfig_param.py <env> <Parameter>
"""

from __future__ import annotations

import shlex
import sys
import tomllib
from pathlib import Path
from typing import Any

from tooling.cfn import load_template

REPO = Path(__file__).resolve().parent.parent


def overrides(config: dict[str, Any], env: str) -> dict[str, str]:
    section = config.get(env, {})
    for command in ("deploy", "global"):
        raw = section.get(command, {}).get("parameters", {}).get("parameter_overrides")
        if raw:
            tokens = raw if isinstance(raw, list) else shlex.split(raw)
            return dict(token.split("=", 1) for token in tokens if "=" in token)
    return {}


def main(env: str, name: str) -> int:
    config_path = REPO / "samconfig.toml"
    config = tomllib.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    value = overrides(config, env).get(name)
    if value is None:
        parameter = load_template()["Parameters"].get(name)
        if parameter is None or "Default" not in parameter:
            print(f"{name}: not in samconfig.toml [{env}] nor template.yaml", file=sys.stderr)
            return 1
        value = str(parameter["Default"])
    print(value)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
