"""Deterministic feeds for the benchmark: Google News-shaped RSS, ordinary RSS 2.0 and Atom.

Everything comes from `random.Random(f"{seed}/{index}")`, so a seed and a feed index always give
the same bytes (string seeds are hashed with SHA-512 by `random`, independent of PYTHONHASHSEED).

Google News feeds follow tests/data/google-news-world.xml: titles end in " - Publisher", the
description is an escaped `<ol>` of related coverage (`<a>` + `&nbsp;&nbsp;<font>Publisher`),
`<source url>` names the publisher, guids are opaque `CBMi…` article ids (some embed the
publisher URL, some the newer opaque `AU_yqL…` token), and some publishers and whole editions
are Cyrillic or otherwise non-ASCII. Ordinary feeds carry HTML content with images and links
(some relative, as real blogs have), media:content / enclosure images and categories.
"""

from __future__ import annotations

import base64
import dataclasses
import email.utils
import hashlib
import html
import random
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

FeedKind = Literal["google", "rss", "atom"]

# Every item is dated before this instant: in the past on any machine that runs the bench, so
# newswire keeps the feed's own dates and the output is the same on every run.
BASE_TIME = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)

_ENGLISH = (
    "ceasefire talks resume after overnight strikes on the eastern front minister says "
    "parliament votes budget reform election results delayed protesters gather capital "
    "central bank raises interest rates inflation slows markets rally storm floods coastal "
    "towns thousands evacuated wildfire spreads drought harvest prices climb summit leaders "
    "agree climate targets trade deal signed tariffs ports strike workers union wages "
    "hospital shortage vaccine rollout scientists discover ancient shipwreck river "
    "satellite launch delayed engine fault airline cancels flights football club wins "
    "league title coach resigns court rules appeal rejected president visits border "
    "refugees crossing earthquake strikes region rescue teams search survivors energy "
    "prices winter supply pipeline repairs railway opens tunnel bridge collapse "
    "investigation police arrest suspects fraud scandal mayor embassy sanctions exports "
    "grain corridor shipping insurers"
)
ENGLISH_WORDS = tuple(_ENGLISH.split())
_RUSSIAN = (
    "переговоры возобновились после ночных ударов министр заявил парламент принял бюджет "
    "реформа выборы результаты протесты столица центральный банк повысил ставку инфляция "
    "рынки шторм наводнение эвакуация урожай цены саммит лидеры соглашение торговля порт "
    "забастовка больница вакцина учёные спутник запуск авиакомпания отменила рейсы футбол "
    "клуб чемпионат суд решение президент визит граница беженцы землетрясение спасатели "
    "энергия зима газопровод ремонт железная дорога мост расследование полиция задержала"
)
RUSSIAN_WORDS = tuple(_RUSSIAN.split())
ENGLISH_PUBLISHERS = (
    ("Al Jazeera", "https://www.aljazeera.com"),
    ("Reuters", "https://www.reuters.com"),
    ("BBC", "https://www.bbc.com"),
    ("The Guardian", "https://www.theguardian.com"),
    ("Associated Press", "https://apnews.com"),
    ("The Kyiv Independent", "https://kyivindependent.com"),
    ("France 24", "https://www.france24.com"),
    ("DW", "https://www.dw.com"),
    ("NPR", "https://www.npr.org"),
    ("EA WorldView", "https://eaworldview.com"),
)
NON_ASCII_PUBLISHERS = (
    ("Süddeutsche Zeitung", "https://www.sueddeutsche.de"),
    ("El País", "https://elpais.com"),
    ("Українська правда", "https://www.pravda.com.ua"),
    ("Українські Національні Новини", "https://unn.ua"),
    ("Le Monde — International", "https://www.lemonde.fr"),
)
RUSSIAN_PUBLISHERS = (
    ("Коммерсантъ", "https://www.kommersant.ru"),
    ("РИА Новости", "https://ria.ru"),
    ("Ведомости", "https://www.vedomosti.ru"),
    ("Новая газета Европа", "https://novayagazeta.eu"),
    ("Медуза", "https://meduza.io"),
)
AUTHORS = ("Olena Koval", "Sam Patel", "Jürgen Weiß", "María López", "Chen Wei", "Ada Byrne")
CATEGORIES = ("World", "Politics", "Business", "Science", "Sport", "Weather", "Transport")


