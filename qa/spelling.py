"""Districts typed by sound or by slip → the district meant, and how the question was read.

"Tianhe区", "panyu", "Huángpǔ", "zengcheng": pinyin of a district (tones, spaces
and a trailing "qu" allowed); "kejiju", "gutou", "Dongguan": pinyin of a lexicon word or
city (科技局, 固投, 东莞). "天和区", "黄浦区", "花度": a homophone of a
district (every character sounds like the district's). "白去区": a near-form
slip (the head character right, the other not, "区" after it, and neither the
two characters nor the three a word of jieba's dictionary, so "南山区", "白天区"
and "从全区" stay what they are). Each reading is returned so the answer's note
can say "按天河区理解".

A question all in Latin letters is read as pinyin when every word of it reads as
Chinese ("Huangpu 2026 gdp zengsu mubiao"); otherwise it is English, and the
answer asks for Chinese.
Words of the corpus that no lexicon holds, typed in pinyin ("gongying chanye
yongdi" → 供应 产业用地), are read from the index's own vocabulary
(`qa.pinyin.corpus_spellings`, `read_corpus_pinyin`: qa.resolve asks it only when a
question's Latin words are unknown to the corpus).
What each character, district and word sounds like is qa/pinyin.py's sound table.
"""
from __future__ import annotations

import re
from collections.abc import Callable

from index import lexicon
from index.tokenize import cut, is_word
from qa.pinyin import district_sounds, pinyin_forms, plain, sounds, sounds_alike, table, word_spellings

MIN_PINYIN_WORD = 4  # letters: "kejiju" is read as 科技局; "AI", "GDP", "CBD" stay the words they are
LATIN_RUN = re.compile(r"[A-Za-z\u00c0-\u024f]+(?:[\s'’-]?[A-Za-z\u00c0-\u024f]+)*")


def by_sound(word: str) -> str | None:
    """The lexicon word a non-word sounds like: "固头" → 固投, "增素" → 增速 (None: none, or it is a word)."""
    if is_word(word):
        return None
    alike = [w for w, said in table()["words"].items() if w != word and sounds_alike(word, said)]
    return alike[0] if len(alike) == 1 else None


def by_pinyin(latin: str) -> str | None:
    """The district a Latin word spells ("Tianhe", "tianhequ", "Huángpǔ"), else None."""
    flat = plain(latin)
    for d in lexicon.DISTRICTS:
        if flat in pinyin_forms(d) or (flat.endswith("qu") and flat[:-2] in pinyin_forms(d)):
            return d
    return None


def word_by_pinyin(latin: str) -> str | None:
    """The lexicon word a Latin word spells, when exactly one does (None: none, or several)."""
    words = word_spellings().get(plain(latin), ())
    return words[0] if len(words) == 1 else None


def longest_spelt(words: list[str], i: int, spell: Callable[[str], str | None]) -> tuple[int, str] | None:
    """The longest run of Latin words from `words[i]` whose letters (`MIN_PINYIN_WORD` or more, toneless) spell a word,
    as (the end of the run, the word); `spell(letters)` says which word, if any ("guding zichan touzi" → 固定资产投资)."""
    return next(((k, word) for k in range(len(words), i, -1)
                 if len(letters := plain("".join(words[i:k]))) >= MIN_PINYIN_WORD
                 for word in [spell(letters)] if word), None)


