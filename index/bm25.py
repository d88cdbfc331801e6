"""BM25 over chunk tokens, scored by rank-bm25, persisted as JSON (never pickle).

Variant: `BM25Plus`. Its idf is log((N+1)/df), positive for every term, where
`BM25Okapi` gives a term found in half the chunks idf 0 and floors commoner
ones (with ~200 chunks, "广州" or "增长" would stop counting). rank-bm25 adds
`delta` to every chunk's score for every query term, a constant shift that
leaves the ranking that of classic BM25 with that idf. k1=1.2, b=0.75: the
textbook values; chunks are of similar length, so b matters little.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rank_bm25 import BM25Plus


@dataclass(frozen=True)
class BM25Params:
    """BM25Plus's parameters (why these values: the module docstring); written into the manifest."""

    k1: float = 1.2
    b: float = 0.75
    delta: float = 1.0


def fit(corpus: list[list[str]], params: BM25Params = BM25Params()) -> BM25Plus:
    """Tokenized chunks → a fitted rank-bm25 model."""
    return BM25Plus(corpus, k1=params.k1, b=params.b, delta=params.delta)


def save(model: BM25Plus, path: Path) -> None:
    """The model's statistics as one readable JSON file."""
    stats = {
        "variant": "BM25Plus", "k1": model.k1, "b": model.b, "delta": model.delta,
        "corpus_size": model.corpus_size, "avgdl": model.avgdl,
        "doc_len": [int(n) for n in model.doc_len],
        "idf": model.idf, "doc_freqs": model.doc_freqs,
    }
    Path(path).write_text(json.dumps(stats, ensure_ascii=False), encoding="utf-8")


def load(path: Path) -> BM25Plus:
    """A rank-bm25 model rebuilt from saved statistics, without re-reading the corpus."""
    stats = json.loads(Path(path).read_text(encoding="utf-8"))
    if stats.get("variant") != "BM25Plus":
        raise ValueError(f"unknown BM25 variant {stats.get('variant')!r}")
    model = BM25Plus.__new__(BM25Plus)
    model.k1, model.b, model.delta = stats["k1"], stats["b"], stats["delta"]
    model.corpus_size, model.avgdl = stats["corpus_size"], stats["avgdl"]
    model.doc_len = np.array(stats["doc_len"])
    model.idf, model.doc_freqs = stats["idf"], stats["doc_freqs"]
    model.tokenizer = None
    return model


def rank(model: BM25Plus, query: list[str], k: int) -> list[tuple[int, float]]:
    """(chunk row, score) of the best `k` chunks that contain at least one query term."""
    terms = list(dict.fromkeys(query))
    if not terms or not model.corpus_size:
        return []
    scores = model.get_scores(terms)
    matched = np.zeros(model.corpus_size, dtype=bool)
    for term in terms:
        if term in model.idf:
            matched |= np.array([term in doc for doc in model.doc_freqs])
    rows = np.flatnonzero(matched)
    order = rows[np.lexsort((rows, -scores[rows]))][:k]
    return [(int(i), float(scores[i])) for i in order]
