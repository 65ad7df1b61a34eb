"""One story, one page, for any feeds' views (issue 12), on both backends: Hypothesis draws
which stories three Google News feeds carry (a topic, a search and a geo feed), under which of
Google's ids for one publisher URL, with which headline and related coverage, and a schedule
of runs (any order, any reruns). Then:

- the pages and the index equal those of one sequential run of each feed once, in the order
  the feeds first ran (the first to bring a story claims it: its key, slug and `source`);
- whatever that order, each story's page shows the same (title, links, related coverage,
  tags, feeds): only what the claim decided differs;
- a rerun of every feed writes nothing, neither a page nor an index record nor a claim.
Every fetch differs from the last (lastBuildDate, and an element newswire does not read in
each item), so each run decides every item again rather than skipping it as already seen.
"""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from newswire.models import FeedConfig, FeedStatus

from .backends import Backend, Spy, aws_backend, create_index_table, embedded_backend
from .conftest import AwsClients, IngestorFactory
from .feeds import Item
from .pages import front_matter
from .server import HostileServer
from .test_identity import GOOGLE, google_item, legacy_id, moving_feed

FEEDS = ("geo", "search", "topic")
STORIES = (
    ("Ferry strike ends after night of talks", "Harbour Times", "https://harbour.example/ferry"),
    ("Council approves new harbour bridge plan", "Coast News", "https://coast.example/bridge"),
    ("Storm closes the northern coast road", "Gull FM", "https://gull.example/storm"),
)
POOL = tuple(
    (
        f"Related report {n} on the week",
        f"{GOOGLE}{legacy_id(f'https://r{n}.example/{n}')}",
        f"Outlet {n}",
    )
    for n in range(5)
)
WRITES = {"put", "put_new", "delete", "add", "replace", "write_many", "claim_many", "remove"}

View = dict[int, tuple[int, int, tuple[int, ...]]]
"""A feed's view: story number → (Google id variant, headline variant, related links)."""

views = st.dictionaries(
    st.integers(0, len(STORIES) - 1),
    st.tuples(
        st.integers(0, 2),
        st.integers(0, 1),
        st.lists(st.integers(0, len(POOL) - 1), unique=True, max_size=3).map(tuple),
    ),
    max_size=len(STORIES),
)
schedules = st.lists(st.sampled_from(FEEDS), min_size=1, max_size=6)


def items_of(view: View) -> list[Item]:
    out = []
    for number, (variant, headline, related) in sorted(view.items()):
        title, publisher, url = STORIES[number]
        out.append(
            google_item(
                title + (" today" if headline else ""),
                publisher,
                url,
                variant=variant,
                related=[POOL[r] for r in related],
            )
        )
    return out


@contextmanager
def fresh_backend(kind: str, clients: AwsClients | None) -> Iterator[Backend]:
    if kind == "embedded":
        with tempfile.TemporaryDirectory() as root:
            backend = embedded_backend(Path(root))
            try:
                yield backend
            finally:
                backend.close()
        return
    assert clients is not None
    name = f"identity-{uuid.uuid4().hex[:12]}"
    clients.s3().create_bucket(Bucket=name)
    create_index_table(clients.dynamodb(), name)
    try:
        yield aws_backend(clients.s3, clients.dynamodb, bucket=name, table=name)
    finally:
        clients.dynamodb().delete_table(TableName=name)


def run(
    backend: Backend,
    make_ingestor: IngestorFactory,
    feeds: dict[str, FeedConfig],
    schedule: list[str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    ingestor = make_ingestor(backend.make_store(), backend.make_index())
    for name in schedule:
        result = ingestor.ingest_feed(feeds[name])
        assert result.status is FeedStatus.FETCHED and not result.failed_items, result
    return snapshot(backend)


def snapshot(backend: Backend) -> tuple[dict[str, Any], dict[str, Any]]:
    pages = {key: front_matter(backend.read(key)) for key in backend.object_keys()}
    records = {
        i: {k: v for k, v in vars(r).items() if k != "first_seen"}
        for i, r in backend.records().items()
    }
    return pages, records


def by_story(pages: dict[str, Any]) -> dict[str, Any]:
    """Each page by its link, without what the claim decided (key, slug, source, id, guid,
    date) and without lastmod (when the content last changed depends on the order)."""
    claimed = {"slug", "source", "id", "guid", "date", "lastmod", "google_news_link"}
    return {p["link"]: {k: v for k, v in p.items() if k not in claimed} for p in pages.values()}


SLOW = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow]


@settings(max_examples=15, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_any_views_in_any_order_give_one_sequential_runs_pages_embedded(
    data: st.DataObject, server: HostileServer, make_ingestor: IngestorFactory
) -> None:
    check_any_views_in_any_order(data, server, make_ingestor, "embedded", None)


# Fewer examples on moto: each costs three fresh tables and about 200 requests.
@settings(max_examples=5, deadline=None, suppress_health_check=SLOW)
@given(data=st.data())
def test_any_views_in_any_order_give_one_sequential_runs_pages_aws(
    data: st.DataObject, server: HostileServer, make_ingestor: IngestorFactory, aws: AwsClients
) -> None:
    check_any_views_in_any_order(data, server, make_ingestor, "aws", aws)


def check_any_views_in_any_order(
    data: st.DataObject,
    server: HostileServer,
    make_ingestor: IngestorFactory,
    kind: str,
    clients: AwsClients | None,
) -> None:
    chosen = {name: data.draw(views, label=name) for name in FEEDS}
    schedule = data.draw(schedules, label="schedule")
    run_id = uuid.uuid4().hex[:8]
    feeds = {
        name: FeedConfig(
            url=moving_feed(server, f"/{run_id}/{name}", items_of(chosen[name])), name=name
        )
        for name in FEEDS
    }
    first_order = list(dict.fromkeys(schedule))
    with fresh_backend(kind, clients) as backend:
        pages, records = run(backend, make_ingestor, feeds, schedule)
        store, index = Spy(backend.make_store()), Spy(backend.make_index())
        again = make_ingestor(store.as_store, index.as_index)
        for name in first_order:
            result = again.ingest_feed(feeds[name])
            assert (result.new, result.updated, result.failed_items) == (0, 0, 0), result
        writes = [n for n, _ in store.calls + index.calls if n in WRITES]
        assert writes == [], writes
        assert snapshot(backend) == (pages, records)
    with fresh_backend(kind, clients) as backend:
        assert run(backend, make_ingestor, feeds, first_order) == (pages, records)
    with fresh_backend(kind, clients) as backend:
        reverse, _ = run(backend, make_ingestor, feeds, first_order[::-1])
    assert by_story(reverse) == by_story(pages)
    carried = {STORIES[n][2] for view in chosen.values() for n in view}
    stories = {name for name in first_order if chosen[name]}
    assert (
        len(pages) == len(records) == len({STORIES[n][2] for name in stories for n in chosen[name]})
    )
    assert {p["link"] for p in pages.values()} <= carried
