"""Chunk vectors: a memory-mapped `.npy` of L2-normalised rows, searched by inner product (= cosine).

Exact below `ANN_MIN_ROWS`: one matrix-vector product over the mapped rows
(100k × 384 floats ≈ 10 ms), nothing parsed or copied at load. From there on an
inverted-file index (faiss IVF-Flat, this the one module that imports faiss)
answers instead, written beside the rows at build time: the rows clustered into
`ivf_lists(n)` lists, a query scanning the `nprobe` lists whose centroids are
nearest. The build chooses nprobe itself — the smallest power of two whose
k-nn recall@10 against exact search reaches `ANN_RECALL_TARGET` on probes drawn
then (`calibrate`) — and faiss stores it in the file; the measured recall is
written beside it (`vectors.ivf.json`). faiss is imported only when an IVF
index is built or read; reading maps its lists (`IO_FLAG_MMAP`), so a cold ask
reads only the lists it probes (2 ms to open at 205k rows, against 190 ms to
read them all into memory; as fast a query once open).
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from index.records import part_of

ROWS = "vectors.npy"
ANN = "vectors.ivf.faiss"
ANN_REPORT = "vectors.ivf.json"  # the IVF's settings and calibration recall, for a person and the benchmark
OLD_ANN = ("vectors.hnsw.faiss",)  # ANN files of earlier builds: never read (exact search), replaced by an update
ANN_MIN_ROWS = 200_000  # below this, exact search costs milliseconds and is never wrong
# IVF settings, measured with scripts/ann_recall.py on 205,408 fake-embedder rows (README "At scale").
# Lists: faiss's guidance is 4–16·√n, for vectors that cluster. These hardly do (hashed tokens), and the nprobe
# the build then chooses scans about half the lists whatever their number: 512 lists (≈ 1·√n) built in 9 s and
# answered the questions at 7.3 ms (k-nn recall 0.992), 1024 in 14 s and 9.0 ms (0.989), 2048 in 30 s and 10.5 ms
# (0.998); exact 20 ms (2026-11-30). k-means time grows with the square of the lists (a fixed sample per list).
IVF_LISTS_PER_ROOT = 1.0  # lists ≈ this × √rows, rounded to a power of two: 512 at 205k rows, 1024 at 1M
IVF_TRAIN_PER_LIST = 40  # k-means sample per list: faiss warns below 39; training time grows with it
IVF_SEED = 1234  # k-means (faiss's default seed) and the training sample and calibration probes: a build is repeatable
# nprobe: the smallest power of two whose ann-benchmarks k-nn recall@10 (see KNN_EPSILON) on each kind of
# calibration probe reaches this — a margin over issue 9's 0.98 for the queries the probes only resemble
ANN_RECALL_TARGET = 0.99
CALIBRATION_PROBES = 200  # of each kind: with the IVF passes, 8.4 s of the 13 s build at 205k rows (2026-11-30)
# Passage-like probes: a row pulled off by noise of this norm (cosine to its row ≈ 0.7). The other kind, random
# unit directions, lies far from every row: the hardest case, like a question that matches nothing indexed.
CALIBRATION_NOISE = 1.0
RECALL_K = 10  # recall@10: issue 9's measure, ann-benchmarks' usual k
BLOCK_ROWS = 65536  # rows taken from the memory map at a time when adding or scoring them all


def ivf_lists(n: int) -> int:
    """The number of inverted lists for `n` rows: `IVF_LISTS_PER_ROOT`·√n, to a power of two (at least 1)."""
    return 2 ** max(0, round(math.log2(max(1.0, IVF_LISTS_PER_ROOT * math.sqrt(n)))))


def save(rows: np.ndarray, folder: Path) -> None:
    """Rows (n × dim, float32, normalised) → `folder/vectors.npy`, and an IVF index when there are many."""
    rows = np.ascontiguousarray(rows, dtype=np.float32)
    np.save(Path(folder) / ROWS, rows, allow_pickle=False)
    save_ann(rows, folder)


def save_ann(rows: np.ndarray, folder: Path, min_rows: int | None = None, lists: int | None = None,
             target: float | None = None) -> dict | None:
    """An IVF-Flat index over `rows` (nprobe calibrated) → `folder/vectors.ivf.faiss`, and what was measured
    → `folder/vectors.ivf.json` (returned); nothing below `min_rows` (default `ANN_MIN_ROWS`) rows.
    `lists` overrides `ivf_lists` (scripts/ann_recall.py tries others)."""
    if len(rows) < (ANN_MIN_ROWS if min_rows is None else min_rows):
        return None
    import faiss

    lists = lists or ivf_lists(len(rows))
    target = ANN_RECALL_TARGET if target is None else target
    rng = np.random.default_rng(IVF_SEED)
    dim = rows.shape[1]
    ivf = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, lists, faiss.METRIC_INNER_PRODUCT)
    ivf.cp.seed = IVF_SEED
    sample = np.sort(rng.choice(len(rows), size=min(len(rows), IVF_TRAIN_PER_LIST * lists), replace=False))
    ivf.train(np.ascontiguousarray(rows[sample], dtype=np.float32))
    for start in range(0, len(rows), BLOCK_ROWS):  # from a memory map, a slice at a time
        ivf.add(np.ascontiguousarray(rows[start:start + BLOCK_ROWS], dtype=np.float32))
    probes = calibration_probes(rows, rng)
    ivf.nprobe, tried = calibrate(ivf, rows, probes, target)
    faiss.write_index(ivf, str(Path(folder) / ANN))
    report = {"kind": "faiss IVF-Flat, inner product", "rows": len(rows), "lists": lists, "nprobe": ivf.nprobe,
              "trained_on": len(sample), "target": target, "k": RECALL_K, "probes": CALIBRATION_PROBES,
              "recall_knn": tried[ivf.nprobe], "recall_knn_by_nprobe": tried, "settings": ann_settings(target)}
    (Path(folder) / ANN_REPORT).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


def calibration_probes(rows: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Unit query vectors of two kinds: "far" (random directions) and "near" (rows pulled off by noise)."""
    dim = rows.shape[1]
    far = rng.normal(size=(CALIBRATION_PROBES, dim))
    picked = np.sort(rng.choice(len(rows), size=CALIBRATION_PROBES, replace=len(rows) < CALIBRATION_PROBES))
    noise = rng.normal(size=(CALIBRATION_PROBES, dim))
    near = np.asarray(rows[picked], dtype=np.float64) + CALIBRATION_NOISE * noise / np.linalg.norm(noise, axis=1,
                                                                                                   keepdims=True)
    return {name: (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)
            for name, x in (("far", far), ("near", near))}


