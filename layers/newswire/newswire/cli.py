"""The `newswire` command: run the ingest and look at the index, on either backend."""

from __future__ import annotations

import argparse
import dataclasses
import json
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from newswire import __version__
from newswire.adapters.codec import record_to_dict
from newswire.bootstrap import Settings, aws_client, build_index, build_ingestor, build_store
from newswire.config import ConfigError, feeds_from_urls, load_config
from newswire.enrich import EnrichOptions
from newswire.logs import configure_logging
from newswire.models import FeedResult, FeedStatus, RunSummary
from newswire.ports import ArticleIndex, ContentStore, StorageError
from newswire.reindex import reindex
from newswire.site.commands import (
    SiteOutcome,
    add_site_commands,
    add_site_options,
    build_after_run,
    cmd_serve,
    cmd_site,
)

EXIT_OK, EXIT_FEEDS_FAILED, EXIT_USAGE = 0, 1, 2

DESCRIPTION = """\
newswire turns news feeds (Google News topics and searches, any RSS or Atom feed) into
Hugo-ready Markdown files and indexes every article, so nothing is written twice.

By default it works on the embedded backend: Markdown under SITE_DIR/content and the index
in SITE_DIR/newswire.sqlite3. Give --bucket and --table to use S3 and DynamoDB instead
(with --endpoint-url for a local stand-in such as moto's server).
"""

EPILOG = """\
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

exit status: 0 when every feed was read (or was not modified), 1 when a feed failed (or
the site could not be updated), 2 for a usage or configuration error.
"""


def _backend_options(parser: argparse.ArgumentParser) -> None:
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


def _since(value: str) -> datetime:
    """`24h`, `7d`, `30m`, or an ISO date or timestamp."""
    match = re.fullmatch(r"(\d+)\s*([mhd])", value.strip())
    if match:
        amount, unit = int(match.group(1)), match.group(2)
        delta = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1)}[unit]
        return datetime.now(UTC) - amount * delta
    try:
        when = datetime.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a duration (24h, 7d) or an ISO date (2026-01-31)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
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
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser(
        "run", help="fetch the feeds and write new or changed articles",
        description="Fetch every enabled feed (in parallel), write new and changed articles as "
        "Markdown, index them, and print a summary.",
    )  # fmt: skip
    run.add_argument(
        "feeds", nargs="*", metavar="FEED",
        help="feed URLs or local files to ingest instead of the config's feeds",
    )  # fmt: skip
    run.add_argument(
        "-c", "--config", type=Path, default=Path("feeds.yaml"),
        help="the feeds file (default: ./feeds.yaml)",
    )  # fmt: skip
    run.add_argument(
        "--section", default="news", help="section for FEEDs given on the command line"
    )
    run.add_argument("--workers", type=int, default=32, help="feeds fetched at once (default: 32)")
    run.add_argument(
        "--allow-host", action="append", default=[], metavar="HOST_OR_CIDR",
        help="also fetch from this private host or network (repeatable; feeds on loopback or "
        "private addresses are refused otherwise). Same as NEWSWIRE_ALLOW_HOSTS.",
    )  # fmt: skip
    run.add_argument(
        "--og-image", action="store_true",
        help="for articles without an image, read og:image from the article page (opt-in)",
    )  # fmt: skip
    run.add_argument(
        "--resolve-google-news", action="store_true",
        help="ask Google for the publisher URL behind new-style Google News links "
        "(opt-in; rate-limited and time-boxed)",
    )  # fmt: skip
    run.add_argument("--json", action="store_true", help="print the summary as JSON")
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    _backend_options(run)
    add_site_options(run, for_run=True)

    show = commands.add_parser(
        "list", help="show the latest articles from the index",
        description="List indexed articles, newest first.",
    )  # fmt: skip
    show.add_argument("--feed", help="only articles of this feed (its name in feeds.yaml)")
    show.add_argument(
        "--since", type=_since, help="only articles newer than this: 24h, 7d, or 2026-01-31"
    )
    show.add_argument("--limit", type=int, default=20, help="how many (default: 20)")
    show.add_argument("--json", action="store_true", help="print JSON objects, one list")
    _backend_options(show)

    feeds = commands.add_parser(
        "feeds", help="show every feed's health from the index",
        description="For each feed of the config (and any other feed the index knows): last "
        "fetch, last status, consecutive errors, next fetch not before, articles total.",
    )  # fmt: skip
    feeds.add_argument(
        "-c", "--config", type=Path, default=Path("feeds.yaml"),
        help="the feeds file (default: ./feeds.yaml; missing is fine)",
    )  # fmt: skip
    feeds.add_argument("--json", action="store_true", help="print JSON objects, one list")
    _backend_options(feeds)

    rebuild = commands.add_parser(
        "reindex", help="rebuild the index from the stored Markdown files",
        description="Read every content/**/*.md page and (re)create its index record and slug "
        "claim: a lost or damaged index is recovered from the pages themselves.",
    )  # fmt: skip
    _backend_options(rebuild)

    redrive = commands.add_parser(
        "redrive", help="move failed feed messages from the dead-letter queue back to the queue",
        description="After fixing what made feeds fail, send the dead-letter queue's messages "
        "back to the feed queue (sent first, deleted second: nothing is lost on a crash).",
    )  # fmt: skip
    redrive.add_argument("--queue-url", required=True, help="the feed queue (stack output)")
    redrive.add_argument("--dlq-url", required=True, help="its dead-letter queue (stack output)")
    redrive.add_argument("--endpoint-url", help="SQS endpoint (e.g. moto's server)")
    redrive.add_argument("--region", help="region (default: from the environment)")
    add_site_commands(commands, _backend_options)
    return parser


