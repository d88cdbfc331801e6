"""One tokenizer for documents and questions: jieba (own instance, project dictionary) + synonyms.

`tokens(text)` returns search-mode jieba words, lower-cased, without punctuation
and stop words, each followed by its canonical synonym when it has one. Using
the same function on both sides is what makes "固投" match "固定资产投资".
"""
from __future__ import annotations

import logging
import re
import threading
import unicodedata
from functools import lru_cache

from index import lexicon

WORD = re.compile(r"[\w\u4e00-\u9fff%.]+")


def normalise(text: str) -> str:
    """Full-width → half-width (NFKC), collapsed whitespace; Chinese punctuation kept as it is."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text)).strip()


_LOCK = threading.Lock()
_TOKENIZER = None


def _jieba():
    """The project's jieba instance, made once (thread-safe: the warm-up thread may be making it)."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer()
            tokenizer.initialize()
            for word in lexicon.dictionary_words():
                tokenizer.add_word(word, freq=200_000)
            _TOKENIZER = tokenizer
        return _TOKENIZER


def warm_up() -> None:
    """Load jieba's dictionary (≈0.5 s) in a background thread while the caller loads other things."""
    threading.Thread(target=_jieba, daemon=True).start()


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
