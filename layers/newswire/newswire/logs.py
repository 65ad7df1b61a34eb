"""Structured logging for the CLI: every `extra=` field is kept, as key=value text or JSON.

(On Lambda, Powertools' Logger formats the same records; see functions/*/app.py.)
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import sys
from collections.abc import Iterator
from typing import TextIO

# What a terminal acts on, or what makes a reader see other text than is there: C0 controls but
# tab and newline (ESC begins the sequences that recolour, retitle or rewrite a terminal; CR
# overwrites the line), DEL, C1 controls (CSI among them), the bidi marks, embeddings,
# overrides and isolates, line and paragraph separators, and lone surrogates (which cannot
# even be encoded). Feed text is cleaned long before; this is the last guard on every line
# printed or logged, whatever its source (a server's reason phrase, a config value, a bug).
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069\ud800-\udfff]"
)
_UNSAFE_OR_NEWLINE = re.compile(f"{_UNSAFE.pattern[:-1]}\n\t]")


def _escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


def escape_controls(text: str, *, keep_lines: bool = True) -> str:
    """`text` with those characters as `\\u001b`-style escapes (four hex digits): readable,
    and valid inside a JSON string, so whole JSON documents can pass through.
    `keep_lines=False` escapes newlines and tabs too (for one log line made of untrusted
    values)."""
    pattern = _UNSAFE if keep_lines else _UNSAFE_OR_NEWLINE
    return pattern.sub(_escape, text) if pattern.search(text) else text


class EscapingWriter(io.TextIOBase):
    """A text stream that escapes `escape_controls` characters on their way to `raw`."""

    def __init__(self, raw: TextIO) -> None:
        super().__init__()
        self.raw = raw

    def write(self, text: str) -> int:
        self.raw.write(escape_controls(text))
        return len(text)

    def flush(self) -> None:
        self.raw.flush()

    def isatty(self) -> bool:
        return self.raw.isatty()

    def fileno(self) -> int:
        return self.raw.fileno()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return str(getattr(self.raw, "encoding", None) or "utf-8")


def unescaped(stream: TextIO) -> TextIO:
    """The terminal behind an EscapingWriter, for output newswire makes itself (a progress
    bar redraws its line with CR)."""
    return stream.raw if isinstance(stream, EscapingWriter) else stream


@contextlib.contextmanager
def terminal_safe_output() -> Iterator[None]:
    """stdout and stderr escape control characters for as long as the block runs."""
    saved = sys.stdout, sys.stderr
    sys.stdout = EscapingWriter(sys.stdout)
    sys.stderr = EscapingWriter(sys.stderr)
    try:
        yield
    finally:
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        sys.stdout, sys.stderr = saved


# The attributes every LogRecord has; anything else came in through `extra=`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def _extras(record: logging.LogRecord) -> dict[str, object]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


class TextFormatter(logging.Formatter):
    """One line per record: message and fields come from feeds and servers, so any newline
    or control character in them is escaped (a value cannot forge a second log line)."""

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v!r}" if " " in str(v) else f"{k}={v}"
                          for k, v in _extras(record).items())  # fmt: skip
        line = f"{record.levelname.lower()}: {record.getMessage()}" + (
            f" {fields}" if fields else ""
        )
        line = escape_controls(line, keep_lines=False)
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
        # json escapes C0 controls itself; C1, bidi and lone surrogates are left to escape.
        return escape_controls(json.dumps(data, default=str, ensure_ascii=False))


def json_line(data: object) -> str:
    """Powertools' JSON log line (its serializer's settings) with the same escaping: Lambda's
    logs are read in terminals too (`sam logs`, `aws logs tail`)."""
    text = json.dumps(data, default=str, separators=(",", ":"), ensure_ascii=False)
    return escape_controls(text)


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
