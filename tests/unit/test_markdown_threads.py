"""The shared markdown-it instances are used from many threads at once (the site build renders
article pages in a thread pool; ingest checks converted Markdown in its feed workers).
markdown-it-py compiles each rule chain lazily, on the first parse: a thread that parses while
another is still compiling sees a half-built chain (a flaky IndexError in the site build)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable, Iterator

import pytest
from markdown_it import MarkdownIt

from newswire import markdown
from newswire.site import markup

BODY = """# Heading

Some *emphasis*, **strong**, `code`, a [link](https://example.com/a) and ~~text~~.

- one [item](https://example.com/b)
- two

> quoted _words_ and ![an image](https://example.com/i.png)

1. first
2. second
"""
THREADS = 8
ROUNDS = 40


@pytest.fixture
def fast_switching() -> Iterator[None]:
    # Threads switch every microsecond instead of every 5 ms, so that the race shows in a few
    # rounds rather than once under heavy load.
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def hammer(fresh: Callable[[], object], use: Callable[[], str]) -> list[str]:
    """Each round a new shared instance (`fresh`), then THREADS threads `use` it at once;
    every outcome that is not the serial one."""
    fresh()
    expected = use()
    wrong: list[str] = []
    for _ in range(ROUNDS):
        fresh()
        start = threading.Barrier(THREADS)

        def run(start: threading.Barrier = start) -> None:
            start.wait()
            try:
                got = use()
            except Exception as exc:  # the failure being hunted, recorded for the assertion
                wrong.append(repr(exc))
                return
            if got != expected:
                wrong.append(got)

        threads = [threading.Thread(target=run) for _ in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    return wrong


@pytest.mark.usefixtures("fast_switching")
def test_the_site_renderer_is_safe_to_share_between_threads() -> None:
    def fresh() -> object:
        markup.markdown_renderer.cache_clear()
        return markup.markdown_renderer(remote_images=False)

    assert hammer(fresh, lambda: markup.render_body(BODY, remote_images=False)) == []


@pytest.mark.usefixtures("fast_switching")
def test_the_markdown_checker_is_safe_to_share_between_threads() -> None:
    def fresh() -> object:
        markdown._checker.cache_clear()
        return markdown._checker()

    def use() -> str:
        return str(markdown.is_safe_markdown(BODY)) + repr(markdown._checker().parse(BODY)[-1])

    assert hammer(fresh, use) == []


def test_a_prepared_instance_has_every_rule_chain_compiled() -> None:
    md = markdown.prepared(MarkdownIt("commonmark"))
    for ruler in (md.core.ruler, md.block.ruler, md.inline.ruler, md.inline.ruler2):
        assert ruler.__cache__ is not None


@pytest.mark.usefixtures("fast_switching")
def test_the_shared_sanitizer_keeps_each_threads_links_apart() -> None:
    """One nh3 cleaner serves every thread; the links and base of one thread's call must never
    land in another's Markdown."""
    pages = [
        (
            "".join(f'<p><a href="/{n}/{i}">l{i}</a> <img src="i{i}.png" alt="a{n}"></p>'
                    for i in range(20)),
            f"https://site-{n}.example/feed/",
        )
        for n in range(THREADS)
    ]  # fmt: skip
    expected = [markdown.html_to_markdown(html, base) for html, base in pages]
    wrong: list[str] = []
    for _ in range(ROUNDS // 4):
        start = threading.Barrier(THREADS)

        def run(n: int, start: threading.Barrier = start) -> None:
            start.wait()
            for _ in range(5):
                got = markdown.html_to_markdown(*pages[n])
                if got != expected[n]:
                    wrong.append(got)

        threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert all(f"site-{n}.example/{n}/19" in expected[n] for n in range(THREADS))
    assert wrong == []
