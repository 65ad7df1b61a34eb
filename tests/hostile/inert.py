"""Whether built HTML is inert: parsed (never grepped) and held to one rule for every reader.

A page passes when it has
- no `script`, `iframe`, `object`, `embed`, `svg`, `math`, `frame`, `frameset`, `applet`,
  `base` or `form` element, and no `<meta http-equiv="refresh">`;
- no attribute whose name starts with `on` (event handlers);
- no URL attribute (`href`, `src`, `srcset` candidates, `poster`, `action`, ...) whose scheme is
  anything but http or https. The scheme is read as a browser reads it (WHATWG URL): leading
  and trailing spaces and C0 controls stripped, tabs and newlines removed anywhere, character
  references already decoded by the parser; then `^[A-Za-z][A-Za-z0-9+.-]*:` is the scheme,
  compared case-insensitively. A value with no scheme is a relative reference (a path, `?query`,
  `#fragment`, or `//host/...`), which a browser resolves against the page's own http(s) URL:
  allowed. Go templates write `#ZgotmplZ` where they refused an unsafe URL: reported too;
- no "raw HTML omitted" (Goldmark's comment where it dropped raw HTML) in a comment or text.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

FORBIDDEN_ELEMENTS = frozenset(
    {"script", "iframe", "object", "embed", "svg", "math", "frame", "frameset", "applet",
     "base", "form"}
)  # fmt: skip
URL_ATTRIBUTES = frozenset(
    {"href", "src", "poster", "action", "formaction", "cite", "background", "data",
     "xlink:href", "ping", "manifest", "lowsrc", "dynsrc", "longdesc", "icon"}
)  # fmt: skip
SAFE_SCHEMES = frozenset({"http", "https"})
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.\-]*):")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
OMITTED = "raw HTML omitted"


def url_scheme(value: str) -> str | None:
    """The scheme a browser sees in an attribute value (lower case), or None if relative."""
    cleaned = value.strip(_C0_OR_SPACE)
    cleaned = re.sub(r"[\t\n\r]", "", cleaned)
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


def unsafe_url(value: str) -> bool:
    scheme = url_scheme(value)
    return (scheme is not None and scheme not in SAFE_SCHEMES) or "ZgotmplZ" in value


class _Inspector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_ELEMENTS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=…> event handler")
            if name in URL_ATTRIBUTES and unsafe_url(value):
                self.problems.append(f"<{tag} {name}={value!r}>")
            if name in ("srcset", "imagesrcset"):
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0]
                    if url and unsafe_url(url):
                        self.problems.append(f"<{tag} {name}> candidate {url!r}")
        values = dict(attrs)
        if tag == "meta" and (values.get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        if OMITTED in data:
            self.problems.append(f"comment {data.strip()!r}")

    def handle_data(self, data: str) -> None:
        if OMITTED in data:
            self.problems.append(f"text {data.strip()[:80]!r}")


def problems(html: str) -> list[str]:
    """Every way `html` is not inert (empty when it is)."""
    inspector = _Inspector()
    inspector.feed(html)
    inspector.close()
    return inspector.problems
