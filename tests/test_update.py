"""Incremental updates: only new text is embedded, an update equals a fresh build, deletions vanish
from BM25 and faiss alike, the model is never mixed, new articles fit in, bad seeds are reported, watch."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from index import bm25, embed, publish, store, vectors
from index.build import update
from index.chunk import indexed_text
from index.embed import FAKE, HashingEncoder
from index.tokenize import tokens
from qa.answer import ask
from tests.conftest import ROOT

BAIYUN_2026 = "003_ceb711fc79301318.txt"
Q_BAIYUN_2026 = "白云区2026年固投目标是多少"
QUESTIONS = (Q_BAIYUN_2026, "白云区2024年固投目标多少", "番禺区委书记叫什么", "花都力争年接待游客多少",
             "南沙区2026年固定资产投资增长多少", "从化区2026年GDP增速目标是多少")

BAIYUN_2025 = """# 广州市白云区召开2025年高质量发展大会

羊城晚报讯 记者张三报道：2月8日，白云区召开全区高质量发展大会。会议指出，2025年是“十四五”规划收官之年。

## 白云区委书记：全力拼经济

白云区委书记表示，白云区今年将推动地区生产总值增长5%，完成固投1300亿元、增长4%以上，规上工业总产值增长6%。

白云区将加快建设白云新城，推进城中村改造项目20个，新增高新技术企业150家。
"""

SHENZHEN_2026 = """# 深圳市召开2026年高质量发展大会

深圳特区报讯 记者李四报道：2月26日，深圳市召开全市高质量发展大会。今年是“十五五”开局之年。

## 南山区委书记：打造科技创新高地

南山区委书记表示，南山区今年将推动地区生产总值增长6%，完成固定资产投资900亿元、增长8%。

