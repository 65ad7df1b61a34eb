"""What every `newswire` command shares: exit statuses, argument types, the backend options,
and the guard that keeps read-only commands from creating a site where none is."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TypeAlias

from newswire.bootstrap import INDEX_FILE, Settings
from newswire.config import DURATION, ConfigError, parse_duration
from newswire.language import normalize_language

if TYPE_CHECKING:
    Commands: TypeAlias = argparse._SubParsersAction[argparse.ArgumentParser]
else:
    Commands = argparse._SubParsersAction

EXIT_OK, EXIT_FAILED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3
EXIT_STATUSES = """\
exit status:
  0  done (every feed read or not modified)
  1  a feed failed, a page or record could not be written, or the port is busy
  2  usage or configuration error (bad option, invalid feeds.yaml, no site in --site-dir)
  3  a feed was skipped because another run is ingesting it (nothing failed; retry later)
"""


class UsageError(ConfigError):
    """The command line asks for something that cannot be done; exits 2 with the message."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors: the reason and where to read more, not the usage text."""

    def error(self, message: str) -> NoReturn:
        print(f"{self.prog}: error: {message} (see `{self.prog} --help`)", file=sys.stderr)
        raise SystemExit(EXIT_USAGE)


def examples(*lines: str) -> str:
    """An epilog of examples for a command's --help."""
    return "example" + ("s" if len(lines) > 1 else "") + ":\n" + "\n".join(f"  {x}" for x in lines)


def add_command(
    commands: Commands, name: str, *, help: str, description: str, example: list[str]
) -> argparse.ArgumentParser:
    """A (sub)command whose --help ends with its examples, laid out as written."""
    return commands.add_parser(
        name, help=help, description=description, epilog=examples(*example),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip


def positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a whole number") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more (got {number})")
    return number


def language_tag(value: str) -> str:
    language = normalize_language(value)
    if language is None:
        raise argparse.ArgumentTypeError(f"{value!r} is not a language tag such as en, de or pt-BR")
    return language


def duration(value: str) -> timedelta:
    try:
        return parse_duration(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def since(value: str) -> datetime:
    """`24h`, `7d`, `30m`, or an ISO date or timestamp."""
    if DURATION.fullmatch(value.strip()):
        return datetime.now(UTC) - duration(value)
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a duration (24h, 7d) or an ISO date (2026-01-31)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def backend_options(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("storage (embedded backend unless --bucket/--table)")
    group.add_argument(
        "--site-dir", type=Path, default=Path("site"), metavar="DIR",
        help="embedded backend: directory for content/ and the SQLite index (default: ./site)",
    )  # fmt: skip
    group.add_argument("--bucket", help="AWS backend: the S3 bucket for the Markdown files")
    group.add_argument("--table", help="AWS backend: the DynamoDB table of the index")
    group.add_argument(
        "--endpoint-url", help="AWS backend: endpoint for S3 and DynamoDB (e.g. moto's server)"
    )
    group.add_argument("--region", help="AWS backend: region (default: from the environment)")


def settings_from(args: argparse.Namespace, *, existing: bool = False, **extra: Any) -> Settings:
    """The backend the options name. `existing`: the command only reads or edits a site, so on
    the embedded backend --site-dir must already hold one (a mistyped directory is an error,
    never a new empty site)."""
    if bool(args.bucket) != bool(args.table):
        raise UsageError("give both --bucket and --table for the AWS backend, or neither")
    settings = Settings.for_cli(
        site_dir=args.site_dir,
        bucket=args.bucket,
        table=args.table,
        endpoint_url=args.endpoint_url,
        region=args.region,
        **extra,
    )
    if existing and not settings.uses_aws:
        require_site(args.site_dir)
    return settings


def require_site(site_dir: Path) -> None:
    """Refuse a directory that holds no newswire site: neither an index nor Markdown (a site
    whose index was lost still is one: `newswire reindex` rebuilds the index from its pages)."""
    if (site_dir / INDEX_FILE).is_file() or (site_dir / "content").is_dir():
        return
    raise UsageError(
        f"{site_dir} holds no newswire site (no {INDEX_FILE}, no content/); check --site-dir, "
        "or create one with `newswire run`"
    )
