"""The read API that qa/ and ui/ use: what any index backend offers, and nothing of a library's internals.

The embedded backend (`index.store.StoredIndex`: BM25 statistics + faiss) implements
it today; another backend (Milvus) is a second implementation of the same few
members. Rows are 0-based positions in `chunks`; scores are only compared within
one list (BM25 and cosine are not on one scale: `qa.fuse.rrf` fuses ranks).
"""
from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Protocol

from index.facts import Fact
from index.records import Article, Chunk


class Index(Protocol):
    """A loaded, published index, read-only."""

    path: Path
    manifest: dict

    @property
    def articles(self) -> Mapping[str, Article]:
        """Every indexed article by source file name, with its text and inferred metadata."""

    @property
    def chunks(self) -> Sequence[Chunk]:
        """Every chunk, by row."""

    def terms(self, row: int) -> Collection[str]:
        """The indexed tokens of chunk `row` (its section path and text, tokenized as BM25 saw them)."""

    def idf(self, term: str) -> float:
        """BM25's idf of `term` in this corpus (0.0 for a term no chunk holds)."""

    def lexical(self, terms: Sequence[str], k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, BM25 score) of the best `k` chunks holding at least one of `terms`, best first.

        `sources`: only chunks of these articles compete (the cut is made after the filter, not before).
        """

    def dense(self, text: str, k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the `k` chunks nearest to the question `text`, encoded by this index's model
        (of `sources`' articles only, when given)."""

    def facts(self) -> Sequence[Fact]:
        """Every figure the articles state (place, year, indicator, value, citation), in article and reading order."""
