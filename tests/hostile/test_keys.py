"""Keys and paths are built from the slug only (`[a-z0-9-]{1,80}`): no guid or title from a
feed reaches a key, and the directory backend never writes outside its directory."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire.adapters.local import DirectoryStore
from newswire.config import ConfigError, feed_from_mapping
from newswire.models import FeedConfig, FeedStatus
from newswire.normalize import normalize_entry
from newswire.ports import StorageError
from newswire.slugs import content_key, make_slug, slug_candidates

from .backends import Backend, Spy
from .conftest import IngestorFactory
from .feeds import Item, rss
from .pages import front_matter
from .server import HostileServer

KEY = re.compile(r"content/news/[0-9]{4}/[0-9]{2}/[a-z0-9-]{1,80}\.md")
NOW = datetime(2026, 1, 7, 12, 0, tzinfo=UTC)

HOSTILE_GUIDS = ["../../index", "..", ".", "/etc/passwd", "a/../../b", "..\\..\\win.ini",
                 "%2e%2e%2f%2e%2e%2findex", "A" * 2048, "content/news/2026/01/x.md",
                 "\u202egnp.exe", "~/.ssh/id_rsa", "file:///etc/passwd"]  # fmt: skip
HOSTILE_TITLES = ["../../../../tmp/pwned", "..", ".", "", "   ", "/", "\\..\\..\\windows",
                  "CON", "nul", "🔥🔥🔥", "T" * 2048, "Заголовок новини", "%2e%2e%2f",
                  "index", "-", "---", "a" * 81, "..md", "x.md/../../y"]  # fmt: skip


def test_hostile_guids_and_titles_never_reach_a_key(
    server: HostileServer, backend: Backend, make_ingestor: IngestorFactory, tmp_path: Path
) -> None:
    items = [
        Item(title=f"Story {n}", guid=guid, permalink=False) for n, guid in enumerate(HOSTILE_GUIDS)
    ]
    items += [Item(title=title, guid=f"https://gazette.example.org/t/{n}")
              for n, title in enumerate(HOSTILE_TITLES)]  # fmt: skip
    feed = FeedConfig(url=server.feed("/keys", rss(items)), name="keys")
    store = Spy(backend.make_store())
    [result] = make_ingestor(store.as_store, backend.make_index()).run([feed]).results
    assert (result.status, result.new, result.failed_items) == (
        FeedStatus.FETCHED, len(items), 0
    )  # fmt: skip
    used = [args[0] for name, args in store.calls if name in ("put", "put_new", "get")]
    assert used and all(KEY.fullmatch(key) for key in used), used
    keys = backend.object_keys()
    assert len(keys) == len(items) and all(KEY.fullmatch(key) for key in keys), keys
    for key in keys:  # the file name is the front matter's slug
        assert key.rsplit("/", 1)[1] == f"{front_matter(backend.read(key))['slug']}.md"
    if backend.name == "embedded":
        everything = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")
                            if p.is_file())  # fmt: skip
        stored = {f"site/{key}" for key in keys} | {"site/content/news/_index.md"}
        assert [p for p in everything if p not in stored
                and not p.startswith("site/newswire.sqlite3")] == []  # fmt: skip


@pytest.mark.parametrize("guid", ["\x00", "../\x00../index", "a\x00b" * 700])
def test_nul_and_huge_guids_never_reach_a_key(guid: str) -> None:
    feed = FeedConfig(url="https://gazette.example.org/feed.xml", name="g")
    entry = {"id": guid, "title": guid, "link": f"https://gazette.example.org/{guid}"}
    article = normalize_entry(entry, feed, now=NOW)
    assert KEY.fullmatch(content_key(article.section, article.date, article.slug))
    assert "\x00" not in article.guid


@settings(max_examples=200, deadline=None)
@given(title=st.text(), article_id=st.text(alphabet="0123456789abcdef", min_size=20, max_size=20))
def test_any_title_makes_a_valid_slug_and_key(title: str, article_id: str) -> None:
    slug = make_slug(title, article_id)
    for candidate in slug_candidates(slug, article_id):
        assert KEY.fullmatch(content_key("news", NOW, candidate)), candidate


@pytest.mark.parametrize("slug", ["../x", "..", "", "a/b", "A", "a" * 81, "-a", "a\x00", "é"])
def test_content_key_refuses_anything_but_a_slug(slug: str) -> None:
    with pytest.raises(ValueError, match="refusing to build a key"):
        content_key("news", NOW, slug)


@pytest.mark.parametrize("section", ["../../etc", "..", "a/b", "News", "", "x" * 41, "-a"])
def test_a_section_that_could_escape_is_refused_by_the_config(section: str) -> None:
    with pytest.raises(ConfigError, match="field 'section'"):
        feed_from_mapping({"url": "https://x.example/f", "section": section}, where="t")


@pytest.mark.parametrize(
    "key",
    ["../outside.md", "content/../../outside.md", "content/news/../../../outside.md",
     "/tmp/absolute.md", "content/\x00.md", "", ".", "content/.."],
)  # fmt: skip
def test_the_directory_store_never_leaves_its_directory(tmp_path: Path, key: str) -> None:
    root = tmp_path / "site"
    store = DirectoryStore(root)
    for write in (store.put, store.put_new):
        with pytest.raises(StorageError, match="refusing a key"):
            write(key, b"x")
    with pytest.raises(StorageError, match="refusing a key"):
        store.get(key)
    assert not (tmp_path / "outside.md").exists()
    assert not Path("/tmp/absolute.md").exists()


def test_a_symlink_inside_the_directory_does_not_lead_out(tmp_path: Path) -> None:
    root, outside = tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    root.mkdir()
    (root / "content").symlink_to(outside, target_is_directory=True)
    store = DirectoryStore(root)
    key = "content/news/2026/01/story.md"
    for write in (store.put, store.put_new):
        with pytest.raises(StorageError, match="refusing a key"):
            write(key, b"x")
    assert list(outside.rglob("*")) == []


def test_a_folder_swapped_for_a_symlink_after_a_write_does_not_lead_out(tmp_path: Path) -> None:
    # The store knows a folder it wrote into by the directory it leads to: a link put in its
    # place (or in place of a folder above it) later is found, and the key refused.
    root, outside = tmp_path / "site", tmp_path / "outside"
    (outside / "2026" / "01").mkdir(parents=True)
    store = DirectoryStore(root)
    store.put_new("content/news/2026/01/first.md", b"x")
    store.put_new("content/news/2026/01/second.md", b"x")  # the folder known from here on
    news = root / "content" / "news"
    for swapped, target in ((news, outside), (news / "2026" / "01", outside / "2026" / "01")):
        moved = swapped.with_name(swapped.name + "-moved")
        swapped.rename(moved)
        swapped.symlink_to(target, target_is_directory=True)
        for write in (store.put, store.put_new):
            with pytest.raises(StorageError, match="refusing a key"):
                write("content/news/2026/01/third.md", b"x")
        swapped.unlink()
        moved.rename(swapped)
    assert list(outside.rglob("*.md")) == []
    # A known folder deleted is made again by the next write.
    shutil.rmtree(root / "content" / "news")
    assert store.put_new("content/news/2026/01/fourth.md", b"x")
    assert (root / "content" / "news" / "2026" / "01" / "fourth.md").read_bytes() == b"x"


@pytest.mark.parametrize("level", ["content", "content/news", "content/news/2026/01"])
def test_a_known_folder_moved_out_and_linked_back_does_not_lead_out(
    tmp_path: Path, level: str
) -> None:
    # A moved directory keeps its device and inode: the link to it must still be found,
    # whichever folder on the way was moved.
    root, outside = tmp_path / "site", tmp_path / "outside"
    outside.mkdir()
    store = DirectoryStore(root)
    store.put_new("content/news/2026/01/first.md", b"x")
    store.put_new("content/news/2026/01/second.md", b"x")  # the folder known from here on
    swapped = root / level
    moved = outside / swapped.name
    swapped.rename(moved)
    swapped.symlink_to(moved, target_is_directory=True)
    for write in (store.put, store.put_new):
        with pytest.raises(StorageError, match="refusing a key"):
            write("content/news/2026/01/third.md", b"x")
    assert sorted(p.name for p in outside.rglob("*.md")) == ["first.md", "second.md"]


def test_a_symlinked_file_is_not_written_through(tmp_path: Path) -> None:
    root, target = tmp_path / "site", tmp_path / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    page = root / "content" / "news" / "2026" / "01" / "story.md"
    page.parent.mkdir(parents=True)
    os.symlink(target, page)
    store = DirectoryStore(root)
    for write in (store.put, store.put_new):
        with contextlib.suppress(StorageError):
            write("content/news/2026/01/story.md", b"overwritten")
    assert target.read_text(encoding="utf-8") == "keep me"
