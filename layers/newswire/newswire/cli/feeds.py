"""`newswire feeds`: every feed's health; `feeds add/remove/check/import/export` manage the
list in feeds.yaml (edited in place, comments kept)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newswire.bootstrap import Settings, build_fetcher
from newswire.cli.browse import cmd_feeds_health
from newswire.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    UsageError,
    add_command,
    backend_options,
    examples,
    language_tag,
    positive_int,
)
from newswire.cli.feedsfile import FeedsFile
from newswire.config import Config, feed_from_mapping, load_config
from newswire.models import Article, FeedConfig, FetchError, NotModified, ParseError
from newswire.normalize import normalize_entry
from newswire.opml import OpmlError, export_opml, read_opml
from newswire.parse import parse_feed

DEFAULT_CONFIG = Path("feeds.yaml")


def _config_option(parser: argparse.ArgumentParser, *, what: str) -> None:
    parser.add_argument(
        "-c", "--config", type=Path, default=DEFAULT_CONFIG,
        help=f"the feeds file {what} (default: ./feeds.yaml)",
    )  # fmt: skip


def add_feeds_command(commands: Commands) -> None:
    feeds = commands.add_parser(
        "feeds", help="show every feed's health; add, remove, check, import or export feeds",
        description="Without a subcommand: for each feed of the config (and any other feed the "
        "index knows), last fetch, last status, consecutive errors, next fetch not before, "
        "articles total. The subcommands edit feeds.yaml in place, keeping its comments.",
        epilog=examples(
            "newswire feeds --json | jq '.[] | select(.consecutive_errors > 0)'",
            "newswire feeds add https://example.com/feed.xml --name example --section world",
            "newswire feeds check example          what a run would ingest (writes nothing)",
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    _config_option(feeds, what="(missing is fine)")
    feeds.add_argument("--json", action="store_true", help="print JSON objects, one list")
    backend_options(feeds)
    feeds.set_defaults(handler=cmd_feeds_health)
    subs = feeds.add_subparsers(dest="feeds_command", metavar="SUBCOMMAND")

    add = add_command(
        subs, "add", help="add a feed to feeds.yaml",
        description="Append a feed to feeds.yaml (created if missing). The whole file is "
        "validated before it is written; comments and layout are kept.",
        example=["newswire feeds add https://example.com/feed.xml --name example --tag local"],
    )  # fmt: skip
    add.add_argument("url", metavar="URL", help="the feed's URL (or a local file)")
    add.add_argument("--name", help="its id in the index (default: derived from the URL)")
    add.add_argument("--section", help="its Hugo section (default: the defaults', or news)")
    add.add_argument("--category", action="append", dest="categories", metavar="CATEGORY",
                     help="a front-matter category (repeatable)")  # fmt: skip
    add.add_argument("--tag", action="append", dest="tags", metavar="TAG",
                     help="a tag put first on its articles (repeatable)")  # fmt: skip
    add.add_argument("--max-items", type=positive_int, help="entries read per fetch")
    add.add_argument("--language", type=language_tag, metavar="TAG",
                     help="its articles' language (e.g. de, uk, pt-BR; default: what the "
                     "feed declares)")  # fmt: skip
    _config_option(add, what="to edit")
    add.set_defaults(handler=cmd_feeds_add)

    remove = add_command(
        subs, "remove", help="remove a feed from feeds.yaml",
        description="Remove the feed NAME from feeds.yaml. Its articles stay in the index and "
        "on the site (`newswire prune` or `newswire delete` remove articles).",
        example=["newswire feeds remove example"],
    )  # fmt: skip
    remove.add_argument("name", metavar="NAME", help="the feed's name (see `newswire feeds`)")
    _config_option(remove, what="to edit")
    remove.set_defaults(handler=cmd_feeds_remove)

    check = add_command(
        subs, "check", help="fetch a feed once and show what a run would ingest",
        description="Fetch and parse NAME (a feed of feeds.yaml, with its settings and filters) "
        "or URL (default settings) once, and print the items a run would ingest and those its "
        "filters keep out. Writes nothing: no index, no Markdown, no feed state.",
        example=["newswire feeds check google-news-world", "newswire feeds check ./feed.xml"],
    )  # fmt: skip
    check.add_argument("target", metavar="NAME|URL")
    check.add_argument("--json", action="store_true", help="print the items as JSON")
    _config_option(check, what="to find NAME in (and its allow_hosts)")
    check.set_defaults(handler=cmd_feeds_check)

    imported = add_command(
        subs, "import", help="add the feeds of an OPML file to feeds.yaml",
        description="Add every feed (outline with an xmlUrl) of an OPML file, as feed readers "
        "export them, to feeds.yaml; feeds whose URL is configured already are skipped.",
        example=["newswire feeds import subscriptions.opml --section world"],
    )  # fmt: skip
    imported.add_argument("opml", type=Path, metavar="OPML_FILE")
    imported.add_argument("--section", help="section of the imported feeds (default: news)")
    _config_option(imported, what="to edit")
    imported.set_defaults(handler=cmd_feeds_import)

    exported = add_command(
        subs, "export", help="write the configured feeds as OPML",
        description="Print the feeds of feeds.yaml as an OPML 2.0 document (for a feed reader).",
        example=["newswire feeds export > newswire.opml"],
    )  # fmt: skip
    _config_option(exported, what="to read")
    exported.set_defaults(handler=cmd_feeds_export)


def _new_entry(args: argparse.Namespace) -> dict[str, Any]:
    entry: dict[str, Any] = {"url": args.url}
    for key in ("name", "section", "categories", "tags", "max_items", "language"):
        value = getattr(args, key)
        if value is not None:
            entry[key] = value
    return entry


def _conflict(config: Config | None, feed: FeedConfig) -> str | None:
    for known in config.feeds if config is not None else ():
        if known.name == feed.name:
            return f"a feed named {feed.name!r} is configured already (give another --name)"
        if known.url == feed.url:
            return f"{feed.url} is configured already, as {known.name!r}"
    return None


def cmd_feeds_add(args: argparse.Namespace) -> int:
    file = FeedsFile(args.config)
    entry = _new_entry(args)
    feed = feed_from_mapping(entry, where=f"{args.config}: new feed")
    problem = _conflict(file.config, feed)
    if problem:
        raise UsageError(f"{args.config}: {problem}")
    entry.setdefault("name", feed.name)  # written out: the id stays put if the URL changes
    file.append(_ordered(entry))
    file.save()
    print(f"added feed {feed.name!r} ({feed.url}) to {args.config}")
    return EXIT_OK


def _ordered(entry: dict[str, Any]) -> dict[str, Any]:
    """The entry's keys in the order feeds.yaml documents them: name first, then url."""
    order = ["name", "url", "section", "categories", "tags", "max_items", "language"]
    return {key: entry[key] for key in order if key in entry}


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    if not args.config.exists():
        raise UsageError(f"{args.config}: no such feeds file")
    file = FeedsFile(args.config)
    position = file.index_of(args.name)
    if position is None:
        names = ", ".join(f.name for f in file.config.feeds) if file.config else ""
        raise UsageError(f"{args.config}: no feed named {args.name!r} (configured: {names})")
    del file.entries[position]
    file.save()
    print(f"removed feed {args.name!r} from {args.config}; its articles stay indexed")
    return EXIT_OK


