"""Markdown that every reader takes for what it says: feed HTML sanitized, then converted, then
checked; text escaped; link destinations that nothing can end early; only http(s) URLs.

The converter (html-to-markdown) does the structure: paragraphs, lists, tables, emphasis. What
makes the output safe is newswire's own and is enforced around it: nh3 before it, links and
images written here (scheme checked, destination encoded), and a check of its output after it,
with the escaped plain text as the fallback when the output is not what was asked for.
"""

from __future__ import annotations

import functools
import re
import threading
from html import escape as html_escape
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

import nh3

from newswire import plainurl
from newswire.text import clean_line, feed_html, html_to_text

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "cite", "code", "dd", "del", "dl", "dt",
    "em", "embed", "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "iframe", "img", "li", "ol", "p", "pre", "q", "s", "small", "strong", "sub", "sup", "table",
    "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "iframe": {"src"},
    "embed": {"src"},
}
SAFE_SCHEMES = frozenset({"http", "https"})

# What a browser does to a URL before reading it (WHATWG URL standard): leading and trailing
# C0 controls and spaces are stripped, tabs and newlines anywhere are removed. "java\tscript:"
# is "javascript:" to a browser, so it must be to the check as well.
_URL_TRIM = "".join(chr(c) for c in range(0x21))
_URL_REMOVED = re.compile("[\t\n\r]")
# Longer URLs are refused: no article, image or publisher link comes near it (Google News
# redirects run to ~700 characters), and each URL is repeated on several pages and feeds, so one
# item with a megabyte link would bloat all of them, as an uncapped title did.
MAX_URL_LENGTH = 4096


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s) URL with a host, or None.

    The one rule for every URL newswire writes or shows: javascript:, data:, vbscript:, mailto:,
    any case of them, and URLs that stay scheme-less or protocol-relative after resolution
    against `base` never pass.
    """
    if not url or len(url) > MAX_URL_LENGTH:
        return None
    if _safe_as_written(url):  # nothing to trim, remove or resolve: no cache needed
        return url
    if base is not None and len(base) > MAX_URL_LENGTH:
        return _checked_url(url, base)
    return _cached_checked_url(url, base)


def _safe_as_written(url: str) -> bool:
    # A plain absolute URL with no control character or space anywhere (isprintable is false
    # for each but the space): _checked_url's trimming and removal leave it as it is.
    return plainurl.PREFIX.match(url) is not None and " " not in url and url.isprintable()


def _checked_url(url: str, base: str | None) -> str | None:
    url = url.strip(_URL_TRIM)
    if "\t" in url or "\n" in url or "\r" in url:  # rare: the regex costs more than the checks
        url = _URL_REMOVED.sub("", url)
    # A URL plainurl.PREFIX accepts is absolute http(s) with a hostname and needs no resolution
    # against a base; anything else (a port, user info, a bracketed host, an IDN, a relative
    # URL) takes urlsplit's path.
    if plainurl.PREFIX.match(url):
        return url if len(url) <= MAX_URL_LENGTH else None
    return _split_checked_url(url, base)


def _split_checked_url(url: str, base: str | None) -> str | None:
    try:
        if base and not url[:8].lower().startswith(("https://", "http://")):
            url = urljoin(base, url)
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the host
        return None
    if parts.scheme.lower() not in SAFE_SCHEMES or not parts.hostname:
        return None
    return url if len(url) <= MAX_URL_LENGTH else None


# One URL is checked several times per item (the link for its id, its host, its story key, its
# Markdown link; each related link when listed and when written), and urlsplit is most of the
# check. Small enough that only what recurs within a few items stays.
_cached_checked_url = functools.lru_cache(maxsize=1024)(_checked_url)


# --- text and URLs as Markdown -------------------------------------------------------------

# Characters that mean something to CommonMark or to Hugo's Goldmark with its default
# extensions (tables, strikethrough, linkify, typographer, footnotes, definition lists) or to
# Hugo's shortcode scanner ("{{<", "{{%"). Backslash escapes work for any ASCII punctuation in
# both, so escaping is always exact; the common prose marks (. - : ) are escaped only where
# they could start something, to keep the Markdown readable.
_ALWAYS = r"""[\\`*_\[\]<>&{}|~#+=@^"']"""
# Every branch begins with the character it escapes and looks back with a lookbehind after it:
# a branch that begins with a lookbehind or "^" is tried at every position of the text, which
# made this pattern three times slower for the same matches.
_MARKDOWN_SPECIAL = re.compile(
    _ALWAYS
    + r"|-(?<=^-)|-(?=-)|-(?<=--)"  # a list item or thematic break; typographer dashes
    + r"|\.(?=\.)|\.(?<=\.\.)|\.(?<=[Ww]{3}\.)"  # typographer ellipsis; linkify's "www."
    + r"|:(?=//)|:(?<=^:)",  # linkify's "https://"; a definition list
    re.MULTILINE,
)
_ORDERED_MARKER = re.compile(r"^(\d+)([.)])", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """One line of text as Markdown that renders back to exactly that text, in any reader."""
    # Publishers' names recur on every page that lists them; titles do not, and a long text
    # would only fill the cache.
    return _escape_recurring(text) if len(text) <= _RECURRING else _escape(text)


_RECURRING = 40


def _escape(text: str) -> str:
    escaped = _MARKDOWN_SPECIAL.sub(r"\\\g<0>", text)
    # A marker begins a line: a text that begins with no digit (\d is a kind of isdigit) and
    # holds no line break has none.
    if escaped[:1].isdigit() or "\n" in escaped:
        escaped = _ORDERED_MARKER.sub(r"\1\\\2", escaped)
    return escaped


_escape_recurring = functools.lru_cache(maxsize=1024)(_escape)


# In a link destination: what a browser would percent-encode anyway is percent-encoded (so the
# URL means the same), and punctuation that Markdown or Hugo could read is backslash-escaped
# (CommonMark unescapes it: the href keeps the character, "&amp;" stays five characters).
_DESTINATION_PERCENT = re.compile('[\x00-\x20\x7f<>"]')
_DESTINATION_BACKSLASH = re.compile(r"[\\()&{}|`]")


