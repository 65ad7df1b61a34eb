"""The site's part of the `newswire` command: `site`, `serve`, and the build after `run`."""

from __future__ import annotations

import argparse
import dataclasses
import json
import logging
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from newswire.models import RunSummary
from newswire.ports import ArticleIndex, ContentStore, StorageError
from newswire.site.build import BuildReport, build_full_site, build_plan, build_site
from newswire.site.options import LOCAL_BASE_URL, SiteOptions, normalize_base_url
from newswire.site.plan import lists_plan

if TYPE_CHECKING:
    from newswire.bootstrap import Settings

log = logging.getLogger("newswire.site")

SITE_HELP = """\
The site is written next to content/ (the directory, or the bucket's root): index.html,
page/N/, articles/..., tags/..., categories/..., publishers/..., archive/..., feed.xml,
feed.json, sitemap.xml, robots.txt, 404.html, css/. Its base URL (--base-url, or the
SITE_URL variable) makes the canonical links, feeds and sitemaps absolute; on the
embedded backend it defaults to http://127.0.0.1:8000/, where `newswire serve` shows it.
"""


def add_site_options(parser: argparse.ArgumentParser, *, for_run: bool = False) -> None:
    group = parser.add_argument_group("site (the static HTML site)")
    if for_run:
        group.add_argument(
            "--no-site", action="store_true",
            help="do not update the HTML site after the run (it is updated by default on the "
            "embedded backend, and on AWS when a base URL is given)",
        )  # fmt: skip
    group.add_argument(
        "--base-url", metavar="URL",
        help="the site's public URL (default: $SITE_URL; embedded backend: "
        f"{LOCAL_BASE_URL})",
    )  # fmt: skip
    group.add_argument(
        "--site-title", metavar="TITLE", help="the site's name (default: $SITE_TITLE or newswire)"
    )
    group.add_argument(
        "--remote-images", action="store_true", default=None,
        help="show article images from the publishers' hosts (default: off, or "
        "$SITE_REMOTE_IMAGES; off, a page makes no request to another host)",
    )  # fmt: skip


def add_site_commands(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    backend_options: Callable[[argparse.ArgumentParser], None],
) -> None:
    site = commands.add_parser(
        "site", help="render the HTML site from the index and the Markdown",
        description="Render the static site. Without --full, the home pages and the feeds are\n"
        "brought up to date (each run's build does its articles' pages); with --full, every\n"
        "page, and the pages no article is on any more are deleted. Pages whose bytes did\n"
        "not change are not rewritten.",
        epilog=SITE_HELP + "\nexamples:\n  newswire site --full\n"
        "  newswire site --bucket my-news --table my-news-index --base-url https://news.example/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    site.add_argument("--full", action="store_true", help="render every page of the site")
    site.add_argument("--json", action="store_true", help="print the build report as JSON")
    add_site_options(site)
    backend_options(site)

    serve = commands.add_parser(
        "serve", help="preview the local site on 127.0.0.1",
        description="Serve the embedded backend's site (SITE_DIR) on 127.0.0.1 until Ctrl-C. "
        "Only the site is served: content/ and the index file are not. With --port, the "
        "site's links to the default preview address are served with that port.",
        epilog="example:\n  newswire serve --port 8800      then open http://127.0.0.1:8800/",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    serve.add_argument(
        "--site-dir", type=Path, default=Path("site"), metavar="DIR",
        help="the site's directory (default: ./site)",
    )  # fmt: skip
    serve.add_argument(
        "--port", type=int, default=8000, help="port on 127.0.0.1 (default: 8000; 0: any free)"
    )


def site_options(args: argparse.Namespace, settings: Settings) -> SiteOptions:
    """The environment's site options (SITE_*, in `settings`) as the command's options change
    them."""
    options = settings.site
    if args.site_title:
        options = dataclasses.replace(options, title=args.site_title)
    if args.remote_images:
        options = dataclasses.replace(options, remote_images=True)
    return options


def base_url(args: argparse.Namespace, settings: Settings) -> str | None:
    """The site's base URL: --base-url, $SITE_URL (in `settings`), or (embedded backend) the
    preview's."""
    local = None if settings.uses_aws else LOCAL_BASE_URL
    url = args.base_url or settings.site_url or local
    return normalize_base_url(url) if url else None


@dataclass(frozen=True)
class SiteOutcome:
    """The site's part of a run: built (a report), failed (an error), or not asked for."""

    report: BuildReport | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not (self.report and self.report.failed)

    def line(self) -> str | None:
        if self.error is not None:
            return f"site: not updated: {self.error}"
        if self.report is None:
            return None
        if not self.report.written and not self.report.unchanged and not self.report.failed:
            return "site: nothing to update"
        return f"site: {self.report.describe()} page(s)"

    def as_dict(self) -> dict[str, object]:
        if self.error is not None:
            return {"site": {"error": self.error}}
        return {"site": self.report.as_dict()} if self.report is not None else {}


def build_after_run(
    args: argparse.Namespace,
    store: ContentStore,
    index: ArticleIndex,
    summary: RunSummary,
    *,
    settings: Settings,
) -> SiteOutcome:
    """The incremental build at the end of `newswire run`, over what the run changed."""
    if args.no_site:
        return SiteOutcome()
    try:
        url = base_url(args, settings)
    except ValueError as exc:
        return SiteOutcome(error=str(exc))
    if url is None:
        return SiteOutcome()  # an S3 site needs its public URL; without one, none is built
    try:
        report = build_site(
            summary.changed,
            store,
            index,
            base_url=url,
            replaced=summary.replaced,
            options=site_options(args, settings),
        )
    except StorageError as exc:
        return SiteOutcome(error=f"{exc} (`newswire site --full` rebuilds it)")
    except Exception as exc:  # the articles are stored: report, do not lose the summary
        log.exception("site not updated")
        return SiteOutcome(error=f"internal error: {exc!r}")
    return SiteOutcome(report)


def cmd_site(
    args: argparse.Namespace, store: ContentStore, index: ArticleIndex, settings: Settings
) -> int:
    url = base_url(args, settings)
    if url is None:
        raise ValueError("give the site's public URL: --base-url https://... (or SITE_URL)")
    options = site_options(args, settings)
    if args.full:
        report = build_full_site(store, index, base_url=url, options=options)
    else:
        # The lists only: a bounded number of reads whatever the site holds (an article's own
        # pages are brought up to date by the build of its change, or by --full).
        report = build_plan(lists_plan(), store, index, base_url=url, options=options)
    if args.json:
        json.dump(report.as_dict(), sys.stdout, indent=2)
        print()
    else:
        print(f"site: {report.describe()} page(s) in {report.seconds:.1f} s, for {url}")
        for problem in report.failed:
            print(f"  {problem}")
    return 1 if report.failed else 0


def cmd_serve(args: argparse.Namespace) -> int:
    from newswire.site.serve import make_server

    root = args.site_dir.resolve()
    if not (root / "index.html").is_file():
        raise ValueError(
            f"no site in {args.site_dir}: `newswire run` or "
            f"`newswire site --full --site-dir {args.site_dir}` builds it"
        )
    try:
        server = make_server(root, args.port)
    except OSError as exc:
        raise StorageError(
            f"cannot serve on 127.0.0.1:{args.port}: {exc.strerror or exc} "
            "(another program uses the port? choose one with --port)"
        ) from None
    host, port = server.server_address[:2]
    print(f"serving {args.site_dir} at http://{host!s}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
