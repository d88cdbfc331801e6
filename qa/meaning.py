"""Does the answering window mean what the question asks, in whatever words: dense similarity at query time.

Paraphrases share no words with the report ("产出体量" for 地区生产总值), so the
lexical signals cannot vouch for their answering words. This encodes those words
with the index's own question encoder (no torch for the real model) and compares
them with the question. It costs an encoder call per candidate, and as a signal of
the answer decision it gained nothing (README, Quality), so `ask` does not use it:
only `scripts/fit_answer.py --meaning` does, to measure it again.
"""
from __future__ import annotations

import numpy as np

from index.api import Index
from index.embed import query_encoder

_ENCODERS: dict[str, object] = {}


def encoder_of(index: Index):
    """The index's question encoder: the loaded one when the backend keeps it, else made once per model."""
    own = getattr(index, "query_encoder", None)  # the embedded backend loads it for `dense` already
    if own is not None:
        return own()
    model = index.manifest["model"]
    key = model.get("fingerprint") or model.get("name") or ""
    if key not in _ENCODERS:
        _ENCODERS[key] = query_encoder(model)
    return _ENCODERS[key]


def similarities(index: Index, question: str, texts: list[str]) -> list[float]:
    """Cosine of the question (as a query) with each text (as a passage), in the index's model."""
    if not texts:
        return []
    encoder = encoder_of(index)
    rows = encoder.passages(texts)
    return [float(x) for x in rows @ np.asarray(encoder.query(question))]