_DESTINATION_ANY = re.compile(f"{_DESTINATION_PERCENT.pattern}|{_DESTINATION_BACKSLASH.pattern}")


def markdown_destination(url: str) -> str:
    """A URL as a link destination that no character can end early or turn into markup."""
    if not _DESTINATION_ANY.search(url):  # most URLs: one scan finds nothing for either
        return url
    url = _DESTINATION_PERCENT.sub(lambda m: f"%{ord(m.group()):02X}", url)
    return _DESTINATION_BACKSLASH.sub(r"\\\g<0>", url)


def markdown_link(text: str, url: str | None, *, base: str | None = None) -> str:
    """`[text](url)` for Markdown `text`, or the text alone when the URL is not http(s)."""
    target = safe_url(url, base)
    if target is None or not text:
        return text
    return f"[{text}]({markdown_destination(target)})"


# --- HTML to Markdown ----------------------------------------------------------------------

# Hugo reads "{{<" and "{{%" in content as shortcode calls (in code too) and fails the build on
# unknown ones.
SHORTCODE_OPENER = re.compile(r"\{\{\s*[<%]")
# nh3 hands every kept href, src and alt to newswire, which resolves and checks the URLs and
# gives the converter stand-ins (its own output mangles "&amp;", "{{<" and the scheme in URLs,
# and leaves "*" in alt text); they are swapped for newswire's Markdown afterwards. Feed text
# cannot forge one: the converter escapes ":", "/", "!" and "[" in text.
_STAND_IN = "https://url.invalid/"
_STAND_IN_DESTINATION = re.compile(r"\]\(" + re.escape(_STAND_IN) + r"(\d+)\)")
_ALT_STAND_IN = "newswirealt"
_STAND_IN_ALT = re.compile(r"!\[" + _ALT_STAND_IN + r"(\d+)z\]")
# nh3 writes attributes double-quoted, with '"' as &quot;, so these see every kept attribute.
_DROPPED_IMAGE = re.compile(r'<img\b(?:(?![^>]*\ssrc=")|[^>]*?\s(?:width|height)="[01]")[^>]*>')
_FRAME = re.compile(r"<iframe\b([^>]*)>.*?</iframe>|<embed\b([^>]*)>", re.DOTALL)
_STAND_IN_SOURCE = re.compile(r'\ssrc="' + re.escape(_STAND_IN) + r'(\d+)"')
_BLANK_LINES = re.compile(r"\n{3,}")
# Outside <pre>, a run of whitespace is one space to HTML; the converter turns a run holding two
# line breaks into a paragraph break, so such runs become one line break first.
_LINE_BREAK_RUN = re.compile(r"[ \t\r\f]*\n\s*")
# Control characters (line breaks aside), bidi overrides, the BOM and lone surrogates: invisible
# or disguising in a page, invalid in XML, and nothing a reader should get from a feed's text.
# (Joiners stay: scripts and emoji need them.)
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ufeff\ud800-\udfff]"
)
# The ASCII members of _INVISIBLE. A scan by the pattern costs some nanoseconds a character;
# ASCII text (English feeds that write entities for the rest) is cleared of them by
# bytes.translate at a fraction of that.
_INVISIBLE_ASCII = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])


