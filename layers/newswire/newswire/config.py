"""Load and validate the feeds configuration (feeds.yaml).

The schema is small and flat, so it is checked here by hand rather than with a schema library:
that keeps the Lambda layer and its cold start lean, and lets every error name the file, the
feed and the field in words a user can act on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import yaml
from slugify import slugify

from newswire.enrich import EnrichOptions
from newswire.filters import FilterError, ItemFilter, compile_rules
from newswire.language import DEFAULT_LANGUAGE, normalize_language
from newswire.models import FeedConfig

SECTION_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,39}$")
MAX_SECTION_TITLE = 100
FEED_KEYS = {
    "url",
    "google_news",
    "name",
    "section",
    "categories",
    "tags",
    "max_items",
    "enabled",
    "language",
    "default_language",
    "include",
    "exclude",
    "section_title",
}
GOOGLE_NEWS_KEYS = {"topic", "search", "geo", "hl", "gl", "ceid"}
MAX_ITEMS_LIMIT = 1000


class ConfigError(ValueError):
    """The configuration is invalid; the message names the file, the feed and the field."""


@dataclass(frozen=True)
class Config:
    feeds: tuple[FeedConfig, ...]
    allow_hosts: tuple[str, ...] = ()
    enrich: EnrichOptions = field(default_factory=EnrichOptions)
    retention: timedelta | None = None
    """How long articles are kept: scheduled runs on AWS delete older ones (as `prune`)."""


def load_config(path: Path | str) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the feeds file ({exc.strerror})") from exc
    return parse_config(text, source=str(path))


def parse_config(text: str, *, source: str = "feeds.yaml") -> Config:
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ConfigError(f"{source}: expected a mapping with a 'feeds' list at the top")
    unknown = set(data) - {"feeds", "defaults", "allow_hosts", "enrich", "retention", "sections"}
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key(s): {', '.join(sorted(unknown))}")
    defaults = data.get("defaults") or {}
    if not isinstance(defaults, Mapping):
        raise ConfigError(f"{source}: 'defaults' must be a mapping")
    raw_feeds = data.get("feeds")
    if not isinstance(raw_feeds, list) or not raw_feeds:
        raise ConfigError(f"{source}: 'feeds' must be a non-empty list")
    base = _filters(defaults, where=f"{source}: defaults")
    # The defaults' language is the fallback of every feed, not a setting that overrides what
    # a feed declares: a German feed in an English config still gets German stop words.
    defaults = {
        ("default_language" if k == "language" else k): v
        for k, v in defaults.items()
        if k not in FILTER_KEYS
    }
    titles = _section_titles(data.get("sections"), source)
    feeds = tuple(
        _with_section_title(
            feed_from_mapping(
                {**defaults, **_mapping(raw, source, i)},
                where=f"{source}: feed #{i + 1}",
                base=base,
            ),
            titles,
        )
        for i, raw in enumerate(raw_feeds)
    )
    _check_unique_names(feeds, source)
    allow = data.get("allow_hosts") or []
    if not isinstance(allow, list) or not all(isinstance(h, str) for h in allow):
        raise ConfigError(f"{source}: 'allow_hosts' must be a list of host names or CIDRs")
    retention = data.get("retention")
    if retention is not None:
        try:
            retention = parse_duration(str(retention))
        except ValueError as exc:
            raise ConfigError(f"{source}: 'retention': {exc}") from None
    return Config(
        feeds=feeds,
        allow_hosts=tuple(allow),
        enrich=_enrich_options(data.get("enrich"), source),
        retention=retention,
    )


def _section_titles(value: object, source: str) -> dict[str, str]:
    """`sections: {world: World news}`: the title Hugo shows for each section's list."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{source}: 'sections' must map section names to their titles")
    titles = {}
    for name, title in value.items():
        if not isinstance(name, str) or not SECTION_PATTERN.match(name):
            raise ConfigError(f"{source}: sections: {name!r} is not a section name")
        try:
            titles[name] = _section_title(title)
        except ValueError as exc:
            raise ConfigError(f"{source}: sections: {name}: {exc}") from None
    return titles


def _section_title(value: object) -> str:
    if not isinstance(value, str) or not value.strip() or not value.isprintable():
        raise ValueError("the title must be a non-empty line of text")
    if len(value.strip()) > MAX_SECTION_TITLE:
        raise ValueError(f"the title must be at most {MAX_SECTION_TITLE} characters")
    return value.strip()


