"""The Milvus backend, for real on milvus-lite: the same tokens, statistics and answers as the embedded
index, blue/green updates and deletes keyed by chunk id and hash, kill -9 mid-update, one-line errors.

milvus-lite runs inside the process that opens it and one process holds a folder at a time, so a test
closes its connection (`milvus.close`) before a CLI subprocess opens the same folder.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from index import milvus, milvus_sync, store
from index.build import update
from index.embed import FAKE
from qa.answer import ask
from qa.assistant import Assistant
from qa.evaluate import read_gold
from tests.conftest import ROOT, SEEDS
from tests.test_update import BAIYUN_2025, Q_BAIYUN_2026, QUESTIONS

# the dev set lives beside the project (../shared); a checkout without it compares the backends on held-out 1
DEV = next(p for p in (ROOT.parent / "shared" / "eval" / "dev.jsonl", ROOT / "tests" / "eval" / "heldout.jsonl")
           if p.is_file())
NEW = "005_baiyun_2025.txt"
Q_BAIYUN_2025 = "白云区2025年固投目标是多少"


@pytest.fixture
def lite(tmp_path: Path, monkeypatch) -> str:
    """GZQA_BACKEND=milvus at a fresh milvus-lite folder, closed (and its lock released) after the test."""
    uri = str(tmp_path / "milvus.db")
    monkeypatch.setenv("GZQA_BACKEND", "milvus")
    monkeypatch.setenv("GZQA_MILVUS_URI", uri)
    yield uri
    milvus.close(uri)


@pytest.fixture(scope="module")
def both(tmp_path_factory) -> tuple[store.StoredIndex, milvus.MilvusIndex]:
    """The real seeds with the fake embedder, written to Milvus: the build read by each backend."""
    folder = tmp_path_factory.mktemp("milvus")
    uri = str(folder / "milvus.db")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("GZQA_BACKEND", "milvus")
        mp.setenv("GZQA_MILVUS_URI", uri)
        update(SEEDS, folder / "index", model=FAKE)
        loaded = store.load(folder / "index"), milvus.load(folder / "index")
    yield loaded
    milvus.close(uri)


def cli(*args: str, env: dict) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ui.cli", *args], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **env})


# --- tokens -------------------------------------------------------------------------------------------------

def test_project_tokens_become_words_every_milvus_tokenizer_keeps_whole(both):
    from milvus_lite.analyzer.standard import StandardAnalyzer

    embedded, _ = both
    vocabulary = sorted({t for row in range(len(embedded.chunks)) for t in embedded.terms(row)})
    words = [milvus.word(t) for t in vocabulary]
    assert len(set(words)) == len(vocabulary)  # no two tokens share a word
    # [a-z][0-9a-f]+: one word for a \w+ regex (lite's standard), for Unicode word breaks (a server's
    # standard: letters and digits never break, WB9/WB10), for whitespace and for jieba alike
    assert all(re.fullmatch(r"t[0-9a-f]{15}", w) for w in words)
    assert StandardAnalyzer().tokenize(" ".join(words)) == words
    # why not the tokens themselves: lite's standard splits "5.5%", a server's splits Chinese into characters
    joined = [t for t in vocabulary if re.search(r"[.%&]", t)]
    assert joined and StandardAnalyzer().tokenize(" ".join(joined)) != joined


def test_terms_idf_and_lexical_matches_are_the_embedded_ones(both):
    embedded, remote = both
    assert list(remote.chunks) == list(embedded.chunks)
    assert ({s: (a.metadata(), a.text) for s, a in remote.articles.items()}
            == {s: (a.metadata(), a.text) for s, a in embedded.articles.items()})
    assert remote.facts() == embedded.facts() and remote.facts()
    assert list(remote.vocabulary()) == list(embedded.vocabulary()) and "固投" in embedded.vocabulary()
    for row in range(len(embedded.chunks)):
        assert dict(remote.terms(row)) == dict(embedded.terms(row))
    sample = sorted({t for row in range(0, len(embedded.chunks), 7) for t in embedded.terms(row)})
    for term in sample + ["白云区", "固定资产投资", "不在语料里的词"]:
        assert remote.idf(term) == pytest.approx(embedded.idf(term)), term
    for terms in (["白云区", "固投"], ["番禺区", "书记"], ["旅游", "游客"]):
        everything = len(embedded.chunks)
        assert ({row for row, _ in remote.lexical(terms, everything)}
                == {row for row, _ in embedded.lexical(terms, everything)})  # the chunks holding a term
        assert remote.lexical(terms, 5)[0][0] in {row for row, _ in embedded.lexical(terms, 5)}
    text = "白云区固定资产投资目标"
    assert [r for r, _ in remote.dense(text, 10)] == [r for r, _ in embedded.dense(text, 10)]
    assert [c for _, c in remote.dense(text, 10)] == pytest.approx([c for _, c in embedded.dense(text, 10)], abs=1e-5)


def test_a_search_within_articles_keeps_only_their_chunks_on_both_backends(both):
    embedded, remote = both
    chosen = ("003_ceb711fc79301318.txt",)
    for index in (embedded, remote):
        for found in (index.lexical(["白云区", "固投"], 10, chosen), index.dense("白云区固定资产投资目标", 10, chosen)):
            assert found and {index.chunks[row].source for row, _ in found} == set(chosen)
    assert ([r for r, _ in remote.dense("白云区固定资产投资目标", 10, chosen)]
            == [r for r, _ in embedded.dense("白云区固定资产投资目标", 10, chosen)])
    assert remote.lexical(["白云区"], 10, ()) == []


def test_same_top_passages_and_answers_as_embedded(both):
    embedded, remote = both
    questions = list(QUESTIONS) + [g["question"] for g in read_gold(DEV)]
    for q in questions:
        a, b = ask(embedded, q), ask(remote, q)
        assert (a.answered, a.text, a.figure) == (b.answered, b.text, b.figure), q
        assert [c.chunk_id for c in a.citations[:1]] == [c.chunk_id for c in b.citations[:1]], q


# --- updates ------------------------------------------------------------------------------------------------

def test_update_and_delete_round_trip(seeds_copy: Path, tmp_path: Path, lite: str):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    first = milvus.load(index_dir)
    conn, (a, b) = first.conn, milvus_sync.collection_names("gzqa")
    assert first.collection == a and milvus_sync.aliased(conn, "gzqa") == a
    assert not ask(first, Q_BAIYUN_2025).answered or "1300" not in (ask(first, Q_BAIYUN_2025).text or "")

    (seeds_copy / NEW).write_text(BAIYUN_2025, encoding="utf-8")
    report = update(seeds_copy, index_dir, model=FAKE)
    added = milvus.load(index_dir)
    new_ids = [c.id for c in added.chunks if c.source == NEW]
    assert report.added == (NEW,) and report.embedded == len(new_ids) > 0  # only new text is embedded
    assert added.collection == b and milvus_sync.aliased(conn, "gzqa") == b
    assert added.manifest["milvus"]["upserted"] == len(added.chunks)  # b was empty: written whole, once
    answer = ask(added, Q_BAIYUN_2025)
    assert answer.answered and "1300亿元" in answer.text and answer.citations[0].source == NEW
    assert ask(first, Q_BAIYUN_2026).figure == "1400亿元"  # the previous build's collection is untouched
    assert update(seeds_copy, index_dir, model=FAKE).up_to_date

    (seeds_copy / NEW).unlink()
    report = update(seeds_copy, index_dir, model=FAKE)
    removed = milvus.load(index_dir)
    assert report.removed == (NEW,) and removed.collection == a
    # a holds the build before the article came: nothing to write; and the article is nowhere in a
    assert removed.manifest["milvus"]["upserted"] == removed.manifest["milvus"]["deleted"] == 0
    assert conn.get(a, ids=new_ids) == [] and len(removed.chunks) == len(first.chunks)
    assert all(c.source != NEW for row, _ in removed.lexical(["白云区", "固投"], 500) for c in [removed.chunks[row]])

    changed = seeds_copy / "001_0d211377d81efd56.txt"
    changed.write_text(changed.read_text(encoding="utf-8") + "\n会议还强调，要持续优化营商环境，办好民生实事。\n",
                       encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    edited = milvus.load(index_dir)
    entry = edited.manifest["milvus"]
    # b held the build with the new article: it loses that article's chunks and gains the edited ones only
    assert edited.collection == b and entry["deleted"] == len(new_ids) and 0 < entry["upserted"] <= 3
    assert milvus.count(conn, b) == len(edited.chunks)
    assert ask(edited, "营商环境 民生实事").citations[0].source == changed.name


def test_schema_or_uri_mismatch_and_a_missing_collection_name_the_fix(seeds_copy: Path, tmp_path: Path, lite: str):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    build = index_dir.resolve()
    manifest_path = build / "manifest.json"
    original = manifest_path.read_text(encoding="utf-8")
    manifest_path.write_text(original.replace('"schema_version": 1,\n    "chunks"', '"schema_version": 0,\n    "chunks"'),
                             encoding="utf-8")
    with pytest.raises(store.IndexStale, match="schema 0, this gzqa reads 1 — run 'gzqa --backend milvus index update"):
        milvus.load(index_dir)
    manifest_path.write_text(original, encoding="utf-8")
    with pytest.raises(store.IndexStale, match="not at .*elsewhere.db .*index update"):
        milvus.load(index_dir, address=str(tmp_path / "elsewhere.db"))
    milvus.client(lite).drop_collection(milvus.load(index_dir).collection)
    with pytest.raises(store.IndexCorrupt, match="lacks the collection .* index update"):
        milvus.load(index_dir)
    report = update(seeds_copy, index_dir, model=FAKE)  # not "up to date": the collection is written anew
    assert not report.up_to_date and report.embedded == 0
    assert ask(milvus.load(index_dir), Q_BAIYUN_2026).figure == "1400亿元"


def test_readers_never_see_half_an_update(seeds_copy: Path, tmp_path: Path, lite: str, monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    assistant = Assistant(index_dir)
    assert assistant.ask(Q_BAIYUN_2026).figure == "1400亿元"
    (seeds_copy / NEW).write_text(BAIYUN_2025, encoding="utf-8")
    monkeypatch.setenv("GZQA_TEST_PAUSE_AT", "milvus-written")
    monkeypatch.setenv("GZQA_TEST_PAUSE_SECONDS", "1.5")
    writer = threading.Thread(target=update, args=(seeds_copy, index_dir), kwargs={"model": FAKE})
    writer.start()
    seen = set()
    while writer.is_alive():  # the other collection is being written, and then waits before the alias moves
        stored = assistant.index()
        assert assistant.ask(Q_BAIYUN_2026).figure == "1400亿元"
        assert len(stored.chunks) == milvus.count(stored.conn, stored.collection)
        seen.add(NEW in stored.articles)
    writer.join()
    assert seen == {False} or seen == {False, True}
    assert NEW in assistant.index().articles and "1300亿元" in assistant.ask(Q_BAIYUN_2025).text


def test_kill_9_mid_update_leaves_the_previous_collection_serving(seeds_copy: Path, tmp_path: Path, lite: str):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    old = frozenset(milvus.load(index_dir).articles)
    (seeds_copy / NEW).write_text(BAIYUN_2025, encoding="utf-8")
    for stage in ("milvus-half", "milvus-written", "written"):  # half the rows; all, alias not moved; alias moved
        milvus.close(lite)  # the subprocess must be able to open the lite folder
        proc = cli("index", "update", "--seeds", str(seeds_copy), "--index-dir", str(index_dir), "--model", FAKE,
                   env={"GZQA_TEST_PAUSE_AT": stage, "GZQA_TEST_PAUSE_SECONDS": "60"})
        for line in proc.stderr:
            if line.startswith("gzqa-test: paused at"):
                break
        else:
            raise AssertionError(f"update ended before {stage}: rc={proc.wait()}")
        proc.kill()
        assert proc.wait() == -signal.SIGKILL
        serving = milvus.load(index_dir)  # the lite folder recovers; the published build names a whole collection
        assert frozenset(serving.articles) == old, stage
        assert ask(serving, Q_BAIYUN_2026).figure == "1400亿元"
        assert milvus.count(serving.conn, serving.collection) == len(serving.chunks)
    report = update(seeds_copy, index_dir, model=FAKE)  # finishes what the killed ones left, moves the alias back
    done = milvus.load(index_dir)
    assert report.added == (NEW,) and NEW in done.articles
    assert milvus_sync.aliased(done.conn, "gzqa") == done.collection
    assert milvus.count(done.conn, done.collection) == len(done.chunks)
    assert "1300亿元" in ask(done, Q_BAIYUN_2025).text


# --- the command line ---------------------------------------------------------------------------------------

def test_cli_backend_flag_answers_and_errors_are_one_line(fake_index: Path, tmp_path: Path, lite: str):
    copy = tmp_path / "copy"
    shutil.copytree(fake_index.parent, copy, symlinks=True)
    index_dir = copy / fake_index.name
    env = {"GZQA_BACKEND": "", "GZQA_MILVUS_URI": lite}
    run = lambda *args, **extra: subprocess.run(  # noqa: E731
        [sys.executable, "-m", "ui.cli", *args], cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={**os.environ, **env, **extra})
    missing = run("--backend", "milvus", "ask", Q_BAIYUN_2026, "--index-dir", str(index_dir))
    assert missing.returncode == 1 and missing.stdout == ""
    assert missing.stderr.strip().splitlines() == [
        f"gzqa: index in {index_dir} was not written to Milvus — run 'gzqa --backend milvus index update "
        f"--index-dir {index_dir}'"]
    built = run("--backend", "milvus", "index", "update", "--seeds", str(SEEDS), "--index-dir", str(index_dir))
    assert built.returncode == 0 and "embedded 0" in built.stdout, built.stderr  # vectors reused, rows written
    answered = run("ask", Q_BAIYUN_2026, "--index-dir", str(index_dir), GZQA_BACKEND="milvus")
    assert answered.returncode == 0 and "1400亿元" in answered.stdout, answered.stderr
    status = run("index", "status", "--backend", "milvus", "--index-dir", str(index_dir))  # after the command too
    assert f"backend: milvus at {lite}, collection gzqa_v1_" in status.stdout
    milvus.client(lite)  # this process holds the lite folder now
    held = run("--backend", "milvus", "ask", Q_BAIYUN_2026, "--index-dir", str(index_dir))
    assert held.returncode == 1 and len(held.stderr.strip().splitlines()) == 1
    assert "is open in another gzqa process" in held.stderr and "GZQA_MILVUS_URI=http://" in held.stderr
    unknown = run("ask", Q_BAIYUN_2026, "--index-dir", str(index_dir), GZQA_BACKEND="elastic")
    assert unknown.returncode == 1 and unknown.stderr.startswith("gzqa: unknown index backend 'elastic'")


@pytest.mark.model
def test_real_model_dev_set_same_on_both_backends(real_index: Path, tmp_path: Path, lite: str):
    copy = tmp_path / "real"
    shutil.copytree(real_index.parent, copy, symlinks=True)
    index_dir = copy / real_index.name
    report = update(SEEDS, index_dir)  # written to Milvus, every vector reused
    assert report.embedded == 0
    embedded, remote = store.load(index_dir), milvus.load(index_dir)
    for gold in read_gold(DEV):
        a, b = ask(embedded, gold["question"]), ask(remote, gold["question"])
        assert (a.answered, a.text) == (b.answered, b.text), gold["question"]
        assert [c.chunk_id for c in a.citations[:1]] == [c.chunk_id for c in b.citations[:1]], gold["question"]
