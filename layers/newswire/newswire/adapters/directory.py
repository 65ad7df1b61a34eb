"""The embedded backend's ContentStore: Markdown files (and the site's pages) in a directory."""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

from newswire.ports import StorageError

O_BINARY = getattr(os, "O_BINARY", 0)  # Windows: no newline translation
MAX_FOLDERS_KNOWN = 1024
"""A run writes into a few folders (sections × months); a site build into more (tags, pages)."""


class DirectoryStore:
    """ContentStore on a local directory. Never writes outside `root`."""

    shared_between_processes = True
    """What one process writes here every other one reads: a full site build's child processes
    write their pages into it (newswire.site.processes)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root).resolve()
        self._inside = os.path.join(self.root, "")  # the root and a separator
        self._folders: dict[str, tuple[tuple[str, int, int], ...]] = {}
        """Folders found inside the root through no link: folder → (path, device, inode) of
        each component from the root down to the folder."""

    def _path(self, key: str) -> Path:
        if "\x00" in key:
            raise StorageError(f"refusing a key with a NUL character: {key!r}")
        path = (self.root / key).resolve()
        if not path.is_relative_to(self.root) or path == self.root:
            raise StorageError(f"refusing a key outside the content directory: {key!r}")
        return path

    def _target(self, key: str) -> str:
        """Where a write of `key` goes: a name in a folder whose real path is inside the root,
        so that a symlinked folder cannot lead out. The name itself is never followed: link()
        and rename() make or replace that directory entry, whatever it is. (Cheaper than
        _path's resolve() of every component, which a write of each article paid.)"""
        if "\x00" in key:
            raise StorageError(f"refusing a key with a NUL character: {key!r}")
        # A key that leaves the root lexically ("..", absolute, empty) names a folder outside
        # it too, so the folder's real path is the one check.
        folder, name = os.path.split(os.path.normpath(os.path.join(self.root, key)))
        return os.path.join(self._real_folder(folder, key), name)

    def _real_folder(self, folder: str, key: str) -> str:
        """The real path of `folder`, refused unless it is inside the root. realpath() takes an
        lstat() of every component from the file system's root and Python's work for each
        (most of a small page's write): a folder found inside before, through no link, is known
        again by an lstat() of each component from the content root down, each still no link
        and still the same directory (device and inode). A moved folder keeps its inode, so
        each component is checked, not only the last one: a folder moved out and a link to it
        put in its place, at any level, is caught, and the folder checked in full again."""
        known = self._folders.get(folder)
        if known is not None and all(_same_directory(*component) for component in known):
            return folder
        real = os.path.realpath(folder)
        if not os.path.join(real, "").startswith(self._inside):
            raise StorageError(f"refusing a key outside the content directory: {key!r}")
        if real == folder:  # no link on the way: remembered (one through a link is not)
            components = _components(str(self.root), folder)
            if components is not None:
                if len(self._folders) >= MAX_FOLDERS_KNOWN:
                    self._folders.clear()
                self._folders[folder] = components
        return real

    def _temp_file(self, path: str, body: bytes) -> str:
        # Not tempfile.mkstemp: it creates files 0600, and a file renamed into place keeps its
        # mode, so a web server running as another user could not read the site. Created
        # 0666 here, the process umask makes it the usual 0644 (directories: 0777 → 0755).
        folder, made = os.path.dirname(path), False
        while True:
            temp = os.path.join(folder, f".tmp-{secrets.token_hex(8)}.part")
            try:
                handle = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | O_BINARY, 0o666)
            except FileExistsError:
                continue
            except FileNotFoundError:
                # The folder's first file: made here, not checked before every write.
                if made:
                    raise
                os.makedirs(folder, exist_ok=True)
                made = True
                continue
            break
        try:
            try:
                # os.write, not a file object around the descriptor: one call, no buffer.
                data = memoryview(body)
                while data:
                    written = os.write(handle, data)
                    if not written:
                        raise OSError(errno.EIO, "nothing written")
                    data = data[written:]
            finally:
                os.close(handle)
        except BaseException:
            _unlink(temp)
            raise
        return temp

    def put_new(self, key: str, body: bytes) -> bool:
        path = self._target(key)
        try:
            temp = self._temp_file(path, body)
            try:
                # link() fails if the target exists: an atomic create-if-absent.
                os.link(temp, path)
            except FileExistsError:
                return False
            finally:
                _unlink(temp)
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from exc
        return True

    def put(
        self,
        key: str,
        body: bytes,
        *,
        content_type: str | None = None,
        cache_control: str | None = None,
    ) -> None:
        # A directory has no per-file headers: `newswire serve` derives them from the name.
        path = self._target(key)
        try:
            temp = self._temp_file(path, body)
            try:
                os.replace(temp, path)
            finally:
                _unlink(temp)  # gone after a replace; left over after a failure
        except OSError as exc:
            raise StorageError(f"cannot write {path}: {exc.strerror}") from exc

    def get(self, key: str) -> bytes | None:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StorageError(f"cannot read {key}: {exc.strerror}") from exc

    def delete(self, key: str) -> None:
        path = self._path(key)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise StorageError(f"cannot delete {path}: {exc.strerror}") from exc

    def keys(self, prefix: str) -> Iterator[str]:
        # Walk only the folder the prefix names ("tags/" → tags/), not the whole tree: the
        # site's folders sit next to content/, which holds every article.
        folder, _, start = prefix.rpartition("/")
        base = os.path.join(self.root, folder) if folder else str(self.root)
        try:
            entries = list(os.scandir(base))
        except OSError:
            return
        for entry in entries:
            if not entry.name.startswith(start):
                continue
            if entry.is_dir(follow_symlinks=False):
                for top, _, files in os.walk(entry.path):
                    relative = Path(top).relative_to(self.root).as_posix()
                    yield from (
                        f"{relative}/{name}" for name in files if not name.startswith(".tmp-")
                    )
            elif entry.is_file() and not entry.name.startswith(".tmp-"):
                yield f"{folder}/{entry.name}" if folder else entry.name


def _unlink(path: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def _components(root: str, folder: str) -> tuple[tuple[str, int, int], ...] | None:
    """(path, device, inode) of the root and each folder from it down to `folder`; None when
    one of them is missing (not made yet: its first write makes it) or not a plain folder."""
    paths = [root]
    for part in os.path.relpath(folder, root).split(os.sep):
        if part != os.curdir:
            paths.append(os.path.join(paths[-1], part))
    found = []
    for path in paths:
        try:
            status = os.lstat(path)
        except OSError:
            return None
        if not stat.S_ISDIR(status.st_mode):
            return None
        found.append((path, status.st_dev, status.st_ino))
    return tuple(found)


def _same_directory(path: str, device: int, inode: int) -> bool:
    try:
        status = os.lstat(path)
    except OSError:
        return False
    # A link's own lstat() is never a directory's: a component swapped for one fails here.
    return stat.S_ISDIR(status.st_mode) and (status.st_dev, status.st_ino) == (device, inode)