def _visible(html: str) -> str:
    """`html` without the characters of _INVISIBLE."""
    if html.isascii():
        return html.encode("ascii").translate(None, _INVISIBLE_ASCII).decode("ascii")
    return _INVISIBLE.sub("", html)


# Markdown the converter writes only when it does something newswire did not ask for: raw HTML
# or an autolink (an unescaped "<"), a link reference definition (an unescaped "]:"), a link
# whose destination is not one of newswire's (an unescaped "](" left over).
_UNESCAPED = r"(?<!\\)(?:\\\\)*"
_RAW_ANGLE = re.compile(_UNESCAPED + "<")
_REFERENCE = re.compile(_UNESCAPED + r"\]:")
_LINK_END = re.compile(_UNESCAPED + r"\]\(")


class _Sanitizing(threading.local):
    """What the sanitizer's attribute filter needs from the call in progress on this thread."""

    values: list[str] | None = None
    base: str | None = None


_CALL = _Sanitizing()


def _check_value(_tag: str, attribute: str, value: str) -> str | None:
    values = _CALL.values
    if attribute == "alt" and values is not None:
        values.append(value)
        return f"{_ALT_STAND_IN}{len(values) - 1}z"
    if attribute not in ("href", "src"):
        return value
    url = safe_url(value, _CALL.base)
    if url is None or values is None:
        return url
    values.append(url)
    return f"{_STAND_IN}{len(values) - 1}"


@functools.cache
def _cleaner() -> nh3.Cleaner:
    # One sanitizer for every call: nh3.clean builds its rules from the Python sets on each
    # call, which cost a third of sanitizing a short article. Its filter is a plain function,
    # so the call's values and base reach it through _CALL (per thread: feeds run in threads).
    return nh3.Cleaner(
        tags=ALLOWED_TAGS,
        attributes={**ALLOWED_ATTRIBUTES, "*": set()},
        attribute_filter=_check_value,
        url_schemes=set(SAFE_SCHEMES),
        strip_comments=True,
        link_rel=None,
    )


def sanitize_html(html: str, values: list[str] | None = None, base: str | None = None) -> str:
    """Only the allowed tags and attributes, and only http(s) URLs (resolved against `base`).

    With `values`, each kept URL and alt text is appended to it and replaced by a stand-in for
    the converter.
    """
    _CALL.values, _CALL.base = values, base
    try:
        return _cleaner().clean(html)
    finally:
        _CALL.values = _CALL.base = None


def _frames_as_links(clean: str, values: list[str]) -> str:
    """An iframe or embed becomes a plain link to what it would have shown."""

    def as_link(match: re.Match[str]) -> str:
        source = _STAND_IN_SOURCE.search(match.group(1) or match.group(2) or "")
        if source is None:
            return ""
        text = html_escape(values[int(source.group(1))])
        return f'<p><a href="{_STAND_IN}{source.group(1)}">{text}</a></p>'

    return _FRAME.sub(as_link, clean)


@functools.cache
def _converter() -> tuple[Any, Any, Any]:
    """The converter, its options and the warning that it gave up at a depth, loaded on first
    use: a run where no feed changed never converts HTML, and a cold start pays for imports.

    The compiled module is called directly: the package's `convert` wrapper rebuilds the native
    options from its Python dataclass on every call, which costs more than converting a
    Google News description.
    """
    from html_to_markdown import _html_to_markdown as native

    options = native.ConversionOptions(
        heading_style=native.HeadingStyle.ATX,
        bullets="-",
        strong_em_symbol="*",
        # Its defaults leave text unescaped ("&lt;script&gt;" becomes a raw "<script>");
        # escaping all ASCII punctuation is also what keeps Goldmark's typographer, linkify
        # and shortcode scanner off feed text.
        escape_asterisks=True,
        escape_underscores=True,
        escape_misc=True,
        escape_ascii=True,
        autolinks=False,
        code_language="",
    )
    return native.convert, options, native.WarningKind.DEPTH_LIMIT_EXCEEDED


