"""Chunk vectors: a memory-mapped `.npy` of L2-normalised rows, searched by inner product (= cosine).

Exact below `ANN_MIN_ROWS`: one matrix-vector product over the mapped rows
(100k × 384 floats ≈ 10 ms), nothing parsed or copied at load. From there on an
HNSW graph (faiss, the one module that imports it) answers instead, written
beside the rows at build time; `recall_at` measures it against exact search
(the benchmark prints it). faiss is imported only when a graph is built or read.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

ROWS = "vectors.npy"
GRAPH = "vectors.hnsw.faiss"
ANN_MIN_ROWS = 200_000  # below this, exact search costs milliseconds and is never wrong
# Graph settings, chosen with scripts/ann_recall.py on 205,404 fake-embedder vectors (README "At scale"): the
# heldout questions' fake vectors, far from every passage (cosine ≈ 0.5, the 10th and 11th ≈ 0.001
# apart), are the hard queries. M 32 / efConstruction 80 found 0.70 of their exact top 10 at efSearch 512
# and 0.84 at 2048; M 48 / efConstruction 200 finds, by ann-benchmarks' k-nn recall@10, 0.95 at efSearch
# 1024 and 0.98 at 2048 (passage-like queries 1.00; e5 questions on e5-like rows 0.998 already at 1024),
# ≈ 7 ms a query at 2048 against ≈ 13 ms exact on a quiet machine (≈ 40 ms under load).
HNSW_NEIGHBOURS = 48  # graph degree M
HNSW_EF_CONSTRUCTION = 200  # build-time beam
HNSW_EF_SEARCH = 2048  # query-time beam: recall ≥ 0.98 for the hardest (far-off) queries, still milliseconds


def save(rows: np.ndarray, folder: Path) -> None:
    """Rows (n × dim, float32, normalised) → `folder/vectors.npy`, and an HNSW graph when there are many."""
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    np.save(Path(folder) / ROWS, rows, allow_pickle=False)
    save_graph(rows, folder)


def save_graph(rows: np.ndarray, folder: Path, neighbours: int = HNSW_NEIGHBOURS,
               ef_construction: int = HNSW_EF_CONSTRUCTION, min_rows: int = ANN_MIN_ROWS) -> None:
    """An HNSW graph over `rows` → `folder/vectors.hnsw.faiss`, when there are `min_rows` or more
    (the other settings: for scripts/ann_recall.py, which tries others than the build's)."""
    if len(rows) < min_rows:
        return
    import faiss

    graph = faiss.IndexHNSWFlat(rows.shape[1], neighbours, faiss.METRIC_INNER_PRODUCT)
    graph.hnsw.efConstruction = ef_construction
    for start in range(0, len(rows), 65536):  # from a memory map, a slice at a time
        graph.add(np.ascontiguousarray(rows[start:start + 65536], dtype=np.float32))
    faiss.write_index(graph, str(Path(folder) / GRAPH))


class Vectors:
    """The stored rows, memory-mapped, and the HNSW graph when there is one."""

    def __init__(self, folder: Path):
        self.rows = np.load(Path(folder) / ROWS, mmap_mode="r", allow_pickle=False).view(np.ndarray)
        if self.rows.ndim != 2 or self.rows.dtype != np.float32:
            raise ValueError(f"{ROWS} is not a float32 matrix")
        self._graph_path = Path(folder) / GRAPH if (Path(folder) / GRAPH).is_file() else None
        self._graph = None

    @property
    def ntotal(self) -> int:
        return self.rows.shape[0]

    @property
    def d(self) -> int:
        return self.rows.shape[1]

    def graph(self):
        """The HNSW graph (read on first use), or None below `ANN_MIN_ROWS`."""
        if self._graph is None and self._graph_path is not None:
            import faiss

            self._graph = faiss.read_index(str(self._graph_path))
            self._graph.hnsw.efSearch = HNSW_EF_SEARCH
        return self._graph


def load(folder: Path) -> Vectors:
    """The vectors of the build in `folder` (raises ValueError/OSError on a damaged file)."""
    return Vectors(folder)


def rows(vectors: Vectors) -> np.ndarray:
    """Every stored vector, in chunk order, as an in-memory array."""
    return np.array(vectors.rows)


# BLAS threads for a query's matrix-vector product. One: at 100k chunks two threads cut a warm query's wall time
# by about a fifth but double its CPU (2026-11-30, quiet machine: p50 27–35 ms / 55–70 ms CPU with two, 34–38 ms
# / 34–37 ms with one), and a server answers several users on two cores — as the question encoder (issue 10).
BLAS_THREADS = 1


@lru_cache(maxsize=1)
def _blas():
    """The process's BLAS thread pools (threadpoolctl), looked up once."""
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def exact(vectors: Vectors, query: np.ndarray, k: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
    """(row, cosine) of the `k` nearest rows by brute force (of the rows `within` only, if given); ties by row."""
    rows = np.arange(vectors.ntotal) if within is None else np.asarray(within, dtype=np.int64)
    if len(rows) == 0 or k <= 0:
        return []
    matrix = vectors.rows if within is None else vectors.rows[rows]
    with _blas().limit(limits=BLAS_THREADS, user_api="blas"):
        scores = matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((rows[top], -scores[top]))]
    return [(int(rows[i]), float(scores[i])) for i in top]


def search(vectors: Vectors, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, cosine) of the `k` nearest rows: exact, or by the HNSW graph when the build has one."""
    graph = vectors.graph()
    if graph is None:
        return exact(vectors, query, k)
    scores, ids = graph.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, vectors.ntotal))
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


# ann-benchmarks' k-nn recall (its `knn_threshold`: the k-th true distance + 1e-3): a row returned counts when
# its distance (here 1 − cosine) is within 1e-3 of the exact k-th's — one row for another that near makes no
# difference to a top-50 fused by rank, and neighbours 0.001 apart are what a graph confuses (README "At scale")
KNN_EPSILON = 1e-3


@dataclass(frozen=True)
class Recall:
    """How well `search` finds the `k` nearest rows, averaged over queries."""

    plain: float  # share of the exact top k (ties broken by row) that search returns
    knn: float  # ann-benchmarks' recall: share of search's k rows within KNN_EPSILON of the exact k-th's distance


def recall_at(vectors: Vectors, queries: np.ndarray, k: int = 10) -> Recall:
    """`search` against exact search over `queries` (1.0 and 1.0 without a graph)."""
    plain, knn = [], []
    for query in np.asarray(queries, dtype=np.float32):
        truth = exact(vectors, query, k)
        found = np.array([row for row, _ in search(vectors, query, k)], dtype=np.int64)
        cosines = vectors.rows[found] @ query if len(found) else np.zeros(0, np.float32)
        plain.append(len(set(found.tolist()) & {row for row, _ in truth}) / len(truth))
        knn.append(int(np.sum(cosines >= truth[-1][1] - KNN_EPSILON)) / len(truth))
    return Recall(float(np.mean(plain)), float(np.mean(knn))) if plain else Recall(1.0, 1.0)