@dataclass(frozen=True)
class FeedSpec:
    """One feed of the workload; the server and the clients agree on it from the seed alone."""

    index: int
    kind: FeedKind
    items: int
    language: str
    validators: bool  # False: the server sends no ETag/Last-Modified and never answers 304

    @property
    def name(self) -> str:
        return f"feed-{self.index:03d}"

    @property
    def path(self) -> str:
        return f"/feeds/{self.index:03d}-{self.kind}.xml"

    @property
    def content_type(self) -> str:
        if self.kind == "atom":
            return "application/atom+xml; charset=utf-8"
        return "application/rss+xml; charset=utf-8"


def plan(seed: int, feeds: int, items: int, *, no_validators_every: int = 0) -> list[FeedSpec]:
    """`feeds` feeds of `items` items: three in five Google News, one RSS, one Atom.

    Every tenth Google News feed is a Russian edition. With `no_validators_every=k`, every k-th
    feed is served by an origin that ignores validators (always 200, same bytes).
    """
    specs = []
    for index in range(feeds):
        rng = random.Random(f"{seed}/plan/{index}")
        slot = index % 5
        kind: FeedKind = "google" if slot < 3 else ("rss" if slot == 3 else "atom")
        language = "ru" if kind == "google" and index % 10 == 1 else "en"
        plain = no_validators_every > 0 and index % no_validators_every == no_validators_every - 1
        rng.random()  # reserved: keeps the stream stable if plan() grows more choices
        specs.append(FeedSpec(index, kind, items, language, validators=not plain))
    return specs


def render_feed(seed: int, spec: FeedSpec) -> bytes:
    rng = random.Random(f"{seed}/feed/{spec.index}")
    if spec.kind == "google":
        return _google_feed(rng, spec).encode("utf-8")
    if spec.kind == "rss":
        return _rss_feed(rng, spec).encode("utf-8")
    return _atom_feed(rng, spec).encode("utf-8")


def render_moving_feed(seed: int, spec: FeedSpec, round_: int, rounds: int, new: int) -> bytes:
    """Round `round_` (0: the first run, up to `rounds`) of a feed that moves the way Google
    News does: `new` new items on top each round, as many old ones drop off the end, a new
    lastBuildDate (Atom: updated) on every round, and no validators (the server never answers
    304). An item's bytes never change once it is out: the pool is rendered once, newest first."""
    pool = render_feed(seed, dataclasses.replace(spec, items=spec.items + rounds * new)).decode()
    tag = "entry" if spec.kind == "atom" else "item"
    items = re.findall(rf"<{tag}[ >].*?</{tag}>", pool, flags=re.DOTALL)
    head = pool[: pool.index(items[0])]
    tail = pool[pool.index(items[-1]) + len(items[-1]) :]
    start = (rounds - round_) * new
    built = BASE_TIME + timedelta(hours=round_)
    head = head.replace(_rfc822(BASE_TIME), _rfc822(built), 1)
    head = head.replace(BASE_TIME.isoformat(), built.isoformat(), 1)
    return (head + "\n".join(items[start : start + spec.items]) + tail).encode("utf-8")


def etag_of(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:24] + '"'


def last_modified_of(spec: FeedSpec) -> str:
    return email.utils.format_datetime(BASE_TIME + timedelta(minutes=spec.index), usegmt=True)


# --- text ----------------------------------------------------------------------------------


def _headline(rng: random.Random, words: tuple[str, ...] | list[str]) -> str:
    chosen = rng.sample(list(words), rng.randint(6, 11))
    text = " ".join(chosen)
    if rng.random() < 0.2:
        text += f", day {rng.randint(2, 1500):,}"
    if rng.random() < 0.15:
        text = f"{text.split()[0].title()}: {' '.join(text.split()[1:])}"
    return text[0].upper() + text[1:]


def _sentence(rng: random.Random, words: tuple[str, ...] | list[str]) -> str:
    return _headline(rng, words) + rng.choice((".", ".", ".", "?", "!"))


def _paragraph(rng: random.Random) -> str:
    return " ".join(_sentence(rng, ENGLISH_WORDS) for _ in range(rng.randint(3, 6)))


def _when(rng: random.Random, index: int) -> datetime:
    return BASE_TIME - timedelta(minutes=index * 37 + rng.randint(0, 30))


def _rfc822(when: datetime) -> str:
    return email.utils.format_datetime(when, usegmt=True)


def _slugish(rng: random.Random, words: tuple[str, ...] | list[str]) -> str:
    return "-".join(rng.sample(list(words), 4)) + f"-{rng.randint(10_000, 99_999)}"


# --- Google News ---------------------------------------------------------------------------


