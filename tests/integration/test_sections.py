"""Hugo sections on a real store: a section's `_index.md` is written when its first article is,
once, never over what is there, and `reindex` takes it for what it is (not an article)."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.reindex import reindex
from newswire.sections import SectionIndexes, ensure_section_index
from tests.site.helpers import WORLD, add_harbour_item, harbour, ingest


def test_the_index_is_created_once_and_never_overwritten(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    assert ensure_section_index(store, "world", "World") is True
    assert ensure_section_index(store, "world", "Other title") is False
    assert store.get("content/world/_index.md") == b"---\ntitle: World\n---\n"


def test_section_indexes_check_each_section_once_per_process(tmp_path: Path) -> None:
    store = DirectoryStore(tmp_path)
    indexes = SectionIndexes()
    indexes.ensure(store, "world", "World")
    store.delete("content/world/_index.md")
    indexes.ensure(store, "world", "World")
    assert store.get("content/world/_index.md") is None, "the second call wrote again"


def test_an_ingest_writes_each_new_sections_index_with_its_title(tmp_path: Path) -> None:
    site = tmp_path / "site"
    world = dataclasses.replace(WORLD, section_title="World news")
    ingest(site, [world, harbour(tmp_path)])
    content = site / "content"
    assert (content / "world" / "_index.md").read_text() == "---\ntitle: World news\n---\n"
    assert (content / "local" / "_index.md").read_text() == "---\ntitle: Local\n---\n"
    # Edited by the Hugo site's owner: a later run with a new article leaves it alone.
    edited = "---\ntitle: Harbour town\n---\nOur news.\n"
    (content / "local" / "_index.md").write_text(edited)
    assert ingest(site, [add_harbour_item(tmp_path)]).counts["new"] == 1
    assert (content / "local" / "_index.md").read_text() == edited


def test_reindex_skips_section_indexes(tmp_path: Path) -> None:
    site = tmp_path / "site"
    ingest(site, [WORLD])
    assert (site / "content" / "world" / "_index.md").exists()
    index = SqliteIndex(tmp_path / "fresh.sqlite3")
    try:
        summary = reindex(DirectoryStore(site), index)
    finally:
        index.close()
    assert summary.failed == () and summary.added == 3
