"""Question → Answer: retrieve, decide whether the corpus says it, extract the answer, cite.

Each of the top passages of the asked year, naming the asked place or body,
whose answering words speak of the asked place, is a candidate (qa/decide.py);
its signals (qa/signals.py) give a calibrated confidence (qa/calibration.py), and the most
confident answers when it reaches `THRESHOLD`. A number or date asked and none
in the words (in the asked unit: "多少个/多少家…") vetoes a candidate. Otherwise
the answer is "not found": the note says what is missing, the best candidate is
shown as the nearest words with the reason it was turned down, and the nearest
passages are still shown, labelled with their year.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

from index.api import Index
from qa.calibration import REASONS, why
from qa.decide import ANSWER_DEPTH, attempt, newest_answering
from qa.question import RELATIVE_YEARS, Question, parse
from qa.judge import where
from qa.resolve import CJK, meeting_years, places_by_sound, spelt_in_corpus, unknown_names
from qa.candidates import RETRIEVERS
from qa.retrieve import Hit, latest_year

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
    ranks: tuple[tuple[str, int | None], ...] = ()  # where each retriever ranked it (1-based; None: not in its list)


@dataclass(frozen=True)
class Rejected:
    """The candidate answer the decision turned down: its words, which citation holds them, and why."""

    text: str
    citation: int | None
    confidence: float
    reason: str


@dataclass(frozen=True)
class Answer:
    """What `ask` returns: the answer (or why there is none) and the numbered passages behind it."""

    question: str
    answered: bool
    text: str | None  # the answering clause, verbatim from citation `citation`
    figure: str | None
    citation: int | None
    note: str | None
    citations: tuple[Citation, ...]
    years: tuple[int, ...]  # the years searched for (empty: any)
    year_assumed: bool
    table: tuple = ()  # a comparison's or ranking's rows (qa.compare.TableRow), each naming its citation
    computed: str | None = None  # arithmetic done on the cited figures, labelled as computed
    confidence: float | None = None  # the calibrated probability that the answer is right (qa/calibration.py)
    nearest: Rejected | None = None  # not found: the best candidate words turned down, and why

    def to_json(self) -> dict:
        """The JSON shape of `gzqa ask --json`."""
        extra = {"table": [row.to_json() for row in self.table], "computed": self.computed} if self.table else {}
        return {**extra, 
            "question": self.question,
            "answered": self.answered,
            "answer": ({"text": self.text, "figure": self.figure, "citation": self.citation}
                       if self.answered else None),
            "note": self.note,
            "confidence": None if self.confidence is None else round(self.confidence, 3),
            "nearest": (None if self.nearest is None else
                        {"text": self.nearest.text, "citation": self.nearest.citation,
                         "confidence": round(self.nearest.confidence, 3), "why": self.nearest.reason}),
            "years": list(self.years),
            "passages": [{"rank": c.n, "text": c.text, "source": c.source, "title": c.title, "date": c.date,
                          "year": c.year, "section": c.section, "lines": list(c.lines),
                          "score": round(c.score, 4), "year_matches": c.year_ok, "ranks": dict(c.ranks)}
                         for c in self.citations],
        }


def cite(index: Index, hits: list[Hit]) -> tuple[Citation, ...]:
    """Hits → numbered citations with their article's title, date and year."""
    out = []
    for n, hit in enumerate(hits, start=1):
        article = index.articles[hit.chunk.source]
        c = hit.chunk
        out.append(Citation(n, c.text, c.source, article.title.value, article.date_value, hit.year, c.section_path,
                            (c.line_start, c.line_end), hit.score, hit.year_ok, c.id, hit.ranks))
    return tuple(out)


def missing(question: Question, hits: list[Hit]) -> str:
    """Why the corpus does not answer, in the words a reader expects; `hits` as shown, nearest first."""
    years = "、".join(f"{y}年" for y in question.years)
    places = "、".join(p.name for p in question.places)
    what = f"{years}{places}" or "这个问题"
    assumed = f"（问题未写年份，按{years}理解）" if question.year_assumed else ""
    if not hits:
        return f"语料中没有找到与{what}相关的段落{assumed}。"
    if places and not any(h.place_ok for h in hits):
        return f"语料中没有提到{places}的段落{assumed}；下面是最接近的段落，仅供参考。"
    if question.years and not any(h.year_ok and h.place_ok for h in hits):
        other = sorted({h.year for h in hits if h.place_ok and not h.year_ok and h.year})
        shown = "、".join(f"{y}年" for y in other) or "其他年份"
        nearest = f"下面{places}的段落" if places else "下面最接近的段落"
        return f"语料中没有{what}的相关内容{assumed}；{nearest}出自{shown}的报道，不是{years}的数字，仅供参考。"
    return f"找到了{what}的段落{assumed}，但没有直接回答这个问题；下面是最接近的段落。"


def others_asked(q: Question, answering: Hit, rest: list[Hit]) -> str | None:
    """For a question about several districts or bodies: which the answer is about, where the others are."""
    asked = [p for p in q.places if p.kind in ("district", "body")]
    if len(asked) < 2:
        return None
    covered = [p.name for p in asked if any(f in where(answering.chunk) for f in p.forms)]
    notes = [f"问题问到{'、'.join(p.name for p in asked)}；答案说的是{'、'.join(covered)}。"]
    for p in asked:
        if p.name not in covered:
            n = next((i for i, hit in enumerate(rest, start=2) if any(f in where(hit.chunk) for f in p.forms)), None)
            notes.append(f"{p.name}见引文[{n}]。" if n else f"前{len(rest) + 1}条引文中没有{p.name}。")
    return "".join(notes)


