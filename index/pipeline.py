"""The version of the rules from seed text to chunks, metadata and tokens, as one string.

An index whose manifest holds another one was cut, described or tokenized by
other rules than this code's: its question tokens would not meet its chunk
tokens. Loading it for answering is refused with the fix (`gzqa index update`,
which reuses the vectors of unchanged text); `gzqa index status` reports it.
"""
from __future__ import annotations

from index import chunk, clean, facts, lexicon, meta, tokenize


def pipeline_version() -> str:
    """clean, chunk, meta, lexicon and facts rule versions and the tokenizer's dictionary, e.g. "clean 1, chunk 1, …"."""
    return (f"clean {clean.VERSION}, chunk {chunk.VERSION}, meta {meta.VERSION}, "
            f"lexicon {lexicon.VERSION} ({lexicon.fingerprint()}), "
            f"dictionary jieba>={tokenize.MIN_FREQ}, facts {facts.VERSION}")
