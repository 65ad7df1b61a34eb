"""One story, one page (issue 12), reproduced from outside: feeds served on loopback, ingested
into both backends (the embedded one and moto), and what is really stored looked at directly.

- a topic feed and a search feed carrying one Google News story: one page that merges both
  views, and reruns with nothing new write nothing, in any order;
- two feeds sharing 50 guids (different titles) under the default workers: exactly one object
  per article, objects == index rows == distinct ids;
- the same publisher URL under two Google ids, the same link from two publishers' feeds, the
  same headline and publisher in two feeds: one page each; a generic headline from two
  publishers: two pages;
- the link readers follow is the publisher's, the Google redirect keeps its own key.
"""

from __future__ import annotations

import base64
import dataclasses
from html import escape
from pathlib import Path

import pytest

from newswire.models import FeedConfig, FeedStatus
from newswire.reindex import reindex

from .backends import TABLE, Backend, Spy, create_index_table
from .conftest import IngestorFactory
from .feeds import Item, numbered, rss
from .pages import front_matter
from .server import RSS_TYPE, Exchange, HostileServer, Reply

GOOGLE = "https://news.google.com/rss/articles/"


def legacy_id(url: str, variant: int = 0) -> str:
    """A legacy Google News article id embedding `url`; `variant` changes the trailing field
    (as Google's own ids for one URL differ), not the URL."""
    raw = url.encode()
    message = b"\x08\x13\x22" + bytes([len(raw)]) + raw + b"\xd2\x01" + bytes([variant])
    return base64.urlsafe_b64encode(message).decode().rstrip("=")


def related_html(items: list[tuple[str, str, str]]) -> str:
    """A Google News description: the story's own link, then related coverage."""
    lis = "".join(
        f'<li><a href="{escape(url)}">{escape(title)}</a>&nbsp;&nbsp;'
        f'<font color="#6f6f6f">{escape(publisher)}</font></li>'
        for title, url, publisher in items
    )
    return f"<ol>{lis}</ol>"


def google_item(
    title: str,
    publisher: str,
    url: str,
    *,
    variant: int = 0,
    related: list[tuple[str, str, str]] = (),  # type: ignore[assignment]
    pub_date: str = "Tue, 06 Jan 2026 09:30:00 GMT",
) -> Item:
    token = legacy_id(url, variant)
    link = f"{GOOGLE}{token}?oc=5"
    own = (title, link, publisher)
    return Item(
        title=f"{title} - {publisher}",
        link=link,
        guid=token,
        permalink=False,
        pub_date=pub_date,
        description=related_html([own, *related]),
        extra=f'<source url="https://{publisher.lower().replace(" ", "")}.example">'
        f"{escape(publisher)}</source>",
    )


STORY = "https://harbour-times.example/2026/01/06/ferry-strike-ends"
RELATED = [
    (
        "Ferry strike: unions sign the deal",
        f"{GOOGLE}{legacy_id('https://a.example/1')}",
        "Port Daily",
    ),
    (
        "Ferries sail again after strike",
        f"{GOOGLE}{legacy_id('https://b.example/2')}",
        "Coast News",
    ),
]


def google_feed(server: HostileServer, path: str, items: list[Item]) -> str:
    return server.feed(path, rss(items, title=f"{path} - Google News"))


def moving_feed(server: HostileServer, path: str, items: list[Item]) -> str:
    """A feed like Google News': no validators, and every fetch differs (lastBuildDate, and
    an element of each item newswire does not read), so neither a 304, nor the same body, nor
    an item's fingerprint spares newswire from deciding again."""
    fetches = iter(range(1_000_000))

    def route(exchange: Exchange) -> None:
        n = next(fetches)
        moved = [dataclasses.replace(i, extra=f"{i.extra}<comments>{n}</comments>") for i in items]
        body = rss(moved, channel_extra=f"<lastBuildDate>fetch {n}</lastBuildDate>")
        exchange.reply(Reply(200, body, (("Content-Type", RSS_TYPE),)))

    return server.route(path, route)


