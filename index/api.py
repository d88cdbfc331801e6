"""The read API that qa/ and ui/ use: what any index backend offers, and nothing of a library's internals.

The embedded backend (`index.store.StoredIndex`: BM25 statistics + faiss) implements
it today; another backend (Milvus) is a second implementation of the same few
members. Rows are 0-based positions in `chunks`; scores are only compared within
one list (BM25 and cosine are not on one scale: `qa.fuse.rrf` fuses ranks).
"""
from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.facts import Fact
from index.records import Article, Chunk


@dataclass(frozen=True)
class Catalog:
    """Each article's year, city and meeting date, grouped: what answering reads of every article for every
    question ("今年" is the newest year; an asked year's articles are searched on their own), made once per build.

    Over 3,000 articles, reading every article's year per question cost ≈ 10 ms of a warm query.
    """

    groups: Mapping[tuple[int | None, str | None], tuple[str, ...]]  # (year, city) → its sources, in article order
    dates: Mapping[str, tuple[int, ...]]  # meeting date ("2026-02-25") → the years of its reports

    @classmethod
    def of(cls, articles: Mapping[str, Article]) -> "Catalog":
        groups: dict[tuple[int | None, str | None], list[str]] = {}
        dates: dict[str, set[int]] = {}
        for source, article in articles.items():
            year, city = article.year_number, article.city.value if article.city else None
            groups.setdefault((year, city), []).append(source)
            if year and article.date_value:
                dates.setdefault(article.date_value, set()).add(year)
        return cls({key: tuple(sources) for key, sources in groups.items()},
                   {date: tuple(sorted(years)) for date, years in dates.items()})

    @property
    def years(self) -> tuple[int, ...]:
        """Every year an article speaks of, newest first."""
        return tuple(sorted({year for year, _ in self.groups if year}, reverse=True))

    @property
    def latest(self) -> int | None:
        """The newest year any article speaks of (None: no year inferred)."""
        return max((year for year, _ in self.groups if year), default=None)

    def sources(self, years: Collection[int], city_ok: Callable[[str | None], bool]) -> tuple[str, ...]:
        """The articles of `years` whose city passes `city_ok`, group by group (callers filter by them: no order)."""
        return tuple(source for (year, city), sources in self.groups.items()
                     if year in years and city_ok(city) for source in sources)


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

    def vocabulary(self) -> Sequence[str]:
        """Every term BM25 has indexed (some may no longer be held by any chunk: `idf` says 0.0 of those); the same
        sequence for a loaded index's life (qa.pinyin keeps what it reads of it while it is handed out)."""

    def lexical(self, terms: Sequence[str], k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, BM25 score) of the best `k` chunks holding at least one of `terms`, best first.

        `sources`: only chunks of these articles compete (the cut is made after the filter, not before).
        """

    def dense(self, text: str, k: int, sources: Collection[str] | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the `k` chunks nearest to the question `text`, encoded by this index's model
        (of `sources`' articles only, when given)."""

    def catalog(self) -> Catalog:
        """The articles' years, cities and meeting dates, grouped (`Catalog`), made once per loaded build."""

    def facts(self) -> Sequence[Fact]:
        """Every figure the articles state (place, year, indicator, value, citation), in article and reading order."""
