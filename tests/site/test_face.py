"""The site's face (pure): a reader sees the story, its publisher, time, section, topics and
related coverage, never newswire's bookkeeping; each page and entry says its language and
writing direction; the lede never just repeats headlines shown below it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from newswire.site.article import render_article
from newswire.site.lang import lang_dir, language_tag, text_direction
from newswire.site.options import SiteOptions
from newswire.site.pages import ListPage, render_list
from tests.site.helpers import BASE_URL, record
from tests.site.test_pages import Outline, check_common, outline, stored

GOOGLE_REDIRECT = "https://news.google.com/rss/articles/CBMiQWh0dHBzOi8vZXhhbXBsZS5vcmcvYQ?oc=5"


def google_meta(r: Any, **changes: Any) -> dict[str, Any]:
    """A Google News item's front matter, with a distinctive value in every plumbing key."""
    meta = {
        "title": r.title,
        "date": "2026-01-05T18:00:00+00:00",
        "description": "Harbour wall repaired (Harbour Gazette) · Wall history told (Other)",
        "summary": "Harbour wall repaired (Harbour Gazette) · Wall history told (Other)",
        "slug": "slug-plumbing-value",
        "image": "",
        "link": GOOGLE_REDIRECT,
        "source": "https://news.google.com/rss/search?q=plumbing-source",
        "categories": ["gazette.example.org"],
        "tags": ["harbour", "wall"],
        "draft": False,
        "publisher": "Harbour Gazette",
        "publisher_url": "https://gazette.example.org",
        "url_original": "https://gazette.example.org/news/wall",
        "guid": "guid-plumbing-value",
        "feed": ["feed-plumbing-value"],
        "related": [
            {
                "title": "Wall history told",
                "url": "https://other.example.com/h",
                "publisher": "Other",
            }
        ],
        "id": "id0plumbing0value000",
    }
    meta.update(changes)
    return meta


@dataclass(frozen=True)
class Shown:
    """An article page as a reader meets it: its outline, visible text and source."""

    doc: Outline
    text: str
    html: str

    def details(self) -> dict[str, str]:
        """The "About this story" list: each <dt> label and the text of its <dd>."""
        rows = re.findall(r"<dt>(.*?)</dt>\s*<dd[^>]*>(.*?)</dd>", self.html, re.S)
        return {dt: " ".join(re.sub(r"<[^>]+>", " ", dd).split()) for dt, dd in rows}

    def has_lede(self) -> bool:
        return any(attrs.get("class") == "lede" for _, attrs in self.doc.tags)


def article(meta: dict[str, Any], body: str = "", **options: Any) -> Shown:
    site = SiteOptions(**options)
    page = render_article(record(), stored(meta, body), site, BASE_URL)
    # The common checks expect the site's language on <html>: only for pages in it.
    doc = check_common(page, site) if not meta.get("language") else outline(page)
    return Shown(doc, " ".join(" ".join(doc.text).split()), page.body.decode("utf-8"))


def test_an_article_page_shows_a_reader_no_plumbing() -> None:
    shown = article(google_meta(record()))
    text = shown.text

    for plumbing in (
        "slug-plumbing-value", "guid-plumbing-value", "feed-plumbing-value",
        "id0plumbing0value000", "plumbing-source", "Draft", "Source feed", "GUID", "Slug",
        "Feeds", "news.google.com",
    ):  # fmt: skip
        assert plumbing not in text, plumbing
    hrefs = [a.get("href", "") for a in shown.doc.all("a")]
    assert not [h for h in hrefs if "plumbing" in h or "news.google.com" in h]
    # What a reader wants is there: publisher (and its site), time, section, topics, related.
    details = shown.details()
    assert details["Publisher"] == "Harbour Gazette gazette.example.org"
    assert details["Published"] == "5 January 2026, 18:00 UTC"
    assert details["Section"] == "Local"
    assert details["Categories"] == "gazette.example.org"
    assert set(details) == {"Published", "Publisher", "Section", "Categories"}
    assert "harbour" in text and "Wall history told" in text
    # The button leads to the publisher's page, not to a Google News redirect.
    assert "https://gazette.example.org/news/wall" in hrefs


