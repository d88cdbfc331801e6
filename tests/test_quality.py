"""Quality as a test: every question set asked of the seeds (fake embedder, seconds), with floors and the
exact list of known misses — a change that breaks a question, or mends one without saying so, fails.

The figures here are the fake embedder's (hashed tokens): lower than the real model's on paraphrases,
which `gzqa eval` measures (README, Quality). When a change mends a question, take it off its list.
"""
from __future__ import annotations

import pytest

from index.store import load
from qa.evaluate import evaluate
from tests.conftest import ROOT

DEV = ROOT.parent / "shared" / "eval" / "dev.jsonl"
SETS = {name: ROOT / "tests" / "eval" / f"{name}.jsonl"
        for name in ("heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7",
                     "heldout8")} | {"dev": DEV}

# set → (answer@1 floor, abstention floor, false-abstention ceiling, answered-but-wrong ceiling, known misses)
EXPECTED: dict[str, tuple[float, float, float, int, list[str]]] = {
    # "哪年几月来广州视察": below the threshold (the real model's confidence 0.87, at it)
    "dev": (0.96, 1.0, 0.04, 0, ["d019"]),
    "heldout": (1.0, 1.0, 0.0, 0, []),
    # a who-question made of meta-language; "新增多少高企" (only the stock "1.3万家" is said); figures below the
    # threshold since it was set for ≤ 2 % wrong answers (2026-11-30, second session)
    "heldout2": (0.85, 1.0, 0.12, 1, ["k017", "k026", "k036", "k037", "k041", "k042"]),
    # "投资规模": several indicators are investments; "经济增速" and "一横三纵三片" answered below the threshold
    "heldout3": (0.89, 1.0, 0.11, 0, ["h3001", "h3002", "h3004", "h3011"]),
    "heldout4": (0.88, 1.0, 0.12, 0, ["n022", "n029", "n030", "n040", "n041"]),
    # blind set A: paraphrases that share no words with the report and that the decision does not trust
    # enough to answer (not found, the nearest words shown), "在哪个城市开的" (the city ranks below the top 3)
    "heldout5": (0.75, 1.0, 0.25, 0, ["a002", "a016", "a017", "a018", "a019", "a020", "a021", "a022", "a023",
                                      "a025", "a026", "a027", "a029", "a030", "a067", "a068", "a069"]),
    # blind set B: mostly paraphrases not trusted enough to answer
    "heldout6": (0.76, 1.0, 0.24, 0, ["b017", "b025", "b026", "b027", "b028", "b029", "b030", "b031", "b032",
                                      "b033", "b034", "b035", "b036", "b037", "b038", "b071", "b072", "b075"]),
    # blind set C (first contact recorded in README, then tuned on): paraphrases, a pinyin-only question,
    # who/where/when questions whose answer ranks below the top 3, the trap "二期", two wrong windows, and
    # "19日" for the gold "2月19日" (the right day) answered
    "heldout7": (0.69, 0.92, 0.27, 4, ["c009", "c019", "c025", "c026", "c027", "c028", "c029", "c030", "c031",
                                       "c032", "c034", "c035", "c036", "c037", "c038", "c039", "c040", "c061",
                                       "c069", "c071", "c073", "c074", "c075", "c090"]),
    # blind set D, never tuned on (README, Quality): recorded as the final code of 2026-11-30 left it, a guard
    # from here on — paraphrases not trusted enough, pinyin-only questions, two wrong figures (fake encoder)
    "heldout8": (0.8, 1.0, 0.19, 1, ["d009", "d025", "d026", "d027", "d029", "d032", "d033", "d034", "d035",
                                     "d037", "d039", "d057", "d060", "d066", "d074"]),
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