def prepared(md: MarkdownIt) -> MarkdownIt:
    """`md` with every rule chain compiled, so that threads can share it. markdown-it-py
    compiles a chain on its first use, and a thread that parses meanwhile reads it half built
    (an IndexError, or rules silently skipped); once compiled, parsing only reads it."""
    md.core.ruler.getRules("")
    md.block.ruler.getRules("")
    md.inline.ruler.getRules("")
    md.inline.ruler2.getRules("")
    return md


@functools.cache
def _checker() -> MarkdownIt:
    """CommonMark with every link kept and raw HTML parsed, to see what the output holds."""
    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark")
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return prepared(md)  # shared by ingest's feed workers


def is_safe_markdown(markdown: str) -> bool:
    """No raw HTML, no autolink and no link or image outside http(s), as CommonMark reads it."""
    stack = list(_checker().parse(markdown))
    while stack:
        token = stack.pop()
        if token.type in ("html_block", "html_inline"):
            return False
        if token.type in ("link_open", "image"):
            url = str(token.attrGet("href") or token.attrGet("src") or "")
            if token.markup == "autolink" or safe_url(url) is None:
                return False
        stack.extend(token.children or ())
    return True


def _as_text(html: str) -> str:
    return escape_markdown(html_to_text(html))


def html_to_markdown(html: str, base_url: str | None = None) -> str:
    """Feed HTML as Markdown: structure kept, text escaped, links and images http(s) only.

    Whatever the converter returns is checked; output that is not what was asked for (markup
    it should not write, a depth it gave up at) is replaced by the escaped plain text, so that
    one odd item is still stored rather than lost.
    """
    values: list[str] = []
    clean = sanitize_html(_visible(html), values, base_url)
    # The guards are for speed: a pattern that begins with optional spaces is tried at every
    # space of the text.
    if "\n" in clean and "<pre" not in clean:
        clean = _LINE_BREAK_RUN.sub("\n", clean)
    if "<img" in clean:
        clean = _DROPPED_IMAGE.sub("", clean)
    if "<iframe" in clean or "<embed" in clean:
        clean = _frames_as_links(clean, values)
    convert, options, gave_up = _converter()
    try:
        result = convert(clean, options)
    except Exception:  # a converter failure costs the item its formatting, not the item
        return _as_text(clean)
    if any(warning.kind == gave_up for warning in result.warnings):
        return _as_text(clean)
    markdown = result.content or ""
    if _ALT_STAND_IN in markdown:
        markdown = _STAND_IN_ALT.sub(
            lambda m: f"![{escape_markdown(clean_line(values[int(m.group(1))]))}]", markdown
        )
    markdown, links = _STAND_IN_DESTINATION.subn(
        lambda m: f"]({markdown_destination(values[int(m.group(1))])})", markdown
    )
    if "\n\n\n" in markdown:
        markdown = _BLANK_LINES.sub("\n\n", markdown)
    markdown = markdown.strip()
    suspicious = (
        ("<" in markdown and _RAW_ANGLE.search(markdown))
        or ("]:" in markdown and _REFERENCE.search(markdown))
        or (markdown.count("](") != links and len(_LINK_END.findall(markdown)) != links)
    )
    if (suspicious and not is_safe_markdown(markdown)) or SHORTCODE_OPENER.search(markdown):
        return _as_text(clean)
    return markdown


class _FirstImage(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img" and self.src is None:
            values = dict(attrs)
            if values.get("width") not in ("0", "1") and values.get("height") not in ("0", "1"):
                self.src = values.get("src")


def first_image_src(html: str) -> str | None:
    """The src of the first <img> that is not a tracking pixel."""
    return feed_html(_FirstImage, html, close=False, enough=_has_src).src


def _has_src(parser: _FirstImage) -> bool:
    return parser.src is not None
