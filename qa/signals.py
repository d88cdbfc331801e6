"""The signals of one candidate answer (`Signals`, each in [0, 1]) that qa/calibration.py weighs into the
confidence that it is right.
"""
from __future__ import annotations

from dataclasses import dataclass

from index.records import Chunk
from qa.binding import (SHARE, SHARE_ASKED, answers_kind, counts_other, foreign_indicator, indicator_missing, lead,
                        measure_matches, share_for_change, stock_for_new)
from qa.judge import is_subject
from qa.question import Question
from qa.shapes import has_figure


@dataclass(frozen=True)
class Signals:
    """What one candidate answer offers, each in [0, 1] (rank: 0, 1, 2 …); weighed in qa/calibration.py."""

    coverage: float  # the question's concepts (weighted by √idf) in the whole passage
    window: float  # … in the answering words alone
    cosine: float  # dense similarity of question and passage (index vectors; 0 when dense is off)
    kind: float  # the answering words hold the kind of thing asked (figure in the unit, date, place, person)
    bound: float  # of the asked concepts in the words, the share in the figure's own lead words ("总产值" ≠ "增加值")
    share: float  # the figure is of another thing: a share ("占GDP比重"), an indicator not asked, a count of a thing
    # not asked ("5个乡镇" for a harvest)
    subject: float  # the asked place is what the passage is about (section or opening words)
    rank: float  # how many passages that could answer rank before it (other year, place, no figure: not counted)
    enough: float  # the passage holds half the question's concepts (a quarter: who-questions on their official)
    measure: float  # the figure is the measure asked: a rate for "增长多少", an amount for "规模", no stock for "新增",
    # no share for "增长" (1 when none asked)
    missing: float  # the question names an indicator or title the words never name ("工业投资" asked, "固投" said)
    unit: float  # the figure is in the unit the question names, one that says what is counted (not `PLAIN_UNITS`)

    def vector(self) -> list[float]:
        return [getattr(self, name) for name in NAMES]


NAMES = ("coverage", "window", "cosine", "kind", "bound", "share", "subject", "rank", "enough", "measure", "missing",
         "unit")
# A unit that says what is counted or measured: a figure in the one asked ("多少套" → "1万套", "多少户" → "超71万户",
# "多大面积" → "200万平方米") is of the asked thing however differently the question names it (a paraphrase keeps
# the unit). Not 元, % or their magnitudes, nor the general classifier 个: figures of almost anything are in them.
PLAIN_UNITS = frozenset({"元", "亿元", "万元", "亿", "万", "%", "个"})


def signals(question: Question, chunk: Chunk, coverage_: float, cosine: float, rank: int,
            answer: str, figure: str | None, window: float, bound_of, enough: bool) -> Signals:
    """The signals of one candidate: passage `chunk` at `rank`, its answering words and figure.

    `bound_of(text)` is the question's coverage of a piece of text (qa.coverage with the index's idf).
    """
    at = answer.find(figure) if figure else -1
    said_of = lead(answer, at) if at >= 0 else answer
    share = bool(figure and "%" in figure and SHARE.search(said_of) and not SHARE_ASKED.search(question.text))
    share = share or (at >= 0 and (foreign_indicator(question, said_of) or counts_other(question, answer, at, figure)))
    # Of the question's concepts the words hold, the share said of the figure itself (its lead words):
    # "全年社零额增长不低于5.5%，…占GDP比重…" holds GDP, but not before 5.5%.
    bound = min(bound_of(said_of) / window, 1.0) if at >= 0 and question.wants == "number" and window else 1.0
    measure = not (figure and question.wants == "number"
                   and (not measure_matches(question, figure) or stock_for_new(question, said_of)
                        or share_for_change(question, said_of)))
    return Signals(coverage_, window, cosine, float(answers_kind(question, answer)), bound, float(share),
                   float(is_subject(question, chunk)), float(rank), float(enough), float(measure),
                   float(indicator_missing(question, answer)), float(names_unit(question, figure)))


def names_unit(question: Question, figure: str | None) -> bool:
    """Is the figure in the unit the question asks, one that names what is counted (not in `PLAIN_UNITS`)?"""
    return bool(figure and question.unit and question.unit not in PLAIN_UNITS and has_figure(figure, question.unit))