def _varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _google_token(rng: random.Random, publisher_url: str) -> str:
    """A `CBMi…` article id: field 4 holds the publisher URL (older ids) or an opaque token."""
    if rng.random() < 0.5:
        inner = f"{publisher_url}/{rng.choice(CATEGORIES).lower()}/{_slugish(rng, ENGLISH_WORDS)}"
    else:
        tail = base64.urlsafe_b64encode(rng.randbytes(rng.randint(90, 140))).decode()
        inner = "AU_yqL" + tail.rstrip("=")
    raw = b"\x08\x13\x22" + _varint(len(inner)) + inner.encode("ascii")
    if rng.random() < 0.5:  # newer ids also carry an AMP variant after the URL
        raw += b"\xd2\x01" + _varint(40) + rng.randbytes(40)
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _google_item(rng: random.Random, spec: FeedSpec, n: int) -> str:
    russian = spec.language == "ru"
    words = RUSSIAN_WORDS if russian else ENGLISH_WORDS

    def pick_publisher() -> tuple[str, str]:
        if russian:
            return rng.choice(RUSSIAN_PUBLISHERS)
        if rng.random() < 0.15:
            return rng.choice(NON_ASCII_PUBLISHERS)
        return rng.choice(ENGLISH_PUBLISHERS)

    publisher, publisher_url = pick_publisher()
    headline = _headline(rng, words)
    token = _google_token(rng, publisher_url)
    link = f"https://news.google.com/rss/articles/{token}?oc=5"
    related = [(headline, link, publisher)]
    for _ in range(rng.randint(2, 4)):
        other, other_url = pick_publisher()
        other_link = f"https://news.google.com/rss/articles/{_google_token(rng, other_url)}?oc=5"
        related.append((_headline(rng, words), other_link, other))
    lis = "".join(
        f'<li><a href="{html.escape(url)}" target="_blank">{html.escape(title, quote=False)}'
        f'</a>&nbsp;&nbsp;<font color="#6f6f6f">{html.escape(name, quote=False)}</font></li>'
        for title, url, name in related
    )
    description = f"<ol>{lis}</ol>"
    return (
        f"<item><title>{escape(f'{headline} - {publisher}')}</title>"
        f"<link>{escape(link)}</link>"
        f'<guid isPermaLink="false">{token}</guid>'
        f"<pubDate>{_rfc822(_when(rng, n))}</pubDate>"
        f"<description>{escape(description)}</description>"
        f"<source url={quoteattr(publisher_url)}>{escape(publisher)}</source></item>"
    )


def _google_feed(rng: random.Random, spec: FeedSpec) -> str:
    hl = "ru" if spec.language == "ru" else "en-US"
    topic = base64.urlsafe_b64encode(rng.randbytes(36)).decode().rstrip("=")
    items = "\n".join(_google_item(rng, spec, n) for n in range(spec.items))
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        '<rss xmlns:media="http://search.yahoo.com/mrss/" version="2.0"><channel>'
        "<generator>NFE/5.0</generator>"
        f"<title>Topic {spec.index} - Latest - Google News</title>"
        f"<link>https://news.google.com/topics/{topic}?hl={hl}&amp;gl=US&amp;ceid=US:en</link>"
        f"<language>{hl}</language><webMaster>news-webmaster@google.com</webMaster>"
        "<copyright>Copyright © 2026 Google. All rights reserved.</copyright>"
        f"<lastBuildDate>{_rfc822(BASE_TIME)}</lastBuildDate>"
        "<description>Google News</description>\n"
        f"{items}\n</channel></rss>\n"
    )


# --- ordinary RSS and Atom -----------------------------------------------------------------


