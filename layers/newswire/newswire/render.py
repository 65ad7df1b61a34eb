"""Pure: Article → Markdown bytes, YAML front matter first (keys in the contract's order)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import yaml

from newswire.models import Article, RelatedLink, StoredPage

FRONT_MATTER_KEYS = (
    # The reference item's keys, in its order:
    "title", "date", "description", "summary", "slug", "image", "link", "source", "categories",
    "tags", "draft",
    # newswire's own:
    "lastmod", "language", "publisher", "publisher_url", "url_original", "google_news_link",
    "guid", "feed", "related", "id",
)  # fmt: skip


# libyaml's emitter when PyYAML was built with it (the wheels are): same output, ~13x faster.
_Emitter: Any = getattr(getattr(yaml, "cyaml", None), "CEmitter", yaml.emitter.Emitter)

# Every string is quoted that another YAML reader could take for another type, and
# double-quoted where a plain or single-quoted scalar would change it (_string_style).
# PyYAML resolves plain scalars by YAML 1.1 rules minus a few (`y`, `n`), so its own quoting
# leaves `y`, `1e3`, `0o17` plain; Go's yaml.v2 (Hugo 0.111) and YAML 1.2 readers read those
# as booleans and numbers. Feed text is cleaned upstream, but the renderer must round-trip any
# string exactly: YAML folds line breaks (including NEL, U+2028, U+2029) and trims whitespace
# in other styles, while double quotes can escape every character.


# Plain scalars that some YAML 1.1 or 1.2 reader resolves to a non-string: booleans in every
# spelling YAML 1.1 allows, nulls (the empty one too), the 1.1 value and merge keys, and the
# 1.1 `yaml` type's `!`, `&`, `*` (no plain scalar can be one of them: quoted either way).
_OTHER_TYPE_WORDS = frozenset([
    "y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "true", "True", "TRUE", "false",
    "False", "FALSE", "on", "On", "ON", "off", "Off", "OFF", "~", "null", "Null", "NULL", "",
    "=", "<<", "!", "&", "*",
])  # fmt: skip
# Plain scalars that read as numbers or times somewhere: YAML 1.1 ints and floats (`_`
# separators, sexagesimal `12:30:00`, and what the 1.1 spec's loose float pattern allows:
# `1.2.3`, `.`), YAML 1.2 and Go's `1e3`, `0o17`, `0x1f`, `0b101`, `.inf`/`.nan`, and anything
# that begins like a date (yaml.v2 and 1.1 readers make those timestamps). Generous rather
# than exact: a needless quote costs nothing.
_NUMBER_LIKE = re.compile(
    r"""[-+]?(?:
        [0-9][0-9_]*(?::[0-5]?[0-9])*(?:\.[0-9_.]*)?(?:[eE][-+]?[0-9]+)?
      | \.[0-9_.]*(?:[eE][-+]?[0-9]+)?
      | 0[bB][01_]+ | 0[oO][0-7_]+ | 0[xX][0-9a-fA-F_]+
      | \.(?:inf|Inf|INF|nan|NaN|NAN)
    )""",
    re.VERBOSE,
)
_DATE_LIKE = re.compile(r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}")


# What a number or a date can begin with: other strings (most of them) skip both patterns.
_NUMBER_START = frozenset("+-.0123456789")


def _string_style(value: str) -> str | None:
    # Non-printable covers controls, NEL, U+2028/U+2029 and the BOM.
    if not value.isprintable() or value != value.strip(" "):
        return '"'
    if value in _OTHER_TYPE_WORDS or (
        value[:1] in _NUMBER_START
        and (_NUMBER_LIKE.fullmatch(value) is not None or _DATE_LIKE.match(value) is not None)
    ):
        return "'"  # PyYAML's own choice for the strings it recognises as other types
    return None


_BOOL = "tag:yaml.org,2002:bool"
# _string_style quotes every string that any resolver reads as another type, PyYAML's own
# implicit resolvers included (a superset of them: tests/unit/test_render.py checks it), so
# every string's plain form is implicit; libyaml consults that flag only for a plain scalar.
_STR_IMPLICIT = (True, True)
_BOOLS = {
    value: yaml.ScalarEvent(None, _BOOL, (True, False), "true" if value else "false")
    for value in (True, False)
}
_STREAM_START: tuple[yaml.Event, ...] = (
    yaml.StreamStartEvent(),
    yaml.DocumentStartEvent(explicit=False),
)
_STREAM_END: tuple[yaml.Event, ...] = (yaml.DocumentEndEvent(explicit=False), yaml.StreamEndEvent())
_SEQUENCE = (yaml.SequenceStartEvent(None, None, True, flow_style=False), yaml.SequenceEndEvent())
_MAPPING = (yaml.MappingStartEvent(None, None, True, flow_style=False), yaml.MappingEndEvent())


def _string_event(value: str) -> yaml.ScalarEvent:
    # No tag: a scalar whose plain and quoted forms are both implicit is written without one.
    return yaml.ScalarEvent(None, None, _STR_IMPLICIT, value, None, None, _string_style(value))


# Events are only read by the emitter, so the keys' events are made once and shared.
_KEYS = {key: _string_event(key) for key in (*FRONT_MATTER_KEYS, "url")}


def _emit(value: object, emit: Callable[[yaml.Event], None]) -> None:
    """Emit the events PyYAML's representer and serializer would make of a front-matter
    value, strings styled by _string_style (str, bool, and lists and mappings of them; block
    style, no anchors: every list and mapping of front_matter is its own object). PyYAML's
    representer and serializer walk the values in Python, asking the resolver twice about
    every scalar, at about two thirds of the render's cost; the bytes are the same
    (tests/unit/test_render.py compares them with a dumper styling strings the same way)."""
    if isinstance(value, str):
        emit(_string_event(value))
    elif isinstance(value, bool):
        emit(_BOOLS[value])
    elif isinstance(value, list):
        emit(_SEQUENCE[0])
        for item in value:
            _emit(item, emit)
        emit(_SEQUENCE[1])
    elif isinstance(value, dict):
        emit(_MAPPING[0])
        for key, item in value.items():
            emit(_KEYS.get(key) or _string_event(str(key)))
            _emit(item, emit)
        emit(_MAPPING[1])
    else:
        raise TypeError(f"no front-matter value of type {type(value).__name__}")


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
        "language": article.language,
        "publisher": article.publisher,
        "publisher_url": article.publisher_url,
        "url_original": article.url_original,
        "google_news_link": article.google_news_link,
        "guid": article.guid,
        "feed": list(article.feeds),
        "related": [
            {"title": r.title, "url": r.url, "publisher": r.publisher or ""}
            | ({"feed": list(r.feeds)} if r.feeds else {})
            for r in article.related
        ],
        "id": article.id,
    }
    # Unknown values are left out rather than written as null, so Hugo's defaults apply.
    return {k: values[k] for k in FRONT_MATTER_KEYS if values[k] is not None}


def front_matter_yaml(values: Mapping[str, Any]) -> str:
    """`values` as YAML that every front-matter reader reads back as the same strings, in the
    given key order (no `---` fences)."""
    stream = io.StringIO()
    emit = _Emitter(stream, allow_unicode=True, width=10_000).emit
    for event in _STREAM_START:
        emit(event)
    _emit(dict(values), emit)
    for event in _STREAM_END:
        emit(event)
    return stream.getvalue()


def render_markdown(article: Article) -> bytes:
    header = front_matter_yaml(front_matter(article))
    return f"---\n{header}---\n\n{article.body}\n".encode()


SAFE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_markdown(data: bytes) -> tuple[dict[str, Any], str]:
    """Front matter and body of a rendered file (reading back what render_markdown wrote)."""
    text = data.decode("utf-8")
    if not text.startswith("---\n"):
        raise ValueError("no front matter")
    end = text.index("\n---\n", 3)
    # libyaml's parser with the safe constructor (the same types as safe_load), when PyYAML
    # has it (its wheels do): a site build reads every page back, and the pure-Python parser
    # was most of an article page's cost.
    meta = yaml.load(text[4 : end + 1], Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping")
    body = text[end + 5 :].removeprefix("\n").removesuffix("\n")
    return meta, body


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _strings(value: object) -> tuple[str, ...]:
    return tuple(str(v) for v in value) if isinstance(value, list) else ()


def _optional(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _time(value: object) -> datetime | None:
    # YAML reads an unquoted timestamp as a datetime; a quoted one stays a string.
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def _related(value: object) -> tuple[RelatedLink, ...]:
    return tuple(
        RelatedLink(
            _text(r.get("title")),
            _text(r.get("url")),
            _text(r.get("publisher")) or None,
            _strings(r.get("feed")),
        )
        for r in (value if isinstance(value, list) else [])
        if isinstance(r, dict)
    )


def read_page(data: bytes) -> StoredPage:
    """A stored page, read back into the values render_markdown wrote. Raises ValueError when
    `data` is not a page (not UTF-8, no front matter); a value that is missing, or of a type
    the writer never writes, reads as empty."""
    try:
        meta, body = parse_markdown(data)
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter is not YAML: {exc}") from exc
    return StoredPage(
        title=_text(meta.get("title")),
        date=_time(meta.get("date")),
        description=_text(meta.get("description")),
        summary=_text(meta.get("summary")),
        slug=_text(meta.get("slug")),
        image=_text(meta.get("image")),
        link=_text(meta.get("link")),
        source=_text(meta.get("source")),
        categories=_strings(meta.get("categories")),
        tags=_strings(meta.get("tags")),
        draft=bool(meta.get("draft")),
        lastmod=_time(meta.get("lastmod")),
        publisher=_optional(meta.get("publisher")),
        publisher_url=_optional(meta.get("publisher_url")),
        url_original=_text(meta.get("url_original")),
        google_news_link=_text(meta.get("google_news_link")),
        guid=_text(meta.get("guid")),
        feeds=_strings(meta.get("feed")),
        related=_related(meta.get("related")),
        id=None if meta.get("id") is None else str(meta["id"]),
        body=body,
        language=_text(meta.get("language")),
    )