def _settings(args: argparse.Namespace, **extra: Any) -> Settings:
    if bool(args.bucket) != bool(args.table):
        raise ConfigError("give both --bucket and --table for the AWS backend, or neither")
    return Settings(
        site_dir=args.site_dir,
        bucket=args.bucket,
        table=args.table,
        endpoint_url=args.endpoint_url,
        region=args.region,
        **extra,
    )


class _Progress:
    """A progress bar on a terminal; nothing when the output is piped or --quiet."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="feed", file=sys.stderr, leave=False)

    def __call__(self, result: FeedResult) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(result.feed_id[:30], refresh=False)
            self.bar.update(1)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()


def print_summary(
    summary: RunSummary, settings: Settings, out: TextIO, site: SiteOutcome | None = None
) -> None:
    c = summary.counts
    total = len(summary.results)
    print(
        f"newswire: {total} feed(s) in {summary.seconds:.1f} s: {c['fetched']} fetched, "
        f"{c['not_modified']} not modified, {c['skipped']} skipped, {c['failed']} failed",
        file=out,
    )
    print(
        f"articles: {c['new']} new, {c['updated']} updated, {c['unchanged']} unchanged"
        + (f", {c['failed_items']} failed (retried next run)" if c["failed_items"] else ""),
        file=out,
    )
    failed = [r for r in summary.results if r.status is FeedStatus.FAILED or r.error]
    if failed:
        print("problems:", file=out)
        width = max(len(r.feed_id) for r in failed)
        for r in failed:
            print(f"  {r.feed_id:<{width}}  {r.error}", file=out)
    site_line = site.line() if site is not None else None
    if site_line:
        print(site_line, file=out)
    print(f"stored in {settings.describe()}", file=out)


def cmd_run(args: argparse.Namespace) -> int:
    allow_local = True  # the CLI user chose these paths; the Lambda never allows local files
    allow_hosts = list(args.allow_host)
    enrich = EnrichOptions()
    if args.feeds:
        feeds = feeds_from_urls(args.feeds, section=args.section)
    else:
        config = load_config(args.config)
        feeds, allow_hosts = config.feeds, [*config.allow_hosts, *allow_hosts]
        enrich = config.enrich
    enrich = dataclasses.replace(
        enrich,
        og_image=enrich.og_image or args.og_image,
        google_news_urls=enrich.google_news_urls or args.resolve_google_news,
    )
    settings = _settings(
        args,
        workers=max(1, args.workers),
        allow_local=allow_local,
        allow_hosts=tuple(allow_hosts),
        enrich=enrich,
    )
    ingestor = build_ingestor(settings)
    progress = _Progress(sum(f.enabled for f in feeds), enabled=not args.quiet)
    try:
        summary = ingestor.run(feeds, on_result=progress)
    finally:
        progress.close()
    site = build_after_run(
        args, ingestor.store, ingestor.index, summary, uses_aws=settings.uses_aws
    )
    if args.json:
        json.dump({**summary.as_dict(), **site.as_dict()}, sys.stdout, indent=2)
        print()
    else:
        print_summary(summary, settings, sys.stdout, site)
    return EXIT_FEEDS_FAILED if summary.counts["failed"] or not site.ok else EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    index = build_index(_settings(args))
    records = index.latest(limit=max(1, args.limit), feed=args.feed, since=args.since)
    if args.json:
        json.dump([record_to_dict(r) for r in records], sys.stdout, indent=2, ensure_ascii=False)
        print()
        return EXIT_OK
    if not records:
        print("no articles in the index yet (run `newswire run` first)")
        return EXIT_OK
    for r in records:
        when = r.date.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        publisher = f"  [{r.publisher}]" if r.publisher else ""
        print(f"{when}  {r.title}{publisher}\n                  {r.key}  ({', '.join(r.feeds)})")
    return EXIT_OK


def _age(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if when else "-"


def cmd_feeds(args: argparse.Namespace) -> int:
    configured = load_config(args.config).feeds if args.config.exists() else ()
    index = build_index(_settings(args))
    states = {s.feed_id: s for s in index.feed_states()}
    names = [f.feed_id for f in configured] + sorted(set(states) - {f.feed_id for f in configured})
    rows = []
    for name in names:
        state = states.get(name)
        rows.append({
            "feed": name,
            "configured": name in {f.feed_id for f in configured},
            "last_fetch": state.last_fetch.isoformat() if state and state.last_fetch else None,
            "last_status": state.last_status if state else "never fetched",
            "consecutive_errors": state.consecutive_errors if state else 0,
            "not_before": state.not_before.isoformat() if state and state.not_before else None,
            "articles_total": state.articles_total if state else 0,
        })  # fmt: skip
    if args.json:
        json.dump(rows, sys.stdout, indent=2, ensure_ascii=False)
        print()
        return EXIT_OK
    width = max([len(name) for name in names] + [4])
    print(f"{'feed':<{width}}  {'last fetch':<16}  errors  {'not before':<16}  articles  status")
    for r, name in zip(rows, names, strict=True):
        state = states.get(name)
        print(
            f"{name:<{width}}  {_age(state.last_fetch if state else None):<16}  "
            f"{r['consecutive_errors']:>6}  {_age(state.not_before if state else None):<16}  "
            f"{r['articles_total']:>8}  {r['last_status']}"
        )
    return EXIT_OK


def cmd_reindex(args: argparse.Namespace) -> int:
    settings = _settings(args)
    summary = reindex(build_store(settings), build_index(settings))
    print(
        f"reindexed {summary.added + summary.replaced} page(s): {summary.added} added, "
        f"{summary.replaced} already indexed (refreshed), {len(summary.failed)} failed"
    )
    for problem in summary.failed:
        print(f"  {problem}")
    return EXIT_FEEDS_FAILED if summary.failed else EXIT_OK


def cmd_redrive(args: argparse.Namespace) -> int:
    from newswire.adapters.sqs import SqsFeedQueue

    settings = Settings(endpoint_url=args.endpoint_url, region=args.region)
    queue = SqsFeedQueue(aws_client("sqs", settings), args.queue_url)
    moved = queue.redrive(args.dlq_url)
    print(f"moved {moved} message(s) from the dead-letter queue back to the feed queue")
    return EXIT_OK


COMMANDS = {
    "run": cmd_run,
    "list": cmd_list,
    "feeds": cmd_feeds,
    "reindex": cmd_reindex,
    "redrive": cmd_redrive,
    "site": lambda args: cmd_site(args, *_site_backend(args)),
    "serve": cmd_serve,
}


def _site_backend(args: argparse.Namespace) -> tuple[ContentStore, ArticleIndex, bool]:
    settings = _settings(args)
    return build_store(settings), build_index(settings), settings.uses_aws


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    configure_logging(verbosity=args.verbose, json_lines=args.log_format == "json")
    try:
        return int(COMMANDS[args.command](args))
    except (ConfigError, StorageError, ValueError) as exc:
        print(f"newswire: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print(
            "newswire: interrupted; the next run picks up what was not committed", file=sys.stderr
        )
        return 130


if __name__ == "__main__":
    sys.exit(main())
