"""BM25Plus over chunk tokens as arrays the project owns: postings by term and by chunk, `.npy`, memory-mapped.

Scores are rank-bm25's `BM25Plus` to the last bit (tests/test_bm25.py holds it as
the oracle): idf log((N+1)/df), positive for every term, where `BM25Okapi`
gives a term found in half the chunks idf 0 (with ~200 chunks, "广州" or "增长"
would stop counting). BM25Plus adds `delta` to every chunk's score for every
query term, a constant shift that leaves the ranking that of classic BM25 with
that idf. k1=1.2, b=0.75: the textbook values; chunks are of similar length.

Stored are term frequencies and chunk lengths, not finished weights: a weight
depends on N, avgdl and df, which every added or removed article changes, so
stored weights would have to be rewritten for the whole corpus on each update.
A query computes the weights of its own terms' postings only (term-major CSC:
`term_ptr`, `term_rows`, `term_tf`), with rank-bm25's formula in rank-bm25's
order of operations, so the floats are identical. The chunk-major copy
(`doc_ptr`, `doc_terms`, `doc_tf`) answers "which terms does this chunk hold"
and lets an update carry unchanged articles over without re-tokenizing them.
The vocabulary is append-only across updates (a term whose chunks are all gone
keeps its id with df 0, and counts as absent), so carried-over term ids stay valid.
"""
from __future__ import annotations

import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.records import part_of


@dataclass(frozen=True)
class BM25Params:
    """BM25Plus's parameters (why these values: the module docstring); written into the manifest."""

    k1: float = 1.2
    b: float = 0.75
    delta: float = 1.0


VOCAB = "bm25.vocab.json"
ARRAYS = ("term_ptr", "term_rows", "term_tf", "doc_ptr", "doc_terms", "doc_tf", "doc_len")
FILES = (VOCAB,) + tuple(f"bm25.{name}.npy" for name in ARRAYS)


