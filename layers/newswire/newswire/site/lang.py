"""Pure: the `lang` and `dir` of a page or an entry, from an article's language tag.

Written by hand rather than with Babel: the site needs one bit per language (right to left or
not), and CLDR's locale data would add megabytes to the Lambda layer for it. The lists are
CLDR's right-to-left languages and the Unicode scripts written right to left; a script subtag
("az-Arab", "ku-Latn") decides before the language does.
"""

from __future__ import annotations

import re
from typing import Literal

Direction = Literal["ltr", "rtl"]

RTL_LANGUAGES = frozenset({
    "ar", "arc", "ckb", "dv", "fa", "he", "iw", "ji", "ks", "lrc", "mzn", "nqo", "ps", "sd",
    "syr", "ug", "ur", "yi",
})  # fmt: skip
RTL_SCRIPTS = frozenset({
    "adlm", "arab", "hebr", "mand", "mend", "nkoo", "rohg", "samr", "syrc", "thaa", "yezi",
})  # fmt: skip
# BCP 47's shape (language, then subtags of letters and digits): anything else is not put in
# an attribute, whatever a feed declared.
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8}){0,6}")


def language_tag(value: str | None) -> str | None:
    """`value` as a BCP 47 tag for a `lang` attribute ("pt_BR" → "pt-BR"), or None when it is
    empty or not shaped like one."""
    if not value or not _LANGUAGE_TAG.fullmatch(value.strip()):
        return None
    return value.strip().replace("_", "-")


def text_direction(language: str) -> Direction:
    """ "rtl" for languages written right to left (Arabic, Hebrew, Persian, Urdu, …)."""
    subtags = language.replace("_", "-").lower().split("-")
    scripts = [s for s in subtags[1:] if len(s) == 4 and s.isalpha()]
    if scripts:
        return "rtl" if scripts[0] in RTL_SCRIPTS else "ltr"
    return "rtl" if subtags[0] in RTL_LANGUAGES else "ltr"


def lang_dir(value: str | None, default: str) -> tuple[str, Direction]:
    """The `lang` and `dir` for text in `value`'s language, else in the site's `default`."""
    tag = language_tag(value) or language_tag(default) or "en"
    return tag, text_direction(tag)
