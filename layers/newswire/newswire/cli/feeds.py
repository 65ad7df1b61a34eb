"""`newswire feeds`: every feed's health."""

from __future__ import annotations

import argparse
from pathlib import Path

from newswire.cli.browse import cmd_feeds_health
from newswire.cli.common import Commands, backend_options, examples


def add_feeds_command(commands: Commands) -> None:
    feeds = commands.add_parser(
        "feeds", help="show every feed's health from the index",
        description="For each feed of the config (and any other feed the index knows): last "
        "fetch, last status, consecutive errors, next fetch not before, articles total.",
        epilog=examples("newswire feeds --json | jq '.[] | select(.consecutive_errors > 0)'"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    feeds.add_argument(
        "-c", "--config", type=Path, default=Path("feeds.yaml"),
        help="the feeds file (default: ./feeds.yaml; missing is fine)",
    )  # fmt: skip
    feeds.add_argument("--json", action="store_true", help="print JSON objects, one list")
    backend_options(feeds)
    feeds.set_defaults(handler=cmd_feeds_health)