def read_corpus_pinyin(text: str, spellings: dict[str, tuple[str, ...]],
                       rarity: Callable[[str], float]) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`text` with runs of Latin words that spell words of the corpus ("gongying chanye yongdi") replaced by them, the
    longest stretch of a run first; and the readings. A run is read only when every word of `MIN_PINYIN_WORD` letters
    or more in it reads as Chinese: English stays English ("Made in China"), not half-read. Of homophones, the
    corpus's commonest (`rarity`: its idf) is meant, where a lexicon word spelt by several is not read at all
    (`word_by_pinyin`): the corpus's own words say how often each is used, the lexicon's do not."""
    readings: list[tuple[str, str]] = []

    def latin(m: re.Match) -> str:
        parts = re.split(r"([\s'’-])", m.group())
        words, out, read, i = parts[::2], [], [], 0
        while i < len(words):
            k, word = longest_spelt(words, i, lambda letters: min(spellings[letters], key=rarity)
                                    if letters in spellings else None) or (i + 1, None)
            if word:
                read.append(("".join(parts[2 * i:2 * k - 1]), word))
            elif len(plain(words[i])) >= MIN_PINYIN_WORD:
                return m.group()  # a word that reads as nothing: the run is not pinyin
            out.append((word or words[i]) + (parts[2 * k - 1] if 2 * k - 1 < len(parts) else ""))
            i = k
        readings.extend(read)
        return "".join(out)

    return LATIN_RUN.sub(latin, text), tuple(readings)


def by_slip(word: str, before_qu: bool) -> str | None:
    """The district a two-character word is a slip for: a homophone, or (before 区) the head right."""
    known = {f for g in lexicon.SYNONYMS + lexicon.SCOPES for f in g}
    if word in lexicon.DISTRICTS or word in known or word in lexicon.CITIES:
        return None
    homophones = [d for d in lexicon.DISTRICTS
                  if all(sounds(c) & s for c, s in zip(word, district_sounds(d)))]
    if homophones and (before_qu or not is_word(word)):
        return homophones[0]
    if before_qu and not is_word(word) and not is_word(word + "区") and not is_word(word[1] + "区"):
        heads = [d for d in lexicon.DISTRICTS if d[0] == word[0]]
        return heads[0] if len(heads) == 1 else None
    return None


def read_slips(text: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`text` with districts typed by sound, pinyin or slip, and lexicon words typed by sound ("固头" for 固投) or
    in pinyin ("gutou"), replaced by what they stand for; and the readings (typed, read as)."""
    readings: list[tuple[str, str]] = []
    all_latin = not re.search(r"[\u4e00-\u9fff]", text)

    def latin(m: re.Match) -> str:
        parts = re.split(r"([\s'’-])", m.group())  # words and their separators: "GDP panyu", "Tian he"
        words = parts[::2]
        out, i = [], 0
        while i < len(words):  # the longest run of words from i that spells a district ("tian he")
            j = next((j for j in range(len(words), i, -1) if by_pinyin("".join(words[i:j]))), None)
            if j is None:  # the longest run of words from i that spells a lexicon word ("guding zichan touzi")
                k, word = longest_spelt(words, i, word_by_pinyin) or (i + 1, None)
                if word:
                    readings.append(("".join(parts[2 * i:2 * k - 1]), word))
                out.append((word or words[i]) + (parts[2 * k - 1] if 2 * k - 1 < len(parts) else ""))
                i = k
                continue
            d = by_pinyin("".join(words[i:j]))
            typed = "".join(parts[2 * i:2 * j - 1])
            readings.append((typed, f"{d}区"))
            last = j == len(words)
            out.append(d if last and re.match(r"\s*区", text[m.end():]) else f"{d}区")
            out.append(parts[2 * j - 1] if 2 * j - 1 < len(parts) else "")
            i = j
        return "".join(out)

    typed, text = text, re.sub(r"(?<=[A-Za-z\u00c0-\u024f])\s+(?=区)", "", LATIN_RUN.sub(latin, text))
    if all_latin:  # pinyin only when every word of it reads as Chinese ("Huangpu 2026 gdp zengsu mubiao"); English
        # is asked to ask in Chinese, not half-read ("What is the GDP target of Baiyun")
        left = [w for w in re.findall(r"[A-Za-z\u00c0-\u024f]+", text) if len(plain(w)) >= MIN_PINYIN_WORD]
        if left or not readings:
            return typed, ()
    if not re.search(r"[\u4e00-\u9fff]", text):
        return text, tuple(readings)
    bounds = {0}  # a slip is a word of its own: "计划投资" holds no "划投"; a year is cut apart first ("2024年番愚区":
    for part in re.split(r"(\d+年)", text):  # jieba would read "年番")
        for word in cut(part) if part else ():
            bounds.add(max(bounds) + len(word))
    out, i = [], 0
    while i < len(text):
        word = text[i:i + 2]
        taken = any(text.startswith(d, i) or (i and text.startswith(d, i - 1)) for d in lexicon.DISTRICTS)
        alone = i in bounds and (i + 2 in bounds or (i + 3 in bounds and text[i + 2:i + 3] == "区"))
        d = None if taken or not alone or not re.fullmatch(r"[\u4e00-\u9fff]{2}", word) \
            else by_slip(word, text[i + 2:i + 3] == "区")
        if d:
            out.append(d)
            readings.append((word + ("区" if text[i + 2:i + 3] == "区" else ""), f"{d}区"))
            i += 2
            continue
        meant = next(((n, w) for n in (4, 3, 2) if i in bounds and i + n in bounds
                      and re.fullmatch(r"[\u4e00-\u9fff]+", text[i:i + n])
                      for w in [by_sound(text[i:i + n])] if w), None)
        if meant:
            out.append(meant[1])
            readings.append((text[i:i + meant[0]], meant[1]))
            i += meant[0]
        else:
            out.append(text[i])
            i += 1
    return "".join(out), tuple(readings)
