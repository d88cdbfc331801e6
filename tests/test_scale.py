"""Scale mechanisms: embedding progress and resume, no-op updates from stats alone, carried-over articles,
lazy loading, the parallel path, and the look-alike corpus (scripts/make_corpus.py)."""
from __future__ import annotations

import errno
import hashlib
import json
import os
import time
from pathlib import Path

import numpy as np
import pytest

from index import build, checkpoint, load, prepare, store, vectors
from index.build import EMBED_BATCH, update
from index.chunk import indexed_text
from index.embed import FAKE, HashingEncoder
from qa.answer import ask
from scripts.make_corpus import GUANGZHOU_YEARS, write_corpus
from tests.conftest import SEEDS
from tests.test_update import BAIYUN_2025, Q_BAIYUN_2026, embedded_texts, snapshot  # noqa: F401 - fixture


class Stop(Exception):
    """Stands in for Ctrl-C in the middle of embedding."""


def test_progress_per_batch_and_an_interrupted_build_resumes_without_re_embedding(
        seeds_copy: Path, tmp_path: Path, embedded_texts):
    index_dir = tmp_path / "index"
    calls: list[tuple[int, int]] = []

    def stop_after_two(done: int, total: int) -> None:
        calls.append((done, total))
        if len(calls) == 2:
            raise Stop

    with pytest.raises(Stop):
        update(seeds_copy, index_dir, model=FAKE, on_embedded=stop_after_two)
    assert calls == [(EMBED_BATCH, calls[0][1]), (2 * EMBED_BATCH, calls[0][1])] and calls[0][1] > 2 * EMBED_BATCH
    assert not index_dir.exists()  # nothing published
    total = calls[0][1]
    first_run = list(embedded_texts)
    embedded_texts.clear()
    calls.clear()
    report = update(seeds_copy, index_dir, model=FAKE, on_embedded=lambda d, t: calls.append((d, t)))
    assert report.embedded == total - 2 * EMBED_BATCH == len(embedded_texts)
    assert not set(embedded_texts) & set(first_run)  # what was embedded before is never embedded again
    assert calls[-1] == (total - 2 * EMBED_BATCH,) * 2
    assert not checkpoint.folder(index_dir).exists()  # published: the checkpoint is gone
    stored = store.load(index_dir)
    assert np.array_equal(vectors.rows(stored.vectors), HashingEncoder().passages([indexed_text(c) for c in stored.chunks]))


def test_a_no_op_update_reads_no_seed_and_no_index_data(fake_index: Path, seeds_copy: Path, tmp_path: Path,
                                                        monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)

    def forbidden(*args, **kwargs):
        raise AssertionError("read during a no-op update")

    for name in ("read_seeds", "file_hash", "_published"):
        monkeypatch.setattr(build, name, forbidden)
    monkeypatch.setattr(store, "load", forbidden)
    assert update(seeds_copy, index_dir).up_to_date


