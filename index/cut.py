"""A run of text → jieba's search-mode words: jieba's own algorithm in fewer Python steps, the same words.

jieba cuts a run of Chinese characters, digits and letters (`re_han_default`) by
the best route through its dictionary (sum of log frequencies), cuts unknown
single-character stretches with its HMM, and in search mode adds each long word's
known 2- and 3-grams. Pure Python, that is most of an index build's tokenizing:
here the same steps run in one pass with each word's weight computed once and
the HMM with back-pointers. Every float is summed in jieba's order and every tie
broken its way, so the words are jieba's; `tests/test_build_speed.py` checks them
against jieba on every run of the seeds and on generated runs.
"""
from __future__ import annotations

import weakref
from math import log

# A tokenizer → {dictionary word → log(its frequency) − log(total): the word's weight in a route}, filled as
# words are met (a tokenizer's dictionary is not changed once it cuts: the project's never is).
_word_costs: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def cut_for_search(run: str, tokenizer) -> list[str]:
    """One run (jieba's `re_han_default`) → `tokenizer.cut_for_search(run)` (HMM on), as a list: the same words.

    jieba builds a dict of each position's word ends, then takes for each position the best-scoring
    (log-frequency sum, end) route with `max` over a generator, calling `log` for every candidate. This does the
    same in one backward pass over the run with each word's weight computed once: the same floats in the same
    order (log(f) − log(total), then + the rest of the route), ties to the later end as `max` over tuples breaks
    them; then the same unknown-run HMM (`jieba.finalseg.cut`) and search-mode 2- and 3-grams.
    """
    freq, cost = tokenizer.FREQ, _word_costs.setdefault(tokenizer, {})
    logtotal = log(tokenizer.total)
    n = len(run)
    best = [0.0] * (n + 1)  # best[i]: the score of the best route from i to the end (jieba's route[i][0])
    end = [0] * (n + 1)  # end[i]: where the first word of that route ends (jieba's route[i][1])
    for k in range(n - 1, -1, -1):
        chosen, score = -1, 0.0
        i, frag = k, run[k]
        while i < n:
            count = freq.get(frag)  # None: no word starts so; 0: a word's prefix, no word itself
            if count is None:
                break
            if count:
                weight = cost.get(frag)
                if weight is None:
                    weight = cost[frag] = log(count) - logtotal
                s = weight + best[i + 1]
                if chosen < 0 or s >= score:
                    chosen, score = i, s
            i += 1
            frag = run[k:i + 1]
        if chosen < 0:  # no word starts here: the character alone, weighed as jieba does (log(1) − log(total))
            chosen, score = k, (log(freq.get(run[k]) or 1) - logtotal) + best[k + 1]
        best[k], end[k] = score, chosen
    words: list[str] = []

    def single_characters(buf: str) -> None:  # a run of one-character words: jieba's HMM for an unknown one
        if len(buf) == 1:
            words.append(buf)
        elif not freq.get(buf):
            _hmm_cut(buf, words)
        else:
            words.extend(buf)

    buf, x = "", 0
    while x < n:
        y = end[x] + 1
        if y - x == 1:
            buf += run[x]
        else:
            if buf:
                single_characters(buf)
                buf = ""
            words.append(run[x:y])
        x = y
    if buf:
        single_characters(buf)
    out: list[str] = []
    for w in words:
        if len(w) > 2:
            out.extend(g for g in (w[i:i + 2] for i in range(len(w) - 1)) if freq.get(g))
        if len(w) > 3:
            out.extend(g for g in (w[i:i + 3] for i in range(len(w) - 2)) if freq.get(g))
        out.append(w)
    return out


def _hmm_cut(text: str, out: list[str]) -> None:
    """Append `jieba.finalseg.cut(text)`'s words to `out`: its Viterbi over the B/M/E/S states, with
    back-pointers instead of copied paths, the same sums in the same order and the same ties (`max` over
    (score, state) tuples: the later state letter wins)."""
    from jieba import finalseg

    start, trans, emit, low = finalseg.start_P, finalseg.trans_P, finalseg.emit_P, finalseg.MIN_FLOAT
    for block in finalseg.re_han.split(text):
        if not finalseg.re_han.match(block):
            out.extend(x for x in finalseg.re_skip.split(block) if x)
            continue
        score = {y: start[y] + emit[y].get(block[0], low) for y in "BMES"}
        back: list[dict[str, str]] = []
        for char in block[1:]:
            now, came = {}, {}
            for y in "BMES":
                em = emit[y].get(char, low)
                a, b = finalseg.PrevStatus[y]
                pa, pb = score[a] + trans[a].get(y, low) + em, score[b] + trans[b].get(y, low) + em
                now[y], came[y] = (pa, a) if pa > pb or (pa == pb and a > b) else (pb, b)
            score = now
            back.append(came)
        state = "E" if score["E"] > score["S"] else "S"  # max((score, y) for y in "ES"): "S" on a tie
        states = [state]
        for came in reversed(back):
            state = came[state]
            states.append(state)
        states.reverse()
        begin = after = 0
        for i, pos in enumerate(states):
            if pos == "B":
                begin = i
            elif pos == "E" or pos == "S":
                word = block[begin:i + 1] if pos == "E" else block[i]
                out.extend(word if word in finalseg.Force_Split_Words else (word,))
                after = i + 1
        if after < len(block):
            word = block[after:]
            out.extend(word if word in finalseg.Force_Split_Words else (word,))