def cmd_feeds_import(args: argparse.Namespace) -> int:
    try:
        outlines = read_opml(args.opml.read_bytes())
    except OSError as exc:
        raise UsageError(f"{args.opml}: cannot read ({exc.strerror})") from None
    except OpmlError as exc:
        raise UsageError(f"{args.opml}: {exc}") from None
    file = FeedsFile(args.config)
    known = list(file.config.feeds) if file.config is not None else []
    added, skipped = [], []
    for outline in outlines:
        entry: dict[str, Any] = {"url": outline.url}
        if args.section:
            entry["section"] = args.section
        base = feed_from_mapping(entry, where=f"{args.opml}: {outline.url}")
        name = _free_name(outline.title, base.name, {f.name for f in known})
        feed = feed_from_mapping({**entry, "name": name}, where=f"{args.opml}: {outline.url}")
        if any(k.url == feed.url for k in known):
            skipped.append(feed.url)
            continue
        file.append(_ordered({**entry, "name": name}))
        known.append(feed)
        added.append(name)
    if added:
        file.save()
    print(f"imported {len(added)} feed(s) into {args.config}, {len(skipped)} configured already")
    for name in added:
        print(f"  + {name}")
    return EXIT_OK


def _free_name(title: str | None, fallback: str, taken: set[str]) -> str:
    from slugify import slugify

    base = slugify(title, max_length=60, word_boundary=True) if title else ""
    base = base or fallback
    name, n = base, 2
    while name in taken:
        name, n = f"{base}-{n}", n + 1
    return name


