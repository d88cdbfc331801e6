"""One tokenizer for documents and questions: jieba (own instance, project dictionary) + synonyms.

`tokens(text)` returns search-mode jieba words, lower-cased, without punctuation
and stop words, each followed by its canonical synonym when it has one. Using
the same function on both sides is what makes "固投" match "固定资产投资".

The dictionary is jieba's own without its rarest words (frequency < 5: 137k of
349k words kept) plus the project's words. Loading all of jieba's costs ≈0.85 s
on every cold `gzqa ask`; this one ≈0.2 s. Dropped words still segment, into
their known parts or by jieba's HMM. It is written once into a cache folder, and
so is its prefix dictionary, as JSON (`prefix_dictionary`).
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import threading
import unicodedata
from collections import Counter
from functools import lru_cache
from pathlib import Path

from index import lexicon

WORD = re.compile(r"[\w\u4e00-\u9fff%.&]+")
MIN_FREQ = 5  # jieba words rarer than this are left out of the dictionary (see above)
PROJECT_FREQ = 200_000  # high enough that jieba keeps the project's words whole


CJK = "\u4e00-\u9fff"
# Marks typed inside a Chinese word ("固·投"), and spaces around a lone character ("白 云 区", "天河 区"):
# there they say nothing; a space between two words ("黄埔 区长") is left alone.
# (The lookahead on a mark or a space, which every match starts with, lets the scan skip other positions at once.)
INSIDE_WORD = re.compile(f"(?=[·•・_*\\s])(?:(?<=[{CJK}])[·•・_*]+(?=[{CJK}])"
                         f"|(?<=(?<![{CJK}])[{CJK}])\\s+(?=[{CJK}])|(?<=[{CJK}])\\s+(?=[{CJK}](?![{CJK}])))")
SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _simplified():
    """OpenCC's traditional → simplified converter (phrase-aware: 乾隆 stays, 乾燥 becomes 干燥)."""
    import opencc

    return opencc.OpenCC("t2s")


def normalise(text: str) -> str:
    """Traditional → simplified (OpenCC), full-width → half-width (NFKC), no spaces or marks inside
    Chinese words, collapsed whitespace; Chinese punctuation kept as it is (clauses are cut at it).

    Documents and questions alike: "番禺區" asks what "番禺区" says.
    """
    text = _simplified().convert(unicodedata.normalize("NFKC", text))
    return SPACES.sub(" ", INSIDE_WORD.sub("", text)).strip()


_LOCK = threading.Lock()
_TOKENIZER = None


def _jieba():
    """The project's jieba instance, made once (thread-safe: the warm-up thread may be making it)."""
    global _TOKENIZER
    with _LOCK:
        if _TOKENIZER is None:
            import jieba

            jieba.setLogLevel(logging.WARNING)
            tokenizer = jieba.Tokenizer(str(dictionary_file()))
            tokenizer.FREQ, tokenizer.total = prefix_dictionary(tokenizer)
            tokenizer.initialized = True  # jieba's own cache (marshal, read from /tmp) is neither read nor written
            _TOKENIZER = tokenizer
        return _TOKENIZER


def prefix_dictionary(tokenizer) -> tuple[dict[str, int], int]:
    """jieba's prefix dictionary of `dictionary_file()` (word or prefix → frequency, and their total), cached as JSON.

    jieba caches it with `marshal.load` on an open file, which reads every one of its ≈180k entries through
    a Python-level call: ≈0.3–0.5 s of every cold `gzqa ask` on this machine. `json.loads` of the same
    dictionary takes ≈0.1 s, and reading JSON cannot run code. A cache that does not read is made again.
    """
    def make() -> str:
        with open(dictionary_file(), "rb") as words:
            return json.dumps(tokenizer.gen_pfdict(words), ensure_ascii=False, separators=(",", ":"))

    def read() -> tuple[dict[str, int], int]:
        freq, total = json.loads(cached("jieba-prefix", make).read_text(encoding="utf-8"))
        return freq, total

    try:
        return read()
    except (OSError, ValueError, TypeError):  # damaged: made again, once
        cached("jieba-prefix", make).unlink(missing_ok=True)
        return read()


def dictionary_text() -> str:
    """jieba's dictionary without its rarest words, then the project's words, in jieba's format."""
    import jieba

    source = Path(jieba.__file__).parent / "dict.txt"
    kept = [line for line in source.read_text(encoding="utf-8").splitlines()
            if len(line.split()) > 1 and int(line.split()[1]) >= MIN_FREQ]
    return "\n".join(kept + [f"{word} {PROJECT_FREQ}" for word in lexicon.dictionary_words()]) + "\n"


def cache_dir() -> Path:
    """GZQA_CACHE, else the user's own cache folder (~/.cache/gzqa): never a folder others can write to."""
    xdg = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(os.environ.get("GZQA_CACHE") or Path(xdg) / "gzqa")


def cached(name: str, make, salt: str = "") -> Path:
    """`cache_dir()/name-<key>.txt`, written once per (jieba, lexicon, MIN_FREQ, `salt`: whatever else `make`
    reads) from `make()`."""
    import jieba

    key = hashlib.sha1(f"{jieba.__version__} {MIN_FREQ} {lexicon.dictionary_words()}{salt}".encode()).hexdigest()[:12]
    folder = cache_dir()
    path = folder / f"{name}-{key}.txt"
    if not path.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_text(make(), encoding="utf-8")
        os.replace(partial, path)  # atomic: a concurrent reader sees no half-written file
    return path