class Postings:
    """A corpus's BM25 statistics: vocabulary, postings by term and by chunk, chunk lengths."""

    def __init__(self, vocab: list[str], arrays: dict[str, np.ndarray], params: BM25Params = BM25Params()):
        self.vocab, self.params = vocab, params
        self.ids = {term: i for i, term in enumerate(vocab)}
        for name in ARRAYS:
            setattr(self, name, arrays[name])
        self.corpus_size = len(self.doc_len)
        self.avgdl = int(self.doc_len.sum()) / self.corpus_size if self.corpus_size else 0.0
        self._whole: Joined | None = None

    def df(self, term: str) -> int:
        """How many chunks hold `term`."""
        i = self.ids.get(term)
        return 0 if i is None else int(self.term_ptr[i + 1] - self.term_ptr[i])

    def idf(self, term: str) -> float:
        """BM25Plus idf of `term`, log((N+1)/df); 0.0 when no chunk holds it."""
        df = self.df(term)
        return math.log((self.corpus_size + 1) / df) if df else 0.0

    def terms(self, row: int) -> dict[str, int]:
        """The terms of chunk `row` → their counts in it."""
        start, end = int(self.doc_ptr[row]), int(self.doc_ptr[row + 1])
        return dict(zip(map(self.vocab.__getitem__, self.doc_terms[start:end].tolist()),
                        self.doc_tf[start:end].tolist()))

    def rank(self, query: list[str], k: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk row, score) of the best `k` chunks holding at least one query term (of the rows `within`
        only, if given); ties by row."""
        if self._whole is None:  # this corpus as a joined one of one part: its statistics summed once
            self._whole = Joined([self])
        return self._whole.rank(query, k, within)

    def scores(self, ids: list[int], idfs: list[float], avgdl: float,
               within: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """(rows, BM25Plus scores) of this corpus's chunks holding at least one of the terms `ids`, each term
        weighed by the given idf against the given average length (a `Joined` corpus's, when this is one part)."""
        postings = []
        for i in ids:
            if i < len(self.vocab):
                start, end = int(self.term_ptr[i]), int(self.term_ptr[i + 1])
                postings.append((np.asarray(self.term_rows[start:end]), np.asarray(self.term_tf[start:end])))
            else:
                postings.append((np.zeros(0, np.int32), np.zeros(0, np.int32)))
        matched = np.zeros(self.corpus_size, dtype=bool)  # a mark per chunk: cheaper than sorting the postings
        for term_rows, _ in postings:
            matched[term_rows] = True
        if within is not None:
            allowed = np.zeros(self.corpus_size, dtype=bool)
            allowed[np.asarray(within, dtype=np.int64)] = True
            matched &= allowed
            postings = [(r[allowed[r]], tf[allowed[r]]) for r, tf in postings]
        rows = np.flatnonzero(matched)
        position = np.empty(self.corpus_size, dtype=np.int64)  # row → its place among `rows` (read at those only)
        position[rows] = np.arange(len(rows))
        doc_len = np.asarray(self.doc_len[rows]).astype(np.int64)
        k1, b, delta = self.params.k1, self.params.b, self.params.delta
        scores = np.zeros(len(rows))
        for idf, (term_rows, term_tf) in zip(idfs, postings):  # rank-bm25's get_scores, on the matched rows only
            q_freq = np.zeros(len(rows), dtype=np.int64)
            q_freq[position[term_rows]] = term_tf
            scores += idf * (delta + (q_freq * (k1 + 1)) / (k1 * (1 - b + b * doc_len / avgdl) + q_freq))
        return rows, scores


class Joined:
    """Several postings searched as one corpus, rows numbered part after part (a build's base and recent part).

    Each part's vocabulary is a prefix of the last one's (an update extends the
    vocabulary it was given, never renumbers it), so a term has one id in all.
    The statistics are the whole corpus's — N, avgdl and df summed over the parts,
    less the `hidden` rows (chunks of articles gone, still in a part's files) — so a
    score is the one rank-bm25 gives over all the chunks that remain, together.
    """

    def __init__(self, parts: list[Postings], hidden: np.ndarray | None = None):
        self.parts = parts
        self.vocab, self.ids, self.params = parts[-1].vocab, parts[-1].ids, parts[-1].params
        self.starts = np.concatenate([[0], np.cumsum([p.corpus_size for p in parts])]).astype(np.int64)
        self.rows = int(self.starts[-1])  # every row of the parts, hidden ones too
        self.hidden = np.zeros(0, np.int64) if hidden is None else np.sort(np.asarray(hidden, dtype=np.int64))
        self._hidden_df = np.zeros(len(self.vocab), dtype=np.int64)  # per term id: hidden chunks holding it
        hidden_len = 0
        for n, part in enumerate(parts):
            local = self.hidden[(self.hidden >= self.starts[n]) & (self.hidden < self.starts[n + 1])] - self.starts[n]
            if len(local):
                held = np.concatenate([part.doc_terms[int(part.doc_ptr[r]):int(part.doc_ptr[r + 1])] for r in local])
                self._hidden_df += np.bincount(held, minlength=len(self.vocab))
                hidden_len += int(part.doc_len[local].sum())
        self.corpus_size = self.rows - len(self.hidden)
        total = sum(int(p.doc_len.sum()) for p in parts) - hidden_len
        self.avgdl = total / self.corpus_size if self.corpus_size else 0.0

    @property
    def doc_len(self) -> np.ndarray:
        """Every row's token count, part after part (hidden rows too)."""
        return np.concatenate([p.doc_len for p in self.parts])

    def df(self, term: str) -> int:
        """How many chunks of all the parts hold `term` (hidden ones not counted)."""
        i = self.ids.get(term)
        return 0 if i is None else sum(p.df(term) for p in self.parts) - int(self._hidden_df[i])

    def idf(self, term: str) -> float:
        """BM25Plus idf of `term` over all the parts, log((N+1)/df); 0.0 when no chunk holds it."""
        df = self.df(term)
        return math.log((self.corpus_size + 1) / df) if df else 0.0

    def part_of(self, row: int) -> tuple[int, int]:
        """Row → (its part, its row within that part)."""
        return part_of(self.starts, row)

    def terms(self, row: int) -> dict[str, int]:
        """The terms of chunk `row` → their counts in it."""
        n, local = self.part_of(row)
        return self.parts[n].terms(local)

    def rank(self, query: list[str], k: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(chunk row, score) of the best `k` chunks holding at least one query term (of the rows `within`
        only, if given); ties by row."""
        terms = [t for t in dict.fromkeys(query) if self.df(t)]
        if not terms or k <= 0:
            return []
        ids, idfs = [self.ids[t] for t in terms], [self.idf(t) for t in terms]
        found_rows, found_scores = [], []
        for n, part in enumerate(self.parts):
            local = None
            if within is not None:
                within = np.asarray(within, dtype=np.int64)
                chosen = within[(within >= self.starts[n]) & (within < self.starts[n + 1])]
                if not len(chosen):
                    continue
                local = chosen - self.starts[n]
            rows, scores = part.scores(ids, idfs, self.avgdl, local)
            rows = rows + self.starts[n]
            if len(self.hidden):
                shown = ~np.isin(rows, self.hidden)
                rows, scores = rows[shown], scores[shown]
            found_rows.append(rows)
            found_scores.append(scores)
        rows = np.concatenate(found_rows) if found_rows else np.zeros(0, np.int64)
        scores = np.concatenate(found_scores) if found_scores else np.zeros(0)
        if len(rows) > k:
            cut = np.argpartition(-scores, k - 1)[:k]
            threshold = scores[cut].min()
            keep = scores >= threshold  # every row tied with the k-th competes, so ties break by row
            rows, scores = rows[keep], scores[keep]
        order = np.lexsort((rows, -scores))[:k]
        return [(int(rows[i]), float(scores[i])) for i in order]


def count(tokens: list[str], ids: dict[str, int], vocab: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """One chunk's tokens → (term ids, counts), adding unseen terms to `vocab`/`ids`."""
    counts = Counter(tokens)
    term_ids = np.empty(len(counts), dtype=np.int32)
    tfs = np.empty(len(counts), dtype=np.int32)
    for n, (term, tf) in enumerate(counts.items()):
        i = ids.get(term)
        if i is None:
            i = ids[term] = len(vocab)
            vocab.append(term)
        term_ids[n], tfs[n] = i, tf
    return term_ids, tfs


def assemble(vocab: list[str], docs: list[tuple[np.ndarray, np.ndarray, int]],
             params: BM25Params = BM25Params()) -> Postings:
    """Per chunk (term ids, counts, token count) → postings by chunk and by term."""
    doc_ptr = np.zeros(len(docs) + 1, dtype=np.int64)
    np.cumsum([len(ids) for ids, _, _ in docs], out=doc_ptr[1:])
    doc_terms = np.concatenate([ids for ids, _, _ in docs]) if docs else np.zeros(0, np.int32)
    doc_tf = np.concatenate([tf for _, tf, _ in docs]) if docs else np.zeros(0, np.int32)
    doc_len = np.array([n for _, _, n in docs], dtype=np.int32)
    return from_chunks(vocab, doc_ptr, doc_terms.astype(np.int32), doc_tf.astype(np.int32), doc_len, params)


def from_chunks(vocab: list[str], doc_ptr: np.ndarray, doc_terms: np.ndarray, doc_tf: np.ndarray,
                doc_len: np.ndarray, params: BM25Params = BM25Params()) -> Postings:
    """Chunk-major postings → the term-major copy beside them (a stable sort by term: rows stay ascending)."""
    order = np.argsort(doc_terms, kind="stable")
    rows = np.repeat(np.arange(len(doc_len), dtype=np.int32), np.diff(doc_ptr))
    term_ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(np.bincount(doc_terms, minlength=len(vocab)), out=term_ptr[1:])
    arrays = {"term_ptr": term_ptr, "term_rows": rows[order], "term_tf": doc_tf[order], "doc_ptr": doc_ptr,
              "doc_terms": doc_terms, "doc_tf": doc_tf, "doc_len": doc_len}
    return Postings(vocab, arrays, params)


MERGE_MAX_NEW = 50_000  # new postings placed one by one; beyond this a full sort is the cheaper path


def merge(old: Postings, old_to_new: np.ndarray, vocab: list[str], doc_ptr: np.ndarray, doc_terms: np.ndarray,
          doc_tf: np.ndarray, doc_len: np.ndarray, params: BM25Params = BM25Params()) -> Postings:
    """`from_chunks`, when most chunks come from `old`: its term-major postings merged, not sorted again.

    `old_to_new`: each old row's row in the new corpus (ascending), -1 when it is gone;
    the new corpus's other rows are new chunks, whose postings are inserted at
    their places (a binary search in their term's postings each). Linear in the
    postings, where a sort is n log n; a large update falls back to the sort.
    """
    n = len(doc_len)
    new_rows = np.setdiff1d(np.arange(n), old_to_new[old_to_new >= 0])
    counts = doc_ptr[new_rows + 1] - doc_ptr[new_rows]
    if counts.sum() > MERGE_MAX_NEW:
        return from_chunks(vocab, doc_ptr, doc_terms, doc_tf, doc_len, params)
    rows_old = old_to_new[old.term_rows]
    kept = rows_old >= 0
    if kept.all():
        rows_kept, tf_kept, kept_ptr = rows_old, old.term_tf, np.asarray(old.term_ptr)
    else:
        rows_kept, tf_kept = rows_old[kept], old.term_tf[kept]
        seen = np.zeros(len(kept) + 1, dtype=np.int64)
        np.cumsum(kept, out=seen[1:])
        kept_ptr = seen[old.term_ptr]
    at = np.concatenate([np.arange(doc_ptr[r], doc_ptr[r + 1]) for r in new_rows]) if len(new_rows) else \
        np.zeros(0, dtype=np.int64)
    terms, rows, tfs = doc_terms[at], np.repeat(new_rows, counts), doc_tf[at]
    order = np.lexsort((rows, terms))
    terms, rows, tfs = terms[order], rows[order], tfs[order]
    known = len(old.vocab)
    place = np.full(len(terms), len(rows_kept), dtype=np.int64)  # a new term's postings go after every old one
    for i in np.flatnonzero(terms < known):
        lo, hi = int(kept_ptr[terms[i]]), int(kept_ptr[terms[i] + 1])
        place[i] = lo + np.searchsorted(rows_kept[lo:hi], rows[i])
    per_term = np.zeros(len(vocab), dtype=np.int64)
    per_term[:known] = np.diff(kept_ptr)
    per_term += np.bincount(terms, minlength=len(vocab))
    term_ptr = np.zeros(len(vocab) + 1, dtype=np.int64)
    np.cumsum(per_term, out=term_ptr[1:])
    arrays = {"term_ptr": term_ptr, "term_rows": np.insert(rows_kept, place, rows).astype(np.int32),
              "term_tf": np.insert(tf_kept, place, tfs).astype(np.int32, copy=False),
              "doc_ptr": doc_ptr, "doc_terms": doc_terms, "doc_tf": doc_tf, "doc_len": doc_len}
    return Postings(vocab, arrays, params)


def fit(corpus: list[list[str]], params: BM25Params = BM25Params()) -> Postings:
    """Tokenized chunks → their postings."""
    vocab: list[str] = []
    ids: dict[str, int] = {}
    docs = [(*count(tokens, ids, vocab), len(tokens)) for tokens in corpus]
    return assemble(vocab, docs, params)


def save(postings: Postings, folder: Path) -> None:
    """The vocabulary as JSON and each array as `.npy` into `folder` (names: `FILES`)."""
    folder = Path(folder)
    (folder / VOCAB).write_text(json.dumps(postings.vocab, ensure_ascii=False), encoding="utf-8")
    for name in ARRAYS:
        np.save(folder / f"bm25.{name}.npy", getattr(postings, name), allow_pickle=False)


def load(folder: Path, params: BM25Params = BM25Params()) -> Postings:
    """Postings from `folder`, the arrays memory-mapped (a query reads its terms' postings, nothing more)."""
    folder = Path(folder)
    vocab = json.loads((folder / VOCAB).read_text(encoding="utf-8"))
    if not isinstance(vocab, list):
        raise ValueError("bm25 vocabulary is not a list")
    arrays = {name: np.load(folder / f"bm25.{name}.npy", mmap_mode="r", allow_pickle=False).view(np.ndarray)
              for name in ARRAYS}  # plain views of the maps: slicing a memmap object costs more than reading
    n, v = len(arrays["doc_len"]), len(vocab)
    if not (len(arrays["doc_ptr"]) == n + 1 and len(arrays["term_ptr"]) == v + 1
            and len(arrays["term_rows"]) == len(arrays["doc_terms"]) == int(arrays["doc_ptr"][-1])
            == int(arrays["term_ptr"][-1]) == len(arrays["term_tf"]) == len(arrays["doc_tf"])):
        raise ValueError("bm25 arrays disagree in length")
    return Postings(vocab, arrays, params)


def rank(postings: Postings, query: list[str], k: int) -> list[tuple[int, float]]:
    """(chunk row, score) of the best `k` chunks that contain at least one query term."""
    return postings.rank(query, k)