def _with_section_title(feed: FeedConfig, titles: Mapping[str, str]) -> FeedConfig:
    """A feed's own `section_title` wins over the `sections` mapping."""
    title = feed.section_title or titles.get(feed.section, "")
    return dataclasses.replace(feed, section_title=title) if title else feed


DURATION = re.compile(r"(\d+)\s*([mhdw])")
DURATION_UNITS = {
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
}


def parse_duration(value: str) -> timedelta:
    """`30m`, `24h`, `90d`, `26w`: a positive span of time."""
    match = DURATION.fullmatch(value.strip())
    if not match or int(match.group(1)) < 1:
        raise ValueError(f"{value!r} is not a duration such as 30m, 24h, 7d or 2w")
    return int(match.group(1)) * DURATION_UNITS[match.group(2)]


def _enrich_options(raw: object, source: str) -> EnrichOptions:
    if raw is None:
        return EnrichOptions()
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: 'enrich' must be a mapping")
    flags = {"og_image", "google_news_urls"}
    for key, value in raw.items():
        if key not in {*flags, "budget_seconds"}:
            raise ConfigError(f"{source}: enrich: unknown field {key!r}")
        if (key in flags) != isinstance(value, bool) or not isinstance(value, int | float):
            raise ConfigError(f"{source}: enrich: field {key!r} has the wrong type")
    budget = float(raw.get("budget_seconds", 20.0))
    if not 0 < budget <= 600:
        raise ConfigError(f"{source}: enrich: field 'budget_seconds' must be between 0 and 600")
    return EnrichOptions(
        og_image=bool(raw.get("og_image", False)),
        google_news_urls=bool(raw.get("google_news_urls", False)),
        budget_seconds=budget,
    )


def _mapping(raw: object, source: str, index: int) -> Mapping[str, Any]:
    if isinstance(raw, str):
        return {"url": raw}
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{source}: feed #{index + 1}: expected a URL or a mapping")
    return raw


def _check_unique_names(feeds: Iterable[FeedConfig], source: str) -> None:
    seen: set[str] = set()
    for feed in feeds:
        if feed.name in seen:
            raise ConfigError(f"{source}: feed {feed.name!r}: field 'name': used by two feeds")
        seen.add(feed.name)


FILTER_KEYS = ("include", "exclude")


def _filters(raw: Mapping[str, Any], *, where: str, base: ItemFilter | None = None) -> ItemFilter:
    """The include/exclude rules of a feed (or of `defaults`). A feed's own include list
    replaces the defaults' one (it narrows the feed to its own topic); exclude lists add up
    (a rule for every feed, such as sponsored items, stays in force)."""
    base = base or ItemFilter()
    try:
        include = compile_rules(raw.get("include"), name="include")
        exclude = compile_rules(raw.get("exclude"), name="exclude")
    except FilterError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    return ItemFilter(include=include or base.include, exclude=base.exclude + exclude)


def feed_from_mapping(
    raw: Mapping[str, Any], *, where: str, base: ItemFilter | None = None
) -> FeedConfig:
    """Validate one feed's settings; `where` prefixes every error message. `base`: the
    include/exclude rules of the config's defaults."""
    name_for_errors = raw.get("name") or raw.get("url") or "?"
    where = f"{where} ({name_for_errors})"

    def fail(field: str, problem: str) -> ConfigError:
        return ConfigError(f"{where}: field {field!r}: {problem}")

    unknown = set(raw) - FEED_KEYS
    if unknown:
        raise fail(sorted(unknown)[0], f"unknown field (known: {', '.join(sorted(FEED_KEYS))})")
    if ("url" in raw) == ("google_news" in raw):
        raise fail("url", "give exactly one of 'url' or 'google_news'")
    url = google_news_url(raw["google_news"], fail) if "google_news" in raw else raw["url"]
    if not isinstance(url, str) or not url.strip():
        raise fail("url", "must be a non-empty string")
    url = url.strip()
    name = raw.get("name") or default_feed_name(url)
    if not isinstance(name, str):
        raise fail("name", "must be a string")
    section = raw.get("section", "news")
    if not isinstance(section, str) or not SECTION_PATTERN.match(section):
        raise fail("section", "must be 1-40 characters of a-z, 0-9 and '-'")
    try:
        section_title = _section_title(raw["section_title"]) if "section_title" in raw else ""
    except ValueError as exc:
        raise fail("section_title", str(exc)) from None
    max_items = raw.get("max_items", 100)
    if isinstance(max_items, bool) or not isinstance(max_items, int):
        raise fail("max_items", "must be a whole number")
    if not 1 <= max_items <= MAX_ITEMS_LIMIT:
        raise fail("max_items", f"must be between 1 and {MAX_ITEMS_LIMIT}")
    enabled = raw.get("enabled", True)
    if not isinstance(enabled, bool):
        raise fail("enabled", "must be true or false")
    language = _language(raw.get("language"), "language", fail)
    default_language = _language(
        raw.get("default_language", DEFAULT_LANGUAGE), "default_language", fail
    )
    return FeedConfig(
        url=url,
        name=name,
        section=section,
        categories=_strings(raw.get("categories", []), "categories", fail),
        tags=_strings(raw.get("tags", []), "tags", fail),
        max_items=max_items,
        enabled=enabled,
        language=language,
        default_language=default_language or DEFAULT_LANGUAGE,
        filters=_filters(raw, where=where, base=base),
        section_title=section_title,
    )