def _article_html(rng: random.Random, site: str, *, relative_images: bool) -> str:
    parts = []
    for p in range(rng.randint(3, 6)):
        text = html.escape(_paragraph(rng), quote=False)
        if rng.random() < 0.4:
            words = text.split(" ")
            cut = rng.randint(1, max(1, len(words) - 3))
            href = f"{site}/related/{_slugish(rng, ENGLISH_WORDS)}"
            words[cut] = f'<a href="{href}">{words[cut]}</a>'
            words[cut + 1] = f"<strong>{words[cut + 1]}</strong>"
            text = " ".join(words)
        parts.append(f"<p>{text}</p>")
        if p == 0 and rng.random() < 0.7:
            src = f"/images/{rng.randint(1, 9999)}.jpg"
            src = src if relative_images else f"{site}{src}"
            alt = html.escape(_headline(rng, ENGLISH_WORDS))
            parts.append(f'<figure><img src="{src}" alt="{alt}" width="1200" height="800">')
            parts.append(f"<figcaption>{alt}</figcaption></figure>")
        if rng.random() < 0.25:
            lis = "".join(
                f"<li>{html.escape(_headline(rng, ENGLISH_WORDS))}</li>" for _ in range(3)
            )
            parts.append(f"<ul>{lis}</ul>")
        if rng.random() < 0.15:
            parts.append(f"<blockquote>{html.escape(_sentence(rng, ENGLISH_WORDS))}</blockquote>")
    if rng.random() < 0.3:  # a tracking pixel, as newsletters-turned-feeds have
        pixel = f"{site}/pixel.gif?id={rng.randint(1, 10**9)}"
        parts.append(f'<img src="{pixel}" width="1" height="1">')
    return "".join(parts)


def _rss_item(rng: random.Random, site: str, n: int) -> str:
    title = _headline(rng, ENGLISH_WORDS)
    link = f"{site}/news/{_slugish(rng, ENGLISH_WORDS)}"
    body = _article_html(rng, site, relative_images=False)
    summary = f"<p>{html.escape(_paragraph(rng), quote=False)}&nbsp;…</p>"
    media = ""
    if rng.random() < 0.5:
        media = (
            f'<media:content url="{site}/img/{rng.randint(1, 99999)}.jpg" medium="image" '
            'type="image/jpeg" width="1200" height="800"/>'
        )
    categories = "".join(
        f"<category>{c}</category>" for c in rng.sample(CATEGORIES, rng.randint(1, 2))
    )
    return (
        f"<item><title>{escape(title)}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="true">{escape(link)}</guid>'
        f"<pubDate>{_rfc822(_when(rng, n))}</pubDate>"
        f"<dc:creator>{escape(rng.choice(AUTHORS))}</dc:creator>{categories}"
        f"<description>{escape(summary)}</description>"
        f"<content:encoded><![CDATA[{body}]]></content:encoded>{media}</item>"
    )


def _rss_feed(rng: random.Random, spec: FeedSpec) -> str:
    site = f"https://gazette-{spec.index}.example.org"
    items = "\n".join(_rss_item(rng, site, n) for n in range(spec.items))
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/" '
        'xmlns:content="http://purl.org/rss/1.0/modules/content/" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>'
        f"<title>Gazette {spec.index}</title><link>{site}/</link>"
        "<description>Local news</description><language>en-gb</language>\n"
        f"{items}\n</channel></rss>\n"
    )


def _atom_entry(rng: random.Random, site: str, host: str, n: int) -> str:
    title = _headline(rng, ENGLISH_WORDS)
    path = f"/{2025 - n // 200}/{_slugish(rng, ENGLISH_WORDS)}"
    when = _when(rng, n)
    body = _article_html(rng, site, relative_images=True)
    enclosure = ""
    if rng.random() < 0.3:
        image = f"{site}/media/{rng.randint(1, 999)}.png"
        enclosure = f'<link rel="enclosure" type="image/png" href="{image}"/>'
    return (
        f'<entry><title type="html">{escape(html.escape(title, quote=False))}</title>'
        f'<link rel="alternate" href="{site}{path}"/>{enclosure}'
        f"<id>tag:{host},{when:%Y-%m-%d}:{path}</id>"
        f"<published>{when.isoformat()}</published>"
        f"<updated>{(when + timedelta(minutes=5)).isoformat()}</updated>"
        f"<author><name>{escape(rng.choice(AUTHORS))}</name></author>"
        f"<summary>{escape(_sentence(rng, ENGLISH_WORDS))}</summary>"
        f'<content type="html">{escape(body)}</content></entry>'
    )


def _atom_feed(rng: random.Random, spec: FeedSpec) -> str:
    host = f"notes-{spec.index}.example.com"
    site = f"https://{host}"
    entries = "\n".join(_atom_entry(rng, site, host, n) for n in range(spec.items))
    return (
        '<?xml version="1.0" encoding="utf-8"?>\n'
        '<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
        f'<title>Field Notes {spec.index}</title><link href="{site}/"/>'
        f'<link rel="self" href="{site}/feed.atom"/><id>tag:{host},2025:feed</id>'
        f"<updated>{BASE_TIME.isoformat()}</updated>"
        f"<author><name>{escape(rng.choice(AUTHORS))}</name></author>\n"
        f"{entries}\n</feed>\n"
    )
