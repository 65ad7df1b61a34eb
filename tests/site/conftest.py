"""The site tests' one hook: say where the browser tests saved their screenshots."""

from __future__ import annotations

from pathlib import Path

import pytest

SCREENSHOTS = pytest.StashKey[Path]()


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    folder = config.stash.get(SCREENSHOTS, None)
    if folder is not None:
        terminalreporter.write_line(f"site screenshots (desktop 1280 and phone 390 wide): {folder}")
