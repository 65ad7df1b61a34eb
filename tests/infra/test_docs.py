"""The repository's own documents: the README stays short and names every command, every
relative link lands, and the example page in docs/site.md is what newswire writes today."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from newswire.cli import build_parser

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
DOCS = [README, *sorted((REPO / "docs").glob("*.md"))]
GOLDEN_PAGE = (
    REPO / "tests/data/golden/google-news-world/content/world/2026/01"
    "/russia-ukraine-war-list-of-key-events-day-1407.md"
)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """The fragment GitHub gives a heading: lower case, punctuation dropped, spaces as '-'."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"^```.*?^```", "", path.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {github_anchor(h) for h in re.findall(r"^#+ (.+)$", text, re.M)}


def test_the_readme_is_short_and_shows_the_two_commands() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 250
    assert "make run" in text
    assert "make test" in text


def test_the_readme_names_every_command() -> None:
    text = README.read_text(encoding="utf-8")
    (commands,) = (a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    missing = [name for name in commands.choices if f"`newswire {name}" not in text]
    assert missing == [], "commands missing from README.md's command table"


def test_every_relative_link_lands() -> None:
    broken = []
    for doc in DOCS:
        for target in LINK.findall(doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, fragment = target.partition("#")
            landing = (doc.parent / path).resolve() if path else doc
            if not landing.exists():
                broken.append(f"{doc.name}: {target} (no such file)")
            elif fragment and landing.suffix == ".md" and fragment not in anchors(landing):
                broken.append(f"{doc.name}: {target} (no such heading)")
    assert broken == []


def test_the_example_page_is_the_golden_file() -> None:
    """docs/site.md shows one page as newswire writes it: when the golden file changes on
    purpose, paste the new file there too."""
    text = (REPO / "docs" / "site.md").read_text(encoding="utf-8")
    example = re.search(r"^```markdown\n(.*?)^```", text, re.M | re.S)
    assert example is not None
    assert example.group(1) == GOLDEN_PAGE.read_text(encoding="utf-8")
