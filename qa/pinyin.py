"""The sound table: every character's pinyin, and how districts, lexicon words and the corpus's words are spelt.

What qa/spelling.py reads typed pinyin, homophones and slips against.
Generated from the lexicon's districts with pypinyin, never listed by hand.
pypinyin takes ≈0.5 s to import, too much for every cold `gzqa ask`, so the
little it is needed for (each district's syllables, and the syllables of every
character that sounds like one of theirs) is written once as JSON into the
cache folder beside jieba's dictionary. The corpus's own words are spelt from
the same table at query time (`corpus_spellings`), with no pypinyin import.
"""
from __future__ import annotations

import functools
import hashlib
import itertools
import json
import math
import os
import re
import threading
import unicodedata
from collections.abc import Sequence

from index import lexicon
from index.tokenize import cache_dir

TABLE_VERSION = "4"  # bump when `_table`'s shape changes: the cached JSON is made anew


def plain(latin: str) -> str:
    """"Huángpǔ" → "huangpu": lower case, no tone marks, no separators."""
    decomposed = unicodedata.normalize("NFKD", latin.lower()).replace("ü", "v")
    return re.sub(r"[^a-z]", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _words_of(words: list[str], longest: int | None = None) -> list[str]:
    """The Chinese words of `words`, two characters or more (at most `longest`), districts aside
    (`qa.spelling.by_pinyin`)."""
    return sorted({w for w in words if re.fullmatch(r"[\u4e00-\u9fff]{2,%s}" % (longest or ""), w)
                   and not any(d in w for d in lexicon.DISTRICTS)})


def lexicon_words() -> list[str]:
    """The lexicon's Chinese words of 2–4 characters a slip may stand for (固投, 增速, 规上 …), districts aside."""
    return _words_of(lexicon.dictionary_words() + [f for g in lexicon.SYNONYMS for f in g], longest=4)


def spelt_words() -> list[str]:
    """The lexicon's Chinese words a question may type in pinyin, of any length ("guding zichan touzi" → 固定资产投资),
    its cities ("Dongguan" → 东莞) and stop words too ("mubiao" → 目标: read, then left out as typed in characters),
    districts aside."""
    return _words_of(lexicon.dictionary_words() + [f for g in lexicon.SYNONYMS for f in g] + list(lexicon.CITIES)
                     + list(lexicon.STOPWORDS))


def _table() -> dict:
    """{"districts": {name: [syllables per character]}, "words": {…}, "sounds": {character: [syllable, …], every
    character of the basic CJK block, its commonest reading first}, "spelt": {word: its usual toneless pinyin}}."""
    from pypinyin.pinyin_dict import pinyin_dict

    def syllables(char: str) -> list[str]:
        return sorted({plain(s) for s in pinyin_dict.get(ord(char), "").split(",") if s})

    from pypinyin import lazy_pinyin

    districts = {d: [syllables(c) for c in d] for d in lexicon.DISTRICTS}
    words = {w: [syllables(c) for c in w] for w in lexicon_words()}
    spelt = {w: plain("".join(lazy_pinyin(w))) for w in spelt_words()}  # as the word is read: 现场 is not 省长
    sounds = {}  # every character's readings, the commonest first: the corpus's words are spelt from them too
    for code, readings in pinyin_dict.items():
        if 0x4E00 <= code <= 0x9FFF:
            sounds[chr(code)] = list(dict.fromkeys(plain(s) for s in readings.split(",")))
    return {"districts": districts, "words": words, "sounds": sounds, "spelt": spelt}


@functools.cache
def table() -> dict:
    """The sound table, from the cache folder (made on first use, per pypinyin version and lexicon)."""
    from importlib.metadata import version

    key = hashlib.sha1(f"{TABLE_VERSION} {version('pypinyin')} {lexicon.DISTRICTS} {spelt_words()}".encode()).hexdigest()[:12]
    path = cache_dir() / f"sounds-{key}.json"
    if path.is_file():
        return json.loads(path.read_text(encoding="utf-8"))
    made = _table()
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(f".{os.getpid()}.part")
    partial.write_text(json.dumps(made, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)
    return made


def sounds(char: str) -> set[str]:
    """Every toneless reading of a character ("长" → chang, zhang), from the sound table."""
    return set(table()["sounds"].get(char, ()))


def district_sounds(district: str) -> list[set[str]]:
    """Each character's readings in a lexicon district's name ("天河" → [{tian}, {he}])."""
    return [set(s) for s in table()["districts"][district]]


def sounds_alike(typed: str, said: list[list[str]]) -> bool:
    """Does every character of `typed` sound like the corresponding one of a word (syllables per character)?"""
    return len(typed) == len(said) and all(sounds(c) & set(s) for c, s in zip(typed, said))


def pinyin_forms(district: str) -> set[str]:
    """Every toneless pinyin spelling of a district: "panyu" (番 is also "fan": "fanyu")."""
    forms = {""}
    for options in district_sounds(district):
        forms = {f + s for f in forms for s in options}
    return forms


@functools.cache
def word_spellings() -> dict[str, tuple[str, ...]]:
    """Toneless pinyin spelling, as each word is usually read → the lexicon words spelt so ("kejiju" → 科技局,
    "zengsu" → 增速; every reading of every character would read "xianchang" as 省长)."""
    out: dict[str, list[str]] = {}
    for word, spelt in table()["spelt"].items():
        out.setdefault(spelt, []).append(word)
    return {form: tuple(words) for form, words in out.items()}


CORPUS_WORD = re.compile(r"[\u4e00-\u9fff]{2,6}")
MAX_SPELLINGS = 16  # combinations of a word's characters' readings spelt (长期 is changqi and zhangqi; few have more)
_SPELT_LOCK = threading.Lock()
_SPELT: list = [None, {}]  # [the vocabulary last spelt, its spellings]: one index is asked at a time


def spellings_of(word: str) -> list[str]:
    """The toneless pinyin a Chinese word may be typed as: each character's readings combined, `MAX_SPELLINGS` at
    most, else the commonest reading of each ("长期" → changqi, zhangqi); none when a character has no reading."""
    readings = table()["sounds"]
    if not all(c in readings for c in word):
        return []
    options = [readings[c] for c in word]
    if math.prod(map(len, options)) > MAX_SPELLINGS:
        return ["".join(o[0] for o in options)]
    return ["".join(combo) for combo in itertools.product(*options)]


def corpus_spellings(vocabulary: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """Toneless pinyin → the corpus's words of 2–6 characters spelt so ("gongying" → 供应, "chanyeyongdi" → 产业用地,
    "hangye" and "xingye" → 行业: each character's readings, `MAX_SPELLINGS` of their combinations at most, from the
    sound table — no pypinyin import, ≈ 56 MiB, at query time). Made on the first question that needs it, then kept
    while the index hands out the same vocabulary (`Index.vocabulary`: the same list for a loaded index's life; an
    update loads a new one)."""
    with _SPELT_LOCK:
        if _SPELT[0] is vocabulary:
            return _SPELT[1]
    out: dict[str, list[str]] = {}
    for word in vocabulary:
        if CORPUS_WORD.fullmatch(word):
            for spelt in spellings_of(word):
                out.setdefault(spelt, []).append(word)
    made = {form: tuple(words) for form, words in out.items()}
    with _SPELT_LOCK:
        _SPELT[:] = [vocabulary, made]  # the list itself is kept: its id is never another's
    return made
