"""Plain text from feed HTML: decoded entities, folded whitespace, cut at a word boundary."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from html import unescape
from html.parser import HTMLParser
from typing import TypeVar

ELLIPSIS = "…"
# Tags after which visible text is separate words. The stdlib parser is used rather than nh3
# here because nh3 strips tags without a separator, gluing "Al Jazeera</li><li>War" together.
BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "br", "dd", "div", "dl", "dt", "figcaption",
        "figure", "footer", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hr", "li", "main",
        "nav", "ol", "p", "pre", "section", "table", "td", "th", "tr", "ul", "font",
    }
)  # fmt: skip
SKIP_TAGS = frozenset({"script", "style", "template", "noscript", "head", "title"})
_WHITESPACE = re.compile(r"\s+")

# The stdlib parser spends most of its time finding out what kind of markup comes next. Feed
# HTML is nearly always plain tags with quoted attributes, where tokenizing is unambiguous: one
# regex reads that, and hands the parser the events its own tokenizer would (tests/unit/
# test_text.py compares both on generated markup). Anything else (comments, declarations, a
# bare "<", unquoted values, elements whose content the parser reads raw in some Python
# version) goes to the parser itself. nh3 and html-to-markdown give no events to hook into.
_SIMPLE_TOKEN = re.compile(
    r"""([^<]+)
    | <([a-zA-Z][a-zA-Z0-9]*)
       ((?:[ \t\n\r\f]+[a-zA-Z_:][-a-zA-Z0-9_:.]*(?:="[^"]*"|='[^']*')?)*)
       [ \t\n\r\f]*(/?)>
    | </([a-zA-Z][a-zA-Z0-9]*)[ \t\n\r\f]*>""",
    re.VERBOSE,
)
_SIMPLE_ATTRIBUTE = re.compile(
    r"""[ \t\n\r\f]+([a-zA-Z_:][-a-zA-Z0-9_:.]*)(?:="([^"]*)"|='([^']*)')?"""
)
P = TypeVar("P", bound=HTMLParser)
_RAW_TEXT_TAGS = frozenset(
    {"script", "style", "textarea", "title", "xmp", "iframe", "noembed", "noframes",
     "noscript", "plaintext"}
)  # fmt: skip


def feed_html(
    new_parser: Callable[[], P],
    html: str,
    *,
    close: bool = True,
    enough: Callable[[P], bool] | None = None,
) -> P:
    """A parser from `new_parser` (built with convert_charrefs=True) that has read `html`, as
    `parser.feed(html)` and `parser.close()` would, with the events of simple markup found by
    regex; its text may come in other pieces than from its own tokenizer (the handlers here
    join them). With `close` false, only the tags are as from `parser.feed(html)` alone: the
    stdlib parser holds back trailing text until close(). `enough`, asked after each tag, may
    end the reading early (a reader that needs only the beginning): the parser's events for
    markup up to a tag do not depend on what follows it.

    The events are handed over as the markup is read, so a reader that has enough stops
    reading; markup that is not simple, met on the way, sends all of `html` to a new parser's
    own tokenizer (the first parser's events are dropped with it)."""
    parser = new_parser()
    end = 0
    for token in _SIMPLE_TOKEN.finditer(html):
        text, tag, attributes, closed, end_tag = token.groups()
        if token.start() != end or (tag is not None and tag.lower() in _RAW_TEXT_TAGS):
            break
        end = token.end()
        if text is not None:
            parser.handle_data(unescape(text))
            continue
        if tag is not None:
            found = _attributes(attributes) if attributes else []
            if closed:
                parser.handle_startendtag(tag.lower(), found)
            else:
                parser.handle_starttag(tag.lower(), found)
        else:
            parser.handle_endtag(end_tag.lower())
        if enough is not None and enough(parser):
            end = len(html)
            break
    if end != len(html):
        parser = new_parser()
        parser.feed(html)
    if close:
        parser.close()
    return parser


def _attributes(text: str) -> list[tuple[str, str | None]]:
    # As the parser reports them: names lower-case, a value without "=" None, values unescaped.
    found: list[tuple[str, str | None]] = []
    for match in _SIMPLE_ATTRIBUTE.finditer(text):
        name, double, single = match.groups()
        value = double if double is not None else single
        found.append((name.lower(), unescape(value) if value else value))
    return found


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skip += 1
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in BLOCK_TAGS:
            self.parts.append(" ")

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def clean_line(text: str) -> str:
    """One line of clean text: no control or format characters, whitespace folded to spaces.

    Line and paragraph separators, the BOM and other invisible characters are dropped or made
    spaces, so that every value is safe in YAML, HTML attributes and file names downstream.
    """
    # The common case: once whitespace (line breaks included) is folded, nothing is left to
    # drop; the character loop below is for the rest, and gives the same result here.
    # str.split() splits at what the pattern's \s matches (both ask Py_UNICODE_ISSPACE).
    folded = " ".join(text.split())
    if folded.isprintable():
        return folded
    out = []
    for char in text:
        category = unicodedata.category(char)
        if char.isspace() or category in ("Zl", "Zp"):
            out.append(" ")
        elif category in ("Cc", "Cf", "Cs", "Co", "Cn"):
            continue
        else:
            out.append(char)
    return _WHITESPACE.sub(" ", "".join(out)).strip()


def html_to_text(html: str) -> str:
    """Visible text of an HTML fragment as one clean line (entities decoded, &nbsp; a space)."""
    if "<" not in html and "&" not in html:
        return clean_line(html)
    return clean_line("".join(feed_html(_TextExtractor, html).parts))


def truncate(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters at a word boundary, with an ellipsis if cut."""
    if len(text) <= limit:
        return text
    cut = text[: limit - len(ELLIPSIS) + 1]
    space = cut.rfind(" ")
    if space > limit // 2:
        cut = cut[:space]
    else:
        cut = cut[: limit - len(ELLIPSIS)]
    return cut.rstrip(" ,;:.-–—") + ELLIPSIS
