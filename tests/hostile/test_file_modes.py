"""Issue 10, class 8: what the embedded backend writes (Markdown, the HTML site, the SQLite
index and its directory) gets the usual modes under the process umask, so a web server running
as another user can read the site: 0644 files and 0755 directories with umask 022."""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from newswire.adapters.local import DirectoryStore
from newswire.cli import main

DATA = Path(__file__).resolve().parents[1] / "data"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes")


@pytest.fixture
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask: int = request.param
    previous = os.umask(mask)
    try:
        yield mask
    finally:
        os.umask(previous)


def modes(root: Path) -> dict[str, tuple[str, int]]:
    found = {".": ("dir", stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        kind = "dir" if path.is_dir() else "file"
        found[path.relative_to(root).as_posix()] = (kind, stat.S_IMODE(path.lstat().st_mode))
    return found


@pytest.mark.parametrize("umask", [0o022, 0o027, 0o002], indirect=True)
def test_a_run_and_its_site_get_the_usual_modes(
    tmp_path: Path, umask: int, restore_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    site = tmp_path / "deep" / "site"
    status = main(["run", "--quiet", "--site-dir", str(site), str(DATA / "rss-basic.xml")])
    assert status == 0, capsys.readouterr()
    found = modes(site)
    kinds = {path.rsplit("/", 1)[-1].split(".")[-1] for path, (kind, _) in found.items()}
    assert {"md", "html", "sqlite3", "xml"} <= kinds, sorted(found)
    assert not [p for p in found if p.rsplit("/", 1)[-1].startswith(".tmp-")], "temp file left"
    wrong = {
        path: oct(mode)
        for path, (kind, mode) in found.items()
        if mode != (0o777 if kind == "dir" else 0o666) & ~umask
    }
    assert not wrong, f"umask {umask:03o}: {wrong}"
    assert stat.S_IMODE((tmp_path / "deep").stat().st_mode) == 0o777 & ~umask


@pytest.mark.parametrize("umask", [0o022], indirect=True)
def test_overwritten_and_new_objects_keep_the_usual_mode(tmp_path: Path, umask: int) -> None:
    store = DirectoryStore(tmp_path)
    assert store.put_new("content/a/b.md", b"one")
    store.put("content/a/b.md", b"two")
    store.put("index.html", b"<p>")
    assert not store.put_new("content/a/b.md", b"three")
    assert modes(tmp_path) == {
        ".": ("dir", 0o700),  # pytest's own
        "content": ("dir", 0o755),
        "content/a": ("dir", 0o755),
        "content/a/b.md": ("file", 0o644),
        "index.html": ("file", 0o644),
    }
    assert (tmp_path / "content/a/b.md").read_bytes() == b"two"
