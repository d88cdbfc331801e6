"""Quality as a test: every question set asked of the seeds (fake embedder, seconds), with floors and the
exact list of known misses — a change that breaks a question, or mends one without saying so, fails.

The figures here are the fake embedder's (hashed tokens): lower than the real model's on paraphrases,
which `gzqa eval` measures (README, Quality). When a change mends a question, take it off its list.
"""
from __future__ import annotations

import json

import pytest

from index.store import load
from qa.evaluate import evaluate
from tests.conftest import ROOT

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
SETS = {name: ROOT / "tests" / "eval" / f"{name}.jsonl"
        for name in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7", "heldout8",
                     "heldout9", "heldout10", "heldout11", "heldout12", "heldout13", "heldout14", "heldout15",
                     "heldout16", "heldout17", "heldout18", "heldout19", "heldout20", "heldout21", "heldout22", "heldout23",
                     "heldout24", "heldout25", "heldout26", "heldout27", "heldout28", "heldout29", "heldout30",
                     "heldout31", "heldout32")} | {"dev": DEV}

# set → (answer@1 floor, abstention floor, false-abstention ceiling, answered-but-wrong ceiling, known misses)
EXPECTED: dict[str, tuple[float, float, float, int, list[str]]] = {
    "dev": (1.0, 1.0, 0.0, 0, []),
    "heldout": (1.0, 1.0, 0.0, 0, []),
    # a who-question made of meta-language; "新增多少高企" (only the stock "1.3万家" is said); figures below the
    # threshold, which is set for ≤ 2 % wrong answers
    "heldout2": (0.97, 1.0, 0.03, 0, ["k017"]),
    # "投资规模": several indicators are investments
    "heldout3": (1.0, 1.0, 0.0, 0, []),
    "heldout4": (1.0, 1.0, 0.0, 0, []),
    # blind set A: paraphrases that share no words with the report and that the decision does not trust
    # enough to answer (not found, the nearest words shown), "在哪个城市开的" (the city ranks below the top 3)
    "heldout5": (0.87, 1.0, 0.13, 0, ["a016", "a017", "a018", "a019", "a023", "a025", "a027", "a030", "a067"]),
    # blind set B: mostly paraphrases not trusted enough to answer
    "heldout6": (0.92, 1.0, 0.08, 0, ["b028", "b031", "b034", "b035", "b036", "b037"]),
    # blind set C (first contact recorded in README, then tuned on): paraphrases, a pinyin-only question,
    # who/where/when questions whose answer ranks below the top 3, two wrong windows, and
    # "19日" for the gold "2月19日" (the right day) answered
    "heldout7": (0.89, 1.0, 0.1, 1, ["c026", "c029", "c031", "c034", "c035", "c040", "c075"]),
    # blind set D (second session; fitted on since the third): paraphrases not trusted enough, pinyin-only
    # questions, a wrong figure (fake encoder)
    "heldout8": (0.9, 1.0, 0.06, 3, ["d027", "d029", "d034", "d037", "d039", "d066", "d071"]),
    # blind set E (third session: first contact recorded, then fitted on): paraphrases, who-questions below the
    # threshold, "在哪个城市" answered with the wrong city, a district merged away (萝岗) answered
    "heldout9": (0.94, 1.0, 0.05, 1, ["e034", "e039", "e046"]),
    # blind set F, never tuned on (README, Quality): as the fourth session's code leaves it, a guard —
    # paraphrases and who-questions not trusted enough (fake encoder)
    "heldout10": (0.91, 1.0, 0.08, 1, ["f029", "f032", "f036", "f039", "f040", "f080"]),
    # blind set G, written at the end of the third session and measured once on its final code (README,
    # Quality), fitted on since the fourth: paraphrases, who/where questions (fake encoder)
    "heldout11": (0.91, 1.0, 0.09, 0, ["g007", "g021", "g038", "g055", "g079"]),
    # blind set H (fourth session: first contact recorded in README, then fitted on): paraphrases not trusted
    # enough, the province's meeting city, a person asked of a title (fake encoder)
    "heldout12": (0.92, 1.0, 0.06, 1, ["h015", "h025", "h029", "h046", "h076", "h093"]),
    # blind set I, written in the fourth session and measured on its final code (README, Quality), never fitted
    # on, misses not read: a guard (fake encoder)
    "heldout13": (0.88, 1.0, 0.12, 0, ["i013", "i015", "i019", "i020", "i021", "i022", "i023", "i028"]),
    # blind set J, written in the fifth session from the seeds alone; first contact on the fourth session's final
    # code recorded (README, Quality), never fitted on, misses not read: a guard (fake encoder)
    "heldout14": (0.88, 1.0, 0.1, 2, ["j013", "j014", "j016", "j017", "j018", "j024", "j025", "j026", "j047", "j063"]),
    # blind set K, written in the sixth session from the seeds alone; first contact on the fifth session's final
    # code recorded (README, Quality), never fitted on, misses not read: a guard (fake encoder)
    "heldout15": (0.91, 1.0, 0.08, 1, ["k015", "k017", "k019", "k020", "k023", "k026", "k059"]),
    # blind set L, written in the seventh session from the seeds alone; first contact on the sixth session's final
    # code recorded (README, Quality), then its misses read and fitted on: paraphrases (fake encoder)
    "heldout16": (0.88, 0.93, 0.12, 1, ["l013", "l016", "l019", "l020", "l021", "l022", "l026", "l100"]),
    # blind set M, written in the seventh session from the seeds alone; first contact on that session's code at
    # 38a694d recorded (README, Quality), its misses then read; never fitted on (fake encoder)
    "heldout17": (0.91, 1.0, 0.06, 2, ["m013", "m015", "m016", "m020", "m021"]),
    # blind set N, written in the seventh session from the seeds alone; first contact on that session's code at
    # 6579de4 recorded (README, Quality), its misses then read; never fitted on (fake encoder)
    "heldout18": (0.9, 1.0, 0.09, 1, ["n014", "n015", "n016", "n017", "n019", "n024", "n044", "n077"]),
    # blind set O, written in the eighth session from the seeds alone; first contact on the seventh session's final
    # code (9eb2110) recorded (README, Quality), its misses then read and worked on (fake encoder)
    "heldout19": (0.91, 1.0, 0.08, 1, ["o003", "o025", "o035", "o038", "o070", "o080"]),
    # blind set P, written with O; first contact on 9eb2110 recorded, measured again on the eighth session's final
    # code, only then its misses read; never fitted on (fake encoder)
    "heldout20": (0.89, 1.0, 0.1, 1, ["p031", "p033", "p038", "p042", "p065", "p086", "p090"]),
    # blind set Q, written late in the eighth session; first contact on its final code recorded (and on 9eb2110 for
    # comparison); misses not read, never fitted on (fake encoder)
    "heldout21": (0.86, 1.0, 0.11, 2, ["q007", "q015", "q029", "q041", "q046", "q054", "q060", "q069", "q093", "q097"]),
    # blind set R, written in the ninth session from the seeds alone (paraphrase-heavy: 23 of 120); first contact on
    # the eighth session's final code (75a28ec) recorded (README, Quality), its misses then read and worked on
    "heldout22": (0.82, 1.0, 0.15, 3, ["r022", "r045", "r047", "r052", "r058", "r061", "r066", "r069", "r070",
                                       "r072", "r082", "r089", "r094", "r101", "r107", "r110", "r119"]),
    # blind set S, written with R; first contact on 75a28ec recorded, measured again late in the session and its
    # misses then seen; never fitted on, none worked on (fake encoder)
    "heldout23": (0.87, 1.0, 0.09, 4, ["s016", "s026", "s064", "s068", "s074", "s075", "s086", "s090", "s094",
                                       "s096", "s098"]),
    # blind set T, written mid-session; first contact on the session's final code (b32b516) recorded, and on 75a28ec
    # for comparison; misses not read, never fitted on (fake encoder)
    "heldout24": (0.83, 1.0, 0.12, 4, ["t017", "t025", "t029", "t056", "t070", "t073", "t083", "t087", "t094", "t099"]),
    # blind set U (tenth session): first contact on main 111d95b recorded, misses read and worked on
    "heldout25": (0.9, 1.0, 0.07, 2, ["u042", "u043", "u045", "u046", "u048", "u054", "u056", "u058"]),
    # blind set V (tenth session): as U
    "heldout26": (0.87, 0.95, 0.13, 2, ["v024", "v041", "v043", "v044", "v047", "v049", "v053", "v054", "v055",
                                        "v056", "v106"]),
    # blind set W (tenth session): sealed until the session's answering changes were made, then measured once
    # (first contact on 670fcce); misses not read, never fitted on
    "heldout27": (0.86, 1.0, 0.11, 3, ["w034", "w035", "w041", "w042", "w043", "w045", "w046", "w053", "w054", "w055"]),
    # blind set X (eleventh session): first contact on main 9f4e579 recorded (README, Quality), then its misses read
    # and worked on (fake encoder)
    "heldout28": (0.96, 1.0, 0.04, 0, ["x035", "x071"]),
    # blind set Y (eleventh session): written with X, sealed: measured, misses not read, never fitted on
    "heldout29": (0.94, 1.0, 0.04, 2, ["y026", "y027", "y029", "y033", "y039"]),
    # blind sets ZA, ZB, ZC (twelfth session): first contact on main 7c13498 recorded (README, Quality); ZA's misses
    # read and worked on, ZB and ZC sealed: measured, misses not read, never fitted on (fake encoder here)
    "heldout30": (1.0, 1.0, 0.0, 0, []),
    "heldout31": (0.97, 1.0, 0.03, 0, ["zb006", "zb042"]),
    "heldout32": (0.97, 1.0, 0.03, 0, ["zc026", "zc029"]),
}


