"""`newswire feeds add/remove/check/import/export`: feeds.yaml edited in place with its
comments kept, validated before it is written; `check` writes nothing."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from newswire.config import load_config
from newswire.opml import OpmlError, export_opml, read_opml
from tests.conftest import DATA, run_newswire

pytestmark = pytest.mark.e2e

FEED = DATA / "google-news-world.xml"
ORIGINAL = """\
# Our feeds. Keep this comment.
defaults:
  language: en   # every feed in English

feeds:
  # The world desk.
  - name: world
    url: "https://news.example/world.rss"   # quoted on purpose
    section: world

  - name: tech   # technology
    url: https://tech.example/feed
    tags: [tech]
# the end
"""


def feeds_file(tmp_path: Path, text: str = ORIGINAL) -> Path:
    path = tmp_path / "feeds.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def one_line_error(done: object, status: int) -> str:
    assert done.returncode == status, done.stdout + done.stderr  # type: ignore[attr-defined]
    assert "Traceback" not in done.stderr  # type: ignore[attr-defined]
    lines = done.stderr.strip().splitlines()  # type: ignore[attr-defined]
    assert len(lines) == 1, lines
    return str(lines[0])


def test_add_then_remove_round_trips_the_file_with_its_comments(tmp_path: Path) -> None:
    path = feeds_file(tmp_path)

    add = ("add", "https://new.example/rss", "--name", "new", "--section", "local")
    added = run_newswire("feeds", *add, "--tag", "a", "--tag", "b", cwd=tmp_path)

    assert added.returncode == 0, added.stdout + added.stderr
    assert added.stdout.strip() == "added feed 'new' (https://new.example/rss) to feeds.yaml"
    text = path.read_text(encoding="utf-8")
    for line in ORIGINAL.splitlines():
        assert line in text.splitlines(), line  # every comment and line kept as written
    new = load_config(path).feeds[-1]
    assert (new.name, new.url, new.section, new.tags) == (
        "new", "https://new.example/rss", "local", ("a", "b")
    )  # fmt: skip
    assert [f.name for f in load_config(path).feeds] == ["world", "tech", "new"]

    removed = run_newswire("feeds", "remove", "new", cwd=tmp_path)

    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert path.read_text(encoding="utf-8") == ORIGINAL


def test_remove_keeps_the_other_feeds_and_comments(tmp_path: Path) -> None:
    path = feeds_file(tmp_path)

    done = run_newswire("feeds", "remove", "world", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    assert "its articles stay indexed" in done.stdout
    text = path.read_text(encoding="utf-8")
    assert "# Our feeds. Keep this comment." in text and "# every feed in English" in text
    assert "  - name: tech   # technology" in text
    assert [f.name for f in load_config(path).feeds] == ["tech"]


def test_add_names_a_feed_from_its_url_and_creates_a_missing_file(tmp_path: Path) -> None:
    done = run_newswire("feeds", "add", "https://news.example/world.rss", cwd=tmp_path)

    assert done.returncode == 0, done.stderr
    feeds = load_config(tmp_path / "feeds.yaml").feeds
    assert [(f.name, f.url) for f in feeds] == [
        ("news-example-world-rss", "https://news.example/world.rss")
    ]


@pytest.mark.parametrize(
    ("args", "reason"),
    [
        (["add", "https://other.example/", "--name", "world"], "a feed named 'world' is config"),
        (["add", "https://news.example/world.rss"], "is configured already, as 'world'"),
        (["add", "https://x.example/", "--section", "Not A Section"], "field 'section'"),
        (["add", "https://x.example/", "--max-items", "0"], "must be 1 or more"),
        (["add", "https://x.example/", "--language", "german"], "'german' is not a language tag"),
        (["remove", "nope"], "no feed named 'nope' (configured: world, tech)"),
        (["check", "nope"], "no feed named 'nope' in feeds.yaml (configured: world, tech)"),
    ],
)
def test_bad_edits_are_one_line_exit_2_and_leave_the_file_alone(
    tmp_path: Path, args: list[str], reason: str
) -> None:
    path = feeds_file(tmp_path)

    done = run_newswire("feeds", *args, cwd=tmp_path)

    assert reason in one_line_error(done, 2)
    assert path.read_text(encoding="utf-8") == ORIGINAL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.yaml"]


def test_add_writes_the_language_as_a_normalised_tag(tmp_path: Path) -> None:
    path = feeds_file(tmp_path)

    done = run_newswire(
        "feeds", "add", "https://br.example/rss", "--language", "pt_BR", cwd=tmp_path
    )

    assert done.returncode == 0, done.stdout + done.stderr
    assert "    language: pt-br\n" in path.read_text(encoding="utf-8")
    new = load_config(path).feeds[-1]
    assert (new.language, new.default_language) == ("pt-br", "en")


def test_removing_the_last_feed_is_refused(tmp_path: Path) -> None:
    path = feeds_file(tmp_path, "feeds:\n  - name: only\n    url: https://a.example/\n")

    done = run_newswire("feeds", "remove", "only", cwd=tmp_path)

    assert "would leave no feed" in one_line_error(done, 2)
    assert "only" in path.read_text(encoding="utf-8")


def test_check_shows_what_a_run_would_ingest_and_writes_nothing(tmp_path: Path) -> None:
    path = feeds_file(
        tmp_path,
        f"feeds:\n  - name: world\n    url: {FEED}\n    exclude: ['(?i)pokrovsk']\n",
    )
    before = path.read_text(encoding="utf-8")

    done = run_newswire("feeds", "check", "world", cwd=tmp_path)

    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == (
        f"feed 'world' ({FEED}): 3 entries; a run would ingest 2, filter out 1, skip 0 "
        "malformed (nothing written)"
    )
    assert lines[1].startswith("  + 2026-01-01 08:14  Russia-Ukraine war: List of key events")
    assert lines[3].startswith("  - ") and lines[3].endswith("(filtered)")
    assert "Pokrovsk" in lines[3]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.yaml"]  # no site, no index
    assert path.read_text(encoding="utf-8") == before

    configured_url = json.loads(run_newswire("feeds", "check", "--json", FEED, cwd=tmp_path).stdout)
    assert (configured_url["feed"], len(configured_url["filtered"])) == ("world", 1)
    other = tmp_path / "other.xml"
    other.write_bytes(FEED.read_bytes())
    by_url = run_newswire("feeds", "check", "--json", other, cwd=tmp_path)
    report = json.loads(by_url.stdout)
    assert len(report["ingest"]) == 3 and report["filtered"] == []  # a URL: default settings
    assert sorted(p.name for p in tmp_path.iterdir()) == ["feeds.yaml", "other.xml"]


def test_check_of_a_feed_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    done = run_newswire("feeds", "check", str(tmp_path / "missing.xml"), cwd=tmp_path)

    line = one_line_error(done, 1)
    assert "missing.xml" in line and "No such file" in line


def test_export_then_import_carries_every_feed(tmp_path: Path) -> None:
    feeds_file(tmp_path)
    exported = run_newswire("feeds", "export", cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    opml = tmp_path / "feeds.opml"
    opml.write_text(exported.stdout, encoding="utf-8")
    assert [o.url for o in read_opml(opml.read_bytes())] == [
        "https://news.example/world.rss", "https://tech.example/feed"
    ]  # fmt: skip

    other = tmp_path / "other"
    other.mkdir()
    imported = run_newswire("feeds", "import", opml, "--section", "imported", cwd=other)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    assert imported.stdout.splitlines()[0] == (
        "imported 2 feed(s) into feeds.yaml, 0 configured already"
    )
    feeds = load_config(other / "feeds.yaml").feeds
    assert [(f.name, f.url, f.section) for f in feeds] == [
        ("world", "https://news.example/world.rss", "imported"),
        ("tech", "https://tech.example/feed", "imported"),
    ]
    again = run_newswire("feeds", "import", opml, cwd=other)
    assert (
        again.stdout.splitlines()[0] == "imported 0 feed(s) into feeds.yaml, 2 configured already"
    )


def test_import_of_a_file_that_is_not_opml_is_one_line(tmp_path: Path) -> None:
    feeds_file(tmp_path)
    bad = tmp_path / "bad.opml"
    bad.write_text("<html><body/></html>")

    done = run_newswire("feeds", "import", bad, cwd=tmp_path)

    assert "not an OPML file" in one_line_error(done, 2)
    assert (tmp_path / "feeds.yaml").read_text(encoding="utf-8") == ORIGINAL


def test_opml_folders_and_names() -> None:
    data = (
        b'<?xml version="1.0"?><opml version="1.0"><head/><body>'
        b'<outline text="World"><outline text="BBC &amp; co" xmlUrl="https://b.example/rss"/>'
        b"</outline><outline title='Solo' xmlUrl=' https://s.example/feed '/>"
        b'<outline text="no url"/></body></opml>'
    )
    outlines = read_opml(data)
    assert [(o.url, o.title, o.folder) for o in outlines] == [
        ("https://b.example/rss", "BBC & co", "World"),
        ("https://s.example/feed", "Solo", None),
    ]
    with pytest.raises(OpmlError, match="not valid XML"):
        read_opml(b"<opml><body>")
    feeds = load_config(DATA.parent.parent / "feeds.yaml").feeds
    root = ET.fromstring(export_opml(feeds))
    assert [o.get("xmlUrl") for o in root.iter("outline")] == [f.url for f in feeds]
