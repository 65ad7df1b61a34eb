"""The commands that look at an existing site: `list`, `feeds` (health), `reindex`, `redrive`."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswire.adapters.codec import record_to_dict
from newswire.bootstrap import Settings, build_feed_queue, build_index, build_store
from newswire.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    backend_options,
    examples,
    positive_int,
    settings_from,
    since,
)
from newswire.config import load_config
from newswire.ports import ArticleIndex
from newswire.reindex import reindex


def add_list_command(commands: Commands) -> None:
    show = commands.add_parser(
        "list", help="show the latest articles from the index",
        description="List indexed articles, newest first.",
        epilog=examples(
            "newswire list --limit 10 --since 24h     the ten newest of the last day",
            "newswire list --json --feed google-news-world",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    show.add_argument("--feed", help="only articles of this feed (its name in feeds.yaml)")
    show.add_argument(
        "--since", type=since, help="only articles newer than this: 24h, 7d, or 2026-01-31"
    )
    show.add_argument("--limit", type=positive_int, default=20, help="how many (default: 20)")
    show.add_argument("--json", action="store_true", help="print JSON objects, one list")
    backend_options(show)


def add_reindex_command(commands: Commands) -> None:
    rebuild = commands.add_parser(
        "reindex", help="rebuild the index from the stored Markdown files",
        description="Read every content/**/*.md page and (re)create its index record and slug "
        "claim: a lost or damaged index is recovered from the pages themselves.",
        epilog=examples("newswire reindex --site-dir site"),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    rebuild.add_argument(
        "--remove-duplicates", action="store_true",
        help="delete a page whose article another page already holds (reported either way)",
    )  # fmt: skip
    backend_options(rebuild)


def add_redrive_command(commands: Commands) -> None:
    redrive = commands.add_parser(
        "redrive", help="move failed feed messages from the dead-letter queue back to the queue",
        description="After fixing what made feeds fail, send the dead-letter queue's messages "
        "back to the feed queue (sent first, deleted second: nothing is lost on a crash).",
        epilog=examples(
            "newswire redrive --queue-url https://sqs.eu-west-1.amazonaws.com/123/feeds \\",
            "                 --dlq-url https://sqs.eu-west-1.amazonaws.com/123/feeds-dlq",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    redrive.add_argument("--queue-url", required=True, help="the feed queue (stack output)")
    redrive.add_argument("--dlq-url", required=True, help="its dead-letter queue (stack output)")
    redrive.add_argument("--endpoint-url", help="SQS endpoint (e.g. moto's server)")
    redrive.add_argument("--region", help="region (default: from the environment)")


def empty_reason(index: ArticleIndex, args: argparse.Namespace) -> str:
    """Why `list` found nothing: the filter that emptied it, or an empty index."""
    if not index.latest(limit=1):
        return "no articles in the index yet (run `newswire run` first)"
    if args.feed is not None and not index.latest(limit=1, feed=args.feed):
        return f"no articles of feed {args.feed!r} (`newswire feeds` lists the feeds)"
    if args.since is None:  # an eventually consistent index caught between writes
        return "no articles listed yet (try again in a moment)"
    newest = index.latest(limit=1, feed=args.feed)
    when = newest[0].date.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if newest else "?"
    of_feed = f" of feed {args.feed!r}" if args.feed is not None else ""
    return f"no articles{of_feed} since {_when(args.since)} (the newest is from {when})"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def cmd_list(args: argparse.Namespace) -> int:
    index = build_index(settings_from(args, existing=True))
    records = index.latest(limit=args.limit, feed=args.feed, since=args.since)
    if args.json:
        json.dump([record_to_dict(r) for r in records], sys.stdout, indent=2, ensure_ascii=False)
        print()
        if not records:
            print(f"newswire: {empty_reason(index, args)}", file=sys.stderr)
        return EXIT_OK
    if not records:
        print(empty_reason(index, args))
        return EXIT_OK
    for r in records:
        when = r.date.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
        publisher = f"  [{r.publisher}]" if r.publisher else ""
        print(f"{when}  {r.title}{publisher}\n                  {r.key}  ({', '.join(r.feeds)})")
    return EXIT_OK


def _age(when: datetime | None) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if when else "-"


def cmd_feeds_health(args: argparse.Namespace) -> int:
    config: Path = args.config
    configured = load_config(config).feeds if config.exists() else ()
    index = build_index(settings_from(args, existing=True))
    states = {s.feed_id: s for s in index.feed_states()}
    names = [f.feed_id for f in configured] + sorted(set(states) - {f.feed_id for f in configured})
    rows: list[dict[str, Any]] = []
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
    settings = settings_from(args, existing=True)
    summary = reindex(
        build_store(settings), build_index(settings), remove_duplicates=args.remove_duplicates
    )
    print(
        f"reindexed {summary.added + summary.replaced} page(s): {summary.added} added, "
        f"{summary.replaced} already indexed (refreshed), {len(summary.failed)} failed"
        + (f", {len(summary.duplicates)} duplicate(s)" if summary.duplicates else "")
        + (f", {len(summary.removed)} removed" if summary.removed else "")
    )
    for problem in (*summary.failed, *summary.duplicates):
        print(f"  {problem}")
    if summary.duplicates and not args.remove_duplicates:
        print("  (--remove-duplicates deletes the duplicate pages)")
    return EXIT_FAILED if summary.failed else EXIT_OK


def cmd_redrive(args: argparse.Namespace) -> int:
    settings = Settings(endpoint_url=args.endpoint_url, region=args.region)
    queue = build_feed_queue(settings, args.queue_url)
    moved = queue.redrive(args.dlq_url)
    print(f"moved {moved} message(s) from the dead-letter queue back to the feed queue")
    return EXIT_OK