def calibrate(ivf, rows: np.ndarray, probes: dict[str, np.ndarray], target: float) -> tuple[int, dict]:
    """The smallest power-of-two nprobe whose k-nn recall@`RECALL_K` on every kind of probe reaches `target`
    (all lists, exact, when none does); the recall by kind at each nprobe tried."""
    kth = {name: _exact_kth(rows, queries, RECALL_K) for name, queries in probes.items()}
    tried: dict[int, dict[str, float]] = {}
    nprobe = 1
    while True:
        ivf.nprobe = nprobe
        tried[nprobe] = {name: round(knn_recall(ivf.search(queries, RECALL_K)[0], kth[name]), 4)
                         for name, queries in probes.items()}
        if min(tried[nprobe].values()) >= target or nprobe >= ivf.nlist:
            return nprobe, tried
        nprobe = min(2 * nprobe, ivf.nlist)


def _exact_kth(rows: np.ndarray, queries: np.ndarray, k: int) -> np.ndarray:
    """Each query's `k`-th highest cosine over all rows, by brute force a block of rows at a time."""
    best = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    for start in range(0, len(rows), BLOCK_ROWS):
        both = np.concatenate([best, queries @ np.asarray(rows[start:start + BLOCK_ROWS], dtype=np.float32).T], axis=1)
        keep = min(k, both.shape[1])
        best = -np.partition(-both, keep - 1, axis=1)[:, :keep]
    return best.min(axis=1)


def knn_recall(found: np.ndarray, kth: np.ndarray) -> float:
    """ann-benchmarks' k-nn recall: the share of the returned cosines (queries × k; −∞ or less for a row not
    returned) within `KNN_EPSILON` of the exact k-th's, averaged over queries."""
    if found.size == 0:
        return 1.0
    return float(np.mean(np.sum(found >= kth[:, None] - KNN_EPSILON, axis=1) / found.shape[1]))


def ann_settings(target: float | None = None) -> dict:
    """What this code builds an IVF index with (the recall target: `ANN_RECALL_TARGET` unless given): a build
    made with other settings is built again."""
    return {"lists_per_root": IVF_LISTS_PER_ROOT, "train_per_list": IVF_TRAIN_PER_LIST, "seed": IVF_SEED,
            "target": ANN_RECALL_TARGET if target is None else target, "probes": CALIBRATION_PROBES,
            "noise": CALIBRATION_NOISE, "k": RECALL_K}


