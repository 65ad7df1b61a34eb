"""Structured logging for the CLI: every `extra=` field is kept, as key=value text or JSON.

(On Lambda, Powertools' Logger formats the same records; see functions/*/app.py.)
"""

from __future__ import annotations

import json
import logging
import sys

# The attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class TextFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v!r}" if " " in str(v) else f"{k}={v}"
                          for k, v in _extras(record).items())  # fmt: skip
        line = f"{record.levelname.lower()}: {record.getMessage()}" + (
            f" {fields}" if fields else ""
        )
        if record.exc_info and logging.getLogger().isEnabledFor(logging.DEBUG):
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **_extras(record),
        }
        if record.exc_info:
            data["exception"] = self.formatException(record.exc_info)
        return json.dumps(data, default=str, ensure_ascii=False)


def configure_logging(*, verbosity: int = 0, json_lines: bool = False) -> None:
    # The run summary reports every failed feed, so by default only errors are logged.
    level = (logging.ERROR, logging.INFO, logging.DEBUG)[min(verbosity, 2)]
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else TextFormatter())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # urllib3 warns on every retry; the run's summary already reports what finally failed.
    for noisy in ("urllib3", "botocore", "boto3"):
        logging.getLogger(noisy).setLevel(logging.DEBUG if verbosity >= 2 else logging.ERROR)
