"""Feed HTML to Markdown that a default Hugo site renders: sanitized first, then converted."""

from __future__ import annotations

import functools
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import nh3

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "cite", "code", "dd", "del", "dl", "dt", "em",
    "figcaption", "figure", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "li", "ol",
    "p", "pre", "q", "s", "small", "strong", "sub", "sup", "u", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}}
SAFE_SCHEMES = {"http", "https", "mailto"}
# Hugo reads "{{<" and "{{%" in content as shortcode calls, and fails the build on unknown ones.
# Braces as HTML entities render the same text and are never parsed as a shortcode.
_SHORTCODE_OPENER = re.compile(r"\{\{(?=\s*[<%])")
_BLANK_LINES = re.compile(r"\n{3,}")


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """An absolute http(s)/mailto URL, or None: javascript:, data: and the like never pass."""
    if not url:
        return None
    url = url.strip()
    if base:
        url = urljoin(base, url)
    parts = urlsplit(url)
    if parts.scheme.lower() not in SAFE_SCHEMES:
        return None
    if parts.scheme.lower() != "mailto" and not parts.netloc:
        return None
    return url


def sanitize_html(html: str) -> str:
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=SAFE_SCHEMES,
        strip_comments=True,
        link_rel=None,
    )


@functools.cache
def _converter_class() -> type[Any]:
    """markdownify with links made absolute and tracking pixels dropped. Built on first use:
    markdownify imports BeautifulSoup, which a run where no feed changed never needs (a Lambda
    cold start pays for every import)."""
    from markdownify import MarkdownConverter

    class Converter(MarkdownConverter):
        def __init__(self, base_url: str | None, **options: Any) -> None:
            super().__init__(**options)
            self.base_url = base_url

        def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
            href = safe_url(el.get("href"), self.base_url)
            if href is None:
                return str(text)
            el["href"] = href
            return str(super().convert_a(el, text, parent_tags))  # type: ignore[misc]

        def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
            src = safe_url(el.get("src"), self.base_url)
            if src is None or el.get("width") in ("0", "1") or el.get("height") in ("0", "1"):
                return ""
            el["src"] = src
            return str(super().convert_img(el, text, parent_tags))  # type: ignore[misc]

    return Converter


def neutralize_shortcodes(text: str) -> str:
    return _SHORTCODE_OPENER.sub("&#123;&#123;", text)


def html_to_markdown(html: str, base_url: str | None = None) -> str:
    converter = _converter_class()(
        base_url,
        heading_style="ATX",
        bullets="-",
        strong_em_symbol="*",
        # Markdown syntax in feed *text* ("[x](javascript:…)", "<javascript:…>") must stay text.
        escape_misc=True,
    )
    markdown = converter.convert(sanitize_html(html))
    markdown = _BLANK_LINES.sub("\n\n", markdown).strip()
    return neutralize_shortcodes(markdown)


def escape_link_text(text: str) -> str:
    """Text safe inside Markdown link brackets."""
    return re.sub(r"([\\\[\]*_`<>])", r"\\\1", text)


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
    parser = _FirstImage()
    parser.feed(html)
    return parser.src