def ann_current(folder: Path, files, chunks: int) -> bool:
    """Does the build in `folder`, holding data files `files` and `chunks` rows, have the ANN index this code
    searches, built with its settings (none below `ANN_MIN_ROWS`), and no earlier kind? When not,
    `gzqa index update` builds it again."""
    names = set(files)
    if names & set(OLD_ANN):
        return False
    if chunks < ANN_MIN_ROWS:
        return True
    try:
        report = json.loads((Path(folder) / ANN_REPORT).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return ANN in names and report.get("settings") == ann_settings()


class Vectors:
    """The stored rows, memory-mapped, and the IVF index when there is one."""

    def __init__(self, folder: Path):
        self.rows = np.load(Path(folder) / ROWS, mmap_mode="r", allow_pickle=False).view(np.ndarray)
        if self.rows.ndim != 2 or self.rows.dtype != np.float32:
            raise ValueError(f"{ROWS} is not a float32 matrix")
        self._ann_path = Path(folder) / ANN if (Path(folder) / ANN).is_file() else None
        self._ann = None

    @property
    def ntotal(self) -> int:
        return self.rows.shape[0]

    @property
    def d(self) -> int:
        return self.rows.shape[1]

    def ann(self):
        """The IVF index (read on first use, its lists memory-mapped, its nprobe as the build chose), or None
        when the build has none (below `ANN_MIN_ROWS`, or an earlier build's kind: exact search then).
        Raises ValueError when the file is damaged or indexes other rows."""
        if self._ann is None and self._ann_path is not None:
            import faiss

            try:
                index = faiss.read_index(str(self._ann_path), faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY)
            except RuntimeError as err:
                raise ValueError(f"{ANN} unreadable ({str(err).strip().splitlines()[-1][:80]})") from err
            if not isinstance(index, faiss.IndexIVF):
                raise ValueError(f"{ANN} is a {type(index).__name__}, not an IVF index")
            if not (index.ntotal == self.ntotal and index.d == self.d
                    and index.metric_type == faiss.METRIC_INNER_PRODUCT and index.is_trained):
                raise ValueError(f"{ANN} does not index the {self.ntotal} rows of {ROWS}")
            # mapped lists are prefetched by 32 threads a search unless told not to: that cost 4 ms a query at
            # nprobe 64, 205k rows (2026-11-30); the page cache does the prefetching for a mapped file
            faiss.downcast_InvertedLists(index.invlists).prefetch_nthread = 0
            self._ann = index
        return self._ann


class JoinedRows:
    """Several parts' rows read as one matrix, by row (a list of rows, or all of them with `np.asarray`)."""

    def __init__(self, parts: list[np.ndarray], starts: np.ndarray):
        self.parts, self.starts = parts, starts
        self.shape = (int(starts[-1]), parts[0].shape[1])

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, row):
        if isinstance(row, (int, np.integer)):
            n, local = part_of(self.starts, row)
            return self.parts[n][local]
        rows = np.asarray(row, dtype=np.int64)
        out = np.empty((len(rows), self.shape[1]), dtype=np.float32)
        for n, part in enumerate(self.parts):
            mine = (rows >= self.starts[n]) & (rows < self.starts[n + 1])
            out[mine] = part[rows[mine] - self.starts[n]]
        return out

    def __array__(self, dtype=None, copy=None):
        joined = np.concatenate(self.parts)
        return joined if dtype is None else joined.astype(dtype)


