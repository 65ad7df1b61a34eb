"""Plain text from feed HTML: decoded entities, folded whitespace, cut at a word boundary."""

from __future__ import annotations

import re
import unicodedata
from html.parser import HTMLParser

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
    folded = _WHITESPACE.sub(" ", text)
    if folded.isprintable():
        return folded.strip()
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
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    return clean_line("".join(parser.parts))


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
