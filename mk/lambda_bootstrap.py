"""Run one built Lambda handler the way the Python runtime does, in this (clean) interpreter.

Started by mk/invoke_local.py as `python -I -S -B mk/lambda_bootstrap.py SPEC` (-B: Lambda's
/opt and /var/task are read-only, no bytecode is written there either): -I ignores every
PYTHON* variable, the user's site-packages and this file's directory, -S the interpreter's own
site-packages, so nothing is importable but the standard library until this file puts, in the
Lambda runtime's order: the function's directory (/var/task), the layer's python/ directory
(/opt/python), then the SDK the runtime provides (/var/runtime: boto3 and its dependencies
only). A dependency missing from the layer, or built for another platform, fails to import
here as it would on Lambda. Standard library only: nothing else is on the path yet.

SPEC is JSON: {"function_dir", "layer_python", "sdk_dir", "handler", "event", "timeout_s",
"function_name", "memory_mb"}. The handler's return value is printed as one line,
`LAMBDA-RESULT <json>`; an exception is printed as Lambda reports it, and the exit status is 1.
"""

from __future__ import annotations

import importlib
import json
import sys
import time
import traceback
import uuid
from typing import Any

RESULT_PREFIX = "LAMBDA-RESULT "


class LambdaContext:
    """The attributes and method of the runtime's context object that handlers use."""

    def __init__(self, spec: dict[str, Any]) -> None:
        name = spec["function_name"]
        self.function_name = name
        self.function_version = "$LATEST"
        self.invoked_function_arn = f"arn:aws:lambda:us-east-1:123456789012:function:{name}"
        self.memory_limit_in_mb = int(spec["memory_mb"])
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{name}"
        self.log_stream_name = time.strftime("%Y/%m/%d/[$LATEST]") + uuid.uuid4().hex
        self._deadline = time.monotonic() + float(spec["timeout_s"])

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def main() -> int:
    spec = json.loads(sys.argv[1])
    sys.path[:0] = [spec["function_dir"], spec["layer_python"]]
    sys.path.append(spec["sdk_dir"])
    module_name, _, function_name = spec["handler"].rpartition(".")
    context = LambdaContext(spec)
    try:
        handler = getattr(importlib.import_module(module_name), function_name)
        result = handler(spec["event"], context)
    except Exception as exc:  # reported as the runtime reports an unhandled error
        error = {
            "errorMessage": str(exc),
            "errorType": type(exc).__name__,
            "stackTrace": traceback.format_tb(exc.__traceback__),
        }
        print(RESULT_PREFIX + json.dumps({"error": error}), flush=True)
        return 1
    print(RESULT_PREFIX + json.dumps({"result": result}, default=str), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
