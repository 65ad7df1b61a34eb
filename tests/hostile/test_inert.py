"""The matrix's HTML rule (inert.py) itself: it must see every way a page can be live, and pass
what is harmless, or the matrix proves nothing."""

from __future__ import annotations

import pytest

from .inert import problems, url_scheme

LIVE = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=https://x.example/a.js></SCRIPT>",
    "<iframe src=https://x.example/></iframe>",
    "<object data=x></object>",
    "<embed src=x>",
    "<svg><circle/></svg>",
    "<math><mi>x</mi></math>",
    "<form action=https://x.example/><input></form>",
    "<base href=https://x.example/>",
    '<meta http-equiv="Refresh" content="0;url=https://x.example/">',
    "<img src=x onerror=alert(1)>",
    "<p OnClick=alert(1)>x</p>",
    "<div onmouseover='x'></div>",
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="&#106;avascript:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java\nscript:alert(1)">x</a>',
    '<a href=" \x01javascript:alert(1)">x</a>',
    '<a href="javascript&colon;alert(1)">x</a>',
    '<a href="vbscript:x">x</a>',
    '<a href="data:text/html,x">x</a>',
    '<img src="data:image/png;base64,AAAA">',
    '<img srcset="https://ok.example/a.png 1x, javascript:alert(1) 2x">',
    '<video poster="javascript:x"></video>',
    '<a href="mailto:someone@example.org">x</a>',
    '<a href="#ZgotmplZ">x</a>',
    "<!-- raw HTML omitted -->",
    "<p>&lt;!-- raw HTML omitted --&gt;</p>",
]
HARMLESS = [
    "<p>text &lt;script&gt;alert(1)&lt;/script&gt; onload=x</p>",
    '<a href="https://example.org/a?b=(1)#c">x</a>',
    '<a href="HTTP://EXAMPLE.ORG/">x</a>',
    '<a href="/tags/harbour/">x</a>',
    '<a href="../2026/01/">x</a>',
    '<a href="#main">x</a>',
    '<a href="?page=2">x</a>',
    '<a href="page/2/">x</a>',
    '<a href="//cdn.example.org/x">x</a>',
    '<a href="/path:with:colons">x</a>',
    '<img src="https://example.org/i.png" alt="javascript:alert(1)">',
    '<p class="onload">x</p>',
    "<!-- a comment -->",
]


@pytest.mark.parametrize("html", LIVE)
def test_live_html_is_reported(html: str) -> None:
    assert problems(html), html


@pytest.mark.parametrize("html", HARMLESS)
def test_harmless_html_passes(html: str) -> None:
    assert problems(html) == [], html


@pytest.mark.parametrize(
    ("value", "scheme"),
    [("JaVaScRiPt:x", "javascript"), ("\tjava\nscript:x", "javascript"), ("/a:b", None),
     ("a/b:c", None), ("https://x", "https"), ("#x", None), ("", None)],
)  # fmt: skip
def test_url_scheme_reads_as_a_browser_does(value: str, scheme: str | None) -> None:
    assert url_scheme(value) == scheme
