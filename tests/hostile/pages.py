"""Reading stored Markdown back, independently of newswire's own reader."""

from __future__ import annotations

from typing import Any

import yaml


def split_page(data: bytes) -> tuple[dict[str, Any], str]:
    """(front matter, body) of a stored page: `---\\n<yaml>---\\n\\n<body>`."""
    text = data.decode("utf-8")
    assert text.startswith("---\n"), text[:80]
    end = text.index("\n---\n", 3)
    meta = yaml.safe_load(text[4 : end + 1])
    assert isinstance(meta, dict)
    return meta, text[end + 5 :]


def front_matter(data: bytes) -> dict[str, Any]:
    return split_page(data)[0]
