"""Every page of a full build, byte for byte, against digests a person has checked in.

The site's speed work (figure 8) must not change one byte of one page: this fixture is built in
full and each file's SHA-256 compared with tests/data/site-digests.json. The fixture is the
golden Markdown of every fixture feed (Google News in five languages, RSS, Atom; right-to-left
articles, related coverage) and generated pages that carry what a page must escape or drop
(markup and `javascript:` in titles, summaries, bodies, image and link URLs; terms that are
not URL-clean; ties on one second; a hidden article; an updated one), on small page sizes so
that home, term, section and day pages paginate; once with the default options and once with
remote images on and a right-to-left site language.

The Markdown is written here with PyYAML (not newswire's renderer), so that only the site
build decides these bytes. After a change that is meant to alter pages:
`UPDATE_SITE_DIGESTS=1 .venv/bin/pytest tests/site/test_site_bytes.py`, then read the pages
that changed and say in the commit why each change is right.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from newswire.adapters.local import DirectoryStore, SqliteIndex
from newswire.ports import IndexWrite
from newswire.reindex import record_from_markdown
from newswire.site.build import build_full_site
from newswire.site.options import SiteOptions
from tests.site.helpers import BASE_URL, DATA, site_files

DIGESTS = DATA / "site-digests.json"
GOLDEN = DATA / "golden"
BUILDS = {
    "default": SiteOptions(
        page_size=4, home_pages=3, list_limit=5, archive_page_size=3, feed_size=5
    ),
    "remote-images-rtl": SiteOptions(
        title="أخبار <b>&</b>", description='Wire "news" <i>', language="ar",
        remote_images=True, page_size=6, home_pages=2, list_limit=4, archive_page_size=4,
        feed_size=3,
    ),
}  # fmt: skip
SECTIONS = {"world": "World & <Affairs>", "local": ""}
"""Sections given a Hugo _index.md (the title a section page shows); others get none."""

HOSTILE_TITLES = (
    "<script>alert(1)</script> Harbour reopens",
    'Minister says "no" & leaves — <b>bold</b>',
    '{{< ref "missing" >}} council vote',
    "Ceasefire talks ** resume * _today_ [link](javascript:alert(1))",
    "مجلس النواب يقر الميزانية",
    "Rates rise 0.5% as markets \u202eslide",
    "Storm\x0b floods coast\u2028again",
)
HOSTILE_SUMMARIES = (
    "Talks resume [here](javascript:alert(1)) and [there](https://example.org/a?b=1&c=2).",
    "<img src=x onerror=alert(1)> **Bold** claim with `code` and <svg onload=alert(2)>",
    "",
    "Echo · Another headline (Publisher) · Third…",
)
HOSTILE_BODIES = (
    "# Heading\n\nText with <script>alert(1)</script> raw HTML and a "
    '[link](javascript:alert(1)), an ![image](https://img.example.org/a.jpg "t") and '
    "![bad](javascript:alert(2)).\n\n> quoted\n\n1. one\n2. two\n",
    "",
    "Short body that repeats the summary.",
)
HOSTILE_TERMS = (
    "war", "Al Jazeera", "al-jazeera", "C++", "naïve", "<b>tag</b>", "a" * 70, "العربية",
    "..", "x/y",
)  # fmt: skip
PUBLISHERS = ("Al Jazeera", "<i>Gazette</i>", "Le Monde", "هسبريس", None)
IMAGES = ("", "https://img.example.org/p.jpg?x=1&y=2", "javascript:alert(1)", "http://i.test/a b")


def _page(meta: dict[str, object], body: str) -> bytes:
    header = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False)
    return f"---\n{header}---\n\n{body}\n".encode()


def _generated(rng: random.Random, n: int, when: datetime) -> tuple[str, bytes]:
    section = rng.choice(("world", "local", "sport"))
    slug = f"generated-{n}"
    title = f"{rng.choice(HOSTILE_TITLES)} {n}"
    related: list[dict[str, object]] = [
        {"title": f"Related <{n}> & more", "url": f"https://news.example.org/r/{n}",
         "publisher": rng.choice(("Le360", "<x>", "")), "feed": ["gen"]},
        {"title": "", "url": "javascript:alert(3)", "publisher": "", "feed": ["gen"]},
    ]  # fmt: skip
    if n % 5 == 0:  # a Google News-shaped body: the coverage list itself
        body = f"- [{title}](https://publisher.example.org/{slug}) — Pub\n" + "".join(
            f"- [{r['title']}]({r['url']}) — {r['publisher']}\n" for r in related
        )
    else:
        body = rng.choice(HOSTILE_BODIES)
    summary = rng.choice(HOSTILE_SUMMARIES)
    if summary.startswith("Echo"):
        summary = title
    meta: dict[str, object] = {
        "title": title,
        "date": when.isoformat(),
        "description": summary.replace("*", "") or title,
        "summary": summary,
        "slug": slug,
        "image": rng.choice(IMAGES),
        "link": rng.choice((f"https://publisher.example.org/{slug}", "javascript:alert(4)")),
        "source": "https://publisher.example.org/feed.xml",
        "categories": rng.sample(HOSTILE_TERMS, 1),
        "tags": rng.sample(HOSTILE_TERMS, rng.randint(0, 6)),
        "draft": n == 7,
        "language": rng.choice(("en", "ar", "he", "", "uk")),
    }
    if n % 4 == 0:
        meta["lastmod"] = (when + timedelta(hours=5)).isoformat()
    publisher = rng.choice(PUBLISHERS)
    if publisher is not None:
        meta["publisher"] = publisher
        meta["publisher_url"] = rng.choice(("https://www.example.org", "javascript:x"))
    meta.update({"guid": f"gen-{n}", "feed": ["gen"], "related": related, "id": f"{n:020x}"})
    return f"content/{section}/{when:%Y}/{when:%m}/{slug}.md", _page(meta, body)


def corpus() -> dict[str, bytes]:
    """The fixture's Markdown by key: the golden pages and the generated ones."""
    pages: dict[str, bytes] = {}
    for path in sorted(GOLDEN.glob("*/content/**/*.md")):
        key = path.relative_to(GOLDEN).as_posix().split("/", 1)[1]  # <feed>/content/...
        pages[key] = path.read_bytes()
    rng = random.Random("site-bytes")
    start = datetime(2026, 1, 5, 6, 0, tzinfo=UTC)
    for n in range(1, 41):
        # Several articles on the very same second: the lists' tie-break decides their order.
        when = start + timedelta(minutes=37 * (n // 3))
        key, data = _generated(rng, n, when)
        pages[key] = data
    for section, title in SECTIONS.items():
        pages[f"content/{section}/_index.md"] = _page({"title": title}, "")
    return pages


def build(root: Path, options: SiteOptions, processes: int = 0) -> dict[str, bytes]:
    store = DirectoryStore(root)
    index = SqliteIndex(root / "newswire.sqlite3")
    try:
        records = []
        for key, data in corpus().items():
            store.put(key, data)
            if not key.endswith("/_index.md"):
                records.append(record_from_markdown(key, data))
        assert all(index.write_many([IndexWrite(r, new=True) for r in records]))
        report = build_full_site(
            store, index, base_url=BASE_URL, options=options, processes=processes
        )
    finally:
        index.close()
    assert not report.failed, report.failed
    return site_files(root)


def digests(files: dict[str, bytes]) -> dict[str, str]:
    return {key: hashlib.sha256(body).hexdigest() for key, body in sorted(files.items())}


def test_the_fixture_covers_what_the_pages_must_handle() -> None:
    pages = corpus()
    assert len(pages) >= 60
    joined = b"".join(pages.values())
    for needle in ("<script>", "javascript:", "language: ar", "draft: true", "lastmod:"):
        assert needle.encode() in joined, needle


@pytest.mark.parametrize("processes", [0, 2], ids=["one-process", "article-children"])
@pytest.mark.parametrize("name", sorted(BUILDS))
def test_a_full_build_writes_the_checked_in_bytes(
    name: str, processes: int, tmp_path: Path
) -> None:
    got = digests(build(tmp_path / name, BUILDS[name], processes))
    stored = json.loads(DIGESTS.read_text(encoding="utf-8")) if DIGESTS.exists() else {}
    if os.environ.get("UPDATE_SITE_DIGESTS"):
        stored[name] = got
        DIGESTS.write_text(json.dumps(stored, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    want = stored.get(name, {})
    assert len(got) > 100
    changed = sorted(k for k in got.keys() & want.keys() if got[k] != want[k])
    assert sorted(got.keys() - want.keys()) == [], "pages the digests do not have"
    assert sorted(want.keys() - got.keys()) == [], "pages the build no longer writes"
    assert changed == [], "pages whose bytes changed"