def test_one_new_article_is_the_only_one_read_chunked_and_tokenized(seeds_copy: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    before = snapshot(index_dir)
    prepared: list[str] = []
    read: list[str] = []
    real, real_read = prepare.article, load.read_regular
    monkeypatch.setattr(prepare, "article", lambda job: prepared.append(job.source) or real(job))
    monkeypatch.setattr(load, "read_regular", lambda path: read.append(path.name) or real_read(path))
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    report = update(seeds_copy, index_dir, model=FAKE)
    assert prepared == ["005_baiyun_2025.txt"] and report.added == ("005_baiyun_2025.txt",)
    assert set(read) == {"005_baiyun_2025.txt"}  # hashed, then decoded; the other articles' texts come from the published build
    fresh = tmp_path / "fresh"
    update(seeds_copy, fresh, model=FAKE, force=True)
    updated, built = snapshot(index_dir), snapshot(fresh)  # texts, chunks, facts … as a build from the files
    assert np.array_equal(updated.pop("vectors"), built.pop("vectors")) and updated == built
    assert report.embedded == report.chunks - len(before["chunks"])
    (seeds_copy / "005_baiyun_2025.txt").unlink()
    prepared.clear()
    assert update(seeds_copy, index_dir, model=FAKE).removed == ("005_baiyun_2025.txt",) and prepared == []
    after = snapshot(index_dir)
    assert np.array_equal(after.pop("vectors"), before.pop("vectors")) and after == before  # as it was


def test_an_edit_that_keeps_size_and_mtime_is_read_while_racy(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    seed = sorted(seeds_copy.glob("*.txt"))[0]
    now = time.time_ns()
    os.utime(seed, ns=(now, now))  # written in the build's own second: its stat cannot vouch for it later
    update(seeds_copy, index_dir, model=FAKE)
    text = seed.read_text(encoding="utf-8")
    digit = next(ch for ch in text if ch in "123456789")
    edited = text.replace(digit, "0" if digit != "0" else "1", 1)  # same size
    seed.write_text(edited, encoding="utf-8")
    os.utime(seed, ns=(now, now))  # and the same mtime
    assert not update(seeds_copy, index_dir, model=FAKE).up_to_date
    assert store.load(index_dir).articles[seed.name].text == edited


def test_a_damaged_published_text_is_mended_from_its_seed_not_copied_on(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    texts = index_dir.resolve() / store.TEXTS
    info = texts.stat()
    data = bytearray(texts.read_bytes())
    data[10] ^= 0x01  # one bit, inside the first article; size and mtime put back
    texts.write_bytes(bytes(data))
    os.utime(texts, ns=(info.st_atime_ns, info.st_mtime_ns))
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    stored = store.load(index_dir)
    first = sorted(seeds_copy.glob("*.txt"))[0]
    assert stored.articles[first.name].text == first.read_text(encoding="utf-8")


@pytest.mark.parametrize("kernel", ["refuses", "absent"])
def test_an_update_copies_without_copy_file_range_too(seeds_copy: Path, tmp_path: Path, monkeypatch, kernel):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    if kernel == "absent":
        monkeypatch.delattr(os, "copy_file_range", raising=False)
    else:
        def refuse(*args):
            raise OSError(errno.EXDEV, "cross-device")

        monkeypatch.setattr(os, "copy_file_range", refuse)
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    fresh = tmp_path / "fresh"
    update(seeds_copy, fresh, model=FAKE, force=True)
    updated, built = snapshot(index_dir), snapshot(fresh)
    assert np.array_equal(updated.pop("vectors"), built.pop("vectors")) and updated == built


def test_a_seed_swapped_for_a_link_is_noticed_and_refused(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    seed = sorted(seeds_copy.glob("*.txt"))[0]
    moved = tmp_path / seed.name
    seed.rename(moved)
    seed.symlink_to(moved)  # the same text, behind a link
    report = update(seeds_copy, index_dir, model=FAKE)
    assert not report.up_to_date and [r.source for r in report.rejected] == [seed.name]
    assert "symbolic link" in report.rejected[0].reason and seed.name not in store.load(index_dir).articles


def test_a_copy_of_an_unread_article_is_still_refused_as_a_copy(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    original = sorted(seeds_copy.glob("*.txt"))[0]
    (seeds_copy / "zz_copy.txt").write_bytes(original.read_bytes())  # newer: the original keeps the article
    report = update(seeds_copy, index_dir, model=FAKE)
    assert report.added == () and [r.source for r in report.rejected] == ["zz_copy.txt"]
    assert f"same content as {original.name}" in report.rejected[0].reason


def test_a_cold_load_reads_metadata_only_and_an_answer_reads_its_articles(fake_index: Path):
    stored = store.load(fake_index)
    years = {a.year_number for a in stored.articles.values()}  # what answering reads of every article
    assert years and all(a._text is None for a in stored.articles.values())
    answer = ask(stored, Q_BAIYUN_2026)
    read = {s for s, a in stored.articles.items() if a._text is not None}
    assert answer.figure == "1400亿元" and read <= {c.source for c in answer.citations}
    article = stored.articles["003_ceb711fc79301318.txt"]
    assert article.text == (SEEDS / article.source).read_text(encoding="utf-8")


def test_the_parallel_path_builds_what_the_serial_one_does(seeds_copy: Path, tmp_path: Path, monkeypatch):
    serial = tmp_path / "serial"
    update(seeds_copy, serial, model=FAKE)
    monkeypatch.setattr(prepare, "PARALLEL_MIN_ARTICLES", 1)
    parallel = tmp_path / "parallel"
    assert update(seeds_copy, parallel, model=FAKE).worker_cpu > 0  # the workers' time is reported
    a, b = snapshot(serial), snapshot(parallel)
    assert np.array_equal(a.pop("vectors"), b.pop("vectors")) and a == b


def test_look_alike_articles_never_speak_of_the_seeds_city_and_years(seeds_copy: Path, tmp_path: Path):
    write_corpus(40, seeds_copy)
    index_dir = tmp_path / "index"
    report = update(seeds_copy, index_dir, model=FAKE)
    stored = store.load(index_dir)
    made = [a for s, a in stored.articles.items() if s.startswith("lookalike_")]
    assert len(made) == 40 and 20 * 40 < report.chunks - 185 < 45 * 40
    for article in made:
        home = article.city and article.city.value == "广州市"
        assert not home or article.year_number in GUANGZHOU_YEARS, article.source
    assert ask(stored, Q_BAIYUN_2026).figure == "1400亿元"  # 贵阳市白云区 and earlier years do not win


def _tokens_by_jieba_alone(text: str) -> list[str]:
    """The oracle for `tokens`: jieba's cut of each whole non-Latin part, nothing remembered."""
    from index import lexicon, tokenize

    canonical, out = lexicon.canonical_forms(), []
    for i, part in enumerate(tokenize.LATIN.split(tokenize.normalise(text).lower())):
        for word in [part] if i % 2 else tokenize._jieba().cut_for_search(part) if part else []:
            word = word.strip()
            if word and tokenize.WORD.fullmatch(word) and word not in lexicon.STOPWORDS:
                out += [word] + ([canonical[word]] if canonical.get(word, word) != word else [])
    return out


def test_terms_of_remembered_blocks_equal_jiebas_own_cut_of_the_whole_text():
    import jieba

    from index import tokenize
    from index.chunk import chunk_article
    from index.load import read_seeds

    assert tokenize.BLOCK.pattern == jieba.re_han_default.pattern  # the runs jieba cuts alone
    texts, _ = read_seeds(SEEDS)
    chunks = [indexed_text(c) for t in texts for c in chunk_article(t.source, t.text)]
    odd = ["Baiyun区2026年GDP增长5%以上", "ＧＤＰ　增长３．５％", "番禺區 固·投", "a-b c_d 3.5% #x &y+z", "黄埔 区长",
           "\r\n  ", "", "白云区\n白云区。白云区！"]
    for text in chunks + chunks[:20] + odd:  # twice: the second time every block is remembered
        assert tokenize.tokens(text) == _tokens_by_jieba_alone(text), text


def test_the_fake_encoders_rows_equal_one_token_at_a_time():
    import hashlib

    from index.tokenize import tokens

    texts = ["白云区固投1400亿元，固投增长5%", "", "。。", (SEEDS / "001_0d211377d81efd56.txt").read_text("utf-8")[:400]]
    expected = np.zeros((len(texts), 256), dtype=np.float32)
    for n, text in enumerate(texts):
        for token in tokens(text):
            digest = hashlib.sha1(token.encode("utf-8")).digest()
            expected[n, int.from_bytes(digest[:4], "little") % 256] += 1.0 if digest[4] & 1 else -1.0
    norms = np.maximum(np.linalg.norm(expected, axis=1, keepdims=True), 1e-12)
    encoder = HashingEncoder()
    assert np.array_equal(encoder.passages(texts), expected / norms)
    assert all(np.array_equal(encoder.query(t), row) for t, row in zip(texts, expected / norms))


def test_knn_recall_counts_an_equally_near_row_as_found(tmp_path: Path):
    rng = np.random.default_rng(0)
    rows = rng.normal(size=(40, 8)).astype(np.float32)
    rows[:12] = rows[0]  # twelve equal rows: the exact top 10 of rows[0] is rows 0–9, by row
    rows /= np.linalg.norm(rows, axis=1, keepdims=True)
    np.save(tmp_path / vectors.ROWS, rows)
    stored = vectors.load(tmp_path)

    class TiedGraph:  # an index that answers with rows 2–11: as near as rows 0–9, other rows
        nprobe, nlist = 1, 2  # scans a part of the lists: searched as an ANN index

        def search(self, query, k):
            ids = np.arange(2, 2 + k)[None, :]
            return (rows[ids[0]] @ query[0])[None, :], ids

    stored._ann = TiedGraph()
    recall = vectors.recall_at(stored, rows[:1], 10)
    assert recall.plain == 0.8 and recall.knn == 1.0
    stored._ann = None
    assert vectors.recall_at(stored, rows[12:20], 10) == vectors.Recall(1.0, 1.0)


def test_knn_recall_forgives_a_row_within_epsilon_of_the_tenth_and_no_farther(tmp_path: Path):
    tenth = 0.5
    cosines = list(np.linspace(0.9, tenth, 10)) + [tenth - vectors.KNN_EPSILON / 2, tenth - 2 * vectors.KNN_EPSILON]
    rows = np.zeros((12, 13), dtype=np.float32)  # row i: cosine cosines[i] with the query e0, its own axis else
    for i, c in enumerate(cosines):
        rows[i, 0], rows[i, i + 1] = c, np.sqrt(1 - c * c)
    np.save(tmp_path / vectors.ROWS, rows)
    stored = vectors.load(tmp_path)
    query = np.eye(13, dtype=np.float32)[:1]

    class Returns:  # the exact 9 best, then `last` in place of the exact 10th
        nprobe, nlist = 1, 2

        def __init__(self, last):
            self.last = last

        def search(self, q, k):
            ids = np.array([list(range(9)) + [self.last]])
            return (rows[ids[0]] @ q[0])[None, :], ids

    stored._ann = Returns(10)  # within epsilon of the 10th: as near, for any use of the top 10
    assert vectors.recall_at(stored, query, 10) == vectors.Recall(0.9, 1.0)
    stored._ann = Returns(11)  # twice epsilon below: missed
    assert vectors.recall_at(stored, query, 10) == vectors.Recall(0.9, 0.9)


EARLIER_BAIYUN = """# 广州市白云区召开2017年高质量发展大会

2月25日,广州市白云区召开高质量发展大会。

## 白云区

白云区委书记表示,2017年白云区完成固投目标是900亿元,白云区固投目标增长8%。
"""


def test_a_question_without_a_year_is_answered_by_the_newest_report_that_answers(seeds_copy: Path, tmp_path: Path):
    (seeds_copy / "zz_baiyun_2017.txt").write_text(EARLIER_BAIYUN, encoding="utf-8")
    update(seeds_copy, tmp_path / "index", model=FAKE)
    stored = store.load(tmp_path / "index")
    assert stored.articles["zz_baiyun_2017.txt"].year_number == 2017
    undated = ask(stored, "白云区完成固投目标是多少")  # the 2017 report words it more alike; 2026's answers it
    assert undated.figure == "1400亿元" and "2026年" in undated.note
    assert ask(stored, "2017年白云区完成固投目标是多少").figure == "900亿元"  # a year said is the year meant
    assert ask(stored, "2月25日的会上白云区完成固投目标是多少").figure == "1400亿元"  # that day's newest meeting


def test_a_build_whose_manifest_records_sha256_still_loads_by_checksum(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    build_dir = index_dir.resolve()
    manifest = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))
    for name, record in manifest["files"].items():  # as a build of before 2026-11-30 recorded its files
        del record[store.CHECKSUM]
        record["sha256"] = hashlib.sha256((build_dir / name).read_bytes()).hexdigest()
    (build_dir / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    texts = build_dir / store.TEXTS
    os.utime(texts, ns=(texts.stat().st_atime_ns, texts.stat().st_mtime_ns + 1))  # stat differs: checksum read
    assert store.load(index_dir).articles  # intact by its sha256
    texts.write_bytes(texts.read_bytes().replace("广州".encode(), "广洲".encode(), 1))
    with pytest.raises(store.IndexCorrupt, match="does not match its checksum"):
        store.load(index_dir)
