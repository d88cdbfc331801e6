"""The project's BM25 arrays against rank-bm25's BM25Plus, the oracle: same top-50 rows, same scores."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given, settings, strategies as st
from rank_bm25 import BM25Plus

from index import bm25
from index.chunk import chunk_article, indexed_text
from index.load import read_seeds
from index.meta import describe
from index.tokenize import tokens
from tests.conftest import SEEDS

K = 50


def oracle_rank(model: BM25Plus, query: list[str], k: int) -> list[tuple[int, float]]:
    """The slow, obviously right ranking: rank-bm25's scores of every chunk holding a query term; ties by row."""
    terms = list(dict.fromkeys(query))
    scores = model.get_scores(terms)
    matched = np.array([any(t in doc for t in terms) for doc in model.doc_freqs], dtype=bool)
    rows = np.flatnonzero(matched)
    order = rows[np.lexsort((rows, -scores[rows]))][:k]
    return [(int(i), float(scores[i])) for i in order]


def same_ranking(ours: list[tuple[int, float]], oracle: list[tuple[int, float]]) -> bool:
    return ([r for r, _ in ours] == [r for r, _ in oracle]
            and all(abs(a - b) <= 1e-6 for (_, a), (_, b) in zip(ours, oracle)))


def test_seeds_rank_as_rank_bm25_does(tmp_path: Path):
    texts, _ = read_seeds(SEEDS)
    chunks = [c for t in texts for c in chunk_article(t.source, describe(t.source, t.text, t.sha256).text)]
    corpus = [tokens(indexed_text(c)) for c in chunks]
    bm25.save(bm25.fit(corpus), tmp_path)
    ours, oracle = bm25.load(tmp_path), BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
    questions = ["白云区2026年固投目标是多少", "天河区GDP增速", "广州 高质量发展 大会", "不存在的词"]
    queries = [tokens(q) for q in questions] + [tokens(c.text[:40]) for c in chunks[::3]]
    for query in queries:
        assert same_ranking(ours.rank(query, K), oracle_rank(oracle, query, K)), query
    assert all(ours.idf(t) == oracle.idf[t] for t in oracle.idf) and ours.idf("不存在的词") == 0.0
    assert all(ours.terms(row) == oracle.doc_freqs[row] for row in range(len(chunks)))


WORDS = st.sampled_from([f"w{i}" for i in range(30)])  # few words: many shared terms, ties and repeats


@settings(max_examples=60, deadline=None)
@given(corpus=st.lists(st.lists(WORDS, min_size=1, max_size=25), min_size=1, max_size=60),
       query=st.lists(WORDS | st.just("absent"), min_size=1, max_size=6), k=st.integers(1, 70))
def test_random_corpora_rank_as_rank_bm25_does(corpus: list[list[str]], query: list[str], k: int):
    ours, oracle = bm25.fit(corpus), BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
    assert same_ranking(ours.rank(query, k), oracle_rank(oracle, query, k))
    assert ours.avgdl == oracle.avgdl


@settings(max_examples=30, deadline=None)
@given(corpus=st.lists(st.lists(WORDS, min_size=1, max_size=25), min_size=2, max_size=40),
       keep=st.data())
def test_carried_over_postings_equal_a_fresh_fit(corpus: list[list[str]], keep):
    """An update's merge (chunk-major postings copied, the vocabulary appended to) equals fitting anew."""
    first = bm25.fit(corpus)
    kept = sorted(keep.draw(st.sets(st.integers(0, len(corpus) - 1), min_size=1)))
    vocab, ids = list(first.vocab), dict(first.ids)
    added = [["w1", "new", "new"], ["fresh"]]
    docs = [(np.asarray(first.doc_terms[first.doc_ptr[r]:first.doc_ptr[r + 1]]),
             np.asarray(first.doc_tf[first.doc_ptr[r]:first.doc_ptr[r + 1]]), len(corpus[r])) for r in kept]
    docs += [(*bm25.count(doc, ids, vocab), len(doc)) for doc in added]
    merged = bm25.assemble(vocab, docs)
    refit = bm25.fit([corpus[r] for r in kept] + added)
    for query in (["w1"], ["new", "w2"], ["fresh", "w3", "w4"]):
        assert merged.rank(query, 10) == refit.rank(query, 10)
    assert all(merged.terms(i) == refit.terms(i) for i in range(len(docs)))


@settings(max_examples=40, deadline=None)
@given(corpus=st.lists(st.lists(WORDS, min_size=1, max_size=25), min_size=1, max_size=40),
       data=st.data())
