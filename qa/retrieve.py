"""Hybrid retrieval: BM25 and dense candidates, fused by RRF, then ranked by what the question asks.

The candidates, each retriever's and fused, are gathered in qa/candidates.py.

Whether a chunk speaks of the asked year and place is judged in qa/judge.py.
Ranking order, strongest first:
1. year: a passage of an asked year (its article's year, or the year named in
   the passage) always outranks one of another year;
2. place: a passage naming the asked district/body outranks one that does not;
3. relevance: coverage (√idf-weighted) of the question's terms, blended with the
   fused retrieval score and the chunk's place in the dense list, plus a small bonus when a "多少" question finds a
   figure in the unit it asks for ("多少个市委书记" → "21个市委书记"), a "哪天" question a day, or a
   "谁" question an official named after a title.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.api import Index
from index.records import Chunk
from qa.candidates import CANDIDATES, RETRIEVERS, Candidates, candidates
from qa.coverage import coverage
from qa.binding import answers_kind
from qa.judge import is_subject, place_matches, year_matches
from qa.shapes import TITLED_NAME
from qa.question import Question

COVERAGE_WEIGHT = 0.6
# The dense retriever's own judgement, beside fused ranks: where the chunk's cosine lies in the dense list
# (0 farthest … 1 nearest). Paraphrases share few words with the report; without it a chunk that holds the
# question's words outranks the one that means it (paraphrases of blind set A: hit@1 0.60 hybrid, 0.73 dense).
COSINE_WEIGHT = 0.2
SHAPE_BONUS = 0.1  # the chunk holds what is asked for: a figure (in the asked unit), a day, an official by name
SUBJECT_BONUS = 0.1  # the asked place is what the chunk is about: its section, or its opening words


@dataclass(frozen=True)
class Hit:
    """A chunk found for a question, with the evidence of why it ranks where it does."""

    chunk: Chunk
    year: int | None  # the year of the chunk's article
    year_ok: bool
    place_ok: bool
    coverage: float  # √idf-weighted share of the question's terms found in the chunk
    fused: float  # RRF score
    score: float  # final relevance within its year/place tier
    ranks: tuple[tuple[str, int | None], ...]  # per retriever, 1-based
    cosine: float = 0.0  # dense similarity, 0 (farthest of the dense list, or dense not asked) … 1 (nearest)


def article_year(index: Index, source: str) -> int | None:
    """The year an article speaks of, as inferred at build time (None: not inferred)."""
    return index.articles[source].year_number


def latest_year(index: Index) -> int | None:
    """The newest year any article speaks of: what "今年" means to this corpus."""
    return index.catalog().latest


def article_city(index: Index, source: str) -> str | None:
    city = index.articles[source].city
    return city.value if city else None


@dataclass(frozen=True)
class Evidence:
    """What a chunk holds for a question, apart from its retrieval ranks."""

    year: int | None
    year_ok: bool
    place_ok: bool
    coverage: float
    bonus: float


def standing(index: Index, question: Question, row: int) -> tuple[int | None, bool, bool]:
    """(article year, of an asked year?, of the asked place?) of one candidate chunk: its tier in the ranking."""
    chunk = index.chunks[row]
    year = article_year(index, chunk.source)
    return (year, year_matches(question, year, chunk),
            place_matches(question, chunk, article_city(index, chunk.source)))


def evidence_for(index: Index, question: Question, row: int,
                 tier: tuple[int | None, bool, bool] | None = None) -> Evidence:
    """Year, place, coverage and bonuses of one candidate chunk for `question` (`tier`: its `standing`, if known)."""
    chunk = index.chunks[row]
    year, year_ok, place_ok = tier or standing(index, question, row)
    shaped = ((question.wants in ("number", "date") and answers_kind(question, chunk.text))
              or (question.wants == "person" and bool(TITLED_NAME.search(chunk.text))))
    bonus = SHAPE_BONUS * shaped + SUBJECT_BONUS * is_subject(question, chunk)
    return Evidence(year, year_ok, place_ok, coverage(question.terms, index.terms(row), index.idf, chunk.text), bonus)


# The tiers of `search`'s order (asked year first, then asked place), and of the order a not-found answer shows
# its nearest passages in (asked place first, any year): `Hit.year_ok`, `Hit.place_ok`.
TIERS = ((True, True), (True, False), (False, True), (False, False))
PLACED = ((True, True), (False, True))
ANSWERING = (True, True)


def tiers_shown(sizes: dict[tuple[bool, bool], int], shown: int | None, nearest: bool = True,
                ) -> set[tuple[bool, bool]]:
    """The tiers any of whose hits can be among the first `shown` of the ranking's order, and (`nearest`) of the
    not-found one; every tier when `shown` is None.

    A hit's relevance only orders it within its tier, so a tier wholly after the first `shown` places of the
    orders read is never read: its chunks need no coverage nor bonus.
    """
    if shown is None:
        return set(TIERS)
    needed, before = set(), 0
    for tier in TIERS:
        if before >= shown:
            break
        needed.add(tier)
        before += sizes.get(tier, 0)
    if nearest:
        needed |= set(PLACED)  # the not-found order puts every passage of the asked place first
        if sum(sizes.get(tier, 0) for tier in PLACED) < shown:
            needed |= set(TIERS)  # … and reaches passages of other places
    return needed


class Ranking:
    """A question's fused candidates, each in its tier (`standing`, cheap to tell), judged tier by tier as the
    orders read need them: an answered question never shows its nearest passages of other years."""

    def __init__(self, index: Index, question: Question, found: Candidates, sources: tuple[str, ...] | None = None):
        self.index, self.question = index, question
        self.cosines = found.cosines
        self.rank_of = {name: {row: n for n, row in enumerate(rows, start=1)} for name, rows in found.rankings.items()}
        # Where a chunk's cosine lies between the farthest and the nearest of the dense list (1: the nearest):
        # raw e5 cosines sit in a narrow band whose place moves with the question, the order within it does not.
        self.floor, top_cosine = min(found.band, default=0.0), max(found.band, default=0.0)
        self.spread = (top_cosine - self.floor) or 1.0
        self.top = found.fused[0][1] if found.fused else 1.0
        fused = found.fused
        if sources:
            fused = [(row, score) for row, score in fused if index.chunks[row].source in sources]
        self.fused = [(row, score, standing(index, question, row)) for row, score in fused]
        self.sizes: dict[tuple[bool, bool], int] = {}
        for _, _, (_, year_ok, place_ok) in self.fused:
            self.sizes[year_ok, place_ok] = self.sizes.get((year_ok, place_ok), 0) + 1
        self._judged: dict[tuple[bool, bool], list[Hit]] = {}

    def hits(self, shown: int | None = None, nearest: bool = True) -> list[Hit]:
        """Best first: the hits of every tier (`shown` None), or of those whose hits can be among the first
        `shown` of this order and (`nearest`) of the not-found one (`tiers_shown`): those first `shown` are the same."""
        return self._of(tiers_shown(self.sizes, shown, nearest))

    def answering(self) -> list[Hit]:
        """The hits of the asked year and place, best first: the ranking's first tier, the only one that answers."""
        return self._of({ANSWERING})

    def _of(self, tiers: set[tuple[bool, bool]]) -> list[Hit]:
        for tier in tiers - set(self._judged):
            self._judged[tier] = [self._hit(row, score, held) for row, score, held in self.fused if held[1:] == tier]
        hits = [hit for tier in tiers for hit in self._judged[tier]]
        return sorted(hits, key=lambda h: (not h.year_ok, not h.place_ok, -h.score, h.chunk.id))

    def _hit(self, row: int, score: float, tier: tuple[int | None, bool, bool]) -> Hit:
        e = evidence_for(self.index, self.question, row, tier)
        ranks = tuple((name, self.rank_of[name].get(row) if name in self.rank_of else None) for name in RETRIEVERS)
        near = max(self.cosines.get(row, self.floor) - self.floor, 0.0) / self.spread
        relevance = (COVERAGE_WEIGHT * e.coverage + (1 - COVERAGE_WEIGHT) * score / self.top + COSINE_WEIGHT * near
                     + e.bonus)
        return Hit(self.index.chunks[row], e.year, e.year_ok, e.place_ok, e.coverage, score, relevance, ranks, near)


def ranking(index: Index, question: Question, k: int = CANDIDATES, sources: tuple[str, ...] | None = None,
            retrievers: tuple[str, ...] = RETRIEVERS) -> Ranking:
    """The question's candidates, retrieved and fused, ready to be judged (`Ranking.hits`).

    The question encoder is most of a new question's time (≈17 ms of ≈26 with the ONNX export). Running it in a
    thread beside BM25 was measured again with it (one thread per encoder call): no faster for a new question, and
    4 ms slower for one asked again — the two threads take turns at the GIL for all but the graph's own run.
    """
    return Ranking(index, question, candidates(index, question, retrievers, k, sources or None), sources)


def search(index: Index, question: Question, k: int = CANDIDATES,
           sources: tuple[str, ...] | None = None, retrievers: tuple[str, ...] = RETRIEVERS,
           shown: int | None = None) -> list[Hit]:
    """Question → hits, best first: all fused candidates, or (`shown` given) those of the tiers whose hits can be
    among the first `shown`, in this order or in the not-found one (`tiers_shown`) — the first `shown` are the same."""
    return ranking(index, question, k, sources, retrievers).hits(shown)