def dictionary_file() -> Path:
    """The dictionary, written once into `cache_dir()`."""
    return cached("jieba-dict", dictionary_text)


# jieba's part-of-speech classes of the words that say how a question is put, not what it asks about: pronouns
# (这个, 那边, 啥), modal particles (呢, 呀), auxiliaries (着, 过), interjections, conjunctions and prepositions.
# Adverbs (d) are not among them: jieba's dictionary tags 更新 and 高新 so; nor onomatopoeia (o: 乒乓).
FUNCTION_TAGS = ("r", "y", "u", "e", "c", "p")


def function_words_text() -> str:
    """jieba's dictionary words of a function class (`FUNCTION_TAGS`), less the project's own words."""
    import jieba

    own = set(lexicon.dictionary_words())
    source = Path(jieba.__file__).parent / "dict.txt"
    lines = (line.split() for line in source.read_text(encoding="utf-8").splitlines())
    return "\n".join(sorted({p[0] for p in lines if len(p) == 3 and p[2].startswith(FUNCTION_TAGS)
                             and p[0] not in own})) + "\n"


@lru_cache(maxsize=1)
def function_words() -> frozenset[str]:
    """Words that carry no matter of their own (see `FUNCTION_TAGS`), from jieba's dictionary (cached once)."""
    path = cached("jieba-function-words", function_words_text, salt=" ".join(FUNCTION_TAGS))
    return frozenset(path.read_text(encoding="utf-8").split())


def warm_up() -> None:
    """Load jieba's dictionary (≈0.2 s) in a background thread while the caller loads other things.

    A failure there is left for the caller's own first `tokens()` to raise, on its thread, with its message.
    """
    def load_quietly() -> None:
        try:
            _jieba()
        except Exception:  # noqa: BLE001 - reported by the caller's next call
            pass

    threading.Thread(target=load_quietly, daemon=True).start()


@lru_cache(maxsize=1)
def _canonical() -> dict[str, str]:
    return lexicon.canonical_forms()


LATIN = re.compile(r"([0-9]*[a-z][a-z0-9&]*)")
BLOCK = re.compile("([\u4E00-\u9FD5a-zA-Z0-9+#&\\._%\\-]+)")  # jieba's `re_han_default`: it cuts each run alone
BLOCKS_KEPT = 1 << 17  # cut blocks remembered: a clause, a section path or a figure's phrase that recurs is cut once


def tokens(text: str) -> list[str]:
    """Text → index terms (search-mode words + canonical synonyms), in order of appearance.

    The words are jieba's search-mode words; a Latin word stays whole ("baiyun",
    not "b" "ai" "yun"). jieba splits a text at `BLOCK` and cuts each run on its
    own (`Tokenizer.cut`), search mode adds each word's known 2- and 3-grams after
    it, and a word becomes terms by itself alone: so a text's terms are its
    blocks' terms in order, and a block seen before (the section path every chunk
    of a section repeats, a stock phrase) is taken from `_block_terms`' memory
    instead of jieba's Viterbi. The same terms, by construction.
    """
    out: list[str] = []
    for i, part in enumerate(LATIN.split(normalise(text).lower())):
        if i % 2:
            out.extend(_terms((part,)))
        elif part:
            for block in BLOCK.split(part):
                if block:
                    out.extend(_block_terms(block))
    return out


@lru_cache(maxsize=BLOCKS_KEPT)
def _block_terms(block: str) -> tuple[str, ...]:
    """The terms of one block of a normalised, lower-cased text (remembered)."""
    return _terms(_jieba().cut_for_search(block))


def _terms(words) -> tuple[str, ...]:
    """Words → terms: blanks, punctuation and stop words dropped, each followed by its canonical synonym."""
    canonical = _canonical()
    out: list[str] = []
    for word in words:
        word = word.strip()
        if not word or not WORD.fullmatch(word) or word in lexicon.STOPWORDS:
            continue
        out.append(word)
        if word in canonical and canonical[word] != word:
            out.append(canonical[word])
    return tuple(out)


RECENT = 256  # texts whose term counts are remembered: more than one embedding batch


_recent: dict[str, dict[str, int]] = {}


def remember(text: str, counts: dict[str, int]) -> None:
    """Keep `tokens(text)`'s terms → their counts (already computed, perhaps in another process) for
    `cached_counts`."""
    if len(_recent) >= RECENT:
        del _recent[next(iter(_recent))]
    _recent[text] = counts


def cached_counts(text: str) -> dict[str, int]:
    """`tokens(text)`'s terms → their counts, from the last few remembered when there: a build counts a
    batch of chunks' terms for BM25 just before the fake encoder would tokenize the same texts again."""
    found = _recent.get(text)
    return found if found is not None else dict(Counter(tokens(text)))


def is_word(text: str) -> bool:
    """Is `text` a word of the dictionary (jieba's, trimmed, plus the project's)?"""
    return bool(_jieba().FREQ.get(text))


def cut(text: str) -> list[str]:
    """jieba's plain (not search-mode) segmentation of `text`, every character kept."""
    return list(_jieba().cut(text))