class Joined:
    """Several parts' vectors searched as one, rows numbered part after part: each part is searched on its own
    (by its IVF index when it has one) and the best `k` of all kept — the parts' best `k` hold the whole's.
    `hidden` rows (chunks of articles gone, still in a part's files) are never returned."""

    def __init__(self, parts: list[Vectors], hidden: np.ndarray | None = None):
        self.parts = parts
        self.starts = np.concatenate([[0], np.cumsum([p.ntotal for p in parts])]).astype(np.int64)
        self.rows = parts[0].rows if len(parts) == 1 else JoinedRows([p.rows for p in parts], self.starts)
        self.hidden = np.zeros(0, np.int64) if hidden is None else np.sort(np.asarray(hidden, dtype=np.int64))

    @property
    def ntotal(self) -> int:
        return int(self.starts[-1])

    @property
    def d(self) -> int:
        return self.parts[0].d

    def exact_only(self) -> bool:
        """Is every part searched exactly (no IVF index, or one calibrated to scan every list)?"""
        return all(part.ann() is None or part.ann().nprobe >= part.ann().nlist for part in self.parts)

    def similarities(self, query: np.ndarray) -> np.ndarray:
        """The cosine of `query` to every row, part after part — one product over the mapped rows, from which
        `best` answers any search of that query (the rows of some articles only, too) without reading them again;
        hidden rows -inf."""
        query = np.asarray(query, dtype=np.float32).reshape(-1)
        with _blas().limit(limits=BLAS_THREADS, user_api="blas"):
            out = np.concatenate([part.rows @ query for part in self.parts])
        out[self.hidden] = -np.inf
        return out

    def shown(self) -> np.ndarray:
        """Every row but the hidden ones."""
        every = np.arange(self.ntotal)
        return every if not len(self.hidden) else every[~np.isin(every, self.hidden)]

    def search(self, query: np.ndarray, k: int) -> list[tuple[int, float]]:
        """(row, cosine) of the `k` nearest rows: `search` in each part, for as many more as it hides."""
        found = []
        for n, part in enumerate(self.parts):
            hidden = int(np.count_nonzero((self.hidden >= self.starts[n]) & (self.hidden < self.starts[n + 1])))
            found.append(search(part, query, min(k + hidden, part.ntotal)))
        return self._best(found, k)

    def exact(self, query: np.ndarray, k: int, within: np.ndarray | None = None) -> list[tuple[int, float]]:
        """(row, cosine) of the `k` nearest rows by brute force (of the rows `within` only, if given)."""
        found = []
        for n, part in enumerate(self.parts):
            local = None
            if within is not None:
                within = np.asarray(within, dtype=np.int64)
                local = within[(within >= self.starts[n]) & (within < self.starts[n + 1])] - self.starts[n]
            elif len(self.hidden):
                every = np.arange(self.starts[n], self.starts[n + 1])
                local = every[~np.isin(every, self.hidden)] - self.starts[n]
            found.append(exact(part, query, k, local))
        return self._best(found, k)

    def _best(self, found: list[list[tuple[int, float]]], k: int) -> list[tuple[int, float]]:
        if len(found) == 1 and not len(self.hidden):
            return found[0]
        hidden = set(self.hidden.tolist())
        joined = [(row + int(self.starts[n]), score) for n, part in enumerate(found) for row, score in part
                  if row + int(self.starts[n]) not in hidden]
        return sorted(joined, key=lambda hit: (-hit[1], hit[0]))[:k]


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
    return best(scores, rows, k)


def best(scores: np.ndarray, rows: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, score) of the `k` highest `scores` (one per row of `rows`), best first; ties by row."""
    if len(rows) == 0 or k <= 0:
        return []
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k]
    top = top[np.lexsort((rows[top], -scores[top]))]
    return [(int(rows[i]), float(scores[i])) for i in top]


def search(vectors: Vectors, query: np.ndarray, k: int) -> list[tuple[int, float]]:
    """(row, cosine) of the `k` nearest rows: exact, or by the IVF index when the build has one."""
    ann = vectors.ann()
    if ann is None or ann.nprobe >= ann.nlist:  # calibrated to scan every list: exact search is as good, and faster
        return exact(vectors, query, k)
    scores, ids = ann.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), min(k, vectors.ntotal))
    if (ids[0] >= vectors.ntotal).any():  # damaged ids that kept the file's size: no row of this build
        raise ValueError(f"{ANN} names rows beyond the {vectors.ntotal} of {ROWS}")
    return [(int(i), float(s)) for i, s in zip(ids[0], scores[0]) if i >= 0]


# ann-benchmarks' k-nn recall (its `knn_threshold`: the k-th true distance + 1e-3): a row returned counts when
# its distance (here 1 − cosine) is within 1e-3 of the exact k-th's — one row for another that near makes no
# difference to a top-50 fused by rank, and neighbours 0.001 apart are what an ANN index confuses (README "At scale")
KNN_EPSILON = 1e-3


@dataclass(frozen=True)
class Recall:
    """How well `search` finds the `k` nearest rows, averaged over queries."""

    plain: float  # share of the exact top k (ties broken by row) that search returns
    knn: float  # ann-benchmarks' recall: share of search's k rows within KNN_EPSILON of the exact k-th's distance


def recall_at(vectors: Vectors, queries: np.ndarray, k: int = RECALL_K) -> Recall:
    """`search` against exact search over `queries` (1.0 and 1.0 without an ANN index)."""
    plain, knn = [], []
    for query in np.asarray(queries, dtype=np.float32):
        truth = exact(vectors, query, k)
        found = np.array([row for row, _ in search(vectors, query, k)], dtype=np.int64)
        cosines = vectors.rows[found] @ query if len(found) else np.zeros(0, np.float32)
        plain.append(len(set(found.tolist()) & {row for row, _ in truth}) / len(truth))
        knn.append(int(np.sum(cosines >= truth[-1][1] - KNN_EPSILON)) / len(truth))
    return Recall(float(np.mean(plain)), float(np.mean(knn))) if plain else Recall(1.0, 1.0)
