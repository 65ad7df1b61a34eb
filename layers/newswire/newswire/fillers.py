"""Words that stop-word lists keep but that a person would never choose as a news tag.

Stop-word packages list function words (articles, pronouns, prepositions). Headlines add their
own filler: the verbs that carry a story along ("nears", "brings", "lifts") and newsroom words
("live", "update"). These lists were written for newswire from the headlines of the fixture
feeds and of Google News topics in each language; a word is listed in its base form and the
language's stemmer (newswire.vocabulary) folds its inflections ("brings", "brought" is listed).
Languages without a list here get their stop words only.
"""

from __future__ import annotations

ENGLISH = """
    say says said tell tells told ask asks asked bring brings brought lift lifts lifted near nears
    neared get gets got make makes made take takes took give gives gave go goes went come comes
    came see sees saw seen set sets put puts keep keeps kept hit hits face faces faced eye eyes
    eyed seek seeks sought urge urges urged warn warns warned vow vows vowed slam slams slammed
    call calls called back backs backed push pushes pushed rise rises rose fall falls fell drop
    drops dropped cut cuts boost boosts hold holds held meet meets met reach reaches reached
    agree agrees agreed announce announces announced reveal reveals revealed show shows showed
    shown return returns returned open opens opened reopen reopens reopened close closes closed
    start starts started end ends ended launch launches launched become becomes became move
    moves moved plan plans planned expect expects expected amid via just new news update updates
    live latest report reports reported day days week weeks today tonight yesterday list key
    year years time first last video watch photos breaking set top big more most says could
    would should may might will can need needs look looks begin begins began continue continues
    continued remain remains remained try tries tried hope hopes approve approves approved
    resume resumes resumed send sends sent join joins joined sign signs signed monday tuesday
    wednesday thursday friday saturday sunday
"""
GERMAN = """
    sagt sagen sagte bringt bringen brachte macht machen machte gibt geben gab kommt kommen kam
    geht gehen ging steht stehen stand will wollen soll sollen muss müssen kann können neu neue
    neuen neuer neues mehr weiter weitere heute gestern morgen jahr jahre jahren woche tag tage
    live ticker update liveblog news video bilder erste ersten letzte letzten montag dienstag
    mittwoch donnerstag freitag samstag sonntag mrd mio prozent
"""
UKRAINIAN = """
    заявив заявила заявили каже кажуть сказав сказала новий нова нові нового новини відео фото
    сьогодні вчора уночі вночі вранці ввечері році року роки рік тиждень день дні також може
    можуть понад майже млрд млн тис трьох чотирьох п'яти завдовжки завширшки заввишки
"""
RUSSIAN = """
    заявил заявила заявили говорит сказал сказала новый новая новые нового новости видео фото
    сегодня вчера ночью утром вечером году года год неделя день дни также может могут более
    почти млрд млн тыс трех трёх четырех четырёх пяти длиной шириной высотой
"""
FRENCH = """
    dit dire annonce annoncé selon nouveau nouvelle nouveaux direct vidéo photos aujourd'hui
    hier année ans jour jours semaine
"""
SPANISH = """
    dice dijo anuncia anunció según nuevo nueva nuevos nuevas directo vídeo video fotos hoy ayer
    año años día días semana
"""
ARABIC = """
    قال قالت يقول تقول أعلن أعلنت جديد جديدة اليوم أمس عاجل فيديو صور عام أسبوع يوم
"""
FILLERS: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in (
        ("en", ENGLISH), ("de", GERMAN), ("uk", UKRAINIAN), ("ru", RUSSIAN), ("fr", FRENCH),
        ("es", SPANISH), ("ar", ARABIC),
    )
}  # fmt: skip
# Categories that publishing tools put on items by default and that name no topic.
NO_TOPIC = frozenset(
    {"uncategorized", "uncategorised", "general", "misc", "miscellaneous", "other", "featured",
     "home", "allgemein", "sonstiges", "без категорії", "без рубрики", "non classé"}
)  # fmt: skip