@pytest.fixture(scope="module")
def stored(fake_index):
    return load(fake_index)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_question_set(stored, name):
    path = SETS[name]
    if not path.is_file():
        pytest.skip(f"{path} is not here (the dev set lives in ../shared)")
    summary, _ = evaluate(stored, path)
    answer_floor, abstention_floor, false_ceiling, wrong_ceiling, known = EXPECTED[name]
    misses = sorted(r["id"] for r in summary["misses"])
    assert misses == sorted(known), f"{name}: misses changed: {misses}"
    assert summary["answer@1"] >= answer_floor
    assert summary["abstention"] is None or summary["abstention"] >= abstention_floor
    assert summary["false_abstention"] <= false_ceiling
    assert summary["answered_wrong"] <= wrong_ceiling
    assert summary["citation_validity"] == 1.0


def test_eval_sets_lists_what_moved_and_hides_sealed_sets(tmp_path, capsys):
    from scripts.eval_sets import compare

    def graded(qid, answered, right, figure):
        return {"id": qid, "question": f"q{qid}", "answerable": True, "answered": answered, "answer1": right,
                "hit1": right, "figure1": figure, "answer": "答" if answered else None}

    before = [graded("a1", False, False, False), graded("a2", True, True, True), graded("y1", True, False, False)]
    (tmp_path / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in before), encoding="utf-8")
    now = [graded("a1", True, True, True), graded("a2", True, True, False), graded("y1", False, False, False)]
    compare(tmp_path, {"s": now}, ("y",))
    out = capsys.readouterr().out
    assert "a1 not found → ok" in out and "a2 ok → ok, figure True → False" in out and "y1" not in out  # sealed
    assert "better 2, worse 0; highlighted figure right 1 more, 1 fewer" in out  # y1: wrong → not found is better
