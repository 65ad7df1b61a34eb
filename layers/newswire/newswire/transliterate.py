"""Ukrainian to Latin letters by Ukraine's national standard, for slugs.

unidecode (behind python-slugify) reads Ukrainian letters as Russian ones ("виграли" becomes
"vigrali", "г" a "g"), which a Ukrainian reader does not recognise; the packages that know the
national table are unmaintained or Russian-only. The table is the official romanisation of
Ukrainian (Resolution No. 55 of the Cabinet of Ministers of Ukraine, 27 January 2010), the
one on Ukrainian passports and road signs: "Школярі виграли" → "shkoliari vyhraly".
"""

from __future__ import annotations

import re

# Letter → Latin inside a word; _WORD_START holds the letters written otherwise at its start.
_TABLE = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia", "'": "", "’": "", "ʼ": "",
}  # fmt: skip
_WORD_START = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}
# "зг" is "zgh", so that it is not read as "ж" ("zh").
_ZGH = re.compile("зг")
_LETTER = re.compile("[а-щьюяєіїґ'’ʼ]")


def transliterate_ukrainian(text: str) -> str:
    """`text` lower-cased, its Ukrainian letters in Latin; other characters unchanged."""
    text = _ZGH.sub("zgh", text.lower())
    out: list[str] = []
    previous = " "
    for char in text:
        if char in _WORD_START and not (previous.isalpha() or previous in "'’ʼ"):
            out.append(_WORD_START[char])
        else:
            out.append(_TABLE.get(char, char) if _LETTER.match(char) else char)
        previous = char
    return "".join(out)