def _language(value: object, field: str, fail: Any) -> str | None:
    if value is None:
        return None
    language = normalize_language(value)
    if language is None:
        raise fail(field, "must be a language tag such as 'en', 'de', 'uk' or 'pt-BR'")
    return language


def _strings(value: object, field: str, fail: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise fail(field, "must be a list of non-empty strings")
    return tuple(v.strip() for v in value)


def google_news_url(spec: object, fail: Any) -> str:
    """Build a Google News RSS URL from the `google_news:` shorthand (topic, search or geo)."""
    if not isinstance(spec, Mapping):
        raise fail("google_news", "must be a mapping with one of topic, search or geo")
    unknown = set(spec) - GOOGLE_NEWS_KEYS
    if unknown:
        raise fail("google_news", f"unknown key {sorted(unknown)[0]!r}")
    kinds = [k for k in ("topic", "search", "geo") if k in spec]
    if len(kinds) != 1 or not isinstance(spec[kinds[0]], str) or not spec[kinds[0]].strip():
        raise fail("google_news", "give exactly one of topic, search or geo, as a string")
    hl = str(spec.get("hl", "en-US"))
    gl = str(spec.get("gl", hl.split("-")[-1].upper()))
    ceid = str(spec.get("ceid", f"{gl}:{hl.split('-')[0]}"))
    locale = {"hl": hl, "gl": gl, "ceid": ceid}
    value = spec[kinds[0]].strip()
    base = "https://news.google.com/rss"
    if kinds[0] == "search":
        return f"{base}/search?{urlencode({'q': value, **locale})}"
    path = "topics" if kinds[0] == "topic" else "headlines/section/geo"
    return f"{base}/{path}/{quote(value, safe='')}?{urlencode(locale, safe=':')}"


def default_feed_name(url: str) -> str:
    """A readable, stable name for a feed given only by URL or path."""
    parts = urlsplit(url)
    base = f"{parts.netloc}{parts.path}" if parts.netloc else Path(parts.path).stem
    if parts.query:
        base = f"{base}-{parts.query}"
    return slugify(base, max_length=60, word_boundary=True) or "feed"


def feeds_from_urls(
    urls: Iterable[str], *, section: str = "news", language: str | None = None
) -> tuple[FeedConfig, ...]:
    """Feeds given on the command line or in an event: URLs or paths, default settings (and
    the language, when given, of all of them)."""
    extra = {"language": language} if language is not None else {}
    feeds = tuple(
        feed_from_mapping({"url": u, "section": section, **extra}, where=f"feed {u!r}")
        for u in urls
    )
    _check_unique_names(feeds, "command line")
    return feeds


def feed_to_mapping(feed: FeedConfig) -> dict[str, Any]:
    """The feeds.yaml form of a feed (what the dispatcher puts in an SQS message)."""
    return {
        "url": feed.url,
        "name": feed.name,
        "section": feed.section,
        "categories": list(feed.categories),
        "tags": list(feed.tags),
        "max_items": feed.max_items,
        "enabled": feed.enabled,
        "language": feed.language,
        "default_language": feed.default_language,
        **feed.filters.as_mapping(),
        # The worker that ingests a queued feed writes its section's _index.md with this title.
        **({"section_title": feed.section_title} if feed.section_title else {}),
    }