def test_the_lede_is_left_out_when_it_only_repeats_the_headlines_below() -> None:
    r = record()
    # Google News topic items: the summary lists the story's and the related headlines.
    assert not article(google_meta(r)).has_lede()
    # Search items: the summary is the title and its publisher.
    assert not article(google_meta(r, summary=f"{r.title} — Harbour Gazette")).has_lede()
    # Cut short with an ellipsis, it is still a repeat.
    cut = "Harbour wall repaired (Harbour Gazette) · Wall his…"
    assert not article(google_meta(r, summary=cut)).has_lede()


def test_a_lede_that_says_something_of_its_own_is_shown() -> None:
    r = record()
    lede = "Masons finished the harbour wall after three months of winter storms."
    shown = article(google_meta(r, summary=lede))
    assert shown.has_lede() and lede in shown.text
    # One part of its own is enough: it is not only a repeat.
    assert article(google_meta(r, summary=f"Wall history told (Other) · {lede}")).has_lede()


def test_an_arabic_article_page_is_right_to_left_and_its_chrome_stays_english() -> None:
    doc = article(google_meta(record(), language="ar")).doc
    html = doc.all("html")[0]
    assert (html["lang"], html["dir"]) == ("ar", "rtl")
    header = next(a for t, a in doc.tags if t == "header" and a.get("class") == "site-header")
    assert (header["lang"], header["dir"]) == ("en", "ltr")
    aside = next(a for t, a in doc.tags if t == "aside")
    assert (aside["lang"], aside["dir"]) == ("en", "ltr")


def test_an_article_in_the_sites_language_or_unknown_uses_the_sites() -> None:
    for language, site in (("de", "de"), (None, "de"), ("not a tag<", "uk")):
        meta = google_meta(record())
        if language:
            meta["language"] = language
        doc = article(meta, language=site).doc
        html = doc.all("html")[0]
        assert (html["lang"], html["dir"]) == (site, "ltr")
        assert all("lang" not in a for t, a in doc.tags if t == "header")
    doc = article(google_meta(record(), language="de")).doc
    assert doc.all("html")[0]["lang"] == "de" and "lang" in doc.all("header")[0]


def test_list_entries_take_their_direction_from_their_own_text() -> None:
    arabic = record(title="قمة الرياض تبحث وقف إطلاق النار", summary="ملخص الخبر")
    page = render_list(
        ListPage(path="", heading="Latest news", records=[arabic]), SiteOptions(), BASE_URL
    )
    doc = check_common(page, SiteOptions())
    assert (doc.all("html")[0]["lang"], doc.all("html")[0]["dir"]) == ("en", "ltr")
    titled = [a for t, a in doc.tags if t == "h2" and "entry-title" in a.get("class", "")]
    summaries = [a for t, a in doc.tags if t == "p" and a.get("class") == "summary"]
    assert [a["dir"] for a in titled + summaries] == ["auto", "auto"]


def test_text_direction_of_languages_and_scripts() -> None:
    for rtl in ("ar", "he", "fa", "ur", "ps", "yi", "ckb", "ar-EG", "AR", "az-Arab", "pa_Arab"):
        assert text_direction(rtl) == "rtl", rtl
    for ltr in ("en", "de", "ja", "uk", "zh-Hant", "ku-Latn", "tr", "sr-Cyrl", "ar-Latn"):
        assert text_direction(ltr) == "ltr", ltr
    assert language_tag("pt_BR") == "pt-BR" and language_tag("") is None
    assert language_tag('en" onload="x') is None


@given(st.text(max_size=40), st.sampled_from(["en", "ar", "", "bad tag"]))
def test_any_declared_language_gives_a_safe_lang_and_a_direction(value: str, site: str) -> None:
    lang, direction = lang_dir(value, site)
    assert direction in ("ltr", "rtl")
    assert lang and all(c.isascii() and (c.isalnum() or c == "-") for c in lang)


def test_a_list_entry_leaves_out_a_summary_that_only_repeats_its_headline() -> None:
    echo = record(title="Night train returns", summary="Night train returns — Kyiv Independent")
    own = record(id="b" * 20, slug="other", summary="Sleeper cars run again from Kyiv to Odesa.")
    page = render_list(
        ListPage(path="", heading="Latest news", records=[echo, own]), SiteOptions(), BASE_URL
    )
    summaries = [a for t, a in outline(page).tags if t == "p" and a.get("class") == "summary"]
    assert len(summaries) == 1
    assert "Sleeper cars run again" in page.body.decode()
    assert "— Kyiv Independent" not in page.body.decode()
