"""Headline verbs in Ukrainian, Russian and Arabic: words a person would not choose as a tag.

English and German filler verbs are listed in newswire.fillers and folded by the Snowball
stemmer. That does not carry over here: PyStemmer has no Ukrainian stemmer, the Russian and
Arabic stemmers fold a verb and a noun of the same root into one stem (Arabic "تبحث", "is
discussing", and "بحث", "research"), and no well-kept library small enough for the layer
(a part-of-speech tagger or a morphological dictionary is tens of megabytes) tells a verb from
a noun in these languages. So verbs are recognised here, conservatively, in two ways:

- a curated list per language of the verb forms most frequent in news headlines, written for
  newswire from the headlines of the fixture feeds and of Google News topics in each language;
  it is matched on the exact (lower-case) form, whatever the word's capital, since a headline
  often begins with its verb ("Відкрили ...");
- for Ukrainian and Russian, inflection endings that only verbs have (reflexive past and
  present "-лися", "-ться", present "-ують", "-ає", the "-ували" past of "-увати" verbs), on
  lower-case words only: a capitalised word may be a name. Endings that nouns share (past
  "-ли"/"-ла"/"-в" against "школи", "села", "держав"; infinitive "-ти"/"-ть" against
  "роботи", "власть") are left to the list.

Arabic gets the list only: its present-tense prefixes (ي, ت) begin as many nouns as verbs.
"""

from __future__ import annotations

from newswire.language import primary

UKRAINIAN = """
    відкрили відкрив відкрила відкрило виграли виграв виграла програли програв програла
    оголосили оголосив оголосила повідомили повідомив повідомила ухвалили ухвалив ухвалила
    затвердили затвердив затвердила підписали підписав підписала провели провів провела
    отримали отримав отримала назвали назвав назвала визнали визнав визнала знищили знищив
    знищила збили збив збила звільнили звільнив звільнила призначили призначив призначила
    зросли зріс зросла зросло впали впав впала впало показали показав показала почали почав
    почала стали став стала стало вбили вбив вбила загинули загинув загинула постраждали
    постраждав постраждала передали передав передала запустили запустив запустила зупинили
    зупинив зупинила закрили закрив закрила вирішили вирішив вирішила обговорили обговорив
    обговорила відповіли відповів відповіла дозволили дозволив дозволила заборонили заборонив
    заборонила пояснили пояснив пояснила розповіли розповів розповіла вимагає вимагають хоче
    хочуть має мають буде будуть триває тривають йдеться відбудеться прибули прибув прибула
    атакували атакував обстріляли обстріляв допомогли допоміг допомогла зібрали зібрав
    зібрала знайшли знайшов знайшла затримали затримав затримала отримає отримають
    підтвердили підтвердив підтвердила попередили попередив попередила з'єднав з'єднали
    з'єднала з'єднало
"""
RUSSIAN = """
    открыли открыл открыла открыло выиграли выиграл выиграла проиграли проиграл проиграла
    объявили объявил объявила сообщили сообщил сообщила приняли принял приняла утвердили
    утвердил утвердила подписали подписал подписала провели провел провёл провела получили
    получил получила назвали назвал назвала признали признал признала уничтожили уничтожил
    сбили сбил сбила уволили уволил уволила назначили назначил назначила выросли вырос
    выросла выросло упали упал упала упало показали показал показала начали начал начала
    стали стал стала стало убили убил убила погибли погиб погибла пострадали пострадал
    пострадала передали передал передала запустили запустил запустила остановили остановил
    закрыли закрыл закрыла решили решил решила обсудили обсудил обсудила обсуждают обсуждает
    ответили ответил ответила разрешили разрешил запретили запретил запретила объяснили
    объяснил рассказали рассказал рассказала требует требуют хочет хотят будет будут идет
    идёт прибыли прибыл прибыла атаковали атаковал помогли помог помогла нашли нашел нашёл
    нашла задержали задержал задержала подтвердили подтвердил подтвердила предупредили
    предупредил предупредила
"""
ARABIC = """
    يبحث تبحث بحث بحثت يبحثان تبحثان ناقش ناقشت يناقش تناقش يعلن تعلن أعلن أعلنت أكد أكدت
    يؤكد تؤكد أفاد أفادت يفيد تفيد ذكر ذكرت يذكر تذكر أضاف أضافت يضيف تضيف كشف كشفت يكشف
    تكشف دعا دعت يدعو تدعو طالب طالبت يطالب تطالب يصل تصل وصلت بدأ بدأت يبدأ تبدأ استقبل
    استقبلت يستقبل تستقبل التقى التقت يلتقي تلتقي أصدر أصدرت يصدر تصدر شنت يشن تشن يقتل تقتل
    قتلت أعرب أعربت يعرب تعرب يرفض ترفض رفضت حذرت يحذر تحذر يجري تجري أجرى أجرت يواصل واصل
    واصلت يستعد تستعد يسعى تسعى يعتزم تعتزم يزور تزور زار زارت يتهم تتهم اتهم اتهمت يطلق تطلق
    أطلق أطلقت يهدد تهدد هدد هددت يرحب ترحب رحب رحبت يدين تدين أدان أدانت يرد ترد ردت وافق
    وافقت يوافق يستأنف تستأنف استأنف يتوقع تتوقع قال قالت يقول تقول
"""
VERBS: dict[str, frozenset[str]] = {
    language: frozenset(words.split())
    for language, words in (("uk", UKRAINIAN), ("ru", RUSSIAN), ("ar", ARABIC))
}
# Endings that, on a lower-case word of at least MIN_STEM + len(ending) letters, only a verb
# has: reflexive forms, present tense after a vowel, and past/infinitive of -увати/-овать verbs.
ENDINGS: dict[str, tuple[str, ...]] = {
    "uk": (
        "лися", "лася", "лося", "лись", "лась", "лось", "ться", "тись", "ється", "ються",
        "вся", "ують", "юють", "ають", "яють", "іють", "ує", "ює", "ає", "яє", "ували",
        "ювали", "увала", "ювала", "увало", "ювало", "увати", "ювати", "нули", "нула",
    ),
    "ru": (
        "лся", "лась", "лось", "лись", "ться", "тся", "ется", "ются", "ится", "ятся", "ают",
        "яют", "уют", "еют", "ает", "яет", "ует", "еет", "овать", "евать", "овали", "овала",
        "овало", "нули", "нула",
    ),
}  # fmt: skip
MIN_STEM = 2
# Nouns with one of the endings above ("приют", "shelter", ends like "требуют"): a word that a
# headline shows to be wrongly dropped goes here.
NOT_VERBS = frozenset({"приют"})
# Arabic joins "and" (و) and "so" (ف) to the next word: "وتعلن" is "and announces".
_ARABIC_CONJUNCTIONS = ("و", "ف")


def is_verb(word: str, language: str, *, capital: bool = False) -> bool:
    """Whether `word` (as written, any case) is a headline verb of `language` that is no tag:
    in the curated list, or (lower-case words only) ending as only a verb ends."""
    code = primary(language)
    verbs = VERBS.get(code)
    if verbs is None:
        return False
    lower = word.lower().replace("’", "'")
    if lower in verbs:
        return True
    if code == "ar":
        return lower[:1] in _ARABIC_CONJUNCTIONS and lower[1:] in verbs
    if capital or lower in NOT_VERBS:
        return False
    return any(
        lower.endswith(ending) and len(lower) >= len(ending) + MIN_STEM for ending in ENDINGS[code]
    )
