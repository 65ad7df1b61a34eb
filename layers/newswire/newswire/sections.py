"""Hugo's section pages: `content/<section>/_index.md`, which gives a section its title.

Without it Hugo titles a section from its folder name, pluralized and capitalized ("world" →
"Worlds", "de" → "Des"). newswire writes the file once, when a section first gets an article,
and never again: from then on it is the Hugo site's to edit (an intro, menus, `cascade`, its
own title), and a create-only write is safe when several workers reach a new section at once
(one of them creates it, the others find it there). To apply a changed title from feeds.yaml,
delete the file: the next article in that section writes it anew.
"""

from __future__ import annotations

import logging

from newswire.ports import ContentStore, StorageError
from newswire.render import front_matter_yaml
from newswire.slugs import SLUG_PATTERN

log = logging.getLogger("newswire.sections")

SECTION_INDEX = "_index.md"
MAX_TITLE = 100


def default_section_title(section: str) -> str:
    """The title of a section that feeds.yaml gives none: its name in words ("world" →
    "World", "local-news" → "Local news")."""
    return section.replace("-", " ").capitalize()


def section_index_key(section: str) -> str:
    if not SLUG_PATTERN.match(section):
        raise ValueError(f"not a section name: {section!r}")
    return f"content/{section}/{SECTION_INDEX}"


def is_section_index(key: str) -> bool:
    """Whether a content key is a section's `_index.md` (not an article)."""
    return key.startswith("content/") and key.rsplit("/", 1)[-1] == SECTION_INDEX


def section_index_page(title: str) -> bytes:
    """The `_index.md` of a section: front matter with its title only (the list itself is the
    Hugo layout's). The title goes through the same YAML quoting as every article's."""
    return f"---\n{front_matter_yaml({'title': title})}---\n".encode()


def ensure_section_index(store: ContentStore, section: str, title: str) -> bool:
    """Create the section's `_index.md` unless it exists. True if this call wrote it. Raises
    StorageError when the store fails."""
    return store.put_new(section_index_key(section), section_index_page(title))


class SectionIndexes:
    """The sections whose `_index.md` this process has seen written (or found): each is
    checked once per process, and a failure is logged and tried again with the section's next
    new article, never failing a feed."""

    def __init__(self) -> None:
        self.done: set[str] = set()

    def ensure(self, store: ContentStore, section: str, title: str) -> None:
        if section in self.done:
            return
        try:
            if ensure_section_index(store, section, title):
                log.info("section index written", extra={"section": section, "title": title})
        except StorageError as exc:
            log.warning("section index not written", extra={"section": section, "error": str(exc)})
            return
        self.done.add(section)
