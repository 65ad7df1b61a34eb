"""Pure: which pages a change touches.

A change is the article versions that entered the site (added, changed, shown again) and the
versions that left it (the versions an update replaced; hidden, deleted or pruned articles).
Each page kind declares in KINDS the *units* of pages an article version is on ("tags:war",
a day "2026-01-05", "" for the home pages); the plan is, per kind, every unit that an entering
or leaving version touches, each with a cursor: the sort key (see `sort_key`) of the oldest
version that touched it. Most kinds ignore the cursor; the archive's day pages, numbered from
the oldest, render only from the cursor's page on, so older pages are not even read.

Adding a page kind: a `PageKind(name, touches)` in KINDS here, and a renderer of the same name
in newswire.site.renderers.RENDERERS, which turns a batch of units into pages (and deletes the
pages of a unit that the index no longer lists anything for). Nothing else mentions an article,
so nothing else is rebuilt.

A plan is a value: plans merge (union of units, the older cursor wins), and travel as JSON
(the worker sends its plan through the site queue; the site function merges a batch of them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from newswire.models import IndexRecord, Taxonomy

HOME = "home"
FEEDS = "feeds"
ARTICLE = "article"
TERM = "term"
DAY = "day"
SECTION = "section"


def sort_key(record: IndexRecord) -> str:
    """Where a record sits in the archive's oldest-first order: its `published`, then its id
    (the tie-break every list uses)."""
    return f"{record.published} {record.id}"


def day_of(record: IndexRecord) -> str:
    """The UTC day ("YYYY-MM-DD") the archive lists the article under."""
    return record.published[:10]


def term_unit(taxonomy: Taxonomy, term: str) -> str:
    return f"{taxonomy}:{term}"


def parse_term_unit(unit: str) -> tuple[Taxonomy, str]:
    taxonomy, _, term = unit.partition(":")
    if taxonomy not in ("tags", "categories", "publisher"):
        raise ValueError(f"not a term unit: {unit!r}")
    return taxonomy, term  # type: ignore[return-value]  # checked just above


def article_unit(record: IndexRecord) -> str:
    """The article's id and Markdown key: the page goes when the id is no longer listed, and
    its address comes from the key, which the index may no longer hold."""
    return f"{record.id} {record.key}"


@dataclass(frozen=True)
class PageKind:
    name: str
    touches: Callable[[IndexRecord], Iterable[str]]
    """The units of this kind that an article version appears on."""


KINDS: tuple[PageKind, ...] = (
    PageKind(ARTICLE, lambda r: (article_unit(r),)),
    PageKind(HOME, lambda r: ("",)),
    PageKind(TERM, lambda r: (term_unit(t, v) for t, v in r.terms)),
    PageKind(SECTION, lambda r: (r.section,)),
    # The day's archive pages and its sitemap(s): both are read from the same day's listing.
    PageKind(DAY, lambda r: (day_of(r),)),
    # Feeds last: they never point to a page that is not there yet.
    PageKind(FEEDS, lambda r: ("",)),
)
KIND_NAMES = tuple(kind.name for kind in KINDS)


@dataclass(frozen=True)
class SitePlan:
    units: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Per page kind, the touched units and their cursors."""
    entered: frozenset[str] = frozenset()
    """The ids of the versions that entered: the build reads them again by id (an index's
    listings may lag behind its own writes), and a day all of whose articles entered is new."""
    left: frozenset[str] = frozenset()
    """The ids of articles taken off the site (hidden, deleted, pruned): no list shows them,
    whatever a lagging listing still says."""

    @property
    def empty(self) -> bool:
        return not any(self.units.values())

    def of(self, kind: str) -> list[tuple[str, str]]:
        """The units of `kind`, sorted, with their cursors."""
        return sorted(self.units.get(kind, {}).items())

    def merge(self, other: SitePlan) -> SitePlan:
        units: dict[str, dict[str, str]] = {k: dict(v) for k, v in self.units.items()}
        for kind, touched in other.units.items():
            mine = units.setdefault(kind, {})
            for unit, cursor in touched.items():
                mine[unit] = min(cursor, mine.get(unit, cursor))
        return SitePlan(units, self.entered | other.entered, self.left | other.left)

    def to_json(self) -> str:
        return json.dumps(
            {
                "units": {k: dict(sorted(v.items())) for k, v in sorted(self.units.items()) if v},
                "entered": sorted(self.entered),
                "left": sorted(self.left),
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> SitePlan:
        """A plan as to_json wrote it; ValueError for anything else."""
        try:
            data: Any = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"a site plan is JSON: {exc}") from None
        if not isinstance(data, dict) or not isinstance(data.get("units"), dict):
            raise ValueError("a site plan is a JSON object with 'units'")
        units: dict[str, dict[str, str]] = {}
        for kind, touched in data["units"].items():
            if kind not in KIND_NAMES or not isinstance(touched, dict):
                raise ValueError(f"site plan: unknown page kind {kind!r}")
            if not all(isinstance(u, str) and isinstance(c, str) for u, c in touched.items()):
                raise ValueError(f"site plan: the units of {kind!r} must map text to text")
            units[kind] = dict(touched)
        ids = [data.get("entered", []), data.get("left", [])]
        if not all(isinstance(i, list) and all(isinstance(x, str) for x in i) for i in ids):
            raise ValueError("site plan: 'entered' and 'left' are lists of ids")
        return cls(units, frozenset(ids[0]), frozenset(ids[1]))


def plan_changes(
    entered: Iterable[IndexRecord],
    left: Iterable[IndexRecord] = (),
    *,
    removed: Iterable[IndexRecord] = (),
) -> SitePlan:
    """The plan of a change: `entered` (added, changed or shown versions), `left` (the versions
    those replaced) and `removed` (articles taken off the site; they left too)."""
    latest: dict[str, IndexRecord] = {}
    for record in entered:
        latest[record.id] = record  # a record changed twice in one run: its last version
    gone = list(removed)
    units: dict[str, dict[str, str]] = {kind.name: {} for kind in KINDS}
    for record in (*latest.values(), *left, *gone):
        cursor = sort_key(record)
        for kind in KINDS:
            touched = units[kind.name]
            for unit in kind.touches(record):
                touched[unit] = min(cursor, touched.get(unit, cursor))
    gone_ids = frozenset(r.id for r in gone) - latest.keys()
    return SitePlan(units, frozenset(latest), gone_ids)


def lists_plan() -> SitePlan:
    """The home pages and the feeds, whatever changed (`newswire site` without --full)."""
    return SitePlan({HOME: {"": ""}, FEEDS: {"": ""}})


def plan_everything(records: Iterable[IndexRecord]) -> SitePlan:
    """Every page of the site: the plan of every record entering at once."""
    return plan_changes(records)
