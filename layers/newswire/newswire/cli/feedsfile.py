"""feeds.yaml edited in place by `newswire feeds add/remove/import`, its comments kept.

ruamel.yaml's round-trip mode keeps comments, key order, quoting and indentation, which PyYAML
drops. It is needed only here, so it is a CLI extra (`pip install 'newswire[cli]'`), not a
dependency of the Lambda layer, which only reads the file. Every edit is validated as a whole
file by the same loader the runs use before it replaces the old file.
"""

from __future__ import annotations

import io
import os
import tempfile
from pathlib import Path
from typing import Any

from newswire.cli.common import UsageError
from newswire.config import Config, parse_config


def _yaml_library() -> Any:
    try:
        from ruamel.yaml import YAML
        from ruamel.yaml.util import load_yaml_guess_indent
    except ImportError:  # pragma: no cover - installed with the cli extra and in development
        raise UsageError(
            "editing feeds.yaml needs ruamel.yaml: pip install 'newswire[cli]'"
        ) from None
    return YAML, load_yaml_guess_indent


class FeedsFile:
    """The feeds file's round-trip document; `save` writes it back atomically."""

    def __init__(self, path: Path) -> None:
        self.path = path
        yaml_class, guess_indent = _yaml_library()
        self._yaml = yaml_class()
        self._yaml.preserve_quotes = True
        self._yaml.width = 4096  # never fold a long feed URL onto two lines
        if path.exists():
            try:
                text = path.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as exc:
                raise UsageError(f"{path}: cannot read the feeds file ({exc})") from None
            self.config: Config | None = parse_config(text, source=str(path))
            _, indent, sequence_indent = guess_indent(text)
            self.doc = self._yaml.load(text)  # this loader keeps the quotes as written
            self._yaml.indent(
                mapping=_mapping_indent(text), sequence=indent or 4, offset=sequence_indent or 2
            )
        else:
            self.config = None
            self.doc = self._yaml.load("feeds: []\n")
            self._yaml.indent(mapping=2, sequence=4, offset=2)

    def append(self, entry: dict[str, Any]) -> None:
        """Add a feed mapping at the end of `feeds:`, its lists written inline ([a, b])."""
        from ruamel.yaml.comments import CommentedMap, CommentedSeq

        item = CommentedMap()
        for key, value in entry.items():
            if isinstance(value, list):
                value = CommentedSeq(value)
                value.fa.set_flow_style()
            item[key] = value
        self.entries.append(item)

    @property
    def entries(self) -> Any:
        """The `feeds:` list, as a round-trip sequence (edits land in the document)."""
        return self.doc["feeds"]

    def index_of(self, name: str) -> int | None:
        """The position of the feed named `name` (its `name`, or the one derived from its URL)."""
        if self.config is None:
            return None
        for i, feed in enumerate(self.config.feeds):
            if feed.name == name:
                return i
        return None

    def text(self) -> str:
        out = io.StringIO()
        self._yaml.dump(self.doc, out)
        if not self.entries:
            # A file without feeds is invalid on purpose (a run would do nothing); say so.
            raise UsageError(f"{self.path}: this would leave no feed; keep at least one")
        return out.getvalue()

    def save(self) -> Config:
        """Validate the edited file as a run would load it, then replace the old one."""
        text = self.text()
        config = parse_config(text, source=str(self.path))
        target = self.path.resolve()
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o644
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=".feeds-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.chmod(temp, mode)
            os.replace(temp, target)
        except OSError as exc:
            Path(temp).unlink(missing_ok=True)
            raise UsageError(f"{self.path}: cannot write the feeds file ({exc.strerror})") from None
        self.config = config
        return config


def _mapping_indent(text: str) -> int:
    """How far the file indents a mapping under a top-level key (ruamel guesses only the
    sequences' indentation): the first indented line after a `key:` line, else 2."""
    previous = ""
    for line in text.splitlines():
        stripped = line.lstrip(" ")
        if not stripped or stripped.startswith("#"):
            continue
        if previous.endswith(":") and line != stripped and not stripped.startswith("-"):
            return len(line) - len(stripped)
        previous = line.split(" #", 1)[0].rstrip() if not line.startswith(" ") else ""
    return 2
