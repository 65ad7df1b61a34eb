"""Issue 15's content in every language: tags a person would choose, slugs readable in every
script, a summary that is a lede, a description that says what a Google News story is."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from newswire.keywords import MAX_TAGS, extract_tags, stop_words
from newswire.lede import lede, sentences
from newswire.models import Article, FeedConfig
from newswire.slugs import HUGO_RESERVED, SLUG_PATTERN, make_slug, url_slug

from .helpers import fixture_articles

UNSPACED = re.compile("[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\u0e00-\u0e7f]")
GERMAN = FeedConfig(url="https://stadtanzeiger.example.de/rss", name="de")
ENGLISH = FeedConfig(url="https://desk.example.co.uk/rss", name="en")
ARABIC = FeedConfig(url="https://news.google.com/rss/topics/CAAq?hl=ar&gl=EG&ceid=EG:ar", name="ar")
JAPANESE = FeedConfig(
    url="https://news.google.com/rss/topics/CAAq?hl=ja&gl=JP&ceid=JP:ja", name="ja"
)
SEARCH = FeedConfig(
    url="https://news.google.com/rss/search?q=Ukraine&hl=en-US&gl=US&ceid=US:en", name="s"
)


def by_title(name: str, feed: FeedConfig) -> dict[str, Article]:
    return {a.title: a for a in fixture_articles(name, feed)}


# --- tags ------------------------------------------------------------------------------------


def test_english_tags_keep_acronyms_and_categories_and_drop_filler() -> None:
    articles = by_title("english-tags.xml", ENGLISH)
    talks = articles["EU and UK reopen fisheries talks as deal nears"].tags
    assert talks[:4] == ("politics", "brexit", "EU", "UK")  # the feed's own categories first
    storm = articles["Storm Amy brings floods as Met Office lifts warnings"].tags
    assert "met office" in storm  # a name is one tag
    nato = articles["NATO ministers back new drone plan for the Baltic"].tags
    assert {"NATO", "US", "UK"} <= set(nato)
    every = [t for a in articles.values() for t in a.tags]
    filler = {"reopen", "reopens", "reopened", "nears", "brings", "lifts", "back", "new", "plan"}
    assert not filler & set(every)
    assert all(len(a.tags) <= MAX_TAGS for a in articles.values())


def test_categories_that_name_no_topic_are_not_tags() -> None:
    tags = extract_tags(
        "Ferry returns", "", categories=["Uncategorized", "News", "Transport", "EU"]
    )
    assert tags == ("transport", "EU", "ferry")


def test_inflections_of_one_word_are_one_tag() -> None:
    tags = extract_tags("Protesters march as protests grow in Lisbon", "The protest grew.")
    assert [t for t in tags if t.startswith("protest")] == ["protesters"]
    assert extract_tags("Floods in the north", "Flooding and a flood warning.")[0] == "floods"


def test_german_tags_are_nouns_without_stop_words() -> None:
    articles = by_title("german-feed.xml", GERMAN)
    every = {t for a in articles.values() for t in a.tags}
    assert not {"die", "der", "das", "für", "bei", "eine", "neuen", "beschließt", "üben"} & every
    budget = articles["Bürgerschaft beschließt neuen Haushalt für Hamburgs Schulen"]
    assert budget.tags[:2] == ("politik", "bildung")
    assert {"bürgerschaft", "haushalt", "schulen"} <= set(budget.tags)
    floods = articles["Überschwemmungen in Süddeutschland: Pegel der Donau steigt weiter"]
    assert "donau" in floods.tags


def test_japanese_is_left_untagged_rather_than_cut_into_fragments() -> None:
    articles = fixture_articles("google-news-japanese.xml", JAPANESE)
    assert not [t for a in articles for t in a.tags if UNSPACED.search(t)]
    toyota = next(a for a in articles if a.title.startswith("トヨタ"))
    assert toyota.tags == ("AI",)  # the Latin acronym inside the Japanese headline


def test_arabic_tags_are_words_without_stop_words() -> None:
    articles = fixture_articles("google-news-arabic.xml", ARABIC)
    stop = stop_words("ar")
    assert all(a.tags for a in articles)
    assert not [t for a in articles for t in a.tags if t in stop]
    assert "غزة" in articles[0].tags


WORDS = st.text(
    alphabet=st.sampled_from([*"abcXYZ éüß", *"ЄСдія", *"漢字かな", *"غزة", *".,:-'"]), max_size=80
)


@settings(max_examples=200, deadline=None)
@given(title=WORDS, text=WORDS, language=st.sampled_from(["en", "de", "uk", "ar", "ja", "xx"]))
def test_any_text_gives_a_few_whole_word_tags(title: str, text: str, language: str) -> None:
    tags = extract_tags(title, text, language=language)
    assert len(tags) <= MAX_TAGS
    assert len(set(tags)) == len(tags)
    for tag in tags:
        assert tag.strip() == tag and tag
        assert not UNSPACED.search(tag)
        assert tag.lower() not in stop_words(language) or tag.isupper()


# --- slugs -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "language", "slug"),
    [
        ("Große Koalition: Grüne üben Kritik", "de", "grosse-koalition-gruene-ueben-kritik"),
        ("Große Koalition: Grüne üben Kritik", "en", "grosse-koalition-grune-uben-kritik"),
        ("Школярі Кременчука виграли олімпіаду", "uk", "shkoliari-kremenchuka-vyhraly-olimpiadu"),
        ("Юрій з'єднав Згорани і Ярмолинці", "uk", "yurii-ziednav-zghorany-i-yarmolyntsi"),
        ("Москва и Киев", "ru", "moskva-i-kiev"),
    ],
)
def test_slugs_transliterate_as_the_language_writes(title: str, language: str, slug: str) -> None:
    assert make_slug(title, "0123456789abcdef", language=language) == slug


def test_a_title_without_a_readable_transliteration_takes_the_url_or_the_id() -> None:
    article_id = "4304897b7d78aa01"
    readable = "https://www.aljazeera.net/news/2026/1/6/riyadh-summit-discusses-gaza-ceasefire"
    opaque = "https://www3.nhk.or.jp/news/html/20260106/k10014999991000.html"
    arabic = "قمة الرياض تبحث وقف إطلاق النار في غزة"
    assert make_slug(arabic, article_id, language="ar", urls=(None, readable)) == (
        "riyadh-summit-discusses-gaza-ceasefire"
    )
    assert make_slug("東京都心で震度4の地震", article_id, language="ja", urls=(opaque,)) == (
        "article-4304897b7d78"
    )
    # Not the Mandarin reading of a Japanese headline, nor consonants of an Arabic one:
    assert make_slug("東京都心で震度4の地震", article_id) == "article-4304897b7d78"
    assert make_slug(arabic, article_id) == "article-4304897b7d78"


@pytest.mark.parametrize(
    ("url", "slug"),
    [
        ("https://x.example/news/2026/01/06/cabinet-approval-rises/", "cabinet-approval-rises"),
        ("https://x.example/a/oil_prices_rise.html", "oil-prices-rise"),
        ("https://www.nikkei.com/article/DGXZQOUB0601K0W6A100C2000000/", None),
        ("https://www.yomiuri.co.jp/economy/20260106-OYT1T50123/", None),
        ("https://www.bbc.com/arabic/articles/c3d9x0q1l2ko", None),
        ("https://x.example/1781234-%D9%85%D8%B5%D8%B1-%D8%AA%D8%B3", None),
        ("https://x.example/", None),
        (None, None),
    ],
)  # fmt: skip
def test_a_url_slug_is_taken_only_when_it_is_words(url: str | None, slug: str | None) -> None:
    assert url_slug(url) == slug


@settings(max_examples=200, deadline=None)
@given(
    title=WORDS,
    url=st.one_of(st.none(), st.text(max_size=60)),
    language=st.sampled_from(["en", "de", "uk", "ar", "ja"]),
)
def test_any_title_gives_a_valid_slug(title: str, url: str | None, language: str) -> None:
    slug = make_slug(title, "0123456789abcdef", language=language, urls=(url,))
    assert SLUG_PATTERN.match(slug)
    assert slug not in HUGO_RESERVED


# --- summary and description -----------------------------------------------------------------


def test_the_summary_is_the_first_paragraph_not_headings_or_tables() -> None:
    budget = by_title("german-feed.xml", GERMAN)[
        "Bürgerschaft beschließt neuen Haushalt für Hamburgs Schulen"
    ]
    assert budget.summary == (
        "Die Hamburgische Bürgerschaft hat am Mittwoch den Haushalt für die Jahre 2026 und 2027 "
        "beschlossen. Für die Schulen der Stadt sind 3,1 Milliarden Euro vorgesehen, so viel wie "
        "nie zuvor."
    )  # two sentences of three; not the heading, nor the table's "Jahr Ausgaben"
    # The body keeps the structure: the table as a Markdown table, the iframe as a link.
    assert "| Jahr | Ausgaben für Schulen |" in budget.body
    assert "(https://www.youtube-nocookie.com/embed/h4mB5Sch0l3n)" in budget.body


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ("<h2>Head</h2><p>One. Two here. Three.</p>", "One. Two here."),
        ("Councillors voted <b>9 to 2</b>.<ul><li>Work</li></ul>", "Councillors voted 9 to 2."),
        ("<table><tr><td>x</td></tr></table><p>After the table.</p>", "After the table."),
        ("The U.S. and Mr. Smith agreed. On 7. Jan it ended. More.",
         "The U.S. and Mr. Smith agreed. On 7. Jan it ended."),
        ("東京で地震。津波なし。気象庁が発表。", "東京で地震。津波なし。"),
        ("<p>" + "word " * 100 + "</p>", "word " * 59 + "word…"),
    ],
)  # fmt: skip
def test_the_lede_is_at_most_two_sentences_cut_at_a_word(html: str, expected: str) -> None:
    assert lede(html, 300) == expected


@given(st.text(max_size=600))
def test_any_text_gives_a_lede_within_the_limit(text: str) -> None:
    assert len(lede(text, 300)) <= 300
    assert all(s.strip() == s and s for s in sentences(text))


def test_google_topic_description_is_the_lead_headline_and_search_repeats_nothing() -> None:
    arabic = fixture_articles("google-news-arabic.xml", ARABIC)[0]
    assert arabic.description == "قمة الرياض تبحث وقف إطلاق النار في غزة — الجزيرة نت"
    assert "سكاي نيوز" not in arabic.description  # not the other outlets
    for article in fixture_articles("google-news-search.xml", SEARCH):
        assert (article.description, article.summary) == ("", "")
