"""The question read against the corpus before it is searched: a meeting's date gives its year, a Latin word the
corpus never uses is read as the pinyin of its words or kept as a name the answer must speak of, and a place it never
names as a place it names that sounds the same.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace

from index import lexicon
from index.api import Index
from index.tokenize import is_word
from qa.places import NOT_IN_NAME, NOT_PLACES, Place
from qa.question import Question, parse
from qa.retrieve import latest_year
from qa.pinyin import corpus_spellings, spellings_of
from qa.spelling import MIN_PINYIN_WORD, read_corpus_pinyin

CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_NAME = re.compile(r"[a-z][a-z0-9&]+")


def meeting_years(index: Index, dates: tuple[str, ...]) -> tuple[int, ...]:
    """The year of the newest report of a meeting held on each of `dates` ("2月25日的会上": no year said, so the
    newest, as a question with no year is read; many years' meetings fall on the same day)."""
    by_date = index.catalog().dates
    return tuple(sorted({max(by_date[date]) for date in dates if by_date.get(date)}))


def unknown_names(index: Index, q: Question) -> Question:
    """A Latin word the corpus never uses ("panyou", a misspelt district) is a name the answer must speak of.

    Never dropped silently: left out, "panyou 2024年固投" would be answered with another district's figure.
    """
    if not CJK.search(q.text):
        return q
    unknown = [t for t in q.terms if LATIN_NAME.fullmatch(t) and index.idf(t) <= 0]
    return replace(q, places=q.places + tuple(Place(t, (t,), "other") for t in unknown)) if unknown else q


def spelt_in_corpus(index: Index, q: Question) -> Question:
    """A question whose Latin words the corpus never uses, read anew with those that spell its words in pinyin
    ("nansha 2026 gongying chanye yongdi 多少亩" → 供应 产业用地: words of no lexicon, so `qa.spelling.read_slips`
    could not read them); the reading is added to the note."""
    if not CJK.search(q.text) or not any(LATIN_NAME.fullmatch(t) and len(t) >= MIN_PINYIN_WORD and index.idf(t) <= 0
                                         for t in q.terms):
        return q  # English only: asked to ask in Chinese, not half-read

    def rarity(word: str) -> float:  # of homophones, the one most chunks hold
        return index.idf(word) if index.idf(word) > 0 else math.inf

    text, readings = read_corpus_pinyin(q.text, corpus_spellings(index.vocabulary()), rarity)
    if not readings:
        return q
    return replace(parse(text, latest_year(index)), readings=q.readings + readings)


# The passages holding a homophone read to see whether the corpus names it as a place ("电白区", not 电白 alone):
# a district's name is in its report's passages, and the first of BM25's are those that hold it most.
PLACE_PASSAGES = 50


def places_by_sound(index: Index, q: Question) -> Question:
    """A place the corpus never names, read as a place the corpus names that sounds the same ("茂名电百区" → 电白区,
    "梅将区" → 梅江区): the lexicon's districts are read by sound in `qa.spelling.read_slips`; other cities' districts
    and counties only the corpus knows, so its own words are their lexicon (spelt from the sound table, as Latin
    words are in `spelt_in_corpus`). Only a word the corpus names as a place, with the same 区/县/市 ("长宁区" is not
    read as 场主区, nor 拱墅区 as 工业区: a real place the corpus never names stays one), never a city the lexicon
    knows nor a word of jieba's dictionary (兖州市 is no slip for 广州市, as "南山区" is none in `read_slips`); of
    several, the corpus's commonest. The reading is added to the note."""
    unknown = [p for p in q.places if p.kind == "other" and CJK.match(p.name) and p.name[-1] in "区县市"
               and p.name[:-1] not in lexicon.CITIES and not is_word(p.name) and not is_word(p.name[:-1])
               and all(index.idf(form) <= 0 for form in p.forms)]
    if not unknown:
        return q
    spellings = corpus_spellings(index.vocabulary())
    text, readings = q.text, []
    for place in unknown:
        stem, end = place.name[:-1], place.name[-1]
        alike = {w for spelt in spellings_of(stem) for w in spellings.get(spelt, ())
                 if len(w) == len(stem) and w != stem and w not in NOT_PLACES and not set(w) & set(NOT_IN_NAME)
                 and index.idf(w) > 0}
        named = [w for w in alike if any(w + end in index.chunks[row].text
                                         for row, _ in index.lexical([w], PLACE_PASSAGES))]
        if not named:
            continue
        meant = min(named, key=lambda w: (index.idf(w), w))
        forms = "|".join(map(re.escape, sorted(place.forms, key=len, reverse=True)))  # every form: 电百区, 电百
        read = re.sub(forms, lambda m: meant + m.group()[len(stem):], text)
        if read != text:
            text = read
            readings.append((place.name, meant + end))
    if not readings:
        return q
    return replace(parse(text, latest_year(index)), readings=q.readings + tuple(readings))
