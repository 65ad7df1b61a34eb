"""http(s) URLs of the common shape, read without urllib.parse.urlsplit.

urlsplit is most of the cost of checking a URL, and each URL of an item is asked about several
times (its link for its id, its host, its story key, its Markdown link; each related link). The
two patterns accept only URLs whose reading by urlsplit is not in doubt: the scheme http or
https in any case, a host of ASCII letters, digits, dots and hyphens (no port, no user info,
no brackets, nothing non-ASCII: urlsplit raises nothing and its hostname is the host
lower-cased), and none of the tab, CR or LF that urlsplit deletes first. Every other URL takes
urlsplit's path at the caller; tests/unit/test_shortcuts.py holds each use to urlsplit's
reading on generated URLs. No library reads a URL faster than urlsplit, hence these lines.
"""

from __future__ import annotations

import re

PREFIX = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9.-]+)(?:[/?#]|\Z)")
"""The start of such a URL, up to the end of its host (group 1): enough to know it is absolute
with that hostname, whatever follows (for a URL from which tabs and line breaks were removed)."""

WHOLE = re.compile(
    r"[Hh][Tt][Tt][Pp][Ss]?://([A-Za-z0-9.-]+)(/[^?#\t\n\r]*)?(?:\?([^#\t\n\r]*))?"
    r"(?:#[^\t\n\r]*)?\Z"
)
"""All of such a URL: host (1), path to the first "?" or "#" (2, None when empty) and query
(3, None when there is none), as urlsplit's netloc, path and query give them."""