def cmd_feeds_export(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    sys.stdout.write(export_opml(config.feeds).decode("utf-8"))
    return EXIT_OK


def _resolve(args: argparse.Namespace) -> tuple[FeedConfig, tuple[str, ...]]:
    """The feed to check and the hosts the config allows."""
    config = load_config(args.config) if args.config.exists() else None
    allow = config.allow_hosts if config is not None else ()
    for feed in config.feeds if config is not None else ():
        if args.target in (feed.name, feed.url):
            return feed, allow
    if "/" not in args.target and "." not in args.target:
        names = ", ".join(f.name for f in config.feeds) if config is not None else "none"
        raise UsageError(f"no feed named {args.target!r} in {args.config} (configured: {names})")
    return feed_from_mapping({"url": args.target}, where=f"feed {args.target!r}"), allow


def cmd_feeds_check(args: argparse.Namespace) -> int:
    feed, allow = _resolve(args)
    fetcher = build_fetcher(Settings.for_cli(allow_local=True, allow_hosts=allow))
    now = datetime.now(UTC)
    try:
        fetched = fetcher.fetch(feed.url, None)
        assert not isinstance(fetched, NotModified)  # no validators were sent
        parsed = parse_feed(fetched)
    except (FetchError, ParseError) as exc:
        print(f"newswire: feed {feed.name!r} ({feed.url}): {exc}", file=sys.stderr)
        return EXIT_FAILED
    kept: list[Article] = []
    filtered: list[Article] = []
    malformed = 0
    for entry in parsed.entries[: feed.max_items]:
        try:
            article = normalize_entry(entry, feed, now=now)
        except Exception:  # as a run does: one malformed entry costs only itself
            malformed += 1
            continue
        (kept if feed.filters.keeps(article) else filtered).append(article)
    if args.json:
        json.dump({
            "feed": feed.name, "url": feed.url, "entries": len(parsed.entries),
            "ingest": [_item(a) for a in kept], "filtered": [_item(a) for a in filtered],
            "malformed": malformed,
        }, sys.stdout, indent=2, ensure_ascii=False)  # fmt: skip
        print()
        return EXIT_OK
    print(
        f"feed {feed.name!r} ({feed.url}): {len(parsed.entries)} entries; a run would ingest "
        f"{len(kept)}, filter out {len(filtered)}, skip {malformed} malformed (nothing written)"
    )
    for article in kept:
        print(f"  + {article.date.astimezone(UTC):%Y-%m-%d %H:%M}  {article.title}")
    for article in filtered:
        print(f"  - {article.date.astimezone(UTC):%Y-%m-%d %H:%M}  {article.title}  (filtered)")
    return EXIT_OK


def _item(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "date": article.date.isoformat(),
        "link": article.link,
        "publisher": article.publisher,
        "section": article.section,
    }
