"""A build of two parts: an update that adds a few articles links the published base's files and writes a recent
part only; the two answer as one corpus (rank-bm25's scores over all chunks, dense search over all rows) and as a
fresh build of the same seeds does; a change to the base, or a recent part grown past its share, writes one part."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from rank_bm25 import BM25Plus

from index import build, store
from index.build import update
from index.chunk import indexed_text
from index.embed import FAKE, HashingEncoder
from index.tokenize import tokens
from qa.answer import ask
from tests.test_bm25 import oracle_rank, same_ranking
from tests.test_update import BAIYUN_2025, QUESTIONS, SHENZHEN_2026

QUERIES = ("白云区固投目标", "南山区地区生产总值增长", "高质量发展大会", "规上工业总产值增长7%", "城中村改造项目")


def parts(index_dir: Path) -> list[str]:
    return [entry["folder"] for entry in store.read_manifest(index_dir)["parts"]]


def inode(path: Path) -> int:
    return os.stat(path).st_ino


def by_chunk(index: store.StoredIndex, hits: list[tuple[int, float]]) -> list[tuple[str, float]]:
    """Hits as (chunk id, score), best first, equal scores by chunk id: comparable across row orders."""
    return sorted(((index.chunks[row].id, round(score, 9)) for row, score in hits), key=lambda h: (-h[1], h[0]))


def test_adding_an_article_links_the_base_and_answers_as_a_fresh_build(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    first = index_dir.resolve()
    assert parts(index_dir) == ["."]

    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    report = update(seeds_copy, index_dir, model=FAKE)
    second = index_dir.resolve()
    assert report.added == ("005_baiyun_2025.txt",) and parts(index_dir) == [".", "recent"]
    for name in (store.CHUNKS, store.TEXTS, store.FACTS, "vectors.npy", "bm25.term_rows.npy"):
        assert inode(second / name) == inode(first / name)  # the same bytes, linked: nothing copied
    assert (second / "recent" / store.CHUNKS).is_file()
    two = store.load(index_dir)
    assert len(two.parts) == 2 and len(two.parts[1].records) == 1
    assert [c.source for c in two.chunks][-len(two.parts[1].chunks):] == ["005_baiyun_2025.txt"] * len(
        two.parts[1].chunks)

    # the parts score as one corpus: rank-bm25 over every chunk, in the joined row order, to the last bit
    corpus = [tokens(indexed_text(chunk)) for chunk in two.chunks]
    oracle = BM25Plus(corpus, k1=1.2, b=0.75, delta=1.0)
    for query in QUERIES + tuple(c.text[:40] for c in two.chunks[::7]):
        assert same_ranking(two.lexical(tokens(query), 50), oracle_rank(oracle, tokens(query), 50)), query
    assert all(two.idf(t) == oracle.idf[t] for t in oracle.idf)
    # ... and dense search covers both parts: a recent chunk finds itself
    encoder = HashingEncoder()
    recent_row = len(two.chunks) - 1
    assert two.vectors.search(encoder.query(indexed_text(two.chunks[recent_row])), 3)[0][0] == recent_row
    assert np.array_equal(np.asarray(two.vectors.rows)[recent_row], two.vectors.rows[recent_row])

    fresh_dir = tmp_path / "fresh"
    update(seeds_copy, fresh_dir, model=FAKE)
    fresh = store.load(fresh_dir)
    assert parts(fresh_dir) == ["."] and len(fresh.chunks) == len(two.chunks)
    assert sorted(c.id for c in fresh.chunks) == sorted(c.id for c in two.chunks)
    assert fresh.bm25.avgdl == two.bm25.avgdl and fresh.bm25.corpus_size == two.bm25.corpus_size
    for term in {t for q in QUERIES for t in tokens(q)}:
        assert fresh.idf(term) == two.idf(term)
    for query in QUERIES:
        assert by_chunk(fresh, fresh.lexical(tokens(query), 20)) == by_chunk(two, two.lexical(tokens(query), 20))
        dense = encoder.query(query)
        a, b = by_chunk(fresh, fresh.vectors.search(dense, 10)), by_chunk(two, two.vectors.search(dense, 10))
        assert [i for i, _ in a] == [i for i, _ in b] and [s for _, s in a] == pytest.approx([s for _, s in b])
    assert sorted(f.to_json().__repr__() for f in fresh.facts()) == sorted(f.to_json().__repr__() for f in two.facts())
    for question in QUESTIONS + ("白云区2025年固投目标", "白云区2025年推进城中村改造项目多少个"):
        a, b = ask(fresh, question), ask(two, question)
        assert (a.answered, a.text, [c.chunk_id for c in a.citations]) == \
               (b.answered, b.text, [c.chunk_id for c in b.citations])
    assert "1300亿元" in ask(two, "白云区2025年固投目标").text


def test_recent_part_grows_shrinks_hides_and_folds_into_one_part(seeds_copy: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    base = inode(index_dir.resolve() / store.CHUNKS)  # the first build's base: older builds are collected
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / "006_shenzhen_2026.txt").write_text(SHENZHEN_2026, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    grown = store.load(index_dir)
    assert parts(index_dir) == [".", "recent"] and len(grown.parts[1].records) == 2
    assert inode(index_dir.resolve() / store.CHUNKS) == base  # the base still the first's

    (seeds_copy / "005_baiyun_2025.txt").unlink()  # removed from the recent part: only that part is written again
    report = update(seeds_copy, index_dir, model=FAKE)
    shrunk = store.load(index_dir)
    assert report.removed == ("005_baiyun_2025.txt",) and [r["source"] for r in shrunk.parts[1].records] == [
        "006_shenzhen_2026.txt"]
    assert inode(index_dir.resolve() / store.CHUNKS) == base
    assert "005_baiyun_2025.txt" not in shrunk.articles and "1300" not in (ask(shrunk, "白云区2025年固投目标").text or "")

    (seeds_copy / "006_shenzhen_2026.txt").unlink()  # the recent part emptied: the build is the base alone again
    update(seeds_copy, index_dir, model=FAKE)
    assert parts(index_dir) == ["."] and inode(index_dir.resolve() / store.CHUNKS) == base

    (seeds_copy / "006_shenzhen_2026.txt").write_text(SHENZHEN_2026, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    assert parts(index_dir) == [".", "recent"]
    # an article of the base changed: hidden in the base (its rows never found again), its new text in the recent part
    monkeypatch.setattr(build, "RECENT_MAX_SHARE", 0.5)  # the seeds' articles are large against their 185 chunks
    changed = seeds_copy / "001_0d211377d81efd56.txt"
    changed.write_text(changed.read_text(encoding="utf-8").replace("2024", "2O24", 1) + "\n会议强调，要办好民生实事。\n",
                       encoding="utf-8")
    report = update(seeds_copy, index_dir, model=FAKE)
    hid = store.load(index_dir)
    entry = store.read_manifest(index_dir)["parts"][0]
    assert report.changed == ("001_0d211377d81efd56.txt",) and entry["hidden"] == ["001_0d211377d81efd56.txt"]
    assert inode(index_dir.resolve() / store.CHUNKS) == base and store.verify(index_dir)
    assert [r["source"] for r in hid.parts[1].records] == ["001_0d211377d81efd56.txt", "006_shenzhen_2026.txt"]
    assert "办好民生实事" in hid.articles["001_0d211377d81efd56.txt"].text and len(hid.articles) == 6
    hidden_rows = set(hid.articles.hidden_rows.tolist())
    assert hidden_rows and len(hid.chunks) - len(hidden_rows) == store.read_manifest(index_dir)["counts"]["chunks"]
    visible = [row for row in range(len(hid.chunks)) if row not in hidden_rows]
    oracle = BM25Plus([tokens(indexed_text(hid.chunks[row])) for row in visible], k1=1.2, b=0.75, delta=1.0)
    for query in QUERIES + ("会议强调 民生实事", "天河区 地区生产总值"):
        expected = [(visible[row], score) for row, score in oracle_rank(oracle, tokens(query), 50)]
        assert same_ranking(hid.lexical(tokens(query), 50), expected), query
    dense = HashingEncoder().query("天河区 地区生产总值 增长")
    assert not hidden_rows & {row for row, _ in hid.vectors.search(dense, 40) + hid.vectors.exact(dense, 40)}
    fresh_dir = tmp_path / "fresh"
    update(seeds_copy, fresh_dir, model=FAKE)
    fresh = store.load(fresh_dir)
    assert fresh.bm25.avgdl == hid.bm25.avgdl and fresh.bm25.corpus_size == hid.bm25.corpus_size
    assert sorted(map(repr, fresh.facts())) == sorted(map(repr, hid.facts()))  # the hidden article's facts gone
    for question in QUESTIONS:
        a, b = ask(fresh, question), ask(hid, question)
        assert (a.answered, a.text, [c.chunk_id for c in a.citations]) == \
               (b.answered, b.text, [c.chunk_id for c in b.citations])

    (seeds_copy / "004_8c17ebf00595400d.txt").unlink()  # a base article removed: hidden too, nothing written
    report = update(seeds_copy, index_dir, model=FAKE)
    assert report.removed == ("004_8c17ebf00595400d.txt",) and "004_8c17ebf00595400d.txt" not in store.load(
        index_dir).articles
    assert store.read_manifest(index_dir)["parts"][0]["hidden"] == ["001_0d211377d81efd56.txt",
                                                                    "004_8c17ebf00595400d.txt"]
    assert inode(index_dir.resolve() / store.CHUNKS) == base

    monkeypatch.setattr(build, "RECENT_MAX_SHARE", 0.0)  # past the share: one part again, in seed order, none hidden
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    one = store.load(index_dir)
    assert parts(index_dir) == ["."] and inode(index_dir.resolve() / store.CHUNKS) != base
    assert list(one.articles) == sorted(one.articles) and len(one.articles.hidden_rows) == 0
    assert "004_8c17ebf00595400d.txt" not in one.articles and len(one.chunks) == one.bm25.corpus_size
    assert store.verify(index_dir)


def test_a_recent_part_past_its_share_is_folded_into_the_base(seeds_copy: Path, tmp_path: Path, monkeypatch):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    monkeypatch.setattr(build, "RECENT_MAX_SHARE", 0.0)  # no recent part may hold a chunk
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    assert parts(index_dir) == ["."] and len(store.load(index_dir).articles) == 6


def test_a_damaged_recent_part_is_an_error_naming_the_fix_and_the_update_mends_it(seeds_copy: Path, tmp_path: Path):
    index_dir = tmp_path / "index"
    update(seeds_copy, index_dir, model=FAKE)
    (seeds_copy / "005_baiyun_2025.txt").write_text(BAIYUN_2025, encoding="utf-8")
    update(seeds_copy, index_dir, model=FAKE)
    lines = index_dir.resolve() / "recent" / store.CHUNKS
    data = bytearray(lines.read_bytes())
    data[10] ^= 0x01
    lines.write_bytes(bytes(data))
    assert not store.verify(index_dir)
    with pytest.raises(store.IndexCorrupt, match="recent/chunks.jsonl"):
        store.load(index_dir)
    update(seeds_copy, index_dir, model=FAKE)
    assert store.verify(index_dir) and "1300亿元" in ask(store.load(index_dir), "白云区2025年固投目标").text


def test_a_row_is_found_in_its_part_and_a_row_outside_the_build_is_refused():
    from index.records import part_of
    starts = [0, 3, 3, 7]  # three parts of 3, 0 and 4 rows
    assert [part_of(starts, row) for row in (0, 2, 3, 6)] == [(0, 0), (0, 2), (2, 0), (2, 3)]
    for outside in (-1, 7):
        with pytest.raises(IndexError):
            part_of(starts, outside)
