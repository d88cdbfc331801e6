"""Question → Answer: retrieve, decide whether the corpus says it, extract the answer, cite.

"Answered" needs a top passage of the asked year, naming the asked place or
body, that holds enough of the question's terms (`MIN_COVERAGE`, calibrated on
the dev set). Otherwise the answer is "not found": the note says what is
missing, and the nearest passages are still shown, labelled with their year.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.store import StoredIndex
from qa.extract import answer_span
from qa.question import Question, parse
from qa.retrieve import Hit, latest_year, search

MIN_COVERAGE = 0.5
DEFAULT_K = 5


@dataclass(frozen=True)
class Citation:
    """A numbered passage: verbatim source text and where to find it."""

    n: int
    text: str
    source: str
    title: str
    date: str | None
    year: int | None
    section: str
    lines: tuple[int, int]
    score: float
    year_ok: bool
    chunk_id: str


@dataclass(frozen=True)
class Answer:
    question: str
    answered: bool
    text: str | None  # the answering clause, verbatim from citation `citation`
    figure: str | None
    citation: int | None
    note: str | None
    citations: tuple[Citation, ...]
    years: tuple[int, ...]  # the years searched for (empty: any)
    year_assumed: bool

    def to_json(self) -> dict:
        """The JSON shape of `gzqa ask --json`."""
        return {
            "question": self.question,
            "answered": self.answered,
            "answer": ({"text": self.text, "figure": self.figure, "citation": self.citation}
                       if self.answered else None),
            "note": self.note,
            "years": list(self.years),
            "passages": [{"rank": c.n, "text": c.text, "source": c.source, "title": c.title, "date": c.date,
                          "year": c.year, "section": c.section, "lines": list(c.lines),
                          "score": round(c.score, 4), "year_matches": c.year_ok} for c in self.citations],
        }


def cite(index: StoredIndex, hits: list[Hit]) -> tuple[Citation, ...]:
    out = []
    for n, hit in enumerate(hits, start=1):
        article = index.articles[hit.chunk.source]
        c = hit.chunk
        out.append(Citation(n, c.text, c.source, article["title"]["value"],
                            (article.get("date") or {}).get("value"), hit.year, c.section_path,
                            (c.line_start, c.line_end), hit.score, hit.year_ok, c.id))
    return tuple(out)


def missing(question: Question, top: Hit | None) -> str:
    """Why the corpus does not answer, in the words a reader expects."""
    years = "、".join(f"{y}年" for y in question.years)
    places = "、".join(p.name for p in question.places)
    what = " ".join(x for x in (years, places) if x) or "这个问题"
    if top is None:
        return f"语料中没有找到与{what}相关的段落。"
    if not top.year_ok:
        other = f"{top.year}年" if top.year else "其他年份"
        return f"语料中没有{what}的相关内容；下面是最接近的段落，来自{other}的报道，仅供参考。"
    if not top.place_ok:
        return f"语料中没有{what}的相关内容；下面是最接近的段落（未提到{places}）。"
    return f"语料中没有找到{what}的这项内容；下面是最接近的段落，但未直接回答问题。"


def ask(index: StoredIndex, question: str, k: int = DEFAULT_K, year: int | None = None,
        sources: tuple[str, ...] | None = None) -> Answer:
    """Answer `question` from `index`; `year` overrides the year read from the question."""
    q = parse(question, latest_year(index))
    if year is not None:
        q = Question(q.text, (year,), False, q.places, q.terms, q.search_terms, q.wants)
    hits = search(index, q, sources=sources)
    top = hits[0] if hits else None
    answered = bool(top and top.year_ok and top.place_ok and top.coverage >= MIN_COVERAGE)
    if not answered:  # nearest facts first: the asked place in another year beats another place
        hits = sorted(hits, key=lambda h: (not h.place_ok, -h.score, h.chunk.id))
    citations = cite(index, hits[:k])
    note = None
    text = figure = None
    if answered:
        extract = answer_span(q, top.chunk.text, index.bm25.idf)
        text, figure = extract.text, extract.figure
        if q.year_assumed:
            note = f"问题未写年份，按“{q.text}”理解为{q.years[0]}年。"
        elif not q.years and top.year:
            note = f"问题未指定年份；答案出自{top.year}年的报道。"
    else:
        note = missing(q, top)
    return Answer(question, answered, text, figure, 1 if answered else None, note, citations, q.years,
                  q.year_assumed)