def relative_word(question: Question) -> str:
    return next((w for w in RELATIVE_YEARS if w in question.text), "今年")


def reading_note(q: Question) -> str | None:
    """How a district typed by sound or slip was read: "按天河区理解（问题中写的是“天和区”）"."""
    if not q.readings:
        return None
    return "".join(f"按“{meant}”理解（问题中写的是“{typed}”）。" for typed, meant in q.readings)


def prepare(index: Index, question: str, year: int | None = None) -> tuple[Question, str | None]:
    """The question as searched (years, places, unknown names) and the note when `year` overrides it."""
    q = unknown_names(index, places_by_sound(index, spelt_in_corpus(index, parse(question, latest_year(index)))))
    overridden = None
    if year is not None:
        if q.years and year not in q.years:
            overridden = f"按指定的{year}年回答（问题中写的是{'、'.join(f'{y}年' for y in q.years)}）。"
        q = replace(q, years=(year,), year_assumed=False)
    elif q.dates and not q.years:  # "2月25日的会上": the year of the report of that meeting
        q = replace(q, years=meeting_years(index, q.dates))
    return q, overridden


def ask(index: Index, question: str, k: int = DEFAULT_K, year: int | None = None,
        sources: tuple[str, ...] | None = None, retrievers: tuple[str, ...] = RETRIEVERS) -> Answer:
    """Answer `question` from `index`; `year` overrides the year read from the question.

    "今年" is read as the newest year the corpus speaks of. When that year has no
    answer, the newest report that has one answers instead, and the note says so:
    an article's own "今年" is its year, and a reader asking "今年" may mean it.
    Likewise "去年" then means a report's own past year ("过去一年", "2023年" in a 2024 report).
    """
    from qa import compare  # imported here: qa.compare builds on this module's Answer

    compared = compare.answer(index, question or "", year)  # "…比2024年多还是少", "哪个区…最高": from the facts
    if compared is not None:
        return compared
    q, overridden = prepare(index, question, year)
    # Only the first `k` hits are cited and the first ANSWER_DEPTH tried; a question in no Chinese shows its
    # hits by relevance alone, across tiers, so all of them are judged.
    shown = max(k, ANSWER_DEPTH) if CJK.search(q.text) else None
    if q.years:
        hits, chosen, best = attempt(index, q, sources, retrievers, shown)
    else:  # no year said: the newest report that answers does, as a reader means (then any, for undated articles)
        hits, chosen, best = newest_answering(index, q, sources, retrievers, shown=shown)
        if chosen is None:
            hits, chosen, best = attempt(index, q, sources, retrievers, shown)
    note = None
    if not CJK.search(q.text):  # the reports are Chinese: words like "Baiyun" match nothing in them
        hits = sorted(hits, key=lambda h: (-h.score, h.chunk.id))
        return Answer(question, False, None, None, None, "语料是中文报道，请用中文提问，例如：白云区2026年固投目标是多少",
                      cite(index, hits[:k]), q.years, q.year_assumed)
    if chosen is None and q.year_assumed:
        # "今年" not answered by the newest year: the newest report that answers, as the docstring says — an
        # older one's surer guess is no reading of "今年"
        open_hits, open_chosen, open_best = newest_answering(index, replace(q, years=(), year_assumed=False), sources,
                                                            retrievers, older_surer=None, shown=shown)
        if open_chosen is not None:
            asked, found, word = q.years[0], open_hits[0].year, relative_word(q)
            meant = (f"（说的是它的{word}，即{found + q.relative}年）" if q.relative and found
                     else f"（其中的“今年”指{found}年）")
            note = (f"问题中的“{word}”按语料最新的{asked}年理解，但{asked}年的报道没有说到这一项；"
                    f"下面的答案出自{found}年的报道{meant}，仅供参考。")
            hits, chosen = open_hits, open_chosen
        elif best is None:
            best = open_best
    elif chosen is not None and q.year_assumed:
        note = f"问题中的“{relative_word(q)}”按语料最新的{q.years[0]}年理解。"
    elif chosen is not None and not q.years and hits[0].year:
        note = f"问题未指定年份；答案出自{hits[0].year}年的报道。"
    nearest = None
    if chosen is None:  # nearest facts first: the asked place in another year beats another place
        hits = sorted(hits, key=lambda h: (not h.place_ok, -h.score, h.chunk.id))
        note = missing(q, hits[:k])
        if best is not None:
            shown = next((n for n, h in enumerate(hits[:k], start=1) if h.chunk.id == best.hit.chunk.id), None)
            reason = REASONS[best.vetoed] if best.vetoed else why(best.signals)  # a veto is its own reason
            nearest = Rejected(best.extract.text, shown, best.confidence, reason)
    answered = chosen is not None
    if answered:
        note = " ".join(x for x in (note, others_asked(q, hits[0], hits[1:k])) if x) or None
    note = " ".join(x for x in (reading_note(q), overridden, note) if x) or None
    extract = chosen.extract if answered else None
    return Answer(question, answered, extract.text if answered else None, extract.figure if answered else None,
                  1 if answered else None, note, cite(index, hits[:k]), q.years, q.year_assumed,
                  confidence=chosen.confidence if answered else (best.confidence if best else 0.0), nearest=nearest)
