"""Hybrid retrieval: BM25 and dense candidates, fused by RRF, then ranked by what the question asks.

Ranking order, strongest first:
1. year: a passage of an asked year (its article's year, or the year named in
   the passage) always outranks one of another year;
2. place: a passage naming the asked district/body outranks one that does not;
3. relevance: idf-weighted coverage of the question's terms, blended with the
   fused retrieval score.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

from index import bm25, vectors
from index.records import Chunk
from index.store import StoredIndex
from qa.fuse import rrf
from qa.question import Question, dense_text

CANDIDATES = 50
COVERAGE_WEIGHT = 0.6


@dataclass(frozen=True)
class Hit:
    """A chunk found for a question, with the evidence of why it ranks where it does."""

    chunk: Chunk
    year: int | None  # the year of the chunk's article
    year_ok: bool
    place_ok: bool
    coverage: float  # idf-weighted share of the question's terms found in the chunk
    fused: float  # RRF score
    score: float  # final relevance within its year/place tier
    ranks: tuple[tuple[str, int | None], ...]  # per retriever, 1-based


def article_year(index: StoredIndex, source: str) -> int | None:
    year = index.articles[source].get("year")
    return int(year["value"]) if year else None


def latest_year(index: StoredIndex) -> int | None:
    years = [article_year(index, s) for s in index.articles]
    return max((y for y in years if y), default=None)


def coverage(terms: tuple[str, ...], doc: dict[str, int], idf: dict[str, float]) -> float:
    """Share of the terms' idf mass present in a chunk's term counts (a term's synonym counts)."""
    from index.lexicon import canonical_forms

    canonical = canonical_forms()
    total = found = 0.0
    for term in terms:
        weight = max(idf.get(term, idf.get(canonical.get(term, term), 0.0)), 0.0) or math.log(2)
        total += weight
        if term in doc or canonical.get(term, "\0") in doc:
            found += weight
    return found / total if total else 0.0


def year_matches(question: Question, year: int | None, chunk: Chunk) -> bool:
    if not question.years:
        return True
    return year in question.years or any(f"{y}年" in chunk.text for y in question.years)


def place_matches(question: Question, chunk: Chunk) -> bool:
    if not question.places:
        return True
    where = chunk.text + " ".join(chunk.section)
    return all(any(form in where for form in place.forms) for place in question.places)


def search(index: StoredIndex, question: Question, k: int = CANDIDATES,
           sources: tuple[str, ...] | None = None) -> list[Hit]:
    """Question → hits, best first (all fused candidates, not only the top few)."""
    lexical = [row for row, _ in bm25.rank(index.bm25, list(question.search_terms), k)]
    query_vector = index.query_encoder().query(dense_text(question))
    dense = [row for row, _ in vectors.search(index.vectors, query_vector, k)]
    fused = rrf([lexical, dense])
    top = fused[0][1] if fused else 1.0
    hits = []
    for row, score in fused:
        chunk = index.chunks[row]
        if sources and chunk.source not in sources:
            continue
        year = article_year(index, chunk.source)
        cov = coverage(question.terms, index.bm25.doc_freqs[row], index.bm25.idf)
        ranks = (("bm25", lexical.index(row) + 1 if row in lexical else None),
                 ("dense", dense.index(row) + 1 if row in dense else None))
        relevance = COVERAGE_WEIGHT * cov + (1 - COVERAGE_WEIGHT) * score / top
        hits.append(Hit(chunk, year, year_matches(question, year, chunk), place_matches(question, chunk),
                        cov, score, relevance, ranks))
    return sorted(hits, key=lambda h: (not h.year_ok, not h.place_ok, -h.score, h.chunk.id))
