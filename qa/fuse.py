"""Reciprocal rank fusion of ranked id lists."""
from __future__ import annotations

from typing import Hashable, Sequence


def rrf(rankings: Sequence[Sequence[Hashable]], k: int = 60,
        weights: Sequence[float] | None = None) -> list[tuple[Hashable, float]]:
    """Ranked id lists → [(id, score)] best first; score = Σ weight / (k + rank), rank from 1.

    RRF, not score blending: BM25 and cosine scores live on unrelated scales, and
    min-max normalising a list with one hit divides by zero. k=60 is the constant
    of Cormack et al. (2009): it damps the gap between rank 1 and rank 2 so that
    agreement between retrievers outweighs one retriever's confidence. Ties are
    broken by the best single rank, then by id, so the order is deterministic.
    """
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    scores: dict[Hashable, float] = {}
    best: dict[Hashable, int] = {}
    for ranking, weight in zip(rankings, weights):
        for rank, item in enumerate(ranking, start=1):
            scores[item] = scores.get(item, 0.0) + weight / (k + rank)
            best[item] = min(best.get(item, rank), rank)
    return sorted(scores.items(), key=lambda pair: (-pair[1], best[pair[0]], str(pair[0])))
