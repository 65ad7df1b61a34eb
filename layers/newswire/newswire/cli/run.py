"""`newswire run`: ingest the feeds, update the site, print what happened."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, TextIO

from newswire.bootstrap import Settings, build_ingestor
from newswire.cli.common import (
    EXIT_BUSY,
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    backend_options,
    examples,
    language_tag,
    positive_int,
    settings_from,
)
from newswire.cli.site import SiteOutcome, add_site_options, build_after_run
from newswire.config import feeds_from_urls, load_config
from newswire.enrich import EnrichOptions
from newswire.logs import escape_controls, unescaped
from newswire.models import FeedResult, RunSummary

DEFAULT_CONFIG = Path("feeds.yaml")


def add_run_command(commands: Commands) -> None:
    run = commands.add_parser(
        "run", help="fetch the feeds and write new or changed articles",
        description="Fetch every enabled feed (in parallel), write new and changed articles as "
        "Markdown, index them, and print a summary.",
        epilog=examples(
            "newswire run                          the feeds of ./feeds.yaml into ./site",
            "newswire run tests/data/google-news-world.xml --no-site",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    run.add_argument(
        "feeds", nargs="*", metavar="FEED",
        help="feed URLs or local files to ingest instead of the config's feeds (the config's "
        "allow_hosts still apply)",
    )  # fmt: skip
    run.add_argument(
        "-c", "--config", type=Path, default=None,
        help="the feeds file (default: ./feeds.yaml)",
    )  # fmt: skip
    run.add_argument(
        "--section", default="news", help="section for FEEDs given on the command line"
    )
    run.add_argument(
        "--language", type=language_tag, default=None, metavar="TAG",
        help="language of the FEEDs given on the command line (e.g. de, uk, pt-BR; default: "
        "what each feed declares, else English)",
    )  # fmt: skip
    run.add_argument(
        "--workers", type=positive_int, default=32, help="feeds fetched at once (default: 32)"
    )
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
    backend_options(run)
    add_site_options(run, for_run=True)


class _Progress:
    """A progress bar on a terminal; nothing when the output is piped or --quiet."""

    def __init__(self, total: int, enabled: bool) -> None:
        self.bar: Any = None
        if enabled and sys.stderr.isatty():
            from tqdm import tqdm

            stderr = unescaped(sys.stderr)  # the bar redraws its line with CR
            self.bar = tqdm(total=total, unit="feed", file=stderr, leave=False)

    def __call__(self, result: FeedResult) -> None:
        if self.bar is not None:
            self.bar.set_postfix_str(escape_controls(result.feed_id[:30]), refresh=False)
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
        + (f", {c['skipped_items']} skipped (bad content)" if c["skipped_items"] else "")
        + (f", {c['failed_items']} not stored (will retry)" if c["failed_items"] else "")
        + (f", {c['filtered']} filtered out" if c["filtered"] else ""),
        file=out,
    )
    _print_results("problems:", [r for r in summary.results if r.error and not r.busy], out)
    _print_results("warnings:", [r for r in summary.results if r.busy], out)
    site_line = site.line() if site is not None else None
    if site_line:
        print(site_line, file=out)
    if c["new"] or c["updated"]:
        print(f"stored in {settings.describe()}", file=out)
    else:
        print("nothing stored: no new or changed article", file=out)


def _print_results(heading: str, results: list[FeedResult], out: TextIO) -> None:
    if not results:
        return
    print(heading, file=out)
    width = max(len(r.feed_id) for r in results)
    for r in results:
        print(f"  {r.feed_id:<{width}}  {r.error}", file=out)


def cmd_run(args: argparse.Namespace) -> int:
    allow_local = True  # the CLI user chose these paths; the Lambda never allows local files
    allow_hosts = list(args.allow_host)
    enrich = EnrichOptions()
    config_path = args.config or DEFAULT_CONFIG
    if args.feeds:
        feeds = feeds_from_urls(args.feeds, section=args.section, language=args.language)
        # The feeds file's allow_hosts are the user's standing permission: they hold for
        # feeds named on the command line too (an explicit -c must exist; ./feeds.yaml may not).
        if args.config is not None or config_path.exists():
            allow_hosts = [*load_config(config_path).allow_hosts, *allow_hosts]
    else:
        config = load_config(config_path)
        feeds, allow_hosts = config.feeds, [*config.allow_hosts, *allow_hosts]
        enrich = config.enrich
    enrich = dataclasses.replace(
        enrich,
        og_image=enrich.og_image or args.og_image,
        google_news_urls=enrich.google_news_urls or args.resolve_google_news,
    )
    settings = settings_from(
        args,
        workers=args.workers,
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
    site = build_after_run(args, ingestor.store, ingestor.index, summary, settings=settings)
    if args.json:
        json.dump({**summary.as_dict(), **site.as_dict()}, sys.stdout, indent=2)
        print()
    else:
        print_summary(summary, settings, sys.stdout, site)
    if summary.counts["failed"] or not site.ok:
        return EXIT_FAILED
    if any(r.busy for r in summary.results):
        return EXIT_BUSY
    return EXIT_OK
