"""Which candidate answers: the top passages of the asked year and place, their answering words scored by their
signals (qa/signals.py, qa/calibration.py) and vetoed, the most confident answering when it reaches `THRESHOLD`.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from index.api import Index
from index.tokenize import tokens
from qa.binding import figure_missing, part_missing, result_missing
from qa.calibration import THRESHOLD, confidence
from qa.coverage import coverage
from qa.extract import Extract, answer_spans
from qa.facts import facts_of
from qa.judge import OPENING, is_subject
from qa.question import Question
from qa.candidates import RETRIEVERS, articles_of
from qa.retrieve import Hit, ranking
from qa.shapes import TITLED_NAME
from qa.signals import Signals, signals

# The old gate, now the "enough" signal: half the question's concepts (weighted as qa.coverage weighs them; its
# weight is the fit's, qa/calibration.py — small since the weights are √idf, as coverage itself says most of it).
MIN_COVERAGE = 0.5
PERSON_MIN_COVERAGE = 0.25  # who-questions on a place's official: their words are meta-language ("代表…发言的是谁")
ANSWER_DEPTH = 3  # the top passages of the asked year and place judged as candidates: the answer is among them
# nearly always (hit@5 0.99, hit@1 0.97 over the sets), and each one more is one more chance of a wrong answer
# A question of no year is answered by the newest report that answers; an older report's answer replaces it only
# when its confidence (a calibrated probability) is higher by more than this: within it, the two are as likely
# right (the reliability table's bins are 0.05–0.1 wide) and the newest is what a reader means.
OLDER_SURER = 0.1
# A figure said of another thing (the "share" signal: another indicator, a share, a count of another thing) whose own
# lead words hold less than this much of what the answering words hold of the question cannot answer: the asked
# words are said of another figure in them ("地区生产总值增长不低于4%，固定资产投资680亿元" for the GDP amount;
# "全年社零额增长不低于5.5%" for trade's growth). As a signal alone (weight −2.4) such words still answered at 0.69.
# Replayed over every set's candidates: −2 wrong, no answer lost (at 0 only the first; as a veto on the signal
# alone, the ninth session's try: −6 right).
OWN_WORDS = 0.5
# A passage's best answering words may be vetoed (a figure of another unit, another thing's figure) while other words
# of it answer: "推动…公办…学校100%纳入教育集团" holds more of "新添多少个公立学校入学名额" than "增加基础教育公办学位
# 7万个". The next best windows not overlapping it, this many, are judged in turn; the first not vetoed stands for the
# passage (its signals as any window's: low coverage, low confidence) when its figure is shown to be of the asked
# thing: said right after asked words it holds, or in the unit asked that names what is counted ("2万亩" for "多少地").
# Words that merely hold a figure do not stand in ("美妆产业规模突破200亿元" for 白云区's count of firms, its best
# words "超71万户市场主体" vetoed as a count of another thing: the alternatives without that rule answered 6 more
# questions wrongly, 10 more rightly, over all sets). Two: a passage of 200 characters has some ten clauses, and the
# third best words hold little of the question already; words that repeat the vetoed figure, or reach into the best
# words (a continuation), are not others.
OTHER_WINDOWS = 2


def owns_figure(s: Signals) -> bool:
    """Is an alternative window's figure shown to be of the asked thing (`OTHER_WINDOWS`)?"""
    return bool(s.unit or (s.window > 0 and s.bound > 0))


def min_coverage(q: Question, hit: Hit) -> float:
    """MIN_COVERAGE; less for "who" about a named place in a passage that opens with its official by name.

    Who-questions wrap the place in words no report uses ("代表南沙区表态的是谁");
    "南沙区委副书记、区长吴扬表示" answers them by its shape.
    """
    if q.wants == "person" and q.places and is_subject(q, hit.chunk) and TITLED_NAME.search(hit.chunk.text[:OPENING]):
        return PERSON_MIN_COVERAGE
    return MIN_COVERAGE


@dataclass(frozen=True)
class Candidate:
    """A passage that could answer: its rank among the hits, its answering words, their signals and confidence."""

    rank: int
    hit: Hit
    extract: Extract
    signals: Signals
    confidence: float
    vetoed: str | None = None  # why it cannot answer whatever its signals say: "kind" (a number or date asked, none
    # in the words), "part" (a phase or quarter asked that the passage never names), "given" (a figure the
    # question gives that the passage never states), "result" (a year's result asked, a target or another
    # year's result given) or "share" (the figure is another thing's, the asked words said of another: OWN_WORDS);
    # a key of REASONS


