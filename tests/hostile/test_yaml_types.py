"""Issue 10, class 4: no front-matter string reads as another type in any YAML reader.

PyYAML is a YAML 1.1 reader and round-trips every value; for the readers not installed here
(Go's yaml.v2 in Hugo 0.111, YAML 1.2 core-schema readers) the check is on the emitted scalar:
every string that one of their resolution rules (written out below from the specs and from
yaml.v2's resolver, independently of newswire.render) would turn into a non-string is quoted.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC, datetime

import yaml
from hypothesis import example, given, settings
from hypothesis import strategies as st

from newswire.models import Article, FeedConfig, RelatedLink
from newswire.render import FRONT_MATTER_KEYS, render_markdown

from .backends import Backend
from .conftest import IngestorFactory
from .feeds import Item, rss
from .pages import front_matter
from .server import HostileServer

NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)

# YAML 1.1 types (yaml.org/type/*.html), 1.2 core schema (spec 10.3.2) and yaml.v2's extras.
OTHER_TYPE_PATTERNS = {
    "1.1 bool": r"y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE"
    r"|on|On|ON|off|Off|OFF",
    "1.1 null": r"~|null|Null|NULL",
    "1.1 int": r"[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+"
    r"|[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+",
    "1.1 float": r"[-+]?([0-9][0-9_]*)?\.[0-9.]*([eE][-+][0-9]+)?"
    r"|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN)",
    "1.1 timestamp": r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"|[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}([Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(\.[0-9]*)?"
    r"(([ \t]*)Z|[-+][0-9]{1,2}(:[0-9]{2})?)?",
    "1.1 merge and value": r"<<|=",
    "1.2 int": r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+",
    "1.2 float": r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?"
    r"|[-+]?\.(inf|Inf|INF)|\.nan|\.NaN|\.NAN",
    # yaml.v2 drops `_` and calls strconv.ParseInt(s, 0, 64): 0b, 0o, 0x prefixes, any case.
    "yaml.v2 int": r"[-+]?0[bB][01_]+|[-+]?0[oO][0-7_]+|[-+]?0[xX][0-9a-fA-F_]+|[-+]?[0-9][0-9_]*",
    "yaml.v2 float": r"[-+]?(\.[0-9_]+|[0-9][0-9_]*(\.[0-9_]*)?)([eE][-+]?[0-9]+)?",
}
# The examples the issue and the brief name, and a few more.
NAMED = [
    "y", "n", "Y", "N", "yes", "No", "off", "ON", "~", "null", "NULL", "true", "False", "1e3",
    "1E3", "-1e-3", "0o17", "0x1f", "0X1F", "0b101", "1_000", "017", ".inf", "-.Inf", ".NaN",
    "12:30:00", "-1:20", "190:20:30.15", "2001-12-14", "2001-12-14t21:59:43.10-05:00",
    "2001-12-14 21:59:43.10 -5", "=", "<<", "1.2.3", ".5", "5.", "+12", "0",
]  # fmt: skip


def article(**changes: object) -> Article:
    base = Article(
        id="0123456789abcdef0123", guid="g", title="t", date=NOW, description="d", summary="s",
        slug="t", image=None, link="https://gazette.example.org/a", source="https://f.example/",
        categories=("c",), tags=("t",), section="news", feeds=("gazette",), body="Body.",
        content_hash="h",
    )  # fmt: skip
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def string_scalars(data: bytes) -> dict[str, yaml.ScalarNode]:
    """Every scalar of the front matter, by a path such as `tags.0` or `related.1.title`."""
    text = data.decode("utf-8")
    node = yaml.compose(text[4 : text.index("\n---\n", 3) + 1])
    out: dict[str, yaml.ScalarNode] = {}

    def walk(path: str, current: yaml.Node) -> None:
        if isinstance(current, yaml.ScalarNode):
            out[path] = current
        elif isinstance(current, yaml.SequenceNode):
            for i, item in enumerate(current.value):
                walk(f"{path}.{i}", item)
        elif isinstance(current, yaml.MappingNode):
            for key, value in current.value:
                walk(f"{path}.{key.value}".lstrip("."), value)

    assert node is not None
    walk("", node)
    return out


def assert_quoted(data: bytes, value: str) -> None:
    scalars = string_scalars(data)
    holding = {
        path: node for path, node in scalars.items() if node.value == value and path != "draft"
    }
    assert holding, f"{value!r} is not in the front matter"
    for path, node in holding.items():
        assert node.style in ("'", '"'), f"{path}: {value!r} is written plain"


def everywhere(value: str) -> Article:
    """`value` in every string field of the front matter."""
    return article(
        title=value, description=value, summary=value, guid=value, publisher=value, tags=(value,),
        categories=(value,), feeds=(value,), related=(RelatedLink(value, value, value),),
    )  # fmt: skip


@settings(deadline=None)
@given(st.sampled_from(NAMED))
def test_the_named_values_are_quoted_and_read_back_as_strings(value: str) -> None:
    data = render_markdown(everywhere(value))
    assert_quoted(data, value)
    meta = front_matter(data)
    assert meta["title"] == meta["publisher"] == meta["guid"] == value
    assert meta["tags"] == meta["categories"] == meta["feed"] == [value]
    assert meta["related"] == [{"title": value, "url": value, "publisher": value}]


@settings(max_examples=150, deadline=None)
@given(
    st.sampled_from(sorted(OTHER_TYPE_PATTERNS)).flatmap(
        lambda name: st.from_regex(re.compile(OTHER_TYPE_PATTERNS[name]), fullmatch=True)
    )
)
@example("0o17")
def test_anything_a_yaml_reader_types_is_quoted(value: str) -> None:
    data = render_markdown(everywhere(value))
    assert_quoted(data, value)
    assert front_matter(data)["title"] == value


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(), summary=st.text(), tags=st.lists(st.text(), max_size=3),
    related=st.lists(st.tuples(st.text(), st.text()), max_size=2),
)  # fmt: skip
def test_any_string_reads_back_as_itself_in_the_contract_order(
    title: str, summary: str, tags: list[str], related: list[tuple[str, str]]
) -> None:
    page = article(
        title=title, summary=summary, description=summary, tags=tuple(tags), publisher=title,
        related=tuple(RelatedLink(t, "https://r.example/", p) for t, p in related),
    )  # fmt: skip
    meta = front_matter(render_markdown(page))
    assert list(meta) == [k for k in FRONT_MATTER_KEYS if k in meta]
    assert (meta["title"], meta["summary"], meta["publisher"]) == (title, summary, title)
    assert meta["tags"] == tags
    assert [(r["title"], r["publisher"]) for r in meta["related"]] == related


def test_ordinary_words_stay_plain() -> None:
    """The quoting is aimed: a headline that is just words is not quoted."""
    data = render_markdown(article(title="Yesterday in Norway", tags=("yellow", "nothing")))
    scalars = string_scalars(data)
    assert scalars["title"].style is None
    assert scalars["tags.0"].style is None and scalars["tags.1"].style is None


def test_a_feed_of_typed_looking_titles_is_stored_as_strings(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    titles = ["y", "n", "NO", "1e3", "0o17", "0x1f", "1_000", ".inf", "12:30:00", "2001-12-14",
              "=", "<<", "~", "null", "Off"]  # fmt: skip
    items = [
        Item(
            title=t,
            link=f"https://gazette.example.org/{i}",
            guid=f"https://gazette.example.org/{i}",
        )
        for i, t in enumerate(titles)
    ]
    feed = FeedConfig(url=server.feed("/typed.xml", rss(items)), name="typed", tags=("yes",))
    [result] = make_ingestor(backend.make_store(), backend.make_index()).run([feed]).results
    assert result.new == len(titles)
    seen = set()
    for key in backend.object_keys():
        data = backend.read(key)
        meta = front_matter(data)
        assert isinstance(meta["title"], str)
        assert_quoted(data, meta["title"])
        assert "yes" in meta["tags"]
        seen.add(meta["title"])
    assert seen == set(titles)