def test_a_story_in_a_topic_and_a_search_feed_is_one_page_that_settles(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    topic = FeedConfig(
        url=moving_feed(
            server,
            "/topic",
            [google_item("Ferry strike ends", "Harbour Times", STORY, related=RELATED)],
        ),
        name="topic",
    )
    search = FeedConfig(
        url=moving_feed(
            server, "/search", [google_item("Ferry strike ends", "Harbour Times", STORY)]
        ),
        name="search",
    )
    store = Spy(backend.make_store())
    index = Spy(backend.make_index())
    ingestor = make_ingestor(store.as_store, index.as_index)
    for feed in (topic, search, topic, search):
        # A feed that changes its lastBuildDate on every fetch: never a 304, never the same body.
        ingestor.ingest_feed(feed)
    [key] = backend.object_keys()
    meta = front_matter(backend.read(key))
    assert sorted(meta["feed"]) == ["search", "topic"]
    assert [r["publisher"] for r in meta["related"]] == ["Coast News", "Port Daily"]
    [record] = backend.records().values()
    assert sorted(record.feeds) == ["search", "topic"]
    writes_before = store.writes() + index.writes()
    page = backend.read(key)
    for feed in (search, topic, search, topic):
        result = ingestor.ingest_feed(feed)
        assert (result.status, result.new, result.updated) == (FeedStatus.FETCHED, 0, 0), result
    assert store.writes() + index.writes() == writes_before
    assert backend.read(key) == page


def test_the_page_is_the_same_whichever_feed_comes_first(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    topic_items = [google_item("Ferry strike ends", "Harbour Times", STORY, related=RELATED)]
    search_items = [
        google_item(
            "Ferry strike ends",
            "Harbour Times",
            STORY,
            related=[RELATED[1], ("Strike over", f"{GOOGLE}x", "Gull FM")],
        )
    ]
    pages = []
    for order in (("topic", "search"), ("search", "topic")):
        feeds = {
            "topic": FeedConfig(
                url=google_feed(server, f"/t{order[0]}", topic_items), name="topic"
            ),
            "search": FeedConfig(
                url=google_feed(server, f"/s{order[0]}", search_items), name="search"
            ),
        }
        index = backend.make_index()
        ingestor = make_ingestor(backend.make_store(), index)
        for name in order:
            ingestor.ingest_feed(feeds[name])
        [key] = backend.object_keys()
        meta = front_matter(backend.read(key))
        pages.append({k: v for k, v in meta.items() if k not in ("source", "lastmod")})
        for record in backend.records().values():
            index.remove(record)
        backend.make_store().delete(key)
    assert pages[0] == pages[1]
    assert [r["publisher"] for r in pages[0]["related"]] == ["Coast News", "Gull FM", "Port Daily"]


def test_two_feeds_sharing_50_guids_leave_one_object_per_article(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    def items(prefix: str, numbers: range) -> list[Item]:
        return [
            Item(
                title=f"{prefix} headline number {n}",
                link=f"https://wire.example/story/{n}",
                guid=f"https://wire.example/story/{n}",
                pub_date=f"Tue, 06 Jan 2026 {n % 24:02d}:{n % 60:02d}:00 +0000",
                description=f"Paragraph {n}.",
            )
            for n in numbers
        ]

    # Every guid in both feeds, under other titles (other slugs) and in other sections: each
    # of the 50 is raced for by both feeds' runs at once.
    first = FeedConfig(url=server.feed("/a", rss(items("Alpha", range(50)))), name="a")
    second = FeedConfig(
        url=server.feed("/b", rss(items("Beta", range(50)))), name="b", section="other"
    )
    # As bootstrap builds them: on the embedded backend one feed at a time after its fetch.
    ingestor = make_ingestor(
        backend.make_store(), backend.make_index(), workers=32,
        local_writes=backend.name == "embedded",
    )  # fmt: skip
    summary = ingestor.run([first, second])
    assert all(r.status is FeedStatus.FETCHED for r in summary.results), summary
    keys = backend.object_keys()
    records = backend.records()
    ids = [front_matter(backend.read(key))["id"] for key in keys]
    assert len(keys) == len(records) == len(set(ids)) == 50, (len(keys), len(records))
    assert sorted(r.key for r in records.values()) == keys
    shared = [r for r in records.values() if len(r.feeds) == 2]
    assert len(shared) + summary.counts["failed_items"] == 50


def test_the_link_is_the_publisher_and_the_redirect_keeps_its_own_key(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    item = google_item("Ferry strike ends", "Harbour Times", STORY, related=RELATED)
    feed = FeedConfig(url=google_feed(server, "/topic", [item]), name="topic")
    make_ingestor(backend.make_store(), backend.make_index()).ingest_feed(feed)
    [key] = backend.object_keys()
    meta = front_matter(backend.read(key))
    assert meta["link"] == STORY
    assert meta["google_news_link"] == item.link
    [record] = backend.records().values()
    assert record.link == STORY


@pytest.mark.parametrize("story", ["two google ids", "one link via two publishers"])
def test_one_story_under_two_ids_is_one_page(
    story: str, server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    if story == "two google ids":
        one = [google_item("Ferry strike ends", "Harbour Times", STORY, variant=1)]
        two = [google_item("Ferry strike ends", "Harbour Times", STORY, variant=2)]
    else:
        one = [
            Item(
                title="Ferry strike ends",
                link=f"{STORY}?utm_source=rss&utm_medium=feed",
                guid="harbour-times-8812-ferry-strike-ends-story",
                permalink=False,
            )
        ]
        two = [
            Item(
                title="Ferry strike ends after talks",
                link=STORY.replace("harbour-times", "HARBOUR-TIMES") + "/?fbclid=abc",
                guid="https://aggregator.example/item/55120",
                permalink=False,
            )
        ]
    feeds = [
        FeedConfig(url=server.feed("/one", rss(one)), name="one"),
        FeedConfig(url=server.feed("/two", rss(two)), name="two"),
    ]
    ingestor = make_ingestor(backend.make_store(), backend.make_index())
    for feed in feeds:
        ingestor.ingest_feed(feed)
    keys = backend.object_keys()
    assert len(keys) == 1, keys
    [record] = backend.records().values()
    assert sorted(record.feeds) == ["one", "two"]


def test_a_generic_headline_from_two_publishers_stays_two_pages(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory
) -> None:
    feeds = [
        FeedConfig(
            url=google_feed(
                server,
                f"/{n}",
                [google_item("Live updates", publisher, f"https://{n}.example/live")],
            ),
            name=n,
        )
        for n, publisher in (("one", "Harbour Times"), ("two", "Coast News"))
    ]
    ingestor = make_ingestor(backend.make_store(), backend.make_index())
    for feed in feeds:
        ingestor.ingest_feed(feed)
    assert len(backend.object_keys()) == len(backend.records()) == 2


def lose_index(backend: Backend, request: pytest.FixtureRequest, tmp_path: Path) -> None:
    """The index is gone (every record, claim and feed state): the SQLite file deleted, or the
    table deleted and made again from template.yaml."""
    if backend.name == "embedded":
        backend.close()
        for path in (tmp_path / "site").glob("newswire.sqlite3*"):
            path.unlink()
        return
    clients = request.getfixturevalue("aws")
    clients.dynamodb().delete_table(TableName=TABLE)
    create_index_table(clients.dynamodb())


def two_feeds_and_a_story_in_both(server: HostileServer) -> list[FeedConfig]:
    topic = [google_item("Ferry strike ends", "Harbour Times", STORY, related=RELATED)]
    search = [google_item("Ferry strike ends", "Harbour Times", STORY, variant=3)]
    return [
        FeedConfig(url=google_feed(server, "/topic", topic), name="topic"),
        FeedConfig(url=google_feed(server, "/search", search), name="search"),
        FeedConfig(url=server.feed("/wire", rss(numbered(4))), name="wire"),
    ]


def test_reindex_after_losing_the_index_gives_the_same_keys_and_ids_past_a_broken_page(
    server: HostileServer,
    backend: Backend,
    make_ingestor: IngestorFactory,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    feeds = two_feeds_and_a_story_in_both(server)
    make_ingestor(backend.make_store(), backend.make_index()).run(feeds)
    before = {r.key: (r.id, r.feeds, r.content_hash) for r in backend.records().values()}
    assert len(before) == 5
    store = backend.make_store()
    broken = "content/news/2026/01/a-hand-edited-page.md"  # sorts first: reindex goes on
    store.put(broken, b"---\ntitle: [unclosed\nid: x\n---\n\nBody\n")
    lose_index(backend, request, tmp_path)

    summary = reindex(store, backend.make_index())
    assert (summary.added, summary.duplicates) == (5, ())
    assert [line.split(":")[0] for line in summary.failed] == [broken]
    assert {r.key: (r.id, r.feeds, r.content_hash) for r in backend.records().values()} == before
    # The next run finds every story where it was, and writes nothing.
    spy = Spy(backend.make_store())
    summary_run = make_ingestor(spy.as_store, backend.make_index()).run(feeds)
    assert summary_run.counts["new"] == summary_run.counts["updated"] == 0, summary_run
    assert spy.writes() == []


def test_two_pages_with_one_id_the_claimed_one_wins_and_the_other_is_reported(
    server: HostileServer,
    backend: Backend,
    make_ingestor: IngestorFactory,
    request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    feeds = two_feeds_and_a_story_in_both(server)[:1]
    make_ingestor(backend.make_store(), backend.make_index()).run(feeds)
    [key] = backend.object_keys()
    store = backend.make_store()
    page = backend.read(key)
    slug = front_matter(page)["slug"]
    copy = key.replace(f"/{slug}.md", "/a-copy-of-the-page.md")  # sorts before the original
    store.put(copy, page.replace(f"slug: {slug}\n".encode(), b"slug: a-copy-of-the-page\n"))

    summary = reindex(store, backend.make_index())  # the claim names the original
    assert summary.duplicates == (
        f"{copy}: duplicate of {key} (article {front_matter(page)['id']})",
    )
    assert (summary.failed, summary.removed) == ((), ())
    assert backend.object_keys() == sorted([copy, key])
    summary = reindex(store, backend.make_index(), remove_duplicates=True)
    assert summary.removed == (copy,)
    assert backend.object_keys() == [key]
    assert [r.key for r in backend.records().values()] == [key]
