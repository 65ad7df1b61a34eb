"""Pure: the lede of an article's HTML, the opening a reader sees in a list: its first
paragraph of prose, at most two sentences, cut at a word.

Headings, tables, captions, lists and quotes are not prose a list page should show ("Jahr
Ausgaben 2026 1,5 Mrd. €" is a table flattened); they are skipped. The stdlib parser is used
for the same reason as in newswire.text: nh3 would glue the blocks' words together.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from newswire.text import BLOCK_TAGS, SKIP_TAGS, clean_line, feed_html, html_to_text, truncate

# Blocks whose text is not the article's opening prose.
NOT_PROSE = frozenset(
    {
        "h1", "h2", "h3", "h4", "h5", "h6", "table", "figcaption", "figure", "blockquote",
        "pre", "ul", "ol", "dl", "nav", "aside", "header", "footer", "iframe", "button",
    }
)  # fmt: skip
MAX_SENTENCES = 2
# A sentence ends at . ! ? … (and the closing quotes or brackets after them) before a space
# and a capital, a digit or an opening quote; at 。！？ (Chinese and Japanese) and Arabic ؟
# without needing a space.
_BOUNDARY = re.compile(
    r"""(?:(?<=[.!?…])([\"'»”’)\]]*)\s+(?=[\"'«“‘(\[]*[^\W_a-zа-яёєіїґ])|(?<=[。！？؟])\s*)"""
)
_SENTENCE_END = re.compile("[.!?…。！？؟]")
# A period after an initial ("J. Smith", "U.S."), a number ("am 7. Januar") or one of these
# abbreviations ends no sentence.
_ABBREVIATED = """
    mr mrs ms dr prof st mt gen col lt sgt capt gov sen rep rev jr sr vs inc ltd co corp dept
    est approx ca bzw vgl str tel mrd mio tsd usw evtl inkl abs
"""
ABBREVIATIONS = frozenset(_ABBREVIATED.split())


class _Paragraphs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.paragraphs: list[str] = []
        self._current: list[str] = []
        self._skip = 0
        self._not_prose = 0

    def _end_block(self) -> None:
        text = clean_line("".join(self._current))
        if text:
            self.paragraphs.append(text)
        self._current = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in SKIP_TAGS:
            self._skip += 1
        elif tag in NOT_PROSE:
            self._end_block()
            self._not_prose += 1
        elif tag == "br":
            self._current.append(" ")
        elif tag in BLOCK_TAGS:
            self._end_block()

    def handle_endtag(self, tag: str) -> None:
        if tag in SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag in NOT_PROSE:
            self._current = []
            self._not_prose = max(0, self._not_prose - 1)
        elif tag in BLOCK_TAGS:
            self._end_block()

    def handle_data(self, data: str) -> None:
        if not self._skip and not self._not_prose:
            self._current.append(data)

    def close(self) -> None:
        super().close()
        self._end_block()


def paragraphs(html: str, limit: int | None = None) -> list[str]:
    """The prose paragraphs of an HTML fragment, as clean lines, in order (the first `limit`)."""
    if "<" not in html:
        text = html_to_text(html)
        return [text] if text else []
    if limit is None:
        return feed_html(_Paragraphs, html).paragraphs

    def enough(parser: _Paragraphs) -> bool:
        return len(parser.paragraphs) >= limit

    return feed_html(_Paragraphs, html, enough=enough).paragraphs[:limit]


def sentences(text: str, limit: int | None = None) -> list[str]:
    """`text` cut into sentences (a period after an abbreviation or initial ends none); with
    `limit`, only the first `limit` of them."""
    out: list[str] = []
    start = 0
    # A boundary begins right after a sentence's last character (both of its alternatives
    # look behind for one, and none of the characters a boundary spans is one): the pattern
    # is tried there only, not at every character of the text.
    for stop in _SENTENCE_END.finditer(text):
        match = _BOUNDARY.match(text, stop.end())
        if match is None:
            continue
        # Indices, not a slice of the text so far: an abbreviation leaves `start` where it was,
        # and a copy at every one would make a run of them quadratic.
        if (
            match.start() > start
            and text[match.start() - 1] == "."
            and _abbreviation(text, start, match.start())
        ):
            continue
        end = match.end(1) if match.group(1) is not None else match.start()
        out.append(text[start:end].strip())
        start = match.end()
        if limit is not None and len(out) >= limit:
            return out
    tail = text[start:].strip()
    return [*out, tail] if tail else out


def _abbreviation(text: str, start: int, stop: int) -> bool:
    # The last word of text[start:stop] before its closing period: the run of word characters
    # and periods (\w is what str.isalnum says, and "_") that ends there.
    end = stop - 1
    begin = end
    while begin > start and (text[begin - 1].isalnum() or text[begin - 1] in "_."):
        begin -= 1
    last_word = text[begin:end].lower()
    return bool(last_word) and (
        len(last_word) == 1 or "." in last_word or last_word.isdigit() or last_word in ABBREVIATIONS
    )


def lede(html: str, limit: int) -> str:
    """The first prose paragraph of `html`, at most two sentences and `limit` characters (cut
    at a word); when there is no prose paragraph, the fragment's text, so cut."""
    found = paragraphs(html, 1)
    text = found[0] if found else html_to_text(html)
    first = sentences(text, MAX_SENTENCES)
    # Chinese and Japanese put no space after a full stop.
    joined = "".join(f"{s} " if not s.endswith(("。", "！", "？")) else s for s in first)
    return truncate(joined.strip(), limit)
