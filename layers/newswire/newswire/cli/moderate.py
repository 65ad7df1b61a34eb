"""`newswire hide`, `unhide`, `delete` and `prune`: take articles off the site."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

from newswire.bootstrap import build_index, build_store
from newswire.cli.common import (
    EXIT_FAILED,
    EXIT_OK,
    Commands,
    UsageError,
    add_command,
    backend_options,
    duration,
    settings_from,
)
from newswire.cli.site import SiteOutcome, add_site_options, base_url, site_options
from newswire.models import IndexRecord
from newswire.moderation import (
    NotFound,
    delete_article,
    find_article,
    older_than,
    prune,
    set_hidden,
)
from newswire.ports import ArticleIndex, ContentStore

ARTICLE_HELP = "the article: its id, its link (URL), or its slug (slug, section/slug, or key)"


def _site_and_backend(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-site", action="store_true", help="leave the HTML site alone (`newswire site` later)"
    )
    add_site_options(parser)
    backend_options(parser)


def add_moderation_commands(commands: Commands) -> None:
    hide = add_command(
        commands, "hide", help="take an article off the site and keep it off",
        description="Take an article off the site and out of every listing. Its Markdown stays, "
        "marked `draft: true` (Hugo leaves drafts out), and its index record stays, so a feed "
        "that carries it again does not bring it back, across runs and `newswire reindex`. "
        "`newswire unhide` reverses it.",
        example=["newswire hide fa58dc45b5ca657a5297",
                 "newswire hide world/russia-ukraine-war-list-of-key-events-day-1407"],
    )  # fmt: skip
    hide.add_argument("article", metavar="ARTICLE", help=ARTICLE_HELP)
    _site_and_backend(hide)
    hide.set_defaults(handler=cmd_hide, hidden=True)

    unhide = add_command(
        commands, "unhide", help="put a hidden article back on the site",
        description="Reverse `newswire hide`: the page is no longer a draft, and the article is "
        "listed again.",
        example=["newswire unhide fa58dc45b5ca657a5297"],
    )  # fmt: skip
    unhide.add_argument("article", metavar="ARTICLE", help=ARTICLE_HELP)
    _site_and_backend(unhide)
    unhide.set_defaults(handler=cmd_hide, hidden=False)

    delete = add_command(
        commands, "delete", help="remove an article for good (a feed may bring it back)",
        description="Remove an article's Markdown, its index record, its slug and its site page, "
        "and redraw the lists it was on. It is gone for good, except that a feed which still "
        "carries it brings it back as a new article on its next run: to keep it off the site, "
        "use `newswire hide`.",
        example=["newswire delete https://www.example.com/2026/01/story.html"],
    )  # fmt: skip
    delete.add_argument("article", metavar="ARTICLE", help=ARTICLE_HELP)
    _site_and_backend(delete)
    delete.set_defaults(handler=cmd_delete)

    prune_parser = add_command(
        commands, "prune", help="delete articles older than a given age",
        description="Delete every listed article dated before now minus DURATION: its "
        "Markdown, index record, slug, listings and site page; the home pages, term lists, "
        "archive, feeds and sitemaps are redrawn. Hidden articles are kept (they keep feeds "
        "from bringing them back). On AWS, `retention:` in feeds.yaml does this after each "
        "scheduled run.",
        example=["newswire prune --older-than 90d --dry-run", "newswire prune --older-than 26w"],
    )  # fmt: skip
    prune_parser.add_argument(
        "--older-than", type=duration, required=True, metavar="DURATION",
        help="age of the articles to delete: 30d, 12w, 48h",
    )  # fmt: skip
    prune_parser.add_argument(
        "--dry-run", action="store_true", help="only list what would be deleted"
    )
    prune_parser.add_argument("--json", action="store_true", help="print the result as JSON")
    _site_and_backend(prune_parser)
    prune_parser.set_defaults(handler=cmd_prune)


def _backend(args: argparse.Namespace) -> tuple[ContentStore, ArticleIndex, bool]:
    settings = settings_from(args, existing=True)
    return build_store(settings), build_index(settings), settings.uses_aws


def _find(ref: str, store: ContentStore, index: ArticleIndex) -> IndexRecord:
    try:
        return find_article(ref, store, index)
    except NotFound as exc:
        raise UsageError(str(exc)) from None


def redraw_site(
    args: argparse.Namespace,
    store: ContentStore,
    index: ArticleIndex,
    *,
    uses_aws: bool,
    removed: Sequence[IndexRecord] = (),
    shown: Sequence[IndexRecord] = (),
) -> SiteOutcome:
    """Remove the pages of `removed`, and redraw every list they or `shown` are on."""
    if args.no_site:
        return SiteOutcome()
    settings = settings_from(args)  # SITE_URL and SITE_* come with the settings
    url = base_url(args, settings)
    if url is None:
        return SiteOutcome()  # an S3 site needs its public URL; without one, none is built
    from newswire.site.removal import remove_from_site

    try:
        report = remove_from_site(
            removed, store, index, base_url=url, shown=shown, options=site_options(args, settings)
        )
    except Exception as exc:  # the articles are done: report, and say how to catch up
        return SiteOutcome(error=f"{exc} (`newswire site --full` rebuilds it)")
    return SiteOutcome(report)


def _finish(site: SiteOutcome) -> int:
    line = site.line()
    if line:
        print(line)
    return EXIT_OK if site.ok else EXIT_FAILED


def cmd_hide(args: argparse.Namespace) -> int:
    store, index, uses_aws = _backend(args)
    record = _find(args.article, store, index)
    verb = "hidden" if args.hidden else "shown"
    if record.hidden == args.hidden:
        print(f"{record.key}: already {verb}")
        return EXIT_OK
    updated = set_hidden(record, args.hidden, store, index)
    print(f"{verb}: {record.title}  ({record.key})")
    if args.hidden:
        site = redraw_site(args, store, index, uses_aws=uses_aws, removed=[record])
    else:
        site = redraw_site(args, store, index, uses_aws=uses_aws, shown=[updated])
    return _finish(site)


def cmd_delete(args: argparse.Namespace) -> int:
    store, index, uses_aws = _backend(args)
    record = _find(args.article, store, index)
    delete_article(record, store, index)
    print(f"deleted: {record.title}  ({record.key})")
    if record.feeds:
        print(f"  (it comes back if {', '.join(record.feeds)} still carries it: "
              "`newswire hide` keeps it off)")  # fmt: skip
    return _finish(redraw_site(args, store, index, uses_aws=uses_aws, removed=[record]))


def cmd_prune(args: argparse.Namespace) -> int:
    store, index, uses_aws = _backend(args)
    cutoff = datetime.now(UTC) - args.older_than
    old = older_than(index, cutoff)
    problems: list[str] = []
    if args.dry_run:
        deleted = old
    else:
        deleted, problems = prune(old, store, index)
    site = SiteOutcome()
    if deleted and not args.dry_run:
        site = redraw_site(args, store, index, uses_aws=uses_aws, removed=deleted)
    if args.json:
        json.dump({
            "cutoff": cutoff.isoformat(timespec="seconds"), "dry_run": args.dry_run,
            "deleted": [r.key for r in deleted], "problems": problems, **site.as_dict(),
        }, sys.stdout, indent=2)  # fmt: skip
        print()
    else:
        when = cutoff.strftime("%Y-%m-%d %H:%M UTC")
        verb = "would delete" if args.dry_run else "deleted"
        print(f"prune: {verb} {len(deleted)} article(s) dated before {when}")
        for record in deleted:
            print(f"  {record.date.astimezone(UTC):%Y-%m-%d}  {record.key}")
        for problem in problems:
            print(f"  not deleted: {problem}")
        line = site.line()
        if line:
            print(line)
    return EXIT_FAILED if problems or not site.ok else EXIT_OK