def test_merging_postings_equals_sorting_them(corpus: list[list[str]], data):
    """An update's term-major postings, merged from the old ones, are exactly those a full sort gives."""
    old = bm25.fit(corpus)
    kept = data.draw(st.lists(st.booleans(), min_size=len(corpus), max_size=len(corpus)))
    added = data.draw(st.lists(st.lists(WORDS | st.just("new"), min_size=1, max_size=10), max_size=5))
    vocab, ids = list(old.vocab), dict(old.ids)
    rows, docs, old_to_new = [], [], np.full(len(corpus), -1)
    for r, keep in enumerate(kept):  # new chunks go between and after the kept ones
        if keep:
            old_to_new[r] = len(docs)
            docs.append((np.asarray(old.doc_terms[old.doc_ptr[r]:old.doc_ptr[r + 1]]),
                         np.asarray(old.doc_tf[old.doc_ptr[r]:old.doc_ptr[r + 1]]), len(corpus[r])))
        if r < len(added):
            docs.append((*bm25.count(added[r], ids, vocab), len(added[r])))
    sorted_ = bm25.assemble(vocab, docs)
    merged = bm25.merge(old, old_to_new, vocab, sorted_.doc_ptr, sorted_.doc_terms, sorted_.doc_tf, sorted_.doc_len)
    for name in ("term_ptr", "term_rows", "term_tf"):
        assert np.array_equal(getattr(merged, name), getattr(sorted_, name)), name


@settings(max_examples=60, deadline=None)
@given(corpus=st.lists(st.lists(WORDS, min_size=1, max_size=25), min_size=2, max_size=60),
       split=st.floats(0.0, 1.0), query=st.lists(WORDS | st.just("absent"), min_size=1, max_size=6),
       k=st.integers(1, 70), within=st.lists(st.integers(0, 59), max_size=20) | st.none())
def test_two_parts_rank_as_rank_bm25_does_over_all_their_chunks(corpus, split, query, k, within):
    """A build's base and recent part (the recent vocabulary extending the base's) score as one corpus."""
    cut = int(split * len(corpus))
    vocab: list[str] = []
    ids: dict[str, int] = {}
    first = [(*bm25.count(doc, ids, vocab), len(doc)) for doc in corpus[:cut]]
    base = bm25.assemble(list(vocab), first)
    recent = bm25.assemble(vocab, [(*bm25.count(doc, ids, vocab), len(doc)) for doc in corpus[cut:]])
    joined, oracle = bm25.Joined([base, recent]), BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
    assert joined.avgdl == oracle.avgdl and all(joined.idf(t) == oracle.idf[t] for t in oracle.idf)
    assert all(joined.terms(row) == oracle.doc_freqs[row] for row in range(len(corpus)))
    if within is None:
        assert same_ranking(joined.rank(query, k), oracle_rank(oracle, query, k))
    else:
        rows = sorted({r for r in within if r < len(corpus)})
        expected = [hit for hit in oracle_rank(oracle, query, len(corpus)) if hit[0] in rows][:k]
        assert same_ranking(joined.rank(query, k, np.array(rows, dtype=np.int64)), expected)


@settings(max_examples=60, deadline=None)
@given(corpus=st.lists(st.lists(WORDS, min_size=1, max_size=25), min_size=2, max_size=60),
       split=st.floats(0.0, 1.0), hide=st.lists(st.integers(0, 59), max_size=15),
       query=st.lists(WORDS | st.just("absent"), min_size=1, max_size=6), k=st.integers(1, 70))
def test_hidden_rows_leave_the_scores_of_the_chunks_that_remain(corpus, split, hide, query, k):
    """Rows of articles gone (hidden, still in a part's files) count nowhere: rank-bm25 over the rest."""
    cut = int(split * len(corpus))
    hidden = sorted({r for r in hide if r < len(corpus)})
    vocab: list[str] = []
    ids: dict[str, int] = {}
    first = [(*bm25.count(doc, ids, vocab), len(doc)) for doc in corpus[:cut]]
    base = bm25.assemble(list(vocab), first)
    recent = bm25.assemble(vocab, [(*bm25.count(doc, ids, vocab), len(doc)) for doc in corpus[cut:]])
    joined = bm25.Joined([base, recent], np.array(hidden, dtype=np.int64))
    remaining = [r for r in range(len(corpus)) if r not in hidden]
    if not remaining:
        assert joined.rank(query, k) == [] and joined.corpus_size == 0
        return
    oracle = BM25Plus([corpus[r] for r in remaining], k1=1.2, b=0.75, delta=1.0)
    assert joined.corpus_size == len(remaining) and joined.avgdl == oracle.avgdl
    assert all(joined.idf(t) == oracle.idf[t] for t in oracle.idf)
    expected = [(remaining[row], score) for row, score in oracle_rank(oracle, query, k)]
    assert same_ranking(joined.rank(query, k), expected)
