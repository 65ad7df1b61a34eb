"""The `newswire` command: run the ingest and look after the site, on either backend.

One module per command group; this one assembles the parser and turns every expected failure
into one line on stderr and an exit status (listed in `newswire --help` and the README).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from typing import cast

from newswire import __version__
from newswire.bootstrap import build_index, build_store
from newswire.cli.browse import (
    add_list_command,
    add_redrive_command,
    add_reindex_command,
    cmd_list,
    cmd_redrive,
    cmd_reindex,
)
from newswire.cli.common import (
    EXIT_FAILED,
    EXIT_STATUSES,
    EXIT_USAGE,
    Parser,
    backend_options,
    require_site,
    settings_from,
)
from newswire.cli.feeds import add_feeds_command
from newswire.cli.moderate import add_moderation_commands
from newswire.cli.run import add_run_command, cmd_run
from newswire.cli.site import add_site_commands, base_url, cmd_serve, cmd_site
from newswire.config import ConfigError
from newswire.logs import configure_logging, terminal_safe_output
from newswire.ports import StorageError

DESCRIPTION = """\
newswire turns news feeds (Google News topics and searches, any RSS or Atom feed) into
Hugo-ready Markdown files and indexes every article, so nothing is written twice.

By default it works on the embedded backend: Markdown under SITE_DIR/content and the index
in SITE_DIR/newswire.sqlite3. Give --bucket and --table to use S3 and DynamoDB instead
(with --endpoint-url for a local stand-in such as moto's server).
"""

EPILOG = f"""\
examples:
  newswire run                               ingest the feeds in feeds.yaml into ./site
  newswire run tests/data/google-news-world.xml   ingest one local file (offline demo)
  newswire run https://example.com/feed.xml  ingest one feed by URL
  newswire list --limit 10 --since 24h       the ten newest articles of the last day
  newswire list --json --feed google-news-world
  newswire feeds                             every feed's health: last fetch, errors, back-off
  newswire reindex                           rebuild a lost index from the Markdown files
  newswire site --full                       render every page of the HTML site
  newswire serve                             preview the site at http://127.0.0.1:8000/

{EXIT_STATUSES}"""

# Exit status of a command whose output was closed early (`newswire list | head -1`), as a
# program ended by SIGPIPE.
EXIT_PIPE_CLOSED = 141


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="newswire",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"newswire {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log detail (-v info, -vv debug)"
    )
    parser.add_argument(
        "--log-format", choices=("text", "json"), default="text",
        help="log lines on stderr as text or as JSON objects (default: text)",
    )  # fmt: skip
    # Subcommand parsers are Parsers too (one-line errors); the add_* helpers take the base type.
    commands = cast(
        "argparse._SubParsersAction[argparse.ArgumentParser]",
        parser.add_subparsers(dest="command", required=True, metavar="COMMAND"),
    )
    add_run_command(commands)
    commands.choices["run"].set_defaults(handler=cmd_run)
    add_list_command(commands)
    commands.choices["list"].set_defaults(handler=cmd_list)
    add_feeds_command(commands)
    add_reindex_command(commands)
    commands.choices["reindex"].set_defaults(handler=cmd_reindex)
    add_redrive_command(commands)
    commands.choices["redrive"].set_defaults(handler=cmd_redrive)
    add_moderation_commands(commands)
    add_site_commands(commands, backend_options)
    commands.choices["site"].set_defaults(handler=_cmd_site)
    commands.choices["serve"].set_defaults(handler=cmd_serve)
    return parser


def _cmd_site(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    base_url(args, settings)  # a bad --base-url before a missing site
    if not settings.uses_aws:
        require_site(args.site_dir)
    return cmd_site(args, build_store(settings), build_index(settings), settings)


def main(argv: Sequence[str] | None = None) -> int:
    # Titles, reason phrases and feed names come from elsewhere: nothing printed may drive
    # the terminal (escape sequences) or hide text (bidi overrides).
    with terminal_safe_output():
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbosity=args.verbose, json_lines=args.log_format == "json")
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        status = int(handler(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the guard
        return status
    except BrokenPipeError:
        # The reader went away (`| head -1`): stop quietly. stdout is pointed at /dev/null so
        # that the interpreter's own flush at exit does not fail again.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_PIPE_CLOSED
    except StorageError as exc:
        print(f"newswire: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except (ConfigError, ValueError) as exc:
        print(f"newswire: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "newswire: interrupted; the next run picks up what was not committed", file=sys.stderr
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
