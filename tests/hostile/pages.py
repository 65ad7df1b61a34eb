"""Reading stored Markdown back, independently of newswire's own reader."""

from __future__ import annotations

from typing import Any

import yaml
from markdown_it import MarkdownIt


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


def paragraph_text(markdown: str, *, soft_breaks: bool = False) -> str:
    """The text one line of Markdown shows, read by CommonMark (markdown-it-py): it must be a
    single paragraph holding nothing but text (no link, emphasis, code, HTML or break). With
    `soft_breaks`, a line break that HTML shows as a space is allowed, and read as one."""
    tokens = MarkdownIt("commonmark").parse(markdown)
    assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"], markdown
    children = tokens[1].children or []
    allowed = ("text", "text_special", "softbreak") if soft_breaks else ("text", "text_special")
    assert all(c.type in allowed for c in children), (markdown, children)
    return "".join(" " if c.type == "softbreak" else c.content for c in children)
