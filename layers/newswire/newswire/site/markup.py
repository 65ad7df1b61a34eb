"""Pure: an article's Markdown (body and summary) → safe HTML, with markdown-it-py (CommonMark).

Raw HTML is never passed through (`html` off: it is shown as text), links are limited to
http(s) by newswire's one URL rule (`newswire.markdown.safe_url`), and an image becomes an
<img> only when the site allows remote images: otherwise it is a link to the image, so that a
page makes no request to another host.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict

from newswire.markdown import prepared, safe_url

__all__ = [
    "body_links", "echoes_headlines", "is_link_list", "render_body", "safe_url", "summary_html",
    "summary_text",
]  # fmt: skip

EXTERNAL_REL = "nofollow noopener"
SUMMARY_CACHE = 4096


def _valid_link(url: str) -> bool:
    return safe_url(url) is not None


def _link_open(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    tokens[idx].attrSet("rel", EXTERNAL_REL)
    return str(renderer.renderToken(tokens, idx, options, env))


def _image_as_link(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    src = str(token.attrGet("src") or "")
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "image"
    return (
        f'<a class="image-link" href="{_escape(src)}" rel="{EXTERNAL_REL}">'
        f"Image: {_escape(alt)}</a>"
    )


def _remote_image(
    renderer: Any, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    token = tokens[idx]
    alt = renderer.renderInlineAsText(token.children or [], options, env) or "Image"
    src = str(token.attrGet("src") or "")
    return (
        f'<img src="{_escape(src)}" alt="{_escape(alt)}" loading="lazy" decoding="async" '
        'referrerpolicy="no-referrer">'
    )


def _escape(text: str) -> str:
    return (
        text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    )


@functools.cache
def markdown_renderer(*, remote_images: bool) -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.validateLink = _valid_link  # type: ignore[method-assign]
    md.add_render_rule("link_open", _link_open)
    md.add_render_rule("image", _remote_image if remote_images else _image_as_link)
    return prepared(md)  # shared by the site build's threads


def render_body(markdown: str, *, remote_images: bool) -> str:
    """The body as HTML. Headings are shifted down two levels (# → h3) so that the page's own
    h1 (the title) and h2 (its sections) stay the outline's top."""
    md = markdown_renderer(remote_images=remote_images)
    tokens = md.parse(markdown)
    for token in tokens:
        if token.type in ("heading_open", "heading_close"):
            level = min(6, int(token.tag[1]) + 2)
            token.tag = f"h{level}"
    return str(md.renderer.render(tokens, md.options, {}))


# A list page shows the same summaries again and again (home, terms, months): each is parsed
# once per process.
@functools.lru_cache(maxsize=SUMMARY_CACHE)
def summary_html(markdown: str) -> str:
    """A front-matter `summary` (Markdown, one paragraph) as inline HTML: text shown as text,
    links http(s) only, no block element."""
    return str(markdown_renderer(remote_images=False).renderInline(markdown)).strip()


@functools.lru_cache(maxsize=SUMMARY_CACHE)
def summary_text(markdown: str) -> str:
    """The plain text a `summary` shows (for meta tags, comparisons and plain-text feeds)."""
    md = markdown_renderer(remote_images=False)
    renderer: Any = md.renderer
    text = ""
    for token in md.parseInline(markdown):
        text += renderer.renderInlineAsText(token.children or [], md.options, {})
    return " ".join(text.split())


@functools.cache
def _structure_parser() -> MarkdownIt:
    """CommonMark for looking at a body's structure (not for output): one, compiled, shared by
    the build's threads (a parser per call cost more than the parse)."""
    return prepared(MarkdownIt("commonmark", {"html": False}))


@functools.lru_cache(maxsize=64)
def _structure(markdown: str) -> tuple[Token, ...]:
    """The body's block tokens, read only: is_link_list and body_links look at the same body
    one after the other."""
    return tuple(_structure_parser().parse(markdown))


def body_links(markdown: str) -> list[str]:
    """Every link target in the body, in order (to tell a bare coverage list from prose)."""
    found: list[str] = []
    for token in _structure(markdown):
        for child in token.children or []:
            if child.type == "link_open":
                found.append(str(child.attrGet("href") or ""))
    return found


_LIST_STARTS = ("-", "+", "*", "[")
"""What a body whose first block is a bullet list can begin with (after blank lines and
indentation): a bullet, or a link reference definition, which makes no token of its own."""


def is_link_list(markdown: str) -> bool:
    """True when the body is only a bullet list of links (Google News' coverage list)."""
    if not markdown.lstrip().startswith(_LIST_STARTS):
        return False  # prose, most bodies: not worth a parse
    return tokens_are_link_list(_structure(markdown))


def tokens_are_link_list(tokens: Sequence[Token]) -> bool:
    """The rule on a body's block tokens: one bullet list, and a link in each of its lines."""
    if not tokens or tokens[0].type != "bullet_list_open":
        return False
    depth = 0
    for token in tokens:
        depth += token.nesting
        if depth == 0 and token is not tokens[-1]:
            return False  # something follows the list
        if token.type == "inline" and not any(c.type == "link_open" for c in token.children or []):
            return False
    return True


# What separates the headlines of a Google News description ("A (Pub) · B (Pub) · C…"), and
# what follows a headline there: its publisher, in brackets or after a dash.
_PARTS = re.compile(r"\s+·\s+")
_BYLINE = re.compile(r"\s*(?:\([^()]*\)|[—–-]\s+[^—–-]+)$")
MIN_ECHO = 12
"""Shorter pieces of text are not taken for a headline (a word or two repeats by chance)."""


def _fold(text: str) -> str:
    return " ".join(text.casefold().split())


def echoes_headlines(summary: str, headlines: Sequence[str]) -> bool:
    """Whether the summary only repeats headlines the page shows anyway (its own title and
    the related coverage): every part of it begins one of them, its publisher aside; the last
    part may be cut short ("…"). Google News writes such summaries; shown above the list, they
    say it twice."""
    folded = [_fold(h) for h in headlines if h]
    raw = [_fold(p) for p in _PARTS.split(summary) if p.strip()]
    if not raw or not folded:
        return False
    for number, part in enumerate(raw, 1):
        cut = number == len(raw) and part.endswith("…")
        part = part.rstrip("…").rstrip()
        shortest = 1 if cut else MIN_ECHO
        candidates = {part, _fold(_BYLINE.sub("", part))}
        if not any(
            len(c) >= min(shortest, len(h)) and h.startswith(c) for c in candidates for h in folded
        ):
            return False
    return True