def candidates(index: Index, q: Question, hits: list[Hit]) -> list[Candidate]:
    """The top `ANSWER_DEPTH` hits of the asked year and place, each with its answering words, scored.

    A passage listing several districts may rank first and yet hold the asked
    one's figure nowhere (its words speak of another place: not a candidate);
    the next passage may.
    """
    def said(text: str) -> float:
        return coverage(q.terms, set(tokens(text)), index.idf, text)

    out, ahead = [], 0  # ahead: passages ranked before this one that could have answered
    for i, hit in enumerate(hits[:ANSWER_DEPTH]):
        if not (hit.year_ok and hit.place_ok):
            continue
        windows = answer_spans(q, hit.chunk.text, index.idf, 1 + OTHER_WINDOWS)
        first = next(windows)
        if first.off_place:
            continue
        best = candidate_of(index, q, hit, i, ahead, first, said)
        if best.vetoed and best.vetoed != "given":  # the next best words, when their figure is the asked thing's
            # ("given" is the passage's: a figure the question gives, stated nowhere in it)
            others = (candidate_of(index, q, hit, i, ahead, extract, said) for extract in windows
                      if not extract.off_place and not overlaps(extract, first) and extract.figure != first.figure)
            best = next((c for c in others if not c.vetoed and owns_figure(c.signals)), best)
        ahead += not best.vetoed
        out.append(best)
    return out


def overlaps(a: Extract, b: Extract) -> bool:
    """Do two answering words of one passage share any of its characters?"""
    return a.start < b.start + len(b.text) and b.start < a.start + len(a.text)


def candidate_of(index: Index, q: Question, hit: Hit, rank: int, ahead: int, extract: Extract,
                 said: Callable[[str], float]) -> Candidate:
    """One passage's answering words as a candidate: their signals, veto and confidence."""
    s = signals(q, hit.chunk, hit.coverage, hit.cosine, ahead, extract.text, extract.figure, said(extract.text),
                said, hit.coverage >= min_coverage(q, hit))
    # The vetoes (`Candidate.vetoed`): a number or a date asked and none in the words, in the asked unit ("多少亿元"
    # is not "增长17%"); a part asked (二期, 一季度) the words never name; a figure the question gives that the
    # passage never states; a year's result asked and the figure a target; the figure another thing's. Such words
    # cannot be the answer however well they match: they stay the nearest rejected candidate, the veto its reason.
    vetoed = ("kind" if q.wants in ("number", "date") and not s.kind
              else "part" if part_missing(q, extract.text, extract.figure)
              else "given" if figure_missing(q, hit.chunk.text)
              else "result" if q.asks_result and result_missing(q, hit.chunk, extract.figure,
                                                              facts_of(index, hit.chunk.source))
              else "share" if s.share and s.bound < OWN_WORDS
              else None)
    return Candidate(rank, hit, extract, s, 0.0 if vetoed else confidence(s), vetoed)


def attempt(index: Index, q: Question, sources: tuple[str, ...] | None,
            retrievers: tuple[str, ...] = RETRIEVERS, shown: int | None = None, nearest: bool = True,
            ) -> tuple[list[Hit], Candidate | None, Candidate | None]:
    """Hits for `q` (the answering one first; with `shown`, those that can be among the first `shown`:
    `qa.retrieve.search`), the answer (None: not found), and the best candidate. Not found and not `nearest`
    (its hits are not shown): no hits.

    The candidate of highest confidence answers when its confidence reaches
    `THRESHOLD` (qa/calibration.py); otherwise it is the nearest rejected one.
    Only passages of the asked year and place are candidates: they are judged first, the rest as the outcome
    needs them.
    """
    ranked = ranking(index, q, sources=sources, retrievers=retrievers)
    found = candidates(index, q, ranked.answering())
    best = max(found, key=lambda c: (c.confidence, -c.rank), default=None)
    if best is None or best.confidence < THRESHOLD:  # not found: `ask` shows the nearest, of the asked place first
        return (ranked.hits(shown) if nearest else []), None, best
    hits = ranked.hits(shown, nearest=False)
    return [best.hit] + [h for h in hits if h is not best.hit], best, best


def newest_answering(index: Index, q: Question, sources: tuple[str, ...] | None,
                     retrievers: tuple[str, ...] = RETRIEVERS, older_surer: float | None = OLDER_SURER,
                     shown: int | None = None) -> tuple[list[Hit], Candidate | None, Candidate | None]:
    """`attempt` over the reports of one year at a time, newest first: the newest report that answers does,
    unless an older one is clearly surer (by `older_surer`; None: the newest that answers, whatever the rest).

    Over all years at once, a question asked of "今年" that this year's report does not answer would be
    answered by whichever year's report ranks best — among thousands of articles, a 2017 look-alike's
    rather than the 2024 report's. But a question that names no year may ask what only an older report says
    ("以办好哪个运动会为契机…": the 2024 report, at 0.93; the 2026 one offers "城市更新投资2200亿元" at 0.77).
    Trying older years costs one retrieval each, until an answer is sure enough that none could beat it.
    The first attempt's hits are kept for the nearest passages.
    """
    first = answered = None
    for year in index.catalog().years:
        if answered is not None and (older_surer is None or answered[1].confidence + older_surer >= 1.0):
            break  # no older answer can be surer by the margin
        pool = articles_of(index, q, (year,), sources)
        if not pool:
            continue
        # the first year's hits are shown if no year answers; an older year's only when it answers
        found = attempt(index, q, pool, retrievers, shown, nearest=first is None)
        first = first or found
        if found[1] is not None and (answered is None or found[1].confidence > answered[1].confidence + older_surer):
            answered = found
    return answered or first or attempt(index, q, sources, retrievers, shown)
