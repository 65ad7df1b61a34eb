"""Hostile feeds for every class of issue 10, several fixtures per class, as fixture sets.

Each set is a few feeds served on loopback; `newswire run` ingests a set once and every Hugo
build of the matrix reads what it wrote. A set is one class (or two that share fixtures), so one
item that still breaks a build points at its class and does not hide the others.

Texts are written as the feed carries them: `description` and `content_html` are HTML (the
builders XML-escape them), so `html.escape("<svg onload=…>")` is a feed that *shows* the text
`<svg onload=…>`, which must stay text for every reader.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape as h
from xml.sax.saxutils import escape as x

from .feeds import Item, atom, atom_entry, rss
from .server import Exchange, HostileServer, Reply

DATE = "Tue, 06 Jan 2026 09:30:00 +0000"


def item(n: int, title: str, *, prefix: str, **fields: object) -> Item:
    guid = f"https://gazette.example.org/{prefix}/{n}"
    values: dict[str, object] = {"link": guid, "guid": guid, "pub_date": DATE}
    values.update(fields)
    return Item(title=title, **values)  # type: ignore[arg-type]


def google_item(
    n: int, headline: str, publisher: str, related: list[tuple[str, str, str]], *,
    link: str | None = None,
) -> Item:  # fmt: skip
    """A Google News item: "headline - publisher", a <source>, related coverage as <ol>."""
    article = f"CBMiHostile{n:04d}"
    items = "".join(
        f'<li><a href="{h(url)}" target="_blank">{h(title)}</a>&nbsp;&nbsp;'
        f'<font color="#6f6f6f">{h(pub)}</font></li>'
        for title, url, pub in related
    )
    return Item(
        title=f"{headline} - {publisher}",
        link=link or f"https://news.google.com/rss/articles/{article}?oc=5",
        guid=article,
        permalink=False,
        pub_date=DATE,
        description=f"<ol>{items}</ol>",
        extra=f'<source url="https://publisher{n}.example.com">{x(publisher)}</source>',
    )


@dataclass(frozen=True)
class FixtureSet:
    """Feeds of one class. `articles`: how many articles the run must write (every item,
    unless the set says otherwise); `serve` puts the feeds on the server, returns their URLs."""

    name: str
    classes: str
    serve: Callable[[HostileServer], list[str]]
    articles: int
    may_fail_feeds: bool = False
    """Some feeds answer with an error on purpose (the run exits 1, with a plain message)."""
    may_skip: int = 0
    """Items the run may record as permanently bad instead of writing (it must say so)."""
    titles: tuple[str, ...] = field(default=())
    """When set, exactly the titles every reader must show (classes whose titles are the test)."""


def _feeds(
    *feeds: list[Item], atom_entries: list[str] | None = None
) -> Callable[[HostileServer], list[str]]:
    def serve(server: HostileServer) -> list[str]:
        urls = [server.feed(f"/feed-{n}.xml", rss(items)) for n, items in enumerate(feeds)]
        if atom_entries:
            urls.append(server.feed("/atom.xml", atom(atom_entries),
                                    content_type="application/atom+xml"))  # fmt: skip
        return urls

    return serve


# --- classes 1 and 5: text that a feed escaped must stay text (summary, body, site feeds) ------

ESCAPED_MARKUP = [
    "<img src=x onerror=alert(1)> and <script>alert(2)</script>",
    "<svg onload=alert(1)><iframe src=javascript:alert(2)></iframe>",
    "<object data=javascript:alert(1)></object><embed src=javascript:alert(2)>",
    "<!-- raw --> <style>body{display:none}</style> <a href=javascript:alert(1)>x</a>",
    "[click](javascript:alert(1)) ![pixel](https://tracker.example/p.gif) <javascript:alert(1)>",
    "# Heading\n\n<div onclick=alert(1)>block</div>\n\n    indented <b>code</b>",
    "&lt;b&gt;escaped twice&lt;/b&gt; &amp;lt;i&amp;gt;",
    '*emphasis* _under_ `code` {{< ref "x" >}} <https://autolink.example/>',
]
MARKUP = [
    *(item(n, f"Escaped markup {n}", prefix="markup", description=h(text))
      for n, text in enumerate(ESCAPED_MARKUP)),
    *(item(100 + n, f"Escaped markup in content {n}", prefix="markup",
           content_html=f"<p>{h(text)}</p><p>{h(text)}</p>", description=f"<p>{h(text)}</p>")
      for n, text in enumerate(ESCAPED_MARKUP)),
    item(200, "<svg onload=alert(1)> in a title", prefix="markup",
         description=h("<svg onload=alert(1)>")),
]  # fmt: skip

# --- feed HTML that nh3 removes: active elements and attributes in the content itself ---------

ACTIVE_HTML = [
    "<script>alert(1)</script><p>after a script</p>",
    "<p><img src=x onerror=alert(1)> <svg onload=alert(2)><a xlink:href='javascript:alert(3)'>"
    "s</a></svg></p>",
    '<iframe src="javascript:alert(1)"></iframe><object data="x"></object><embed src="x"><p>o</p>',
    '<p><a href="javascript:alert(1)">js</a> <a href="JAVASCRIPT:alert(2)">JS</a>'
    ' <a href="  javascript:alert(3)">sp</a></p>',
    '<video poster="javascript:alert(1)"><source src="javascript:alert(2)"></video><p>v</p>',
    '<form action="javascript:alert(1)"><input formaction="javascript:x"><button>b</button>'
    "</form><p>f</p>",
    "<math><mi xlink:href='javascript:alert(1)'>x</mi></math><p>m</p>",
    "<style>@import 'javascript:alert(1)';</style>"
    '<div style="background:url(javascript:alert(1))">styled</div>',
    '<base href="javascript:alert(1)//"><meta http-equiv="refresh" content="0;url=javascript:x">'
    "<p>base</p>",
    "<details open ontoggle=alert(1)><summary>d</summary>x</details>"
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">n</p></noscript>',
    "<p>a <b>bold <i>nested</i></b> <table><tr><td>cell</td></tr></table></p>",
]
ACTIVE = [
    item(n, f"Active content {n}", prefix="active", content_html=html_text,
         description=html_text) for n, html_text in enumerate(ACTIVE_HTML)
]  # fmt: skip
ATOM_ACTIVE = [
    atom_entry(title=f"Atom active content {n}", link=link,
               entry_id=f"urn:hostile:atom:active:{n}", content_html=html_text)
    for n, (link, html_text) in enumerate([
        ("JaVaScRiPt:alert(1)", ACTIVE_HTML[0]),
        ("https://atom.example.org/a) [x](javascript:alert(1)", ACTIVE_HTML[1]),
        ("https://atom.example.org/ok", ACTIVE_HTML[3]),
        ("data:text/html,x", ACTIVE_HTML[9]),
    ])
]  # fmt: skip

# --- class 2: link and image destinations, alt text, schemes ------------------------------------

LINKS_HTML = [
    '<p><a href="https://example.org/a)b">paren</a> <a href="https://example.org/x y">space</a>'
    ' <a href="https://example.org/q?a=(1)&amp;b=2">query</a></p>',
    '<p><a href="https://example.org/a\n# Injected heading\n<script>alert(1)</script>">nl</a></p>',
    '<p><a href="https://example.org/<img src=x onerror=alert(1)>">lt</a>'
    ' <a href="https://example.org/&quot;onmouseover=&quot;alert(1)">quote</a></p>',
    '<p><a href="JaVaScRiPt:alert(1)">mixed</a> <a href="&#106;avascript:alert(2)">entity</a>'
    ' <a href="java&#x09;script:alert(3)">tab</a> <a href="vbscript:msgbox(1)">vb</a>'
    ' <a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">data</a>'
    ' <a href=" javascript:alert(4)">space</a></p>',
    '<p><img src="JaVaScRiPt:alert(1)" alt="scheme"> <img src="data:image/svg+xml,&lt;svg '
    'onload=alert(1)&gt;" alt="data"></p>',
    '<p><img src="https://example.org/i.png) ![t](https://tracker.example/p.gif" '
    'alt="alt](javascript:alert(1)) [x"></p>',
    '<p><img src="https://example.org/a b.png" alt="line\n# heading\n<script>x</script>"></p>',
    '<p><a href="https://example.org/ok">text](javascript:alert(1)) [more</a>'
    ' <a href="https://example.org/ok2" title="t&quot;) onclick=&quot;x">titled</a></p>',
    '<p><a href="https://example.org/a>b">gt</a> <a href="https://example.org/%3Cx%3E">pct</a>'
    ' <a href="https://example.org/back\\slash">bs</a> <a href="https://example.org/`tick`">t</a>'
    "</p>",
]
LINKS = [
    *(item(n, f"Link fixture {n}", prefix="links", content_html=html_text,
           description="A link fixture.") for n, html_text in enumerate(LINKS_HTML)),
    item(50, "A JaVaScRiPt: item link", prefix="links", link="JaVaScRiPt:alert(1)",
         guid="https://gazette.example.org/links/js-link"),
    item(51, "An item link with a paren and space", prefix="links",
         link="https://example.org/story) [x](javascript:alert(1)",
         guid="https://gazette.example.org/links/paren-link"),
    item(52, "An item image with a paren", prefix="links",
         extra='<media:content url="https://example.org/p.png)![t](https://t.example/p.gif" '
               'medium="image"/>'),
]  # fmt: skip
GOOGLE_LINKS = [
    google_item(1, "Related links with parens", "Wire One", [
        ("Paren story", "https://news.google.com/rss/articles/B1) [x](javascript:alert(1)",
         "Pub B"),
        ("Newline story", "https://news.google.com/rss/articles/C1\n# heading\n<script>", "Pub C"),
        ("Script story", "JaVaScRiPt:alert(1)", "Pub D"),
        ("Space story", "https://news.google.com/rss/articles/E1 x", "Pub E"),
    ]),
    google_item(2, "An item link with a paren", "Wire Two", [],
                link="https://news.google.com/rss/articles/CBMiParen)x?oc=5"),
    google_item(3, "Related title with markup", "Wire Three", [
        ("[t](javascript:alert(1)) <img src=x onerror=alert(1)>",
         "https://news.google.com/rss/articles/F1", "Pub ](javascript:alert(2))"),
    ]),
]  # fmt: skip

# --- class 3: one item must not break the whole Hugo build --------------------------------------

LONG_WORD = "Supercalifragilistic" * 15  # 300 letters
LONG_CYRILLIC = "Надзвичайно" * 14  # 154 letters, 308 bytes
BUILD_BREAKERS = [
    item(1, f"{LONG_WORD} headline", prefix="break", description=f"{LONG_WORD} everywhere"),
    item(2, f"{LONG_CYRILLIC} заголовок", prefix="break", description=LONG_CYRILLIC),
    item(3, "Index", prefix="break", description="A headline that is a Hugo file name."),
    item(4, "_index", prefix="break", description="Another one."),
    item(5, "INDEX", prefix="break", description="Another one, shouting."),
    item(6, "index.md", prefix="break", description="And with a suffix."),
    *(item(10 + n, f"Ordinary sibling story {n} about harbours", prefix="break",
           description="It must not disappear behind an index page.") for n in range(4)),
]  # fmt: skip
GOOGLE_BREAKERS = [
    google_item(10, "A publisher with a very long name", "Publisher" + "x" * 300, []),
    google_item(11, "Index", "Reuters", []),
    google_item(12, "A long Cyrillic publisher", "Видавництво" * 30, []),
]

# --- class 4: strings that YAML 1.1 readers (Go's yaml.v2 in Hugo 0.111) take for other types ---

YAML_TITLES = (
    "y", "n", "Y", "N", "yes", "No", "on", "OFF", "true", "False", "null", "NULL", "~",
    "1e3", "0o17", "0x1F", "0b101", "017", "1_000", "12:30", "1:20:30", "2026-01-06",
    ".inf", "-.Inf", ".NaN", "+1", "-0", "3.14", "=", "<<",
)  # fmt: skip
YAML_TYPES = [
    item(n, title, prefix="yaml", description=title) for n, title in enumerate(YAML_TITLES)
]
GOOGLE_YAML = [
    google_item(20, "A publisher called yes", "yes", [("Related n", "https://news.google.com/"
                "rss/articles/G1", "1e3")]),
    google_item(21, "A publisher called 0o17", "0o17", []),
]  # fmt: skip

# --- class 6: one character or header must not cost a whole feed --------------------------------


def _raw_feed(items_xml: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel><title>Raw</title>'
        f"<link>https://raw.example.org/</link><description>raw</description>{items_xml}"
        "</channel></rss>"
    ).encode()


SURROGATES = _raw_feed(
    "".join(
        f"<item><title>{title}</title><link>https://raw.example.org/{n}</link>"
        f"<guid>https://raw.example.org/{n}</guid><pubDate>{DATE}</pubDate>"
        f"<description>{description}</description></item>"
        for n, (title, description) in enumerate(
            [
                ("Lone &#xD800; surrogate in a title", "Fine text."),
                ("A lone low surrogate in the description", "Bad &#xDFFF; text &amp;#xD800;"),
                ("A good story beside them", "Nothing wrong here."),
                ("Another good story", "Still nothing wrong."),
            ]
        )
    )
)


def _reason_with_escapes(exchange: Exchange) -> None:
    exchange.write_raw(
        b"HTTP/1.1 500 \x1b[2J\x1b]0;pwned\x07Server \x1b[31mError\r\n"
        b"Content-Length: 0\r\nConnection: close\r\n\r\n"
    )
    exchange.close_after()


def _serve_characters(server: HostileServer) -> list[str]:
    return [
        server.feed("/surrogates.xml", SURROGATES),
        server.reply("/retry-dashes", Reply(503, b"", (("Retry-After", "--5"),))),
        server.reply("/retry-superscript", Reply(429, b"", (("Retry-After", "²"),))),
        server.route("/reason", _reason_with_escapes),
        server.feed("/good.xml", rss([item(1, "A good feed's story", prefix="good")])),
    ]


# --- class 7: a permanently bad item must not mean a full re-fetch forever ----------------------

DEEP = [
    item(1, "Four hundred unclosed bold tags", prefix="deep",
         content_html="<p>" + "<b>" * 400 + "deep</p>", description="Deep."),
    item(2, "Nested lists two hundred deep", prefix="deep",
         content_html="<ul><li>" * 200 + "x" + "</li></ul>" * 200, description="Nested."),
    item(3, "A fine story after them", prefix="deep", description="Fine."),
    item(4, "Another fine story", prefix="deep", description="Fine too."),
]  # fmt: skip

# --- class 9: titles have a cap -----------------------------------------------------------------

HUGE_TITLE = "headline " * 116_000  # about 1 MB
HUGE = [
    item(1, HUGE_TITLE.strip(), prefix="huge", description="A megabyte of title."),
    item(2, "A" * 200_000, prefix="huge", description="One 200,000-letter word of title."),
    item(3, "An ordinary neighbour", prefix="huge", description="Short."),
    item(4, "A story with a megabyte link", prefix="huge", description="Long link.",
         link="https://gazette.example.org/" + "a" * 1_000_000,
         content_html='<p><img src="https://gazette.example.org/' + "i" * 500_000 + '.png"></p>'),
]  # fmt: skip

FIXTURE_SETS = {
    s.name: s
    for s in [
        FixtureSet("markup", "1, 5", _feeds(MARKUP), len(MARKUP)),
        FixtureSet("active-html", "nh3", _feeds(ACTIVE, atom_entries=ATOM_ACTIVE),
                   len(ACTIVE) + len(ATOM_ACTIVE)),
        FixtureSet("links", "2", _feeds(LINKS, GOOGLE_LINKS), len(LINKS) + len(GOOGLE_LINKS)),
        FixtureSet("build-breakers", "3", _feeds(BUILD_BREAKERS, GOOGLE_BREAKERS),
                   len(BUILD_BREAKERS) + len(GOOGLE_BREAKERS)),
        FixtureSet("yaml-types", "4", _feeds(YAML_TYPES, GOOGLE_YAML),
                   len(YAML_TYPES) + len(GOOGLE_YAML),
                   titles=(*YAML_TITLES, "A publisher called yes", "A publisher called 0o17")),
        FixtureSet("characters", "6", _serve_characters, 4 + 1, may_fail_feeds=True),
        FixtureSet("deep-html", "7", _feeds(DEEP), len(DEEP), may_skip=2),
        FixtureSet("huge-titles", "9", _feeds(HUGE), len(HUGE)),
    ]
}  # fmt: skip
