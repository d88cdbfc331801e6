"""Chunk vectors in faiss: exact inner product over L2-normalised rows (= cosine).

Flat, not approximate: a corpus of news articles is thousands of chunks, where
exact search takes well under a millisecond. faiss is imported here only.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np


def save(rows: np.ndarray, path: Path) -> None:
    """Rows (n × dim, float32, normalised) → a faiss IndexFlatIP file."""
    import faiss

    index = faiss.IndexFlatIP(rows.shape[1])
    if len(rows):
        index.add(np.ascontiguousarray(rows, dtype=np.float32))
    faiss.write_index(index, str(path))


def load(path: Path):
    """A faiss index from disk (raises RuntimeError on a damaged file)."""
    import faiss

    return faiss.read_index(str(path))


def rows(index) -> np.ndarray:
    """Every stored vector, in insertion order (for reuse when updating)."""
    return index.reconstruct_n(0, index.ntotal) if index.ntotal else np.zeros((0, index.d), np.float32)


def search(index, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, cosine) of the `k` nearest rows to `query`."""
    if index.ntotal == 0:
        return []
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, index.ntotal))
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]
