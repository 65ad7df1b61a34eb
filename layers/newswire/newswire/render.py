"""Pure: Article → Markdown bytes, YAML front matter first (keys in the contract's order)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import yaml

from newswire.models import Article

FRONT_MATTER_KEYS = (
    # The reference item's keys, in its order:
    "title", "date", "description", "summary", "slug", "image", "link", "source", "categories",
    "tags", "draft",
    # newswire's own:
    "lastmod", "publisher", "publisher_url", "url_original", "guid", "feed", "related", "id",
)  # fmt: skip


# libyaml's emitter when PyYAML was built with it (the wheels are): same output, ~13x faster.
_SafeDumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


class _FrontMatterDumper(_SafeDumper):  # type: ignore[valid-type,misc]
    """SafeDumper that double-quotes any string a plain or single-quoted scalar would change.

    Feed text is cleaned upstream, but the renderer must round-trip any string exactly: YAML
    folds line breaks (including NEL, U+2028, U+2029) and trims whitespace in other styles,
    while double quotes can escape every character.
    """


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    # Non-printable covers controls, NEL, U+2028/U+2029 and the BOM.
    risky = not value.isprintable() or value != value.strip(" ")
    style = '"' if risky else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_FrontMatterDumper.add_representer(str, _represent_str)


def _timestamp(value: datetime | None) -> str | None:
    return value.isoformat(timespec="seconds") if value is not None else None


def front_matter(article: Article) -> dict[str, Any]:
    values: dict[str, Any] = {
        "title": article.title,
        "date": _timestamp(article.date),
        "description": article.description,
        "summary": article.summary,
        "slug": article.slug,
        "image": article.image or "",
        "link": article.link,
        "source": article.source,
        "categories": list(article.categories),
        "tags": list(article.tags),
        "draft": article.draft,
        "lastmod": _timestamp(article.lastmod),
        "publisher": article.publisher,
        "publisher_url": article.publisher_url,
        "url_original": article.url_original,
        "guid": article.guid,
        "feed": list(article.feeds),
        "related": [
            {"title": r.title, "url": r.url, "publisher": r.publisher or ""}
            for r in article.related
        ],
        "id": article.id,
    }
    # Unknown values are left out rather than written as null, so Hugo's defaults apply.
    return {k: values[k] for k in FRONT_MATTER_KEYS if values[k] is not None}


def render_markdown(article: Article) -> bytes:
    header = yaml.dump(
        front_matter(article),
        Dumper=_FrontMatterDumper,
        sort_keys=False,
        allow_unicode=True,
        default_flow_style=False,
        width=10_000,
    )
    return f"---\n{header}---\n\n{article.body}\n".encode()


def parse_markdown(data: bytes) -> tuple[dict[str, Any], str]:
    """Front matter and body of a rendered file (reading back what render_markdown wrote)."""
    text = data.decode("utf-8")
    if not text.startswith("---\n"):
        raise ValueError("no front matter")
    end = text.index("\n---\n", 3)
    meta = yaml.safe_load(text[4 : end + 1])
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    body = text[end + 5 :].removeprefix("\n").removesuffix("\n")
    return meta, body
