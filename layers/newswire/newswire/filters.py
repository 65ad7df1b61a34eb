"""Include/exclude filters of feeds.yaml: which normalized items a feed keeps.

Pure: rules are values compiled once from the config, and `keeps` looks only at the article.
The simple form of a rule list is regular expressions matched against the title; the mapping
form names the field each list is matched against.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol
from urllib.parse import urlsplit

Field = Literal["title", "summary", "publisher", "domain"]
FIELDS: tuple[Field, ...] = ("title", "summary", "publisher", "domain")


class Filtered(Protocol):
    """What a rule reads of an item (a normalized Article). A protocol rather than the Article
    itself: models.FeedConfig holds an ItemFilter, so this module stays below models."""

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def publisher(self) -> str | None: ...

    @property
    def link(self) -> str: ...


class FilterError(ValueError):
    """A rule list is malformed; the message names the field and the pattern."""


@dataclass(frozen=True)
class Rule:
    field: Field
    pattern: re.Pattern[str]

    def matches(self, article: Filtered) -> bool:
        return self.pattern.search(field_text(article, self.field)) is not None


@dataclass(frozen=True)
class ItemFilter:
    """Keep an item when it matches some include rule (or there are none) and no exclude rule."""

    include: tuple[Rule, ...] = ()
    exclude: tuple[Rule, ...] = ()

    def keeps(self, article: Filtered) -> bool:
        if self.include and not any(rule.matches(article) for rule in self.include):
            return False
        return not any(rule.matches(article) for rule in self.exclude)

    def __bool__(self) -> bool:
        return bool(self.include or self.exclude)

    def as_mapping(self) -> dict[str, dict[str, list[str]]]:
        """The feeds.yaml mapping form of both lists (what a queued feed message carries)."""
        out: dict[str, dict[str, list[str]]] = {}
        for name, rules in (("include", self.include), ("exclude", self.exclude)):
            if rules:
                out[name] = {}
                for rule in rules:
                    out[name].setdefault(rule.field, []).append(rule.pattern.pattern)
        return out


def field_text(article: Filtered, field: Field) -> str:
    if field == "title":
        return article.title
    if field == "summary":
        return article.description  # the plain-text lede: no Markdown escapes to trip over
    if field == "publisher":
        return article.publisher or ""
    return (urlsplit(article.link).hostname or "").lower()


def compile_rules(spec: object, *, name: str) -> tuple[Rule, ...]:
    """Rules from a list of title patterns, or a mapping of field -> patterns. `name` is the
    key the spec came from (include or exclude), for the error message."""
    if spec is None:
        return ()
    if isinstance(spec, str | list):
        by_field: Mapping[object, object] = {"title": spec}
    elif isinstance(spec, Mapping):
        by_field = spec
    else:
        raise FilterError(f"field {name!r}: must be a list of patterns or a mapping of fields")
    rules: list[Rule] = []
    for field, patterns in by_field.items():
        if field not in FIELDS:
            raise FilterError(
                f"field {name!r}: unknown field {field!r} (known: {', '.join(FIELDS)})"
            )
        if isinstance(patterns, str):
            patterns = [patterns]
        if not isinstance(patterns, list):
            raise FilterError(f"field {name!r}: {field}: expected a list of patterns")
        for pattern in patterns:
            if not isinstance(pattern, str) or not pattern:
                raise FilterError(f"field {name!r}: {field}: patterns must be non-empty strings")
            try:
                compiled = re.compile(pattern)
            except re.error as exc:
                raise FilterError(
                    f"field {name!r}: invalid regular expression {pattern!r}: {exc}"
                ) from None
            rules.append(Rule(field, compiled))
    return tuple(rules)