宝安区今年固定资产投资完成1500亿元，规上工业总产值增长7%。
"""


def gzqa(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ui.cli", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=timeout)


def idf_map(postings: bm25.Postings) -> dict[str, float]:
    """Every term some chunk holds → its idf (as rank-bm25 keeps them)."""
    return {t: postings.idf(t) for t in postings.vocab if postings.df(t)}


def snapshot(index_dir: Path) -> dict:
    """What an index holds, for comparing two of them."""
    s = store.load(index_dir)
    return {"chunks": [c.to_json() for c in s.chunks],
            "articles": {k: (a.metadata(), a.text) for k, a in s.articles.items()},
            "idf": idf_map(s.bm25), "doc_len": list(s.bm25.doc_len), "avgdl": s.bm25.avgdl,
            "vectors": vectors.rows(s.vectors), "facts": [f.to_json() for f in s.facts()],
            "answers": [(a.answered, a.text, [c.chunk_id for c in a.citations])
                        for a in (ask(s, q) for q in QUESTIONS)]}


@pytest.fixture
def embedded_texts(monkeypatch) -> list[str]:
    """Every text the fake encoder is asked to embed, in this test."""
    seen: list[str] = []
    original = HashingEncoder.passages

    def spy(self, texts):
        seen.extend(texts)
        return original(self, texts)

    monkeypatch.setattr(HashingEncoder, "passages", spy)
    return seen


def test_update_embeds_only_new_text_and_equals_a_fresh_build(seeds_copy: Path, tmp_path: Path, embedded_texts):
    index_dir = tmp_path / "index"
    first = update(seeds_copy, index_dir, model=FAKE)
    assert first.embedded == first.chunks and first.reused == 0 and len(embedded_texts) == first.chunks
    old_texts = {indexed_text(c) for c in store.load(index_dir).chunks}

    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    changed = seeds_copy / "001_0d211377d81efd56.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n会议还强调，要持续优化营商环境，办好民生实事。\n",
                       encoding="utf-8")
    (seeds_copy / "004_8c17ebf00595400d.txt").unlink()
    embedded_texts.clear()
    report = update(seeds_copy, index_dir, model=FAKE)
    assert (report.added, report.changed, report.removed) == (
        ("005_baiyun_2025.txt",), ("001_0d211377d81efd56.txt",), ("004_8c17ebf00595400d.txt",))
    new_texts = [indexed_text(c) for c in store.load(index_dir).chunks]
    assert sorted(embedded_texts) == sorted(t for t in new_texts if t not in old_texts)  # only new text
    assert 0 < report.embedded == len(embedded_texts) < 10
    assert report.reused == report.chunks - report.embedded > 100
    manifest = store.read_manifest(index_dir)
    assert manifest["counts"] == {"articles": 5, "chunks": report.chunks, "embedded": report.embedded,
                                  "reused": report.reused}

    fresh = tmp_path / "fresh"
    full = update(seeds_copy, fresh, model=FAKE, force=True)
    assert full.embedded == full.chunks == report.chunks
    incremental, rebuilt = snapshot(index_dir), snapshot(fresh)
    assert np.array_equal(incremental.pop("vectors"), rebuilt.pop("vectors"))
    assert incremental == rebuilt

    again = update(seeds_copy, index_dir, model=FAKE)
    assert again.up_to_date and again.embedded == 0 and again.index_path == report.index_path
    forced = update(seeds_copy, index_dir, model=FAKE, force=True)
    assert not forced.up_to_date and forced.embedded == forced.chunks and forced.reused == 0


def test_deleted_article_leaves_bm25_and_faiss(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    before = store.load(index_dir)
    gone = [c for c in before.chunks if c.source == BAIYUN_2026]
    assert gone and ask(before, Q_BAIYUN_2026).answered

    (seeds_copy / BAIYUN_2026).unlink()
    report = update(seeds_copy, index_dir, model=FAKE)
    assert report.removed == (BAIYUN_2026,) and report.embedded == 0  # every remaining vector reused
    after = store.load(index_dir)
    assert BAIYUN_2026 not in after.articles and all(c.source != BAIYUN_2026 for c in after.chunks)

    # BM25 statistics are those of the remaining chunks, recomputed; no row is left over or shifted
    corpus = [tokens(indexed_text(c)) for c in after.chunks]
    refit = bm25.fit(corpus)
    assert after.bm25.corpus_size == len(after.chunks) == after.vectors.ntotal
    assert idf_map(after.bm25) == pytest.approx(idf_map(refit)) and after.bm25.avgdl == pytest.approx(refit.avgdl)
    assert idf_map(after.bm25) != pytest.approx(idf_map(before.bm25))
    # each faiss row is the vector of the chunk in the same row
    assert np.array_equal(vectors.rows(after.vectors),
                          HashingEncoder().passages([indexed_text(c) for c in after.chunks]))
    encoder = HashingEncoder()
    for chunk in gone[:5]:  # its own words find it nowhere any more
        lexical = bm25.rank(after.bm25, tokens(chunk.text), 10)
        dense = after.vectors.search(encoder.query(indexed_text(chunk)), 10)
        assert lexical and dense
        assert all(after.chunks[row].source != BAIYUN_2026 for row, _ in lexical + dense)
    answer = ask(after, Q_BAIYUN_2026, k=10)
    assert not answer.answered and all(c.source != BAIYUN_2026 for c in answer.citations)
    assert all("1400亿元" not in c.text for c in answer.citations)


OTHER = "other-fake"


@pytest.fixture
def other_model(monkeypatch):
    """A second torch-free model: another fingerprint and another dimension than fake-hashing."""
    real_identity, real_passages, real_query = embed.model_identity, embed.passage_encoder, embed.query_encoder

    class Other(HashingEncoder):
        def __init__(self):
            super().__init__(dim=64)
            self.name = OTHER

    monkeypatch.setattr(embed, "model_identity", lambda m: {"name": OTHER, "path": None, "fingerprint": OTHER,
                                                            "query_engine": OTHER} if m == OTHER else real_identity(m))
    monkeypatch.setattr(embed, "passage_encoder",
                        lambda m, show_progress=False: Other() if m == OTHER else real_passages(m, show_progress))
    monkeypatch.setattr(embed, "query_encoder",
                        lambda ident, quick=False: Other() if ident.get("query_engine") == OTHER
                        else real_query(ident, quick))
    return OTHER


def test_another_model_re_embeds_everything_never_mixes(seeds_copy: Path, tmp_path: Path, other_model):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")

    switched = update(seeds_copy, index_dir, model=other_model)
    assert switched.embedded == switched.chunks and switched.reused == 0
    stored = store.load(index_dir)
    assert stored.model["fingerprint"] == OTHER and stored.model["dim"] == stored.vectors.d == 64
    assert ask(stored, Q_BAIYUN_2026).answered

    (seeds_copy / "005_baiyun_2025.txt").unlink()
    same = update(seeds_copy, index_dir)  # no --model: the index's own model, its vectors reused
    assert same.embedded == 0 and store.load(index_dir).model["fingerprint"] == OTHER

    back = update(seeds_copy, index_dir, model=FAKE)
    assert back.embedded == back.chunks and back.reused == 0
    stored = store.load(index_dir)
    assert stored.vectors.d == 256 and np.array_equal(
        vectors.rows(stored.vectors), HashingEncoder().passages([indexed_text(c) for c in stored.chunks]))


def test_update_without_model_keeps_the_fake_model(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    report = update(seeds_copy, index_dir)  # used to fall back to the real model and fail
    assert report.added == ("005_baiyun_2025.txt",) and store.read_manifest(index_dir)["model"]["name"] == FAKE


def test_new_articles_get_metadata_and_leave_other_answers_alone(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    before = {q: ask(store.load(index_dir), q) for q in QUESTIONS if q != Q_BAIYUN_2026}
    (seeds_copy / "广州 白云区 2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    (seeds_copy / "shenzhen_2026.txt").write_text(SHENZHEN_2026, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    stored = store.load(index_dir)

    new = stored.articles["广州 白云区 2025.txt"]
    assert new.year.value == "2025" and "收官之年" in new.year.evidence
    assert new.date.value == "2月8日" and new.publisher.value == "羊城晚报"
    assert stored.articles["shenzhen_2026.txt"].year.value == "2026"

    a2026 = ask(stored, Q_BAIYUN_2026)
    assert a2026.answered and a2026.figure == "1400亿元" and a2026.citations[0].source == BAIYUN_2026
    a2025 = ask(stored, "白云区2025年固投目标是多少")
    assert a2025.answered and "1300亿元" in a2025.text and a2025.citations[0].source == "广州 白云区 2025.txt"
    for question, old in before.items():  # answers about the existing articles are unchanged
        now = ask(stored, question)
        assert (now.answered, now.text) == (old.answered, old.text), question
        if now.answered:
            assert now.citations[0].chunk_id == old.citations[0].chunk_id, question


def test_bad_seeds_are_reported_and_nothing_else_is_lost(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    (seeds_copy / "empty.txt").write_bytes(b"")
    (seeds_copy / "blank.txt").write_bytes(b" \r\n\t\n")
    (seeds_copy / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + os.urandom(200))
    (seeds_copy / "gbk.txt").write_bytes("# 海珠区召开大会\n\n海珠区今年固定资产投资增长10%。\n".encode("gbk"))
    (seeds_copy / "utf16.txt").write_bytes("海珠区今年固定资产投资增长10%。".encode("utf-16"))
    with open(seeds_copy / "huge.txt", "wb") as handle:  # sparse: instant, takes no disk
        handle.truncate(50 * 1024 * 1024)
    shutil.copy(seeds_copy / BAIYUN_2026, seeds_copy / "003 白云 副本.txt")  # newer copy; sorts first
    (seeds_copy / "广州 白云区 2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    bad_name = os.path.join(os.fsencode(seeds_copy), "广州".encode("gbk") + b".txt")  # a GBK file name
    with open(bad_name, "wb") as handle:
        handle.write(SHENZHEN_2026.encode("utf-8"))
    (seeds_copy / "白云区 2025.docx").write_bytes(b"PK\x03\x04" + os.urandom(200))
    (seeds_copy / "notes.md").write_text(BAIYUN_2025, encoding="utf-8")

    started = time.monotonic()
    run = gzqa("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(index_dir), "--model", FAKE)
    assert run.returncode == 0, run.stderr
    assert time.monotonic() - started < 10  # the 50 MB file is never read
    refused = {line.split(":", 1)[0].removeprefix("refused "): line
               for line in run.stderr.splitlines() if line.startswith("refused ")}
    expected = {"empty.txt": "empty", "blank.txt": "empty", "image.txt": "binary", "gbk.txt": "GB18030",
                "utf16.txt": "UTF-16", "huge.txt": "too large", "003 白云 副本.txt": f"same content as {BAIYUN_2026}",
                "\\xb9\\xe3\\xd6\\xdd.txt": "not UTF-8; rename", "白云区 2025.docx": "not a .txt file — skipped",
                "notes.md": "not a .txt file — skipped"}
    assert set(refused) == set(expected), run.stderr
    for name, why in expected.items():
        assert why in refused[name], refused[name]
    assert "Traceback" not in run.stderr and "6 articles" in run.stdout

    stored = store.load(index_dir)
    assert set(stored.articles) == {p.name for p in (ROOT / "seeds").glob("*.txt")} | {"广州 白云区 2025.txt"}
    assert {r["source"] for r in stored.manifest["rejected"]} == set(expected)
    answer = gzqa("ask", "--json", "白云区2025年固投目标是多少", "--index-dir", str(index_dir))
    data = json.loads(answer.stdout)
    assert data["answered"] and data["passages"][0]["source"] == "广州 白云区 2025.txt"
    assert ask(stored, Q_BAIYUN_2026).citations[0].source == BAIYUN_2026  # the original keeps its name

    status = json.loads(gzqa("index", "status", "--json", "--seeds", str(seeds_copy),
                             "--index-dir", str(index_dir)).stdout)
    assert status["seeds_changed"] == {"added": [], "changed": [], "removed": []}
    assert len(status["rejected"]) == len(expected)
    again = gzqa("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(index_dir))
    assert again.returncode == 0 and "up to date" in again.stdout and "refused huge.txt" in again.stderr


def test_city_is_stored_and_shown_by_status(fake_index: Path):
    stored = store.load(fake_index)
    assert {s[:3]: a.city.value for s, a in stored.articles.items()} == {
        "000": "广州市", "001": "广州市", "002": "广州市", "003": "广州市", "004": "广东省"}
    assert set(stored.articles["004_8c17ebf00595400d.txt"].metadata()["city"]) == {"value", "evidence", "line"}  # as "year"
    places = ("--seeds", str(ROOT / "seeds"), "--index-dir", str(fake_index))
    status = json.loads(gzqa("index", "status", "--json", *places).stdout)
    assert [a["city"]["value"] for a in status["articles"]] == ["广州市"] * 4 + ["广东省"]
    assert status["pipeline"]["stale"] is False
    text = gzqa("index", "status", *places).stdout
    assert "2024  2月18日  广东省" in text and "city evidence (line 6): 再开“新春第一会”，广东" in text
    assert "out of date" not in text


def test_new_pipeline_makes_the_index_stale_until_updated(seeds_copy: Path, tmp_path: Path, monkeypatch):
    from index import chunk
    from index.status import status
    from ui.terminal import status_text

    index_dir = tmp_path / "index"
    built = update(seeds_copy, index_dir, model=FAKE)
    assert update(seeds_copy, index_dir).up_to_date
    monkeypatch.setattr(chunk, "VERSION", chunk.VERSION + "-next")  # the chunker changed
    stale = status(seeds_copy, index_dir)
    assert stale["pipeline"]["stale"] and stale["seeds_changed"] == {"added": [], "changed": [], "removed": []}
    assert "index out of date" in status_text(stale) and "run 'gzqa index update'" in status_text(stale)
    with pytest.raises(store.IndexStale, match="gzqa index update"):  # answering from it would mix rules
        store.load(index_dir)
    report = update(seeds_copy, index_dir)
    assert not report.up_to_date and report.embedded == 0 and report.reused == built.chunks  # re-chunked
    manifest = store.read_manifest(index_dir)
    assert f"chunk {chunk.VERSION}" in manifest["pipeline_version"]
    assert not status(seeds_copy, index_dir)["pipeline"]["stale"] and update(seeds_copy, index_dir).up_to_date


def test_lexicon_data_edited_without_a_version_bump_makes_the_index_stale(seeds_copy: Path, tmp_path: Path,
                                                                        monkeypatch):
    from index import lexicon
    from index.status import status

    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    monkeypatch.setattr(lexicon, "SYNONYMS", lexicon.SYNONYMS + (("城市更新", "旧城改造"),))  # VERSION left as it was
    lexicon.fingerprint.cache_clear()
    try:
        assert status(seeds_copy, index_dir)["pipeline"]["stale"]
    finally:
        monkeypatch.undo()
        lexicon.fingerprint.cache_clear()
    assert not status(seeds_copy, index_dir)["pipeline"]["stale"]


def test_renamed_article_reuses_its_vectors(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / BAIYUN_2026).rename(seeds_copy / "白云区 2026 高质量发展.txt")
    report = update(seeds_copy, index_dir, model=FAKE)
    assert report.removed == (BAIYUN_2026,) and report.added == ("白云区 2026 高质量发展.txt",)
    assert report.embedded == 0
    assert ask(store.load(index_dir), Q_BAIYUN_2026).citations[0].source == "白云区 2026 高质量发展.txt"


def test_cli_prints_embedded_and_reused_counts(seeds_copy: Path, tmp_path: Path):
    index_dir = str(tmp_path / "index")
    places = ("--seeds", str(seeds_copy), "--index-dir", index_dir)
    built = gzqa("index", "build", *places, "--model", FAKE)
    assert built.returncode == 0 and "embedded 185, reused 0 vectors" in built.stdout, built.stdout
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    report = gzqa("index", "update", *places)
    stored = store.load(Path(index_dir))
    new = sum(c.source == "005_baiyun_2025.txt" for c in stored.chunks)
    assert f"embedded {new}, reused 185 vectors" in report.stdout and "added: 005_baiyun_2025.txt" in report.stdout
    forced = gzqa("index", "build", "--force", *places)
    assert f"embedded {185 + new}, reused 0 vectors" in forced.stdout


def test_watch_updates_once_files_have_settled(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    watch = subprocess.Popen([sys.executable, "-m", "ui.cli", "index", "watch", "--seeds", str(seeds_copy),
                              "--index-dir", str(index_dir), "--model", FAKE, "--interval", "0.1", "--settle", "0.6"],
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines: list[tuple[float, str]] = []
    reader = threading.Thread(target=lambda: [lines.append((time.monotonic(), line)) for line in watch.stdout])
    reader.start()
    try:
        assert "watching" in watch.stderr.readline()
        time.sleep(0.5)
        target = seeds_copy / "005_baiyun_2025.txt"
        with open(target, "w", encoding="utf-8") as handle:  # arrives slowly, as an upload or a copy does
            for line in BAIYUN_2025.splitlines(keepends=True):
                handle.write(line)
                handle.flush()
                time.sleep(0.15)
        done = time.monotonic()
        deadline = done + 8
        while not lines and time.monotonic() < deadline and watch.poll() is None:
            time.sleep(0.05)
        time.sleep(0.3)
    finally:
        watch.send_signal(signal.SIGINT)
        try:
            code = watch.wait(timeout=5)
        finally:
            if watch.poll() is None:  # never leave a watcher behind, even when the test fails
                watch.kill()
                watch.wait()
        reader.join()
        assert code == 0
    assert len(lines) == 1, lines  # one update, after the file settled, not one per write
    stamp, text = lines[0]
    assert stamp >= done and text.startswith("updated: 6 articles")
    stored = store.load(index_dir)
    assert stored.articles["005_baiyun_2025.txt"].text == BAIYUN_2025  # the whole file, not a part


def test_no_indexable_article_is_one_line_and_the_old_index_keeps_serving(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / "blank.txt").write_text("", encoding="utf-8")
    run = gzqa("index", "build", "--seeds", str(empty), "--index-dir", str(index_dir), "--model", FAKE)
    assert run.returncode == 1 and "Traceback" not in run.stderr
    assert "no article to index" in run.stderr and "blank.txt" in run.stderr
    update(seeds_copy, index_dir, model=FAKE)
    run = gzqa("index", "update", "--seeds", str(empty), "--index-dir", str(index_dir))
    assert run.returncode == 1 and len(store.load(index_dir).articles) == 5
    assert not [p for p in publish.builds_dir(index_dir).iterdir() if p.suffix == ".tmp"]


def test_model_fingerprint_changes_when_the_weights_are_rewritten(tmp_path: Path):
    model = tmp_path / "model"
    model.mkdir()
    (model / "config.json").write_text("{}")
    (model / "modules.json").write_text("[]")
    weights = model / "model.safetensors"
    weights.write_bytes(b"a" * 64)
    before = embed.model_identity(str(model))["fingerprint"]
    os.utime(weights, ns=(1, 1))
    assert embed.model_identity(str(model))["fingerprint"] != before


def test_a_refused_file_is_reported_as_refused_not_as_added_or_removed(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / "notes.docx").write_bytes(b"PK\x03\x04")
    report = update(seeds_copy, index_dir)
    assert report.added == () and [r.source for r in report.rejected] == ["notes.docx"]
    (seeds_copy / "notes.docx").unlink()
    assert update(seeds_copy, index_dir).removed == ()
