"""One tokenizer for documents and questions: jieba (own instance, project dictionary) + synonyms.

`tokens(text)` returns search-mode jieba words, lower-cased, without punctuation
and stop words, each followed by its canonical synonym when it has one. Using
the same function on both sides is what makes "固投" match "固定资产投资".
"""
from __future__ import annotations

import logging
import re
import unicodedata
from functools import lru_cache

from index import lexicon

WORD = re.compile(r"[\w\u4e00-\u9fff%.]+")


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC), collapsed whitespace; Chinese punctuation kept as it is."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


@lru_cache(maxsize=1)
def _jieba():
    import jieba

    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for word in lexicon.dictionary_words():
        tokenizer.add_word(word, freq=200_000)
    return tokenizer


@lru_cache(maxsize=1)
def _canonical() -> dict[str, str]:
    return lexicon.canonical_forms()


def tokens(text: str) -> list[str]:
    """Text → index terms (search-mode words + canonical synonyms), in order of appearance."""
    canonical = _canonical()
    out: list[str] = []
    for word in _jieba().cut_for_search(normalise(text).lower()):
        word = word.strip()
        if not word or not WORD.fullmatch(word) or word in lexicon.STOPWORDS:
            continue
        out.append(word)
        if word in canonical and canonical[word] != word:
            out.append(canonical[word])
    return out
