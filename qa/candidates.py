"""What the retrievers find for a question: BM25 and dense candidates fused by RRF, before qa/retrieve.py ranks them.

When a year is asked, each retriever also searches that year's articles on their own (`asked_articles`) and adds
what it finds after its own `CANDIDATES`; `retrievers` is what `gzqa eval --retrievers` varies.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.api import Index
from qa.fuse import rrf
from qa.judge import city_matches
from qa.question import Question, dense_text

CANDIDATES = 50
RETRIEVERS = ("bm25", "dense")


@dataclass(frozen=True)
class Candidates:
    """What the retrievers found for a question, before ranking."""

    fused: list[tuple[int, float]]  # (row, RRF score), best first
    rankings: dict[str, list[int]]  # each retriever's own ranking
    cosines: dict[int, float]  # row → dense cosine
    band: list[float]  # the cosines a chunk's is placed among: the asked year's own dense list when a year is
    # asked (among thousands of articles its passages may all lie below the corpus's top `k`), else the corpus's

    @property
    def rows(self) -> list[int]:
        return [row for row, _ in self.fused]


def candidates(index: Index, question: Question, retrievers: tuple[str, ...] = RETRIEVERS,
               k: int = CANDIDATES, sources: tuple[str, ...] | None = None) -> Candidates:
    """The fused candidates of each retriever asked.

    `retrievers` ("bm25", "dense", or both) is what `gzqa eval --retrievers` varies
    to tell what each half contributes.
    """
    rankings: dict[str, list[int]] = {}
    cosines: dict[int, float] = {}
    band: list[float] = []
    pool = asked_articles(index, question)
    if "bm25" in retrievers:
        rankings["bm25"] = [row for row, _ in index.lexical(question.search_terms, k, sources)]
        if pool is not None:
            rankings["bm25"] = extended(rankings["bm25"], index.lexical(question.search_terms, k, pool))
    if "dense" in retrievers:
        found = index.dense(dense_text(question), k, sources)
        band = [cosine for _, cosine in found]
        if pool is not None:
            own = index.dense(dense_text(question), k, pool)
            found += own
            band = [cosine for _, cosine in own]  # the asked year's passages compete among themselves
        rankings["dense"] = extended([], found)
        cosines = dict(found)
    return Candidates(rrf(list(rankings.values())), rankings, cosines, band)


def asked_articles(index: Index, question: Question) -> tuple[str, ...] | None:
    """The articles of an asked year, in a city the question can mean (None: no year asked).

    They are searched on their own as well as with the rest: among thousands of
    articles, other years' and other cities' look-alike reports can fill both
    retrievers' `CANDIDATES` before one passage of the asked year does.
    """
    return articles_of(index, question, question.years) if question.years else None


def articles_of(index: Index, question: Question, years: tuple[int, ...],
                sources: tuple[str, ...] | None = None) -> tuple[str, ...]:
    """The articles of `years` (of `sources` only, when given) in a city the question can mean."""
    found = index.catalog().sources(years, lambda city: city_matches(question, city))
    return tuple(s for s in found if s in sources) if sources else found


def extended(ranking: list[int], more: list[tuple[int, float]]) -> list[int]:
    """`ranking`, then the rows of `more` it lacks, in their order: the pool's passages rank after the whole
    corpus's, so on a small corpus (where they are among those already) nothing moves."""
    seen = set(ranking)
    return ranking + [row for row, _ in more if not (row in seen or seen.add(row))]
